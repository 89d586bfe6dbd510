// Package review is the review console (/review): the queue with filters,
// claim-with-lock, the side-by-side review page with the automatic checks
// drawn on the photo, approve / reject with structured reasons, keyboard
// shortcuts, batch approval of clean photos, and reviewer throughput.
package review

import (
	"embed"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/sqldb"
	"xiaoxiang/internal/web/console"
)

//go:embed templates/*.html
var templates embed.FS

// Handler serves the review console.
type Handler struct {
	kit   *console.Kit
	c     *core.Console
	pages *console.Pages
}

// New builds the review console on the shared console kit.
func New(kit *console.Kit) (*Handler, error) {
	sub, _ := fs.Sub(templates, "templates")
	pages, err := kit.Pages(sub, nil)
	if err != nil {
		return nil, err
	}
	return &Handler{kit: kit, c: kit.C, pages: pages}, nil
}

// filter is the queue filter as it travels in query strings and forms.
type filter struct {
	School int64
	Task   int64
	Status string
	Age    int
	Page   int
}

func parseFilter(r *http.Request) filter {
	f := filter{School: console.FormInt(r, "school"), Task: console.FormInt(r, "task"), Status: r.FormValue("status"),
		Age: int(console.FormInt(r, "age")), Page: int(console.FormInt(r, "page"))}
	switch xiaoxiang.SubmissionStatus(f.Status) {
	case xiaoxiang.SubmissionPending, xiaoxiang.SubmissionApproved, xiaoxiang.SubmissionRejected, xiaoxiang.SubmissionDelivered:
	default:
		f.Status = string(xiaoxiang.SubmissionPending)
	}
	if f.Page < 1 {
		f.Page = 1
	}
	return f
}

func (f filter) core() core.QueueFilter {
	return core.QueueFilter{SchoolID: f.School, TaskID: f.Task, Status: xiaoxiang.SubmissionStatus(f.Status), MinAgeHours: f.Age,
		Limit: pageSize, Offset: (f.Page - 1) * pageSize}
}

// Query encodes the filter (without the page) for links.
func (f filter) Query() string {
	q := url.Values{}
	if f.School != 0 {
		q.Set("school", strconv.FormatInt(f.School, 10))
	}
	if f.Task != 0 {
		q.Set("task", strconv.FormatInt(f.Task, 10))
	}
	if f.Status != "" && f.Status != string(xiaoxiang.SubmissionPending) {
		q.Set("status", f.Status)
	}
	if f.Age != 0 {
		q.Set("age", strconv.Itoa(f.Age))
	}
	return q.Encode()
}

const pageSize = 50

type queueData struct {
	F        filter
	Items    []*sqldb.QueueItem
	Total    int
	Schools  []*xiaoxiang.School
	Tasks    []*xiaoxiang.Task
	Statuses []xiaoxiang.SubmissionStatus
	Prev     int
	Next     int
	Now      time.Time
}

func (h *Handler) showQueue(w http.ResponseWriter, r *http.Request) {
	a := console.ActorFrom(r.Context())
	f := parseFilter(r)
	items, total, err := h.c.ReviewQueue(r.Context(), a, f.core())
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	d := queueData{F: f, Items: items, Total: total, Now: h.c.Now(),
		Statuses: []xiaoxiang.SubmissionStatus{xiaoxiang.SubmissionPending, xiaoxiang.SubmissionApproved, xiaoxiang.SubmissionRejected, xiaoxiang.SubmissionDelivered}}
	if d.Schools, err = h.c.ReviewSchools(r.Context(), a); err != nil {
		h.kit.Error(w, r, err)
		return
	}
	school := f.School
	if school == 0 && len(d.Schools) == 1 {
		school = d.Schools[0].ID
	}
	if school != 0 {
		d.Tasks, _ = h.c.Tasks(r.Context(), a, school)
	}
	if f.Page > 1 {
		d.Prev = f.Page - 1
	}
	if f.Page*pageSize < total {
		d.Next = f.Page + 1
	}
	h.pages.Render(w, r, http.StatusOK, "queue", console.View{Title: "审核队列", Section: "review", Data: d})
}

// skipList parses the ids the reviewer skipped in this run (at most 100).
func skipList(r *http.Request) []int64 {
	var out []int64
	for _, s := range strings.Split(r.FormValue("skip"), ",") {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil && id > 0 && len(out) < 100 {
			out = append(out, id)
		}
	}
	return out
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

// next claims the next photo and redirects to it, or back to the queue
// when it is empty.
func (h *Handler) next(w http.ResponseWriter, r *http.Request, f filter, skip []int64, flash string) {
	a := console.ActorFrom(r.Context())
	f.Status = string(xiaoxiang.SubmissionPending)
	id, err := h.c.ClaimNext(r.Context(), a, f.core(), skip)
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	if id == 0 {
		if flash != "" {
			flash += " "
		}
		h.kit.Redirect(w, r, "/review?"+f.Query(), flash+"队列中没有待审核的照片了。")
		return
	}
	q := f.Query()
	if len(skip) > 0 {
		q += "&skip=" + joinIDs(skip)
	}
	h.kit.Redirect(w, r, "/review/"+strconv.FormatInt(id, 10)+"?"+strings.TrimPrefix(q, "&"), flash)
}

func (h *Handler) claimNext(w http.ResponseWriter, r *http.Request) {
	h.next(w, r, parseFilter(r), skipList(r), "")
}

func (h *Handler) claim(w http.ResponseWriter, r *http.Request) {
	id, err := console.PathID(r, "id")
	if err == nil {
		err = h.c.Claim(r.Context(), console.ActorFrom(r.Context()), id)
	}
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	h.kit.Redirect(w, r, "/review/"+strconv.FormatInt(id, 10)+"?"+parseFilter(r).Query(), "")
}

type itemData struct {
	V    *core.ReviewView
	F    filter
	Skip string
}

func (h *Handler) showItem(w http.ResponseWriter, r *http.Request) {
	id, err := console.PathID(r, "id")
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	v, err := h.c.Review(r.Context(), console.ActorFrom(r.Context()), id)
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	h.pages.Render(w, r, http.StatusOK, "item", console.View{Title: "审核 · " + v.Entry.Name, Section: "review",
		Data: itemData{V: v, F: parseFilter(r), Skip: joinIDs(skipList(r))}})
}

func (h *Handler) decide(w http.ResponseWriter, r *http.Request, d core.Decision) {
	id, err := console.PathID(r, "id")
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	if err := h.c.Decide(r.Context(), console.ActorFrom(r.Context()), id, d); err != nil {
		if xiaoxiang.ErrorCode(err) == xiaoxiang.EINVALID {
			h.kit.Redirect(w, r, "/review/"+strconv.FormatInt(id, 10)+"?"+parseFilter(r).Query(), xiaoxiang.ErrorMessage(err))
			return
		}
		h.kit.Error(w, r, err)
		return
	}
	msg := "已通过。"
	if !d.Approve {
		msg = "已驳回。"
	}
	h.next(w, r, parseFilter(r), skipList(r), msg)
}

func (h *Handler) approve(w http.ResponseWriter, r *http.Request) {
	h.decide(w, r, core.Decision{Approve: true})
}

func (h *Handler) reject(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	h.decide(w, r, core.Decision{Reasons: r.Form["reason"], Note: r.FormValue("note")})
}

func (h *Handler) skip(w http.ResponseWriter, r *http.Request) {
	id, err := console.PathID(r, "id")
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	a := console.ActorFrom(r.Context())
	if err := h.c.Release(r.Context(), a, id); err != nil {
		h.kit.Error(w, r, err)
		return
	}
	h.next(w, r, parseFilter(r), append(skipList(r), id), "")
}

func (h *Handler) batchApprove(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	var ids []int64
	for _, s := range r.Form["id"] {
		if id, err := strconv.ParseInt(s, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		h.kit.Redirect(w, r, "/review?"+parseFilter(r).Query(), "请先勾选要批量通过的照片。")
		return
	}
	res, err := h.c.BatchApprove(r.Context(), console.ActorFrom(r.Context()), ids)
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	msg := "已批量通过 " + strconv.Itoa(res.Approved) + " 张。"
	if res.Skipped > 0 {
		msg += strconv.Itoa(res.Skipped) + " 张未通过自动检测或正被他人审核，已跳过，请逐张审核。"
	}
	h.kit.Redirect(w, r, "/review?"+parseFilter(r).Query(), msg)
}

func (h *Handler) showStats(w http.ResponseWriter, r *http.Request) {
	hours := console.FormInt(r, "hours")
	if hours <= 0 || hours > 24*31 {
		hours = 24
	}
	st, err := h.c.Stats(r.Context(), console.ActorFrom(r.Context()), h.c.Now().Add(-time.Duration(hours)*time.Hour))
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	h.pages.Render(w, r, http.StatusOK, "stats", console.View{Title: "审核统计", Section: "review",
		Data: struct {
			S     *core.ReviewStats
			Hours int64
		}{st, hours}})
}

func (h *Handler) photo(w http.ResponseWriter, r *http.Request) {
	id, err := console.PathID(r, "id")
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	rc, err := h.c.OpenReviewPhoto(r.Context(), console.ActorFrom(r.Context()), id, r.PathValue("kind"))
	if err != nil {
		http.Error(w, xiaoxiang.ErrorMessage(err), http.StatusNotFound)
		return
	}
	defer rc.Close()
	w.Header().Set("Content-Type", "image/jpeg")
	w.Header().Set("Cache-Control", "private, no-store")
	io.Copy(w, rc)
}

// reveal shows the full document number of the photo's student (audited).
func (h *Handler) reveal(w http.ResponseWriter, r *http.Request) {
	id, err := console.PathID(r, "id")
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	a := console.ActorFrom(r.Context())
	v, err := h.c.Review(r.Context(), a, id)
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	n, err := h.c.RevealDocument(r.Context(), a, v.Entry.ID)
	if err != nil {
		h.kit.Error(w, r, err)
		return
	}
	h.pages.Render(w, r, http.StatusOK, "reveal", console.View{Title: "完整证件号", Section: "review",
		Data: struct {
			Name, Number, Back string
		}{v.Entry.Name, n, "/review/" + strconv.FormatInt(id, 10) + "?" + parseFilter(r).Query()}})
}
