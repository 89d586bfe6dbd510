package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
)

func TestNewToken(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		tok, h := NewToken()
		if len(tok) != 43 || seen[tok] {
			t.Fatalf("bad or repeated token %q", tok)
		}
		seen[tok] = true
		want := sha256.Sum256([]byte(tok))
		if h != hex.EncodeToString(want[:]) || HashToken(tok) != h {
			t.Fatal("hash mismatch")
		}
	}
}

func TestCSRF(t *testing.T) {
	key := bytes.Repeat([]byte{9}, 32)
	c, err := NewCSRF(key)
	if err != nil {
		t.Fatal(err)
	}
	c2, _ := NewCSRF(bytes.Repeat([]byte{8}, 32))
	_, s1 := NewToken()
	_, s2 := NewToken()
	tok := c.Token(s1)
	cases := []struct {
		name         string
		session, tok string
		c            *CSRF
		want         bool
	}{
		{"same session", s1, tok, c, true},
		{"other session", s2, tok, c, false},
		{"other key", s1, tok, c2, false},
		{"empty token", s1, "", c, false},
		{"empty session", "", c.Token(""), c, false},
		{"garbage", s1, "%%%", c, false},
		{"truncated", s1, tok[:20], c, false},
		{"flipped", s1, flip(tok), c, false},
	}
	for _, tc := range cases {
		if got := tc.c.Check(tc.session, tc.tok); got != tc.want {
			t.Errorf("%s: Check = %v", tc.name, got)
		}
	}
	if _, err := NewCSRF(key[:31]); err == nil {
		t.Error("short key accepted")
	}
	out := fmt.Sprintf("%v %+v %#v %s %x", c, c, c, c, c)
	if strings.Contains(out, hex.EncodeToString(key)) || strings.Contains(out, string(key)) || strings.Contains(out, fmt.Sprint(key)) {
		t.Fatalf("CSRF prints its key: %s", out)
	}
}

func flip(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}
