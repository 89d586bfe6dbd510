// Package consoletest builds real test environments for the staff consoles:
// a migrated database (SQLite, or PostgreSQL when XIAOXIANG_TEST_POSTGRES is
// set), a disk bucket, a PII keyring, core.Service and core.Console, plus
// fixtures (schools, tasks, staff, students with submitted photos) created
// through the same stores the application uses.
package consoletest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/auth"
	"xiaoxiang/internal/blob"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/identity"
	"xiaoxiang/internal/sqldb"
	"xiaoxiang/internal/sqldb/sqldbtest"
)

// Env is one test environment.
type Env struct {
	TB      testing.TB
	DB      *sqldb.DB
	Bucket  blob.Bucket
	Keys    *identity.Keyring
	Core    *core.Service
	Console *core.Console
	Clock   *Clock
	seq     atomic.Int64
}

// Clock is a settable test clock.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Advance moves the clock.
func (c *Clock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// Options tune New.
type Options struct {
	Console core.ConsoleOptions
}

// New builds an environment cleaned up when the test ends.
func New(tb testing.TB, opts ...Options) *Env {
	tb.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	clock := &Clock{t: time.Date(2026, 3, 2, 2, 0, 0, 0, time.UTC)}
	db := sqldbtest.Open(tb, sqldb.Options{Now: clock.Now})
	bucket, err := blob.NewDisk(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	master := bytes.Repeat([]byte{7}, 32)
	keys, err := identity.NewKeyring(1, map[uint32][]byte{1: master})
	if err != nil {
		tb.Fatal(err)
	}
	svc := core.New(db, bucket, keys, nil, core.Options{Now: clock.Now})
	if o.Console.Throttle == nil {
		o.Console.Throttle = auth.NewThrottle(auth.ThrottleConfig{Now: clock.Now})
	}
	return &Env{TB: tb, DB: db, Bucket: bucket, Keys: keys, Core: svc, Console: core.NewConsole(svc, o.Console), Clock: clock}
}

func (e *Env) must(err error) {
	e.TB.Helper()
	if err != nil {
		e.TB.Fatal(err)
	}
}

// School creates a school.
func (e *Env) School(name string) *xiaoxiang.School {
	e.TB.Helper()
	n := e.seq.Add(1)
	s := &xiaoxiang.School{Name: name, Code: fmt.Sprintf("%05d", 10000+n), SupportPhone: "0731-88888888"}
	e.must(e.DB.InTx(context.Background(), func(tx *sqldb.Tx) error { return tx.CreateSchool(context.Background(), s) }))
	return s
}

// Task creates an open task of the school (document mode, free).
func (e *Env) Task(schoolID int64, mode xiaoxiang.LinkMode) *xiaoxiang.Task {
	e.TB.Helper()
	now := e.Clock.Now()
	key := xiaoxiang.ExportByDocument
	if mode == xiaoxiang.LinkByStudentNo {
		key = xiaoxiang.ExportByStudentNo
	}
	t := &xiaoxiang.Task{SchoolID: schoolID, Category: xiaoxiang.CategoryUndergrad, Title: "2026年学历照片采集", Grade: "2026届",
		Status: xiaoxiang.TaskOpen, OpensAt: now.Add(-24 * time.Hour), ClosesAt: now.Add(30 * 24 * time.Hour), LinkMode: mode,
		AllowAlbum: true, FreeResubmissions: 2, ReplacementsBeforeReview: 1, ExportKey: key}
	e.must(e.DB.InTx(context.Background(), func(tx *sqldb.Tx) error { return tx.CreateTask(context.Background(), t) }))
	return t
}

// Password is the password of every fixture staff account.
const Password = "test-pass-2026"

var hashOnce = sync.OnceValues(func() (string, error) { return auth.HashPassword(Password) })

// Staff creates a staff account and returns it as an actor.
func (e *Env) Staff(role xiaoxiang.Role, schoolID int64, colleges ...string) *core.Actor {
	e.TB.Helper()
	h, err := hashOnce()
	e.must(err)
	n := e.seq.Add(1)
	st := &xiaoxiang.Staff{Username: fmt.Sprintf("%s%d", role, n), DisplayName: role.Label(), PasswordHash: h, Role: role,
		SchoolID: schoolID, Colleges: colleges}
	e.must(e.DB.InTx(context.Background(), func(tx *sqldb.Tx) error { return tx.CreateStaff(context.Background(), st) }))
	return &core.Actor{Staff: st, P: auth.Principal{StaffID: st.ID, Role: auth.Role(role), SchoolID: schoolID, Colleges: colleges}, IP: "127.0.0.1"}
}

// Student is a roster entry with a linked account.
type Student struct {
	Entry   *xiaoxiang.RosterEntry
	Account *xiaoxiang.Account
	Binding *xiaoxiang.Binding
	Doc     string
	Sub     *sqldb.SubmissionRow
	Attempt *sqldb.AttemptRow
	JPEG    []byte
}

// DocNumber returns a valid resident ID number for seq n.
func DocNumber(n int64) string {
	d17 := fmt.Sprintf("11010519900101%03d", n%1000)
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := range 17 {
		sum += int(d17[i]-'0') * w[i]
	}
	return d17 + string("10X98765432"[sum%11])
}

// Student creates a roster entry (document sealed like an import), an
// account and a linked binding.
func (e *Env) Student(t *xiaoxiang.Task, name, college, class string) *Student {
	e.TB.Helper()
	ctx := context.Background()
	n := e.seq.Add(1)
	doc := DocNumber(n)
	sd, err := e.Console.SealRosterDocument(identity.KindResidentID, doc)
	e.must(err)
	s := &Student{Doc: doc}
	e.must(e.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		s.Entry = &xiaoxiang.RosterEntry{SchoolID: t.SchoolID, TaskID: t.ID, Name: name, DocKind: string(sd.Kind), DocCipher: sd.Cipher,
			DocIndex: sd.Index, DocLast4: sd.Last4, StudentNo: fmt.Sprintf("2026%06d", n), College: college, Major: "汉语言文学", Class: class}
		if err := tx.CreateRosterEntry(ctx, s.Entry); err != nil {
			return err
		}
		s.Account = &xiaoxiang.Account{OpenID: fmt.Sprintf("openid-%d", n), Nickname: name}
		if err := tx.CreateAccount(ctx, s.Account); err != nil {
			return err
		}
		s.Binding = &xiaoxiang.Binding{AccountID: s.Account.ID, RosterEntryID: s.Entry.ID, TaskID: t.ID, SchoolID: t.SchoolID, Status: xiaoxiang.BindingLinked}
		return tx.CreateBinding(ctx, s.Binding)
	}))
	return s
}

// JPEG returns a distinct 480×640 portrait-like JPEG for seed n: a light-blue
// background, dark shoulders and a face-coloured head (for screenshots and
// hash checks; not a real face).
func JPEG(n int64) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 480, 640))
	bg := color.RGBA{100, 197, 255, 255}
	shirt := color.RGBA{uint8(30 + n%5*10), 40, 60, 255}
	skin := color.RGBA{236, uint8(190 + n%7), 160, 255}
	hair := color.RGBA{30, 25, 20, 255}
	for y := range 640 {
		for x := range 480 {
			c := bg
			dx, dy := float64(x-240)/115, float64(y-250)/150
			hx, hy := float64(x-240)/125, float64(y-215)/140
			switch {
			case y > 470 && (x-240)*(x-240) < (y-400)*(y-400)*4:
				c = shirt
			case dx*dx+dy*dy <= 1:
				c = skin
			case hx*hx+hy*hy <= 1 && y < 250:
				c = hair
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 85})
	return b.Bytes()
}

// ReportJSON and ResultJSON are what the photo pipeline stores for a clean
// photo (the ten seed items and the output measures).
const (
	ReportJSON = `{"profile":"chsi-blue","verdict":"pass","checks":[` +
		`{"id":"orientation","name":"人脸方向","value":2.1,"unit":"°","range":"≤ 10°","verdict":"pass"},` +
		`{"id":"proportion","name":"脸部占比","value":0.48,"range":"0.38–0.62","verdict":"pass"},` +
		`{"id":"head","name":"头部完整","value":1,"range":"完整","verdict":"pass"},` +
		`{"id":"face","name":"人脸完整","value":1,"range":"完整","verdict":"pass"},` +
		`{"id":"blur","name":"人脸模糊","value":0.12,"range":"≤ 0.35","verdict":"pass"},` +
		`{"id":"shoulders_level","name":"肩膀齐平","value":1.5,"unit":"°","range":"≤ 5°","verdict":"pass"},` +
		`{"id":"shoulders","name":"检测肩膀","value":1,"range":"检测到","verdict":"pass"},` +
		`{"id":"brightness","name":"脸部亮度","value":168,"range":"90–220","verdict":"pass"},` +
		`{"id":"eyes","name":"眼部遮挡","value":0,"range":"无遮挡","verdict":"pass"},` +
		`{"id":"mouth","name":"嘴巴状态","value":0.05,"range":"闭合","verdict":"pass"}]}`
	ResultJSON = `{"quality":85,"verdict":"pass","output":{"width":480,"height":640,"bytes":31000,"quality":85,"dpi":300,` +
		`"head_top":75,"eye_line":245,"face_width":230,"centre_offset":0,"bg_delta_e":1.2,"bg_delta_e_95":2.5},` +
		`"verify":[{"id":"out_size","name":"文件大小","value":30.3,"unit":"KB","range":"20–40 KB","verdict":"pass"}]}`
)

// Submit stores a standardized photo for the student and submits it for
// review (status pending), as the student flow does.
func (e *Env) Submit(s *Student, verdict string) *sqldb.SubmissionRow {
	e.TB.Helper()
	ctx := context.Background()
	n := e.seq.Add(1)
	s.JPEG = JPEG(n)
	sum := sha256.Sum256(s.JPEG)
	key := fmt.Sprintf("standardized/test/%d.jpg", n)
	e.must(e.Bucket.Put(ctx, key, bytes.NewReader(s.JPEG)))
	okey := fmt.Sprintf("originals/test/%d.jpg", n)
	e.must(e.Bucket.Put(ctx, okey, bytes.NewReader(s.JPEG)))
	e.must(e.DB.InTx(ctx, func(tx *sqldb.Tx) error {
		a := &sqldb.AttemptRow{Attempt: xiaoxiang.Attempt{BindingID: s.Binding.ID, AccountID: s.Account.ID, TaskID: s.Binding.TaskID,
			OriginalKey: okey, Width: 480, Height: 640, Source: "camera", Verdict: verdict, ReportJSON: ReportJSON}, RosterEntryID: s.Entry.ID}
		if err := tx.CreateAttempt(ctx, a); err != nil {
			return err
		}
		a.StandardizedKey, a.SHA256, a.ResultJSON = key, hex.EncodeToString(sum[:]), ResultJSON
		if _, err := tx.SetAttemptStandardized(ctx, a); err != nil {
			return err
		}
		s.Attempt = a
		if s.Sub == nil {
			s.Sub = &sqldb.SubmissionRow{Submission: xiaoxiang.Submission{BindingID: s.Binding.ID, AccountID: s.Account.ID, TaskID: s.Binding.TaskID,
				SchoolID: s.Entry.SchoolID, AttemptID: a.ID, Status: xiaoxiang.SubmissionPending}, RosterEntryID: s.Entry.ID}
			if err := tx.CreateSubmission(ctx, s.Sub); err != nil {
				return err
			}
			return tx.CreateSubmissionEvent(ctx, &xiaoxiang.SubmissionEvent{SubmissionID: s.Sub.ID, Action: "submit", To: xiaoxiang.SubmissionPending, ActorKind: "student", ActorID: s.Account.ID})
		}
		// A resubmission after a rejection.
		sub, err := tx.FindSubmissionByID(ctx, s.Sub.ID, true)
		if err != nil {
			return err
		}
		if err := sub.CanResubmit(&xiaoxiang.Task{FreeResubmissions: 2}); err != nil {
			return err
		}
		from := sub.Status
		sub.AttemptID, sub.Status, sub.ResubmissionsUsed, sub.SubmittedAt = a.ID, xiaoxiang.SubmissionPending, sub.ResubmissionsUsed+1, tx.Now()
		if err := tx.UpdateSubmission(ctx, sub); err != nil {
			return err
		}
		s.Sub = sub
		return tx.CreateSubmissionEvent(ctx, &xiaoxiang.SubmissionEvent{SubmissionID: sub.ID, Action: "resubmit", From: from, To: xiaoxiang.SubmissionPending, ActorKind: "student", ActorID: s.Account.ID})
	}))
	e.Clock.Advance(time.Second)
	return s.Sub
}

// Submission reloads a submission.
func (e *Env) Submission(id int64) *sqldb.SubmissionRow {
	e.TB.Helper()
	var s *sqldb.SubmissionRow
	e.must(e.DB.View(context.Background(), func(tx *sqldb.Tx) error {
		var err error
		s, err = tx.FindSubmissionByID(context.Background(), id, false)
		return err
	}))
	return s
}

// Notifications lists an account's notifications, newest first.
func (e *Env) Notifications(accountID int64) []*xiaoxiang.Notification {
	e.TB.Helper()
	var out []*xiaoxiang.Notification
	e.must(e.DB.View(context.Background(), func(tx *sqldb.Tx) error {
		var err error
		out, err = tx.FindNotifications(context.Background(), accountID, 100)
		return err
	}))
	return out
}

// Audit lists audit entries with action (all when "").
func (e *Env) Audit(action string) []*xiaoxiang.AuditEntry {
	e.TB.Helper()
	var out []*xiaoxiang.AuditEntry
	e.must(e.DB.View(context.Background(), func(tx *sqldb.Tx) error {
		var err error
		out, err = tx.FindAuditEntries(context.Background(), sqldb.AuditFilter{Action: action, Limit: 1000})
		return err
	}))
	return out
}
