package wechat

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// OAuth scopes.
const (
	ScopeBase     = "snsapi_base"     // silent, openid only
	ScopeUserInfo = "snsapi_userinfo" // consent page, adds unionid
)

var (
	// ErrSnapshotUser: the user opened the page in 朋友圈快照 mode
	// (is_snapshotuser=1); the openid is virtual and must not be bound.
	ErrSnapshotUser = errors.New("wechat: oauth: snapshot-mode virtual user")
	// ErrStateMismatch: the state parameter does not match the cookie (CSRF,
	// or the flow expired).
	ErrStateMismatch = errors.New("wechat: oauth: state mismatch")
	// ErrConsentDenied: the user refused on the consent page (no code).
	ErrConsentDenied = errors.New("wechat: oauth: user denied consent")
)

// StateCookie is the cookie that holds the OAuth CSRF state.
const StateCookie = "xx_wx_oauth_state"

// OAuthUser is the result of an H5 OAuth login. The openid belongs to the
// 公众号 (it differs from the mini-program openid); join accounts by UnionID.
type OAuthUser struct {
	OpenID  string
	UnionID string // only with snsapi_userinfo and an Open Platform binding
	Scope   string
	// Nickname is the user's WeChat nickname (snsapi_userinfo only; WeChat may answer
	// a generic 微信用户 for users who did not share their profile).
	Nickname string
}

// NewState returns a fresh CSRF state: 32 hex characters (WeChat allows
// a-zA-Z0-9, ≤128 bytes).
func NewState() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// AuthorizeURL returns the consent URL for redirectURI (must be on the
// 网页授权域名) with the given scope and state.
func (c *Client) AuthorizeURL(redirectURI, scope, state string) (string, error) {
	if c.cfg.MPAppID == "" {
		return "", errors.New("wechat: oauth: no 公众号 configured")
	}
	if scope != ScopeBase && scope != ScopeUserInfo {
		return "", fmt.Errorf("wechat: oauth: unknown scope %q", scope)
	}
	if u, err := url.Parse(redirectURI); err != nil || u.Host == "" {
		return "", fmt.Errorf("wechat: oauth: redirect URI %q is not absolute", redirectURI)
	}
	// WeChat is strict about the parameter order; build it by hand.
	return c.cfg.oauthBase() + "/connect/oauth2/authorize?appid=" + url.QueryEscape(c.cfg.MPAppID) +
		"&redirect_uri=" + url.QueryEscape(redirectURI) + "&response_type=code&scope=" + scope +
		"&state=" + url.QueryEscape(state) + "#wechat_redirect", nil
}

// StartOAuth sets a fresh state cookie and redirects the browser to the
// consent URL. redirectURI is our callback (absolute).
func (c *Client) StartOAuth(w http.ResponseWriter, r *http.Request, redirectURI, scope string) error {
	state := NewState()
	u, err := c.AuthorizeURL(redirectURI, scope, state)
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: StateCookie, Value: state, Path: "/", MaxAge: 600, HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, u, http.StatusFound)
	return nil
}

// FinishOAuth handles our callback: it checks the state against the cookie
// (and clears it), then exchanges the code. Snapshot users give
// ErrSnapshotUser.
func (c *Client) FinishOAuth(w http.ResponseWriter, r *http.Request) (OAuthUser, error) {
	q := r.URL.Query()
	ck, err := r.Cookie(StateCookie)
	http.SetCookie(w, &http.Cookie{Name: StateCookie, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(1, 0), HttpOnly: true})
	if err != nil || ck.Value == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(q.Get("state"))) != 1 {
		return OAuthUser{}, ErrStateMismatch
	}
	code := q.Get("code")
	if code == "" {
		return OAuthUser{}, ErrConsentDenied
	}
	return c.ExchangeOAuthCode(r.Context(), code)
}

// ExchangeOAuthCode exchanges an OAuth code for the user's openid (and
// unionid); with snsapi_userinfo it also reads the nickname (sns/userinfo). The
// user-level access token is used once and not kept: we need only identity.
func (c *Client) ExchangeOAuthCode(ctx context.Context, code string) (OAuthUser, error) {
	if c.cfg.MPAppID == "" {
		return OAuthUser{}, errors.New("wechat: oauth2/access_token: no 公众号 configured")
	}
	if code == "" || len(code) > 128 {
		return OAuthUser{}, &Error{Op: "oauth2/access_token", Code: CodeInvalidCode, Msg: "empty or oversized code (checked locally)"}
	}
	var out struct {
		AccessToken    string `json:"access_token"`
		OpenID         string `json:"openid"`
		UnionID        string `json:"unionid"`
		Scope          string `json:"scope"`
		IsSnapshotUser int    `json:"is_snapshotuser"`
	}
	q := url.Values{"appid": {c.cfg.MPAppID}, "secret": {c.cfg.MPSecret}, "code": {code}, "grant_type": {"authorization_code"}}
	if err := c.call(ctx, "oauth2/access_token", "/sns/oauth2/access_token", q, nil, &out); err != nil {
		return OAuthUser{}, err
	}
	if out.IsSnapshotUser == 1 {
		return OAuthUser{}, ErrSnapshotUser
	}
	if out.OpenID == "" {
		return OAuthUser{}, errors.New("wechat: oauth2/access_token: answer without openid")
	}
	u := OAuthUser{OpenID: out.OpenID, UnionID: out.UnionID, Scope: out.Scope}
	if strings.Contains(out.Scope, ScopeUserInfo) && out.AccessToken != "" {
		info, err := c.userInfo(ctx, out.AccessToken, out.OpenID)
		if err != nil {
			return OAuthUser{}, err
		}
		u.Nickname = info.Nickname
		if u.UnionID == "" {
			u.UnionID = info.UnionID
		}
	}
	return u, nil
}

type userInfo struct {
	OpenID   string `json:"openid"`
	Nickname string `json:"nickname"`
	UnionID  string `json:"unionid"`
}

// userInfo calls sns/userinfo with a snsapi_userinfo user access token.
func (c *Client) userInfo(ctx context.Context, accessToken, openID string) (userInfo, error) {
	var out userInfo
	q := url.Values{"access_token": {accessToken}, "openid": {openID}, "lang": {"zh_CN"}}
	if err := c.call(ctx, "userinfo", "/sns/userinfo", q, nil, &out); err != nil {
		return userInfo{}, err
	}
	if out.OpenID != openID {
		return userInfo{}, errors.New("wechat: userinfo: answer for another openid")
	}
	return out, nil
}
