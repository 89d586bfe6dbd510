package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/payment"
	"xiaoxiang/internal/web"
)

// ---- JSON shapes ----

type schoolJSON struct {
	ID           int64  `json:"id"`
	Name         string `json:"name"`
	Code         string `json:"code"`
	SupportPhone string `json:"support_phone,omitempty"`
	SupportHours string `json:"support_hours,omitempty"`
	SupportQQ    string `json:"support_qq,omitempty"`
}

func schoolOf(s *xiaoxiang.School) schoolJSON {
	return schoolJSON{ID: s.ID, Name: s.Name, Code: s.Code, SupportPhone: s.SupportPhone, SupportHours: s.SupportHours, SupportQQ: s.SupportQQ}
}

type taskJSON struct {
	ID               int64     `json:"id"`
	SchoolID         int64     `json:"school_id"`
	Category         string    `json:"category"`
	CategoryLabel    string    `json:"category_label"`
	Title            string    `json:"title"`
	Grade            string    `json:"grade"`
	OpensAt          time.Time `json:"opens_at"`
	ClosesAt         time.Time `json:"closes_at"`
	Open             bool      `json:"open"`
	FeeFen           int64     `json:"fee_fen"`
	LinkMode         string    `json:"link_mode"`
	AllowManualEntry bool      `json:"allow_manual_entry"`
	AllowAlbum       bool      `json:"allow_album"`
	RequireCTID      bool      `json:"require_ctid"`
	DailyLimit       int       `json:"daily_standardize_limit"`
	Notice           string    `json:"notice,omitempty"`
}

func (h *Handler) taskOf(t *xiaoxiang.Task) taskJSON {
	return taskJSON{ID: t.ID, SchoolID: t.SchoolID, Category: string(t.Category), CategoryLabel: t.Category.Label(), Title: t.Title,
		Grade: t.Grade, OpensAt: t.OpensAt, ClosesAt: t.ClosesAt, Open: t.Open(h.o.Now()), FeeFen: t.FeeFen, LinkMode: string(t.LinkMode),
		AllowManualEntry: t.AllowManualEntry, AllowAlbum: t.AllowAlbum, RequireCTID: t.RequireCTID, DailyLimit: t.DailyStandardizeLimit, Notice: t.Notice}
}

type bindingJSON struct {
	ID     int64  `json:"id"`
	TaskID int64  `json:"task_id"`
	Status string `json:"status"`
}

func bindingOf(b *xiaoxiang.Binding) bindingJSON {
	return bindingJSON{ID: b.ID, TaskID: b.TaskID, Status: string(b.Status)}
}

type quotaJSON struct {
	Day       string    `json:"day"`
	Limit     int       `json:"limit"`
	Used      int       `json:"used"`
	Remaining int       `json:"remaining"`
	ResetsAt  time.Time `json:"resets_at"`
}

func quotaOf(q xiaoxiang.Quota) quotaJSON {
	return quotaJSON{Day: q.Day, Limit: q.Limit, Used: q.Used, Remaining: q.Remaining, ResetsAt: q.ResetsAt}
}

type attemptJSON struct {
	ID           int64           `json:"id"`
	BindingID    int64           `json:"binding_id"`
	Source       string          `json:"source"`
	Width        int             `json:"width"`
	Height       int             `json:"height"`
	Verdict      string          `json:"verdict"`
	Report       json.RawMessage `json:"report"`
	Standardized bool            `json:"standardized"`
	Result       json.RawMessage `json:"result,omitempty"`
	CreatedAt    time.Time       `json:"created_at"`
	Quota        quotaJSON       `json:"quota"`
}

func attemptOf(av *core.AttemptView) attemptJSON {
	a := av.Attempt
	j := attemptJSON{ID: a.ID, BindingID: a.BindingID, Source: a.Source, Width: a.Width, Height: a.Height, Verdict: a.Verdict,
		Report: rawOrNull(a.ReportJSON), Standardized: a.Standardized(), CreatedAt: a.CreatedAt, Quota: quotaOf(av.Quota)}
	if a.ResultJSON != "" {
		j.Result = json.RawMessage(a.ResultJSON)
	}
	return j
}

func rawOrNull(s string) json.RawMessage {
	if s == "" || !json.Valid([]byte(s)) {
		return json.RawMessage("null")
	}
	return json.RawMessage(s)
}

type submissionJSON struct {
	ID                int64     `json:"id"`
	AttemptID         int64     `json:"attempt_id"`
	Status            string    `json:"status"`
	StatusLabel       string    `json:"status_label"`
	ReplacementsUsed  int       `json:"replacements_used"`
	ResubmissionsUsed int       `json:"resubmissions_used"`
	RejectReasons     []string  `json:"reject_reasons,omitempty"`
	RejectNote        string    `json:"reject_note,omitempty"`
	SubmittedAt       time.Time `json:"submitted_at"`
}

func submissionOf(s *xiaoxiang.Submission) *submissionJSON {
	if s == nil {
		return nil
	}
	return &submissionJSON{ID: s.ID, AttemptID: s.AttemptID, Status: string(s.Status), StatusLabel: s.Status.Label(),
		ReplacementsUsed: s.ReplacementsUsed, ResubmissionsUsed: s.ResubmissionsUsed, RejectReasons: s.RejectReasons,
		RejectNote: s.RejectNote, SubmittedAt: s.SubmittedAt}
}

type orderJSON struct {
	OutTradeNo  string    `json:"out_trade_no"`
	AmountFen   int64     `json:"amount_fen"`
	Status      string    `json:"status"`
	StatusLabel string    `json:"status_label"`
	PaidAt      time.Time `json:"paid_at,omitzero"`
}

func orderOf(o *xiaoxiang.Order) *orderJSON {
	if o == nil {
		return nil
	}
	return &orderJSON{OutTradeNo: o.OutTradeNo, AmountFen: o.AmountFen, Status: string(o.Status), StatusLabel: o.Status.Label(), PaidAt: o.PaidAt}
}

// ---- handlers ----

type loginReq struct {
	Code string `json:"code"`
}

type loginResp struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	AccountID int64     `json:"account_id"`
}

// login exchanges a wx.login code for our own bearer token (session_key never leaves the server).
func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	var req loginReq
	if err := decode(r, w, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if strings.TrimSpace(req.Code) == "" {
		h.fail(w, r, xiaoxiang.Errorf(xiaoxiang.EINVALID, "缺少登录凭证 code。"))
		return
	}
	in, err := h.o.Login.Code2Session(r.Context(), req.Code)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	a, err := h.o.Core.Login(r.Context(), in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	now := h.o.Now()
	exp := now.Add(h.o.TokenTTL)
	tok := h.o.Tokens.Encode(web.Session{AccountID: a.ID, IssuedAt: now.Unix(), ExpiresAt: exp.Unix()})
	writeJSON(w, http.StatusOK, loginResp{Token: tok, ExpiresAt: exp.UTC().Truncate(time.Second), AccountID: a.ID})
}

func (h *Handler) searchSchools(w http.ResponseWriter, r *http.Request, _ int64) {
	ss, err := h.o.Core.SearchSchools(r.Context(), r.URL.Query().Get("q"), 20)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := []schoolJSON{}
	for _, s := range ss {
		out = append(out, schoolOf(s))
	}
	writeJSON(w, http.StatusOK, map[string]any{"schools": out})
}

type categoryJSON struct {
	Category string     `json:"category"`
	Label    string     `json:"label"`
	Tasks    []taskJSON `json:"tasks"`
}

func (h *Handler) schoolTasks(w http.ResponseWriter, r *http.Request, _ int64) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	groups, err := h.o.Core.SchoolTasks(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := []categoryJSON{}
	for _, g := range groups {
		c := categoryJSON{Category: string(g.Category), Label: g.Label, Tasks: []taskJSON{}}
		for _, t := range g.Tasks {
			c.Tasks = append(c.Tasks, h.taskOf(t))
		}
		out = append(out, c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"categories": out})
}

func (h *Handler) task(w http.ResponseWriter, r *http.Request, _ int64) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	t, err := h.o.Core.Task(r.Context(), id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, h.taskOf(t))
}

type myTaskJSON struct {
	Binding    bindingJSON     `json:"binding"`
	Task       taskJSON        `json:"task"`
	School     *schoolJSON     `json:"school,omitempty"`
	Name       string          `json:"name"`
	Paid       bool            `json:"paid"`
	Progress   string          `json:"progress"`
	Submission *submissionJSON `json:"submission,omitempty"`
}

func (h *Handler) myTasks(w http.ResponseWriter, r *http.Request, aid int64) {
	mine, err := h.o.Core.MyTasks(r.Context(), aid)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := []myTaskJSON{}
	for _, m := range mine {
		j := myTaskJSON{Binding: bindingOf(m.Binding), Task: h.taskOf(m.Task), Name: m.Name, Paid: m.Paid, Progress: m.Progress, Submission: submissionOf(m.Submission)}
		if m.School != nil {
			s := schoolOf(m.School)
			j.School = &s
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"tasks": out})
}

type consentsJSON struct {
	Version  string `json:"version"`
	Identity bool   `json:"identity"`
	Photo    bool   `json:"photo"`
}

func (h *Handler) consents(w http.ResponseWriter, r *http.Request, aid int64) {
	cs, err := h.o.Core.Consents(r.Context(), aid)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, consentsJSON{Version: cs.Version, Identity: cs.Identity, Photo: cs.Photo})
}

func (h *Handler) giveConsent(w http.ResponseWriter, r *http.Request, aid int64) {
	var req struct {
		Kind    string `json:"kind"`
		Version string `json:"version"`
	}
	if err := decode(r, w, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	k := xiaoxiang.ConsentKind(req.Kind)
	if k != xiaoxiang.ConsentIdentity && k != xiaoxiang.ConsentPhoto {
		h.fail(w, r, xiaoxiang.Errorf(xiaoxiang.EINVALID, "授权类型只能是 identity 或 photo。"))
		return
	}
	if req.Version != xiaoxiang.PrivacyNoticeVersion {
		h.fail(w, r, xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "个人信息处理规则已更新（版本 %s），请阅读新版本后再同意。", xiaoxiang.PrivacyNoticeVersion))
		return
	}
	if err := h.o.Core.GiveConsent(r.Context(), aid, k); err != nil {
		h.fail(w, r, err)
		return
	}
	h.consents(w, r, aid)
}

func (h *Handler) link(w http.ResponseWriter, r *http.Request, aid int64) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req struct {
		Name      string `json:"name"`
		DocKind   string `json:"doc_kind"`
		DocNumber string `json:"doc_number"`
		StudentNo string `json:"student_no"`
	}
	if err := decode(r, w, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	b, err := h.o.Core.Link(r.Context(), aid, id, core.LinkInput{Name: req.Name, DocKind: req.DocKind, DocNumber: req.DocNumber, StudentNo: req.StudentNo})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, bindingOf(b))
}

func (h *Handler) manualEntry(w http.ResponseWriter, r *http.Request, aid int64) {
	id, err := pathID(r, "id")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req struct {
		Name      string `json:"name"`
		DocKind   string `json:"doc_kind"`
		DocNumber string `json:"doc_number"`
		StudentNo string `json:"student_no"`
		College   string `json:"college"`
		Major     string `json:"major"`
		Class     string `json:"class"`
	}
	if err := decode(r, w, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	b, err := h.o.Core.SubmitManualEntry(r.Context(), aid, id, core.ManualEntryInput{Name: req.Name, DocKind: req.DocKind,
		DocNumber: req.DocNumber, StudentNo: req.StudentNo, College: req.College, Major: req.Major, Class: req.Class})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, bindingOf(b))
}

type stepJSON struct {
	Label   string `json:"label"`
	Done    bool   `json:"done"`
	Current bool   `json:"current"`
}

type statusJSON struct {
	Binding           bindingJSON     `json:"binding"`
	Task              taskJSON        `json:"task"`
	SchoolName        string          `json:"school_name"`
	Category          string          `json:"category"`
	Name              string          `json:"name"`
	StudentNo         string          `json:"student_no"`
	DocLast4          string          `json:"doc_last4"`
	Grade             string          `json:"grade"`
	Paid              bool            `json:"paid"`
	Order             *orderJSON      `json:"order,omitempty"`
	Submission        *submissionJSON `json:"submission,omitempty"`
	Steps             []stepJSON      `json:"steps"`
	SamePerson        string          `json:"same_person,omitempty"`
	IdentityResult    string          `json:"identity_result,omitempty"`
	RejectReasons     []string        `json:"reject_messages,omitempty"`
	CanReplace        bool            `json:"can_replace"`
	CanResubmit       bool            `json:"can_resubmit"`
	ReplacementsLeft  int             `json:"replacements_left"`
	ResubmissionsLeft int             `json:"resubmissions_left"`
	Quota             quotaJSON       `json:"quota"`
	Next              string          `json:"next"`
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request, aid int64) {
	bid, err := pathID(r, "bid")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	st, err := h.o.Core.Status(r.Context(), aid, bid)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	j := statusJSON{Binding: bindingOf(st.Binding), Task: h.taskOf(st.Task), SchoolName: st.SchoolName, Category: st.Category, Name: st.Name,
		StudentNo: st.StudentNo, DocLast4: st.DocLast4, Grade: st.Grade, Paid: st.Paid, Order: orderOf(st.Order), Submission: submissionOf(st.Submission),
		CanReplace: st.CanReplace, CanResubmit: st.CanResubmit, ReplacementsLeft: st.ReplacementsLeft, ResubmissionsLeft: st.ResubmissionsLeft,
		Quota: quotaOf(st.Quota), Next: st.Next, Steps: []stepJSON{}}
	if st.ShowSamePerson {
		j.SamePerson = st.SamePerson
	}
	if st.ShowIdentity {
		j.IdentityResult = st.IdentityResult
	}
	for _, s := range st.Steps {
		j.Steps = append(j.Steps, stepJSON{Label: s.Label, Done: s.Done, Current: s.Current})
	}
	for _, rr := range st.RejectReasons {
		j.RejectReasons = append(j.RejectReasons, rr.Message)
	}
	writeJSON(w, http.StatusOK, j)
}

func (h *Handler) unbind(w http.ResponseWriter, r *http.Request, aid int64) {
	bid, err := pathID(r, "bid")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.o.Core.Unbind(r.Context(), aid, bid); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type paymentJSON struct {
	Order       *orderJSON         `json:"order"`
	AlreadyPaid bool               `json:"already_paid"`
	Params      *payment.PayParams `json:"params,omitempty"`
}

func (h *Handler) startPayment(w http.ResponseWriter, r *http.Request, aid int64) {
	bid, err := pathID(r, "bid")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ps, err := h.o.Core.StartPayment(r.Context(), aid, bid)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, paymentJSON{Order: orderOf(ps.Order), AlreadyPaid: ps.AlreadyPaid, Params: ps.Params})
}

// refreshPayment is the polling endpoint: paid is decided by the server.
func (h *Handler) refreshPayment(w http.ResponseWriter, r *http.Request, aid int64) {
	bid, err := pathID(r, "bid")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	o, err := h.o.Core.RefreshPayment(r.Context(), aid, bid)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, orderOf(o))
}

// upload accepts multipart/form-data (field "photo", optional "source") or a raw
// image/* body (source from ?source=).
func (h *Handler) upload(w http.ResponseWriter, r *http.Request, aid int64) {
	bid, err := pathID(r, "bid")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxPhoto+1<<20)
	var data []byte
	source := r.URL.Query().Get("source")
	ct, _, _ := strings.Cut(r.Header.Get("Content-Type"), ";")
	switch {
	case ct == "multipart/form-data":
		f, _, ferr := r.FormFile("photo")
		if ferr != nil {
			var mbe *http.MaxBytesError
			if errors.As(ferr, &mbe) {
				h.fail(w, r, errTooLarge)
				return
			}
			h.fail(w, r, errNoPhoto)
			return
		}
		defer f.Close()
		if s := r.FormValue("source"); s != "" {
			source = s
		}
		data, err = readPhoto(f)
	case strings.HasPrefix(ct, "image/") || ct == "application/octet-stream":
		data, err = readPhoto(r.Body)
	default:
		err = xiaoxiang.Errorf(xiaoxiang.EINVALID, "请以 multipart/form-data（字段 photo）或图片格式上传照片。")
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if source != "album" {
		source = "camera"
	}
	av, err := h.o.Core.Upload(r.Context(), aid, bid, core.UploadInput{Data: bytes.NewReader(data), Source: source})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, attemptOf(av))
}

func (h *Handler) attempt(w http.ResponseWriter, r *http.Request, aid int64) {
	h.attemptCall(w, r, aid, h.o.Core.Attempt)
}

func (h *Handler) standardize(w http.ResponseWriter, r *http.Request, aid int64) {
	h.attemptCall(w, r, aid, h.o.Core.Standardize)
}

// attemptCall runs a use case on the attempt named by the path ({aid}) for account aid
// and answers with the attempt.
func (h *Handler) attemptCall(w http.ResponseWriter, r *http.Request, aid int64,
	call func(ctx context.Context, accountID, attemptID int64) (*core.AttemptView, error)) {
	id, err := pathID(r, "aid")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	av, err := call(r.Context(), aid, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, attemptOf(av))
}

func (h *Handler) submit(w http.ResponseWriter, r *http.Request, aid int64) {
	id, err := pathID(r, "aid")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	s, err := h.o.Core.Submit(r.Context(), aid, id)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, submissionOf(s))
}

func (h *Handler) photo(w http.ResponseWriter, r *http.Request, aid int64) {
	id, err := pathID(r, "aid")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	kind := core.PhotoKind(r.PathValue("kind"))
	if kind != core.PhotoOriginal && kind != core.PhotoStandardized {
		h.fail(w, r, errPhotoKind)
		return
	}
	rc, err := h.o.Core.OpenPhoto(r.Context(), aid, id, kind)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, 64<<20))
	if err != nil {
		h.fail(w, r, xiaoxiang.WrapError(xiaoxiang.EINTERNAL, "", err))
		return
	}
	w.Header().Set("Content-Type", http.DetectContentType(data))
	w.Write(data)
}

func (h *Handler) subscribe(w http.ResponseWriter, r *http.Request, aid int64) {
	var req struct {
		Kinds []string `json:"kinds"`
	}
	if err := decode(r, w, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if len(req.Kinds) == 0 {
		h.fail(w, r, xiaoxiang.Errorf(xiaoxiang.EINVALID, "请至少选择一种通知。"))
		return
	}
	if err := h.o.Core.Subscribe(r.Context(), aid, req.Kinds); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (h *Handler) myData(w http.ResponseWriter, r *http.Request, aid int64) {
	md, err := h.o.Core.MyData(r.Context(), aid)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	tasks := []myTaskJSON{}
	for _, m := range md.Tasks {
		tasks = append(tasks, myTaskJSON{Binding: bindingOf(m.Binding), Task: h.taskOf(m.Task), Name: m.Name, Paid: m.Paid, Progress: m.Progress, Submission: submissionOf(m.Submission)})
	}
	orders := []*orderJSON{}
	for _, o := range md.Orders {
		orders = append(orders, orderOf(o))
	}
	consents := []map[string]any{}
	for _, c := range md.Consents {
		consents = append(consents, map[string]any{"kind": c.Kind, "version": c.Version, "created_at": c.CreatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"account":     map[string]any{"id": md.Account.ID, "nickname": md.Account.Nickname, "created_at": md.Account.CreatedAt},
		"consents":    consents,
		"tasks":       tasks,
		"orders":      orders,
		"attempts":    len(md.Attempts),
		"submissions": len(md.Submissions),
	})
}

func (h *Handler) deleteMyData(w http.ResponseWriter, r *http.Request, aid int64) {
	if err := h.o.Core.DeleteMyData(r.Context(), aid); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type notificationJSON struct {
	ID        int64     `json:"id"`
	Kind      string    `json:"kind"`
	Title     string    `json:"title"`
	Body      string    `json:"body"`
	Link      string    `json:"link,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	Read      bool      `json:"read"`
}

// notifications is the in-app notice list.
func (h *Handler) notifications(w http.ResponseWriter, r *http.Request, aid int64) {
	ns, err := h.o.Core.Notifications(r.Context(), aid, 50)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	out := []notificationJSON{}
	for _, n := range ns {
		out = append(out, notificationJSON{ID: n.ID, Kind: n.Kind, Title: n.Title, Body: n.Body, Link: n.Link, CreatedAt: n.CreatedAt, Read: !n.ReadAt.IsZero()})
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": out})
}
