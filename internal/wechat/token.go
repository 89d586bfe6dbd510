package wechat

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// refreshMargin: a cached token is replaced this long before it expires
// (WeChat itself rotates 5 minutes early, old and new overlapping).
const refreshMargin = 5 * time.Minute

type tokenEntry struct {
	mu      sync.Mutex // serialises fetches for one appid (single flight)
	value   string
	expires time.Time
}

// AccessToken returns a valid access_token for appid (the mini-program or
// 公众号 of this client), fetching it with stable_token when the cached one
// is missing or within 5 minutes of expiry. Concurrent callers share one
// fetch.
func (c *Client) AccessToken(ctx context.Context, appid string) (string, error) {
	return c.accessToken(ctx, appid, "")
}

// accessToken fetches with force_refresh when the cached value equals stale
// (the API just rejected it).
func (c *Client) accessToken(ctx context.Context, appid, stale string) (string, error) {
	secret := ""
	switch appid {
	case c.cfg.MiniAppID:
		secret = c.cfg.MiniSecret
	case c.cfg.MPAppID:
		secret = c.cfg.MPSecret
	}
	if appid == "" || secret == "" {
		return "", fmt.Errorf("wechat: stable_token: appid %q is not configured", appid)
	}
	c.mu.Lock()
	e := c.tokens[appid]
	if e == nil {
		e = &tokenEntry{}
		c.tokens[appid] = e
	}
	now := c.now
	c.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	t := now()
	force := stale != "" && e.value == stale
	if e.value != "" && !force && t.Add(refreshMargin).Before(e.expires) {
		return e.value, nil
	}
	var out struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	body := map[string]any{"grant_type": "client_credential", "appid": appid, "secret": secret, "force_refresh": force}
	if err := c.call(ctx, "stable_token", "/cgi-bin/stable_token", nil, body, &out); err != nil {
		return "", err
	}
	if out.AccessToken == "" || out.ExpiresIn <= 0 {
		return "", fmt.Errorf("wechat: stable_token: answer without token")
	}
	e.value = out.AccessToken
	e.expires = t.Add(time.Duration(out.ExpiresIn) * time.Second)
	return e.value, nil
}

func (c *Client) clock() time.Time {
	c.mu.Lock()
	now := c.now
	c.mu.Unlock()
	return now()
}

// SetClock replaces the clock used for token expiry (tests).
func (c *Client) SetClock(now func() time.Time) {
	c.mu.Lock()
	c.now = now
	c.mu.Unlock()
}
