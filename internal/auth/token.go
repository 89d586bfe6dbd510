package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"time"
)

// Session lifetime limits for staff consoles.
const (
	SessionIdleTimeout = 30 * time.Minute // expire after this long without a request
	SessionMaxAge      = 12 * time.Hour   // expire this long after login regardless of activity
)

// TokenBytes is the entropy of session tokens (256 bits).
const TokenBytes = 32

// NewToken returns a random session token for the cookie and its SHA-256
// hash (hex) for the database. Only the hash is stored server-side, so a
// database leak does not yield usable sessions.
func NewToken() (token, hash string) {
	b := make([]byte, TokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error (Go ≥ 1.24)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// HashToken returns the hex SHA-256 of a token, for looking up a session.
func HashToken(token string) string {
	s := sha256.Sum256([]byte(token))
	return hex.EncodeToString(s[:])
}

// CSRF issues and checks anti-CSRF tokens bound to a session: the token is
// HMAC-SHA256(key, "csrf" ‖ 0 ‖ sessionHash), so it is valid only for that
// session and needs no server-side storage. Use the session's token hash (as
// stored server-side) as sessionHash.
type CSRF struct{ key []byte }

// NewCSRF returns a CSRF issuer; key must be at least 32 bytes of secret.
func NewCSRF(key []byte) (*CSRF, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("auth: new csrf: key is %d bytes, want at least 32", len(key))
	}
	return &CSRF{key: append([]byte(nil), key...)}, nil
}

func (c *CSRF) mac(sessionHash string) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte("csrf"))
	m.Write([]byte{0})
	m.Write([]byte(sessionHash))
	return m.Sum(nil)
}

// Token returns the CSRF token for a session (base64url, 43 characters).
func (c *CSRF) Token(sessionHash string) string {
	return base64.RawURLEncoding.EncodeToString(c.mac(sessionHash))
}

// Check reports, in constant time, whether token is the CSRF token of the
// session. An empty session or token never matches.
func (c *CSRF) Check(sessionHash, token string) bool {
	if sessionHash == "" || token == "" {
		return false
	}
	got, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return false
	}
	return hmac.Equal(got, c.mac(sessionHash))
}

// String never prints the key.
func (c *CSRF) String() string { return "auth.CSRF{key: redacted}" }

// GoString never prints the key.
func (c *CSRF) GoString() string { return c.String() }

// Format prints only String for every verb.
func (c *CSRF) Format(f fmt.State, verb rune) { _, _ = f.Write([]byte(c.String())) }
