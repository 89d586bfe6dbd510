package student

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/photo"
	"xiaoxiang/internal/web"
)

type specView struct {
	Width, Height int
	Background    string
	Size          string
}

type guideData struct {
	Examples   []example
	Spec       specView
	DailyLimit int
	Next       string
}

// showGuide is step 7: what the photo is for, the spec, good and bad examples.
func (h *Handler) showGuide(w http.ResponseWriter, r *http.Request) {
	st, ok := h.status(w, r)
	if !ok {
		return
	}
	if !h.bindingActionable(w, r, st) {
		return
	}
	if !st.Paid {
		http.Redirect(w, r, bpath(st.Binding.ID, "/pay"), http.StatusSeeOther)
		return
	}
	h.o.Render.Render(w, r, http.StatusOK, "guide", web.View{Title: "拍照说明", Back: "/my", Data: guideData{
		Examples: examples(), Spec: specOf(st.Task), DailyLimit: st.Task.DailyStandardizeLimit, Next: bpath(st.Binding.ID, "/camera")}})
}

func specOf(t *xiaoxiang.Task) specView {
	p, err := photo.LookupProfile(t.ProfileID)
	if err != nil {
		p, _ = photo.LookupProfile("")
	}
	sv := specView{Width: p.Width, Height: p.Height, Background: bgName(p.Background)}
	if p.MinBytes > 0 {
		sv.Size = itoa(int64(p.MinBytes>>10)) + "–" + itoa(int64(p.MaxBytes>>10)) + " KB"
	} else {
		sv.Size = "不超过 " + itoa(int64(p.MaxBytes>>10)) + " KB"
	}
	return sv
}

func bgName(c [3]uint8) string {
	switch c {
	case [3]uint8{255, 255, 255}:
		return "白色"
	case [3]uint8{240, 240, 240}:
		return "浅灰色"
	case [3]uint8{100, 197, 255}:
		return "浅蓝色（RGB 100, 197, 255）"
	}
	return "纯色"
}

// showPhotoConsent is the separate consent before the photo (PIPL).
func (h *Handler) showPhotoConsent(w http.ResponseWriter, r *http.Request) {
	st, ok := h.status(w, r)
	if !ok {
		return
	}
	h.o.Render.Render(w, r, http.StatusOK, "consent", web.View{Title: "人像信息授权", Back: bpath(st.Binding.ID, "/guide"),
		Data: consentData{Kind: "photo", SchoolName: st.SchoolName, Version: xiaoxiang.PrivacyNoticeVersion,
			Action: bpath(st.Binding.ID, "/consent"), Cancel: bpath(st.Binding.ID, "/status")}})
}

func (h *Handler) givePhotoConsent(w http.ResponseWriter, r *http.Request) {
	a, bid, ok := h.accountAndID(w, r, "bid")
	if !ok {
		return
	}
	if r.FormValue("agree") != "1" {
		h.o.Render.Error(w, r, xiaoxiang.Errorf(xiaoxiang.EINVALID, "请先勾选同意人像照片处理规则。"), web.Link{Label: "返回", Href: bpath(bid, "/consent")})
		return
	}
	if err := h.o.Core.GiveConsent(r.Context(), a.ID, xiaoxiang.ConsentPhoto); err != nil {
		h.o.Render.Error(w, r, err)
		return
	}
	http.Redirect(w, r, bpath(bid, "/camera"), http.StatusSeeOther)
}

type cameraData struct {
	BindingID  int64
	AllowAlbum bool
}

// showCamera is steps 8–9: camera permission and shooting (or the album if allowed).
func (h *Handler) showCamera(w http.ResponseWriter, r *http.Request) {
	a, bid, ok := h.accountAndID(w, r, "bid")
	if !ok {
		return
	}
	if cs, err := h.o.Core.Consents(r.Context(), a.ID); err != nil || !cs.Photo {
		http.Redirect(w, r, bpath(bid, "/consent"), http.StatusSeeOther)
		return
	}
	st, err := h.o.Core.Status(r.Context(), a.ID, bid)
	if err != nil {
		h.o.Render.Error(w, r, err, web.Link{Label: "我的任务", Href: "/my"})
		return
	}
	if !h.bindingActionable(w, r, st) {
		return
	}
	if !st.Paid {
		http.Redirect(w, r, bpath(bid, "/pay"), http.StatusSeeOther)
		return
	}
	if st.Submission != nil && !st.CanReplace && !st.CanResubmit {
		http.Redirect(w, r, bpath(bid, "/status"), http.StatusSeeOther)
		return
	}
	h.o.Render.Render(w, r, http.StatusOK, "camera", web.View{Title: "拍摄照片", Back: bpath(bid, "/guide"),
		Data: cameraData{BindingID: bid, AllowAlbum: st.Task.AllowAlbum}})
}

// upload receives the photo (multipart field "photo"), runs the quality check and
// answers with the report page (JSON {"next"} for the page's JS, a redirect otherwise).
func (h *Handler) upload(w http.ResponseWriter, r *http.Request) {
	a, bid, ok := h.accountAndID(w, r, "bid")
	if !ok {
		return
	}
	fail := func(err error) {
		if wantsJSON(r) {
			writeJSONError(w, err)
			return
		}
		h.o.Render.Error(w, r, err, web.Link{Label: "重新拍摄", Href: bpath(bid, "/camera")})
	}
	f, _, err := r.FormFile("photo")
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			fail(xiaoxiang.Errorf(xiaoxiang.EINVALID, "照片文件太大，请重新拍摄或选择不超过20MB的照片。"))
			return
		}
		fail(xiaoxiang.Errorf(xiaoxiang.EINVALID, "没有收到照片，请重新拍摄或选择照片。"))
		return
	}
	defer f.Close()
	source := r.FormValue("source")
	if source != "album" {
		source = "camera"
	}
	av, err := h.o.Core.Upload(r.Context(), a.ID, bid, core.UploadInput{Data: f, Source: source})
	if err != nil {
		fail(err)
		return
	}
	next := bpath(bid, "/photos/"+itoa(av.Attempt.ID))
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, map[string]any{"next": next, "attempt_id": av.Attempt.ID, "verdict": av.Attempt.Verdict})
		return
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

type reportData struct {
	Base      string
	AttemptID int64
	Verdict   string
	Items     []checkItem
	Quota     xiaoxiang.Quota
	Annotated bool
	Retake    string
}

// attempt loads one of my attempts and checks it belongs to the binding in the URL.
func (h *Handler) attempt(w http.ResponseWriter, r *http.Request) (*core.AttemptView, int64, bool) {
	av, bid, _, ok := h.myAttempt(w, r)
	return av, bid, ok
}

func (h *Handler) myAttempt(w http.ResponseWriter, r *http.Request) (*core.AttemptView, int64, int64, bool) {
	a, ok := h.account(w, r)
	if !ok {
		return nil, 0, 0, false
	}
	bid, ok := h.pathID(w, r, "bid")
	if !ok {
		return nil, 0, 0, false
	}
	aid, ok := h.pathID(w, r, "aid")
	if !ok {
		return nil, 0, 0, false
	}
	av, err := h.o.Core.Attempt(r.Context(), a.ID, aid)
	if err == nil && av.Attempt.BindingID != bid {
		err = xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "照片不存在。")
	}
	if err != nil {
		h.o.Render.Error(w, r, err, web.Link{Label: "重新拍摄", Href: bpath(bid, "/camera")})
		return nil, 0, 0, false
	}
	return av, bid, a.ID, true
}

// showReport is step 10: the annotated photo and the ten check items.
func (h *Handler) showReport(w http.ResponseWriter, r *http.Request) {
	av, bid, ok := h.attempt(w, r)
	if !ok {
		return
	}
	if av.Attempt.Standardized() {
		http.Redirect(w, r, bpath(bid, "/photos/"+itoa(av.Attempt.ID)+"/result"), http.StatusSeeOther)
		return
	}
	d := reportData{Base: bpath(bid, "/photos/"+itoa(av.Attempt.ID)), AttemptID: av.Attempt.ID, Verdict: av.Attempt.Verdict,
		Items: reportItems(av.Attempt.ReportJSON), Quota: av.Quota, Annotated: h.o.Annotate != nil, Retake: bpath(bid, "/camera")}
	h.o.Render.Render(w, r, http.StatusOK, "report", web.View{Title: "照片检测结果", Back: bpath(bid, "/camera"), Data: d})
}

type confirmData struct {
	Base   string
	Quota  xiaoxiang.Quota
	Retake string
}

// showConfirm is step 11's second confirmation before standardization.
func (h *Handler) showConfirm(w http.ResponseWriter, r *http.Request) {
	av, bid, ok := h.attempt(w, r)
	if !ok {
		return
	}
	base := bpath(bid, "/photos/"+itoa(av.Attempt.ID))
	if av.Quota.Remaining <= 0 {
		h.quotaScreen(w, r, bid, av.Quota)
		return
	}
	h.o.Render.Render(w, r, http.StatusOK, "confirm", web.View{Title: "确认制作", Back: base,
		Data: confirmData{Base: base, Quota: av.Quota, Retake: bpath(bid, "/camera")}})
}

func (h *Handler) quotaScreen(w http.ResponseWriter, r *http.Request, bid int64, q xiaoxiang.Quota) {
	h.o.Render.Render(w, r, http.StatusTooManyRequests, "message", web.View{Title: "今日次数已用完", Back: bpath(bid, "/status"), Data: messageData{
		Icon: "warn", Heading: "今日制作次数已用完", Text: q.Check().(*xiaoxiang.Error).Message,
		Lines: []string{"每人每个任务每天最多可进行 " + itoa(int64(q.Limit)) + " 次照片标准化（裁剪更换背景）。",
			"冷静期过后（次日）才能继续操作。在此之前可以继续免费重拍，拍到满意的照片再制作。"},
		Actions: []web.Link{{Label: "查看采集进度", Href: bpath(bid, "/status")}, {Label: "返回首页", Href: "/"}}}})
}

// standardize (去制作) uses one unit of today's quota.
func (h *Handler) standardize(w http.ResponseWriter, r *http.Request) {
	a, bid, ok := h.accountAndID(w, r, "bid")
	if !ok {
		return
	}
	aid, ok := h.pathID(w, r, "aid")
	if !ok {
		return
	}
	av, err := h.o.Core.Standardize(r.Context(), a.ID, aid)
	if err != nil {
		if xiaoxiang.ErrorCode(err) == xiaoxiang.EQUOTA {
			if q, qerr := h.o.Core.QuotaToday(r.Context(), a.ID, bid); qerr == nil && q.Remaining <= 0 {
				h.quotaScreen(w, r, bid, q)
				return
			}
		}
		h.o.Render.Error(w, r, err, web.Link{Label: "重新拍摄", Href: bpath(bid, "/camera")}, web.Link{Label: "返回检测结果", Href: bpath(bid, "/photos/"+itoa(aid))})
		return
	}
	http.Redirect(w, r, bpath(bid, "/photos/"+itoa(av.Attempt.ID)+"/result"), http.StatusSeeOther)
}

type resultData struct {
	Base       string
	Quota      xiaoxiang.Quota
	Retake     string
	Subscribe  string
	Subscribed bool
}

// showResult shows the standardized photo with the subscribe prompt and 提交.
func (h *Handler) showResult(w http.ResponseWriter, r *http.Request) {
	av, bid, ok := h.attempt(w, r)
	if !ok {
		return
	}
	base := bpath(bid, "/photos/"+itoa(av.Attempt.ID))
	if !av.Attempt.Standardized() {
		http.Redirect(w, r, base, http.StatusSeeOther)
		return
	}
	h.o.Render.Render(w, r, http.StatusOK, "result", web.View{Title: "标准照", Back: base, Data: resultData{
		Base: base, Quota: av.Quota, Retake: bpath(bid, "/camera"), Subscribe: bpath(bid, "/subscribe"),
		Subscribed: r.URL.Query().Get("subscribed") == "1"}})
}

// submit sends the standardized photo to human review.
func (h *Handler) submit(w http.ResponseWriter, r *http.Request) {
	a, bid, ok := h.accountAndID(w, r, "bid")
	if !ok {
		return
	}
	aid, ok := h.pathID(w, r, "aid")
	if !ok {
		return
	}
	if _, err := h.o.Core.Submit(r.Context(), a.ID, aid); err != nil {
		h.o.Render.Error(w, r, err, web.Link{Label: "查看采集进度", Href: bpath(bid, "/status")})
		return
	}
	http.Redirect(w, r, bpath(bid, "/status?submitted=1"), http.StatusSeeOther)
}

// photoFile serves original.jpg, annotated.jpg or standardized.jpg of my attempt.
func (h *Handler) photoFile(w http.ResponseWriter, r *http.Request) {
	av, _, accountID, ok := h.myAttempt(w, r)
	if !ok {
		return
	}
	var kind core.PhotoKind
	switch r.PathValue("file") {
	case "original.jpg", "annotated.jpg":
		kind = core.PhotoOriginal
	case "standardized.jpg":
		kind = core.PhotoStandardized
	default:
		h.o.Render.Error(w, r, xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "照片不存在。"))
		return
	}
	rc, err := h.o.Core.OpenPhoto(r.Context(), accountID, av.Attempt.ID, kind)
	if err != nil {
		h.o.Render.Error(w, r, err)
		return
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		h.o.Render.Error(w, r, xiaoxiang.WrapError(xiaoxiang.EINTERNAL, "", err))
		return
	}
	if r.PathValue("file") == "annotated.jpg" && h.o.Annotate != nil {
		if out, err := h.o.Annotate(data, av.Attempt.ReportJSON); err == nil {
			data = out
		} else {
			h.o.Log.Warn("annotate photo", "attempt_id", av.Attempt.ID, "error", err)
		}
	}
	ct := http.DetectContentType(data)
	if !strings.HasPrefix(ct, "image/") {
		ct = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", av.Attempt.CreatedAt, bytes.NewReader(data))
}

// subscribe records the WeChat notification credits the student accepted.
func (h *Handler) subscribe(w http.ResponseWriter, r *http.Request) {
	a, bid, ok := h.accountAndID(w, r, "bid")
	if !ok {
		return
	}
	if err := h.o.Core.Subscribe(r.Context(), a.ID, []string{"review_result"}); err != nil {
		if wantsJSON(r) {
			writeJSONError(w, err)
			return
		}
		h.o.Render.Error(w, r, err)
		return
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
		return
	}
	next := localPath(r.FormValue("next"))
	if next == "/" {
		next = bpath(bid, "/status")
	}
	http.Redirect(w, r, next+"?subscribed=1", http.StatusSeeOther)
}
