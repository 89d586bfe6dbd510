// Package wechat is xiaoxiang's client for the WeChat platform APIs:
// mini-program login (jscode2session), 公众号 H5 OAuth2 with a CSRF state,
// the access-token cache (stable_token) and subscription messages with
// per-template credits and field rules. It talks plain HTTPS JSON to
// api.weixin.qq.com or, by configuration only, to the simulator in
// internal/wechat/wechatfake.
package wechat

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

// Config holds the app credentials and endpoints.
type Config struct {
	MiniAppID  string // mini-program appid
	MiniSecret string // secret: mini-program AppSecret
	MPAppID    string // 公众号 (service account) appid, for H5 OAuth
	MPSecret   string // secret: 公众号 AppSecret
	// APIBaseURL replaces https://api.weixin.qq.com; OAuthBaseURL replaces
	// https://open.weixin.qq.com (the consent page). Empty: production.
	APIBaseURL   string
	OAuthBaseURL string
	// MiniprogramState for subscription messages: "formal" (default),
	// "trial" or "developer".
	MiniprogramState string
	HTTPClient       *http.Client `json:"-"` // nil: 10 s timeout
}

const (
	defaultAPIBase   = "https://api.weixin.qq.com"
	defaultOAuthBase = "https://open.weixin.qq.com"
)

func mask(s string) string {
	if s == "" {
		return ""
	}
	return "***"
}

// String prints the config with secrets masked.
func (c Config) String() string {
	return fmt.Sprintf("wechat.Config{MiniAppID:%q MiniSecret:%s MPAppID:%q MPSecret:%s APIBaseURL:%q OAuthBaseURL:%q MiniprogramState:%q}",
		c.MiniAppID, mask(c.MiniSecret), c.MPAppID, mask(c.MPSecret), c.APIBaseURL, c.OAuthBaseURL, c.MiniprogramState)
}

// GoString keeps %#v from printing secrets.
func (c Config) GoString() string { return c.String() }

// LogValue implements slog.LogValuer with secrets masked.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("mini_appid", c.MiniAppID), slog.String("mini_secret", mask(c.MiniSecret)),
		slog.String("mp_appid", c.MPAppID), slog.String("mp_secret", mask(c.MPSecret)),
		slog.String("api_base", c.APIBaseURL), slog.String("oauth_base", c.OAuthBaseURL),
	)
}

// Validate checks the config: at least one app, each with its secret.
func (c Config) Validate() error {
	var errs []error
	if c.MiniAppID == "" && c.MPAppID == "" {
		errs = append(errs, errors.New("neither MiniAppID nor MPAppID is set"))
	}
	if c.MiniAppID != "" && c.MiniSecret == "" {
		errs = append(errs, errors.New("MiniSecret is empty"))
	}
	if c.MPAppID != "" && c.MPSecret == "" {
		errs = append(errs, errors.New("MPSecret is empty"))
	}
	for _, b := range []struct{ name, v string }{{"APIBaseURL", c.APIBaseURL}, {"OAuthBaseURL", c.OAuthBaseURL}} {
		if b.v == "" {
			continue
		}
		if u, err := url.Parse(b.v); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			errs = append(errs, fmt.Errorf("%s %q is not an absolute http(s) URL", b.name, b.v))
		}
	}
	switch c.MiniprogramState {
	case "", "formal", "trial", "developer":
	default:
		errs = append(errs, fmt.Errorf("MiniprogramState %q is not formal, trial or developer", c.MiniprogramState))
	}
	if len(errs) > 0 {
		return fmt.Errorf("wechat: config: %w", errors.Join(errs...))
	}
	return nil
}

func (c Config) apiBase() string {
	if c.APIBaseURL == "" {
		return defaultAPIBase
	}
	return strings.TrimRight(c.APIBaseURL, "/")
}

func (c Config) oauthBase() string {
	if c.OAuthBaseURL == "" {
		return defaultOAuthBase
	}
	return strings.TrimRight(c.OAuthBaseURL, "/")
}
