package core_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/auth"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/payment"
	"xiaoxiang/internal/sqldb"
	"xiaoxiang/internal/web/console/consoletest"
)

var ctx = context.Background()

func code(err error) string { return xiaoxiang.ErrorCode(err) }

func TestConsole_StaffLogin(t *testing.T) {
	env := consoletest.New(t)
	sch := env.School("湖南师范大学")
	adm := env.Staff(xiaoxiang.RoleSchoolAdmin, sch.ID)
	c := env.Console

	t.Run("rejects a wrong password with a generic message", func(t *testing.T) {
		_, err := c.StaffLogin(ctx, core.StaffLoginInput{Username: adm.Staff.Username, Password: "wrong-pass-1", IP: "10.0.0.1"})
		if code(err) != xiaoxiang.EUNAUTHORIZED || xiaoxiang.ErrorMessage(err) != "用户名或密码错误。" {
			t.Fatalf("err = %v", err)
		}
		_, err = c.StaffLogin(ctx, core.StaffLoginInput{Username: "nobody", Password: "wrong-pass-1", IP: "10.0.0.1"})
		if xiaoxiang.ErrorMessage(err) != "用户名或密码错误。" {
			t.Fatalf("unknown user: %v", err)
		}
	})
	t.Run("logs in and resolves the session", func(t *testing.T) {
		s, err := c.StaffLogin(ctx, core.StaffLoginInput{Username: strings.ToUpper(adm.Staff.Username[:1]) + adm.Staff.Username[1:], Password: consoletest.Password, IP: "10.0.0.2"})
		if err == nil {
			t.Fatal("usernames are case-sensitive in the store; want failure for a changed case")
		}
		s, err = c.StaffLogin(ctx, core.StaffLoginInput{Username: adm.Staff.Username, Password: consoletest.Password, IP: "10.0.0.2"})
		if err != nil {
			t.Fatal(err)
		}
		a, hash, err := c.Authenticate(ctx, s.Token, "10.0.0.2")
		if err != nil || a.Staff.ID != adm.Staff.ID || hash != s.SessionHash {
			t.Fatalf("authenticate: %v %v", a, err)
		}
		env.Clock.Advance(auth.SessionIdleTimeout + time.Second)
		if _, _, err := c.Authenticate(ctx, s.Token, ""); code(err) != xiaoxiang.EUNAUTHORIZED {
			t.Fatalf("idle session still valid: %v", err)
		}
	})
	t.Run("locks the account after repeated failures", func(t *testing.T) {
		var err error
		for range 12 {
			_, err = c.StaffLogin(ctx, core.StaffLoginInput{Username: adm.Staff.Username, Password: "bad-pass-99", IP: "10.0.0.3"})
		}
		if code(err) != xiaoxiang.ETOOMANY {
			t.Fatalf("err = %v, want too_many", err)
		}
		if len(env.Audit("login_failed")) == 0 {
			t.Fatal("failed logins are not audited")
		}
	})
	t.Run("requires TOTP once enabled", func(t *testing.T) {
		rev := env.Staff(xiaoxiang.RoleReviewer, 0)
		setup := c.NewTOTPSetup(rev)
		codeNow, _ := auth.TOTPCode(setup.Secret, env.Clock.Now())
		if err := c.EnableTOTP(ctx, rev, setup.Secret, codeNow); err != nil {
			t.Fatal(err)
		}
		_, err := c.StaffLogin(ctx, core.StaffLoginInput{Username: rev.Staff.Username, Password: consoletest.Password, IP: "10.0.0.4"})
		if !errors.Is(err, core.ErrNeedTOTP) {
			t.Fatalf("err = %v, want ErrNeedTOTP", err)
		}
		env.Clock.Advance(31 * time.Second)
		next, _ := auth.TOTPCode(setup.Secret, env.Clock.Now())
		if _, err := c.StaffLogin(ctx, core.StaffLoginInput{Username: rev.Staff.Username, Password: consoletest.Password, TOTP: next, IP: "10.0.0.4"}); err != nil {
			t.Fatal(err)
		}
		if _, err := c.StaffLogin(ctx, core.StaffLoginInput{Username: rev.Staff.Username, Password: consoletest.Password, TOTP: next, IP: "10.0.0.4"}); err == nil {
			t.Fatal("a TOTP code was accepted twice")
		}
	})
}

func TestConsole_TwoReviewersOnePhoto(t *testing.T) {
	env := consoletest.New(t)
	sch := env.School("湖南师范大学")
	task := env.Task(sch.ID, xiaoxiang.LinkByDocument)
	st := env.Student(task, "丁白云", "文学院", "汉语言1班")
	sub := env.Submit(st, "pass")
	a := env.Staff(xiaoxiang.RoleReviewer, 0)
	b := env.Staff(xiaoxiang.RoleReviewer, sch.ID)
	c := env.Console

	// Both race for the next photo: exactly one wins.
	var wg sync.WaitGroup
	ids := make([]int64, 2)
	errs := make([]error, 2)
	for i, r := range []*core.Actor{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids[i], errs[i] = c.ClaimNext(ctx, r, core.QueueFilter{}, nil)
		}()
	}
	wg.Wait()
	if errs[0] != nil || errs[1] != nil {
		t.Fatal(errs)
	}
	if (ids[0] == sub.ID) == (ids[1] == sub.ID) {
		t.Fatalf("claims = %v, want exactly one to get %d", ids, sub.ID)
	}
	winner, loser := a, b
	if ids[1] == sub.ID {
		winner, loser = b, a
	}
	if err := c.Claim(ctx, loser, sub.ID); code(err) != xiaoxiang.ECONFLICT {
		t.Fatalf("second claim: %v", err)
	}
	if err := c.Decide(ctx, loser, sub.ID, core.Decision{Approve: true}); code(err) != xiaoxiang.ECONFLICT {
		t.Fatalf("second reviewer decided a locked photo: %v", err)
	}
	if err := c.Decide(ctx, winner, sub.ID, core.Decision{Approve: true}); err != nil {
		t.Fatal(err)
	}
	if err := c.Decide(ctx, winner, sub.ID, core.Decision{Approve: false, Reasons: []string{"blurry"}}); code(err) != xiaoxiang.ECONFLICT {
		t.Fatalf("approved photo decided again: %v", err)
	}
	got := env.Submission(sub.ID)
	if got.Status != xiaoxiang.SubmissionApproved || got.ReviewerID != winner.Staff.ID || got.ClaimedBy != 0 {
		t.Fatalf("submission = %+v", got.Submission)
	}
	// A lock expires: after ClaimTTL another reviewer may take a photo.
	st2 := env.Student(task, "王小明", "文学院", "汉语言1班")
	sub2 := env.Submit(st2, "pass")
	if err := c.Claim(ctx, a, sub2.ID); err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(11 * time.Minute)
	if err := c.Claim(ctx, b, sub2.ID); err != nil {
		t.Fatalf("expired lock not released: %v", err)
	}
}

func TestConsole_ReviewCycleAndDelivery(t *testing.T) {
	env := consoletest.New(t, consoletest.Options{Console: core.ConsoleOptions{PartBytes: 64 << 10}})
	sch := env.School("湖南师范大学")
	task := env.Task(sch.ID, xiaoxiang.LinkByDocument)
	rev := env.Staff(xiaoxiang.RoleReviewer, 0)
	adm := env.Staff(xiaoxiang.RoleSchoolAdmin, sch.ID)
	c := env.Console
	var students []*consoletest.Student
	for i, name := range []string{"丁白云", "王小明", "李四", "赵六", "陈思", "刘洋", "周敏", "吴刚"} {
		s := env.Student(task, name, []string{"文学院", "理学院"}[i%2], "1班")
		env.Submit(s, "pass")
		students = append(students, s)
	}
	s0 := students[0]

	// Reject with reasons; the student's notification carries the advice.
	if err := c.Decide(ctx, rev, s0.Sub.ID, core.Decision{Reasons: []string{"background", "nonsense"}}); code(err) != xiaoxiang.EINVALID {
		t.Fatalf("unknown reason accepted: %v", err)
	}
	if err := c.Decide(ctx, rev, s0.Sub.ID, core.Decision{}); code(err) != xiaoxiang.EINVALID {
		t.Fatalf("reject without reason accepted: %v", err)
	}
	if err := c.Decide(ctx, rev, s0.Sub.ID, core.Decision{Reasons: []string{"background"}, Note: "请换深色上衣"}); err != nil {
		t.Fatal(err)
	}
	ns := env.Notifications(s0.Account.ID)
	if len(ns) != 1 || ns[0].Title != "照片审核未通过" || !strings.Contains(ns[0].Body, "衣服颜色与背景接近") || !strings.Contains(ns[0].Body, "请换深色上衣") {
		t.Fatalf("notifications = %+v", ns)
	}
	var jobs []*sqldb.Job
	env.DB.View(ctx, func(tx *sqldb.Tx) error { jobs, _ = tx.FindJobs(ctx, core.JobNotify, 10); return nil })
	if len(jobs) != 1 {
		t.Fatalf("notify jobs = %d, want 1", len(jobs))
	}
	// Resubmit, then approve everything clean in one batch.
	env.Submit(s0, "pass")
	ids := []int64{}
	for _, s := range students {
		ids = append(ids, s.Sub.ID)
	}
	res, err := c.BatchApprove(ctx, rev, ids)
	if err != nil || res.Approved != len(students) {
		t.Fatalf("batch = %+v, %v", res, err)
	}
	var events []*xiaoxiang.SubmissionEvent
	env.DB.View(ctx, func(tx *sqldb.Tx) error { events, _ = tx.FindSubmissionEvents(ctx, s0.Sub.ID); return nil })
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action)
	}
	if strings.Join(actions, ",") != "submit,reject,resubmit,approve" {
		t.Fatalf("events = %v", actions)
	}

	// Export: zip parts + manifest; names and hashes must match.
	p, err := c.CreatePackage(ctx, adm, task.ID, core.PackageFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := c.RunPackageJobs(ctx, 5); err != nil || n != 1 {
		t.Fatalf("run package jobs: %d %v", n, err)
	}
	p, err = c.Package(ctx, adm, p.ID)
	if err != nil || p.State != core.PackageReady || p.Count != len(students) {
		t.Fatalf("package = %+v, %v", p, err)
	}
	if len(p.Parts) < 2 {
		t.Fatalf("parts = %d, want the package split (PartBytes 64 KiB)", len(p.Parts))
	}
	files := map[string]string{} // name → sha256
	for _, part := range p.Parts {
		body := download(t, c, adm, p.ID, part.Name)
		zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
		if err != nil {
			t.Fatal(err)
		}
		if part.Size != int64(len(body)) || part.Size > 64<<10 {
			t.Errorf("part %s: %d bytes, listed %d", part.Name, len(body), part.Size)
		}
		for _, f := range zr.File {
			if strings.HasPrefix(f.Name, "manifest.") {
				continue
			}
			r, _ := f.Open()
			b, _ := io.ReadAll(r)
			sum := sha256.Sum256(b)
			files[f.Name] = hex.EncodeToString(sum[:])
		}
	}
	var csvName string
	for _, m := range p.Manifests {
		if strings.HasSuffix(m.Name, ".csv") {
			csvName = m.Name
		}
	}
	manifest := download(t, c, adm, p.ID, csvName)
	recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(manifest, []byte("\ufeff")))).ReadAll()
	if err != nil || len(recs) != len(students)+1 {
		t.Fatalf("manifest rows = %d, %v", len(recs), err)
	}
	for _, s := range students {
		name := s.Doc + ".jpg"
		sum := sha256.Sum256(s.JPEG)
		if files[name] != hex.EncodeToString(sum[:]) {
			t.Errorf("%s: zip hash %q, want the submitted photo", name, files[name])
		}
	}
	if len(files) != len(students) {
		t.Fatalf("zip parts hold %d photos, want %d", len(files), len(students))
	}
	for _, r := range recs[1:] {
		if files[r[3]] != r[10] {
			t.Errorf("manifest %s sha %s, zip %s", r[3], r[10], files[r[3]])
		}
	}
	if len(env.Audit("export_package")) != 1 || env.Audit("export_package")[0].Count != len(students) {
		t.Fatalf("export not audited with its count: %+v", env.Audit("export_package"))
	}
	// An expired link no longer works.
	link, _, _ := c.DownloadLink(ctx, adm, p.ID, p.Parts[0].Name)
	env.Clock.Advance(25 * time.Hour)
	if _, err := c.OpenDownload(ctx, strings.TrimPrefix(link, "/dl/"), ""); code(err) != xiaoxiang.ENOTFOUND {
		t.Fatalf("expired link: %v", err)
	}
	// Mark delivered: every photo moves to 已交付 and the student is told.
	n, err := c.MarkDelivered(ctx, adm, p.ID)
	if err != nil || n != len(students) {
		t.Fatalf("delivered %d, %v", n, err)
	}
	if got := env.Submission(s0.Sub.ID); got.Status != xiaoxiang.SubmissionDelivered || got.PackageID != p.ID {
		t.Fatalf("status = %s", got.Status)
	}
	if ns := env.Notifications(s0.Account.ID); ns[0].Title != "照片已交付学校" {
		t.Fatalf("no delivery notification: %+v", ns[0])
	}
	if _, err := c.MarkDelivered(ctx, adm, p.ID); code(err) != xiaoxiang.ECONFLICT {
		t.Fatalf("delivered twice: %v", err)
	}
}

func download(t *testing.T, c *core.Console, a *core.Actor, id int64, name string) []byte {
	t.Helper()
	link, _, err := c.DownloadLink(ctx, a, id, name)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.OpenDownload(ctx, strings.TrimPrefix(link, "/dl/"), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Body.Close()
	b, _ := io.ReadAll(d.Body)
	return b
}

func TestConsole_SchoolIsolation(t *testing.T) {
	env := consoletest.New(t)
	a := env.School("甲大学")
	b := env.School("乙大学")
	ta := env.Task(a.ID, xiaoxiang.LinkByDocument)
	st := env.Student(ta, "丁白云", "文学院", "1班")
	sub := env.Submit(st, "pass")
	admB := env.Staff(xiaoxiang.RoleSchoolAdmin, b.ID)
	revB := env.Staff(xiaoxiang.RoleReviewer, b.ID)
	collegeAdm := env.Staff(xiaoxiang.RoleSchoolAdmin, a.ID, "理学院")
	c := env.Console

	checks := map[string]error{}
	_, checks["task"] = c.Task(ctx, admB, ta.ID)
	_, checks["progress"] = c.Progress(ctx, admB, ta.ID, "college", "", "")
	_, _, checks["students"] = c.Students(ctx, admB, ta.ID, core.StudentQuery{})
	_, checks["review"] = c.Review(ctx, revB, sub.ID)
	checks["claim"] = c.Claim(ctx, revB, sub.ID)
	checks["decide"] = c.Decide(ctx, revB, sub.ID, core.Decision{Approve: true})
	_, checks["reveal"] = c.RevealDocument(ctx, admB, st.Entry.ID)
	_, checks["reveal college"] = c.RevealDocument(ctx, collegeAdm, st.Entry.ID)
	_, checks["package"] = c.CreatePackage(ctx, admB, ta.ID, core.PackageFilter{})
	_, checks["photo"] = c.OpenReviewPhoto(ctx, revB, sub.ID, core.ReviewPhotoStandardized)
	_, checks["tasks"] = c.Tasks(ctx, admB, a.ID)
	_, checks["import"] = c.ImportRoster(ctx, admB, ta.ID, strings.NewReader("姓名,证件号码\n"))
	checks["status"] = c.SetTaskStatus(ctx, admB, ta.ID, xiaoxiang.TaskClosed)
	_, checks["schools"] = c.Schools(ctx, admB)
	for name, err := range checks {
		if c := code(err); c != xiaoxiang.ENOTFOUND && c != xiaoxiang.EFORBIDDEN {
			t.Errorf("%s: err = %v, want not found or forbidden", name, err)
		}
	}
	items, total, err := c.ReviewQueue(ctx, revB, core.QueueFilter{})
	if err != nil || total != 0 || len(items) != 0 {
		t.Fatalf("school B reviewer sees %d items of school A", total)
	}
	if id, _ := c.ClaimNext(ctx, revB, core.QueueFilter{}, nil); id != 0 {
		t.Fatal("school B reviewer claimed school A's photo")
	}
	// The college-scoped admin sees only their college's rows.
	rows, total, err := c.Students(ctx, collegeAdm, ta.ID, core.StudentQuery{})
	if err != nil || total != 0 || len(rows) != 0 {
		t.Fatalf("college admin sees %d rows of another college (%v)", total, err)
	}
}

func TestConsole_ImportRoster(t *testing.T) {
	env := consoletest.New(t)
	sch := env.School("湖南师范大学")
	task := env.Task(sch.ID, xiaoxiang.LinkByDocument)
	adm := env.Staff(xiaoxiang.RoleSchoolAdmin, sch.ID)
	c := env.Console
	d1, d2 := consoletest.DocNumber(1), consoletest.DocNumber(2)
	csvFile := "姓名,证件类型,证件号码,学号,学院,专业,班级\n" +
		"丁白云,居民身份证," + d1 + ",2023001,文学院,汉语言文学,1班\n" +
		"王小明,居民身份证,110105199001010000,2023002,文学院,汉语言文学,1班\n" + // bad check digit
		"李四,居民身份证," + d2 + ",2023003,理学院,数学,2班\n" +
		",居民身份证," + consoletest.DocNumber(3) + ",2023004,理学院,数学,2班\n" // no name
	rep, err := c.ImportRoster(ctx, adm, task.ID, strings.NewReader(csvFile))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Created != 2 || rep.Parsed.ErrorRows() != 2 {
		t.Fatalf("created %d, error rows %d, issues %+v", rep.Created, rep.Parsed.ErrorRows(), rep.Parsed.Issues)
	}
	for _, is := range rep.Parsed.Issues {
		if strings.Contains(is.Message, "110105199001010000") {
			t.Fatalf("issue message leaks the document number: %s", is.Message)
		}
	}
	// Upsert: the same people again, one moved class.
	again := "姓名,证件号码,学号,学院,专业,班级\n丁白云," + d1 + ",2023001,文学院,汉语言文学,3班\n"
	rep, err = c.ImportRoster(ctx, adm, task.ID, strings.NewReader(again))
	if err != nil || rep.Created != 0 || rep.Updated != 1 {
		t.Fatalf("upsert: %+v %v", rep, err)
	}
	rows, total, _ := c.Students(ctx, adm, task.ID, core.StudentQuery{Class: "3班"})
	if total != 1 || rows[0].Name != "丁白云" {
		t.Fatalf("class after upsert: %d", total)
	}
	full, err := c.RevealDocument(ctx, adm, rows[0].EntryID)
	if err != nil || full != d1 {
		t.Fatalf("reveal: %v", err)
	}
	if len(env.Audit("reveal_document")) != 1 {
		t.Fatal("reveal not audited")
	}
	// Malformed files answer a Chinese sentence.
	for name, body := range map[string]string{
		"not a roster": "\x00\x01\x02binary",
		"no columns":   "foo,bar\n1,2\n",
	} {
		_, err := c.ImportRoster(ctx, adm, task.ID, strings.NewReader(body))
		if code(err) != xiaoxiang.EINVALID || xiaoxiang.ErrorMessage(err) == "" {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestConsole_ImportRosterPhotos(t *testing.T) {
	env := consoletest.New(t)
	sch := env.School("湖南师范大学")
	task := env.Task(sch.ID, xiaoxiang.LinkByDocument)
	adm := env.Staff(xiaoxiang.RoleSchoolAdmin, sch.ID)
	byDoc := env.Student(task, "丁白云", "文学院", "1班")
	byNo := env.Student(task, "王小明", "文学院", "1班")
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range map[string][]byte{
		"照片/" + strings.ToLower(byDoc.Doc) + ".jpg": consoletest.JPEG(1),
		byNo.Entry.StudentNo + ".jpg":               consoletest.JPEG(2),
		"99999999.jpg":                              consoletest.JPEG(3),
		"readme.txt":                                []byte("not a photo"),
	} {
		w, _ := zw.Create(name)
		w.Write(data)
	}
	zw.Close()
	rep, err := env.Console.ImportRosterPhotos(ctx, adm, task.ID, bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Matched != 2 || len(rep.Unmatched) != 1 || len(rep.Skipped) != 1 {
		t.Fatalf("report = %+v", rep)
	}
	sub := env.Submit(byDoc, "pass")
	rc, err := env.Console.OpenReviewPhoto(ctx, adm, sub.ID, core.ReviewPhotoRoster)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, consoletest.JPEG(1)) {
		t.Fatal("roster photo is not the uploaded one")
	}
	if _, err := env.Console.ImportRosterPhotos(ctx, adm, task.ID, strings.NewReader("no zip"), 6); code(err) != xiaoxiang.EINVALID {
		t.Fatalf("not a zip: %v", err)
	}
}

func TestConsole_NotifyDeadlines(t *testing.T) {
	env := consoletest.New(t)
	sch := env.School("湖南师范大学")
	task := env.Task(sch.ID, xiaoxiang.LinkByDocument) // closes in 30 days
	idle := env.Student(task, "丁白云", "文学院", "1班")
	done := env.Student(task, "王小明", "文学院", "1班")
	env.Submit(done, "pass")
	if n, err := env.Console.NotifyDeadlines(ctx, 48*time.Hour); err != nil || n != 0 {
		t.Fatalf("a month before: %d %v", n, err)
	}
	env.Clock.Advance(29 * 24 * time.Hour)
	if n, err := env.Console.NotifyDeadlines(ctx, 48*time.Hour); err != nil || n != 1 {
		t.Fatalf("two days before: %d %v", n, err)
	}
	if n, _ := env.Console.NotifyDeadlines(ctx, 48*time.Hour); n != 0 {
		t.Fatalf("reminded twice: %d", n)
	}
	ns := env.Notifications(idle.Account.ID)
	if len(ns) != 1 || ns[0].Kind != core.NotifyDeadline || !strings.Contains(ns[0].Body, "截止") {
		t.Fatalf("notifications = %+v", ns)
	}
	if len(env.Notifications(done.Account.ID)) != 0 {
		t.Fatal("a student with a photo in review was reminded")
	}
}

type fakeRefunder struct{ calls []payment.RefundRequest }

func (f *fakeRefunder) Refund(ctx context.Context, r payment.RefundRequest) (payment.RefundResult, error) {
	f.calls = append(f.calls, r)
	return payment.RefundResult{OutRefundNo: r.OutRefundNo, OutTradeNo: r.OutTradeNo, RefundID: "50000001", Status: payment.RefundSuccess,
		Refund: r.Refund, Total: r.Total, SuccessTime: time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)}, nil
}

func TestConsole_Refunds(t *testing.T) {
	rf := &fakeRefunder{}
	env := consoletest.New(t, consoletest.Options{Console: core.ConsoleOptions{Refunder: rf}})
	sch := env.School("湖南师范大学")
	other := env.School("乙大学")
	task := env.Task(sch.ID, xiaoxiang.LinkByDocument)
	st := env.Student(task, "丁白云", "文学院", "1班")
	unpaid := env.Student(task, "王小明", "文学院", "1班")
	adm := env.Staff(xiaoxiang.RoleSchoolAdmin, sch.ID)
	admB := env.Staff(xiaoxiang.RoleSchoolAdmin, other.ID)
	op := env.Staff(xiaoxiang.RoleOperator, 0)
	var order *sqldb.OrderRow
	err := env.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		order = &sqldb.OrderRow{Order: xiaoxiang.Order{OutTradeNo: "XXTEST000001", AccountID: st.Account.ID, BindingID: st.Binding.ID, TaskID: task.ID,
			SchoolID: sch.ID, AmountFen: 1500}, RosterEntryID: st.Entry.ID, AppID: "wxapp", MchID: "1900000001"}
		if err := tx.CreateOrder(ctx, order); err != nil {
			return err
		}
		_, err := tx.MarkOrderPaid(ctx, order.ID, "4200000001", "openid", tx.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c := env.Console
	if err := c.RequestRefund(ctx, admB, st.Entry.ID, "重复缴费"); code(err) != xiaoxiang.ENOTFOUND {
		t.Fatalf("other school's refund request: %v", err)
	}
	if err := c.RequestRefund(ctx, adm, unpaid.Entry.ID, "重复缴费"); code(err) != xiaoxiang.ECONFLICT {
		t.Fatalf("unpaid refund request: %v", err)
	}
	if err := c.RequestRefund(ctx, adm, st.Entry.ID, ""); code(err) != xiaoxiang.EINVALID {
		t.Fatalf("no reason: %v", err)
	}
	if err := c.RequestRefund(ctx, adm, st.Entry.ID, "学生重复缴费"); err != nil {
		t.Fatal(err)
	}
	if err := c.DecideRefund(ctx, adm, order.ID, true); code(err) != xiaoxiang.EFORBIDDEN {
		t.Fatalf("school admin approved a refund: %v", err)
	}
	rows, err := c.Refunds(ctx, adm)
	if err != nil || len(rows) != 1 || rows[0].RefundStatus != "" || rows[0].OrderStatus != xiaoxiang.OrderPaid {
		t.Fatalf("requests = %+v %v", rows, err)
	}
	if rows, _ := c.Refunds(ctx, admB); len(rows) != 0 {
		t.Fatal("school B sees school A's refunds")
	}
	if err := c.DecideRefund(ctx, op, order.ID, true); err != nil {
		t.Fatal(err)
	}
	if len(rf.calls) != 1 || rf.calls[0].Refund != 1500 || rf.calls[0].Reason != "学生重复缴费" {
		t.Fatalf("refund calls = %+v", rf.calls)
	}
	rows, _ = c.Refunds(ctx, op)
	if rows[0].OrderStatus != xiaoxiang.OrderRefunded || rows[0].RefundStatus != payment.RefundSuccess {
		t.Fatalf("after approval: %+v", rows[0])
	}
	if err := c.DecideRefund(ctx, op, order.ID, true); code(err) != xiaoxiang.ECONFLICT {
		t.Fatalf("approved twice: %v", err)
	}
	if ns := env.Notifications(st.Account.ID); len(ns) == 0 || ns[0].Title != "退款处理中" {
		t.Fatalf("student not told: %+v", ns)
	}
}

func TestConsole_ManualEntry(t *testing.T) {
	env := consoletest.New(t)
	sch := env.School("湖南师范大学")
	task := env.Task(sch.ID, xiaoxiang.LinkByDocument)
	adm := env.Staff(xiaoxiang.RoleSchoolAdmin, sch.ID)
	var entries []*xiaoxiang.RosterEntry
	var accounts []*xiaoxiang.Account
	var bindings []*xiaoxiang.Binding
	err := env.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		for i, name := range []string{"丁白云", "王小明"} {
			e := &xiaoxiang.RosterEntry{SchoolID: sch.ID, TaskID: task.ID, Name: name, StudentNo: fmt.Sprintf("M%d", i), College: "文学院",
				Source: xiaoxiang.RosterManual, Manual: xiaoxiang.ManualPending}
			if err := tx.CreateRosterEntry(ctx, e); err != nil {
				return err
			}
			acc := &xiaoxiang.Account{OpenID: fmt.Sprintf("manual-%d", i)}
			if err := tx.CreateAccount(ctx, acc); err != nil {
				return err
			}
			b := &xiaoxiang.Binding{AccountID: acc.ID, RosterEntryID: e.ID, TaskID: task.ID, SchoolID: sch.ID, Status: xiaoxiang.BindingPending}
			if err := tx.CreateBinding(ctx, b); err != nil {
				return err
			}
			entries, accounts, bindings = append(entries, e), append(accounts, acc), append(bindings, b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	c := env.Console
	list, err := c.ManualEntries(ctx, adm, task.ID)
	if err != nil || len(list) != 2 {
		t.Fatalf("pending = %d, %v", len(list), err)
	}
	if err := c.DecideManualEntry(ctx, adm, entries[1].ID, false, ""); code(err) != xiaoxiang.EINVALID {
		t.Fatalf("reject without reason: %v", err)
	}
	if err := c.DecideManualEntry(ctx, adm, entries[0].ID, true, ""); err != nil {
		t.Fatal(err)
	}
	if err := c.DecideManualEntry(ctx, adm, entries[1].ID, false, "查无此人，请联系学院核对学籍"); err != nil {
		t.Fatal(err)
	}
	if err := c.DecideManualEntry(ctx, adm, entries[0].ID, false, "x"); code(err) != xiaoxiang.ECONFLICT {
		t.Fatalf("decided twice: %v", err)
	}
	env.DB.View(ctx, func(tx *sqldb.Tx) error {
		for i, want := range []xiaoxiang.BindingStatus{xiaoxiang.BindingLinked, xiaoxiang.BindingRejected} {
			b, _ := tx.FindBindingByID(ctx, bindings[i].ID)
			if b.Status != want {
				t.Errorf("binding %d: %s, want %s", i, b.Status, want)
			}
		}
		return nil
	})
	if ns := env.Notifications(accounts[1].ID); len(ns) != 1 || !strings.Contains(ns[0].Body, "查无此人") {
		t.Fatalf("rejected student's notification: %+v", ns)
	}
	if list, _ := c.ManualEntries(ctx, adm, task.ID); len(list) != 0 {
		t.Fatalf("still pending: %d", len(list))
	}
}

type fakeSender struct {
	mu   sync.Mutex
	sent []core.SubscribeMessage
	fail int
}

func (f *fakeSender) SendSubscribe(ctx context.Context, m core.SubscribeMessage) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		return errors.New("wechat: errcode 45015")
	}
	f.sent = append(f.sent, m)
	return nil
}

func TestConsole_NotifyJobs(t *testing.T) {
	snd := &fakeSender{fail: 1}
	env := consoletest.New(t, consoletest.Options{Console: core.ConsoleOptions{Sender: snd,
		Templates: map[string]core.SubscribeTemplate{core.NotifyReviewResult: {TemplateID: "tpl-review", TitleKey: "thing1", BodyKey: "thing2", TimeKey: "time3"}}}})
	sch := env.School("湖南师范大学")
	task := env.Task(sch.ID, xiaoxiang.LinkByDocument)
	rev := env.Staff(xiaoxiang.RoleReviewer, 0)
	withCredit := env.Student(task, "丁白云", "文学院", "1班")
	noCredit := env.Student(task, "王小明", "文学院", "1班")
	env.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		return tx.AddSubscriptionCredit(ctx, withCredit.Account.ID, core.NotifyReviewResult)
	})
	for _, s := range []*consoletest.Student{withCredit, noCredit} {
		env.Submit(s, "pass")
		if err := env.Console.Decide(ctx, rev, s.Sub.ID, core.Decision{Approve: true}); err != nil {
			t.Fatal(err)
		}
	}
	res, err := env.Console.RunNotifyJobs(ctx, 10)
	if err != nil || res.Retried != 1 || res.NoCredit != 1 {
		t.Fatalf("first run = %+v, %v", res, err)
	}
	env.Clock.Advance(time.Hour)
	res, err = env.Console.RunNotifyJobs(ctx, 10)
	if err != nil || res.Sent != 1 {
		t.Fatalf("second run = %+v, %v", res, err)
	}
	env.Clock.Advance(24 * time.Hour)
	res, _ = env.Console.RunNotifyJobs(ctx, 10)
	if res != (core.NotifyResult{}) || len(snd.sent) != 1 {
		t.Fatalf("resent: %+v, sent %d", res, len(snd.sent))
	}
	m := snd.sent[0]
	if m.AccountID != withCredit.Account.ID || m.TemplateID != "tpl-review" || m.Data["thing1"] != "照片审核通过" || m.Data["time3"] == "" {
		t.Fatalf("message = %+v", m)
	}
	var credits map[string]int
	env.DB.View(ctx, func(tx *sqldb.Tx) error { credits, _ = tx.SubscriptionCredits(ctx, withCredit.Account.ID); return nil })
	if credits[core.NotifyReviewResult] != 0 {
		t.Fatalf("credit not spent: %v", credits)
	}

	// A worker that died while sending: the job is discarded, never resent.
	env.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		return tx.AddSubscriptionCredit(ctx, withCredit.Account.ID, core.NotifyReviewResult)
	})
	err = env.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		if err := core.Notify(ctx, tx, &xiaoxiang.Notification{AccountID: withCredit.Account.ID, Kind: core.NotifyReviewResult, Title: "t"}); err != nil {
			return err
		}
		jobs, err := tx.ClaimJobs(ctx, []string{core.JobNotify}, env.Clock.Now(), time.Minute, 1)
		if err != nil || len(jobs) != 1 {
			return fmt.Errorf("claim: %v %d", err, len(jobs))
		}
		return tx.MarkJobRunningNote(ctx, jobs[0].ID, "sending")
	})
	if err != nil {
		t.Fatal(err)
	}
	env.Clock.Advance(2 * time.Minute)
	res, err = env.Console.RunNotifyJobs(ctx, 10)
	if err != nil || res.Discarded != 1 || len(snd.sent) != 1 {
		t.Fatalf("interrupted job: %+v, sent %d, %v", res, len(snd.sent), err)
	}
}
