package student

import (
	"net/http"
	"strings"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/web"
)

type homeData struct {
	Nickname string
	MyTasks  int
}

// showHome is step 3: the home page with 去采集.
func (h *Handler) showHome(w http.ResponseWriter, r *http.Request) {
	a, ok := h.account(w, r)
	if !ok {
		return
	}
	mine, err := h.o.Core.MyTasks(r.Context(), a.ID)
	if err != nil {
		h.o.Render.Error(w, r, err)
		return
	}
	h.o.Render.Render(w, r, http.StatusOK, "home", web.View{Title: "肖像采集", Data: homeData{Nickname: a.Nickname, MyTasks: countActive(mine)}})
}

func countActive(mine []core.MyTask) int {
	n := 0
	for _, m := range mine {
		if m.Binding.Active() {
			n++
		}
	}
	return n
}

type schoolsData struct {
	Q        string
	Searched bool
	Schools  []*xiaoxiang.School
	MyTasks  int
}

// searchSchools is step 4: search by name keyword, pinyin or 5-digit code.
func (h *Handler) searchSchools(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.account(w, r); !ok {
		return
	}
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	d := schoolsData{Q: q}
	if q != "" {
		schools, err := h.o.Core.SearchSchools(r.Context(), q, 20)
		if err != nil {
			h.o.Render.Error(w, r, err, web.Link{Label: "重新搜索", Href: "/schools"})
			return
		}
		d.Searched, d.Schools = true, schools
	}
	h.o.Render.Render(w, r, http.StatusOK, "schools", web.View{Title: "选择学校", Back: "/", Data: d})
}

type categoryItem struct {
	Category xiaoxiang.Category
	Count    int
}

type categoriesData struct {
	School     *xiaoxiang.School
	Categories []categoryItem
}

// showCategories: choose the education category (only categories with open tasks).
func (h *Handler) showCategories(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.account(w, r); !ok {
		return
	}
	id, ok := h.pathID(w, r, "id")
	if !ok {
		return
	}
	school, groups, ok := h.schoolTasks(w, r, id)
	if !ok {
		return
	}
	d := categoriesData{School: school}
	for _, g := range groups {
		d.Categories = append(d.Categories, categoryItem{Category: g.Category, Count: len(g.Tasks)})
	}
	h.o.Render.Render(w, r, http.StatusOK, "categories", web.View{Title: "选择学历类别", Back: "/schools", Data: d})
}

func (h *Handler) schoolTasks(w http.ResponseWriter, r *http.Request, id int64) (*xiaoxiang.School, []core.CategoryTasks, bool) {
	school, err := h.o.Core.School(r.Context(), id)
	if err != nil {
		h.o.Render.Error(w, r, err, web.Link{Label: "重新搜索学校", Href: "/schools"})
		return nil, nil, false
	}
	groups, err := h.o.Core.SchoolTasks(r.Context(), id)
	if err != nil {
		h.o.Render.Error(w, r, err, web.Link{Label: "重新搜索学校", Href: "/schools"})
		return nil, nil, false
	}
	return school, groups, true
}

type tasksData struct {
	School   *xiaoxiang.School
	Category xiaoxiang.Category
	Tasks    []*xiaoxiang.Task
}

// showTasks: the category's open tasks with window and fee.
func (h *Handler) showTasks(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.account(w, r); !ok {
		return
	}
	id, ok := h.pathID(w, r, "id")
	if !ok {
		return
	}
	cat := xiaoxiang.Category(r.PathValue("category"))
	if !cat.Valid() {
		h.o.Render.Error(w, r, xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "学历类别不存在，请重新选择。"))
		return
	}
	school, groups, ok := h.schoolTasks(w, r, id)
	if !ok {
		return
	}
	d := tasksData{School: school, Category: cat}
	for _, g := range groups {
		if g.Category == cat {
			d.Tasks = g.Tasks
		}
	}
	h.o.Render.Render(w, r, http.StatusOK, "tasks", web.View{Title: "选择采集任务", Back: "/schools/" + r.PathValue("id"), Data: d})
}

type myTaskItem struct {
	TaskID        int64
	BindingID     int64
	Title         string
	SchoolName    string
	CategoryLabel string
	StatusLabel   string
	StatusClass   string
	Closed        bool
	Href          string
}

type myTasksData struct{ Items []myTaskItem }

// showMyTasks is 我的任务: every task the account is linked to, with progress.
func (h *Handler) showMyTasks(w http.ResponseWriter, r *http.Request) {
	a, ok := h.account(w, r)
	if !ok {
		return
	}
	mine, err := h.o.Core.MyTasks(r.Context(), a.ID)
	if err != nil {
		h.o.Render.Error(w, r, err)
		return
	}
	var d myTasksData
	now := h.o.Now()
	for _, m := range mine {
		it := myTaskItem{TaskID: m.Task.ID, BindingID: m.Binding.ID, Title: m.Task.Title, CategoryLabel: m.Task.Category.Label(),
			StatusLabel: m.Progress, StatusClass: progressClass(m.Progress), Closed: !m.Task.Open(now)}
		if m.School != nil {
			it.SchoolName = m.School.Name
		}
		d.Items = append(d.Items, it)
	}
	h.o.Render.Render(w, r, http.StatusOK, "mytasks", web.View{Title: "我的任务", Back: "/", Data: d})
}

func progressClass(p string) string {
	switch p {
	case "已完成", "已交付":
		return "is-ok"
	case "未通过", "已解绑":
		return "is-bad"
	case "待支付", "待拍摄", "待学校审核":
		return "is-warn"
	}
	return "is-info"
}

// enterTask opens a task from the list: to the binding if linked, else to the
// identity consent and 关联; closed or out-of-window tasks get their own screen.
func (h *Handler) enterTask(w http.ResponseWriter, r *http.Request) {
	a, id, ok := h.accountAndID(w, r, "id")
	if !ok {
		return
	}
	mine, err := h.o.Core.MyTasks(r.Context(), a.ID)
	if err != nil {
		h.o.Render.Error(w, r, err)
		return
	}
	for _, m := range mine {
		if m.Task.ID == id && m.Binding.Active() {
			http.Redirect(w, r, bpath(m.Binding.ID, ""), http.StatusSeeOther)
			return
		}
	}
	t, ok := h.openTask(w, r, id)
	if !ok {
		return
	}
	http.Redirect(w, r, "/tasks/"+itoa(t.ID)+"/consent", http.StatusSeeOther)
}

// openTask loads a task and renders the closed / not-yet-open / over screen when
// students cannot act on it.
func (h *Handler) openTask(w http.ResponseWriter, r *http.Request, id int64) (*xiaoxiang.Task, bool) {
	t, err := h.o.Core.Task(r.Context(), id)
	if err != nil {
		h.o.Render.Error(w, r, err, web.Link{Label: "重新选择学校", Href: "/schools"})
		return nil, false
	}
	if err := t.CheckOpen(h.o.Now()); err != nil {
		h.closedScreen(w, r, t, err)
		return nil, false
	}
	return t, true
}

type messageData struct {
	Icon    string // ok, warn, bad, info
	Heading string
	Text    string
	Lines   []string
	Actions []web.Link
}

// closedScreen is the screen for a closed task, one not yet open, or one whose window is over.
func (h *Handler) closedScreen(w http.ResponseWriter, r *http.Request, t *xiaoxiang.Task, err error) {
	d := messageData{Icon: "warn", Heading: "采集任务已关闭", Text: xiaoxiang.ErrorMessage(err),
		Actions: []web.Link{{Label: "查看我的任务", Href: "/my"}, {Label: "返回首页", Href: "/"}}}
	switch {
	case t.Status != xiaoxiang.TaskOpen:
	case t.Window(h.o.Now()) == xiaoxiang.WindowNotYet:
		d.Icon, d.Heading = "info", "采集尚未开始"
		d.Lines = []string{"采集时间：" + xiaoxiang.FormatShanghai(t.OpensAt) + " 至 " + xiaoxiang.FormatShanghai(t.ClosesAt), "请在开始后再进入采集。"}
	default:
		d.Heading = "采集已截止"
		d.Lines = []string{"采集时间：" + xiaoxiang.FormatShanghai(t.OpensAt) + " 至 " + xiaoxiang.FormatShanghai(t.ClosesAt), "如需补采，请联系学校学籍部门。"}
	}
	h.o.Render.Render(w, r, web.StatusOf(err), "message", web.View{Title: t.Title, Back: "/my", Data: d})
}

type helpSchool struct {
	Name, Phone, Hours, QQ string
}

type helpData struct {
	Platform Support
	Schools  []helpSchool
}

// showHelp lists support contacts: the schools of my tasks and the platform's.
func (h *Handler) showHelp(w http.ResponseWriter, r *http.Request) {
	d := helpData{Platform: h.o.Support}
	if c, err := r.Cookie(sessionCookie); err == nil {
		if s, err := h.o.Sessions.Decode(c.Value, h.o.Now()); err == nil {
			if mine, err := h.o.Core.MyTasks(r.Context(), s.AccountID); err == nil {
				seen := map[int64]bool{}
				for _, m := range mine {
					if m.School == nil || seen[m.School.ID] || (m.School.SupportPhone == "" && m.School.SupportQQ == "") {
						continue
					}
					seen[m.School.ID] = true
					d.Schools = append(d.Schools, helpSchool{Name: m.School.Name, Phone: m.School.SupportPhone, Hours: m.School.SupportHours, QQ: m.School.SupportQQ})
				}
			}
		}
	}
	h.o.Render.Render(w, r, http.StatusOK, "help", web.View{Title: "帮助与客服", Back: "/", Data: d})
}
