package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"xiaoxiang/internal/testenv"

	"xiaoxiang/internal/demo"
)

// crashHelperEnv makes the test binary run `serve` (configured by XIAOXIANG_* env)
// instead of tests: TestCrash starts it as a separate process so it can SIGKILL it.
const crashHelperEnv = "XIAOXIANG_CRASH_HELPER"

// TestCrashHelperServe is the server process of TestCrash (skipped in normal runs).
func TestCrashHelperServe(t *testing.T) {
	if os.Getenv(crashHelperEnv) != "1" {
		t.Skip("helper process of TestCrash")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGTERM, syscall.SIGINT)
		<-ch
		cancel()
	}()
	go func() {
		// Stdin is a pipe from TestCrash: end with it if the test process dies.
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	if err := run(ctx, []string{"serve"}, os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestCrash: several students pay and upload photos concurrently against the real
// server process on a temp SQLite data dir; the process is SIGKILLed in the middle
// and restarted on the same data dir. Afterwards every payment the server confirmed
// (the student's page saw paid, or the server logged the acknowledged notification)
// is paid in the database, no binding has two paid orders and no transaction is
// credited twice, every upload answered 200 has its attempt row and its original
// blob with the uploaded bytes (SHA-256), and each student's status page is served.
func TestCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts and kills server processes")
	}
	models, _ := filepath.Abs(filepath.Join("..", "..", "models"))
	if _, err := os.Stat(filepath.Join(models, "face_detection_short_range.tflite")); err != nil {
		t.Skip("models missing: ", err)
	}
	portrait := crashPortrait(t)
	dir := t.TempDir()
	port := freePort(t)
	base := "http://127.0.0.1:" + port
	logPath := filepath.Join(dir, "server.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	start := func() *exec.Cmd {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelperServe$", "-test.count=1")
		cmd.Env = append(cleanEnv(), crashHelperEnv+"=1",
			"XIAOXIANG_ADDR=127.0.0.1:"+port, "XIAOXIANG_DATA_DIR="+filepath.Join(dir, "data"),
			"XIAOXIANG_DATABASE_URL=sqlite:"+filepath.Join(dir, "data", "xiaoxiang.db"),
			"XIAOXIANG_MODELS_DIR="+models, "XIAOXIANG_DEV=true", "XIAOXIANG_DEMO=true", "XIAOXIANG_LOG_LEVEL=info")
		cmd.Stdout, cmd.Stderr = io.Discard, logFile
		if _, err := cmd.StdinPipe(); err != nil { // kept open while the test runs
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		waitHealthy(t, base, cmd, 30*time.Second)
		return cmd
	}
	srv := start()
	defer func() {
		if srv != nil && srv.ProcessState == nil {
			srv.Process.Kill()
			srv.Wait()
		}
	}()

	// Students: distinct roster entries of the demo's paid document-mode task.
	const nStudents, maxUploads = 6, 4
	people := crashRoster(t, nStudents)
	rec := &crashRecord{}
	killed := make(chan struct{})
	var killOnce sync.Once
	kill := func() {
		killOnce.Do(func() {
			// SIGKILL by PID: no shutdown code runs.
			if err := syscall.Kill(srv.Process.Pid, syscall.SIGKILL); err != nil {
				t.Errorf("kill: %v", err)
			}
			close(killed)
		})
	}
	clients := make([]*crashClient, nStudents)
	var wg sync.WaitGroup
	for i := range nStudents {
		clients[i] = newCrashClient(base, i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 250 * time.Millisecond)
			clients[i].flow(people[i], portrait, maxUploads, rec, killed, func() {
				// Kill once some uploads and payments are through while others are in flight.
				if n, p := rec.counts(); n >= 4 && p >= nStudents-2 {
					kill()
				}
			})
		}()
	}
	go func() {
		select {
		case <-killed:
		case <-time.After(30 * time.Second):
			kill() // bounded even if uploads are slow
		}
	}()
	<-killed
	srv.Wait()
	wg.Wait()
	uploads, acked, simPaid := rec.snapshot()
	for _, n := range rec.notes {
		t.Log(n)
	}
	t.Logf("before the kill: %d uploads answered 200, %d payments seen paid by the student, %d confirmed by the simulator",
		len(uploads), len(acked), len(simPaid))
	if len(uploads) == 0 || len(acked) == 0 {
		t.Fatalf("nothing to check: %d uploads, %d paid (server log %s)", len(uploads), len(acked), logPath)
	}

	// Restart on the same data dir; the app serves every student's status.
	srv = start()
	for _, c := range clients {
		if c.bpath == "" {
			continue
		}
		r, err := c.get(c.bpath + "/status")
		if err != nil || r.status != http.StatusOK {
			t.Errorf("student %d: status page after restart: %v %v", c.n, err, r)
		}
	}
	for bpath := range acked {
		c := clientOf(clients, bpath)
		r, err := c.get(bpath + "/pay/status")
		var st struct{ Paid bool }
		if err == nil {
			json.Unmarshal([]byte(r.body), &st)
		}
		if err != nil || r.status != 200 || !st.Paid {
			t.Errorf("%s: paid before the crash, pay status after: %v %v", bpath, err, r)
		}
	}
	for bpath := range simPaid {
		if _, ok := acked[bpath]; ok {
			continue
		}
		// Confirmed by the simulator that died, not seen paid: the page still
		// answers in JSON — 200, or 503 "cannot query the payment result now"
		// because the restarted simulator does not know the order.
		r, err := clientOf(clients, bpath).get(bpath + "/pay/status")
		if err != nil || (r.status != http.StatusOK && r.status != http.StatusServiceUnavailable) || !json.Valid([]byte(r.body)) {
			t.Errorf("%s: pay status after restart: %v %v", bpath, err, r)
		}
	}
	srv.Process.Signal(syscall.SIGTERM)
	srv.Wait()

	// The database and the blobs.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, "data", "xiaoxiang.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	logged := serverAckedOrders(t, logPath)
	paidInDB := map[string]string{} // out_trade_no → transaction_id
	rows, err := db.Query(`SELECT out_trade_no, transaction_id FROM orders WHERE status = 'paid'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var no, tx string
		rows.Scan(&no, &tx)
		paidInDB[no] = tx
	}
	rows.Close()
	for no := range logged {
		if _, ok := paidInDB[no]; !ok {
			t.Errorf("order %s: the server acknowledged its notification but it is not paid after the crash", no)
		}
	}
	for bpath, no := range acked {
		if _, ok := paidInDB[no]; !ok {
			t.Errorf("%s: order %s was shown paid before the crash but is not paid after it", bpath, no)
		}
	}
	lost := 0
	for bpath, no := range simPaid {
		if _, ok := paidInDB[no]; ok {
			continue
		}
		if _, ok := logged[no]; ok {
			continue // reported above
		}
		// The in-process simulator died with the server before delivering the
		// notification; WeChat Pay would retry it (and the order is still there
		// to be credited or reconciled).
		lost++
		var status string
		if err := db.QueryRow(`SELECT status FROM orders WHERE out_trade_no = ?`, no).Scan(&status); err != nil {
			t.Errorf("%s: order %s confirmed by the simulator is missing: %v", bpath, no, err)
		}
	}
	t.Logf("after the restart: %d paid orders in the database, %d acknowledged notifications in the log, %d simulator confirmations whose notification died with the process",
		len(paidInDB), len(logged), lost)
	var dup int
	if err := db.QueryRow(`SELECT COUNT(*) FROM (SELECT binding_id FROM orders WHERE status = 'paid' GROUP BY binding_id HAVING COUNT(*) > 1)`).Scan(&dup); err != nil || dup != 0 {
		t.Errorf("bindings with more than one paid order: %d (%v)", dup, err)
	}
	if err := db.QueryRow(`SELECT COUNT(*) FROM (SELECT transaction_id FROM orders WHERE status = 'paid' GROUP BY transaction_id HAVING COUNT(*) > 1)`).Scan(&dup); err != nil || dup != 0 {
		t.Errorf("transactions credited twice: %d (%v)", dup, err)
	}
	for _, u := range uploads {
		var key string
		if err := db.QueryRow(`SELECT original_key FROM attempts WHERE id = ? AND binding_id = ?`, u.attempt, u.binding).Scan(&key); err != nil {
			t.Errorf("upload %s: attempt row after the crash: %v", u.next, err)
			continue
		}
		if key == "" {
			// Deliberately forgotten by the retention rule (core.PurgeRawUploads).
			t.Logf("upload %s: original purged by retention", u.next)
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, "data", "blobs", filepath.FromSlash(key)))
		if err != nil {
			t.Errorf("upload %s: blob: %v", u.next, err)
			continue
		}
		if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != u.sha {
			t.Errorf("upload %s: blob bytes differ from the upload (%d bytes)", u.next, len(b))
		}
	}
}

// cleanEnv is the environment without XIAOXIANG_* settings of the developer.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "XIAOXIANG_") {
			env = append(env, kv)
		}
	}
	return env
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

func waitHealthy(t *testing.T, base string, cmd *exec.Cmd, timeout time.Duration) {
	t.Helper()
	exited := make(chan struct{})
	go func() {
		for cmd.ProcessState == nil {
			time.Sleep(20 * time.Millisecond)
		}
		close(exited)
	}()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	t.Fatalf("server not healthy within %s", timeout)
}

func crashPortrait(t *testing.T) []byte {
	for _, p := range []string{filepath.Join(testenv.PortraitsDir(t), "hivision_test3.jpg"), filepath.Join(testenv.FixturesDir(t), "pigo_sample.jpg")} {
		if b, err := os.ReadFile(p); err == nil {
			return b
		}
	}
	t.Skip("no portrait: run scripts/fetch-fixtures.sh")
	return nil
}

// crashPerson is a demo roster entry (never logged).
type crashPerson struct{ name, doc string }

// crashRoster returns the first n students of the first demo task of 湖南师范大学
// (2026年上半年学位申请图像采集: paid, linked by ID number).
func crashRoster(t *testing.T, n int) []crashPerson {
	ps, err := demo.Roster(0, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]crashPerson, len(ps))
	for i, p := range ps {
		out[i] = crashPerson{name: p.Name, doc: p.DocNumber}
	}
	return out
}

type crashUpload struct {
	binding, attempt int64
	next, sha        string
}

// crashRecord is what the clients saw acknowledged before the kill.
type crashRecord struct {
	mu      sync.Mutex
	uploads []crashUpload
	acked   map[string]string // binding path → out_trade_no, shown paid to the student
	simPaid map[string]string // binding path → out_trade_no, confirmed by the simulator
	notes   []string
}

func (r *crashRecord) counts() (uploads, paid int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.uploads), len(r.acked)
}

func (r *crashRecord) snapshot() ([]crashUpload, map[string]string, map[string]string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]crashUpload(nil), r.uploads...), r.acked, r.simPaid
}

func (r *crashRecord) add(f func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.acked == nil {
		r.acked, r.simPaid = map[string]string{}, map[string]string{}
	}
	f()
}

type crashClient struct {
	base  string
	n     int
	hc    *http.Client
	csrf  string
	bpath string
}

type crashResp struct {
	status         int
	body, location string
}

func (r *crashResp) String() string {
	if r == nil {
		return "<nil>"
	}
	return fmt.Sprintf("status %d", r.status)
}

var (
	crashCSRF    = regexp.MustCompile(`data-csrf="([^"]+)"`)
	crashHidden  = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	crashSheet   = regexp.MustCompile(`href="(/_sim/wechat/sim/pay\?[^"]+)"`)
	crashOrder   = regexp.MustCompile(`订单号 ([A-Za-z0-9]+)`)
	crashAttempt = regexp.MustCompile(`^/my/(\d+)/photos/(\d+)$`)
	crashUnesc   = strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">")
)

func newCrashClient(base string, n int) *crashClient {
	jar, _ := cookiejar.New(nil)
	return &crashClient{base: base, n: n, hc: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func clientOf(cs []*crashClient, bpath string) *crashClient {
	for _, c := range cs {
		if c.bpath == bpath {
			return c
		}
	}
	return cs[0]
}

func (c *crashClient) do(req *http.Request) (*crashResp, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	r := &crashResp{status: resp.StatusCode, body: string(b), location: resp.Header.Get("Location")}
	if m := crashCSRF.FindStringSubmatch(r.body); m != nil {
		c.csrf = m[1]
	}
	return r, nil
}

func (c *crashClient) get(path string) (*crashResp, error) {
	if !strings.HasPrefix(path, "http") {
		path = c.base + path
	}
	req, _ := http.NewRequest(http.MethodGet, path, nil)
	return c.do(req)
}

func (c *crashClient) post(path string, form url.Values, accept string) (*crashResp, error) {
	if !strings.HasPrefix(path, "/_sim/") {
		form.Set("csrf", c.csrf)
	}
	req, _ := http.NewRequest(http.MethodPost, c.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	return c.do(req)
}

// flow logs in, links, pays and uploads until an error (the kill) or maxUploads.
// It records only what the server (or the simulator) acknowledged.
func (c *crashClient) flow(p crashPerson, portrait []byte, maxUploads int, rec *crashRecord, killed <-chan struct{}, progress func()) {
	expect := func(r *crashResp, err error) (*crashResp, bool) { return r, err == nil }
	var r *crashResp
	var ok bool
	if r, ok = expect(c.get("/login/wechat")); !ok || r.status != http.StatusFound {
		return
	}
	if r, ok = expect(c.get(strings.SplitN(r.location, "#", 2)[0])); !ok {
		return
	}
	form := url.Values{}
	for _, m := range crashHidden.FindAllStringSubmatch(r.body, -1) {
		form.Set(m[1], crashUnesc.Replace(m[2]))
	}
	form.Set("user", fmt.Sprintf("crash-student-%d", c.n))
	form.Set("decision", "allow")
	if r, ok = expect(c.post("/_sim/wechat/sim/oauth/confirm", form, "")); !ok || r.status != http.StatusFound {
		return
	}
	if r, ok = expect(c.get(r.location)); !ok || r.status != http.StatusSeeOther {
		return
	}
	c.get("/")
	// The first open task of 湖南师范大学 is the demo's first task (id 1).
	const tid = "1"
	if r, ok = expect(c.post("/tasks/"+tid+"/consent", url.Values{"agree": {"1"}}, "")); !ok || r.status != http.StatusSeeOther {
		return
	}
	r, ok = expect(c.post("/tasks/"+tid+"/link", url.Values{"name": {p.name}, "doc_kind": {"resident_id"}, "doc_number": {p.doc}}, ""))
	if !ok || r.status != http.StatusSeeOther || !strings.HasPrefix(r.location, "/my/") {
		return
	}
	bpath := r.location
	c.bpath = bpath
	if r, ok = expect(c.get(bpath + "/pay")); !ok || r.status != http.StatusOK {
		return
	}
	wait, err := c.post(bpath+"/pay", url.Values{}, "")
	if err != nil || wait.status != http.StatusOK {
		return
	}
	om, sm := crashOrder.FindStringSubmatch(wait.body), crashSheet.FindStringSubmatch(wait.body)
	if om == nil || sm == nil {
		return
	}
	orderNo := om[1]
	if r, ok = expect(c.get(crashUnesc.Replace(sm[1]))); !ok || r.status != http.StatusOK {
		return
	}
	pf := url.Values{"decision": {"pay"}}
	for _, m := range crashHidden.FindAllStringSubmatch(r.body, -1) {
		pf.Set(m[1], crashUnesc.Replace(m[2]))
	}
	if r, ok = expect(c.post("/_sim/wechat/sim/pay/confirm", pf, "application/json")); !ok || !strings.Contains(r.body, "requestPayment:ok") {
		return
	}
	rec.add(func() { rec.simPaid[bpath] = orderNo })
	for deadline := time.Now().Add(10 * time.Second); ; {
		r, err := c.get(bpath + "/pay/status")
		if err != nil {
			return
		}
		var st struct{ Paid bool }
		json.Unmarshal([]byte(r.body), &st)
		if r.status == http.StatusOK && st.Paid {
			break
		}
		if time.Now().After(deadline) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	rec.add(func() { rec.acked[bpath] = orderNo })
	progress()
	if r, ok = expect(c.post(bpath+"/consent", url.Values{"agree": {"1"}}, "")); !ok || r.status != http.StatusSeeOther {
		return
	}
	for i := range maxUploads {
		select {
		case <-killed:
			return
		default:
		}
		// Distinct bytes per upload (a JPEG comment after SOI), so each blob is checkable.
		comment := fmt.Sprintf("crash %04d %04d", c.n, i)
		photo := append([]byte{0xFF, 0xD8, 0xFF, 0xFE, 0, byte(len(comment) + 2)}, comment...)
		photo = append(photo, portrait[2:]...)
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("photo", "photo.jpg")
		fw.Write(photo)
		mw.WriteField("source", "album")
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, c.base+bpath+"/photos", &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("X-CSRF-Token", c.csrf)
		req.Header.Set("Accept", "application/json")
		up, err := c.do(req)
		if err != nil || up.status != http.StatusOK {
			if err == nil {
				rec.add(func() { rec.notes = append(rec.notes, fmt.Sprintf("upload answered %d", up.status)) })
			}
			return
		}
		var next struct{ Next string }
		json.Unmarshal([]byte(up.body), &next)
		m := crashAttempt.FindStringSubmatch(next.Next)
		if m == nil {
			return
		}
		var bid, aid int64
		fmt.Sscan(m[1], &bid)
		fmt.Sscan(m[2], &aid)
		sum := sha256.Sum256(photo)
		rec.add(func() {
			rec.uploads = append(rec.uploads, crashUpload{binding: bid, attempt: aid, next: next.Next, sha: hex.EncodeToString(sum[:])})
		})
		progress()
	}
}

var ackedRE = regexp.MustCompile(`msg="wechat pay notify: order paid".* out_trade_no=(\S+)`)

// serverAckedOrders lists the orders whose notification the server committed and
// acknowledged (it logs "order paid" after the commit, before answering 204).
func serverAckedOrders(t *testing.T, path string) map[string]bool {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range ackedRE.FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = true
	}
	return out
}
