package wechatfake

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"time"
)

type loginCode struct {
	appid    string
	user     string
	scope    string
	snapshot bool
	expires  time.Time
	used     bool
}

type token struct {
	appid   string
	value   string
	expires time.Time
}

// SentMessage is a subscription message the simulator accepted.
type SentMessage struct {
	AppID      string
	ToUser     string
	TemplateID string
	Page       string
	Data       map[string]string
	State      string
	Lang       string
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func wxErr(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, http.StatusOK, map[string]any{"errcode": code, "errmsg": msg + ", rid: " + randHex(6)})
}

var errMsgs = map[int]string{
	-1: "system error", 40001: "invalid credential, access_token is invalid or not latest", 40029: "invalid code",
	40163: "code been used", 45011: "api minute-quota reach limit  mustslower  retry next minute",
	40226: "invalid user", 43101: "user refuse to accept the msg", 40013: "invalid appid",
	40125: "invalid appsecret", 42001: "access_token expired", 47003: "argument invalid! data.thing1.value invalid",
	40037: "invalid template_id", 40003: "invalid openid", 45009: "reach max api daily quota limit",
}

func (s *Sim) injected(w http.ResponseWriter, api string) bool {
	if code, ok := s.takeFailure(api); ok {
		wxErr(w, code, errMsgs[code])
		return true
	}
	return false
}

func (s *Sim) secretFor(appid string) (string, bool) {
	switch appid {
	case s.opts.MiniAppID:
		return s.opts.MiniSecret, true
	case s.opts.MPAppID:
		return s.opts.MPSecret, true
	}
	return "", false
}

// checkApp answers 40013/40125 and reports false when appid/secret are wrong.
func (s *Sim) checkApp(w http.ResponseWriter, appid, secret, want string) bool {
	if appid != want {
		wxErr(w, 40013, errMsgs[40013])
		return false
	}
	if sec, _ := s.secretFor(appid); sec != secret {
		wxErr(w, 40125, errMsgs[40125])
		return false
	}
	return true
}

// IssueLoginCode simulates wx.login for user in the mini-program: the code
// is single-use and valid 5 minutes.
func (s *Sim) IssueLoginCode(user string) string {
	return s.issueCode(s.opts.MiniAppID, user, "", false)
}

func (s *Sim) issueCode(appid, user, scope string, snapshot bool) string {
	code := randAlnum(32)
	s.mu.Lock()
	if len(s.codes) > 1000 { // drop expired and used codes so a long dev session stays small
		for k, c := range s.codes {
			if c.used || s.now().After(c.expires) {
				delete(s.codes, k)
			}
		}
	}
	s.codes[code] = &loginCode{appid: appid, user: user, scope: scope, snapshot: snapshot, expires: s.now().Add(5 * time.Minute)}
	s.mu.Unlock()
	return code
}

// takeCode consumes a code; it answers the errcode to send (0 on success).
func (s *Sim) takeCode(code, appid string) (*loginCode, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.codes[code]
	if !ok || c.appid != appid || s.now().After(c.expires) {
		return nil, 40029
	}
	if c.used {
		return nil, 40163
	}
	c.used = true
	return c, 0
}

func sessionKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// GET /sns/jscode2session
func (s *Sim) jscode2session(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if s.injected(w, "jscode2session") {
		return
	}
	if !s.checkApp(w, q.Get("appid"), q.Get("secret"), s.opts.MiniAppID) {
		return
	}
	if q.Get("grant_type") != "authorization_code" {
		wxErr(w, 40002, "invalid grant_type")
		return
	}
	c, code := s.takeCode(q.Get("js_code"), s.opts.MiniAppID)
	if code != 0 {
		wxErr(w, code, errMsgs[code])
		return
	}
	if len(c.user) > 7 && c.user[:7] == "blocked" {
		wxErr(w, 40226, errMsgs[40226])
		return
	}
	// Success answers carry no errcode field, as the real API often does.
	writeJSON(w, http.StatusOK, map[string]any{
		"openid": s.OpenID(s.opts.MiniAppID, c.user), "session_key": sessionKey(), "unionid": s.UnionID(c.user),
	})
}

// GET /sns/oauth2/access_token
func (s *Sim) oauthAccessToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if s.injected(w, "oauth2/access_token") {
		return
	}
	if !s.checkApp(w, q.Get("appid"), q.Get("secret"), s.opts.MPAppID) {
		return
	}
	if q.Get("grant_type") != "authorization_code" {
		wxErr(w, 40002, "invalid grant_type")
		return
	}
	c, code := s.takeCode(q.Get("code"), s.opts.MPAppID)
	if code != 0 {
		wxErr(w, code, errMsgs[code])
		return
	}
	at := "sim-user-" + randAlnum(40)
	s.mu.Lock()
	s.userTokens[at] = &userToken{user: c.user, scope: c.scope, expires: s.now().Add(7200 * time.Second)}
	s.mu.Unlock()
	resp := map[string]any{
		"access_token": at, "expires_in": 7200, "refresh_token": "sim-refresh-" + randAlnum(40),
		"openid": s.OpenID(s.opts.MPAppID, c.user), "scope": c.scope,
	}
	if c.scope == "snsapi_userinfo" {
		resp["unionid"] = s.UnionID(c.user)
	}
	if c.snapshot {
		resp["is_snapshotuser"] = 1
	}
	writeJSON(w, http.StatusOK, resp)
}

// userToken is a 网页授权 user access token the simulator issued.
type userToken struct {
	user, scope string
	expires     time.Time
}

// UserTokensForTest returns every 网页授权 token the simulator issued with the errcode
// sns/userinfo answers for it (0 for snsapi_userinfo, 48001 for snsapi_base).
func (s *Sim) UserTokensForTest() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for tok, t := range s.userTokens {
		out[tok] = 0
		if t.scope != "snsapi_userinfo" {
			out[tok] = 48001
		}
	}
	return out
}

// GET /sns/userinfo?access_token=&openid=&lang= — the profile behind a snsapi_userinfo token.
func (s *Sim) snsUserInfo(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if s.injected(w, "userinfo") {
		return
	}
	s.mu.Lock()
	t := s.userTokens[q.Get("access_token")]
	s.mu.Unlock()
	switch {
	case t == nil:
		wxErr(w, 40001, errMsgs[40001])
		return
	case s.now().After(t.expires):
		wxErr(w, 42001, errMsgs[42001])
		return
	case t.scope != "snsapi_userinfo":
		wxErr(w, 48001, "api unauthorized")
		return
	case q.Get("openid") != s.OpenID(s.opts.MPAppID, t.user):
		wxErr(w, 40003, errMsgs[40003])
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"openid": s.OpenID(s.opts.MPAppID, t.user), "nickname": t.user, "sex": 0, "province": "", "city": "", "country": "",
		"headimgurl": "", "privilege": []string{}, "unionid": s.UnionID(t.user),
	})
}

// POST /cgi-bin/stable_token
func (s *Sim) stableToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		GrantType    string `json:"grant_type"`
		AppID        string `json:"appid"`
		Secret       string `json:"secret"`
		ForceRefresh bool   `json:"force_refresh"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		wxErr(w, 47001, "data format error")
		return
	}
	if s.injected(w, "stable_token") {
		return
	}
	want := req.AppID
	if _, ok := s.secretFor(req.AppID); !ok {
		want = s.opts.MiniAppID
	}
	if !s.checkApp(w, req.AppID, req.Secret, want) {
		return
	}
	if req.GrantType != "client_credential" {
		wxErr(w, 40002, "invalid grant_type")
		return
	}
	now := s.now()
	s.mu.Lock()
	t := s.current[req.AppID]
	if t == nil || req.ForceRefresh || now.After(t.expires) {
		t = &token{appid: req.AppID, value: "sim-at-" + randAlnum(120), expires: now.Add(s.opts.TokenTTL)}
		s.current[req.AppID] = t
		s.tokens[t.value] = t
	}
	expiresIn := int(t.expires.Sub(now) / time.Second)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"access_token": t.value, "expires_in": expiresIn})
}

// ExpireTokens makes every issued access_token invalid (42001 on use).
func (s *Sim) ExpireTokens() {
	s.mu.Lock()
	for _, t := range s.tokens {
		t.expires = time.Time{}
	}
	s.current = map[string]*token{}
	s.mu.Unlock()
}

// GrantSubscription simulates the user tapping "允许" for templateID n times
// in wx.requestSubscribeMessage (one-time subscriptions accumulate).
func (s *Sim) GrantSubscription(openid, templateID string, n int) {
	s.mu.Lock()
	s.credits[openid+"|"+templateID] += n
	s.mu.Unlock()
}

// Sent returns the subscription messages accepted so far.
func (s *Sim) Sent() []SentMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SentMessage(nil), s.sent...)
}

// POST /cgi-bin/message/subscribe/send?access_token=
func (s *Sim) subscribeSend(w http.ResponseWriter, r *http.Request) {
	if !s.validToken(w, r) {
		return
	}
	s.mu.Lock()
	t := s.tokens[r.URL.Query().Get("access_token")]
	s.mu.Unlock()
	var req struct {
		ToUser           string                       `json:"touser"`
		TemplateID       string                       `json:"template_id"`
		Page             string                       `json:"page"`
		Data             map[string]map[string]string `json:"data"`
		MiniprogramState string                       `json:"miniprogram_state"`
		Lang             string                       `json:"lang"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		wxErr(w, 47001, "data format error")
		return
	}
	if s.injected(w, "subscribe/send") {
		return
	}
	if req.TemplateID == "" {
		wxErr(w, 40037, errMsgs[40037])
		return
	}
	if len(req.ToUser) != 28 {
		wxErr(w, 40003, errMsgs[40003])
		return
	}
	for key, item := range req.Data {
		if err := checkDataValue(key, item["value"]); err != "" {
			wxErr(w, 47003, "argument invalid! data."+key+".value "+err)
			return
		}
	}
	k := req.ToUser + "|" + req.TemplateID
	s.mu.Lock()
	if s.credits[k] <= 0 {
		s.mu.Unlock()
		wxErr(w, 43101, errMsgs[43101])
		return
	}
	s.credits[k]--
	data := map[string]string{}
	for key, item := range req.Data {
		data[key] = item["value"]
	}
	s.sent = append(s.sent, SentMessage{AppID: t.appid, ToUser: req.ToUser, TemplateID: req.TemplateID, Page: req.Page, Data: data, State: req.MiniprogramState, Lang: req.Lang})
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": 3000000000 + s.seqLocked()})
}

func (s *Sim) seqLocked() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextSeq()
}
