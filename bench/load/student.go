package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// student is one simulated browser: its own cookie jar, no automatic redirects.
type student struct {
	ctx   context.Context
	base  string
	hc    *http.Client
	stats *stats
	csrf  string
	n     int
	think time.Duration
	rng   *rand.Rand
}

func newStudent(ctx context.Context, base string, tr *http.Transport, st *stats, n int, think time.Duration) *student {
	jar, _ := cookiejar.New(nil)
	return &student{ctx: ctx, base: base, stats: st, n: n, think: think, rng: rand.New(rand.NewPCG(uint64(n), 7)), hc: &http.Client{Jar: jar, Transport: tr, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type response struct {
	status   int
	body     string
	location string
}

var (
	csrfRE   = regexp.MustCompile(`data-csrf="([^"]+)"`)
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	sheetRE  = regexp.MustCompile(`href="(/_sim/wechat/sim/pay\?[^"]+)"`)
	taskRE   = regexp.MustCompile(`href="/tasks/(\d+)"`)
	unescape = strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&quot;", `"`)
)

// call sends req, records its latency under ep, and checks the status.
func (s *student) call(ep string, photo bool, req *http.Request, want int) (*response, error) {
	if s.think > 0 && !strings.HasPrefix(ep, "sim ") && ep != "GET /login/callback" && ep != "GET /my/{bid}/pay/status" {
		// A person reads the page before the next step (redirect targets and the
		// page's own polling follow at once).
		d := time.Duration(float64(s.think) * (0.5 + s.rng.Float64()))
		select {
		case <-time.After(d):
		case <-s.ctx.Done():
		}
	}
	req = req.WithContext(s.ctx)
	t0 := time.Now()
	resp, err := s.hc.Do(req)
	if err != nil {
		s.stats.record(ep, photo, time.Since(t0), false)
		return nil, fmt.Errorf("%s: %v", ep, redact(err))
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	d := time.Since(t0)
	if err != nil {
		s.stats.record(ep, photo, d, false)
		return nil, fmt.Errorf("%s: read body: %v", ep, err)
	}
	r := &response{status: resp.StatusCode, body: string(b), location: resp.Header.Get("Location")}
	if m := csrfRE.FindStringSubmatch(r.body); m != nil {
		s.csrf = m[1]
	}
	ok := want == 0 || r.status == want
	s.stats.record(ep, photo, d, ok)
	if !ok {
		return r, fmt.Errorf("%s: status %d, want %d", ep, r.status, want)
	}
	return r, nil
}

// redact keeps URLs (they carry codes and tokens) out of error messages.
func redact(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}

func (s *student) abs(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return s.base + path
}

func (s *student) get(ep, path string, want int) (*response, error) {
	req, err := http.NewRequest(http.MethodGet, s.abs(path), nil)
	if err != nil {
		return nil, err
	}
	return s.call(ep, false, req, want)
}

func (s *student) post(ep, path string, form url.Values, want int) (*response, error) {
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok && !strings.HasPrefix(path, "/_sim/") {
		form.Set("csrf", s.csrf)
	}
	req, err := http.NewRequest(http.MethodPost, s.abs(path), strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return s.call(ep, strings.Contains(ep, "photos"), req, want)
}

// run walks the flow; it stops at the first unexpected answer.
func (s *student) run(a assignment, photo bool, portrait []byte) error {
	// WeChat OAuth through the simulator's consent page.
	r, err := s.get("GET /login/wechat", "/login/wechat", http.StatusFound)
	if err != nil {
		return err
	}
	consent, err := s.get("sim GET /connect/oauth2/authorize", strings.SplitN(r.location, "#", 2)[0], http.StatusOK)
	if err != nil {
		return err
	}
	form := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(consent.body, -1) {
		form.Set(m[1], unescape.Replace(m[2]))
	}
	form.Set("user", fmt.Sprintf("load-student-%d", s.n))
	form.Set("decision", "allow")
	back, err := s.post("sim POST /sim/oauth/confirm", "/_sim/wechat/sim/oauth/confirm", form, http.StatusFound)
	if err != nil {
		return err
	}
	if _, err := s.get("GET /login/callback", back.location, http.StatusSeeOther); err != nil {
		return err
	}
	if _, err := s.get("GET /", "/", http.StatusOK); err != nil {
		return err
	}

	// Find the school and the task.
	t := a.task
	sr, err := s.get("GET /schools?q=", "/schools?q="+url.QueryEscape(t.schoolCode), http.StatusOK)
	if err != nil {
		return err
	}
	m := regexp.MustCompile(`href="/schools/(\d+)"`).FindStringSubmatch(sr.body)
	if m == nil {
		return fmt.Errorf("search %s: no school link", t.schoolCode)
	}
	sid := m[1]
	if _, err := s.get("GET /schools/{id}", "/schools/"+sid, http.StatusOK); err != nil {
		return err
	}
	tl, err := s.get("GET /schools/{id}/{category}", "/schools/"+sid+"/"+t.category, http.StatusOK)
	if err != nil {
		return err
	}
	tid := taskID(tl.body, t.title)
	if tid == "" {
		return fmt.Errorf("task list of %s/%s: task not found", t.schoolCode, t.category)
	}

	// Consent and link.
	if _, err := s.get("GET /tasks/{id}", "/tasks/"+tid, http.StatusSeeOther); err != nil {
		return err
	}
	if _, err := s.get("GET /tasks/{id}/consent", "/tasks/"+tid+"/consent", http.StatusOK); err != nil {
		return err
	}
	if _, err := s.post("POST /tasks/{id}/consent", "/tasks/"+tid+"/consent", url.Values{"agree": {"1"}}, http.StatusSeeOther); err != nil {
		return err
	}
	if _, err := s.get("GET /tasks/{id}/link", "/tasks/"+tid+"/link", http.StatusOK); err != nil {
		return err
	}
	lr, err := s.post("POST /tasks/{id}/link", "/tasks/"+tid+"/link",
		url.Values{"name": {a.p.name}, "doc_kind": {"resident_id"}, "doc_number": {a.p.doc}}, http.StatusSeeOther)
	if err != nil {
		return err
	}
	bpath := lr.location // /my/{bid}
	if !strings.HasPrefix(bpath, "/my/") {
		return fmt.Errorf("link: unexpected redirect")
	}
	if _, err := s.get("GET /my/{bid}", bpath, http.StatusSeeOther); err != nil {
		return err
	}
	if _, err := s.get("GET /my/{bid}/pay", bpath+"/pay", http.StatusOK); err != nil {
		return err
	}
	if _, err := s.get("GET /my", "/my", http.StatusOK); err != nil {
		return err
	}

	// Order, the simulator's sheet, the payment, polling.
	wait, err := s.post("POST /my/{bid}/pay", bpath+"/pay", nil, http.StatusOK)
	if err != nil {
		return err
	}
	sm := sheetRE.FindStringSubmatch(wait.body)
	if sm == nil {
		return fmt.Errorf("pay: no sheet link")
	}
	sheet, err := s.get("sim GET /sim/pay", unescape.Replace(sm[1]), http.StatusOK)
	if err != nil {
		return err
	}
	pf := url.Values{"decision": {"pay"}}
	for _, m := range hiddenRE.FindAllStringSubmatch(sheet.body, -1) {
		pf.Set(m[1], unescape.Replace(m[2]))
	}
	req, _ := http.NewRequest(http.MethodPost, s.base+"/_sim/wechat/sim/pay/confirm", strings.NewReader(pf.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if _, err := s.call("sim POST /sim/pay/confirm", false, req, http.StatusOK); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for polls := 0; ; polls++ {
		ps, err := s.get("GET /my/{bid}/pay/status", bpath+"/pay/status", http.StatusOK)
		if err != nil {
			return err
		}
		var st struct{ Paid bool }
		if err := json.Unmarshal([]byte(ps.body), &st); err != nil {
			return fmt.Errorf("pay status: %v", err)
		}
		if st.Paid {
			s.stats.paid(polls + 1)
			break
		}
		if time.Now().After(deadline) || polls >= 300 {
			s.stats.record("payment confirmed within 30 s", false, 0, false)
			return fmt.Errorf("payment not confirmed within 30 s")
		}
		select {
		case <-time.After(100 * time.Millisecond):
		case <-s.ctx.Done():
			return s.ctx.Err()
		}
	}
	if _, err := s.get("GET /my/{bid}/pay/wait", bpath+"/pay/wait", http.StatusSeeOther); err != nil {
		return err
	}
	if _, err := s.get("GET /my/{bid}/guide", bpath+"/guide", http.StatusOK); err != nil {
		return err
	}
	if _, err := s.get("GET /my", "/my", http.StatusOK); err != nil {
		return err
	}
	if _, err := s.get("GET /my/{bid}/status", bpath+"/status", http.StatusOK); err != nil {
		return err
	}
	if !photo {
		return nil
	}

	// Photo: consent, upload (quality check), standardize, submit.
	if _, err := s.post("POST /my/{bid}/consent", bpath+"/consent", url.Values{"agree": {"1"}}, http.StatusSeeOther); err != nil {
		return err
	}
	if _, err := s.get("GET /my/{bid}/camera", bpath+"/camera", http.StatusOK); err != nil {
		return err
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("photo", "photo.jpg")
	fw.Write(portrait)
	mw.WriteField("source", "album")
	mw.Close()
	req, _ = http.NewRequest(http.MethodPost, s.base+bpath+"/photos", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", s.csrf)
	req.Header.Set("Accept", "application/json")
	up, err := s.call("POST /my/{bid}/photos (upload+check)", true, req, http.StatusOK)
	if err != nil {
		return err
	}
	var next struct{ Next string }
	if json.Unmarshal([]byte(up.body), &next); next.Next == "" {
		return fmt.Errorf("upload: no next page")
	}
	rep, err := s.call("GET /my/{bid}/photos/{aid} (report)", true, mustGet(s.base+next.Next), http.StatusOK)
	if err != nil {
		return err
	}
	if !strings.Contains(rep.body, "/standardize") && !strings.Contains(rep.body, "去制作") {
		s.stats.note("photo check did not pass (no standardize offered)")
		return nil
	}
	if _, err := s.post("POST /my/{bid}/photos/{aid}/standardize", next.Next+"/standardize", nil, http.StatusSeeOther); err != nil {
		return err
	}
	if _, err := s.call("GET /my/{bid}/photos/{aid}/result", true, mustGet(s.base+next.Next+"/result"), http.StatusOK); err != nil {
		return err
	}
	if _, err := s.post("POST /my/{bid}/photos/{aid}/submit", next.Next+"/submit", nil, http.StatusSeeOther); err != nil {
		return err
	}
	_, err = s.get("GET /my/{bid}/status", bpath+"/status", http.StatusOK)
	return err
}

func mustGet(u string) *http.Request {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		panic(err)
	}
	return req
}

// taskID finds the link of the task titled title in a task list page.
func taskID(body, title string) string {
	i := strings.Index(body, title)
	if i < 0 {
		return ""
	}
	ms := taskRE.FindAllStringSubmatchIndex(body[:i], -1)
	if len(ms) == 0 {
		return ""
	}
	last := ms[len(ms)-1]
	return body[last[2]:last[3]]
}
