package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TOTP parameters (RFC 6238 defaults, which every authenticator app supports).
const (
	TOTPDigits     = 6
	TOTPPeriod     = 30 * time.Second
	TOTPSkew       = 1  // steps accepted either side of the current one
	TOTPSecretSize = 20 // bytes (160 bits, as RFC 4226 recommends)
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewTOTPSecret returns a random secret in base32 (no padding), as shown to
// the user and embedded in the otpauth:// URL. Store it sealed.
func NewTOTPSecret() string {
	b := make([]byte, TOTPSecretSize)
	_, _ = rand.Read(b)
	return b32.EncodeToString(b)
}

// decodeSecret accepts base32 in any case, with spaces, dashes or padding.
func decodeSecret(secret string) ([]byte, error) {
	s := strings.ToUpper(strings.NewReplacer(" ", "", "-", "", "=", "").Replace(secret))
	k, err := b32.DecodeString(s)
	if err != nil || len(k) < 10 {
		return nil, fmt.Errorf("auth: totp: secret is not base32 of at least 80 bits")
	}
	return k, nil
}

// hotp is RFC 4226 HOTP with SHA-1 and dynamic truncation.
func hotp(key []byte, counter uint64, digits int) string {
	m := hmac.New(sha1.New, key)
	var c [8]byte
	binary.BigEndian.PutUint64(c[:], counter)
	m.Write(c[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, v%mod)
}

func step(t time.Time) int64 { return t.Unix() / int64(TOTPPeriod/time.Second) }

// TOTPCode returns the 6-digit code for secret at time t.
func TOTPCode(secret string, t time.Time) (string, error) {
	k, err := decodeSecret(secret)
	if err != nil {
		return "", err
	}
	return hotp(k, uint64(step(t)), TOTPDigits), nil
}

// VerifyTOTP checks a code at time t, accepting the current step ±TOTPSkew,
// and rejecting steps ≤ lastStep (replay of a code already used; pass 0 when
// none was used). On success it returns the matched step: store it as the
// new lastStep. Comparison is constant-time per candidate.
func VerifyTOTP(secret, code string, t time.Time, lastStep int64) (int64, bool) {
	k, err := decodeSecret(secret)
	if err != nil {
		return 0, false
	}
	code = strings.TrimSpace(code)
	if len(code) != TOTPDigits {
		return 0, false
	}
	now := step(t)
	matched := int64(0)
	ok := false
	for s := now - TOTPSkew; s <= now+TOTPSkew; s++ {
		if s < 0 {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(hotp(k, uint64(s), TOTPDigits)), []byte(code)) == 1 && s > lastStep && !ok {
			matched, ok = s, true
		}
	}
	return matched, ok
}

// TOTPURL returns the otpauth:// URL for QR enrolment, e.g.
// otpauth://totp/肖像:alice?secret=…&issuer=肖像&algorithm=SHA1&digits=6&period=30
func TOTPURL(issuer, account, secret string) string {
	label := url.PathEscape(issuer + ":" + account)
	q := url.Values{}
	q.Set("secret", strings.ToUpper(strings.TrimRight(secret, "=")))
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", fmt.Sprint(TOTPDigits))
	q.Set("period", fmt.Sprint(int(TOTPPeriod/time.Second)))
	return "otpauth://totp/" + label + "?" + q.Encode()
}
