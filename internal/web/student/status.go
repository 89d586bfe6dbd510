package student

import (
	"net/http"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/web"
)

type statusData struct {
	S         *core.StatusView
	Base      string
	Submitted bool
	Action    *web.Link // the primary next step, if any
	Notice    string
	NoticeCls string
}

// showStatus is step 12: the seed's fields and 已上传 → 待审核 → 已完成 → 已交付.
func (h *Handler) showStatus(w http.ResponseWriter, r *http.Request) {
	st, ok := h.status(w, r)
	if !ok {
		return
	}
	base := bpath(st.Binding.ID, "")
	d := statusData{S: st, Base: base, Submitted: r.URL.Query().Get("submitted") == "1"}
	switch st.Next {
	case "pay":
		d.Action = &web.Link{Label: "去支付", Href: base + "/pay"}
		d.Notice, d.NoticeCls = "已关联学籍信息，支付采集费用后即可拍摄照片。", "is-warn"
	case "shoot":
		d.Action = &web.Link{Label: "去拍照", Href: base + "/guide"}
		if st.Submission != nil && st.Submission.Status == xiaoxiang.SubmissionRejected {
			d.Action = &web.Link{Label: "重新拍摄提交", Href: base + "/camera"}
			d.Notice, d.NoticeCls = "照片未通过人工审核，请查看下方原因，重新拍摄后提交。", "is-bad"
		}
	case "submit":
		d.Action = &web.Link{Label: "继续拍照制作", Href: base + "/camera"}
		d.Notice, d.NoticeCls = "照片已制作，尚未提交审核。", "is-warn"
	case "wait":
		d.Notice, d.NoticeCls = "照片已提交，等待人工审核。审核结果会通过微信通知和本页面告知。", ""
	case "done":
		d.Notice, d.NoticeCls = "照片已通过人工审核，已完成线上采集。", "is-ok"
	case "manual_pending":
		d.Notice, d.NoticeCls = "您提交的人工录入信息正在等待学校学籍部门审核，审核通过后即可继续采集。", "is-warn"
	case "manual_rejected":
		d.Notice, d.NoticeCls = "学校未通过您的人工录入信息，请联系学校学籍部门。", "is-bad"
	case "unbound":
		d.Notice, d.NoticeCls = "该任务已解除绑定。", "is-bad"
	case "closed":
		d.Notice, d.NoticeCls = "该采集任务已关闭或已截止。如需补采，请联系学校学籍部门。", "is-bad"
	}
	if d.Submitted && st.Submission != nil &&
		(st.Submission.Status == xiaoxiang.SubmissionUploaded || st.Submission.Status == xiaoxiang.SubmissionPending) {
		d.Notice, d.NoticeCls = "提交成功！照片将进入人工审核，审核结果会通过微信通知和本页面告知。", "is-ok"
	}
	h.o.Render.Render(w, r, http.StatusOK, "status", web.View{Title: "照片状态", Back: "/my", Data: d})
}
