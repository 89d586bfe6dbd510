package student_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/apptest"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/demo"
)

// taskByTitle finds a demo task.
func taskByTitle(t *testing.T, d *demo.Result, title string) *xiaoxiang.Task {
	t.Helper()
	for _, task := range d.Tasks {
		if task.Title == title {
			return task
		}
	}
	t.Fatalf("no demo task %q", title)
	return nil
}

func check(t *testing.T, name string, r *apptest.Response, status int, contains ...string) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d\n%s", name, r.Status, status, excerpt(r.Body))
	}
	for _, c := range contains {
		if !strings.Contains(r.Body, c) && !strings.Contains(r.Location, c) {
			t.Errorf("%s: response lacks %q\n%s", name, c, excerpt(r.Body))
		}
	}
}

var tagRE = regexp.MustCompile(`(?s)<[^>]+>|\s+`)

func excerpt(body string) string {
	s := tagRE.ReplaceAllString(body, " ")
	if len(s) > 1500 {
		s = s[:1500]
	}
	return s
}

func TestPages_Anonymous(t *testing.T) {
	a := apptest.New(t, apptest.Options{NoDemo: true})
	c := a.Client()
	tests := []struct {
		name, path string
		status     int
		contains   []string
	}{
		{"home redirects to login", "/", http.StatusSeeOther, []string{"/login"}},
		{"login page", "/login", http.StatusOK, []string{"微信授权登录", "/login/wechat"}},
		{"expired notice", "/login?expired=1", http.StatusOK, []string{"登录已过期"}},
		{"help is public", "/help", http.StatusOK, []string{"常见问题", "请联系本人所在学校的学籍管理部门"}},
		{"schools need login", "/schools?q=10542", http.StatusSeeOther, []string{"/login?next=%2Fschools%3Fq%3D10542"}},
		{"my tasks need login", "/my", http.StatusSeeOther, []string{"/login"}},
		{"status needs login", "/my/1/status", http.StatusSeeOther, []string{"/login"}},
		{"unknown page", "/no/such/page", http.StatusNotFound, []string{"页面不存在"}},
		{"callback without state", "/login/callback?code=x&state=y", http.StatusUnauthorized, []string{"登录已失效"}},
		{"api unknown", "/api/v1/nothing", http.StatusNotFound, []string{`"code":"not_found"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			check(t, tt.path, c.Get(tt.path), tt.status, tt.contains...)
		})
	}
	t.Run("security headers", func(t *testing.T) {
		r := c.Get("/login")
		for h, want := range map[string]string{"Content-Security-Policy": "script-src 'self'", "X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff"} {
			if !strings.Contains(r.Header.Get(h), want) {
				t.Errorf("%s = %q", h, r.Header.Get(h))
			}
		}
		if r.Header.Get("X-Request-ID") == "" {
			t.Error("no request id")
		}
	})
	t.Run("static assets under content-hash URLs", func(t *testing.T) {
		r := c.Get("/login")
		m := regexp.MustCompile(`/static/app\.[0-9a-f]{12}\.css`).FindString(r.Body)
		if m == "" {
			t.Fatal("no hashed CSS link")
		}
		s := c.Get(m)
		if s.Status != 200 || !strings.Contains(s.Header.Get("Cache-Control"), "immutable") || !strings.Contains(s.Header.Get("Content-Type"), "text/css") {
			t.Fatalf("css: %d %v", s.Status, s.Header)
		}
		if old := c.Get("/static/app.000000000000.css"); old.Status != 200 || old.Header.Get("Cache-Control") != "no-cache" {
			t.Fatalf("stale hash: %d %q", old.Status, old.Header.Get("Cache-Control"))
		}
		if js := c.Get("/login"); !regexp.MustCompile(`/static/app\.[0-9a-f]{12}\.js`).MatchString(js.Body) {
			t.Fatal("no hashed JS")
		}
		if c.Get("/static/nothing.css").Status != 404 {
			t.Fatal("unknown asset not 404")
		}
	})
	t.Run("POST without CSRF token is refused", func(t *testing.T) {
		r := c.PostForm("/logout", url.Values{"csrf": {"forged"}})
		check(t, "logout", r, http.StatusForbidden, "页面已过期")
	})
	t.Run("an upload without the CSRF header gets a JSON error", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, a.URL+"/my/1/photos", strings.NewReader("x"))
		req.Header.Set("Accept", "application/json")
		resp, err := c.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var e struct{ Code, Message string }
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || e.Code != "forbidden" || e.Message == "" {
			t.Fatalf("%d %+v", resp.StatusCode, e)
		}
	})
	t.Run("POST from another origin is refused", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, a.URL+"/logout", strings.NewReader("csrf="+c.CSRF()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", "https://evil.example")
		resp, err := c.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("status %d", resp.StatusCode)
		}
	})
	t.Run("healthz", func(t *testing.T) {
		check(t, "healthz", c.Get("/healthz"), http.StatusOK, "ok")
	})
}

func TestPages_ExpiredAndForgedSessions(t *testing.T) {
	now := time.Now()
	clock := func() time.Time { return now }
	a := apptest.New(t, apptest.Options{NoDemo: true, Now: func() time.Time { return clock() }})
	c := a.Client()
	c.LoginStudent("expiring-student")
	check(t, "home", c.Get("/"), http.StatusOK, "去采集")
	later := now.Add(8 * 24 * time.Hour)
	clock = func() time.Time { return later }
	check(t, "expired session", c.Get("/my"), http.StatusUnauthorized, "登录已过期", "微信授权登录")
	// A forged cookie is treated as no session.
	f := a.Client()
	u, _ := url.Parse(a.URL)
	f.HTTP.Jar.SetCookies(u, []*http.Cookie{{Name: "xx_sess", Value: "eyJhIjoxfQ.forged"}})
	check(t, "forged session", f.Get("/my"), http.StatusSeeOther, "/login")
}

// TestPages_StudentFlow walks the twelve steps over HTTP, with bad input at each step.
func TestPages_StudentFlow(t *testing.T) {
	a := apptest.New(t)
	d := a.Demo
	try := d.Try
	school := d.Schools[0]
	task := taskByTitle(t, d, try.Task)
	closed := taskByTitle(t, d, "2025年下半年学位申请图像采集")
	notYet := taskByTitle(t, d, "2027届本科毕业生学历图像采集（预备）")
	noManual := taskByTitle(t, d, "2026届本科毕业生学历图像采集")
	c := a.Client()
	check(t, "login", c.LoginStudent("flow-student"), http.StatusSeeOther, "/")
	check(t, "home", c.Get("/"), http.StatusOK, "去采集", "我的任务")

	sid := strconv.FormatInt(school.ID, 10)
	tid := strconv.FormatInt(task.ID, 10)
	searches := []struct {
		name, q string
		status  int
		want    string
	}{
		{"by 5-digit code", "10542", 200, "湖南师范大学（10542）"},
		{"by keyword", "师范", 200, "湖南师范大学"},
		{"by pinyin", "hunanshifan", 200, "湖南师范大学"},
		{"by initials", "hnsfdx", 200, "湖南师范大学"},
		{"another school", "19982", 200, "湘江职业技术学院"},
		{"unknown school", "不存在的大学", 200, "未查询到学校"},
		{"empty query shows the form", "", 200, "学校名称关键字或5位院校代码"},
	}
	for _, s := range searches {
		t.Run("search "+s.name, func(t *testing.T) {
			check(t, s.q, c.Get("/schools?q="+url.QueryEscape(s.q)), s.status, s.want)
		})
	}
	pages := []struct {
		name, path string
		status     int
		contains   []string
	}{
		{"categories", "/schools/" + sid, 200, []string{"研究生", "普通本专科", "成人教育"}},
		{"tasks with window and fee", "/schools/" + sid + "/graduate", 200, []string{task.Title, "费用 15.00 元", "采集时间"}},
		{"free task", "/schools/" + sid + "/adult", 200, []string{"免费", "学号关联"}},
		{"bad category", "/schools/" + sid + "/phd", 404, []string{"学历类别不存在"}},
		{"bad school id", "/schools/abc", 404, []string{"页面不存在"}},
		{"unknown school id", "/schools/999999", 404, nil},
		{"closed task", "/tasks/" + strconv.FormatInt(closed.ID, 10), 403, []string{"已关闭"}},
		{"task not yet open", "/tasks/" + strconv.FormatInt(notYet.ID, 10), 403, []string{"尚未开始"}},
		{"open task asks for consent first", "/tasks/" + tid, 303, []string{"/tasks/" + tid + "/consent"}},
		{"identity consent", "/tasks/" + tid + "/consent", 200, []string{"个人信息处理告知", "身份信息"}},
		{"link before consent", "/tasks/" + tid + "/link", 303, []string{"/consent"}},
		{"manual entry not allowed", "/tasks/" + strconv.FormatInt(noManual.ID, 10) + "/manual", 403, []string{"不允许人工录入"}},
		{"no bindings yet", "/my", 200, []string{"还没有关联的任务"}},
		{"no notices yet", "/notices", 200, []string{"暂无消息"}},
		{"someone else's binding", "/my/999999/status", 404, nil},
	}
	for _, p := range pages {
		t.Run(p.name, func(t *testing.T) { check(t, p.path, c.Get(p.path), p.status, p.contains...) })
	}

	check(t, "consent without ticking", c.PostForm("/tasks/"+tid+"/consent", nil), 400, "请先勾选")
	check(t, "consent", c.PostForm("/tasks/"+tid+"/consent", url.Values{"agree": {"1"}}), 303, "/tasks/"+tid+"/link")
	check(t, "link form", c.Get("/tasks/"+tid+"/link"), 200, "证件号关联", "docnum")

	links := []struct {
		name   string
		form   url.Values
		status int
		want   []string
	}{
		{"empty form", url.Values{}, 400, []string{"请填写"}},
		{"bad check digit", url.Values{"name": {try.Name}, "doc_kind": {"resident_id"}, "doc_number": {try.DocNumber[:17] + "Y"}}, 400, []string{"证件号关联"}},
		{"wrong name", url.Values{"name": {"王小明"}, "doc_kind": {"resident_id"}, "doc_number": {try.DocNumber}}, 404,
			[]string{"未查询到您的学籍信息", "检查个人信息是否输入有误", "不在学校线上采集名单中", "选择了错误的采集任务", "人工录入"}},
	}
	for _, l := range links {
		t.Run("link "+l.name, func(t *testing.T) {
			r := c.PostForm("/tasks/"+tid+"/link", l.form)
			check(t, l.name, r, l.status, l.want...)
			if strings.Contains(r.Body, try.DocNumber) {
				t.Error("the page echoes the document number")
			}
		})
	}
	check(t, "manual entry form", c.Get("/tasks/"+tid+"/manual"), 200, "人工录入", "提交学校审核")

	r := c.PostForm("/tasks/"+tid+"/link", url.Values{"name": {try.Name}, "doc_kind": {"resident_id"}, "doc_number": {strings.ToLower(try.DocNumber)}})
	check(t, "link", r, 303, "/my/")
	bid := strings.TrimPrefix(r.Location, "/my/")
	base := "/my/" + bid
	check(t, "next step is pay", c.Get(base), 303, base+"/pay")
	check(t, "guide before paying", c.Get(base+"/guide"), 303, base+"/pay")
	check(t, "pay page", c.Get(base+"/pay"), 200, "15.00", "微信支付", "解除绑定")
	check(t, "payment failed screen", c.Get(base+"/pay?failed=1"), 200, "支付未完成", "未扣款")
	check(t, "task entry goes to the binding", c.Get("/tasks/"+tid), 303, base)
	check(t, "my tasks", c.Get("/my"), 200, task.Title, "待支付")

	// Pay through the simulator sheet: the page only polls; the server decides.
	wait := c.PostForm(base+"/pay", nil)
	check(t, "start payment", wait, 200, "正在确认支付结果", "/_sim/wechat/sim/pay?")
	var st struct{ Paid bool }
	ps := c.Get(base + "/pay/status")
	json.Unmarshal([]byte(ps.Body), &st)
	if ps.Status != 200 || st.Paid {
		t.Fatalf("pay status before paying: %d %s", ps.Status, ps.Body)
	}
	sheet := regexp.MustCompile(`href="(/_sim/wechat/sim/pay\?[^"]+)"`).FindStringSubmatch(wait.Body)
	if sheet == nil {
		t.Fatal("no sheet link")
	}
	sheetURL := strings.ReplaceAll(sheet[1], "&amp;", "&")
	sp := c.Get(sheetURL)
	check(t, "sheet", sp, 200, "确认支付")
	form := url.Values{"decision": {"pay"}}
	for _, m := range regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`).FindAllStringSubmatch(sp.Body, -1) {
		form.Set(m[1], strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'").Replace(m[2]))
	}
	req, _ := http.NewRequest(http.MethodPost, a.URL+"/_sim/wechat/sim/pay/confirm", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	deadline := time.Now().Add(10 * time.Second)
	for !st.Paid {
		if time.Now().After(deadline) {
			t.Fatal("payment not confirmed by the server")
		}
		time.Sleep(100 * time.Millisecond)
		json.Unmarshal([]byte(c.Get(base+"/pay/status").Body), &st)
	}
	check(t, "paid → guide", c.Get(base+"/pay/wait"), 303, base+"/guide")
	check(t, "guide", c.Get(base+"/guide"), 200, "照片用途", "480 × 640", "合格", "有色眼镜")
	check(t, "camera needs the photo consent", c.Get(base+"/camera"), 303, base+"/consent")
	check(t, "photo consent", c.Get(base+"/consent"), 200, "人像照片")
	check(t, "give photo consent", c.PostForm(base+"/consent", url.Values{"agree": {"1"}}), 303, base+"/camera")
	check(t, "camera", c.Get(base+"/camera"), 200, `capture="user"`, "从相册选择", "data-max-side=\"2048\"")

	// Upload: bad files first.
	for _, bad := range []struct {
		name string
		data []byte
	}{{"empty", nil}, {"not an image", []byte("hello, this is not a photo")}} {
		up := c.Upload(base+"/photos", bad.data, "camera")
		if up.Status != 400 || !strings.Contains(up.Body, `"message"`) {
			t.Errorf("upload %s: %d %s", bad.name, up.Status, up.Body)
		}
	}
	_, portrait := apptest.Portrait(t)
	up := c.Upload(base+"/photos", portrait, "camera")
	var next struct{ Next string }
	if json.Unmarshal([]byte(up.Body), &next); up.Status != 200 || next.Next == "" {
		t.Fatalf("upload: %d %s", up.Status, up.Body)
	}
	rep := c.Get(next.Next)
	check(t, "report", rep, 200, "人脸方向", "脸部占比", "头部完整", "人脸完整", "人脸模糊", "肩膀齐平", "检测肩膀", "脸部亮度", "眼部遮挡", "嘴巴状态",
		"返回重拍", "去制作", "今日剩余: 3次")
	check(t, "original image", c.Get(next.Next+"/original.jpg"), 200)
	check(t, "unknown image kind", c.Get(next.Next+"/secret.txt"), 404)
	check(t, "confirm", c.Get(next.Next+"/confirm"), 200, "确认制作", "今日剩余 <b>3</b> 次")
	check(t, "result before standardizing", c.Get(next.Next+"/result"), 303, next.Next)
	std := c.PostForm(next.Next+"/standardize", nil)
	check(t, "standardize", std, 303, next.Next+"/result")
	res := c.Get(next.Next + "/result")
	check(t, "result", res, 200, "标准照已制作", "提交审核", "允许微信通知", "今日剩余制作 2 次")
	img := c.Get(next.Next + "/standardized.jpg")
	if img.Status != 200 || img.Header.Get("Content-Type") != "image/jpeg" || len(img.Body) < 10<<10 {
		t.Fatalf("standardized.jpg: %d %s %d bytes", img.Status, img.Header.Get("Content-Type"), len(img.Body))
	}
	check(t, "subscribe", c.PostForm(base+"/subscribe", url.Values{"next": {next.Next + "/result"}}), 303, "subscribed=1")
	check(t, "submit", c.PostForm(next.Next+"/submit", nil), 303, base+"/status")
	status := c.Get(base + "/status?submitted=1")
	check(t, "status", status, 200, "提交成功", school.Name, "研究生", try.Name, try.DocNumber[14:], "已上传", "待审核", "已完成", task.Title)
	if strings.Contains(status.Body, try.DocNumber) {
		t.Error("status page shows the whole ID number")
	}
	check(t, "my tasks after submit", c.Get("/my"), 200, "待审核")

	// Replacement before review (1 allowed), then the daily quota (3 standardizations).
	check(t, "status offers a replacement", status, 200, "更换照片（审核前可更换 1 次）")
	shoot := func(name string) string {
		t.Helper()
		up := c.Upload(base+"/photos", portrait, "album")
		var n struct{ Next string }
		if json.Unmarshal([]byte(up.Body), &n); up.Status != 200 || n.Next == "" {
			t.Fatalf("%s: upload: %d %s", name, up.Status, up.Body)
		}
		return n.Next
	}
	second := shoot("replacement")
	check(t, "standardize the replacement", c.PostForm(second+"/standardize", nil), 303, second+"/result")
	check(t, "submit the replacement", c.PostForm(second+"/submit", nil), 303, base+"/status")
	if st := c.Get(base + "/status"); strings.Contains(st.Body, "更换照片（") {
		t.Error("a second replacement is offered")
	}
	third := shoot("third")
	check(t, "third standardization", c.PostForm(third+"/standardize", nil), 303, third+"/result")
	fourth := shoot("fourth")
	check(t, "report shows no quota left", c.Get(fourth), 200, "今日剩余: 0次")
	check(t, "quota exhausted screen", c.Get(fourth+"/confirm"), 429, "今日制作次数已用完", "冷静期")
	check(t, "standardizing over quota", c.PostForm(fourth+"/standardize", nil), 429, "今日制作次数已用完")
	check(t, "a paid binding has no payment to fail", c.Get(base+"/pay?failed=1"), 303, base+"/guide")

	// A reviewer rejects: the reasons show, and a free resubmission goes back to review.
	a.ReviewFirst(task.ID, core.Decision{Reasons: []string{"background"}, Note: "请换深色衣服"})
	rej := c.Get(base + "/status")
	check(t, "rejected status", rej, 200, "审核未通过", "背景/边缘问题", "请换深色衣服", "您还可以免费重新提交 2 次", "重新拍摄提交", "未通过")
	check(t, "resubmit the standardized third photo", c.PostForm(third+"/submit", nil), 303, base+"/status")
	check(t, "back in review", c.Get(base+"/status"), 200, "待审核")
	check(t, "the rejection is in the notice list", c.Get("/notices"), 200, "消息通知", "未通过")
	check(t, "my tasks after resubmission", c.Get("/my"), 200, "待审核")
	check(t, "help shows the school's and the platform's contacts", c.Get("/help"), 200, school.SupportPhone, school.SupportQQ, "平台客服", "400-000-0000")
	check(t, "my data", c.Get("/me/data"), 200, "授权记录", "身份信息处理", "人像照片处理", try.Name)

	// 解绑, then another WeChat account links the same student without paying again.
	check(t, "unbind page", c.Get(base+"/unbind"), 200, "确认解绑")
	check(t, "unbind", c.PostForm(base+"/unbind", nil), 200, "已解除绑定")
	c2 := a.Client()
	c2.LoginStudent("second-wechat")
	c2.PostForm("/tasks/"+tid+"/consent", url.Values{"agree": {"1"}})
	r2 := c2.PostForm("/tasks/"+tid+"/link", url.Values{"name": {try.Name}, "doc_kind": {"resident_id"}, "doc_number": {try.DocNumber}})
	check(t, "relink from another account", r2, 303, "/my/")
	if next := c2.Get(r2.Location); strings.HasSuffix(next.Location, "/pay") {
		t.Error("the new account must not pay again")
	}
	// The first account cannot link it now (one roster entry, one active account).
	r3 := c.PostForm("/tasks/"+tid+"/link", url.Values{"name": {try.Name}, "doc_kind": {"resident_id"}, "doc_number": {try.DocNumber}})
	check(t, "conflict", r3, 409, "已关联其他微信帐号", "解绑")

	// Delete my data.
	check(t, "delete without confirmation", c.PostForm("/me/data/delete", nil), 400, "删除")
	check(t, "delete", c.PostForm("/me/data/delete", url.Values{"confirm": {"删除"}}), 200, "您的数据已删除")
	check(t, "session ends after deletion", c.Get("/my"), 303, "/login")
}

// TestPages_FreeTaskByStudentNumber links by 学号 on a free task: straight to the guide.
func TestPages_FreeTaskByStudentNumber(t *testing.T) {
	a := apptest.New(t)
	try := a.Demo.TryNo
	c := a.Client()
	c.LoginStudent("student-no")
	tid := fmt.Sprint(try.TaskID)
	c.PostForm("/tasks/"+tid+"/consent", url.Values{"agree": {"1"}})
	check(t, "form", c.Get("/tasks/"+tid+"/link"), 200, "学号关联", `name="student_no"`)
	check(t, "not found, no manual entry", c.PostForm("/tasks/"+tid+"/link", url.Values{"name": {try.Name}, "student_no": {"000"}}), 404, "未查询到")
	if r := c.PostForm("/tasks/"+tid+"/link", url.Values{"name": {try.Name}, "student_no": {"000"}}); strings.Contains(r.Body, "/manual") {
		t.Error("manual entry offered on a task that does not allow it")
	}
	r := c.PostForm("/tasks/"+tid+"/link", url.Values{"name": {try.Name}, "student_no": {try.StudentNo}})
	check(t, "link", r, 303, "/my/")
	check(t, "free task skips payment", c.Get(r.Location), 303, "/guide")
	check(t, "pay page of a free task", c.Get(r.Location+"/pay"), 303, "/guide")
}

// TestPages_ManualEntry: not on the roster → 人工录入 → waiting for the school → approved.
func TestPages_ManualEntry(t *testing.T) {
	a := apptest.New(t)
	try := a.Demo.Try
	tid := fmt.Sprint(try.TaskID)
	c := a.Client()
	c.LoginStudent("manual-student")
	c.PostForm("/tasks/"+tid+"/consent", url.Values{"agree": {"1"}})
	bad := c.PostForm("/tasks/"+tid+"/manual", url.Values{"name": {"林晓"}, "doc_kind": {"resident_id"}, "doc_number": {"110105194912310021"}})
	check(t, "bad document number", bad, 400, "校验位")
	if strings.Contains(bad.Body, "110105194912310021") {
		t.Error("the form echoes the document number")
	}
	r := c.PostForm("/tasks/"+tid+"/manual", url.Values{"name": {"林晓"}, "doc_kind": {"resident_id"}, "doc_number": {"11010519491231002X"},
		"student_no": {"2023999"}, "college": {"文学院"}, "class": {"2023级1班"}})
	check(t, "manual entry", r, 303, "/status")
	check(t, "waiting for the school", c.Get(r.Location), 200, "等待学校学籍部门审核", "林晓", "002X")
	base := strings.TrimSuffix(r.Location, "/status")
	c.PostForm(base+"/consent", url.Values{"agree": {"1"}})
	check(t, "camera is not open yet", c.Get(base+"/camera"), 303, "/status")
	check(t, "nor the payment", c.Get(base+"/pay"), 303, "/status")
	check(t, "listed in my tasks", c.Get("/my"), 200, "待学校审核")
}
