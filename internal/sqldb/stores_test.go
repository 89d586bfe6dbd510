package sqldb_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/sqldb"
	"xiaoxiang/internal/sqldb/sqldbtest"
)

func TestTimesRoundTripInUTC(t *testing.T) {
	db := sqldbtest.Open(t, sqldb.Options{Now: func() time.Time { return t0.In(xiaoxiang.Shanghai) }})
	f := mustFixture(t, db, 1)
	ctx := context.Background()
	var got *xiaoxiang.Task
	if err := db.View(ctx, func(tx *sqldb.Tx) (err error) { got, err = tx.FindTaskByID(ctx, f.task.ID); return err }); err != nil {
		t.Fatal(err)
	}
	want := t0.Truncate(time.Microsecond)
	if !got.CreatedAt.Equal(want) || got.CreatedAt.Location() != time.UTC {
		t.Errorf("CreatedAt = %v, want %v in UTC", got.CreatedAt, want)
	}
	if !got.OpensAt.Equal(f.task.OpensAt) || !got.ClosesAt.Equal(f.task.ClosesAt) {
		t.Errorf("window = %v..%v, want %v..%v", got.OpensAt, got.ClosesAt, f.task.OpensAt, f.task.ClosesAt)
	}
	if got.DailyStandardizeLimit != 3 || got.ProfileID != "chsi-blue" || got.FeeFen != 2000 || got.LinkMode != xiaoxiang.LinkByDocument {
		t.Errorf("task fields not stored: %+v", got)
	}
}

func TestFindNotFoundIsDomainError(t *testing.T) {
	db := sqldbtest.Open(t)
	ctx := context.Background()
	err := db.View(ctx, func(tx *sqldb.Tx) error { _, err := tx.FindTaskByID(ctx, 999); return err })
	if xiaoxiang.ErrorCode(err) != xiaoxiang.ENOTFOUND {
		t.Fatalf("FindTaskByID(999) err = %v, want ENOTFOUND", err)
	}
}

func TestSearchOpenSchools(t *testing.T) {
	db := sqldbtest.Open(t, sqldb.Options{Now: func() time.Time { return t0 }})
	f := mustFixture(t, db, 2) // 湖南师范大学2, code 10542, open task
	ctx := context.Background()
	// A school without an open task never appears.
	if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		return tx.CreateSchool(ctx, &xiaoxiang.School{Name: "湖南大学", Code: "10532", Pinyin: "hunandaxue", Initials: "hndx"})
	}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		q    string
		want int
	}{{"10542", 1}, {"湖南师大", 1}, {"师范", 1}, {"hunan", 1}, {"HNSF", 1}, {"10532", 0}, {"湖南大学", 1}, {"北京", 0}, {"%", 0}, {"_", 0}} {
		var got []*xiaoxiang.School
		err := db.View(ctx, func(tx *sqldb.Tx) (err error) { got, err = tx.SearchOpenSchools(ctx, tc.q, t0, 20); return err })
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != tc.want || (tc.want == 1 && got[0].ID != f.school.ID) {
			t.Errorf("SearchOpenSchools(%q) = %d schools, want %d", tc.q, len(got), tc.want)
		}
	}
	// After the window closes the school disappears.
	var got []*xiaoxiang.School
	db.View(ctx, func(tx *sqldb.Tx) (err error) {
		got, err = tx.SearchOpenSchools(ctx, "10542", t0.Add(31*24*time.Hour), 20)
		return err
	})
	if len(got) != 0 {
		t.Errorf("closed task: got %d schools, want 0", len(got))
	}
}

func TestOneActiveBindingPerEntry(t *testing.T) {
	db := sqldbtest.Open(t)
	f := mustFixture(t, db, 3)
	ctx := context.Background()
	other := &xiaoxiang.Account{OpenID: "o-other"}
	if err := db.InTx(ctx, func(tx *sqldb.Tx) error { return tx.CreateAccount(ctx, other) }); err != nil {
		t.Fatal(err)
	}
	err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		return tx.CreateBinding(ctx, &xiaoxiang.Binding{AccountID: other.ID, RosterEntryID: f.entry.ID, TaskID: f.task.ID, SchoolID: f.school.ID, Status: xiaoxiang.BindingPending})
	})
	if xiaoxiang.ErrorCode(err) != xiaoxiang.ECONFLICT {
		t.Fatalf("second active binding: err = %v, want ECONFLICT", err)
	}
	// After unbinding, another account may link.
	err = db.InTx(ctx, func(tx *sqldb.Tx) error {
		if ok, err := tx.SetBindingStatus(ctx, f.binding.ID, xiaoxiang.BindingLinked, xiaoxiang.BindingUnbound); err != nil || !ok {
			t.Fatalf("unbind = %v, %v", ok, err)
		}
		return tx.CreateBinding(ctx, &xiaoxiang.Binding{AccountID: other.ID, RosterEntryID: f.entry.ID, TaskID: f.task.ID, SchoolID: f.school.ID, Status: xiaoxiang.BindingLinked})
	})
	if err != nil {
		t.Fatalf("bind after unbind: %v", err)
	}
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	db := sqldbtest.Open(t)
	ctx := context.Background()
	e := &xiaoxiang.AuditEntry{ActorKind: "staff", ActorID: 1, Action: "export_package", Object: "task:1", SchoolID: 1, Count: 3}
	if err := db.InTx(ctx, func(tx *sqldb.Tx) error { return tx.CreateAuditEntry(ctx, e) }); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE audit_log SET detail = 'x'`, `DELETE FROM audit_log`} {
		err := db.InTx(ctx, func(tx *sqldb.Tx) error { _, err := tx.Exec(ctx, q); return err })
		if err == nil {
			t.Errorf("%s succeeded on the append-only audit log", q)
		}
	}
	var got []*xiaoxiang.AuditEntry
	db.View(ctx, func(tx *sqldb.Tx) (err error) {
		got, err = tx.FindAuditEntries(ctx, sqldb.AuditFilter{SchoolID: 1})
		return err
	})
	if len(got) != 1 || got[0].Action != "export_package" || got[0].Count != 3 {
		t.Fatalf("FindAuditEntries = %+v", got)
	}
}

// TestTakeQuotaConcurrent: many goroutines race for 3 units; exactly 3 win.
func TestTakeQuotaConcurrent(t *testing.T) {
	db := sqldbtest.Open(t)
	f := mustFixture(t, db, 4)
	ctx := context.Background()
	const racers, limit = 12, 3
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	start := make(chan struct{})
	for i := 0; i < racers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := db.InTx(ctx, func(tx *sqldb.Tx) error {
				_, ok, err := tx.TakeQuota(ctx, f.entry.ID, "2026-03-01", limit)
				if ok {
					mu.Lock()
					won++
					mu.Unlock()
				}
				return err
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	close(start)
	wg.Wait()
	if won != limit {
		t.Fatalf("%d goroutines took a unit, want %d", won, limit)
	}
	err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		if err := tx.RefundQuota(ctx, f.entry.ID, "2026-03-01"); err != nil {
			return err
		}
		used, ok, err := tx.TakeQuota(ctx, f.entry.ID, "2026-03-01", limit)
		if !ok || used != 3 {
			t.Errorf("after refund TakeQuota = %d, %v; want 3, true", used, ok)
		}
		// Another day has its own count.
		used, ok, err = tx.TakeQuota(ctx, f.entry.ID, "2026-03-02", limit)
		if !ok || used != 1 {
			t.Errorf("next day TakeQuota = %d, %v; want 1, true", used, ok)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSubmissionRoundTrip(t *testing.T) {
	db := sqldbtest.Open(t)
	f := mustFixture(t, db, 5)
	ctx := context.Background()
	var dup *sqldb.SubmissionRow
	err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		a := &sqldb.AttemptRow{Attempt: xiaoxiang.Attempt{BindingID: f.binding.ID, AccountID: f.account.ID, TaskID: f.task.ID, OriginalKey: "o/1.jpg", Source: "camera", Verdict: "pass"}, RosterEntryID: f.entry.ID}
		if err := tx.CreateAttempt(ctx, a); err != nil {
			return err
		}
		s := &sqldb.SubmissionRow{Submission: xiaoxiang.Submission{BindingID: f.binding.ID, AccountID: f.account.ID, TaskID: f.task.ID, SchoolID: f.school.ID, AttemptID: a.ID, Status: xiaoxiang.SubmissionPending}, RosterEntryID: f.entry.ID}
		if err := tx.CreateSubmission(ctx, s); err != nil {
			return err
		}
		s.Status = xiaoxiang.SubmissionRejected
		s.RejectReasons = []string{"background", "pose"}
		s.RejectNote = "衣服颜色太浅"
		s.ReviewerID = 0
		s.SamePersonDone, s.SamePerson = true, true
		if err := tx.UpdateSubmission(ctx, s); err != nil {
			return err
		}
		got, err := tx.FindSubmissionByEntry(ctx, f.entry.ID, true)
		if err != nil {
			return err
		}
		if got.Status != xiaoxiang.SubmissionRejected || len(got.RejectReasons) != 2 || got.RejectReasons[1] != "pose" || !got.SamePerson || got.RosterEntryID != f.entry.ID {
			t.Errorf("submission round trip: %+v", got)
		}
		p, err := tx.FindTaskProgress(ctx, f.task.ID)
		if err != nil {
			return err
		}
		if p.Roster != 1 || p.Linked != 1 || p.ByStatus[xiaoxiang.SubmissionRejected] != 1 {
			t.Errorf("progress = %+v", p)
		}
		dup = &sqldb.SubmissionRow{Submission: s.Submission, RosterEntryID: f.entry.ID}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A second submission for the same student is refused.
	err = db.InTx(ctx, func(tx *sqldb.Tx) error { return tx.CreateSubmission(ctx, dup) })
	if xiaoxiang.ErrorCode(err) != xiaoxiang.ECONFLICT {
		t.Errorf("duplicate submission err = %v, want ECONFLICT", err)
	}
}
