package console

import (
	"crypto/rand"
	"encoding/base64"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/auth"
	"xiaoxiang/internal/core"
)

// Routes mounts the staff login pages, the console assets and the
// expiring package downloads.
func (k *Kit) Routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /console/static/{file}", k.serveStatic)
	mux.HandleFunc("GET /staff/login", k.showLogin)
	mux.HandleFunc("POST /staff/login", k.login)
	mux.HandleFunc("POST /staff/logout", k.Guard(allRoles...)(k.logout))
	mux.HandleFunc("GET /staff", k.Guard(allRoles...)(k.home))
	mux.HandleFunc("GET /staff/account", k.Guard(allRoles...)(k.showAccount))
	mux.HandleFunc("POST /staff/password", k.Guard(allRoles...)(k.changePassword))
	mux.HandleFunc("POST /staff/totp", k.Guard(allRoles...)(k.enableTOTP))
	mux.HandleFunc("GET /dl/{token}", k.download)
}

var allRoles = []xiaoxiang.Role{xiaoxiang.RoleOperator, xiaoxiang.RoleSchoolAdmin, xiaoxiang.RoleReviewer}

const loginCSRFCookie = "xx_staff_login"

type loginData struct {
	Username string
	Next     string
	NeedTOTP bool
	Token    string
}

func (k *Kit) showLogin(w http.ResponseWriter, r *http.Request) {
	k.renderLogin(w, r, http.StatusOK, loginData{Next: safeNext(r.FormValue("next"))}, "")
}

func (k *Kit) renderLogin(w http.ResponseWriter, r *http.Request, status int, d loginData, msg string) {
	b := make([]byte, 18)
	rand.Read(b)
	d.Token = base64.RawURLEncoding.EncodeToString(b)
	http.SetCookie(w, &http.Cookie{Name: loginCSRFCookie, Value: d.Token, Path: "/staff/login", HttpOnly: true,
		Secure: k.secure, SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	k.pages.Render(w, r, status, "login", View{Title: "工作人员登录", Data: d, Error: msg})
}

// safeNext keeps only local console paths as the post-login target.
func safeNext(s string) string {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.Contains(s, "\\") {
		return ""
	}
	for _, p := range []string{"/school", "/review", "/ops", "/staff"} {
		if s == p || strings.HasPrefix(s, p+"/") || strings.HasPrefix(s, p+"?") {
			return s
		}
	}
	return ""
}

func (k *Kit) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<16)
	d := loginData{Username: strings.TrimSpace(r.FormValue("username")), Next: safeNext(r.FormValue("next"))}
	c, err := r.Cookie(loginCSRFCookie)
	if err != nil || !k.sameOrigin(r) || !constantEq(c.Value, r.FormValue("token")) {
		k.renderLogin(w, r, http.StatusForbidden, d, "登录页面已过期，请重新输入。")
		return
	}
	s, err := k.C.StaffLogin(r.Context(), core.StaffLoginInput{Username: d.Username, Password: r.FormValue("password"),
		TOTP: r.FormValue("totp"), IP: k.ClientIP(r), UA: r.UserAgent()})
	if err != nil {
		d.NeedTOTP = err == core.ErrNeedTOTP || r.FormValue("totp") != ""
		k.renderLogin(w, r, statusOf(err), d, xiaoxiang.ErrorMessage(err))
		return
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: s.Token, Path: "/", HttpOnly: true, Secure: k.secure,
		SameSite: http.SameSiteStrictMode})
	target := d.Next
	if target == "" {
		target = Home(s.Actor.Staff.Role)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func statusOf(err error) int {
	switch xiaoxiang.ErrorCode(err) {
	case xiaoxiang.ETOOMANY:
		return http.StatusTooManyRequests
	case xiaoxiang.EINVALID:
		return http.StatusBadRequest
	case xiaoxiang.EFORBIDDEN:
		return http.StatusForbidden
	case xiaoxiang.EUNAUTHORIZED:
		return http.StatusUnauthorized
	}
	return http.StatusInternalServerError
}

func (k *Kit) logout(w http.ResponseWriter, r *http.Request) {
	c, _ := r.Cookie(SessionCookie)
	if c != nil {
		if err := k.C.StaffLogout(r.Context(), ActorFrom(r.Context()), c.Value); err != nil {
			k.Error(w, r, err)
			return
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: k.secure})
	k.Redirect(w, r, "/staff/login", "您已退出登录。")
}

func (k *Kit) home(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, Home(ActorFrom(r.Context()).Staff.Role), http.StatusSeeOther)
}

type accountData struct {
	TOTPOn bool
	Setup  core.TOTPSetup
}

func (k *Kit) showAccount(w http.ResponseWriter, r *http.Request) {
	k.renderAccount(w, r, http.StatusOK, "")
}

func (k *Kit) renderAccount(w http.ResponseWriter, r *http.Request, status int, msg string) {
	a := ActorFrom(r.Context())
	k.pages.Render(w, r, status, "account", View{Title: "我的账号", Error: msg,
		Data: accountData{TOTPOn: a.Staff.TOTPSecret != "", Setup: k.C.NewTOTPSetup(a)}})
}

func (k *Kit) changePassword(w http.ResponseWriter, r *http.Request) {
	a := ActorFrom(r.Context())
	if r.FormValue("new") != r.FormValue("again") {
		k.renderAccount(w, r, http.StatusBadRequest, "两次输入的新密码不一致。")
		return
	}
	if err := k.C.ChangePassword(r.Context(), a, r.FormValue("old"), r.FormValue("new")); err != nil {
		k.renderAccount(w, r, statusOf(err), xiaoxiang.ErrorMessage(err))
		return
	}
	k.Redirect(w, r, "/staff/account", "密码已修改。")
}

func (k *Kit) enableTOTP(w http.ResponseWriter, r *http.Request) {
	a := ActorFrom(r.Context())
	secret := strings.TrimSpace(r.FormValue("secret"))
	if _, err := auth.TOTPCode(secret, time.Now()); err != nil {
		k.renderAccount(w, r, http.StatusBadRequest, "密钥无效，请刷新页面重新绑定。")
		return
	}
	if err := k.C.EnableTOTP(r.Context(), a, secret, r.FormValue("code")); err != nil {
		k.renderAccount(w, r, statusOf(err), xiaoxiang.ErrorMessage(err))
		return
	}
	k.Redirect(w, r, "/staff/account", "已开启动态验证码登录。")
}

// download streams one file of a delivery package behind an expiring link.
func (k *Kit) download(w http.ResponseWriter, r *http.Request) {
	d, err := k.C.OpenDownload(r.Context(), r.PathValue("token"), k.ClientIP(r))
	if err != nil {
		k.Error(w, r, err)
		return
	}
	defer d.Body.Close()
	ct := "application/zip"
	switch {
	case strings.HasSuffix(d.Name, ".csv"):
		ct = "text/csv; charset=utf-8"
	case strings.HasSuffix(d.Name, ".xlsx"):
		ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": d.Name}))
	h.Set("Content-Length", strconv.FormatInt(d.Size, 10))
	h.Set("Cache-Control", "no-store")
	io.Copy(w, d.Body)
}
