package wechat_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"xiaoxiang/internal/wechat"
	"xiaoxiang/internal/wechat/wechatfake"
)

var (
	keyOnce sync.Once
	testKey *rsa.PrivateKey
)

type env struct {
	sim    *wechatfake.Sim
	srv    *httptest.Server
	client *wechat.Client
	calls  map[string]*atomic.Int64
}

// newEnv mounts the simulator under /_sim/wechat and our OAuth callback at /auth/callback.
func newEnv(t *testing.T, opts wechatfake.Options) *env {
	t.Helper()
	keyOnce.Do(func() { testKey, _ = rsa.GenerateKey(rand.Reader, 2048) })
	opts.PlatformKey, opts.MerchantKey = testKey, testKey
	sim, err := wechatfake.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{sim: sim, calls: map[string]*atomic.Int64{}}
	for _, p := range []string{"/cgi-bin/stable_token", "/sns/jscode2session", "/cgi-bin/message/subscribe/send"} {
		e.calls[p] = &atomic.Int64{}
	}
	counting := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if c := e.calls[r.URL.Path]; c != nil {
			c.Add(1)
		}
		sim.ServeHTTP(w, r)
	})
	mux := http.NewServeMux()
	mux.Handle("/_sim/wechat/", http.StripPrefix("/_sim/wechat", counting))
	mux.HandleFunc("/auth/start", func(w http.ResponseWriter, r *http.Request) {
		scope := r.URL.Query().Get("scope")
		if err := e.client.StartOAuth(w, r, "http://"+r.Host+"/auth/callback", scope); err != nil {
			http.Error(w, err.Error(), 400)
		}
	})
	mux.HandleFunc("/auth/callback", func(w http.ResponseWriter, r *http.Request) {
		u, err := e.client.FinishOAuth(w, r)
		if err != nil {
			http.Error(w, fmt.Sprintf("err=%v|msg=%s", err, wechat.UserMessage(err)), 403)
			return
		}
		fmt.Fprintf(w, "openid=%s unionid=%s scope=%s nickname=%s", u.OpenID, u.UnionID, u.Scope, u.Nickname)
	})
	e.srv = httptest.NewServer(mux)
	sim.SetBaseURL(e.srv.URL + "/_sim/wechat")
	e.client, err = wechat.New(sim.WechatConfig())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close(); e.srv.Close() })
	return e
}

func TestCode2Session(t *testing.T) {
	e := newEnv(t, wechatfake.Options{})
	ctx := context.Background()
	mini := e.sim.Options().MiniAppID
	code := e.sim.IssueLoginCode("alice")
	s, err := e.client.Code2Session(ctx, code)
	if err != nil {
		t.Fatal(err)
	}
	if s.OpenID != e.sim.OpenID(mini, "alice") || s.UnionID != e.sim.UnionID("alice") || s.SessionKey == "" {
		t.Fatalf("session = %+v", s)
	}
	if strings.Contains(s.String(), s.SessionKey) {
		t.Fatal("Session.String prints the session key")
	}
	tests := []struct {
		name   string
		code   func() string
		inject []int
		want   int
		calls  int64
	}{
		{"reused code", func() string { return code }, nil, wechat.CodeCodeUsed, 1},
		{"unknown code", func() string { return "nosuchcode" }, nil, wechat.CodeInvalidCode, 1},
		{"empty code (local)", func() string { return "" }, nil, wechat.CodeInvalidCode, 0},
		{"rate limited", func() string { return e.sim.IssueLoginCode("bob") }, []int{45011}, wechat.CodeRateLimited, 1},
		{"high-risk user", func() string { return e.sim.IssueLoginCode("blocked-carol") }, nil, wechat.CodeHighRiskUser, 1},
		{"busy three times", func() string { return e.sim.IssueLoginCode("dave") }, []int{-1, -1, -1}, wechat.CodeBusy, 3},
		{"busy once then ok", func() string { return e.sim.IssueLoginCode("erin") }, []int{-1}, 0, 2},
	}
	for _, tc := range tests {
		e.sim.FailNext("jscode2session", tc.inject...)
		before := e.calls["/sns/jscode2session"].Load()
		_, err := e.client.Code2Session(ctx, tc.code())
		if got := wechat.ErrCode(err); got != tc.want || (tc.want == 0 && err != nil) {
			t.Errorf("%s: err = %v, want errcode %d", tc.name, err, tc.want)
		}
		if n := e.calls["/sns/jscode2session"].Load() - before; n != tc.calls {
			t.Errorf("%s: %d calls, want %d", tc.name, n, tc.calls)
		}
		if err != nil && wechat.UserMessage(err) == "" {
			t.Errorf("%s: no user message", tc.name)
		}
		if err != nil && strings.Contains(err.Error(), e.sim.Options().MiniSecret) {
			t.Errorf("%s: error leaks the secret: %v", tc.name, err)
		}
	}
}

func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 5 * time.Second}
}

// consent submits the simulator's consent form as a user would.
func consent(t *testing.T, e *env, b *http.Client, scope string, form url.Values) (*http.Response, string) {
	t.Helper()
	// /auth/start → consent page (the state cookie is set on our domain).
	resp, err := b.Get(e.srv.URL + "/auth/start?scope=" + scope)
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if resp.StatusCode != 200 {
		return resp, body
	}
	if !strings.Contains(body, "网页授权") {
		t.Fatalf("no consent page: %s", body)
	}
	q := resp.Request.URL.Query()
	f := url.Values{"appid": {q.Get("appid")}, "redirect_uri": {q.Get("redirect_uri")}, "scope": {q.Get("scope")}, "state": {q.Get("state")}}
	for k, v := range form {
		f[k] = v
	}
	resp, err = b.PostForm(e.srv.URL+"/_sim/wechat/sim/oauth/confirm", f)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readAll(t, resp)
}

func readAll(t *testing.T, r *http.Response) string {
	t.Helper()
	defer r.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := r.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return sb.String()
}

func TestOAuth(t *testing.T) {
	e := newEnv(t, wechatfake.Options{})
	mp := e.sim.Options().MPAppID
	b := browser(t)
	resp, body := consent(t, e, b, wechat.ScopeUserInfo, url.Values{"user": {"alice"}, "decision": {"allow"}})
	// snsapi_userinfo reads the nickname from sns/userinfo.
	want := fmt.Sprintf("openid=%s unionid=%s scope=snsapi_userinfo nickname=alice", e.sim.OpenID(mp, "alice"), e.sim.UnionID("alice"))
	if resp.StatusCode != 200 || body != want {
		t.Fatalf("userinfo login: %d %q, want %q", resp.StatusCode, body, want)
	}
	if e.sim.OpenID(mp, "alice") == e.sim.OpenID(e.sim.Options().MiniAppID, "alice") {
		t.Fatal("H5 and mini-program openids must differ")
	}
	// snsapi_base for a remembered user is silent and carries no unionid.
	resp, err := b.Get(e.srv.URL + "/auth/start?scope=snsapi_base")
	if err != nil {
		t.Fatal(err)
	}
	body = readAll(t, resp)
	if want := fmt.Sprintf("openid=%s unionid= scope=snsapi_base nickname=", e.sim.OpenID(mp, "alice")); body != want {
		t.Fatalf("silent base login: %q, want %q", body, want)
	}

	// Snapshot-mode users are refused.
	resp, body = consent(t, e, browser(t), wechat.ScopeUserInfo, url.Values{"user": {"bob"}, "decision": {"allow"}, "snapshot": {"1"}})
	if resp.StatusCode != 403 || !strings.Contains(body, "快照") {
		t.Fatalf("snapshot user: %d %s", resp.StatusCode, body)
	}
	// Denied consent.
	resp, body = consent(t, e, browser(t), wechat.ScopeUserInfo, url.Values{"user": {"bob"}, "decision": {"deny"}})
	if resp.StatusCode != 403 || !strings.Contains(body, "denied") {
		t.Fatalf("denied: %d %s", resp.StatusCode, body)
	}
	// A callback without our state cookie (CSRF) is refused before any code exchange.
	code := "whatever"
	resp, err = http.Get(e.srv.URL + "/auth/callback?code=" + code + "&state=0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	if body = readAll(t, resp); resp.StatusCode != 403 || !strings.Contains(body, "state mismatch") {
		t.Fatalf("CSRF callback: %d %s", resp.StatusCode, body)
	}
	// Reusing a code fails with 40163; an unknown one with 40029.
	if _, err := e.client.ExchangeOAuthCode(context.Background(), "nosuchcode"); wechat.ErrCode(err) != wechat.CodeInvalidCode {
		t.Fatalf("unknown code: %v", err)
	}
	u, err := e.client.AuthorizeURL("https://h5.example.edu.cn/cb?x=1", wechat.ScopeBase, "abc")
	if err != nil || !strings.HasSuffix(u, "&state=abc#wechat_redirect") || !strings.Contains(u, "redirect_uri=https%3A%2F%2Fh5.example.edu.cn%2Fcb%3Fx%3D1") {
		t.Fatalf("AuthorizeURL = %s, %v", u, err)
	}
	if _, err := e.client.AuthorizeURL("https://x.example/cb", "snsapi_login", "abc"); err == nil {
		t.Fatal("unknown scope accepted")
	}
}

// TestUserInfo checks the simulator's sns/userinfo answers the way WeChat does for
// tokens it did not issue, tokens of the base scope, and another user's openid.
func TestUserInfo(t *testing.T) {
	e := newEnv(t, wechatfake.Options{})
	get := func(q url.Values) (errcode int) {
		t.Helper()
		resp, err := http.Get(e.srv.URL + "/_sim/wechat/sns/userinfo?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		var out struct{ Errcode int }
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return out.Errcode
	}
	if c := get(url.Values{"access_token": {"forged"}, "openid": {"x"}}); c != 40001 {
		t.Fatalf("unknown token: errcode %d, want 40001", c)
	}
	// A base-scope login (silent) must not be able to read the profile: run one and
	// ask with its token through the client's own exchange (scope base → no userinfo
	// call) — the simulator refuses a base token directly with 48001.
	b := browser(t)
	consent(t, e, b, wechat.ScopeUserInfo, url.Values{"user": {"carol"}, "decision": {"allow"}})
	resp, err := b.Get(e.srv.URL + "/auth/start?scope=snsapi_base")
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); !strings.HasSuffix(body, "nickname=") {
		t.Fatalf("base scope read a nickname: %q", body)
	}
	toks := e.sim.UserTokensForTest()
	seen := map[int]bool{}
	for _, want := range toks {
		seen[want] = true
	}
	if len(toks) != 2 || !seen[0] || !seen[48001] {
		t.Fatalf("want one userinfo and one base token, got %v", toks)
	}
	for tok, want := range toks {
		if c := get(url.Values{"access_token": {tok}, "openid": {e.sim.OpenID(e.sim.Options().MPAppID, "carol")}}); c != want {
			t.Errorf("token of scope with want %d: errcode %d", want, c)
		}
		if want == 0 {
			if c := get(url.Values{"access_token": {tok}, "openid": {e.sim.OpenID(e.sim.Options().MPAppID, "mallory")}}); c != 40003 {
				t.Errorf("another user's openid: errcode %d, want 40003", c)
			}
		}
	}
}

func TestAccessTokenCache(t *testing.T) {
	e := newEnv(t, wechatfake.Options{TokenTTL: 10 * time.Minute})
	ctx := context.Background()
	mini := e.sim.Options().MiniAppID
	now := time.Now()
	var mu sync.Mutex
	e.client.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return now })
	calls := e.calls["/cgi-bin/stable_token"]

	var wg sync.WaitGroup
	toks := make([]string, 20)
	for i := range toks {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tok, err := e.client.AccessToken(ctx, mini)
			if err != nil {
				t.Error(err)
			}
			toks[i] = tok
		}(i)
	}
	wg.Wait()
	if calls.Load() != 1 {
		t.Fatalf("20 concurrent callers made %d stable_token calls, want 1", calls.Load())
	}
	for _, tok := range toks {
		if tok != toks[0] || tok == "" {
			t.Fatal("callers got different tokens")
		}
	}
	// Still fresh 4 minutes later; refreshed when less than 5 minutes remain.
	mu.Lock()
	now = now.Add(4 * time.Minute)
	mu.Unlock()
	if _, err := e.client.AccessToken(ctx, mini); err != nil || calls.Load() != 1 {
		t.Fatalf("token refetched too early (%d calls, %v)", calls.Load(), err)
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	if _, err := e.client.AccessToken(ctx, mini); err != nil || calls.Load() != 2 {
		t.Fatalf("token not refreshed before expiry (%d calls, %v)", calls.Load(), err)
	}
	if _, err := e.client.AccessToken(ctx, "wx_not_ours"); err == nil {
		t.Fatal("token for a foreign appid")
	}
	// Bad secret: 40125 surfaces.
	cfg := e.sim.WechatConfig()
	cfg.MiniSecret = "wrong"
	c2, _ := wechat.New(cfg)
	if _, err := c2.AccessToken(ctx, mini); wechat.ErrCode(err) != 40125 {
		t.Fatalf("wrong secret: %v", err)
	}
}

func TestSubscribeSend(t *testing.T) {
	e := newEnv(t, wechatfake.Options{})
	ctx := context.Background()
	openid := e.sim.OpenID(e.sim.Options().MiniAppID, "alice")
	msg := wechat.Message{ToUser: openid, TemplateID: "TMPL-review-result", Page: "pages/status/index?task=7",
		Data: map[string]string{
			"thing1":  wechat.Fit("thing1", "湖南师范大学2025年上半年学位申请图像采集"),
			"phrase2": "已通过",
			"time3":   wechat.FormatTime(time.Date(2025, 3, 1, 15, 4, 0, 0, time.UTC)),
			"amount4": wechat.FormatAmount(1500),
		}}
	// No credit: 43101.
	if err := e.client.SendSubscribe(ctx, msg); wechat.ErrCode(err) != wechat.CodeNoSubscription {
		t.Fatalf("send without credit: %v", err)
	}
	e.sim.GrantSubscription(openid, msg.TemplateID, 1)
	if err := e.client.SendSubscribe(ctx, msg); err != nil {
		t.Fatal(err)
	}
	if err := e.client.SendSubscribe(ctx, msg); wechat.ErrCode(err) != wechat.CodeNoSubscription {
		t.Fatalf("second send on one credit: %v", err)
	}
	sent := e.sim.Sent()
	if len(sent) != 1 || sent[0].Data["thing1"] != "湖南师范大学2025年上半年学位申请图…" || sent[0].State != "developer" || sent[0].Lang != "zh_CN" {
		t.Fatalf("sent = %+v", sent)
	}
	// An expired token is refreshed once and the send retried.
	e.sim.GrantSubscription(openid, msg.TemplateID, 1)
	e.sim.ExpireTokens()
	before := e.calls["/cgi-bin/stable_token"].Load()
	if err := e.client.SendSubscribe(ctx, msg); err != nil {
		t.Fatalf("send after token expiry: %v", err)
	}
	if e.calls["/cgi-bin/stable_token"].Load() != before+1 {
		t.Fatal("token not refreshed after 42001")
	}
	// Busy is retried.
	e.sim.GrantSubscription(openid, msg.TemplateID, 1)
	e.sim.FailNext("subscribe/send", -1)
	if err := e.client.SendSubscribe(ctx, msg); err != nil {
		t.Fatalf("send after one busy answer: %v", err)
	}
	// Field rules are checked locally.
	bad := msg
	bad.Data = map[string]string{"phrase2": "审核已经通过了"}
	if err := e.client.SendSubscribe(ctx, bad); wechat.ErrCode(err) != wechat.CodeFieldInvalid {
		t.Fatalf("bad phrase: %v", err)
	}
}

func TestFieldRules(t *testing.T) {
	tests := []struct {
		key, value string
		ok         bool
	}{
		{"thing1", "湖南师范大学", true},
		{"thing1", strings.Repeat("字", 21), false},
		{"thing1", "", false},
		{"phrase2", "已通过", true},
		{"phrase2", "审核未通过啊", false},
		{"phrase2", "OK", false},
		{"name3", "欧阳娜娜", true},
		{"name3", "Zhang San", true},
		{"name3", strings.Repeat("名", 11), false},
		{"time4", "15:01", true},
		{"time4", "2025年3月1日 15:04", true},
		{"time4", "25:01", false},
		{"date5", "2025年3月1日", true},
		{"date5", "2025-03-01", false},
		{"amount6", "¥15.00", true},
		{"amount6", "十五元", false},
		{"number7", "12345", true},
		{"number7", "12a", false},
		{"character_string8", "XX2025-0001", true},
		{"character_string8", "中文", false},
		{"letter9", "abc", true},
		{"phone_number10", "0731-88888888", true},
		{"car_number11", "湘A12345", true},
		{"symbol12", "★", true},
		{"bogus1", "x", false},
		{"thing", "x", false},
	}
	for _, tc := range tests {
		err := wechat.CheckField(tc.key, tc.value)
		if (err == nil) != tc.ok {
			t.Errorf("CheckField(%q, %q) = %v, want ok=%v", tc.key, tc.value, err, tc.ok)
		}
	}
	if got := wechat.Fit("phrase1", "审核未通过啊"); got != "审核未通过" {
		t.Errorf("Fit phrase = %q", got)
	}
	if got := wechat.Fit("thing1", "短"); got != "短" {
		t.Errorf("Fit short = %q", got)
	}
	if got := wechat.FormatAmount(5); got != "¥0.05" {
		t.Errorf("FormatAmount = %q", got)
	}
}

func TestCredits(t *testing.T) {
	c := wechat.Credits{}
	c.Accept(map[string]string{"A": "accept", "B": "reject", "C": "filter"})
	c.Accept(map[string]string{"A": "accept"})
	if c["A"] != 2 || c["B"] != 0 || len(c) != 1 {
		t.Fatalf("credits = %v", c)
	}
	if !c.Take("A") || !c.Take("A") || c.Take("A") || c.Take("B") {
		t.Fatal("Take did not count down to zero")
	}
	c.Return("A")
	c.Accept(map[string]string{"A": "ban"})
	if c["A"] != 0 {
		t.Fatal("ban did not clear credits")
	}
}

func TestConfig(t *testing.T) {
	cfg := wechat.Config{MiniAppID: "wx1", MiniSecret: "topsecret-value"}
	if strings.Contains(cfg.String(), "topsecret") || strings.Contains(fmt.Sprintf("%#v", cfg), "topsecret") {
		t.Fatal("secret printed")
	}
	if err := (wechat.Config{MiniAppID: "wx1"}).Validate(); err == nil {
		t.Fatal("missing secret accepted")
	}
	if err := (wechat.Config{}).Validate(); err == nil {
		t.Fatal("empty config accepted")
	}
	if _, err := wechat.New(wechat.Config{MPAppID: "wx2", MPSecret: "s", APIBaseURL: "not a url"}); err == nil {
		t.Fatal("bad base URL accepted")
	}
	var ue *wechat.Error
	if !errors.As(&wechat.Error{Code: 1}, &ue) {
		t.Fatal("errors.As")
	}
}
