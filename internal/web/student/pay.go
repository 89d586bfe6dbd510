package student

import (
	"encoding/json"
	"net/http"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/web"
)

// nextStep routes /my/{bid} to where the student continues.
func (h *Handler) nextStep(w http.ResponseWriter, r *http.Request) {
	st, ok := h.status(w, r)
	if !ok {
		return
	}
	switch st.Next {
	case "pay":
		http.Redirect(w, r, bpath(st.Binding.ID, "/pay"), http.StatusSeeOther)
	case "shoot":
		http.Redirect(w, r, bpath(st.Binding.ID, "/guide"), http.StatusSeeOther)
	default:
		http.Redirect(w, r, bpath(st.Binding.ID, "/status"), http.StatusSeeOther)
	}
}

type payData struct {
	Base       string
	Task       *xiaoxiang.Task
	SchoolName string
	State      string // "", failed
	Message    string
	OrderNo    string
	SheetURL   string
	JSAPI      string
}

// showPay is step 6: pay the task's preset fee.
func (h *Handler) showPay(w http.ResponseWriter, r *http.Request) {
	st, ok := h.status(w, r)
	if !ok {
		return
	}
	if st.Paid {
		http.Redirect(w, r, bpath(st.Binding.ID, "/guide"), http.StatusSeeOther)
		return
	}
	if !h.bindingActionable(w, r, st) {
		return
	}
	d := payData{Base: bpath(st.Binding.ID, ""), Task: st.Task, SchoolName: st.SchoolName}
	if r.URL.Query().Get("failed") == "1" {
		d.State, d.Message = "failed", "订单已关闭或支付未成功，未扣款。请重新支付；如已扣款，请联系客服。"
	}
	h.o.Render.Render(w, r, http.StatusOK, "pay", web.View{Title: "支付费用", Back: "/my", Data: d})
}

// bindingActionable renders the right screen when the binding cannot proceed
// (closed task, manual entry pending, unbound) and returns false.
func (h *Handler) bindingActionable(w http.ResponseWriter, r *http.Request, st *core.StatusView) bool {
	switch st.Next {
	case "closed":
		h.closedScreen(w, r, st.Task, st.Task.CheckOpen(h.o.Now()))
		return false
	case "manual_pending", "manual_rejected", "unbound":
		http.Redirect(w, r, bpath(st.Binding.ID, "/status"), http.StatusSeeOther)
		return false
	}
	return true
}

// startPay creates (or resumes) the order and shows the payment sheet. Whether it is
// paid is decided by the server only (notification or order query).
func (h *Handler) startPay(w http.ResponseWriter, r *http.Request) {
	a, bid, ok := h.accountAndID(w, r, "bid")
	if !ok {
		return
	}
	ps, err := h.o.Core.StartPayment(r.Context(), a.ID, bid)
	if err != nil {
		h.o.Render.Error(w, r, err, web.Link{Label: "返回", Href: bpath(bid, "/pay")}, web.Link{Label: "帮助与客服", Href: "/help"})
		return
	}
	if ps.AlreadyPaid || ps.Params == nil {
		http.Redirect(w, r, bpath(bid, "/guide"), http.StatusSeeOther)
		return
	}
	st, err := h.o.Core.Status(r.Context(), a.ID, bid)
	if err != nil {
		h.o.Render.Error(w, r, err)
		return
	}
	js, _ := json.Marshal(ps.Params) // plain strings: cannot fail
	d := payData{Base: bpath(bid, ""), Task: st.Task, SchoolName: st.SchoolName, OrderNo: ps.Order.OutTradeNo, JSAPI: string(js)}
	if h.o.PaySheet != nil {
		d.SheetURL = h.o.PaySheet(ps.Params, bpath(bid, "/pay/wait"))
	} else {
		d.SheetURL = bpath(bid, "/pay/wait")
	}
	h.o.Render.Render(w, r, http.StatusOK, "paywait", web.View{Title: "微信支付", Back: bpath(bid, "/pay"), Data: d})
}

// showPayWait polls the payment result after the sheet (payment pending screen).
func (h *Handler) showPayWait(w http.ResponseWriter, r *http.Request) {
	st, ok := h.status(w, r)
	if !ok {
		return
	}
	if st.Paid {
		http.Redirect(w, r, bpath(st.Binding.ID, "/guide"), http.StatusSeeOther)
		return
	}
	d := payData{Base: bpath(st.Binding.ID, ""), Task: st.Task, SchoolName: st.SchoolName}
	if st.Order != nil {
		d.OrderNo = st.Order.OutTradeNo
		if st.Order.Status == xiaoxiang.OrderClosed {
			http.Redirect(w, r, bpath(st.Binding.ID, "/pay?failed=1"), http.StatusSeeOther)
			return
		}
	}
	h.o.Render.Render(w, r, http.StatusOK, "paywait", web.View{Title: "支付结果确认中", Back: bpath(st.Binding.ID, "/pay"), Data: d})
}

type payStatusJSON struct {
	Paid   bool   `json:"paid"`
	Failed bool   `json:"failed"`
	Status string `json:"status"`
	Label  string `json:"label"`
}

// payStatus asks the server (which asks WeChat Pay) whether the order is paid.
func (h *Handler) payStatus(w http.ResponseWriter, r *http.Request) {
	a, bid, ok := h.accountAndID(w, r, "bid")
	if !ok {
		return
	}
	o, err := h.o.Core.RefreshPayment(r.Context(), a.ID, bid)
	if err != nil {
		writeJSONError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, payStatusJSON{Paid: o.Status == xiaoxiang.OrderPaid, Failed: o.Status == xiaoxiang.OrderClosed,
		Status: string(o.Status), Label: o.Status.Label()})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeJSONError(w http.ResponseWriter, err error) {
	writeJSON(w, web.StatusOf(err), map[string]string{"code": xiaoxiang.ErrorCode(err), "message": xiaoxiang.ErrorMessage(err)})
}
