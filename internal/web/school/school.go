// Package school is the school admin console (/school): tasks with every
// setting, roster import with a per-row validation report, manual-entry
// approvals, the progress dashboard by college/major/class with drill-down
// and CSV export, audited reveals of ID numbers, delivery packages with
// expiring download links, support contacts and the school's audit log.
package school

import (
	"embed"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/roster"
	"xiaoxiang/internal/sqldb"
	"xiaoxiang/internal/web/console"
)

//go:embed templates/*.html
var templates embed.FS

// Handler serves the school console.
type Handler struct {
	kit   *console.Kit
	c     *core.Console
	pages *console.Pages
}

// New builds the school console on the shared console kit.
func New(kit *console.Kit) (*Handler, error) {
	sub, _ := fs.Sub(templates, "templates")
	pages, err := kit.Pages(sub, nil)
	if err != nil {
		return nil, err
	}
	return &Handler{kit: kit, c: kit.C, pages: pages}, nil
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, page, title string, data any) {
	h.pages.Render(w, r, http.StatusOK, page, console.View{Title: title, Section: "school", Data: data})
}

func (h *Handler) renderErr(w http.ResponseWriter, r *http.Request, status int, page, title string, data any, err error) {
	h.pages.Render(w, r, status, page, console.View{Title: title, Section: "school", Data: data, Error: xiaoxiang.ErrorMessage(err)})
}

type homeData struct {
	School *xiaoxiang.School
	Tasks  []*xiaoxiang.Task
	Now    time.Time
}

func (h *Handler) showHome(w http.ResponseWriter, r *http.Request) {
	a := console.ActorFrom(r.Context())
	s, err := h.c.MySchool(r.Context(), a)
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	ts, err := h.c.Tasks(r.Context(), a, s.ID)
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	h.render(w, r, "home", s.Name, homeData{School: s, Tasks: ts, Now: h.c.Now()})
}

func (h *Handler) saveSupport(w http.ResponseWriter, r *http.Request) {
	a := console.ActorFrom(r.Context())
	err := h.c.SaveSupport(r.Context(), a, a.P.SchoolID, core.SupportInput{Phone: r.FormValue("phone"), Hours: r.FormValue("hours"), QQ: r.FormValue("qq")})
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	h.kit.Redirect(w, r, "/school", "客服联系方式已保存。")
}

// ---- tasks ----

type taskForm struct {
	Task     *xiaoxiang.Task
	Profiles []*xiaoxiang.SpecProfile
	Cats     []xiaoxiang.Category
	OpensAt  string
	ClosesAt string
	Fee      string
}

const formTime = "2006-01-02T15:04"

func (h *Handler) taskForm(r *http.Request, t *xiaoxiang.Task) taskForm {
	ps, _ := h.c.SpecProfiles(r.Context())
	f := taskForm{Task: t, Profiles: ps, Cats: xiaoxiang.Categories, Fee: strconv.FormatFloat(float64(t.FeeFen)/100, 'f', 2, 64)}
	if !t.OpensAt.IsZero() {
		f.OpensAt = t.OpensAt.In(xiaoxiang.Shanghai).Format(formTime)
	}
	if !t.ClosesAt.IsZero() {
		f.ClosesAt = t.ClosesAt.In(xiaoxiang.Shanghai).Format(formTime)
	}
	return f
}

func (h *Handler) showNewTask(w http.ResponseWriter, r *http.Request) {
	a := console.ActorFrom(r.Context())
	t := &xiaoxiang.Task{SchoolID: a.P.SchoolID, Category: xiaoxiang.CategoryUndergrad, LinkMode: xiaoxiang.LinkByDocument, AllowAlbum: true,
		ProfileID: xiaoxiang.DefaultProfileID, DailyStandardizeLimit: xiaoxiang.DefaultDailyStandardizeLimit, FreeResubmissions: xiaoxiang.DefaultFreeResubmissions,
		ReplacementsBeforeReview: xiaoxiang.DefaultReplacementsBeforeReview, ExportKey: xiaoxiang.ExportByDocument, Status: xiaoxiang.TaskDraft}
	h.render(w, r, "task_form", "新建采集任务", h.taskForm(r, t))
}

func (h *Handler) showEditTask(w http.ResponseWriter, r *http.Request) {
	t, ok := h.task(w, r)
	if !ok {
		return
	}
	h.render(w, r, "task_form", "编辑采集任务", h.taskForm(r, t))
}

// parseTask fills t from the form; a bad value gives an EINVALID error.
func parseTask(r *http.Request, t *xiaoxiang.Task) error {
	t.Title = r.FormValue("title")
	t.Category = xiaoxiang.Category(r.FormValue("category"))
	t.Grade = strings.TrimSpace(r.FormValue("grade"))
	t.LinkMode = xiaoxiang.LinkMode(r.FormValue("link_mode"))
	t.ExportKey = xiaoxiang.ExportKey(r.FormValue("export_key"))
	t.ProfileID = r.FormValue("profile")
	t.AllowManualEntry = r.FormValue("allow_manual") == "1"
	t.AllowAlbum = r.FormValue("allow_album") == "1"
	t.RequireCTID = r.FormValue("require_ctid") == "1"
	t.SamePersonCheck = r.FormValue("same_person") == "1"
	t.Notice = strings.TrimSpace(r.FormValue("notice"))
	if len([]rune(t.Notice)) > 1000 {
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "任务公告不能超过1000个字。")
	}
	var err error
	if t.OpensAt, err = time.ParseInLocation(formTime, r.FormValue("opens_at"), xiaoxiang.Shanghai); err != nil {
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "请填写正确的开始时间。")
	}
	if t.ClosesAt, err = time.ParseInLocation(formTime, r.FormValue("closes_at"), xiaoxiang.Shanghai); err != nil {
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "请填写正确的截止时间。")
	}
	fee, err := strconv.ParseFloat(strings.TrimSpace(r.FormValue("fee")), 64)
	if err != nil || fee < 0 {
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "费用请填写金额（元），免费填0。")
	}
	t.FeeFen = int64(fee*100 + 0.5)
	for _, x := range []struct {
		name string
		p    *int
		msg  string
	}{{"daily_limit", &t.DailyStandardizeLimit, "每日标准化次数"}, {"resubmissions", &t.FreeResubmissions, "免费重新提交次数"},
		{"replacements", &t.ReplacementsBeforeReview, "审核前更换次数"}} {
		n, err := strconv.Atoi(strings.TrimSpace(r.FormValue(x.name)))
		if err != nil || n < 0 || n > 20 {
			return xiaoxiang.Errorf(xiaoxiang.EINVALID, "%s请填写0到20之间的整数。", x.msg)
		}
		*x.p = n
	}
	return nil
}

func (h *Handler) createTask(w http.ResponseWriter, r *http.Request) {
	a := console.ActorFrom(r.Context())
	t := &xiaoxiang.Task{SchoolID: a.P.SchoolID, Status: xiaoxiang.TaskDraft}
	err := parseTask(r, t)
	if err == nil {
		err = h.c.SaveTask(r.Context(), a, t)
	}
	if err != nil {
		h.renderErr(w, r, http.StatusBadRequest, "task_form", "新建采集任务", h.taskForm(r, t), err)
		return
	}
	h.kit.Redirect(w, r, "/school/tasks/"+strconv.FormatInt(t.ID, 10), "采集任务已创建（草稿）。导入名单后可开放采集。")
}

func (h *Handler) updateTask(w http.ResponseWriter, r *http.Request) {
	t, ok := h.task(w, r)
	if !ok {
		return
	}
	err := parseTask(r, t)
	if err == nil {
		err = h.c.SaveTask(r.Context(), console.ActorFrom(r.Context()), t)
	}
	if err != nil {
		h.renderErr(w, r, http.StatusBadRequest, "task_form", "编辑采集任务", h.taskForm(r, t), err)
		return
	}
	h.kit.Redirect(w, r, "/school/tasks/"+strconv.FormatInt(t.ID, 10), "任务设置已保存。")
}

func (h *Handler) setTaskStatus(w http.ResponseWriter, r *http.Request) {
	id, err := console.PathID(r, "id")
	if err == nil {
		err = h.c.SetTaskStatus(r.Context(), console.ActorFrom(r.Context()), id, xiaoxiang.TaskStatus(r.FormValue("status")))
	}
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	msg := map[string]string{"open": "采集任务已开放。", "closed": "采集任务已关闭。", "draft": "采集任务已改为草稿。"}[r.FormValue("status")]
	h.kit.Redirect(w, r, "/school/tasks/"+strconv.FormatInt(id, 10), msg)
}

// task loads the {id} task or renders the error.
func (h *Handler) task(w http.ResponseWriter, r *http.Request) (*xiaoxiang.Task, bool) {
	id, err := console.PathID(r, "id")
	if err != nil {
		h.kit.Error(w, r, err)
		return nil, false
	}
	t, err := h.c.Task(r.Context(), console.ActorFrom(r.Context()), id)
	if err != nil {
		h.kit.Error(w, r, err)
		return nil, false
	}
	return t, true
}

type taskData struct {
	P        *core.ProgressView
	Manual   int
	Now      time.Time
	GroupTag string
}

// showTask is the task dashboard: progress grouped by college, or by major
// and class inside a college.
func (h *Handler) showTask(w http.ResponseWriter, r *http.Request) {
	id, err := console.PathID(r, "id")
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	a := console.ActorFrom(r.Context())
	college, major := r.FormValue("college"), r.FormValue("major")
	group := "college"
	switch {
	case major != "":
		group = "class"
	case college != "":
		group = r.FormValue("by")
		if group != "major" {
			group = "class"
		}
	}
	p, err := h.c.Progress(r.Context(), a, id, group, college, major)
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	manual, _ := h.c.ManualEntries(r.Context(), a, id)
	tag := map[string]string{"college": "学院", "major": "专业", "class": "班级"}[group]
	h.render(w, r, "task", p.Task.Title, taskData{P: p, Manual: len(manual), Now: h.c.Now(), GroupTag: tag})
}

// ---- roster ----

type rosterData struct {
	Task   *xiaoxiang.Task
	Report *core.ImportReport
	Photos *core.PhotoImportReport
}

func (h *Handler) showRoster(w http.ResponseWriter, r *http.Request) {
	t, ok := h.task(w, r)
	if !ok {
		return
	}
	h.render(w, r, "roster", "导入采集名单", rosterData{Task: t})
}

func (h *Handler) importRoster(w http.ResponseWriter, r *http.Request) {
	t, ok := h.task(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, roster.DefaultLimits.MaxFileSize+1<<20)
	f, _, err := r.FormFile("file")
	if err != nil {
		h.renderErr(w, r, http.StatusBadRequest, "roster", "导入采集名单", rosterData{Task: t},
			xiaoxiang.Errorf(xiaoxiang.EINVALID, "请选择要导入的名单文件（XLSX 或 CSV，不超过20MB）。"))
		return
	}
	defer f.Close()
	rep, err := h.c.ImportRoster(r.Context(), console.ActorFrom(r.Context()), t.ID, f)
	if err != nil {
		h.renderErr(w, r, http.StatusBadRequest, "roster", "导入采集名单", rosterData{Task: t}, err)
		return
	}
	h.render(w, r, "roster", "导入结果", rosterData{Task: t, Report: rep})
}

// maxPhotoZip bounds an uploaded roster-photo zip.
const maxPhotoZip = 2 << 30

func (h *Handler) importPhotos(w http.ResponseWriter, r *http.Request) {
	t, ok := h.task(w, r)
	if !ok {
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPhotoZip)
	f, hdr, err := r.FormFile("zip")
	if err != nil {
		h.renderErr(w, r, http.StatusBadRequest, "roster", "导入学籍照片", rosterData{Task: t},
			xiaoxiang.Errorf(xiaoxiang.EINVALID, "请选择学籍照片压缩包（zip，文件名为证件号或学号）。"))
		return
	}
	defer f.Close()
	rep, err := h.c.ImportRosterPhotos(r.Context(), console.ActorFrom(r.Context()), t.ID, f, hdr.Size)
	if err != nil {
		h.renderErr(w, r, http.StatusBadRequest, "roster", "导入学籍照片", rosterData{Task: t}, err)
		return
	}
	h.render(w, r, "roster", "学籍照片导入结果", rosterData{Task: t, Photos: rep})
}

func (h *Handler) rosterTemplate(w http.ResponseWriter, r *http.Request) {
	b, err := h.c.RosterTemplate()
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(roster.TemplateFilename))
	w.Write(b)
}

// ---- students ----

type studentsData struct {
	Task   *xiaoxiang.Task
	Q      core.StudentQuery
	Rows   []*sqldb.StudentRow
	Total  int
	Query  string
	Page   int
	Next   int
	Reveal map[int64]string
	Stages []stage
}

type stage struct{ Code, Label string }

var stages = []stage{{"", "全部"}, {"not_linked", "未关联"}, {"linked", "已关联"}, {"paid", "已支付"}, {"submitted", "已提交"},
	{"pending", "待审核"}, {"approved", "已通过"}, {"rejected", "未通过"}, {"delivered", "已交付"}}

func studentQuery(r *http.Request) (core.StudentQuery, string) {
	q := core.StudentQuery{College: r.FormValue("college"), Major: r.FormValue("major"), Class: r.FormValue("class"), Stage: r.FormValue("stage")}
	v := url.Values{}
	for k, s := range map[string]string{"college": q.College, "major": q.Major, "class": q.Class, "stage": q.Stage} {
		if s != "" {
			v.Set(k, s)
		}
	}
	return q, v.Encode()
}

const studentPage = 100

func (h *Handler) showStudents(w http.ResponseWriter, r *http.Request) {
	t, ok := h.task(w, r)
	if !ok {
		return
	}
	q, enc := studentQuery(r)
	page := int(console.FormInt(r, "page"))
	if page < 1 {
		page = 1
	}
	q.Limit, q.Offset = studentPage, (page-1)*studentPage
	rows, total, err := h.c.Students(r.Context(), console.ActorFrom(r.Context()), t.ID, q)
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	d := studentsData{Task: t, Q: q, Rows: rows, Total: total, Query: enc, Page: page, Stages: stages}
	if page*studentPage < total {
		d.Next = page + 1
	}
	h.render(w, r, "students", "学生名单 · "+t.Title, d)
}

func (h *Handler) exportStudents(w http.ResponseWriter, r *http.Request) {
	id, err := console.PathID(r, "id")
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	q, _ := studentQuery(r)
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape("采集进度_"+strconv.FormatInt(id, 10)+".csv"))
	w.Header().Set("Cache-Control", "no-store")
	if _, err := h.c.ExportStudentsCSV(r.Context(), console.ActorFrom(r.Context()), id, q, w); err != nil {
		w.Header().Del("Content-Disposition")
		h.kit.Error(w, r, err)
	}
}

type revealData struct {
	EntryID int64
	Number  string
	Back    string
}

func (h *Handler) reveal(w http.ResponseWriter, r *http.Request) {
	id, err := console.PathID(r, "eid")
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	n, err := h.c.RevealDocument(r.Context(), console.ActorFrom(r.Context()), id)
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	back := r.FormValue("back")
	if !strings.HasPrefix(back, "/school/") {
		back = "/school"
	}
	h.render(w, r, "reveal", "查看完整证件号", revealData{EntryID: id, Number: n, Back: back})
}

// ---- manual entries ----

type manualData struct {
	Task    *xiaoxiang.Task
	Entries []core.EntryView
}

func (h *Handler) showManual(w http.ResponseWriter, r *http.Request) {
	t, ok := h.task(w, r)
	if !ok {
		return
	}
	es, err := h.c.ManualEntries(r.Context(), console.ActorFrom(r.Context()), t.ID)
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	h.render(w, r, "manual", "人工录入审批", manualData{Task: t, Entries: es})
}

func (h *Handler) decideManual(w http.ResponseWriter, r *http.Request) {
	id, err := console.PathID(r, "eid")
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	approve := r.FormValue("decision") == "approve"
	back := "/school/tasks/" + strconv.FormatInt(console.FormInt(r, "task"), 10) + "/manual"
	if err := h.c.DecideManualEntry(r.Context(), console.ActorFrom(r.Context()), id, approve, r.FormValue("note")); err != nil {
		if xiaoxiang.ErrorCode(err) == xiaoxiang.EINVALID {
			h.kit.Redirect(w, r, back, xiaoxiang.ErrorMessage(err))
			return
		}
		h.kit.Error(w, r, err)
		return
	}
	msg := "已通过，学生可以继续缴费和拍照。"
	if !approve {
		msg = "已驳回，学生会收到说明。"
	}
	h.kit.Redirect(w, r, back, msg)
}

// ---- export ----

type exportData struct {
	Task     *xiaoxiang.Task
	Colleges []string
	Packages []*core.Package
}

func (h *Handler) showExport(w http.ResponseWriter, r *http.Request) {
	t, ok := h.task(w, r)
	if !ok {
		return
	}
	a := console.ActorFrom(r.Context())
	cols, err := h.c.Colleges(r.Context(), a, t.ID)
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	ps, err := h.c.Packages(r.Context(), a, t.ID)
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	h.render(w, r, "export", "导出照片", exportData{Task: t, Colleges: cols, Packages: ps})
}

func (h *Handler) createPackage(w http.ResponseWriter, r *http.Request) {
	id, err := console.PathID(r, "id")
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	p, err := h.c.CreatePackage(r.Context(), console.ActorFrom(r.Context()), id, core.PackageFilter{College: r.FormValue("college"),
		Class: r.FormValue("class"), IncludeDelivered: r.FormValue("include_delivered") == "1", PhotosOnly: r.FormValue("photos_only") == "1"})
	if err != nil {
		if xiaoxiang.ErrorCode(err) == xiaoxiang.EINVALID {
			h.kit.Redirect(w, r, "/school/tasks/"+strconv.FormatInt(id, 10)+"/export", xiaoxiang.ErrorMessage(err))
			return
		}
		h.kit.Error(w, r, err)
		return
	}
	h.kit.Redirect(w, r, "/school/packages/"+strconv.FormatInt(p.ID, 10), "正在生成导出包，完成后可下载。")
}

type packageData struct {
	P     *core.Package
	Links map[string]string
	Exp   time.Time
}

func (h *Handler) showPackage(w http.ResponseWriter, r *http.Request) {
	id, err := console.PathID(r, "pid")
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	a := console.ActorFrom(r.Context())
	p, err := h.c.Package(r.Context(), a, id)
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	d := packageData{P: p, Links: map[string]string{}}
	if p.State == core.PackageReady || p.State == core.PackageDelivered {
		for _, f := range append(append([]core.PackageFile(nil), p.Parts...), p.Manifests...) {
			link, exp, err := h.c.DownloadLink(r.Context(), a, p.ID, f.Name)
			if err != nil {
				h.kit.Error(w, r, err)
				return
			}
			d.Links[f.Name], d.Exp = link, exp
		}
	}
	h.render(w, r, "package", "导出包 "+strconv.FormatInt(p.ID, 10), d)
}

func (h *Handler) markDelivered(w http.ResponseWriter, r *http.Request) {
	id, err := console.PathID(r, "pid")
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	n, err := h.c.MarkDelivered(r.Context(), console.ActorFrom(r.Context()), id)
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	h.kit.Redirect(w, r, "/school/packages/"+strconv.FormatInt(id, 10), "已标记交付，"+strconv.Itoa(n)+" 名学生的状态变为“已交付”。")
}

// ---- audit ----

func (h *Handler) showAudit(w http.ResponseWriter, r *http.Request) {
	es, err := h.c.AuditLog(r.Context(), console.ActorFrom(r.Context()), core.AuditQuery{Action: r.FormValue("action"),
		BeforeID: console.FormInt(r, "before"), Limit: 100})
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	h.render(w, r, "audit", "操作日志", struct {
		Entries []*xiaoxiang.AuditEntry
		Action  string
	}{es, r.FormValue("action")})
}

// ---- refunds ----

func (h *Handler) showRefunds(w http.ResponseWriter, r *http.Request) {
	rows, err := h.c.Refunds(r.Context(), console.ActorFrom(r.Context()))
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	h.render(w, r, "refunds", "退款", rows)
}

func (h *Handler) requestRefund(w http.ResponseWriter, r *http.Request) {
	id, err := console.PathID(r, "eid")
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	back := r.FormValue("back")
	if !strings.HasPrefix(back, "/school/") {
		back = "/school/refunds"
	}
	if err := h.c.RequestRefund(r.Context(), console.ActorFrom(r.Context()), id, r.FormValue("reason")); err != nil {
		switch xiaoxiang.ErrorCode(err) {
		case xiaoxiang.EINVALID, xiaoxiang.ECONFLICT:
			h.kit.Redirect(w, r, back, xiaoxiang.ErrorMessage(err))
			return
		}
		h.kit.Error(w, r, err)
		return
	}
	h.kit.Redirect(w, r, "/school/refunds", "退款申请已提交，平台审核通过后原路退回。")
}
