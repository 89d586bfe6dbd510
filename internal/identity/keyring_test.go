package identity

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func master(b byte) []byte { return bytes.Repeat([]byte{b}, MasterKeySize) }

func mustKeyring(t *testing.T, current uint32, masters map[uint32][]byte) *Keyring {
	t.Helper()
	kr, err := NewKeyring(current, masters)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func TestSealOpenRoundTrip(t *testing.T) {
	kr := mustKeyring(t, 1, map[uint32][]byte{1: master(7)})
	for _, pt := range []string{"", "11010519491231002X", strings.Repeat("张", 1000)} {
		s, err := kr.SealString(pt, "student:42/doc")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(s, "v1.1.") || (pt != "" && strings.Contains(s, pt)) {
			t.Fatalf("bad sealed form %q", s)
		}
		got, err := kr.OpenString(s, "student:42/doc")
		if err != nil || got != pt {
			t.Fatalf("Open = %q, %v", got, err)
		}
	}
	a, _ := kr.SealString("x", "")
	b, _ := kr.SealString("x", "")
	if a == b {
		t.Fatal("two seals of the same value are equal (nonce reuse?)")
	}
}

func TestOpenRejects(t *testing.T) {
	kr := mustKeyring(t, 1, map[uint32][]byte{1: master(7), 2: master(8)})
	s, _ := kr.SealString("11010519491231002X", "ad")
	body := strings.TrimPrefix(s, "v1.1.")
	raw, _ := base64.RawURLEncoding.DecodeString(body)
	flip := func(i int) string {
		r := bytes.Clone(raw)
		r[i] ^= 1
		return "v1.1." + base64.RawURLEncoding.EncodeToString(r)
	}
	cases := map[string]struct{ sealed, ad string }{
		"ad mismatch":      {s, "other"},
		"ad missing":       {s, ""},
		"nonce tampered":   {flip(0), "ad"},
		"body tampered":    {flip(15), "ad"},
		"tag tampered":     {flip(len(raw) - 1), "ad"},
		"truncated":        {s[:len(s)-4], "ad"},
		"key id swapped":   {"v1.2." + body, "ad"},
		"unknown key id":   {"v1.9." + body, "ad"},
		"key id leading 0": {"v1.01." + body, "ad"},
		"version":          {"v2.1." + body, "ad"},
		"no key id":        {"v1." + body, "ad"},
		"bad base64":       {"v1.1.***", "ad"},
		"empty":            {"", "ad"},
		"too short":        {"v1.1.AAAA", "ad"},
	}
	for name, c := range cases {
		if _, err := kr.OpenString(c.sealed, c.ad); !errors.Is(err, ErrOpen) {
			t.Errorf("%s: err = %v, want ErrOpen", name, err)
		}
	}
}

func TestRotation(t *testing.T) {
	old := mustKeyring(t, 1, map[uint32][]byte{1: master(1)})
	s1, _ := old.SealString("secret", "ad")
	rotated := mustKeyring(t, 2, map[uint32][]byte{1: master(1), 2: master(2)})
	if got, err := rotated.OpenString(s1, "ad"); err != nil || got != "secret" {
		t.Fatalf("old key id does not open after rotation: %v", err)
	}
	s2, _ := rotated.SealString("secret", "ad")
	if id, err := SealedKeyID(s2); err != nil || id != 2 {
		t.Fatalf("SealedKeyID = %d, %v", id, err)
	}
	if id, _ := SealedKeyID(s1); id != 1 {
		t.Fatalf("SealedKeyID(old) = %d", id)
	}
	if _, err := old.OpenString(s2, "ad"); !errors.Is(err, ErrOpen) {
		t.Fatal("old ring opened a value sealed under a key it lacks")
	}
	// Blind indexes during the migration: current key first, then the old one.
	idx := rotated.BlindIndexes(KindResidentID, "11010519491231002X")
	if len(idx) != 2 || idx[0] != rotated.BlindIndex(KindResidentID, "11010519491231002X") ||
		idx[1] != old.BlindIndex(KindResidentID, "11010519491231002X") {
		t.Fatalf("BlindIndexes = %v", idx)
	}
}

func TestBlindIndex(t *testing.T) {
	a := mustKeyring(t, 1, map[uint32][]byte{1: master(1)})
	a2 := mustKeyring(t, 1, map[uint32][]byte{1: master(1)})
	b := mustKeyring(t, 1, map[uint32][]byte{1: master(2)})
	x := a.BlindIndex(KindResidentID, "11010519491231002X")
	if len(x) != BlindIndexLen {
		t.Fatalf("len = %d", len(x))
	}
	if _, err := hex.DecodeString(x); err != nil {
		t.Fatalf("not hex: %q", x)
	}
	if x != a2.BlindIndex(KindResidentID, "11010519491231002X") {
		t.Fatal("not stable across keyrings with the same master")
	}
	if x != a.BlindIndex(KindResidentID, " １１０１０５１９４９１２３１００２ｘ") {
		t.Fatal("not normalised")
	}
	if x == b.BlindIndex(KindResidentID, "11010519491231002X") {
		t.Fatal("same index under a different master key")
	}
	if x == a.BlindIndex(KindResidencePermit, "11010519491231002X") {
		t.Fatal("same index for a different kind")
	}
	if x == a.BlindIndex(KindResidentID, "110105194912310029") {
		t.Fatal("same index for a different number")
	}
	// Encryption and index keys are separated by HKDF.
	if bytes.Equal(a.keys[1].index, master(1)) {
		t.Fatal("index key equals master secret")
	}
}

func TestNewKeyringErrors(t *testing.T) {
	cases := map[string]struct {
		cur uint32
		m   map[uint32][]byte
	}{
		"no current":    {3, map[uint32][]byte{1: master(1)}},
		"short":         {1, map[uint32][]byte{1: master(1)[:31]}},
		"long":          {1, map[uint32][]byte{1: append(master(1), 1)}},
		"zero":          {1, map[uint32][]byte{1: make([]byte, 32)}},
		"old too short": {1, map[uint32][]byte{1: master(1), 2: {1}}},
	}
	for name, c := range cases {
		if _, err := NewKeyring(c.cur, c.m); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestDecodeMasterKey(t *testing.T) {
	m := master(0xab)
	for _, s := range []string{hex.EncodeToString(m), base64.StdEncoding.EncodeToString(m),
		base64.RawURLEncoding.EncodeToString(m), " " + hex.EncodeToString(m) + "\n"} {
		if got, err := DecodeMasterKey(s); err != nil || !bytes.Equal(got, m) {
			t.Errorf("DecodeMasterKey(%q) = %x, %v", s, got, err)
		}
	}
	for _, s := range []string{"", "abcd", hex.EncodeToString(m[:31]), base64.StdEncoding.EncodeToString(m[:16])} {
		if _, err := DecodeMasterKey(s); err == nil {
			t.Errorf("DecodeMasterKey(%q) accepted", s)
		} else if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error leaks input")
		}
	}
}

func TestKeyringNeverPrintsKeys(t *testing.T) {
	m := master(0x5a)
	kr := mustKeyring(t, 4, map[uint32][]byte{4: m})
	var logBuf bytes.Buffer
	slog.New(slog.NewJSONHandler(&logBuf, nil)).Info("ring", "kr", kr)
	outs := []string{kr.String(), fmt.Sprintf("%v %+v %#v %s %x %q", kr, kr, kr, kr, kr, kr), logBuf.String(),
		fmt.Sprint(*kr)}
	for _, o := range outs {
		for _, secret := range [][]byte{m, kr.keys[4].index} {
			for _, enc := range []string{hex.EncodeToString(secret), base64.StdEncoding.EncodeToString(secret), string(secret),
				fmt.Sprint(secret)} {
				if strings.Contains(o, enc) {
					t.Fatalf("output leaks key material: %s", o)
				}
			}
		}
	}
	if !strings.Contains(logBuf.String(), `"current_key_id":4`) {
		t.Fatalf("LogValue not used: %s", logBuf.String())
	}
}
