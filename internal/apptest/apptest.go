// Package apptest runs the whole app for tests: app.New in dev mode (the in-process
// WeChat and WeChat Pay simulator) on a temporary SQLite database, or on a fresh
// PostgreSQL schema when XIAOXIANG_TEST_POSTGRES is set, served on 127.0.0.1:0, with
// the demo data seeded. Clients log in through the simulator exactly like a browser.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"xiaoxiang/internal/app"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/sqldb/sqldbtest"
)

// Options tune New. The zero value seeds the demo and uses the real photo pipeline.
type Options struct {
	NoDemo  bool
	Now     func() time.Time
	Checker core.Checker // nil: the shared real pipeline
	// Log receives the app's logs (default: discarded unless -v and XIAOXIANG_TEST_LOG=1).
	Log *slog.Logger
}

// App is a running app.
type App struct {
	*app.App
	URL string
	tb  testing.TB
}

var (
	keysOnce sync.Once
	keysData []byte
	keysErr  error

	checkerOnce sync.Once
	checker     core.Checker
)

// ModelsDir finds the vision models: $XIAOXIANG_MODELS_DIR or <repo>/models.
func ModelsDir() string {
	if d := os.Getenv("XIAOXIANG_MODELS_DIR"); d != "" {
		return d
	}
	return filepath.Join(RepoRoot(), "models")
}

// RepoRoot is the module root (the directory of go.mod).
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// SharedChecker is one photo pipeline for every app of the test process (the models
// are large; loading them once keeps tests fast).
func SharedChecker() core.Checker {
	checkerOnce.Do(func() { checker = app.NewPhotoChecker(ModelsDir()) })
	return checker
}

// devKeys generates the dev keys (two RSA keys) once per process and reuses them.
func devKeys(tb testing.TB) []byte {
	keysOnce.Do(func() {
		dir, err := os.MkdirTemp("", "xiaoxiang-keys-")
		if err != nil {
			keysErr = err
			return
		}
		defer os.RemoveAll(dir)
		c := app.Defaults()
		c.DataDir, c.Dev = dir, true
		if keysErr = c.LoadDevKeys(); keysErr == nil {
			keysData, keysErr = os.ReadFile(filepath.Join(dir, "dev-keys.json"))
		}
	})
	if keysErr != nil {
		tb.Fatalf("apptest: dev keys: %v", keysErr)
	}
	return keysData
}

// New starts the app and stops it when the test ends.
func New(tb testing.TB, opts ...Options) *App {
	tb.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	dir := tb.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dev-keys.json"), devKeys(tb), 0o600); err != nil {
		tb.Fatal(err)
	}
	cfg := app.Defaults()
	cfg.Dev, cfg.Demo, cfg.DataDir, cfg.ModelsDir = true, !o.NoDemo, dir, ModelsDir()
	cfg.Addr = "127.0.0.1:0"
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		tb.Fatal(err)
	}
	log := o.Log
	if log == nil {
		if os.Getenv("XIAOXIANG_TEST_LOG") != "" {
			log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		} else {
			log = slog.New(slog.DiscardHandler)
		}
	}
	chk := o.Checker
	if chk == nil {
		chk = SharedChecker()
	}
	db := sqldbtest.Open(tb)
	a, err := app.New(context.Background(), cfg, app.Options{Log: log, Now: o.Now, Listener: ln, Checker: chk, DB: db})
	if err != nil {
		ln.Close()
		tb.Fatalf("apptest: %v", err)
	}
	a.Start()
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := a.Stop(ctx); err != nil {
			tb.Errorf("apptest: stop: %v", err)
		}
	})
	return &App{App: a, URL: a.BaseURL, tb: tb}
}

// Client is a browser-like HTTP client (cookies, no automatic redirects by default).
type Client struct {
	app  *App
	HTTP *http.Client
	csrf string
}

// Client returns a new client with an empty cookie jar that does not follow redirects.
func (a *App) Client() *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{app: a, HTTP: &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// Response is a read response.
type Response struct {
	Status   int
	Header   http.Header
	Body     string
	Location string
}

var csrfRE = regexp.MustCompile(`data-csrf="([^"]+)"`)

func (c *Client) do(req *http.Request) *Response {
	c.app.tb.Helper()
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.app.tb.Fatalf("apptest: %s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	r := &Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b), Location: resp.Header.Get("Location")}
	if m := csrfRE.FindStringSubmatch(r.Body); m != nil {
		c.csrf = m[1]
	}
	return r
}

func (c *Client) url(path string) string {
	if strings.HasPrefix(path, "http://") || strings.HasPrefix(path, "https://") {
		return path
	}
	return c.app.URL + path
}

// Get fetches path without following redirects.
func (c *Client) Get(path string) *Response {
	req, _ := http.NewRequest(http.MethodGet, c.url(path), nil)
	return c.do(req)
}

// Follow fetches path and follows up to 10 redirects, returning the last response.
func (c *Client) Follow(path string) (*Response, string) {
	u := c.url(path)
	for i := 0; i < 10; i++ {
		r := c.Get(u)
		if r.Status < 300 || r.Status >= 400 || r.Location == "" {
			return r, u
		}
		next, _ := url.Parse(r.Location)
		base, _ := url.Parse(u)
		u = base.ResolveReference(next).String()
	}
	c.app.tb.Fatalf("apptest: too many redirects from %s", path)
	return nil, ""
}

// CSRF is the token of the last page seen (fetching / first when none was seen).
func (c *Client) CSRF() string {
	if c.csrf == "" {
		c.Get("/help")
	}
	return c.csrf
}

// PostForm posts a form with the CSRF token (unless form already has "csrf").
func (c *Client) PostForm(path string, form url.Values) *Response {
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok {
		form.Set("csrf", c.CSRF())
	}
	req, _ := http.NewRequest(http.MethodPost, c.url(path), strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// Upload posts a photo as the page's JS does (multipart, X-CSRF-Token, Accept JSON).
func (c *Client) Upload(path string, photo []byte, source string) *Response {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("photo", "photo.jpg")
	fw.Write(photo)
	mw.WriteField("source", source)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, c.url(path), &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-CSRF-Token", c.CSRF())
	req.Header.Set("Accept", "application/json")
	return c.do(req)
}

var hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)

// LoginStudent logs in through the simulator's OAuth consent page as the simulated
// WeChat user and returns the page it lands on.
func (c *Client) LoginStudent(user string) *Response {
	tb := c.app.tb
	tb.Helper()
	r := c.Get("/login/wechat")
	if r.Status != http.StatusFound {
		tb.Fatalf("apptest: /login/wechat: status %d", r.Status)
	}
	consent := c.Get(strings.SplitN(r.Location, "#", 2)[0])
	if consent.Status != http.StatusOK {
		tb.Fatalf("apptest: consent page: status %d: %s", consent.Status, consent.Body)
	}
	form := url.Values{}
	for _, m := range hiddenRE.FindAllStringSubmatch(consent.Body, -1) {
		form.Set(m[1], htmlUnescape(m[2]))
	}
	form.Set("user", user)
	form.Set("decision", "allow")
	req, _ := http.NewRequest(http.MethodPost, c.app.URL+"/_sim/wechat/sim/oauth/confirm", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	back := c.do(req)
	if back.Status != http.StatusFound {
		tb.Fatalf("apptest: consent confirm: status %d: %s", back.Status, back.Body)
	}
	cb := c.Get(back.Location)
	if cb.Status != http.StatusSeeOther {
		tb.Fatalf("apptest: login callback: status %d: %s", cb.Status, cb.Body)
	}
	return cb
}

func htmlUnescape(s string) string {
	r := strings.NewReplacer("&amp;", "&", "&#43;", "+", "&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&quot;", `"`)
	return r.Replace(s)
}

// API is a JSON API client with a bearer token.
type API struct {
	app   *App
	Token string
}

// APILogin logs in as a mini-program user: wx.login through the simulator, then
// POST /api/v1/login.
func (a *App) APILogin(user string) *API {
	a.tb.Helper()
	resp, err := http.Get(a.URL + "/_sim/wechat/sim/login-code?user=" + url.QueryEscape(user))
	if err != nil {
		a.tb.Fatal(err)
	}
	var lc struct{ Code string }
	json.NewDecoder(resp.Body).Decode(&lc)
	resp.Body.Close()
	api := &API{app: a}
	var out struct{ Token string }
	if st := api.Do(http.MethodPost, "/api/v1/login", map[string]string{"code": lc.Code}, &out); st != http.StatusOK {
		a.tb.Fatalf("apptest: api login: status %d", st)
	}
	api.Token = out.Token
	return api
}

// Do sends a JSON request (body nil for none) and decodes the JSON answer into out
// (if not nil). It returns the status.
func (api *API) Do(method, path string, body, out any) int {
	api.app.tb.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, api.app.URL+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return api.send(req, out)
}

// Raw sends req with the token and decodes into out.
func (api *API) send(req *http.Request, out any) int {
	if api.Token != "" {
		req.Header.Set("Authorization", "Bearer "+api.Token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		api.app.tb.Fatalf("apptest: %s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			api.app.tb.Fatalf("apptest: %s %s: decode %q: %v", req.Method, req.URL.Path, b, err)
		}
	}
	return resp.StatusCode
}

// UploadPhoto posts a photo as multipart/form-data.
func (api *API) UploadPhoto(bindingID int64, photo []byte, out any) int {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("photo", "photo.jpg")
	fw.Write(photo)
	mw.WriteField("source", "camera")
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/bindings/%d/photos", api.app.URL, bindingID), &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return api.send(req, out)
}

// Portrait returns a real portrait for tests: the development set's hivision_test3.jpg
// when present, else the registry fixture pigo_sample.jpg (scripts/fetch-fixtures.sh).
// It skips the test when neither exists.
func Portrait(tb testing.TB) (path string, data []byte) {
	tb.Helper()
	for _, p := range []string{
		filepath.Join(RepoRoot(), "..", "shared", "testdata", "portraits", "hivision_test3.jpg"),
		filepath.Join(RepoRoot(), ".cache", "fixtures", "pigo_sample.jpg"),
	} {
		if b, err := os.ReadFile(p); err == nil {
			return p, b
		}
	}
	tb.Skip("no portrait: run scripts/fetch-fixtures.sh")
	return "", nil
}
