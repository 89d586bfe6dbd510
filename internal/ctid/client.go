package ctid

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"crypto/rand"
)

// Config configures the CTID channel client.
type Config struct {
	BaseURL   string // the channel's API root, e.g. https://ctid.example.cn/api
	AppID     string
	AppSecret string // secret
	// MinScore is the face similarity (0–100) below which a 0x42 answer the
	// channel calls a pass is still treated as face_mismatch. 0: trust the channel.
	MinScore   int
	HTTPClient *http.Client `json:"-"` // nil: 10 s timeout
}

// String masks the secret.
func (c Config) String() string {
	s := ""
	if c.AppSecret != "" {
		s = "***"
	}
	return fmt.Sprintf("ctid.Config{BaseURL:%q AppID:%q AppSecret:%s MinScore:%d}", c.BaseURL, c.AppID, s, c.MinScore)
}

// GoString masks the secret.
func (c Config) GoString() string { return c.String() }

// LogValue masks the secret.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("base_url", c.BaseURL), slog.String("appid", c.AppID), slog.Int("min_score", c.MinScore))
}

// Validate checks the config.
func (c Config) Validate() error {
	var errs []error
	if u, err := url.Parse(c.BaseURL); err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		errs = append(errs, fmt.Errorf("BaseURL %q is not an absolute http(s) URL", c.BaseURL))
	}
	if c.AppID == "" || c.AppSecret == "" {
		errs = append(errs, errors.New("AppID and AppSecret are required"))
	}
	if c.MinScore < 0 || c.MinScore > 100 {
		errs = append(errs, errors.New("MinScore must be 0..100"))
	}
	if len(errs) > 0 {
		return fmt.Errorf("ctid: config: %w", errors.Join(errs...))
	}
	return nil
}

// Client talks to a CTID channel. Safe for concurrent use; one per process
// (it caches the access token).
type Client struct {
	cfg Config
	hc  *http.Client
	now func() time.Time

	mu      sync.Mutex
	token   string
	expires time.Time
}

var _ Verifier = (*Client)(nil)

// New returns a client.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	return &Client{cfg: cfg, hc: hc, now: time.Now}, nil
}

type envelope struct {
	Code    string          `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

// channelError is a non-"0" envelope code.
type channelError struct {
	op, code, msg string
}

func (e *channelError) Error() string {
	return fmt.Sprintf("ctid: %s: code %s: %s", e.op, e.code, e.msg)
}

func (c *Client) post(ctx context.Context, op, path, token string, body, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("ctid: %s: encode: %w", op, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.cfg.BaseURL, "/")+path, bytes.NewReader(b))
	if err != nil {
		return fmt.Errorf("ctid: %s: %w", op, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("appId", c.cfg.AppID)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("ctid: %s: %w: %v", op, ErrUnavailable, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("ctid: %s: %w: read: %v", op, ErrUnavailable, err)
	}
	if resp.StatusCode >= 500 {
		return fmt.Errorf("ctid: %s: %w: HTTP %d", op, ErrUnavailable, resp.StatusCode)
	}
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("ctid: %s: %w: bad answer (HTTP %d)", op, ErrUnavailable, resp.StatusCode)
	}
	if env.Code != CodeOK {
		return &channelError{op: op, code: env.Code, msg: env.Message}
	}
	if err := json.Unmarshal(env.Data, out); err != nil {
		return fmt.Errorf("ctid: %s: decode data: %w", op, err)
	}
	return nil
}

func (c *Client) accessToken(ctx context.Context, stale string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && c.token != stale && c.now().Add(time.Minute).Before(c.expires) {
		return c.token, nil
	}
	nb := make([]byte, 16)
	_, _ = rand.Read(nb)
	nonce := hex.EncodeToString(nb)
	ts := strconv.FormatInt(c.now().Unix(), 10)
	var out struct {
		AccessToken string `json:"accessToken"`
		ExpiresIn   int    `json:"expiresIn"`
	}
	body := map[string]string{"appId": c.cfg.AppID, "timestamp": ts, "nonce": nonce, "sign": TokenSign(c.cfg.AppSecret, c.cfg.AppID, ts, nonce)}
	if err := c.post(ctx, "token", "/auth/token", "", body, &out); err != nil {
		var ce *channelError
		if errors.As(err, &ce) {
			return "", fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		return "", err
	}
	if out.AccessToken == "" || out.ExpiresIn <= 0 {
		return "", fmt.Errorf("ctid: token: %w: empty token", ErrUnavailable)
	}
	c.token, c.expires = out.AccessToken, c.now().Add(time.Duration(out.ExpiresIn)*time.Second)
	return c.token, nil
}

// Verify runs apply + request for one person. Non-valid outcomes are
// results, not errors; errors wrap ErrUnavailable or ErrInvalidRequest.
func (c *Client) Verify(ctx context.Context, mode Mode, r Request) (Result, error) {
	if err := r.check(mode); err != nil {
		return Result{}, fmt.Errorf("ctid: verify %s: %w", mode, err)
	}
	res, err := c.verifyOnce(ctx, mode, r, "")
	var ce *channelError
	if errors.As(err, &ce) && ce.code == CodeTokenInvalid {
		res, err = c.verifyOnce(ctx, mode, r, c.currentToken())
	}
	if errors.As(err, &ce) {
		switch ce.code {
		case CodeBadRequest:
			return Result{}, fmt.Errorf("ctid: verify %s: %w: %s", mode, ErrInvalidRequest, ce.msg)
		default:
			return Result{}, fmt.Errorf("ctid: verify %s: %w: %v", mode, ErrUnavailable, err)
		}
	}
	if err != nil {
		return Result{}, fmt.Errorf("ctid: verify %s: %w", mode, err)
	}
	return res, nil
}

func (c *Client) currentToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.token
}

func (c *Client) verifyOnce(ctx context.Context, mode Mode, r Request, stale string) (Result, error) {
	tok, err := c.accessToken(ctx, stale)
	if err != nil {
		return Result{}, err
	}
	modePath := fmt.Sprintf("/%s", mode)
	var apply struct {
		BizSerialNum string `json:"bizSerialNum"`
		RandNum      string `json:"randNum"`
	}
	if err := c.post(ctx, "apply", "/idauth/validateIdentity/apply"+modePath, tok, map[string]string{}, &apply); err != nil {
		return Result{}, err
	}
	if apply.BizSerialNum == "" || apply.RandNum == "" {
		return Result{}, fmt.Errorf("%w: apply answered without serial", ErrUnavailable)
	}
	plain := SealedRequest{Name: r.Name, Number: r.IDNumber, ValidDateStart: r.ValidFrom, ValidDateEnd: r.ValidTo}
	if mode == ModeNameIDPortrait {
		plain.PhotoData = base64.StdEncoding.EncodeToString(r.Portrait)
	}
	pt, _ := json.Marshal(plain)
	key := PayloadKey(c.cfg.AppSecret, apply.RandNum)
	nonce, data, err := Seal(key, apply.BizSerialNum, pt)
	if err != nil {
		return Result{}, err
	}
	var answer struct {
		Nonce string `json:"nonce"`
		Data  string `json:"data"`
	}
	body := map[string]string{"bizSerialNum": apply.BizSerialNum, "nonce": nonce, "data": data}
	if err := c.post(ctx, "request", "/idauth/validateIdentity/request"+modePath, tok, body, &answer); err != nil {
		return Result{}, err
	}
	rp, err := Open(key, apply.BizSerialNum, answer.Nonce, answer.Data)
	if err != nil {
		return Result{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	var sr SealedResult
	if err := json.Unmarshal(rp, &sr); err != nil {
		return Result{}, fmt.Errorf("%w: bad sealed result", ErrUnavailable)
	}
	res := Result{Serial: apply.BizSerialNum, At: c.now().UTC()}
	if mode == ModeNameIDPortrait {
		res.Score = sr.Similarity
	}
	switch sr.ResultCode {
	case ResultPass:
		res.Outcome = OutcomeValid
		if mode == ModeNameIDPortrait && c.cfg.MinScore > 0 && sr.Similarity < c.cfg.MinScore {
			res.Outcome = OutcomeFaceMismatch
		}
	case ResultMismatch:
		res.Outcome = OutcomeMismatch
	case ResultNoRecord:
		res.Outcome = OutcomeNoRecord
	case ResultNoPhoto:
		res.Outcome = OutcomeNoPhoto
	case ResultFaceMismatch:
		res.Outcome = OutcomeFaceMismatch
	default:
		return Result{}, fmt.Errorf("%w: unknown result code %q", ErrUnavailable, sr.ResultCode)
	}
	return res, nil
}
