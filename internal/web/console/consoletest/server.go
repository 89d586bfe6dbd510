package consoletest

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"xiaoxiang/internal/web"
	"xiaoxiang/internal/web/console"
	"xiaoxiang/internal/web/ops"
	"xiaoxiang/internal/web/review"
	"xiaoxiang/internal/web/school"
)

// Server serves the three consoles on a real HTTP server, mounted as
// internal/app mounts them (plus the security headers of internal/web).
func (e *Env) Server() *httptest.Server {
	e.TB.Helper()
	kit, err := console.New(console.Options{Console: e.Console})
	e.must(err)
	mux := http.NewServeMux()
	kit.Routes(mux)
	rv, err := review.New(kit)
	e.must(err)
	rv.Routes(mux)
	sc, err := school.New(kit)
	e.must(err)
	sc.Routes(mux)
	op, err := ops.New(kit)
	e.must(err)
	op.Routes(mux)
	srv := httptest.NewServer(web.SecurityHeaders(mux))
	e.TB.Cleanup(srv.Close)
	return srv
}

// Client is a browser-like HTTP client with cookies and the page's CSRF token.
type Client struct {
	TB   testing.TB
	HC   *http.Client
	Base string
	CSRF string
}

// NewClient returns an anonymous client of srv that does not follow redirects.
func NewClient(tb testing.TB, srv *httptest.Server) *Client {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Client{TB: tb, HC: hc, Base: srv.URL}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
var tokenRE = regexp.MustCompile(`name="token" value="([^"]+)"`)

// Login logs the client in with the fixture password.
func (c *Client) Login(username string) *Client {
	c.TB.Helper()
	return c.LoginWith(username, Password)
}

// NewURLClient returns an anonymous client of a server at base.
func NewURLClient(tb testing.TB, base string) *Client {
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &Client{TB: tb, HC: hc, Base: base}
}

// LoginWith logs the client in with a password.
func (c *Client) LoginWith(username, password string) *Client {
	c.TB.Helper()
	_, body, _ := c.Get("/staff/login")
	m := tokenRE.FindStringSubmatch(body)
	if m == nil {
		c.TB.Fatalf("login page has no token")
	}
	st, _, loc := c.Post("/staff/login", url.Values{"token": {m[1]}, "username": {username}, "password": {password}})
	if st != http.StatusSeeOther {
		c.TB.Fatalf("login %s: status %d", username, st)
	}
	_ = loc
	c.Get("/staff/account") // picks up the CSRF token
	return c
}

// Get fetches path and returns status, body and Location.
func (c *Client) Get(path string) (int, string, string) {
	c.TB.Helper()
	return c.do(http.MethodGet, path, nil, "")
}

// Post submits a form (the CSRF token is added unless form has one).
func (c *Client) Post(path string, form url.Values) (int, string, string) {
	c.TB.Helper()
	if form == nil {
		form = url.Values{}
	}
	if form.Get("csrf") == "" && c.CSRF != "" {
		form.Set("csrf", c.CSRF)
	}
	return c.do(http.MethodPost, path, strings.NewReader(form.Encode()), "application/x-www-form-urlencoded")
}

// PostBody posts a raw body with a content type (multipart uploads).
func (c *Client) PostBody(path, ctype string, body io.Reader) (int, string, string) {
	c.TB.Helper()
	return c.do(http.MethodPost, path, body, ctype)
}

func (c *Client) do(method, path string, body io.Reader, ctype string) (int, string, string) {
	c.TB.Helper()
	req, err := http.NewRequest(method, c.Base+path, body)
	if err != nil {
		c.TB.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if c.CSRF != "" {
		req.Header.Set("X-CSRF-Token", c.CSRF)
	}
	resp, err := c.HC.Do(req)
	if err != nil {
		c.TB.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if m := csrfRE.FindSubmatch(b); m != nil {
		c.CSRF = string(m[1])
	}
	return resp.StatusCode, string(b), resp.Header.Get("Location")
}
