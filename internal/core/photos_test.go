package core_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/blob"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/sqldb"
)

func upload(e *env, a *xiaoxiang.Account, b *xiaoxiang.Binding, data []byte, source string) (*core.AttemptView, error) {
	return e.svc.Upload(e.ctx, a.ID, b.ID, core.UploadInput{Data: bytes.NewReader(data), Source: source})
}

func TestUploadRefusals(t *testing.T) {
	e := newEnv(t, core.Options{MaxUploadBytes: 200 << 10})
	a, b := e.linkedUnpaid("o-ding", "丁白云", idDing)
	_, err := upload(e, a, b, testJPEG(t, 1), "camera")
	wantCode(t, "upload before paying", err, xiaoxiang.EUNPAID)
	e.markPaid(b)
	cases := []struct {
		name   string
		data   []byte
		source string
		code   string
	}{
		{"empty file", nil, "camera", xiaoxiang.EINVALID},
		{"not an image", []byte("%PDF-1.4 not a photo"), "camera", xiaoxiang.EINVALID},
		{"too large", bytes.Repeat([]byte{0xff}, 201<<10), "camera", xiaoxiang.EINVALID},
		{"unknown source", testJPEG(t, 1), "screenshot", xiaoxiang.EINVALID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := upload(e, a, b, tc.data, tc.source)
			wantCode(t, tc.name, err, tc.code)
		})
	}
	t.Run("album refused when the task wants the camera", func(t *testing.T) {
		e.tx(func(tx *sqldb.Tx) error { e.task.AllowAlbum = false; return tx.UpdateTask(e.ctx, e.task) })
		_, err := upload(e, a, b, testJPEG(t, 1), "album")
		wantCode(t, "album", err, xiaoxiang.EFORBIDDEN)
	})
	t.Run("photo consent is required", func(t *testing.T) {
		c := must(e.svc.Login(e.ctx, core.LoginInput{OpenID: "o-noconsent"}))(t)
		e.svc.GiveConsent(e.ctx, c.ID, xiaoxiang.ConsentIdentity)
		e.addStudent(e.task, "李华", idLi, "")
		cb := must(e.svc.Link(e.ctx, c.ID, e.task.ID, core.LinkInput{Name: "李华", DocNumber: idLi}))(t)
		e.markPaid(cb)
		_, err := upload(e, c, cb, testJPEG(t, 1), "camera")
		wantCode(t, "upload without photo consent", err, xiaoxiang.EFORBIDDEN)
	})
	// Nothing refused left a file behind.
	objs := must(e.bucket.List(e.ctx, ""))(t)
	if len(objs) != 0 {
		t.Fatalf("refused uploads stored %d objects", len(objs))
	}
}

func TestUploadStandardizeQuota(t *testing.T) {
	e := newEnv(t)
	a, b := e.linked("o-ding", "丁白云", idDing)

	// Retakes before standardization are free and unlimited.
	var views []*core.AttemptView
	for i := 0; i < 5; i++ {
		v := must(upload(e, a, b, testJPEG(t, i), "camera"))(t)
		if v.Quota.Remaining != 3 || v.Attempt.Verdict != "pass" || v.Attempt.ReportJSON == "" || v.Attempt.Width != 300 {
			t.Fatalf("upload %d: %+v", i, v)
		}
		views = append(views, v)
	}
	// The original is stored as uploaded.
	rc := must(e.svc.OpenPhoto(e.ctx, a.ID, views[0].Attempt.ID, core.PhotoOriginal))(t)
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, testJPEG(t, 0)) {
		t.Fatal("stored original differs from the upload")
	}
	_, err := e.svc.OpenPhoto(e.ctx, a.ID, views[0].Attempt.ID, core.PhotoStandardized)
	wantCode(t, "standardized photo before 去制作", err, xiaoxiang.ENOTFOUND)

	// Three standardizations a day.
	for i := 0; i < 3; i++ {
		v := must(e.svc.Standardize(e.ctx, a.ID, views[i].Attempt.ID))(t)
		if !v.Attempt.Standardized() || v.Quota.Remaining != 2-i || v.Attempt.SHA256 == "" {
			t.Fatalf("standardize %d: remaining %d, attempt %+v", i, v.Quota.Remaining, v.Attempt)
		}
	}
	// Standardizing an attempt again costs nothing.
	v := must(e.svc.Standardize(e.ctx, a.ID, views[0].Attempt.ID))(t)
	if v.Quota.Remaining != 0 || e.checker.standardized.Load() != 3 {
		t.Fatalf("re-standardize used quota or ran the pipeline: %+v, %d runs", v.Quota, e.checker.standardized.Load())
	}
	_, err = e.svc.Standardize(e.ctx, a.ID, views[3].Attempt.ID)
	wantCode(t, "fourth standardization", err, xiaoxiang.EQUOTA)
	if msg := xiaoxiang.ErrorMessage(err); !strings.Contains(msg, "2026-03-11 00:00") {
		t.Errorf("quota message %q does not say when it resets", msg)
	}
	// Asia/Shanghai midnight is 16:00 UTC: the quota resets then, not at UTC midnight.
	e.clock.Set(time.Date(2026, 3, 10, 15, 59, 0, 0, time.UTC))
	_, err = e.svc.Standardize(e.ctx, a.ID, views[3].Attempt.ID)
	wantCode(t, "23:59 in Shanghai", err, xiaoxiang.EQUOTA)
	e.clock.Set(time.Date(2026, 3, 10, 16, 0, 0, 0, time.UTC))
	q := must(e.svc.QuotaToday(e.ctx, a.ID, b.ID))(t)
	if q.Remaining != 3 || q.Day != "2026-03-11" {
		t.Fatalf("quota after Shanghai midnight: %+v", q)
	}

	t.Run("a failed standardization gives the unit back", func(t *testing.T) {
		e.checker.failStandardize.Store(1)
		_, err := e.svc.Standardize(e.ctx, a.ID, views[3].Attempt.ID)
		wantCode(t, "injected failure", err, xiaoxiang.EINTERNAL)
		if q := must(e.svc.QuotaToday(e.ctx, a.ID, b.ID))(t); q.Remaining != 3 {
			t.Fatalf("after a failure remaining = %d, want 3", q.Remaining)
		}
		v := must(e.svc.Standardize(e.ctx, a.ID, views[3].Attempt.ID))(t)
		if v.Quota.Remaining != 2 {
			t.Fatalf("remaining = %d, want 2", v.Quota.Remaining)
		}
	})
	t.Run("another account cannot see the attempt", func(t *testing.T) {
		o := e.student("o-stranger")
		_, err := e.svc.Standardize(e.ctx, o.ID, views[4].Attempt.ID)
		wantCode(t, "stranger standardize", err, xiaoxiang.ENOTFOUND)
		_, err = e.svc.OpenPhoto(e.ctx, o.ID, views[4].Attempt.ID, core.PhotoOriginal)
		wantCode(t, "stranger open", err, xiaoxiang.ENOTFOUND)
	})
}

// TestStandardizeQuotaConcurrent: many concurrent 去制作 requests for
// different attempts of one student take exactly the day's three units.
func TestStandardizeQuotaConcurrent(t *testing.T) {
	e := newEnv(t)
	a, b := e.linked("o-ding", "丁白云", idDing)
	const n = 8
	var ids []int64
	for i := 0; i < n; i++ {
		ids = append(ids, must(upload(e, a, b, testJPEG(t, i), "camera"))(t).Attempt.ID)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[string]int{}
	for _, id := range ids {
		wg.Add(1)
		go func(id int64) {
			defer wg.Done()
			_, err := e.svc.Standardize(e.ctx, a.ID, id)
			mu.Lock()
			codes[xiaoxiang.ErrorCode(err)]++
			mu.Unlock()
		}(id)
	}
	wg.Wait()
	if codes[""] != 3 || codes[xiaoxiang.EQUOTA] != n-3 {
		t.Fatalf("outcomes %v, want 3 successes and %d EQUOTA", codes, n-3)
	}
	if q := must(e.svc.QuotaToday(e.ctx, a.ID, b.ID))(t); q.Used != 3 {
		t.Fatalf("used = %d, want 3", q.Used)
	}
}

// reviewerSets moves a submission as the review console would (that use
// case lives with the console); the test needs only the resulting state.
func reviewerSets(e *env, b *xiaoxiang.Binding, mod func(s *sqldb.SubmissionRow)) {
	e.t.Helper()
	e.tx(func(tx *sqldb.Tx) error {
		s, err := tx.FindSubmissionByEntry(e.ctx, b.RosterEntryID, true)
		if err != nil {
			return err
		}
		mod(s)
		return tx.UpdateSubmission(e.ctx, s)
	})
}

func events(e *env, subID int64) []string {
	var evs []*xiaoxiang.SubmissionEvent
	e.tx(func(tx *sqldb.Tx) (err error) { evs, err = tx.FindSubmissionEvents(e.ctx, subID); return err })
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Action+":"+string(ev.From)+">"+string(ev.To))
	}
	return out
}

func TestSubmissionRules(t *testing.T) {
	e := newEnv(t)
	a, b := e.linked("o-ding", "丁白云", idDing)
	unstd := must(upload(e, a, b, testJPEG(t, 9), "camera"))(t)
	_, err := e.svc.Submit(e.ctx, a.ID, unstd.Attempt.ID)
	wantCode(t, "submit before 去制作", err, xiaoxiang.ECONFLICT)

	p1 := e.photo(a, b, 1)
	st := must(e.svc.Status(e.ctx, a.ID, b.ID))(t)
	if st.Next != "submit" {
		t.Fatalf("next = %s, want submit", st.Next)
	}
	sub := must(e.svc.Submit(e.ctx, a.ID, p1.ID))(t)
	if sub.Status != xiaoxiang.SubmissionPending || sub.AttemptID != p1.ID {
		t.Fatalf("submitted: %+v", sub)
	}
	if again := must(e.svc.Submit(e.ctx, a.ID, p1.ID))(t); again.ReplacementsUsed != 0 {
		t.Fatal("submitting the same photo again counted as a replacement")
	}

	// One replacement before review.
	p2 := e.photo(a, b, 2)
	sub = must(e.svc.Submit(e.ctx, a.ID, p2.ID))(t)
	if sub.AttemptID != p2.ID || sub.ReplacementsUsed != 1 || sub.Status != xiaoxiang.SubmissionPending {
		t.Fatalf("after replacement: %+v", sub)
	}
	p3 := e.photo(a, b, 3)
	_, err = e.svc.Submit(e.ctx, a.ID, p3.ID)
	wantCode(t, "second replacement", err, xiaoxiang.EQUOTA)

	// A photo under review (claimed) cannot be replaced.
	e.tx(func(tx *sqldb.Tx) error { e.task.ReplacementsBeforeReview = 5; return tx.UpdateTask(e.ctx, e.task) })
	reviewerSets(e, b, func(s *sqldb.SubmissionRow) { s.ClaimedBy, s.ClaimExpires = 1, e.clock.Now().Add(10*time.Minute) })
	_, err = e.svc.Submit(e.ctx, a.ID, p3.ID)
	wantCode(t, "replace while claimed", err, xiaoxiang.ECONFLICT)

	// Rejected: reasons and note shown; two free resubmissions.
	reviewerSets(e, b, func(s *sqldb.SubmissionRow) {
		s.Status, s.RejectReasons, s.RejectNote, s.ReviewerID, s.ReviewedAt = xiaoxiang.SubmissionRejected, []string{"background", "pose"}, "衣服颜色太浅", 1, e.clock.Now()
		s.ClaimedBy = 0
	})
	st = must(e.svc.Status(e.ctx, a.ID, b.ID))(t)
	if len(st.RejectReasons) != 2 || st.RejectReasons[0].Label != "背景/边缘问题" || st.RejectNote != "衣服颜色太浅" || !st.CanResubmit || st.Next != "shoot" || st.ResubmissionsLeft != 2 {
		t.Fatalf("rejected status: %+v", st)
	}
	if st.Steps[2].Label != "未通过" || !st.Steps[2].Current {
		t.Fatalf("steps: %+v", st.Steps)
	}
	e.clock.Add(24 * time.Hour) // fresh standardization quota
	for i := 1; i <= 2; i++ {
		sub = must(e.svc.Submit(e.ctx, a.ID, e.photo(a, b, 10+i).ID))(t)
		if sub.ResubmissionsUsed != i || sub.Status != xiaoxiang.SubmissionPending || len(sub.RejectReasons) != 0 {
			t.Fatalf("resubmission %d: %+v", i, sub)
		}
		reviewerSets(e, b, func(s *sqldb.SubmissionRow) {
			s.Status, s.RejectReasons = xiaoxiang.SubmissionRejected, []string{"blurry"}
		})
	}
	e.clock.Add(24 * time.Hour) // fresh standardization quota
	_, err = e.svc.Submit(e.ctx, a.ID, e.photo(a, b, 20).ID)
	wantCode(t, "third resubmission", err, xiaoxiang.EQUOTA)
	if !strings.Contains(xiaoxiang.ErrorMessage(err), "客服") {
		t.Errorf("message %q does not point to support", xiaoxiang.ErrorMessage(err))
	}
	if st := must(e.svc.Status(e.ctx, a.ID, b.ID))(t); st.Next != "support" || st.CanResubmit {
		t.Fatalf("after the free resubmissions: next=%s", st.Next)
	}

	// Approved: locked.
	reviewerSets(e, b, func(s *sqldb.SubmissionRow) { s.Status = xiaoxiang.SubmissionApproved })
	_, err = upload(e, a, b, testJPEG(t, 30), "camera")
	wantCode(t, "upload after approval", err, xiaoxiang.ECONFLICT)
	st = must(e.svc.Status(e.ctx, a.ID, b.ID))(t)
	if st.Next != "done" || !st.Steps[2].Done || st.CanReplace {
		t.Fatalf("approved status: %+v", st)
	}

	want := []string{"submit:>uploaded", "queue:uploaded>pending", "replace:pending>uploaded", "queue:uploaded>pending",
		"resubmit:rejected>uploaded", "queue:uploaded>pending", "resubmit:rejected>uploaded", "queue:uploaded>pending"}
	if got := events(e, sub.ID); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("events:\n got %v\nwant %v", got, want)
	}
}

func TestStatusView(t *testing.T) {
	e := newEnv(t)
	e.tx(func(tx *sqldb.Tx) error {
		e.task.RequireCTID, e.task.SamePersonCheck = true, true
		return tx.UpdateTask(e.ctx, e.task)
	})
	a, b := e.linkedUnpaid("o-ding", "丁白云", idDing)
	st := must(e.svc.Status(e.ctx, a.ID, b.ID))(t)
	if st.Next != "pay" || st.Paid {
		t.Fatalf("unpaid: next %s", st.Next)
	}
	e.markPaid(b)
	sub := must(e.svc.Submit(e.ctx, a.ID, e.photo(a, b, 1).ID))(t)
	st = must(e.svc.Status(e.ctx, a.ID, b.ID))(t)
	want := core.StatusView{SchoolName: "湖南师范大学", Category: "成人教育", Name: "丁白云", DocLast4: idDing[14:], Grade: "2025年",
		TaskTitle: "2025年上半年学位申请图像采集", SamePerson: "待核验", IdentityResult: "待核验", Next: "wait"}
	if st.SchoolName != want.SchoolName || st.Category != want.Category || st.Name != want.Name || st.DocLast4 != want.DocLast4 ||
		st.Grade != want.Grade || st.TaskTitle != want.TaskTitle || st.SamePerson != want.SamePerson || st.IdentityResult != want.IdentityResult ||
		st.Next != want.Next || !st.ShowIdentity || !st.ShowSamePerson || !st.Paid || !st.CanReplace || st.ReplacementsLeft != 1 {
		t.Fatalf("status = %+v", st)
	}
	if !st.Steps[0].Done || !st.Steps[1].Current || st.Steps[1].Done {
		t.Fatalf("steps = %+v", st.Steps)
	}
	// The automatic checks were queued in the same transaction.
	var jobs []*sqldb.Job
	e.tx(func(tx *sqldb.Tx) (err error) {
		jobs, err = tx.FindJobs(e.ctx, core.JobVerifySubmission, 10)
		return err
	})
	if len(jobs) != 1 || !strings.Contains(jobs[0].Args, `"submission_id":`) {
		t.Fatalf("verify jobs = %+v", jobs)
	}
	reviewerSets(e, b, func(s *sqldb.SubmissionRow) {
		s.CTIDResult, s.SamePersonDone, s.SamePerson = "valid", true, true
		s.Status = xiaoxiang.SubmissionDelivered
	})
	st = must(e.svc.Status(e.ctx, a.ID, b.ID))(t)
	if st.IdentityResult != "有效" || st.SamePerson != "同一人" || !st.Steps[3].Current || !st.Steps[3].Done || st.Next != "done" {
		t.Fatalf("delivered status: %+v", st)
	}
	tasks := must(e.svc.MyTasks(e.ctx, a.ID))(t)
	if len(tasks) != 1 || tasks[0].Progress != "已交付" || tasks[0].Submission.ID != sub.ID || !tasks[0].Paid {
		t.Fatalf("MyTasks = %+v", tasks[0])
	}
}

func TestDeleteMyData(t *testing.T) {
	e := newEnv(t)
	a, b := e.linked("o-ding", "丁白云", idDing)
	approved := e.photo(a, b, 1)
	must(e.svc.Submit(e.ctx, a.ID, approved.ID))(t)
	reviewerSets(e, b, func(s *sqldb.SubmissionRow) { s.Status = xiaoxiang.SubmissionApproved })
	// A second task with a pending submission.
	task2 := e.createTask(func(t *xiaoxiang.Task) { t.Title = "第二个任务"; t.FeeFen = 0 })
	e.addStudent(task2, "丁白云", idDing, "")
	b2 := must(e.svc.Link(e.ctx, a.ID, task2.ID, core.LinkInput{Name: "丁白云", DocNumber: idDing}))(t)
	pending := e.photo(a, b2, 2)
	must(e.svc.Submit(e.ctx, a.ID, pending.ID))(t)
	must(e.svc.MyData(e.ctx, a.ID))(t)

	if err := e.svc.DeleteMyData(e.ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.Account(e.ctx, a.ID)
	wantCode(t, "deleted account", err, xiaoxiang.EUNAUTHORIZED)
	_, err = e.svc.MyData(e.ctx, a.ID)
	wantCode(t, "MyData after delete", err, xiaoxiang.EUNAUTHORIZED)

	// Only the approved standardized photo is left in storage.
	objs := must(e.bucket.List(e.ctx, ""))(t)
	if len(objs) != 1 || objs[0].Key != approved.StandardizedKey {
		t.Fatalf("objects left: %+v, want only %s", objs, approved.StandardizedKey)
	}
	for _, k := range []string{approved.OriginalKey, pending.OriginalKey, pending.StandardizedKey} {
		if _, err := e.bucket.Stat(e.ctx, k); !errors.Is(err, blob.ErrNotFound) {
			t.Errorf("%s still stored (%v)", k, err)
		}
	}
	e.tx(func(tx *sqldb.Tx) error {
		acct, err := tx.FindAccountByID(e.ctx, a.ID)
		if err != nil {
			return err
		}
		if acct.OpenID != "" || acct.Nickname != "" || acct.DeletedAt.IsZero() {
			t.Errorf("account not anonymised: %+v", acct)
		}
		for _, id := range []int64{b.ID, b2.ID} {
			bb, _ := tx.FindBindingByID(e.ctx, id)
			if bb.Status != xiaoxiang.BindingUnbound {
				t.Errorf("binding %d is %s", id, bb.Status)
			}
		}
		if s, err := tx.FindSubmissionByEntry(e.ctx, b.RosterEntryID, false); err != nil || s.Status != xiaoxiang.SubmissionApproved {
			t.Errorf("approved submission not kept: %v", err)
		}
		if _, err := tx.FindSubmissionByEntry(e.ctx, b2.RosterEntryID, false); xiaoxiang.ErrorCode(err) != xiaoxiang.ENOTFOUND {
			t.Errorf("pending submission kept: %v", err)
		}
		jobs, err := tx.FindJobs(e.ctx, core.JobDeleteBlob, 10)
		if len(jobs) != 3 {
			t.Errorf("%d blob.delete jobs, want 3", len(jobs))
		}
		return err
	})
	// The same WeChat user starts over with a new, empty account.
	n := must(e.svc.Login(e.ctx, core.LoginInput{OpenID: "o-ding"}))(t)
	if n.ID == a.ID {
		t.Fatal("login after deletion reused the deleted account")
	}
	// Another account can link the student now.
	o := e.student("o-new")
	must(e.svc.Link(e.ctx, o.ID, e.task.ID, core.LinkInput{Name: "丁白云", DocNumber: idDing}))(t)
	// The new binding inherits the paid fee and the locked approval.
	bs := must(e.svc.MyTasks(e.ctx, o.ID))(t)
	if !bs[0].Paid || bs[0].Progress != "已完成" {
		t.Fatalf("re-linked task: %+v", bs[0])
	}
}

// TestStandardizeSameAttemptConcurrently: double taps on 去制作 for one
// photo cost one unit and leave one standardized file.
func TestStandardizeSameAttemptConcurrently(t *testing.T) {
	e := newEnv(t)
	a, b := e.linked("o-ding", "丁白云", idDing)
	v := must(upload(e, a, b, testJPEG(t, 1), "camera"))(t)
	var wg sync.WaitGroup
	keys := make([]string, 4)
	for i := range keys {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sv, err := e.svc.Standardize(e.ctx, a.ID, v.Attempt.ID)
			if xiaoxiang.ErrorCode(err) == xiaoxiang.ECONFLICT {
				return // "正在制作中": the first tap is still running
			}
			if err != nil {
				t.Error(err)
				return
			}
			keys[i] = sv.Attempt.StandardizedKey
		}(i)
	}
	wg.Wait()
	done := ""
	for _, k := range keys {
		if k != "" && done != "" && k != done {
			t.Fatalf("different standardized keys: %v", keys)
		}
		if k != "" {
			done = k
		}
	}
	if done == "" {
		t.Fatal("no tap standardized the photo")
	}
	if q := must(e.svc.QuotaToday(e.ctx, a.ID, b.ID))(t); q.Used != 1 {
		t.Fatalf("used = %d, want 1", q.Used)
	}
	objs := must(e.bucket.List(e.ctx, "standardized/"))(t)
	if len(objs) != 1 {
		t.Fatalf("%d standardized files stored, want 1", len(objs))
	}
}

func TestPurgeRawUploads(t *testing.T) {
	e := newEnv(t)
	a, b := e.linked("o-ding", "丁白云", idDing)
	retake := e.photo(a, b, 1)
	approved := e.photo(a, b, 2)
	must(e.svc.Submit(e.ctx, a.ID, approved.ID))(t)
	reviewerSets(e, b, func(s *sqldb.SubmissionRow) { s.Status = xiaoxiang.SubmissionApproved })
	w, wb := e.linked("o-wang", "王小明", idWang)
	pending := e.photo(w, wb, 3)
	must(e.svc.Submit(e.ctx, w.ID, pending.ID))(t)

	// Nothing is old enough yet.
	if n := must(e.svc.PurgeRawUploads(e.ctx, e.clock.Now().Add(-30*24*time.Hour)))(t); n != 0 {
		t.Fatalf("purged %d blobs of fresh photos", n)
	}
	e.clock.Add(31 * 24 * time.Hour)
	n := must(e.svc.PurgeRawUploads(e.ctx, e.clock.Now().Add(-30*24*time.Hour)))(t)
	if n != 3 {
		t.Fatalf("purged %d blobs, want 3 (retake original + standardized, approved original)", n)
	}
	left := map[string]bool{}
	for _, o := range must(e.bucket.List(e.ctx, ""))(t) {
		left[o.Key] = true
	}
	want := map[string]bool{approved.StandardizedKey: true, pending.OriginalKey: true, pending.StandardizedKey: true}
	if len(left) != len(want) {
		t.Fatalf("left %v, want %v", left, want)
	}
	for k := range want {
		if !left[k] {
			t.Errorf("%s was deleted", k)
		}
	}
	_, err := e.svc.OpenPhoto(e.ctx, a.ID, retake.ID, core.PhotoOriginal)
	wantCode(t, "purged retake", err, xiaoxiang.ENOTFOUND)
	// Running again finds nothing more.
	if n := must(e.svc.PurgeRawUploads(e.ctx, e.clock.Now()))(t); n != 0 {
		t.Fatalf("second purge deleted %d", n)
	}
}
