package student

import (
	"net/http"
	"strconv"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/identity"
	"xiaoxiang/internal/web"
)

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// bpath is the URL of one of my bindings: /my/{bid}{suffix}.
func bpath(bid int64, suffix string) string { return "/my/" + itoa(bid) + suffix }

type consentData struct {
	Kind       string // identity or photo
	SchoolName string
	CTID       bool
	Version    string
	Action     string
	Cancel     string
}

// showIdentityConsent is the separate consent before identity linking (PIPL).
func (h *Handler) showIdentityConsent(w http.ResponseWriter, r *http.Request) {
	a, id, ok := h.accountAndID(w, r, "id")
	if !ok {
		return
	}
	t, ok := h.openTask(w, r, id)
	if !ok {
		return
	}
	cs, err := h.o.Core.Consents(r.Context(), a.ID)
	if err != nil {
		h.o.Render.Error(w, r, err)
		return
	}
	if cs.Identity {
		http.Redirect(w, r, "/tasks/"+itoa(id)+"/link", http.StatusSeeOther)
		return
	}
	school, err := h.o.Core.School(r.Context(), t.SchoolID)
	if err != nil {
		h.o.Render.Error(w, r, err)
		return
	}
	h.o.Render.Render(w, r, http.StatusOK, "consent", web.View{Title: "个人信息授权", Back: "/schools/" + itoa(t.SchoolID) + "/" + string(t.Category),
		Data: consentData{Kind: "identity", SchoolName: school.Name, CTID: t.RequireCTID, Version: xiaoxiang.PrivacyNoticeVersion,
			Action: "/tasks/" + itoa(id) + "/consent", Cancel: "/"}})
}

func (h *Handler) giveIdentityConsent(w http.ResponseWriter, r *http.Request) {
	a, id, ok := h.accountAndID(w, r, "id")
	if !ok {
		return
	}
	if r.FormValue("agree") != "1" {
		h.o.Render.Error(w, r, xiaoxiang.Errorf(xiaoxiang.EINVALID, "请先勾选同意个人信息处理规则。"),
			web.Link{Label: "返回", Href: "/tasks/" + itoa(id) + "/consent"})
		return
	}
	if err := h.o.Core.GiveConsent(r.Context(), a.ID, xiaoxiang.ConsentIdentity); err != nil {
		h.o.Render.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/tasks/"+itoa(id)+"/link", http.StatusSeeOther)
}

type kindOption struct{ Code, Label string }

func kindOptions() []kindOption {
	var ks []kindOption
	for _, k := range identity.Kinds() {
		ks = append(ks, kindOption{Code: string(k), Label: k.Label()})
	}
	return ks
}

type linkData struct {
	Task       *xiaoxiang.Task
	SchoolName string
	Kinds      []kindOption
	Name       string
	DocKind    string
	StudentNo  string
	Error      string
}

type notFoundData struct {
	Task         *xiaoxiang.Task
	SchoolID     int64
	SupportPhone string
}

// showLink is step 5: 关联 by document number or student number.
func (h *Handler) showLink(w http.ResponseWriter, r *http.Request) {
	a, id, ok := h.accountAndID(w, r, "id")
	if !ok {
		return
	}
	t, ok := h.openTask(w, r, id)
	if !ok {
		return
	}
	if cs, err := h.o.Core.Consents(r.Context(), a.ID); err != nil || !cs.Identity {
		http.Redirect(w, r, "/tasks/"+itoa(id)+"/consent", http.StatusSeeOther)
		return
	}
	h.renderLink(w, r, http.StatusOK, t, linkData{DocKind: string(identity.KindResidentID)})
}

func (h *Handler) renderLink(w http.ResponseWriter, r *http.Request, status int, t *xiaoxiang.Task, d linkData) {
	d.Task, d.Kinds = t, kindOptions()
	if s, err := h.o.Core.School(r.Context(), t.SchoolID); err == nil {
		d.SchoolName = s.Name
	}
	title := "证件号关联"
	if t.LinkMode == xiaoxiang.LinkByStudentNo {
		title = "学号关联"
	}
	h.o.Render.Render(w, r, status, "link", web.View{Title: title, Back: "/schools/" + itoa(t.SchoolID) + "/" + string(t.Category), Data: d})
}

func (h *Handler) link(w http.ResponseWriter, r *http.Request) {
	a, id, ok := h.accountAndID(w, r, "id")
	if !ok {
		return
	}
	t, ok := h.openTask(w, r, id)
	if !ok {
		return
	}
	in := core.LinkInput{Name: r.FormValue("name"), DocKind: r.FormValue("doc_kind"), DocNumber: r.FormValue("doc_number"), StudentNo: r.FormValue("student_no")}
	b, err := h.o.Core.Link(r.Context(), a.ID, id, in)
	if err == nil {
		http.Redirect(w, r, bpath(b.ID, ""), http.StatusSeeOther)
		return
	}
	switch xiaoxiang.ErrorCode(err) {
	case xiaoxiang.EINVALID:
		h.renderLink(w, r, http.StatusBadRequest, t, linkData{Name: in.Name, DocKind: in.DocKind, StudentNo: in.StudentNo, Error: xiaoxiang.ErrorMessage(err)})
	case xiaoxiang.ENOTFOUND:
		d := notFoundData{Task: t, SchoolID: t.SchoolID}
		if s, err := h.o.Core.School(r.Context(), t.SchoolID); err == nil {
			d.SupportPhone = s.SupportPhone
		}
		h.o.Render.Render(w, r, http.StatusNotFound, "notfound", web.View{Title: "未查询到学籍信息", Back: "/tasks/" + itoa(id) + "/link", Data: d})
	case xiaoxiang.ECONFLICT:
		h.o.Render.Render(w, r, http.StatusConflict, "message", web.View{Title: "已被其他微信关联", Back: "/tasks/" + itoa(id) + "/link",
			Data: messageData{Icon: "warn", Heading: "该学籍信息已关联其他微信帐号", Text: xiaoxiang.ErrorMessage(err),
				Lines:   []string{"一个学籍信息只能关联一个微信帐号。", "如需更换微信，请先在原微信的“我的任务”中解绑，再用本微信关联。", "如不是您本人操作，请联系学校学籍部门。"},
				Actions: []web.Link{{Label: "返回修改", Href: "/tasks/" + itoa(id) + "/link"}, {Label: "帮助与客服", Href: "/help"}}}})
	default:
		h.o.Render.Error(w, r, err, web.Link{Label: "返回修改", Href: "/tasks/" + itoa(id) + "/link"})
	}
}

type manualData struct {
	Task  *xiaoxiang.Task
	Kinds []kindOption
	Form  core.ManualEntryInput
	Error string
}

// showManual is 人工录入, offered only when the task allows it.
func (h *Handler) showManual(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.account(w, r); !ok {
		return
	}
	id, ok := h.pathID(w, r, "id")
	if !ok {
		return
	}
	t, ok := h.openTask(w, r, id)
	if !ok {
		return
	}
	if !t.AllowManualEntry {
		h.o.Render.Error(w, r, xiaoxiang.Errorf(xiaoxiang.EFORBIDDEN, "该采集任务不允许人工录入，请联系学校学籍部门将您加入采集名单。"),
			web.Link{Label: "返回修改", Href: "/tasks/" + itoa(id) + "/link"})
		return
	}
	h.o.Render.Render(w, r, http.StatusOK, "manual", web.View{Title: "人工录入", Back: "/tasks/" + itoa(id) + "/link",
		Data: manualData{Task: t, Kinds: kindOptions(), Form: core.ManualEntryInput{DocKind: string(identity.KindResidentID)}}})
}

func (h *Handler) submitManual(w http.ResponseWriter, r *http.Request) {
	a, id, ok := h.accountAndID(w, r, "id")
	if !ok {
		return
	}
	t, ok := h.openTask(w, r, id)
	if !ok {
		return
	}
	in := core.ManualEntryInput{Name: r.FormValue("name"), DocKind: r.FormValue("doc_kind"), DocNumber: r.FormValue("doc_number"),
		StudentNo: r.FormValue("student_no"), College: r.FormValue("college"), Major: r.FormValue("major"), Class: r.FormValue("class")}
	b, err := h.o.Core.SubmitManualEntry(r.Context(), a.ID, id, in)
	if err != nil {
		if xiaoxiang.ErrorCode(err) == xiaoxiang.EINVALID {
			in.DocNumber = "" // never echo a document number back into the page
			h.o.Render.Render(w, r, http.StatusBadRequest, "manual", web.View{Title: "人工录入", Back: "/tasks/" + itoa(id) + "/link",
				Data: manualData{Task: t, Kinds: kindOptions(), Form: in, Error: xiaoxiang.ErrorMessage(err)}})
			return
		}
		h.o.Render.Error(w, r, err, web.Link{Label: "返回", Href: "/tasks/" + itoa(id) + "/link"})
		return
	}
	http.Redirect(w, r, bpath(b.ID, "/status"), http.StatusSeeOther)
}

type unbindData struct {
	Status *core.StatusView
}

// showUnbind asks for confirmation before 解绑.
func (h *Handler) showUnbind(w http.ResponseWriter, r *http.Request) {
	st, ok := h.status(w, r)
	if !ok {
		return
	}
	h.o.Render.Render(w, r, http.StatusOK, "unbind", web.View{Title: "解除绑定", Back: bpath(st.Binding.ID, "/status"), Data: unbindData{Status: st}})
}

func (h *Handler) unbind(w http.ResponseWriter, r *http.Request) {
	a, bid, ok := h.accountAndID(w, r, "bid")
	if !ok {
		return
	}
	if err := h.o.Core.Unbind(r.Context(), a.ID, bid); err != nil {
		h.o.Render.Error(w, r, err, web.Link{Label: "返回", Href: bpath(bid, "/status")})
		return
	}
	h.o.Render.Render(w, r, http.StatusOK, "message", web.View{Title: "已解绑", Data: messageData{Icon: "ok", Heading: "已解除绑定",
		Text:    "本微信帐号已与该采集任务解除绑定。",
		Lines:   []string{"已支付的费用和已通过审核的照片仍保留在您的学籍信息下，换用其他微信关联后无需重复支付。", "如需继续采集，请用要使用的微信重新搜索学校并关联。"},
		Actions: []web.Link{{Label: "返回首页", Href: "/"}, {Label: "我的任务", Href: "/my"}}}})
}

// status loads the binding's status view (the context of most /my/{bid} pages).
func (h *Handler) status(w http.ResponseWriter, r *http.Request) (*core.StatusView, bool) {
	a, ok := h.account(w, r)
	if !ok {
		return nil, false
	}
	bid, ok := h.pathID(w, r, "bid")
	if !ok {
		return nil, false
	}
	st, err := h.o.Core.Status(r.Context(), a.ID, bid)
	if err != nil {
		h.o.Render.Error(w, r, err, web.Link{Label: "我的任务", Href: "/my"})
		return nil, false
	}
	return st, true
}
