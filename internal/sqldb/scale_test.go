package sqldb_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/sqldb"
	"xiaoxiang/internal/sqldb/sqldbtest"
)

// TestHotPathsUseIndexes checks the SQLite query plans of the hot paths:
// roster lookups, the review queue, progress counts and the active-binding
// checks must not scan whole tables.
func TestHotPathsUseIndexes(t *testing.T) {
	if sqldbtest.Postgres() {
		t.Skip("plans checked on SQLite; PostgreSQL picks plans by table statistics")
	}
	db := sqldbtest.Open(t)
	ctx := context.Background()
	for _, q := range []string{
		`SELECT id FROM roster_entries WHERE task_id = 1 AND doc_index IN ('a', 'b')`,
		`SELECT id FROM roster_entries WHERE task_id = 1 AND student_no = 'x'`,
		`SELECT status, COUNT(*) FROM submissions WHERE task_id = 1 GROUP BY status`,
		`SELECT id FROM submissions WHERE status = 'pending' ORDER BY submitted_at LIMIT 20`,
		`SELECT id FROM bindings WHERE roster_entry_id = 1 AND status IN ('pending', 'linked')`,
		`SELECT id FROM bindings WHERE account_id = 1 AND task_id = 1 AND status IN ('pending', 'linked')`,
		`SELECT id FROM orders WHERE roster_entry_id = 1 AND status IN ('paid', 'refunding')`,
		`SELECT used FROM quota_uses WHERE roster_entry_id = 1 AND day = '2026-03-01'`,
		`SELECT id FROM jobs WHERE state = 'available' AND run_at <= '2026' ORDER BY run_at LIMIT 5`,
		`SELECT id FROM accounts WHERE openid = 'o'`,
	} {
		var plan []string
		err := db.View(ctx, func(tx *sqldb.Tx) error {
			rows, err := tx.Query(ctx, "EXPLAIN QUERY PLAN "+q)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id, parent, notused int
				var detail string
				if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
					return err
				}
				plan = append(plan, detail)
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatal(err)
		}
		p := strings.Join(plan, "; ")
		if !strings.Contains(p, "INDEX") || strings.Contains(p, "SCAN ") && !strings.Contains(p, "USING") {
			t.Errorf("%s\n  plan: %s", q, p)
		}
	}
}

// BenchmarkScale20000 measures the hot paths on a task with 20,000
// students: go test -run '^$' -bench Scale ./internal/sqldb/
func BenchmarkScale20000(b *testing.B) {
	const n = 20000
	db := sqldbtest.Open(b)
	ctx := context.Background()
	var task *xiaoxiang.Task
	seedStart := time.Now()
	err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		s := &xiaoxiang.School{Name: "湖南师范大学", Code: "10542", Pinyin: "hunanshifandaxue", Initials: "hnsfdx"}
		if err := tx.CreateSchool(ctx, s); err != nil {
			return err
		}
		for i := 0; i < 3000; i++ {
			if err := tx.CreateSchool(ctx, &xiaoxiang.School{Name: fmt.Sprintf("学校%d", i), Code: fmt.Sprintf("9%04d", i), Pinyin: fmt.Sprintf("xuexiao%d", i)}); err != nil {
				return err
			}
		}
		now := tx.Now()
		task = &xiaoxiang.Task{SchoolID: s.ID, Category: xiaoxiang.CategoryUndergrad, Title: "2026届毕业生图像采集", Status: xiaoxiang.TaskOpen,
			OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(24 * time.Hour), LinkMode: xiaoxiang.LinkByDocument}
		if err := tx.CreateTask(ctx, task); err != nil {
			return err
		}
		statuses := []xiaoxiang.SubmissionStatus{xiaoxiang.SubmissionPending, xiaoxiang.SubmissionApproved, xiaoxiang.SubmissionRejected, xiaoxiang.SubmissionDelivered}
		for i := 0; i < n; i++ {
			e := &xiaoxiang.RosterEntry{SchoolID: s.ID, TaskID: task.ID, Name: "学生", DocIndex: fmt.Sprintf("%032x", i), StudentNo: fmt.Sprintf("2026%06d", i)}
			if err := tx.CreateRosterEntry(ctx, e); err != nil {
				return err
			}
			if i%4 == 3 {
				continue // not linked yet
			}
			a := &xiaoxiang.Account{OpenID: fmt.Sprintf("o%d", i)}
			if err := tx.CreateAccount(ctx, a); err != nil {
				return err
			}
			bd := &xiaoxiang.Binding{AccountID: a.ID, RosterEntryID: e.ID, TaskID: task.ID, SchoolID: s.ID, Status: xiaoxiang.BindingLinked}
			if err := tx.CreateBinding(ctx, bd); err != nil {
				return err
			}
			at := &sqldb.AttemptRow{Attempt: xiaoxiang.Attempt{BindingID: bd.ID, AccountID: a.ID, TaskID: task.ID, Source: "camera", StandardizedKey: "k"}, RosterEntryID: e.ID}
			if err := tx.CreateAttempt(ctx, at); err != nil {
				return err
			}
			sub := &sqldb.SubmissionRow{Submission: xiaoxiang.Submission{BindingID: bd.ID, AccountID: a.ID, TaskID: task.ID, SchoolID: s.ID,
				AttemptID: at.ID, Status: statuses[i%len(statuses)]}, RosterEntryID: e.ID}
			if err := tx.CreateSubmission(ctx, sub); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: seeded %d students in %v", db.Dialect(), n, time.Since(seedStart).Round(time.Millisecond))
	run := func(name string, fn func(tx *sqldb.Tx) error) {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if err := db.View(ctx, fn); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	run("RosterByDocIndex", func(tx *sqldb.Tx) error {
		es, err := tx.FindRosterEntriesByDocIndex(ctx, task.ID, []string{fmt.Sprintf("%032x", 12345)})
		if err == nil && len(es) != 1 {
			err = fmt.Errorf("found %d", len(es))
		}
		return err
	})
	run("RosterByStudentNo", func(tx *sqldb.Tx) error {
		_, err := tx.FindRosterEntriesByStudentNo(ctx, task.ID, "2026012345")
		return err
	})
	run("TaskProgress", func(tx *sqldb.Tx) error {
		p, err := tx.FindTaskProgress(ctx, task.ID)
		if err == nil && p.Roster != n {
			err = fmt.Errorf("roster %d", p.Roster)
		}
		return err
	})
	run("SearchOpenSchools", func(tx *sqldb.Tx) error {
		ss, err := tx.SearchOpenSchools(ctx, "湖南师大", tx.Now(), 20)
		if err == nil && len(ss) != 1 {
			err = fmt.Errorf("found %d", len(ss))
		}
		return err
	})
}
