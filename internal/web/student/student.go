// Package student is the students' mobile web app: the twelve steps of the seed guide
// (WeChat login → 去采集 → school, category, task → 关联 → pay → instructions → camera →
// quality report → standardize → submit → status), 我的任务, 解绑, help and "my data".
// Pages are rendered on the server and work in WeChat's browser and any phone browser;
// JavaScript only adds the live camera, instant document-number feedback, client-side
// downscaling and payment polling. Every handler parses the request, calls one use
// case of internal/core and renders.
package student

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/payment"
	"xiaoxiang/internal/web"
)

//go:embed templates
var templatesFS embed.FS

// Templates returns the page templates of this surface (for web.NewRenderer).
func Templates() fs.FS {
	sub, _ := fs.Sub(templatesFS, "templates") // cannot fail: the directory is embedded
	return sub
}

// WeChatLogin is the H5 (公众号) OAuth login as the pages need it.
type WeChatLogin interface {
	// AuthorizeURL is where the browser goes to consent; WeChat redirects back to
	// redirectURI with code and state.
	AuthorizeURL(redirectURI, state string) string
	// Exchange turns the code into the WeChat identity.
	Exchange(ctx context.Context, code string) (core.LoginInput, error)
}

// Support is the platform's default support contact, used when a school has none.
type Support struct {
	Phone string
	Hours string
	QQ    string
}

// Options configure the handler.
type Options struct {
	Core     *core.Service
	Render   *web.Renderer
	Sessions *web.SessionCodec
	Login    WeChatLogin
	// PaySheet returns the URL of the payment sheet for prepay parameters in
	// development (the simulator's 微信支付 sheet); nil in production, where the page
	// calls WeixinJSBridge with the JSAPI parameters.
	PaySheet   func(p *payment.PayParams, returnURL string) string
	BaseURL    string // public URL of the app, for the OAuth redirect_uri
	SessionTTL time.Duration
	Secure     bool // Secure cookies (HTTPS)
	Support    Support
	// Annotate draws the quality-report overlay on the original photo (nil: the
	// original is shown without overlay).
	Annotate func(original []byte, reportJSON string) ([]byte, error)
	Log      *slog.Logger
	Now      func() time.Time
}

// Handler serves the student pages.
type Handler struct {
	o   Options
	mux *http.ServeMux
}

// New returns the student handler.
func New(o Options) *Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = 7 * 24 * time.Hour
	}
	h := &Handler{o: o, mux: http.NewServeMux()}
	h.routes()
	return h
}

// ServeHTTP implements http.Handler (CSRF protection and route recording included).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

const sessionCookie = "xx_sess"

// account returns the logged-in account, or renders the login (or "session
// expired") page and returns false.
func (h *Handler) account(w http.ResponseWriter, r *http.Request) (*xiaoxiang.Account, bool) {
	c, err := r.Cookie(sessionCookie)
	if err != nil {
		h.redirectLogin(w, r, false)
		return nil, false
	}
	s, err := h.o.Sessions.Decode(c.Value, h.o.Now())
	if err != nil {
		h.clearSession(w)
		h.redirectLogin(w, r, errors.Is(err, web.ErrSessionExpired))
		return nil, false
	}
	a, err := h.o.Core.Account(r.Context(), s.AccountID)
	if err != nil {
		if xiaoxiang.ErrorCode(err) == xiaoxiang.ENOTFOUND {
			h.clearSession(w)
			h.redirectLogin(w, r, true)
			return nil, false
		}
		h.o.Render.Error(w, r, err)
		return nil, false
	}
	return a, true
}

func (h *Handler) redirectLogin(w http.ResponseWriter, r *http.Request, expired bool) {
	next := ""
	if r.Method == http.MethodGet {
		next = r.URL.RequestURI()
	}
	u := "/login"
	q := url.Values{}
	if next != "" && next != "/" {
		q.Set("next", next)
	}
	if expired {
		q.Set("expired", "1")
	}
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	if r.Method == http.MethodGet && !expired {
		http.Redirect(w, r, u, http.StatusSeeOther)
		return
	}
	// An expired session (or a POST without one) gets its own screen.
	h.o.Render.Render(w, r, http.StatusUnauthorized, "login", web.View{
		Title: "登录已过期",
		Data:  loginData{LoginURL: "/login/wechat?" + q.Encode(), Expired: true},
	})
}

func (h *Handler) setSession(w http.ResponseWriter, accountID int64) {
	now := h.o.Now()
	tok := h.o.Sessions.Encode(web.Session{AccountID: accountID, IssuedAt: now.Unix(), ExpiresAt: now.Add(h.o.SessionTTL).Unix()})
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: tok, Path: "/", HttpOnly: true, Secure: h.o.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: int(h.o.SessionTTL / time.Second)})
}

func (h *Handler) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, Secure: h.o.Secure,
		SameSite: http.SameSiteLaxMode, MaxAge: -1})
}

// pathID parses a positive int64 path value; a bad one is a not-found page.
// accountAndID is the preamble of most pages: the logged-in account (or a redirect to
// login), then the numeric path value name (or the not-found page), in that order.
func (h *Handler) accountAndID(w http.ResponseWriter, r *http.Request, name string) (*xiaoxiang.Account, int64, bool) {
	a, ok := h.account(w, r)
	if !ok {
		return nil, 0, false
	}
	id, ok := h.pathID(w, r, name)
	if !ok {
		return nil, 0, false
	}
	return a, id, true
}

func (h *Handler) pathID(w http.ResponseWriter, r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		h.o.Render.Error(w, r, xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "页面不存在或链接有误。"))
		return 0, false
	}
	return id, true
}

// localPath accepts only same-site relative paths for redirects after login.
func localPath(s string) string {
	if s == "" || !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/\\") {
		return "/"
	}
	return s
}

// wantsJSON reports whether the client (the page's JS) asked for JSON.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	h.o.Render.Error(w, r, xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "页面不存在或链接有误，请从首页重新进入。"))
}
