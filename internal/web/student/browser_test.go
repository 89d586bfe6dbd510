package student_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"xiaoxiang"
	"xiaoxiang/internal/apptest"
)

var update = flag.Bool("update", false, "rewrite docs/screenshots/*.png")

// TestBrowser_StudentFlow walks a student through the twelve steps of the seed guide
// in Debian's chromium (headless) at 360×740 with a real portrait uploaded through the
// file input, checking each screen. With -update (or XIAOXIANG_SCREENSHOTS=1) it saves
// a screenshot of every screen to docs/screenshots/. It then runs the whole review cycle in
// the same browser, staff in their own isolated tabs: the demo reviewer rejects with reason 6
// from the keyboard, the student sees why and resubmits, the reviewer approves, the school
// admin exports the zip (built by the app's queue) and marks it delivered, and the student's
// status shows 已交付.
func TestBrowser_StudentFlow(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	chrome, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed: run scripts/install-chromium.sh (or make chromium) to enable the browser test")
	}
	portraitPath, _ := apptest.Portrait(t)
	a := apptest.New(t)
	if a.Demo == nil || a.Demo.Try.Name == "" {
		t.Fatal("demo data has no student to try")
	}
	save := *update || os.Getenv("XIAOXIANG_SCREENSHOTS") != ""
	shotDir := filepath.Join(apptest.RepoRoot(), "docs", "screenshots")

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chrome),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// A synthetic camera so the live preview and its guide overlay can be seen; the
		// photo itself is uploaded through the file input (headless has no real camera).
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(360, 740),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The first action starts the browser; it must not run under the test's timeout.
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulatePortrait)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancel := context.WithTimeout(bctx, 100*time.Second)
	defer cancel()

	// Accept confirm() dialogs (提交审核, 解绑) like a student tapping 确定.
	dialogs := chromedp.Events(bctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			chromedp.Call(bctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()

	// Every screenshot waits for the page's images (the annotated photo is drawn on request).
	imagesLoaded := chromedp.Evaluate[bool](`Promise.all(Array.from(document.images).map(i => i.complete ? 1 :
		new Promise(r => { i.onload = i.onerror = r; }))).then(() => true)`, chromedp.EvalAwaitPromise)
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if !save {
				return nil
			}
			if _, err := imagesLoaded(ctx, tg); err != nil {
				return err
			}
			buf, err := chromedp.CaptureScreenshot()(ctx, tg)
			if err != nil {
				return err
			}
			return os.WriteFile(filepath.Join(shotDir, name+".png"), buf, 0o644)
		})
	}
	if save {
		if err := os.MkdirAll(shotDir, 0o755); err != nil {
			t.Fatal(err)
		}
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
	wantText := func(sel, want string) {
		t.Helper()
		if got := text(sel); !strings.Contains(got, want) {
			t.Fatalf("%s: got %q, want it to contain %q", sel, got, want)
		}
	}
	try := a.Demo.Try
	start := time.Now()

	// Steps 1–2: open the app, log in with WeChat (simulator consent page).
	step("login page",
		chromedp.Navigate(a.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(`a.btn-pay`)), shot("01-login"),
		chromedp.Click(chromedp.CSS(`a.btn-pay`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name=user]`)),
		chromedp.SetValue(chromedp.CSS(`input[name=user]`), "browser-student"), shot("02-wechat-consent"),
		chromedp.Click(chromedp.CSS(`button[value=allow]`)),
		// Step 3: home → 去采集.
		chromedp.WaitVisible(chromedp.CSS(`a[href="/schools"].btn-primary`)), shot("03-home"),
		chromedp.Click(chromedp.CSS(`a[href="/schools"].btn-primary`)),
		// Step 4: search by 5-digit code, choose category and task.
		chromedp.WaitVisible(chromedp.CSS(`input[name=q]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name=q]`), "10542"),
		chromedp.Submit(chromedp.CSS(`input[name=q]`)),
		chromedp.WaitVisible(chromedp.CSS(`ul.list a.cell`)), shot("04-schools"),
	)
	wantText(`ul.list`, "湖南师范大学（10542）")
	step("category and task",
		chromedp.Click(chromedp.CSS(`ul.list a.cell`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href$="/graduate"]`)), shot("05-categories"),
		chromedp.Click(chromedp.CSS(`a[href$="/graduate"]`)),
		chromedp.WaitVisible(chromedp.CSS(`ul.list a.cell`)), shot("06-tasks"),
	)
	wantText(`ul.list`, try.Task)
	wantText(`ul.list`, "费用 15.00 元")
	// Step 5: separate consent, then 关联 with instant document-number feedback.
	step("consent and link",
		chromedp.Click(chromedp.CSS(`ul.list a.cell`)),
		chromedp.WaitVisible(chromedp.CSS(`form[data-consent]`)), shot("07-consent-identity"),
		chromedp.Click(chromedp.CSS(`input[name=agree]`)),
		chromedp.Click(chromedp.CSS(`form[data-consent] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`#doc_number`)),
		chromedp.SendKeys(chromedp.CSS(`#name`), try.Name),
		chromedp.SendKeys(chromedp.CSS(`#doc_number`), wrongCheck(try.DocNumber)),
		chromedp.WaitVisible(chromedp.CSS(`#doc_number-hint.is-bad`)), shot("08-link-feedback"),
	)
	wantText(`#doc_number-hint`, "校验位")
	// Not on the roster (a valid number with another name): the seed's guidance, with
	// 人工录入 (this task allows it).
	step("not found",
		chromedp.SetValue(chromedp.CSS(`#doc_number`), try.DocNumber),
		chromedp.SetValue(chromedp.CSS(`#name`), "王小明"),
		chromedp.Submit(chromedp.CSS(`#doc_number`)),
		chromedp.WaitVisible(chromedp.CSS(`.result-title`)), shot("09-link-not-found"),
	)
	wantText(`main`, "不在学校线上采集名单中")
	wantText(`main`, "人工录入")
	step("link",
		chromedp.Click(chromedp.CSS(`a[href$="/link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#doc_number`)),
		chromedp.SendKeys(chromedp.CSS(`#name`), try.Name),
		chromedp.SendKeys(chromedp.CSS(`#doc_number`), try.DocNumber),
		chromedp.WaitVisible(chromedp.CSS(`#doc_number-hint.is-ok`)),
		chromedp.Submit(chromedp.CSS(`#doc_number`)),
		// Step 6: pay through the simulator's 微信支付 sheet; the server confirms.
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/pay"] button`)), shot("10-pay"),
		chromedp.Click(chromedp.CSS(`form[action$="/pay"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`a.btn-pay`)),
		chromedp.Click(chromedp.CSS(`a.btn-pay`)),
		chromedp.WaitVisible(chromedp.CSS(`button[value=pay]`)), shot("11-wechat-pay"),
		chromedp.Click(chromedp.CSS(`button[value=pay]`)),
		// Step 7: instructions (the wait page polls until the server says paid).
		chromedp.WaitVisible(chromedp.CSS(`.examples`)), shot("12-guide"),
		chromedp.Click(chromedp.CSS(`a.btn-primary[href$="/camera"]`)),
		// Step 8: separate consent before the photo, then the camera page.
		chromedp.WaitVisible(chromedp.CSS(`form[data-consent]`)), shot("13-consent-photo"),
		chromedp.Click(chromedp.CSS(`input[name=agree]`)),
		chromedp.Click(chromedp.CSS(`form[data-consent] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-camera]`)),
		chromedp.Sleep(1500*time.Millisecond), shot("14-camera"),
		// Step 9: the photo, through the file input (downscaled in the page, then uploaded).
		chromedp.SetUploadFiles(chromedp.CSS(`input[data-source=camera]`), []string{portraitPath}),
		// Step 10: the quality report with the ten items.
		chromedp.WaitVisible(chromedp.CSS(`ul.report`)), shot("15-report"),
	)
	items, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('ul.report .name')).map(e => e.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 10 || items[0] != "人脸方向" || items[9] != "嘴巴状态" {
		t.Fatalf("report items = %q, want the ten seed items", items)
	}
	wantText(`main`, "今日剩余: 3次")
	// Step 11: second confirmation, standardization, notifications, submit.
	step("standardize",
		chromedp.Click(chromedp.CSS(`a[href$="/confirm"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/standardize"]`)), shot("16-confirm"),
		chromedp.Click(chromedp.CSS(`form[action$="/standardize"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.photo-frame.is-std img`)), shot("17-result"),
		chromedp.Click(chromedp.CSS(`form[action$="/subscribe"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.hint.is-ok`)),
		chromedp.Click(chromedp.CSS(`form[action$="/submit"] button`)),
		// Step 12: the status page.
		chromedp.WaitVisible(chromedp.CSS(`ol.progress`)), shot("18-status"),
	)
	wantText(`table.kv`, try.Name)
	wantText(`table.kv`, try.DocNumber[14:])
	if strings.Contains(text(`main`), try.DocNumber) {
		t.Fatal("status page shows the whole ID number")
	}
	wantText(`ol.progress`, "待审核")
	statusURL, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}

	// The staff side runs in other tabs of the same browser, each person in an isolated
	// browser context (own cookies), at desktop size: the cycle is student submits →
	// reviewer rejects with a reason → student sees it and resubmits → reviewer approves →
	// school exports the zip → marks delivered → student sees 已交付.
	var sctx, sctx0 context.Context
	staffStep := func(name string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(sctx, actions...); err != nil {
			loc, _ := chromedp.Run(sctx0, chromedp.Location())
			body, _ := chromedp.Run(sctx0, chromedp.Text(chromedp.CSS("body")))
			t.Fatalf("staff step %s: %v\nat %s\n%s", name, err, loc, body)
		}
	}
	staffWaitText := func(want string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if s, err := chromedp.Run(sctx, chromedp.Text(chromedp.CSS("main"))); err == nil && strings.Contains(s, want) {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		body, _ := chromedp.Run(sctx0, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("staff page never showed %q:\n%s", want, body)
	}
	// staffLogin opens a fresh isolated tab and logs the demo account of role in.
	staffLogin := func(role xiaoxiang.Role) {
		t.Helper()
		var c0 context.Context
		var cancel0 context.CancelFunc
		c0, cancel0 = chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
		t.Cleanup(cancel0)
		if err := chromedp.Do(c0, chromedp.EmulateViewport(1280, 900)); err != nil {
			t.Fatalf("staff tab: %v", err)
		}
		// Accept confirm() dialogs (e.g. 确认已交付) like staff clicking 确定.
		staffDialogs := chromedp.Events(c0, page.JavascriptDialogOpening)
		go func() {
			for _, err := range staffDialogs {
				if err != nil {
					return
				}
				chromedp.Call(c0, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}
		}()
		c, cancel := context.WithTimeout(c0, 60*time.Second)
		t.Cleanup(cancel)
		sctx0, sctx = c0, c
		for _, l := range a.Demo.Staff {
			if l.Role == role {
				staffStep("login "+l.Username,
					chromedp.Navigate(a.URL+"/staff/login"),
					chromedp.WaitVisible(chromedp.CSS(`input[name=username]`)),
					chromedp.SendKeys(chromedp.CSS(`input[name=username]`), l.Username),
					chromedp.SendKeys(chromedp.CSS(`input[name=password]`), l.Password),
					chromedp.Submit(chromedp.CSS(`input[name=password]`)),
					chromedp.WaitVisible(chromedp.CSS(`form[action="/staff/logout"]`)))
				return
			}
		}
		t.Fatalf("the demo has no %s login", role)
	}
	// reviewNext claims the student's photo in the review queue and decides it by key.
	reviewNext := func(key string) {
		t.Helper()
		staffStep("review "+key,
			chromedp.Navigate(a.URL+"/review"), chromedp.WaitVisible(chromedp.CSS(`#start`)),
			chromedp.Click(chromedp.CSS(`#start`)), chromedp.WaitVisible(chromedp.CSS(`#approve`)))
		if h, _ := chromedp.Run(sctx, chromedp.Text(chromedp.CSS(`main h1`))); !strings.Contains(h, try.Name) {
			t.Fatalf("review item %q is not the student's photo", h)
		}
		staffStep("decide "+key, chromedp.KeyEvent(key))
		staffWaitText("队列中没有待审核的照片了")
	}
	// The reviewer rejects with reason 6 (背景/边缘问题) from the keyboard.
	staffLogin(xiaoxiang.RoleReviewer)
	reviewNext("6")
	step("rejected", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(`.notice.is-bad`)), shot("19-status-rejected"))
	wantText(`main`, "审核未通过")
	wantText(`main`, "重新拍摄提交")
	step("my tasks", chromedp.Navigate(a.URL+"/my"), chromedp.WaitVisible(chromedp.CSS(`ul.list`)), shot("20-my-tasks"))
	wantText(`ul.list`, try.Task)
	step("help", chromedp.Navigate(a.URL+"/help"), chromedp.WaitVisible(chromedp.CSS(`table.kv`)), shot("21-help"))
	wantText(`main`, "0731-88872000")
	step("my data", chromedp.Navigate(a.URL+"/me/data"), chromedp.WaitVisible(chromedp.CSS(`#confirm`)), shot("22-my-data"))
	step("notices", chromedp.Navigate(a.URL+"/notices"), chromedp.WaitVisible(chromedp.CSS(`ul.list`)), shot("24-notices"))
	wantText(`ul.list`, "未通过")
	var closedID int64
	for _, task := range a.Demo.Tasks {
		if task.Status == xiaoxiang.TaskClosed {
			closedID = task.ID
		}
	}
	step("closed task", chromedp.Navigate(fmt.Sprintf("%s/tasks/%d", a.URL, closedID)), chromedp.WaitVisible(chromedp.CSS(`.result-title`)), shot("23-task-closed"))
	wantText(`.result-title`, "采集任务已关闭")

	// The student resubmits (free), from the status page.
	step("resubmit",
		chromedp.Navigate(statusURL), chromedp.WaitVisible(chromedp.CSS(`a.btn-primary[href$="/camera"]`)),
		chromedp.Click(chromedp.CSS(`a.btn-primary[href$="/camera"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-camera]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`input[data-source=camera]`), []string{portraitPath}),
		chromedp.WaitVisible(chromedp.CSS(`ul.report`)),
		chromedp.Click(chromedp.CSS(`a[href$="/confirm"]`)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/standardize"]`)),
		chromedp.Click(chromedp.CSS(`form[action$="/standardize"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.photo-frame.is-std img`)),
		chromedp.Click(chromedp.CSS(`form[action$="/submit"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`ol.progress`)))
	wantText(`ol.progress li.is-current`, "待审核")
	// The reviewer approves it with "A".
	reviewNext("a")
	step("approved", chromedp.Navigate(statusURL), chromedp.WaitVisible(chromedp.CSS(`ol.progress`)))
	wantText(`ol.progress li.is-current`, "已完成")
	// The school admin exports the task's zip (built by the app's queue) and marks it delivered.
	staffLogin(xiaoxiang.RoleSchoolAdmin)
	staffStep("export",
		chromedp.Navigate(fmt.Sprintf("%s/school/tasks/%d/export", a.URL, try.TaskID)),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/export"] button.primary`)),
		chromedp.Click(chromedp.CSS(`form[action$="/export"] button.primary`)),
		chromedp.WaitVisible(chromedp.CSS(`#pkgstate`)),
		chromedp.WaitVisible(chromedp.CSS(`#delivered`)))
	links, err := chromedp.Run(sctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll('a[data-file]')).map(a => a.href)`))
	if err != nil || len(links) == 0 {
		t.Fatalf("package download links: %v %v", links, err)
	}
	staffStep("deliver", chromedp.Click(chromedp.CSS(`#delivered`)), chromedp.WaitVisible(chromedp.CSS(`.flash`)))
	// The student sees 已交付.
	step("delivered", chromedp.Navigate(statusURL), chromedp.WaitVisible(chromedp.CSS(`ol.progress`)))
	wantText(`ol.progress li.is-current`, "已交付")
	t.Logf("walked the twelve steps and the review/delivery cycle in %s", time.Since(start).Round(time.Millisecond))
}

// wrongCheck returns the number with a wrong check character.
func wrongCheck(n string) string {
	c := n[17]
	if c == '0' {
		c = '1'
	} else {
		c = '0'
	}
	return n[:17] + string(c)
}
