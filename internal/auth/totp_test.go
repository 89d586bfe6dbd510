package auth

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// RFC 6238 Appendix B, SHA-1, secret "12345678901234567890".
var rfc6238 = []struct {
	unix int64
	code string
}{
	{59, "94287082"},
	{1111111109, "07081804"},
	{1111111111, "14050471"},
	{1234567890, "89005924"},
	{2000000000, "69279037"},
	{20000000000, "65353130"},
}

const rfcSecret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" // base32("12345678901234567890")

func TestTOTPRFCVectors(t *testing.T) {
	key, err := decodeSecret(strings.ToLower(rfcSecret))
	if err != nil || string(key) != "12345678901234567890" {
		t.Fatalf("decode: %q %v", key, err)
	}
	for _, v := range rfc6238 {
		ts := time.Unix(v.unix, 0)
		if got := hotp(key, uint64(step(ts)), 8); got != v.code {
			t.Errorf("t=%d: 8-digit %s want %s", v.unix, got, v.code)
		}
		six, err := TOTPCode(rfcSecret, ts)
		if err != nil || six != v.code[2:] {
			t.Errorf("t=%d: 6-digit %s want %s", v.unix, six, v.code[2:])
		}
		if s, ok := VerifyTOTP(rfcSecret, v.code[2:], ts, 0); !ok || s != step(ts) {
			t.Errorf("t=%d: verify failed", v.unix)
		}
	}
}

func TestTOTPSkewAndReplay(t *testing.T) {
	secret := NewTOTPSecret()
	if len(secret) != 32 {
		t.Fatalf("secret length %d", len(secret))
	}
	t0 := time.Unix(1_800_000_000, 0)
	code, _ := TOTPCode(secret, t0)
	for _, c := range []struct {
		d  time.Duration
		ok bool
	}{{0, true}, {29 * time.Second, true}, {-30 * time.Second, true}, {30 * time.Second, true}, {61 * time.Second, false}, {-61 * time.Second, false}} {
		if _, ok := VerifyTOTP(secret, code, t0.Add(c.d), 0); ok != c.ok {
			t.Errorf("offset %v: ok=%v want %v", c.d, ok, c.ok)
		}
	}
	s, ok := VerifyTOTP(secret, code, t0, 0)
	if !ok {
		t.Fatal("verify")
	}
	if _, ok := VerifyTOTP(secret, code, t0.Add(10*time.Second), s); ok {
		t.Fatal("replayed code accepted")
	}
	for _, bad := range []string{"", "12345", "1234567", "abcdef"} {
		if _, ok := VerifyTOTP(secret, bad, t0, 0); ok {
			t.Errorf("code %q accepted", bad)
		}
	}
	if _, ok := VerifyTOTP("not base32!", code, t0, 0); ok {
		t.Fatal("bad secret accepted")
	}
	if _, err := TOTPCode("AAAA", t0); err == nil {
		t.Fatal("short secret accepted")
	}
}

func TestTOTPURL(t *testing.T) {
	u, err := url.Parse(TOTPURL("肖像", "alice@school", rfcSecret))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Scheme != "otpauth" || u.Host != "totp" || u.Path != "/肖像:alice@school" ||
		q.Get("secret") != rfcSecret || q.Get("issuer") != "肖像" || q.Get("digits") != "6" ||
		q.Get("period") != "30" || q.Get("algorithm") != "SHA1" {
		t.Fatalf("bad URL %s", u)
	}
}
