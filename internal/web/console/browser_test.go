package console_test

import (
	"archive/zip"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"xiaoxiang"
	"xiaoxiang/internal/sqldb"
	"xiaoxiang/internal/web/console/consoletest"
)

var update = flag.Bool("update", false, "rewrite docs/screenshots/console_*.png")

func repoRoot() string {
	_, f, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(f), "..", "..", "..")
}

// TestBrowser_ReviewCycle runs the staff side of the whole cycle in
// Debian's chromium: a reviewer rejects a photo with reason 6 using only the
// keyboard, the student (fixture) resubmits, the reviewer approves the
// queue with "A", the school admin imports a roster, exports the zip,
// downloads it and marks it delivered, and the operator reads the audit
// log. With -update (or XIAOXIANG_SCREENSHOTS=1) it saves
// docs/screenshots/console_*.png.
func TestBrowser_ReviewCycle(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chrome, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed: run scripts/install-chromium.sh to enable the browser test")
	}
	env := consoletest.New(t)
	srv := env.Server()
	sch := env.School("湖南师范大学")
	task := env.Task(sch.ID, xiaoxiang.LinkByDocument)
	names := []string{"丁白云", "王小明", "李静", "赵磊", "陈思", "刘洋", "周敏", "吴刚", "郑爽", "孙悦", "钱程"}
	var students []*consoletest.Student
	for i, n := range names {
		s := env.Student(task, n, []string{"文学院", "理学院", "商学院"}[i%3], fmt.Sprintf("%d班", i%2+1))
		env.Submit(s, "pass")
		students = append(students, s)
	}
	env.Student(task, "未关联学生", "文学院", "1班")
	rev := env.Staff(xiaoxiang.RoleReviewer, 0)
	adm := env.Staff(xiaoxiang.RoleSchoolAdmin, sch.ID)
	op := env.Staff(xiaoxiang.RoleOperator, 0)

	save := *update || os.Getenv("XIAOXIANG_SCREENSHOTS") != ""
	shotDir := filepath.Join(repoRoot(), "docs", "screenshots")
	if save {
		if err := os.MkdirAll(shotDir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 860),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1280, 860)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()
	dialogs := chromedp.Events(bctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			chromedp.Call(bctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if !save {
				return nil
			}
			buf, err := chromedp.CaptureScreenshot()(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shotDir, "console_"+name+".png"), buf, 0o644)
		})
	}
	step := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			loc, _ := chromedp.Run(bctx, chromedp.Location())
			body, _ := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("body")))
			t.Fatalf("step %s: %v\nat %s\n%s", name, err, loc, body)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return s
	}
	location := func() string {
		s, _ := chromedp.Run(ctx, chromedp.Location())
		return s
	}
	login := func(user string) {
		t.Helper()
		step("login "+user,
			chromedp.Navigate(srv.URL+"/staff/login"),
			chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
			chromedp.SendKeys(chromedp.CSS(`input[name=username]`), user),
			chromedp.SendKeys(chromedp.CSS(`input[name=password]`), consoletest.Password),
			chromedp.Submit(chromedp.CSS(`input[name=password]`)),
			chromedp.WaitVisible(chromedp.CSS(`main h1`)),
		)
	}
	logout := func() {
		step("logout", chromedp.Click(chromedp.CSS(`form[action="/staff/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)))
	}
	// waitItem waits for the review page of a different photo than from.
	waitNext := func(from string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if l := location(); l != from {
				if _, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`main h1`))); err == nil {
					return
				}
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatalf("no navigation from %s", from)
	}

	// Reviewer: queue, claim, reject with reason 6 (背景/边缘问题) by keyboard.
	login(rev.Staff.Username)
	step("queue", chromedp.WaitVisible(chromedp.CSS(`#start`)), shot("review_queue"))
	if q := text(`table`); !strings.Contains(q, "丁白云") || strings.Contains(q, students[0].Doc) {
		t.Fatalf("queue: %q", q)
	}
	step("claim", chromedp.Click(chromedp.CSS(`#start`)), chromedp.WaitVisible(chromedp.CSS(`#approve`)), shot("review_item"))
	if h := text(`main h1`); !strings.Contains(h, "丁白云") {
		t.Fatalf("first item is %q, want the oldest photo", h)
	}
	from := location()
	step("reject with 6", chromedp.KeyEvent("6"))
	waitNext(from)
	s0 := env.Submission(students[0].Sub.ID)
	if s0.Status != xiaoxiang.SubmissionRejected || len(s0.RejectReasons) != 1 || s0.RejectReasons[0] != "background" {
		t.Fatalf("after key 6: %s %v", s0.Status, s0.RejectReasons)
	}
	// The student sees the reason: the in-app notification and the status page data.
	if ns := env.Notifications(students[0].Account.ID); len(ns) == 0 || !strings.Contains(ns[0].Body, "衣服颜色与背景接近") {
		t.Fatalf("student notification: %+v", ns)
	}
	if sv, err := env.Core.Status(ctx, students[0].Account.ID, students[0].Binding.ID); err == nil {
		if len(sv.RejectReasons) == 0 || sv.RejectReasons[0].Code != "background" {
			t.Fatalf("status page reasons = %+v", sv.RejectReasons)
		}
	} else {
		t.Logf("student status view unavailable in this fixture: %v", err)
	}
	// Approve the other ten with "A" only, measuring the pace.
	start := time.Now()
	for i := 1; i < len(students); i++ {
		from := location()
		step("approve", chromedp.KeyEvent("a"))
		waitNext(from)
	}
	perMin := float64(len(students)-1) / time.Since(start).Minutes()
	t.Logf("keyboard review pace: %d decisions in %v = %.0f per minute", len(students)-1, time.Since(start).Round(time.Millisecond), perMin)
	if perMin < 20 {
		t.Errorf("keyboard pace %.0f/min, want ≥ 20", perMin)
	}
	if !strings.Contains(text(`main`), "队列中没有待审核的照片了") {
		t.Fatalf("queue not empty: %s", text(`main`))
	}
	// The student resubmits; the reviewer approves it.
	env.Submit(students[0], "pass")
	step("approve resubmission",
		chromedp.Navigate(srv.URL+"/review"), chromedp.WaitVisible(chromedp.CSS(`#start`)),
		chromedp.Click(chromedp.CSS(`#start`)), chromedp.WaitVisible(chromedp.CSS(`#approve`)))
	if h := text(`main h1`); !strings.Contains(h, "第2次提交") {
		t.Fatalf("resubmission header %q", h)
	}
	from = location()
	step("approve resubmission key", chromedp.KeyEvent("a"))
	waitNext(from)
	step("stats", chromedp.Navigate(srv.URL+"/review/stats"), chromedp.WaitVisible(chromedp.CSS(`table`)), shot("review_stats"))
	if s := text(`table`); !strings.Contains(s, rev.Staff.Username) {
		t.Fatalf("stats: %q", s)
	}
	logout()

	// School admin: dashboard, roster import with a malformed row, export, deliver.
	login(adm.Staff.Username)
	step("school home", chromedp.WaitVisible(chromedp.CSS(`a[href="/school/tasks/new"]`)), shot("school_home"))
	taskURL := fmt.Sprintf("%s/school/tasks/%d", srv.URL, task.ID)
	step("progress", chromedp.Navigate(taskURL), chromedp.WaitVisible(chromedp.CSS(`table`)), shot("school_progress"))
	if p := text(`table`); !strings.Contains(p, "文学院") || !strings.Contains(p, "理学院") {
		t.Fatalf("progress: %q", p)
	}
	csvPath := filepath.Join(t.TempDir(), "名单.csv")
	os.WriteFile(csvPath, []byte("姓名,证件号码,学号,学院,专业,班级\n新同学,"+consoletest.DocNumber(901)+",2026901,文学院,汉语言文学,1班\n坏数据,110105199001010000,2026902,文学院,汉语言文学,1班\n"), 0o644)
	step("roster import",
		chromedp.Navigate(taskURL+"/roster"), chromedp.WaitVisible(chromedp.CSS(`input[type=file]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{csvPath}),
		chromedp.Submit(chromedp.CSS(`input[type=file]`)),
		chromedp.WaitVisible(chromedp.CSS(`.stat`)), shot("school_roster"))
	if r := text(`main`); !strings.Contains(r, "校验") && !strings.Contains(r, "错误") {
		t.Fatalf("import report: %q", r)
	}
	step("students", chromedp.Navigate(taskURL+"/students?college=文学院"), chromedp.WaitVisible(chromedp.CSS(`table`)), shot("school_students"))
	step("export",
		chromedp.Navigate(taskURL+"/export"), chromedp.WaitVisible(chromedp.CSS(`button.primary`)),
		chromedp.Click(chromedp.CSS(`form[action$="/export"] button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#pkgstate`)))
	if n, err := env.Console.RunPackageJobs(ctx, 5); err != nil || n != 1 {
		t.Fatalf("build package: %d %v", n, err)
	}
	step("package ready", chromedp.WaitVisible(chromedp.CSS(`#delivered`)), shot("school_package"))
	links, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('a[data-file]')).map(a => a.href)`))
	if err != nil || len(links) != 3 {
		t.Fatalf("download links %v %v", links, err)
	}
	resp, err := http.Get(links[0]) // the link works without the console session, until it expires
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %v %v", err, resp)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil || len(zr.File) != len(students)+2 {
		t.Fatalf("zip has %d files (%v), want %d photos + 2 manifests", len(zr.File), err, len(students))
	}
	for _, f := range zr.File {
		if strings.HasPrefix(f.Name, "manifest.") {
			continue
		}
		if !strings.HasSuffix(f.Name, ".jpg") || len(f.Name) != 22 {
			t.Errorf("zip entry %q is not {ID number}.jpg", f.Name)
		}
	}
	step("deliver", chromedp.Click(chromedp.CSS(`#delivered`)), chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	if f := text(`.flash`); !strings.Contains(f, "11 名学生") {
		t.Fatalf("deliver flash %q", f)
	}
	for _, s := range students {
		if got := env.Submission(s.Sub.ID); got.Status != xiaoxiang.SubmissionDelivered {
			t.Fatalf("%s: status %s, want delivered", s.Entry.Name, got.Status)
		}
	}
	if sv, err := env.Core.Status(ctx, students[0].Account.ID, students[0].Binding.ID); err == nil {
		last := sv.Steps[len(sv.Steps)-1]
		if last.Label != "已交付" || !last.Done {
			t.Fatalf("student status steps: %+v", sv.Steps)
		}
	}
	logout()

	// Operator: schools and the audit log with the export and download.
	login(op.Staff.Username)
	step("ops", chromedp.WaitVisible(chromedp.CSS(`a[href="/ops/schools/new"]`)), shot("ops_home"))
	step("ops staff", chromedp.Navigate(srv.URL+"/ops/staff"), chromedp.WaitVisible(chromedp.CSS(`table`)), shot("ops_staff"))
	step("audit", chromedp.Navigate(srv.URL+"/ops/audit"), chromedp.WaitVisible(chromedp.CSS(`table`)), shot("ops_audit"))
	a := text(`table`)
	for _, want := range []string{"export_package", "download_package", "deliver_package", "review_reject", "roster_import"} {
		if !strings.Contains(a, want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
	var audit []*xiaoxiang.AuditEntry
	env.DB.View(ctx, func(tx *sqldb.Tx) error {
		audit, _ = tx.FindAuditEntries(ctx, sqldb.AuditFilter{Action: "export_package"})
		return nil
	})
	if len(audit) != 1 || audit[0].Count != len(students) || audit[0].ActorID != adm.Staff.ID {
		t.Fatalf("export audit = %+v", audit)
	}
}
