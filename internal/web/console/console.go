// Package console is the shared plumbing of the staff consoles (/school,
// /review, /ops): the desktop layout, CSS and keyboard-friendly JS, the
// staff login/logout/TOTP/password pages, the staff session cookie, CSRF
// protection bound to the session, and the role guard. The surfaces build
// their pages with Kit.Pages and wrap every handler with Kit.Guard.
package console

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/auth"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/web"
)

//go:embed templates/*.html
var layoutFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure a Kit.
type Options struct {
	Console *core.Console
	Log     *slog.Logger
	// Secure marks cookies Secure (HTTPS deployments).
	Secure bool
	// CSRFKey (≥ 32 bytes) keys the session-bound CSRF tokens; random when empty.
	CSRFKey []byte
	// TrustProxy takes the client IP from X-Forwarded-For (behind a proxy).
	TrustProxy bool
}

// Kit is the shared console machinery.
type Kit struct {
	C      *core.Console
	log    *slog.Logger
	secure bool
	csrf   *auth.CSRF
	proxy  bool
	static map[string]staticFile
	pages  *Pages
}

type staticFile struct {
	data  []byte
	hash  string
	ctype string
}

// SessionCookie is the name of the staff session cookie.
const SessionCookie = "xx_staff"

// New returns the kit.
func New(o Options) (*Kit, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	key := o.CSRFKey
	if len(key) < 32 {
		key = make([]byte, 32)
		rand.Read(key)
	}
	csrf, err := auth.NewCSRF(key)
	if err != nil {
		return nil, err
	}
	k := &Kit{C: o.Console, log: o.Log, secure: o.Secure, csrf: csrf, proxy: o.TrustProxy, static: map[string]staticFile{}}
	err = fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := staticFS.ReadFile(p)
		sum := sha256.Sum256(b)
		ct := "text/css; charset=utf-8"
		if strings.HasSuffix(p, ".js") {
			ct = "text/javascript; charset=utf-8"
		}
		k.static[path.Base(p)] = staticFile{data: b, hash: hex.EncodeToString(sum[:5]), ctype: ct}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if k.pages, err = k.Pages(mustSub(layoutFS, "templates"), nil); err != nil {
		return nil, err
	}
	return k, nil
}

func mustSub(f fs.FS, dir string) fs.FS {
	s, err := fs.Sub(f, dir)
	if err != nil {
		panic(err)
	}
	return s
}

// asset returns the content-hash URL of a console static file.
func (k *Kit) asset(name string) (string, error) {
	f, ok := k.static[name]
	if !ok {
		return "", fmt.Errorf("console: unknown asset %q", name)
	}
	ext := path.Ext(name)
	return "/console/static/" + strings.TrimSuffix(name, ext) + "." + f.hash + ext, nil
}

func (k *Kit) serveStatic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	ext := path.Ext(name)
	base := strings.TrimSuffix(name, ext)
	hash := ""
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		base, hash = base[:i], base[i+1:]
	}
	f, ok := k.static[base+ext]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", f.ctype)
	if hash == f.hash {
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Write(f.data)
}

// ---- request context ----

type ctxKey int

const (
	ctxActor ctxKey = iota
	ctxCSRF
)

// ActorFrom returns the logged-in staff member (set by Guard).
func ActorFrom(ctx context.Context) *core.Actor {
	a, _ := ctx.Value(ctxActor).(*core.Actor)
	return a
}

func csrfFrom(ctx context.Context) string {
	s, _ := ctx.Value(ctxCSRF).(string)
	return s
}

// ClientIP is the request's client address (without port).
func (k *Kit) ClientIP(r *http.Request) string {
	if k.proxy {
		if f := r.Header.Get("X-Forwarded-For"); f != "" {
			ip, _, _ := strings.Cut(f, ",")
			return strings.TrimSpace(ip)
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Guard authenticates the staff session, requires one of roles, checks the
// CSRF token on unsafe methods, and puts the actor in the request context.
// A missing or expired session sends GET requests to the login page.
func (k *Kit) Guard(roles ...xiaoxiang.Role) func(http.HandlerFunc) http.HandlerFunc {
	return func(next http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			c, err := r.Cookie(SessionCookie)
			token := ""
			if err == nil {
				token = c.Value
			}
			a, hash, err := k.C.Authenticate(r.Context(), token, k.ClientIP(r))
			if err != nil {
				if xiaoxiang.ErrorCode(err) == xiaoxiang.EUNAUTHORIZED {
					if r.Method == http.MethodGet {
						http.Redirect(w, r, "/staff/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
						return
					}
				}
				k.Error(w, r, err)
				return
			}
			ctx := context.WithValue(r.Context(), ctxActor, a)
			ctx = context.WithValue(ctx, ctxCSRF, k.csrf.Token(hash))
			r = r.WithContext(ctx)
			if !slices.Contains(roles, a.Staff.Role) {
				k.Error(w, r, xiaoxiang.Errorf(xiaoxiang.EFORBIDDEN, "您的账号（%s）不能使用此功能。", a.Staff.Role.Label()))
				return
			}
			switch r.Method {
			case http.MethodGet, http.MethodHead:
			default:
				if !k.sameOrigin(r) {
					k.Error(w, r, errCSRF)
					return
				}
				got := r.Header.Get("X-CSRF-Token")
				if got == "" {
					got = r.FormValue("csrf")
				}
				if !k.csrf.Check(hash, got) {
					k.Error(w, r, errCSRF)
					return
				}
			}
			next(w, r)
		}
	}
}

var errCSRF = xiaoxiang.Errorf(xiaoxiang.EFORBIDDEN, "页面已过期或请求来源不正确，请刷新页面后重试。")

func (k *Kit) sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return true
	}
	u, err := url.Parse(o)
	return err == nil && u.Host == r.Host
}

// ---- pages ----

// Pages is a surface's parsed templates on the console layout.
type Pages struct {
	k     *Kit
	pages map[string]*template.Template
}

// View is what every console page receives.
type View struct {
	Title   string
	Section string // "school", "review", "ops": highlights the nav
	Actor   *core.Actor
	CSRF    string
	Flash   string
	Error   string
	Data    any
}

// Pages parses the console layout plus every *.html of fsys as one page each.
func (k *Kit) Pages(fsys fs.FS, funcs template.FuncMap) (*Pages, error) {
	fm := template.FuncMap{
		"asset":    k.asset,
		"datetime": xiaoxiang.FormatShanghai,
		"yuan":     web.Yuan,
		"join":     strings.Join,
		"add":      func(a, b int) int { return a + b },
		"pct": func(a, b int) string {
			if b == 0 {
				return "0%"
			}
			return strconv.Itoa(a*100/b) + "%"
		},
		"ago": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			d := k.C.Now().Sub(t)
			switch {
			case d < time.Hour:
				return strconv.Itoa(int(d.Minutes())) + "分钟"
			case d < 48*time.Hour:
				return strconv.Itoa(int(d.Hours())) + "小时"
			}
			return strconv.Itoa(int(d.Hours()/24)) + "天"
		},
		"roleLabel": func(r xiaoxiang.Role) string { return r.Label() },
		"verdict": func(v string) string {
			switch v {
			case "pass":
				return "合格"
			case "warn":
				return "需留意"
			case "fail":
				return "不合格"
			}
			return "—"
		},
		"actionLabel": func(a string) string {
			if l, ok := actionLabels[a]; ok {
				return l
			}
			return a
		},
		"bytes": func(n int64) string {
			switch {
			case n >= 1<<20:
				return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
			case n >= 1<<10:
				return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
			}
			return strconv.FormatInt(n, 10) + " B"
		},
	}
	for n, f := range funcs {
		fm[n] = f
	}
	base, err := template.New("console").Funcs(fm).ParseFS(layoutFS, "templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("console: parse layout: %w", err)
	}
	p := &Pages{k: k, pages: map[string]*template.Template{}}
	names, err := fs.Glob(fsys, "*.html")
	if err != nil {
		return nil, err
	}
	for _, n := range names {
		if n == "layout.html" {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return nil, err
		}
		if _, err := t.ParseFS(fsys, n); err != nil {
			return nil, fmt.Errorf("console: parse %s: %w", n, err)
		}
		p.pages[strings.TrimSuffix(n, ".html")] = t
	}
	return p, nil
}

// actionLabels are the Chinese names of submission events and audit actions.
var actionLabels = map[string]string{
	"submit": "提交", "replace": "更换照片", "resubmit": "重新提交", "queue": "进入审核队列", "claim": "领取审核",
	"approve": "通过", "reject": "驳回", "deliver": "交付", "verify": "自动核验", "ctid": "身份核验",
	"login": "登录", "login_failed": "登录失败", "logout": "退出", "review_approve": "审核通过", "review_reject": "审核驳回",
	"review_batch_approve": "批量通过", "export_request": "申请导出", "export_package": "生成导出包", "download_package": "下载导出包",
	"deliver_package": "标记交付", "export_progress": "导出进度名单", "reveal_document": "查看完整证件号", "roster_import": "导入名单",
	"task_create": "新建任务", "task_update": "修改任务", "task_status": "任务开关", "manual_approved": "通过人工录入",
	"manual_rejected": "驳回人工录入", "school_create": "新增学校", "school_update": "修改学校", "school_support": "修改客服信息",
	"staff_create": "新增账号", "staff_update": "修改账号", "spec_profile_save": "保存照片规格", "reject_reason_save": "保存驳回原因",
	"totp_enable": "开启两步验证", "password_change": "修改密码", "refund_request": "申请退款", "refund_approve": "同意退款",
	"refund_decline": "驳回退款", "refund_resubmit": "重新提交退款", "roster_photos_import": "导入学籍照片",
}

const flashCookie = "xx_flash"

// Render writes a page; it fills the actor, CSRF token and flash message.
func (p *Pages) Render(w http.ResponseWriter, r *http.Request, status int, name string, v View) {
	t, ok := p.pages[name]
	if !ok {
		t, ok = p.k.pages.pages[name]
	}
	if !ok {
		p.k.log.Error("console: unknown page", slog.String("page", name))
		http.Error(w, "系统繁忙，请稍后再试。", http.StatusInternalServerError)
		return
	}
	if v.Actor == nil {
		v.Actor = ActorFrom(r.Context())
	}
	v.CSRF = csrfFrom(r.Context())
	if c, err := r.Cookie(flashCookie); err == nil {
		if s, err := url.QueryUnescape(c.Value); err == nil {
			v.Flash = s
		}
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1})
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		p.k.log.Error("console: render", slog.String("page", name), slog.String("error", err.Error()))
		http.Error(w, "系统繁忙，请稍后再试。", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// Error renders the console error page for err: the status from web's code
// table, a safe Chinese message; 5xx causes go to the log.
func (k *Kit) Error(w http.ResponseWriter, r *http.Request, err error) {
	status := web.StatusOf(err)
	if status >= 500 {
		k.log.Error("console request failed", slog.String("route", r.Pattern), slog.String("error", err.Error()))
	}
	k.pages.Render(w, r, status, "error", View{Title: "出错了", Error: xiaoxiang.ErrorMessage(err)})
}

// Redirect sends the browser to target (303) with a one-time flash message.
func (k *Kit) Redirect(w http.ResponseWriter, r *http.Request, target, flash string) {
	if flash != "" {
		http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(flash), Path: "/", HttpOnly: true,
			Secure: k.secure, SameSite: http.SameSiteLaxMode, MaxAge: 60})
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// Home is the console start page of a role.
func Home(r xiaoxiang.Role) string {
	switch r {
	case xiaoxiang.RoleOperator:
		return "/ops"
	case xiaoxiang.RoleSchoolAdmin:
		return "/school"
	}
	return "/review"
}

// PathID parses a positive int64 path value.
func PathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "页面不存在。")
	}
	return id, nil
}

// FormInt parses an optional integer form or query value (0 when absent or bad).
func FormInt(r *http.Request, name string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(r.FormValue(name)), 10, 64)
	return n
}

// constantEq compares two strings in constant time.
func constantEq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
