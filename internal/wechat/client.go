package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// Error codes the callers act on.
const (
	CodeBusy              = -1    // system busy: retry
	CodeInvalidCredential = 40001 // access_token invalid: refresh
	CodeInvalidCode       = 40029 // bad or expired code
	CodeCodeUsed          = 40163 // code already used
	CodeTokenExpired      = 42001 // access_token expired: refresh
	CodeNoSubscription    = 43101 // user has no subscription credit for the template
	CodeRateLimited       = 45011 // per-user minute quota
	CodeHighRiskUser      = 40226 // login blocked for a high-risk user
	CodeFieldInvalid      = 47003 // a data field breaks its rule
)

// Error is an errcode answer from the WeChat API.
type Error struct {
	Op   string // "jscode2session", "oauth2/access_token", "stable_token", "subscribe/send"
	Code int
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("wechat: %s: errcode %d: %s", e.Op, e.Code, e.Msg) }

// ErrCode returns the WeChat errcode carried by err, or 0.
func ErrCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return 0
}

// UserMessage is a safe Chinese message for the end user.
func UserMessage(err error) string {
	switch ErrCode(err) {
	case CodeInvalidCode, CodeCodeUsed:
		return "登录凭证已失效，请重新进入小程序后再试"
	case CodeRateLimited, CodeBusy:
		return "微信服务繁忙，请稍后再试"
	case CodeHighRiskUser:
		return "该微信账号存在风险，暂时无法登录，请更换账号或联系微信客服"
	case CodeNoSubscription:
		return "您未订阅该消息提醒，请在应用内查看通知"
	}
	if errors.Is(err, ErrSnapshotUser) {
		return "当前为朋友圈快照页，请点击底部“使用完整服务”后继续"
	}
	if errors.Is(err, ErrStateMismatch) {
		return "登录请求已过期或来源不明，请重新进入"
	}
	return "微信服务暂时不可用，请稍后再试"
}

// Client calls the WeChat APIs. It is safe for concurrent use; make one per
// process (it owns the access-token cache).
type Client struct {
	cfg   Config
	hc    *http.Client
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	mu     sync.Mutex
	tokens map[string]*tokenEntry // appid → cache entry
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	return &Client{cfg: cfg, hc: hc, now: time.Now, sleep: sleepCtx, tokens: map[string]*tokenEntry{}}, nil
}

// Config returns the client's configuration.
func (c *Client) Config() Config { return c.cfg }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryDelays are the waits before the retries of a -1 (busy) answer.
var retryDelays = []time.Duration{100 * time.Millisecond, 400 * time.Millisecond}

// call performs one API call with retries on -1. out must embed errcode/errmsg
// via the base struct; body nil means GET.
func (c *Client) call(ctx context.Context, op, path string, query url.Values, body any, out any) error {
	var lastErr error
	for attempt := 0; ; attempt++ {
		lastErr = c.callOnce(ctx, op, path, query, body, out)
		if ErrCode(lastErr) != CodeBusy || attempt >= len(retryDelays) {
			return lastErr
		}
		if err := c.sleep(ctx, retryDelays[attempt]); err != nil {
			return fmt.Errorf("wechat: %s: %w", op, err)
		}
	}
}

type apiStatus struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func (c *Client) callOnce(ctx context.Context, op, path string, query url.Values, body any, out any) error {
	u := c.cfg.apiBase() + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	method := http.MethodGet
	var rd io.Reader
	if body != nil {
		method = http.MethodPost
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("wechat: %s: encode: %w", op, err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return fmt.Errorf("wechat: %s: %w", op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		// The URL carries secrets (appid&secret, access_token): never let it into the error.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("wechat: %s: request: %w", op, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("wechat: %s: read: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("wechat: %s: HTTP %d", op, resp.StatusCode)
	}
	var st apiStatus
	if err := json.Unmarshal(raw, &st); err != nil {
		return fmt.Errorf("wechat: %s: decode: %w", op, err)
	}
	// A missing errcode means success.
	if st.ErrCode != 0 {
		return &Error{Op: op, Code: st.ErrCode, Msg: st.ErrMsg}
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("wechat: %s: decode: %w", op, err)
		}
	}
	return nil
}

// Session is the result of a mini-program login. SessionKey must stay on the
// server (never send it to the client); issue our own session instead.
type Session struct {
	OpenID     string
	UnionID    string // empty unless the app is bound to an Open Platform account
	SessionKey string
}

// String hides the session key.
func (s Session) String() string {
	return fmt.Sprintf("wechat.Session{OpenID:%s UnionID:%s}", s.OpenID, s.UnionID)
}

// Code2Session exchanges a wx.login code (single use, 5 minutes). A busy
// answer (-1) is retried; 40029, 40163, 45011 and 40226 come back as *Error.
func (c *Client) Code2Session(ctx context.Context, code string) (Session, error) {
	if c.cfg.MiniAppID == "" {
		return Session{}, errors.New("wechat: jscode2session: no mini-program configured")
	}
	if code == "" || len(code) > 128 {
		return Session{}, &Error{Op: "jscode2session", Code: CodeInvalidCode, Msg: "empty or oversized code (checked locally)"}
	}
	var out struct {
		OpenID     string `json:"openid"`
		SessionKey string `json:"session_key"`
		UnionID    string `json:"unionid"`
	}
	q := url.Values{"appid": {c.cfg.MiniAppID}, "secret": {c.cfg.MiniSecret}, "js_code": {code}, "grant_type": {"authorization_code"}}
	if err := c.call(ctx, "jscode2session", "/sns/jscode2session", q, nil, &out); err != nil {
		return Session{}, err
	}
	if out.OpenID == "" || out.SessionKey == "" {
		return Session{}, errors.New("wechat: jscode2session: answer without openid/session_key")
	}
	return Session{OpenID: out.OpenID, UnionID: out.UnionID, SessionKey: out.SessionKey}, nil
}
