package web

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Session is what a signed student session carries: the account and its lifetime.
// It holds no personal data.
type Session struct {
	AccountID int64  `json:"a"`
	IssuedAt  int64  `json:"i"` // unix seconds
	ExpiresAt int64  `json:"e"` // unix seconds
	Nonce     string `json:"n"`
}

// SessionCodec signs and verifies sessions with HMAC-SHA256. The same codec makes the
// page cookies and the API bearer tokens; purpose separates the two so a cookie value
// is not a valid bearer token and vice versa.
type SessionCodec struct {
	key     []byte
	purpose string
}

// NewSessionCodec returns a codec for key (at least 32 bytes) and purpose ("cookie", "api").
func NewSessionCodec(key []byte, purpose string) (*SessionCodec, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("web: session key is %d bytes, want at least 32", len(key))
	}
	return &SessionCodec{key: key, purpose: purpose}, nil
}

// ErrBadSession is returned for a token that is malformed or not signed by us.
var ErrBadSession = errors.New("web: bad session token")

func (c *SessionCodec) mac(payload string) string {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(c.purpose))
	m.Write([]byte{0})
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Encode returns the signed token for s.
func (c *SessionCodec) Encode(s Session) string {
	if s.Nonce == "" {
		s.Nonce = randomToken(9)
	}
	b, _ := json.Marshal(s) // cannot fail for this struct
	p := base64.RawURLEncoding.EncodeToString(b)
	return p + "." + c.mac(p)
}

// Decode verifies token and returns its session; ErrSessionExpired when it is past
// its expiry at now, ErrBadSession when it is not ours.
func (c *SessionCodec) Decode(token string, now time.Time) (Session, error) {
	var s Session
	p, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > 512 {
		return s, ErrBadSession
	}
	if subtle.ConstantTimeCompare([]byte(sig), []byte(c.mac(p))) != 1 {
		return s, ErrBadSession
	}
	b, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil || json.Unmarshal(b, &s) != nil || s.AccountID <= 0 {
		return Session{}, ErrBadSession
	}
	if now.Unix() >= s.ExpiresAt {
		return s, ErrSessionExpired
	}
	return s, nil
}

// randomToken returns n random bytes, base64url encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// CSRF protection: a double-submit token. A random token lives in an HttpOnly,
// SameSite=Lax cookie; every page form carries it in a hidden field "csrf" (JS sends
// it in the X-CSRF-Token header), and every unsafe request must present a match. The
// Origin header, when present, must match the host too.

const (
	csrfCookie = "xx_csrf"
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
	// MaxFormBytes bounds any POST body a page accepts (uploads included).
	MaxFormBytes = 25 << 20
)

type ctxKey int

const (
	ctxCSRF ctxKey = iota
	ctxRequestID
	ctxRoute
)

// CSRFToken returns the request's CSRF token (set by the CSRF middleware).
func CSRFToken(ctx context.Context) string {
	s, _ := ctx.Value(ctxCSRF).(string)
	return s
}

// CSRF is the middleware that issues the token and checks it on unsafe methods. A
// failed check renders the error page with 403 through onFail.
func CSRF(secure bool, onFail func(w http.ResponseWriter, r *http.Request)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			tok := ""
			if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 20 && len(c.Value) <= 64 {
				tok = c.Value
			} else {
				tok = randomToken(24)
				http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: tok, Path: "/", HttpOnly: true,
					Secure: secure, SameSite: http.SameSiteLaxMode})
			}
			r = r.WithContext(context.WithValue(r.Context(), ctxCSRF, tok))
			switch r.Method {
			case http.MethodGet, http.MethodHead, http.MethodOptions:
				next.ServeHTTP(w, r)
				return
			}
			if o := r.Header.Get("Origin"); o != "" && o != "null" && !sameOrigin(o, r.Host) {
				onFail(w, r)
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, MaxFormBytes)
			got := r.Header.Get(csrfHeader)
			if got == "" {
				got = r.FormValue(csrfField)
			}
			if _, err := r.Cookie(csrfCookie); err != nil || subtle.ConstantTimeCompare([]byte(got), []byte(tok)) != 1 {
				onFail(w, r)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

func sameOrigin(origin, host string) bool {
	o := strings.TrimPrefix(strings.TrimPrefix(origin, "https://"), "http://")
	return o == host
}

// NewToken returns a fresh random token of 32 hex characters (for OAuth state and
// similar one-time values; WeChat accepts only [a-zA-Z0-9] in state).
func NewToken() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
