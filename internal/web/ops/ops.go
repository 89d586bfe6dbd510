// Package ops is the operator console (/ops): schools, staff accounts, spec
// profiles (photo specifications as data), platform settings (the rejection
// reason list) and the audit log with search.
package ops

import (
	"embed"
	"io/fs"
	"net/http"
	"strconv"
	"strings"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/sqldb"
	"xiaoxiang/internal/web/console"
)

//go:embed templates/*.html
var templates embed.FS

// Handler serves the operator console.
type Handler struct {
	kit   *console.Kit
	c     *core.Console
	pages *console.Pages
}

// New builds the operator console on the shared console kit.
func New(kit *console.Kit) (*Handler, error) {
	sub, _ := fs.Sub(templates, "templates")
	pages, err := kit.Pages(sub, nil)
	if err != nil {
		return nil, err
	}
	return &Handler{kit: kit, c: kit.C, pages: pages}, nil
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page, title string, data any, err error) {
	v := console.View{Title: title, Section: "ops", Data: data}
	if err != nil {
		v.Error = xiaoxiang.ErrorMessage(err)
	}
	h.pages.Render(w, r, status, page, v)
}

func (h *Handler) showHome(w http.ResponseWriter, r *http.Request) {
	ss, err := h.c.Schools(r.Context(), console.ActorFrom(r.Context()))
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "home", "运营后台", ss, nil)
}

func (h *Handler) showSchool(w http.ResponseWriter, r *http.Request) {
	s := &xiaoxiang.School{}
	if r.PathValue("id") != "" {
		id, err := console.PathID(r, "id")
		if err == nil {
			s, err = h.c.SchoolByID(r.Context(), console.ActorFrom(r.Context()), id)
		}
		if err != nil {
			h.kit.Error(w, r, err)
			return
		}
	}
	h.render(w, r, http.StatusOK, "school", "学校信息", s, nil)
}

func (h *Handler) saveSchool(w http.ResponseWriter, r *http.Request) {
	s := &xiaoxiang.School{Name: r.FormValue("name"), Code: r.FormValue("code"), Ident: r.FormValue("ident"), Pinyin: r.FormValue("pinyin"),
		Initials: r.FormValue("initials"), SupportPhone: r.FormValue("phone"), SupportHours: r.FormValue("hours"), SupportQQ: r.FormValue("qq")}
	if r.PathValue("id") != "" {
		id, err := console.PathID(r, "id")
		if err != nil {
			h.kit.Error(w, r, err)
			return
		}
		s.ID = id
	}
	if err := h.c.SaveSchool(r.Context(), console.ActorFrom(r.Context()), s); err != nil {
		h.render(w, r, http.StatusBadRequest, "school", "学校信息", s, err)
		return
	}
	h.kit.Redirect(w, r, "/ops", "学校“"+s.Name+"”已保存。")
}

type staffListData struct {
	Staff   []*xiaoxiang.Staff
	Schools map[int64]string
}

func (h *Handler) schoolNames(r *http.Request) ([]*xiaoxiang.School, map[int64]string) {
	ss, _ := h.c.Schools(r.Context(), console.ActorFrom(r.Context()))
	m := map[int64]string{}
	for _, s := range ss {
		m[s.ID] = s.Name
	}
	return ss, m
}

func (h *Handler) showStaffList(w http.ResponseWriter, r *http.Request) {
	st, err := h.c.StaffList(r.Context(), console.ActorFrom(r.Context()), console.FormInt(r, "school"))
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	_, names := h.schoolNames(r)
	h.render(w, r, http.StatusOK, "staff_list", "工作人员账号", staffListData{Staff: st, Schools: names}, nil)
}

type staffData struct {
	S        core.StaffInput
	TOTP     bool
	Schools  []*xiaoxiang.School
	Roles    []xiaoxiang.Role
	Colleges string
}

var roles = []xiaoxiang.Role{xiaoxiang.RoleOperator, xiaoxiang.RoleSchoolAdmin, xiaoxiang.RoleReviewer}

func (h *Handler) showStaff(w http.ResponseWriter, r *http.Request) {
	d := staffData{Roles: roles, S: core.StaffInput{Role: xiaoxiang.RoleReviewer}}
	d.Schools, _ = h.schoolNames(r)
	if r.PathValue("id") != "" {
		id, err := console.PathID(r, "id")
		if err != nil {
			h.kit.Error(w, r, err)
			return
		}
		all, err := h.c.StaffList(r.Context(), console.ActorFrom(r.Context()), 0)
		if err != nil {
			h.kit.Error(w, r, err)
			return
		}
		found := false
		for _, s := range all {
			if s.ID == id {
				d.S = core.StaffInput{ID: s.ID, Username: s.Username, DisplayName: s.DisplayName, Role: s.Role, SchoolID: s.SchoolID,
					Colleges: s.Colleges, Disabled: s.Disabled}
				d.TOTP, found = s.TOTPSecret != "", true
			}
		}
		if !found {
			h.kit.Error(w, r, xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "账号不存在。"))
			return
		}
	}
	d.Colleges = strings.Join(d.S.Colleges, "\n")
	h.render(w, r, http.StatusOK, "staff", "工作人员账号", d, nil)
}

func (h *Handler) saveStaff(w http.ResponseWriter, r *http.Request) {
	in := core.StaffInput{Username: r.FormValue("username"), DisplayName: r.FormValue("display_name"), Password: r.FormValue("password"),
		Role: xiaoxiang.Role(r.FormValue("role")), SchoolID: console.FormInt(r, "school"), Colleges: strings.Split(r.FormValue("colleges"), "\n"),
		Disabled: r.FormValue("disabled") == "1", ResetTOTP: r.FormValue("reset_totp") == "1"}
	if r.PathValue("id") != "" {
		id, err := console.PathID(r, "id")
		if err != nil {
			h.kit.Error(w, r, err)
			return
		}
		in.ID = id
	}
	st, err := h.c.SaveStaff(r.Context(), console.ActorFrom(r.Context()), in)
	if err != nil {
		d := staffData{S: in, Roles: roles, Colleges: r.FormValue("colleges")}
		d.S.Password = ""
		d.Schools, _ = h.schoolNames(r)
		h.render(w, r, http.StatusBadRequest, "staff", "工作人员账号", d, err)
		return
	}
	h.kit.Redirect(w, r, "/ops/staff", "账号“"+st.Username+"”已保存。")
}

func (h *Handler) showSpecs(w http.ResponseWriter, r *http.Request) {
	ps, err := h.c.SpecProfiles(r.Context())
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "specs", "照片规格", ps, nil)
}

func (h *Handler) saveSpec(w http.ResponseWriter, r *http.Request) {
	p := &xiaoxiang.SpecProfile{ID: r.FormValue("id"), Name: r.FormValue("name"), Spec: r.FormValue("spec")}
	if err := h.c.SaveSpecProfile(r.Context(), console.ActorFrom(r.Context()), p); err != nil {
		ps, _ := h.c.SpecProfiles(r.Context())
		h.render(w, r, http.StatusBadRequest, "specs", "照片规格", ps, err)
		return
	}
	h.kit.Redirect(w, r, "/ops/specs", "照片规格“"+p.Name+"”已保存。")
}

func (h *Handler) showSettings(w http.ResponseWriter, r *http.Request) {
	rs, err := h.c.RejectReasons(r.Context(), console.ActorFrom(r.Context()))
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "settings", "平台设置", rs, nil)
}

func (h *Handler) saveReason(w http.ResponseWriter, r *http.Request) {
	pos, _ := strconv.Atoi(r.FormValue("position"))
	rr := sqldb.RejectReasonRow{RejectReason: xiaoxiang.RejectReason{Code: r.FormValue("code"), Label: r.FormValue("label"), Message: r.FormValue("message")},
		Position: pos, Active: r.FormValue("active") == "1"}
	if err := h.c.SaveRejectReason(r.Context(), console.ActorFrom(r.Context()), rr); err != nil {
		rs, _ := h.c.RejectReasons(r.Context(), console.ActorFrom(r.Context()))
		h.render(w, r, http.StatusBadRequest, "settings", "平台设置", rs, err)
		return
	}
	h.kit.Redirect(w, r, "/ops/settings", "驳回原因已保存。")
}

type auditData struct {
	Entries []*xiaoxiang.AuditEntry
	Q       core.AuditQuery
	Schools map[int64]string
	Older   int64
}

func (h *Handler) showAudit(w http.ResponseWriter, r *http.Request) {
	q := core.AuditQuery{SchoolID: console.FormInt(r, "school"), ActorID: console.FormInt(r, "actor"), Action: r.FormValue("action"),
		BeforeID: console.FormInt(r, "before"), Limit: 100}
	es, err := h.c.AuditLog(r.Context(), console.ActorFrom(r.Context()), q)
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	d := auditData{Entries: es, Q: q}
	_, d.Schools = h.schoolNames(r)
	if len(es) == 100 {
		d.Older = es[len(es)-1].ID
	}
	h.render(w, r, http.StatusOK, "audit", "审计日志", d, nil)
}

func (h *Handler) showRefunds(w http.ResponseWriter, r *http.Request) {
	rows, err := h.c.Refunds(r.Context(), console.ActorFrom(r.Context()))
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	h.render(w, r, http.StatusOK, "refunds", "退款审核", rows, nil)
}

func (h *Handler) decideRefund(w http.ResponseWriter, r *http.Request) {
	id, err := console.PathID(r, "oid")
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	approve := r.FormValue("decision") == "approve"
	if err := h.c.DecideRefund(r.Context(), console.ActorFrom(r.Context()), id, approve); err != nil {
		switch xiaoxiang.ErrorCode(err) {
		case xiaoxiang.ECONFLICT, xiaoxiang.EUNAVAILABLE:
			h.kit.Redirect(w, r, "/ops/refunds", xiaoxiang.ErrorMessage(err))
			return
		}
		h.kit.Error(w, r, err)
		return
	}
	msg := "已提交微信支付退款。"
	if !approve {
		msg = "已驳回退款申请。"
	}
	h.kit.Redirect(w, r, "/ops/refunds", msg)
}
