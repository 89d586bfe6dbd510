package auth

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// fastParams keeps unit tests quick; DefaultParams is exercised once.
var fastParams = Params{Time: 1, Memory: 64, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestPasswordRoundTrip(t *testing.T) {
	h, err := HashPasswordWith("correct horse 1", fastParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Fatalf("bad PHC string %q", h)
	}
	for pw, want := range map[string]bool{"correct horse 1": true, "correct horse 2": false, "": false, "Correct horse 1": false} {
		ok, err := VerifyPassword(pw, h)
		if err != nil || ok != want {
			t.Errorf("VerifyPassword(%q) = %v, %v want %v", pw, ok, err, want)
		}
	}
	h2, _ := HashPasswordWith("correct horse 1", fastParams)
	if h2 == h {
		t.Fatal("same hash twice: salt not random")
	}
	if !NeedsRehash(h) {
		t.Fatal("fast params should need rehash")
	}
}

func TestDefaultParams(t *testing.T) {
	start := time.Now()
	h, err := HashPassword("Secret-pass-42")
	el := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("argon2id default hash took %v (%s)", el, h[:30])
	if NeedsRehash(h) {
		t.Fatal("fresh default hash needs rehash")
	}
	if ok, err := VerifyPassword("Secret-pass-42", h); !ok || err != nil {
		t.Fatalf("verify: %v %v", ok, err)
	}
}

func TestMalformedHashes(t *testing.T) {
	good, _ := HashPasswordWith("x", fastParams)
	parts := strings.Split(good, "$")
	bad := []string{
		"", "plain", "$argon2i$v=19$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=16$m=64,t=1,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=0,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=4194304,t=1,p=1$" + parts[4] + "$" + parts[5], // 4 GiB: refused
		"$argon2id$v=19$m=64,t=99,p=1$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1,x=2$" + parts[4] + "$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$!!$" + parts[5],
		"$argon2id$v=19$m=64,t=1,p=1$" + parts[4] + "$AAAA",
		"$argon2id$v=19$m=64,t=1,p=1$" + parts[4],
	}
	for _, h := range bad {
		ok, err := VerifyPassword("x", h)
		if ok || !errors.Is(err, ErrBadHash) {
			t.Errorf("VerifyPassword(%q) = %v, %v", h, ok, err)
		}
		if !NeedsRehash(h) {
			t.Errorf("NeedsRehash(%q) = false", h)
		}
	}
	if _, err := HashPasswordWith("x", Params{}); err == nil {
		t.Error("zero params accepted")
	}
	if _, err := HashPasswordWith(strings.Repeat("x", 600), fastParams); err == nil {
		t.Error("huge password hashed")
	}
}

func TestPasswordPolicy(t *testing.T) {
	cases := map[string]string{
		"short1":                 "至少需要10个字符",
		"onlyletters":            "至少两类",
		"1234567890":             "至少两类",
		strings.Repeat("a1", 65): "不能超过128个字符",
		"bad\xffutf8-1234":       "无效字符",
		"good-password":          "",
		"密码密码密码密码密码1":            "",
		"Tr0ub4dor&3x":           "",
	}
	for pw, want := range cases {
		err := CheckPasswordPolicy(pw)
		var pe *PolicyError
		switch {
		case want == "" && err != nil:
			t.Errorf("%q rejected: %v", pw, err)
		case want != "" && (!errors.As(err, &pe) || !strings.Contains(pe.Message(), want)):
			t.Errorf("%q: err %v, want message containing %q", pw, err, want)
		}
	}
}

func BenchmarkHashPasswordDefault(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("Secret-pass-42"); err != nil {
			b.Fatal(err)
		}
	}
}
