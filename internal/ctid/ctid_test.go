package ctid_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"xiaoxiang/internal/ctid"
	"xiaoxiang/internal/ctid/ctidfake"
)

var jpeg = append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 2000)...)

func newEnv(t *testing.T) (*ctidfake.Sim, *ctid.Client, *httptest.Server) {
	t.Helper()
	sim := ctidfake.New(ctidfake.Options{})
	mux := http.NewServeMux()
	mux.Handle("/_sim/ctid/", http.StripPrefix("/_sim/ctid", sim))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := ctid.New(sim.Config(srv.URL + "/_sim/ctid"))
	if err != nil {
		t.Fatal(err)
	}
	return sim, c, srv
}

func TestVerifyOutcomes(t *testing.T) {
	_, c, _ := newEnv(t)
	ctx := context.Background()
	tests := []struct {
		seq     string
		mode    ctid.Mode
		want    ctid.Outcome
		wantErr error
	}{
		{"123", ctid.ModeNameID, ctid.OutcomeValid, nil},
		{"123", ctid.ModeNameIDPortrait, ctid.OutcomeValid, nil},
		{"990", ctid.ModeNameID, ctid.OutcomeMismatch, nil},
		{"991", ctid.ModeNameIDPortrait, ctid.OutcomeNoRecord, nil},
		{"992", ctid.ModeNameIDPortrait, ctid.OutcomeNoPhoto, nil},
		{"992", ctid.ModeNameID, ctid.OutcomeValid, nil}, // no photo does not matter without a portrait
		{"994", ctid.ModeNameIDPortrait, ctid.OutcomeFaceMismatch, nil},
		{"993", ctid.ModeNameID, "", ctid.ErrUnavailable},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s-%s", tc.seq, tc.mode), func(t *testing.T) {
			req := ctid.Request{Name: "张三", IDNumber: ctidfake.ID("20030415", tc.seq)}
			if tc.mode == ctid.ModeNameIDPortrait {
				req.Portrait = jpeg
			}
			res, err := c.Verify(ctx, tc.mode, req)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Outcome != tc.want || !strings.HasPrefix(res.Serial, "CTID") || res.At.IsZero() {
				t.Fatalf("result = %+v, want %s", res, tc.want)
			}
			if tc.mode == ctid.ModeNameIDPortrait && res.Outcome == ctid.OutcomeValid && (res.Score < 85 || res.Score > 99) {
				t.Fatalf("score %d", res.Score)
			}
			if tc.mode == ctid.ModeNameID && res.Score != 0 {
				t.Fatalf("score %d for 0x40", res.Score)
			}
			if res.UserMessage() == "" {
				t.Fatal("no user message")
			}
		})
	}
}

func TestVerifyDeterministicAndOverride(t *testing.T) {
	sim, c, _ := newEnv(t)
	ctx := context.Background()
	id := ctidfake.ID("20020101", "201")
	req := ctid.Request{Name: "李四", IDNumber: id, Portrait: jpeg}
	a, err1 := c.Verify(ctx, ctid.ModeNameIDPortrait, req)
	b, err2 := c.Verify(ctx, ctid.ModeNameIDPortrait, req)
	if err1 != nil || err2 != nil || a.Score != b.Score || a.Serial == b.Serial {
		t.Fatalf("a=%+v b=%+v %v %v", a, b, err1, err2)
	}
	sim.SetOutcome(id, ctidfake.NoRecord)
	if r, err := c.Verify(ctx, ctid.ModeNameIDPortrait, req); err != nil || r.Outcome != ctid.OutcomeNoRecord {
		t.Fatalf("override: %+v %v", r, err)
	}
}

func TestMinScore(t *testing.T) {
	sim := ctidfake.New(ctidfake.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	cfg := sim.Config(srv.URL)
	cfg.MinScore = 100
	c, err := ctid.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Verify(context.Background(), ctid.ModeNameIDPortrait, ctid.Request{Name: "王五", IDNumber: ctidfake.ID("20010101", "111"), Portrait: jpeg})
	if err != nil || r.Outcome != ctid.OutcomeFaceMismatch || r.Score == 0 {
		t.Fatalf("below MinScore: %+v %v", r, err)
	}
}

func TestTokenRefreshAndCredentials(t *testing.T) {
	sim, c, srv := newEnv(t)
	ctx := context.Background()
	req := ctid.Request{Name: "赵六", IDNumber: ctidfake.ID("20000101", "321")}
	if _, err := c.Verify(ctx, ctid.ModeNameID, req); err != nil {
		t.Fatal(err)
	}
	sim.ExpireTokens()
	if r, err := c.Verify(ctx, ctid.ModeNameID, req); err != nil || r.Outcome != ctid.OutcomeValid {
		t.Fatalf("after token expiry: %+v %v", r, err)
	}
	cfg := sim.Config(srv.URL + "/_sim/ctid")
	cfg.AppSecret = "wrong-secret"
	bad, _ := ctid.New(cfg)
	if _, err := bad.Verify(ctx, ctid.ModeNameID, req); !errors.Is(err, ctid.ErrUnavailable) {
		t.Fatalf("wrong secret: %v", err)
	}
	if strings.Contains(cfg.String(), "wrong-secret") || strings.Contains(fmt.Sprintf("%#v", cfg), "wrong-secret") {
		t.Fatal("secret printed")
	}
	down, _ := ctid.New(ctid.Config{BaseURL: "http://127.0.0.1:1", AppID: "a", AppSecret: "b"})
	if _, err := down.Verify(ctx, ctid.ModeNameID, req); !errors.Is(err, ctid.ErrUnavailable) {
		t.Fatalf("unreachable channel: %v", err)
	}
}

func TestInvalidRequests(t *testing.T) {
	_, c, _ := newEnv(t)
	ctx := context.Background()
	good := ctidfake.ID("20030415", "123")
	tests := []struct {
		name string
		mode ctid.Mode
		req  ctid.Request
	}{
		{"bad check digit", ctid.ModeNameID, ctid.Request{Name: "张三", IDNumber: good[:17] + "0"}},
		{"HK permit", ctid.ModeNameID, ctid.Request{Name: "张三", IDNumber: "H12345678"}},
		{"no name", ctid.ModeNameID, ctid.Request{IDNumber: good}},
		{"no portrait", ctid.ModeNameIDPortrait, ctid.Request{Name: "张三", IDNumber: good}},
		{"not jpeg", ctid.ModeNameIDPortrait, ctid.Request{Name: "张三", IDNumber: good, Portrait: []byte("PNG....")}},
		{"bad mode", ctid.Mode(0x41), ctid.Request{Name: "张三", IDNumber: good}},
	}
	for _, tc := range tests {
		_, err := c.Verify(ctx, tc.mode, tc.req)
		if !errors.Is(err, ctid.ErrInvalidRequest) {
			t.Errorf("%s: err = %v, want ErrInvalidRequest", tc.name, err)
		}
		if err != nil && strings.Contains(err.Error(), good) {
			t.Errorf("%s: error contains the ID number", tc.name)
		}
	}
	if s := fmt.Sprint(ctid.Request{Name: "张三", IDNumber: good}); strings.Contains(s, good) || strings.Contains(s, "张三") {
		t.Fatalf("Request prints personal data: %s", s)
	}
}

func TestValidMainlandID(t *testing.T) {
	for id, want := range map[string]bool{
		"11010519491231002X": true, "11010519491231002x": false, "110105194912310021": false,
		"11010519491331002X": false, "1101051949123100": false,
	} {
		if got := ctid.ValidMainlandID(id); got != want {
			t.Errorf("ValidMainlandID(%s) = %v", id, got)
		}
	}
}

func TestSealTamper(t *testing.T) {
	key := ctid.PayloadKey("secret", "rand")
	nonce, data, err := ctid.Seal(key, "S1", []byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := ctid.Open(key, "S1", nonce, data); err != nil || string(pt) != `{"a":1}` {
		t.Fatalf("open: %s %v", pt, err)
	}
	if _, err := ctid.Open(key, "S2", nonce, data); err == nil {
		t.Fatal("opened with another serial (AAD)")
	}
	if _, err := ctid.Open(ctid.PayloadKey("secret", "other"), "S1", nonce, data); err == nil {
		t.Fatal("opened with another randNum's key")
	}
}
