package web

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"xiaoxiang"
)

func TestSessionCodec(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	cookies, _ := NewSessionCodec(key, "cookie")
	tokens, _ := NewSessionCodec(key, "api")
	now := time.Unix(1_800_000_000, 0)
	tok := cookies.Encode(Session{AccountID: 42, IssuedAt: now.Unix(), ExpiresAt: now.Add(time.Hour).Unix()})
	tests := []struct {
		name  string
		codec *SessionCodec
		token string
		at    time.Time
		want  error
	}{
		{"valid", cookies, tok, now, nil},
		{"expired", cookies, tok, now.Add(2 * time.Hour), ErrSessionExpired},
		{"other purpose", tokens, tok, now, ErrBadSession},
		{"tampered payload", cookies, "x" + tok[1:], now, ErrBadSession},
		{"tampered signature", cookies, tok[:len(tok)-2] + "AA", now, ErrBadSession},
		{"garbage", cookies, "not-a-token", now, ErrBadSession},
		{"empty", cookies, "", now, ErrBadSession},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := tt.codec.Decode(tt.token, tt.at)
			if !errors.Is(err, tt.want) && err != tt.want {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if tt.want == nil && s.AccountID != 42 {
				t.Fatalf("session = %+v", s)
			}
		})
	}
	if _, err := NewSessionCodec([]byte("short"), "cookie"); err == nil {
		t.Fatal("short key accepted")
	}
}

func TestStatusOf_EveryCode(t *testing.T) {
	codes := []string{xiaoxiang.ENOTFOUND, xiaoxiang.EINVALID, xiaoxiang.ECONFLICT, xiaoxiang.EFORBIDDEN, xiaoxiang.EUNAUTHORIZED,
		xiaoxiang.EQUOTA, xiaoxiang.ECLOSED, xiaoxiang.EUNPAID, xiaoxiang.EUNAVAILABLE, xiaoxiang.ETOOMANY, xiaoxiang.EINTERNAL}
	for _, c := range codes {
		if _, ok := statusByCode[c]; !ok {
			t.Errorf("code %q has no HTTP status", c)
		}
		if errorTitle(c) == "" {
			t.Errorf("code %q has no title", c)
		}
	}
	if StatusOf(errors.New("boom")) != 500 || StatusOf(xiaoxiang.Errorf(xiaoxiang.EUNPAID, "x")) != 402 {
		t.Fatal("StatusOf")
	}
}

func TestYuan(t *testing.T) {
	for fen, want := range map[int64]string{0: "0.00", 5: "0.05", 1500: "15.00", 123456: "1234.56", -250: "-2.50"} {
		if got := Yuan(fen); got != want {
			t.Errorf("Yuan(%d) = %q, want %q", fen, got, want)
		}
	}
}

// TestAccessLog_NoPersonalData: the log has the route pattern, never the path values,
// the query string, cookies or the client address.
func TestAccessLog_NoPersonalData(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /tasks/{id}/link", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })
	h := Chain(RecordRoute(mux), RequestID, AccessLog(log))
	req := httptest.NewRequest("GET", "/tasks/987654/link?doc_number=11010519491231002X&name=%E5%BC%A0%E4%B8%89", nil)
	req.Header.Set("Cookie", "xx_sess=secret-session-token")
	req.RemoteAddr = "203.0.113.7:5555"
	h.ServeHTTP(httptest.NewRecorder(), req)
	line := buf.String()
	if !strings.Contains(line, `route="GET /tasks/{id}/link"`) || !strings.Contains(line, "status=200") {
		t.Fatalf("log line: %s", line)
	}
	for _, leak := range []string{"987654", "11010519491231002X", "doc_number", "secret-session-token", "203.0.113.7", "张三"} {
		if strings.Contains(line, leak) {
			t.Errorf("log contains %q: %s", leak, line)
		}
	}
}

func TestStatic_ContentHashURLs(t *testing.T) {
	s, err := NewStatic("/static/", map[string][]byte{"extra.js": []byte("var x = 1;")})
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.URL("extra.js")
	if err != nil || !strings.HasPrefix(u, "/static/extra.") || !strings.HasSuffix(u, ".js") {
		t.Fatalf("URL = %q, %v", u, err)
	}
	if _, err := s.URL("missing.css"); err == nil {
		t.Fatal("unknown asset has a URL")
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", u, nil))
	if rec.Code != 200 || rec.Body.String() != "var x = 1;" || !strings.Contains(rec.Header().Get("Cache-Control"), "immutable") {
		t.Fatalf("serve: %d %q %v", rec.Code, rec.Body.String(), rec.Header())
	}
}
