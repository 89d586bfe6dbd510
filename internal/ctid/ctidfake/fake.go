// Package ctidfake simulates a CTID channel (token, apply, sealed request)
// with deterministic outcomes chosen by the ID number's 3-digit sequence
// code (positions 15–17):
//
//	990 → name/ID mismatch   991 → no record        992 → no photo on file (0x42)
//	993 → channel unavailable (HTTP 503)            994 → face mismatch (0x42)
//	anything else → valid (0x42 similarity 85–99, derived from the number)
//
// SetOutcome overrides the rule for one number. Mount it behind
// http.StripPrefix; Config(baseURL) gives a matching ctid.Config.
package ctidfake

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"xiaoxiang/internal/ctid"
)

// Outcome names for SetOutcome.
const (
	Valid        = "valid"
	Mismatch     = "mismatch"
	NoRecord     = "no_record"
	NoPhoto      = "no_photo"
	FaceMismatch = "face_mismatch"
	Unavailable  = "unavailable"
)

// Options configure the simulator.
type Options struct {
	AppID, AppSecret string        // defaults: sim values
	TokenTTL         time.Duration // default 2 h
	Now              func() time.Time
}

type apply struct {
	mode    string
	randNum string
	used    bool
	at      time.Time
}

// Sim is the simulated channel.
type Sim struct {
	opts     Options
	mux      *http.ServeMux
	mu       sync.Mutex
	tokens   map[string]time.Time
	applies  map[string]*apply
	override map[string]string
	seq      int
	requests int
}

// New returns a simulator.
func New(opts Options) *Sim {
	if opts.AppID == "" {
		opts.AppID = "ctid-sim-app-0001"
	}
	if opts.AppSecret == "" {
		opts.AppSecret = "ctid-sim-secret-please-change-0001"
	}
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = 2 * time.Hour
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	s := &Sim{opts: opts, tokens: map[string]time.Time{}, applies: map[string]*apply{}, override: map[string]string{}}
	m := http.NewServeMux()
	m.HandleFunc("POST /auth/token", s.token)
	m.HandleFunc("POST /idauth/validateIdentity/apply/{mode}", s.apply)
	m.HandleFunc("POST /idauth/validateIdentity/request/{mode}", s.request)
	s.mux = m
	return s
}

// ServeHTTP implements http.Handler.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Config returns a client config for the simulator mounted at baseURL.
func (s *Sim) Config(baseURL string) ctid.Config {
	return ctid.Config{BaseURL: baseURL, AppID: s.opts.AppID, AppSecret: s.opts.AppSecret}
}

// SetOutcome forces the outcome for one ID number.
func (s *Sim) SetOutcome(idNumber, outcome string) {
	s.mu.Lock()
	s.override[idNumber] = outcome
	s.mu.Unlock()
}

// ExpireTokens invalidates every issued token.
func (s *Sim) ExpireTokens() {
	s.mu.Lock()
	s.tokens = map[string]time.Time{}
	s.mu.Unlock()
}

// Requests counts verification requests answered (step 3).
func (s *Sim) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

func reply(w http.ResponseWriter, status int, code, msg string, data any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg, "data": data})
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Sim) token(w http.ResponseWriter, r *http.Request) {
	var req struct{ AppID, Timestamp, Nonce, Sign string }
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil {
		reply(w, 400, ctid.CodeBadRequest, "请求格式错误", nil)
		return
	}
	ts, err := strconv.ParseInt(req.Timestamp, 10, 64)
	want := ctid.TokenSign(s.opts.AppSecret, s.opts.AppID, req.Timestamp, req.Nonce)
	if req.AppID != s.opts.AppID || !hmac.Equal([]byte(want), []byte(req.Sign)) {
		reply(w, 403, ctid.CodeBadSign, "应用标识或签名错误", nil)
		return
	}
	if err != nil || s.opts.Now().Sub(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		reply(w, 403, ctid.CodeBadSign, "时间戳无效", nil)
		return
	}
	tok := "ctid-at-" + randHex(24)
	s.mu.Lock()
	s.tokens[tok] = s.opts.Now().Add(s.opts.TokenTTL)
	s.mu.Unlock()
	reply(w, 200, ctid.CodeOK, "成功", map[string]any{"accessToken": tok, "expiresIn": int(s.opts.TokenTTL / time.Second)})
}

func (s *Sim) authorized(w http.ResponseWriter, r *http.Request) bool {
	tok, _ := stringsCutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	exp, ok := s.tokens[tok]
	s.mu.Unlock()
	if r.Header.Get("appId") != s.opts.AppID || !ok || s.opts.Now().After(exp) {
		reply(w, 401, ctid.CodeTokenInvalid, "令牌无效或已过期", nil)
		return false
	}
	mode := r.PathValue("mode")
	if mode != "0x40" && mode != "0x42" {
		reply(w, 400, ctid.CodeBadRequest, "不支持的认证模式", nil)
		return false
	}
	return true
}

func stringsCutPrefix(s, p string) (string, bool) {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):], true
	}
	return "", false
}

func (s *Sim) apply(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	now := s.opts.Now()
	s.mu.Lock()
	s.seq++
	serial := fmt.Sprintf("CTID%s%08d", now.Format("20060102150405"), s.seq)
	a := &apply{mode: r.PathValue("mode"), randNum: randHex(16), at: now}
	s.applies[serial] = a
	s.mu.Unlock()
	reply(w, 200, ctid.CodeOK, "成功", map[string]string{"bizSerialNum": serial, "randNum": a.randNum})
}

func (s *Sim) request(w http.ResponseWriter, r *http.Request) {
	if !s.authorized(w, r) {
		return
	}
	var req struct {
		BizSerialNum string `json:"bizSerialNum"`
		Nonce        string `json:"nonce"`
		Data         string `json:"data"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
		reply(w, 400, ctid.CodeBadRequest, "请求格式错误", nil)
		return
	}
	s.mu.Lock()
	a := s.applies[req.BizSerialNum]
	ok := a != nil && !a.used && a.mode == r.PathValue("mode") && s.opts.Now().Sub(a.at) < 10*time.Minute
	if ok {
		a.used = true
	}
	s.mu.Unlock()
	if !ok {
		reply(w, 400, ctid.CodeBadRequest, "业务流水号无效、已使用或已过期", nil)
		return
	}
	key := ctid.PayloadKey(s.opts.AppSecret, a.randNum)
	pt, err := ctid.Open(key, req.BizSerialNum, req.Nonce, req.Data)
	if err != nil {
		reply(w, 400, ctid.CodeBadRequest, "数据解密失败", nil)
		return
	}
	var sr ctid.SealedRequest
	if err := json.Unmarshal(pt, &sr); err != nil || sr.Name == "" || !ctid.ValidMainlandID(sr.Number) {
		reply(w, 400, ctid.CodeBadRequest, "姓名或证件号码格式错误", nil)
		return
	}
	if a.mode == "0x42" {
		photo, err := base64.StdEncoding.DecodeString(sr.PhotoData)
		if err != nil || len(photo) < 3 || photo[0] != 0xFF || photo[1] != 0xD8 {
			reply(w, 400, ctid.CodeBadRequest, "人像数据无效", nil)
			return
		}
	}
	outcome := s.outcomeFor(sr.Number)
	if outcome == Unavailable {
		reply(w, 503, ctid.CodeBusy, "服务繁忙，请稍后重试", nil)
		return
	}
	h := sha256.Sum256([]byte(sr.Number))
	res := ctid.SealedResult{ResultCode: ctid.ResultPass, ResultMsg: "认证一致"}
	switch outcome {
	case Mismatch:
		res = ctid.SealedResult{ResultCode: ctid.ResultMismatch, ResultMsg: "姓名与号码不一致"}
	case NoRecord:
		res = ctid.SealedResult{ResultCode: ctid.ResultNoRecord, ResultMsg: "库中无此号"}
	case NoPhoto:
		if a.mode == "0x42" {
			res = ctid.SealedResult{ResultCode: ctid.ResultNoPhoto, ResultMsg: "库中无照片"}
		}
	case FaceMismatch:
		if a.mode == "0x42" {
			res = ctid.SealedResult{ResultCode: ctid.ResultFaceMismatch, Similarity: 20 + int(h[0])%30, ResultMsg: "人像比对不一致"}
		}
	}
	if res.ResultCode == ctid.ResultPass && a.mode == "0x42" {
		res.Similarity = 85 + int(h[0])%15
	}
	out, _ := json.Marshal(res)
	nonce, data, err := ctid.Seal(key, req.BizSerialNum, out)
	if err != nil {
		reply(w, 500, ctid.CodeBusy, "内部错误", nil)
		return
	}
	s.mu.Lock()
	s.requests++
	s.mu.Unlock()
	reply(w, 200, ctid.CodeOK, "成功", map[string]string{"nonce": nonce, "data": data})
}

func (s *Sim) outcomeFor(id string) string {
	s.mu.Lock()
	o, ok := s.override[id]
	s.mu.Unlock()
	if ok {
		return o
	}
	switch id[14:17] {
	case "990":
		return Mismatch
	case "991":
		return NoRecord
	case "992":
		return NoPhoto
	case "993":
		return Unavailable
	case "994":
		return FaceMismatch
	}
	return Valid
}

// ID builds a valid resident ID number (address 430102, 长沙市芙蓉区) for a
// birth date "YYYYMMDD" and a 3-digit sequence code, for tests and demo data.
func ID(birth, seq string) string {
	base := "430102" + birth + seq
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i := 0; i < 17 && i < len(base); i++ {
		sum += int(base[i]-'0') * weights[i]
	}
	return base + string("10X98765432"[sum%11])
}
