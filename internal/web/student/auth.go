package student

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"xiaoxiang"
	"xiaoxiang/internal/web"
)

type loginData struct {
	LoginURL string
	Expired  bool
}

const oauthCookie = "xx_oauth"

// showLogin is step 2: 微信授权登录.
func (h *Handler) showLogin(w http.ResponseWriter, r *http.Request) {
	q := url.Values{}
	if n := r.URL.Query().Get("next"); n != "" {
		q.Set("next", localPath(n))
	}
	h.o.Render.Render(w, r, http.StatusOK, "login", web.View{
		Title: "登录",
		Data:  loginData{LoginURL: "/login/wechat?" + q.Encode(), Expired: r.URL.Query().Get("expired") == "1"},
	})
}

// startLogin sends the browser to WeChat's OAuth consent page. The state (CSRF for
// the OAuth round trip) and where to go afterwards live in a short-lived cookie.
func (h *Handler) startLogin(w http.ResponseWriter, r *http.Request) {
	state := web.NewToken()
	next := localPath(r.URL.Query().Get("next"))
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: state + "|" + url.QueryEscape(next), Path: "/login",
		HttpOnly: true, Secure: h.o.Secure, SameSite: http.SameSiteLaxMode, MaxAge: 600})
	redirect := strings.TrimRight(h.o.BaseURL, "/") + "/login/callback"
	http.Redirect(w, r, h.o.Login.AuthorizeURL(redirect, state), http.StatusFound)
}

// finishLogin is WeChat's redirect back: check the state, exchange the code, log in.
func (h *Handler) finishLogin(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(oauthCookie)
	state, next, _ := strings.Cut(valueOr(c, err), "|")
	q := r.URL.Query()
	http.SetCookie(w, &http.Cookie{Name: oauthCookie, Value: "", Path: "/login", MaxAge: -1, HttpOnly: true, Secure: h.o.Secure})
	if state == "" || subtle.ConstantTimeCompare([]byte(state), []byte(q.Get("state"))) != 1 {
		h.o.Render.Error(w, r, xiaoxiang.Errorf(xiaoxiang.EUNAUTHORIZED, "登录已失效，请重新点击“微信授权登录”。"),
			web.Link{Label: "重新登录", Href: "/login"})
		return
	}
	code := q.Get("code")
	if code == "" {
		h.o.Render.Error(w, r, xiaoxiang.Errorf(xiaoxiang.EUNAUTHORIZED, "您未同意微信授权，无法登录。登录只获取微信昵称和身份标识。"),
			web.Link{Label: "重新登录", Href: "/login"})
		return
	}
	in, err := h.o.Login.Exchange(r.Context(), code)
	if err != nil {
		h.o.Render.Error(w, r, err, web.Link{Label: "重新登录", Href: "/login"})
		return
	}
	a, err := h.o.Core.Login(r.Context(), in)
	if err != nil {
		h.o.Render.Error(w, r, err, web.Link{Label: "重新登录", Href: "/login"})
		return
	}
	h.setSession(w, a.ID)
	n, _ := url.QueryUnescape(next)
	http.Redirect(w, r, localPath(n), http.StatusSeeOther)
}

func valueOr(c *http.Cookie, err error) string {
	if err != nil {
		return ""
	}
	return c.Value
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	h.clearSession(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
