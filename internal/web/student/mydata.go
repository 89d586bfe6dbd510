package student

import (
	"net/http"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/web"
)

// showMyData lists everything the platform holds about me (document numbers masked).
func (h *Handler) showMyData(w http.ResponseWriter, r *http.Request) {
	a, ok := h.account(w, r)
	if !ok {
		return
	}
	md, err := h.o.Core.MyData(r.Context(), a.ID)
	if err != nil {
		h.o.Render.Error(w, r, err)
		return
	}
	h.o.Render.Render(w, r, http.StatusOK, "mydata", web.View{Title: "我的数据", Back: "/", Data: myDataView{D: md}})
}

type myDataView struct{ D *core.MyData }

func (v myDataView) ConsentLabel(k xiaoxiang.ConsentKind) string {
	if k == xiaoxiang.ConsentIdentity {
		return "身份信息处理"
	}
	return "人像照片处理"
}

// deleteMyData anonymises the account (approved photos stay with the school).
func (h *Handler) deleteMyData(w http.ResponseWriter, r *http.Request) {
	a, ok := h.account(w, r)
	if !ok {
		return
	}
	if r.FormValue("confirm") != "删除" {
		h.o.Render.Error(w, r, xiaoxiang.Errorf(xiaoxiang.EINVALID, "请在输入框中填写“删除”两个字以确认。"), web.Link{Label: "返回", Href: "/me/data"})
		return
	}
	if err := h.o.Core.DeleteMyData(r.Context(), a.ID); err != nil {
		h.o.Render.Error(w, r, err)
		return
	}
	h.clearSession(w)
	h.o.Render.Render(w, r, http.StatusOK, "message", web.View{Title: "数据已删除", Data: messageData{Icon: "ok", Heading: "您的数据已删除",
		Text:    "微信帐号已解绑并匿名化，未通过审核的照片已删除。",
		Lines:   []string{"已通过审核或已交付学校的照片、已支付的订单按学校学籍管理和财务要求保留。", "如需再次采集，请重新登录。"},
		Actions: []web.Link{{Label: "返回登录页", Href: "/login"}}}})
}

type noticesData struct {
	Items []*xiaoxiang.Notification
}

// showNotices is the in-app notice list (review results and other messages; the
// fallback when no WeChat subscription credit is left).
func (h *Handler) showNotices(w http.ResponseWriter, r *http.Request) {
	a, ok := h.account(w, r)
	if !ok {
		return
	}
	ns, err := h.o.Core.Notifications(r.Context(), a.ID, 50)
	if err != nil {
		h.o.Render.Error(w, r, err)
		return
	}
	h.o.Render.Render(w, r, http.StatusOK, "notices", web.View{Title: "消息通知", Back: "/", Data: noticesData{Items: ns}})
}
