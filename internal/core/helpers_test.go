package core_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/blob"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/identity"
	"xiaoxiang/internal/sqldb"
	"xiaoxiang/internal/sqldb/sqldbtest"
)

// clock is a settable test clock shared by the DB and the service.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// testChecker is a TEST-ONLY stand-in for the photo pipeline: it accepts
// any JPEG, reports its size as a one-item report, and "standardizes" by
// scaling it into the profile's 480×640 frame on a light-blue background.
// The real pipeline is internal/photo (wired in internal/app).
type testChecker struct {
	failStandardize atomic.Int32 // > 0: the next n Standardize calls fail
	standardized    atomic.Int32
}

func (c *testChecker) Check(ctx context.Context, data []byte, p *xiaoxiang.SpecProfile) (*core.CheckResult, error) {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, xiaoxiang.WrapError(xiaoxiang.EINVALID, "无法识别的照片格式，请上传JPG照片。", err)
	}
	rep, _ := json.Marshal(map[string]any{"profile": p.ID, "items": []map[string]any{{"id": "face_direction", "name": "人脸方向", "verdict": "pass"}}})
	return &core.CheckResult{Width: cfg.Width, Height: cfg.Height, Verdict: "pass", Report: rep}, nil
}

func (c *testChecker) Standardize(ctx context.Context, data []byte, p *xiaoxiang.SpecProfile) (*core.StandardizeResult, error) {
	if c.failStandardize.Load() > 0 {
		c.failStandardize.Add(-1)
		return nil, errors.New("test: injected standardization failure")
	}
	src, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, xiaoxiang.WrapError(xiaoxiang.EINVALID, "无法识别的照片格式。", err)
	}
	dst := image.NewRGBA(image.Rect(0, 0, 480, 640))
	sb := src.Bounds()
	for y := 0; y < 640; y++ {
		for x := 0; x < 480; x++ {
			dst.Set(x, y, color.RGBA{100, 197, 255, 255})
			if x >= 40 && x < 440 && y >= 80 {
				dst.Set(x, y, src.At(sb.Min.X+(x-40)*sb.Dx()/400, sb.Min.Y+(y-80)*sb.Dy()/560))
			}
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, dst, &jpeg.Options{Quality: 80}); err != nil {
		return nil, err
	}
	c.standardized.Add(1)
	return &core.StandardizeResult{JPEG: buf.Bytes(), Result: json.RawMessage(`{"width":480,"height":640}`)}, nil
}

// testJPEG returns a small valid JPEG.
func testJPEG(t testing.TB, seed int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 300, 400))
	for y := 0; y < 400; y++ {
		for x := 0; x < 300; x++ {
			img.Set(x, y, color.RGBA{uint8(x + seed), uint8(y), uint8(seed * 7), 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// residentID completes 17 digits with the GB 11643 check character.
func residentID(first17 string) string {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * w[i]
	}
	return first17 + string("10X98765432"[sum%11])
}

// Document numbers used in the tests (valid GB 11643 resident IDs).
var (
	idDing = residentID("42040020060102030") // 丁白云
	idWang = residentID("11010519990307123") // 王小明
	idLi   = residentID("43010220010911456") // 李华
)

var start = time.Date(2026, 3, 10, 2, 0, 0, 0, time.UTC) // 10:00 in Shanghai

type env struct {
	t       *testing.T
	ctx     context.Context
	db      *sqldb.DB
	svc     *core.Service
	bucket  *blob.Disk
	checker *testChecker
	clock   *clock
	keys    *identity.Keyring
	opts    core.Options
	school  *xiaoxiang.School
	task    *xiaoxiang.Task // document mode, fee 20 元, manual entry allowed
}

func newEnv(t *testing.T, opts ...core.Options) *env {
	t.Helper()
	clk := &clock{t: start}
	db := sqldbtest.Open(t, sqldb.Options{Now: clk.Now})
	bucket, err := blob.NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	master := make([]byte, 32)
	rand.Read(master)
	keys, err := identity.NewKeyring(1, map[uint32][]byte{1: master})
	if err != nil {
		t.Fatal(err)
	}
	var o core.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	o.Now = clk.Now
	if o.AppID == "" {
		o.AppID, o.MchID = "wx5a3e9c1f00000001", "1900000109"
	}
	chk := &testChecker{}
	e := &env{t: t, ctx: context.Background(), db: db, bucket: bucket, checker: chk, clock: clk, keys: keys, opts: o}
	e.svc = core.New(db, bucket, keys, chk, o)
	e.school = e.createSchool("湖南师范大学", "10542", "hunanshifandaxue", "hnsfdx")
	e.task = e.createTask(func(t *xiaoxiang.Task) { t.FeeFen = 2000; t.AllowManualEntry = true })
	return e
}

// setOptions rebuilds the service with changed options (same DB, bucket, keys).
func (e *env) setOptions(mod func(o *core.Options)) {
	mod(&e.opts)
	e.svc = core.New(e.db, e.bucket, e.keys, e.checker, e.opts)
}

func (e *env) tx(fn func(tx *sqldb.Tx) error) {
	e.t.Helper()
	if err := e.db.InTx(e.ctx, fn); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) createSchool(name, code, py, ini string) *xiaoxiang.School {
	s := &xiaoxiang.School{Name: name, Code: code, Pinyin: py, Initials: ini}
	e.tx(func(tx *sqldb.Tx) error { return tx.CreateSchool(e.ctx, s) })
	return s
}

func (e *env) createTask(mod func(*xiaoxiang.Task)) *xiaoxiang.Task {
	t := &xiaoxiang.Task{SchoolID: e.school.ID, Category: xiaoxiang.CategoryAdult, Title: "2025年上半年学位申请图像采集", Grade: "2025年",
		Status: xiaoxiang.TaskOpen, OpensAt: start.Add(-48 * time.Hour), ClosesAt: start.Add(60 * 24 * time.Hour),
		LinkMode: xiaoxiang.LinkByDocument, AllowAlbum: true, FreeResubmissions: 2, ReplacementsBeforeReview: 1}
	if mod != nil {
		mod(t)
	}
	e.tx(func(tx *sqldb.Tx) error { return tx.CreateTask(e.ctx, t) })
	return t
}

// addStudent puts a student on a task's roster, sealing the document number.
func (e *env) addStudent(task *xiaoxiang.Task, name, doc, studentNo string) *xiaoxiang.RosterEntry {
	e.t.Helper()
	r := &xiaoxiang.RosterEntry{SchoolID: task.SchoolID, TaskID: task.ID, Name: name, StudentNo: studentNo, Grade: "2025年", College: "教育学院", Class: "2101"}
	if doc != "" {
		sd, err := e.svc.SealDocument(identity.KindResidentID, doc)
		if err != nil {
			e.t.Fatal(err)
		}
		r.DocKind, r.DocCipher, r.DocIndex, r.DocLast4 = string(sd.Kind), sd.Cipher, sd.Index, sd.Last4
	}
	e.tx(func(tx *sqldb.Tx) error { return tx.CreateRosterEntry(e.ctx, r) })
	return r
}

// student logs in a new WeChat user and gives both consents.
func (e *env) student(openid string) *xiaoxiang.Account {
	e.t.Helper()
	a, err := e.svc.Login(e.ctx, core.LoginInput{OpenID: openid, Nickname: "同学"})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, k := range []xiaoxiang.ConsentKind{xiaoxiang.ConsentIdentity, xiaoxiang.ConsentPhoto} {
		if err := e.svc.GiveConsent(e.ctx, a.ID, k); err != nil {
			e.t.Fatal(err)
		}
	}
	return a
}

// markPaid records a payment of the binding's fee as the payment
// notification handler would (through the OrderStore).
func (e *env) markPaid(b *xiaoxiang.Binding) {
	e.t.Helper()
	var task *xiaoxiang.Task
	e.tx(func(tx *sqldb.Tx) (err error) { task, err = tx.FindTaskByID(e.ctx, b.TaskID); return err })
	o := &sqldb.OrderRow{Order: xiaoxiang.Order{OutTradeNo: core.OutTradeNo(b.ID, 99), AccountID: b.AccountID, BindingID: b.ID, TaskID: b.TaskID,
		SchoolID: b.SchoolID, AmountFen: task.FeeFen}, RosterEntryID: b.RosterEntryID, AppID: "wx5a3e9c1f00000001", MchID: "1900000109"}
	e.tx(func(tx *sqldb.Tx) error { return tx.CreateOrder(e.ctx, o) })
	changed, err := e.svc.OrderStore().MarkPaid(e.ctx, paidTx(o))
	if err != nil || !changed {
		e.t.Fatalf("MarkPaid = %v, %v", changed, err)
	}
}

// linkedUnpaid returns a student linked to a new roster entry of e.task.
func (e *env) linkedUnpaid(openid, name, doc string) (*xiaoxiang.Account, *xiaoxiang.Binding) {
	e.t.Helper()
	e.addStudent(e.task, name, doc, "")
	a := e.student(openid)
	b, err := e.svc.Link(e.ctx, a.ID, e.task.ID, core.LinkInput{Name: name, DocNumber: doc})
	if err != nil {
		e.t.Fatal(err)
	}
	return a, b
}

// linked returns a student linked to a new roster entry of e.task, paid.
func (e *env) linked(openid, name, doc string) (*xiaoxiang.Account, *xiaoxiang.Binding) {
	e.t.Helper()
	a, b := e.linkedUnpaid(openid, name, doc)
	e.markPaid(b)
	return a, b
}

func sqldbOrder(b *xiaoxiang.Binding, no string, amount int64, created time.Time) xiaoxiang.Order {
	return xiaoxiang.Order{OutTradeNo: no, AccountID: b.AccountID, BindingID: b.ID, TaskID: b.TaskID, SchoolID: b.SchoolID, AmountFen: amount, CreatedAt: created}
}

// photo uploads and standardizes a photo; it returns the attempt.
func (e *env) photo(a *xiaoxiang.Account, b *xiaoxiang.Binding, seed int) *xiaoxiang.Attempt {
	e.t.Helper()
	v, err := e.svc.Upload(e.ctx, a.ID, b.ID, core.UploadInput{Data: bytes.NewReader(testJPEG(e.t, seed)), Source: "camera"})
	if err != nil {
		e.t.Fatal(err)
	}
	v, err = e.svc.Standardize(e.ctx, a.ID, v.Attempt.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	return v.Attempt
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if got := xiaoxiang.ErrorCode(err); got != code {
		t.Fatalf("%s: err = %v (code %q), want code %q", what, err, got, code)
	}
	if code != "" && code != xiaoxiang.EINTERNAL {
		var de *xiaoxiang.Error
		if !errors.As(err, &de) || de.Message == "" {
			t.Fatalf("%s: no Chinese message in %v", what, err)
		}
	}
}

// must(f())(t) returns f's value or fails the test with its error.
func must[T any](v T, err error) func(t *testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

var _ = fmt.Sprint
