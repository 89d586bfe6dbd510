package wechatfake

import (
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"xiaoxiang/internal/wechat"
)

func (s *Sim) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /sns/jscode2session", s.jscode2session)
	m.HandleFunc("GET /sns/oauth2/access_token", s.oauthAccessToken)
	m.HandleFunc("GET /sns/userinfo", s.snsUserInfo)
	m.HandleFunc("POST /cgi-bin/stable_token", s.stableToken)
	m.HandleFunc("POST /cgi-bin/message/subscribe/send", s.subscribeSend)
	m.HandleFunc("POST /wxa/sec/order/is_trade_managed", s.isTradeManaged)
	m.HandleFunc("POST /wxa/sec/order/upload_shipping_info", s.uploadShipping)
	m.HandleFunc("GET /connect/oauth2/authorize", s.consentPage)
	m.HandleFunc("POST /sim/oauth/confirm", s.consentConfirm)
	m.HandleFunc("GET /sim/login-code", s.loginCode)
	m.HandleFunc("POST /sim/subscribe", s.subscribeAccept)

	m.HandleFunc("POST /v3/pay/transactions/jsapi", s.jsapiPrepay)
	m.HandleFunc("GET /v3/pay/transactions/out-trade-no/{no}", s.queryOrder)
	m.HandleFunc("POST /v3/pay/transactions/out-trade-no/{no}/close", s.closeOrder)
	m.HandleFunc("POST /v3/refund/domestic/refunds", s.createRefund)
	m.HandleFunc("GET /v3/refund/domestic/refunds/{no}", s.queryRefund)
	m.HandleFunc("GET /sim/pay", s.paySheet)
	m.HandleFunc("POST /sim/pay/confirm", s.payConfirm)
	m.HandleFunc("POST /sim/notify-mode", s.notifyModeHandler)
	s.mux = m
}

// checkDataValue applies WeChat's keyword rules; "" means valid.
func checkDataValue(key, value string) string {
	if err := wechat.CheckField(key, value); err != nil {
		return "invalid: " + err.Error()
	}
	return ""
}

const userCookie = "wxsim_user"

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}}</title>
<style>
body{margin:0;font-family:-apple-system,"PingFang SC","Microsoft YaHei",sans-serif;background:#ededed;color:#111}
.bar{background:#07c160;color:#fff;padding:10px 16px;font-size:13px}
.card{background:#fff;margin:16px;border-radius:12px;padding:20px}
h1{font-size:18px;margin:0 0 12px} .muted{color:#888;font-size:13px}
.amt{font-size:40px;font-weight:600;text-align:center;margin:16px 0}
label{display:block;margin:10px 0;font-size:14px} input[type=text],select{width:100%;padding:8px;box-sizing:border-box}
button{width:100%;padding:12px;border:0;border-radius:8px;font-size:16px;margin-top:10px}
.ok{background:#07c160;color:#fff}.no{background:#f2f2f2;color:#111}
details{margin-top:12px;font-size:13px} .err{color:#fa5151}
</style></head><body><div class="bar">微信（模拟器）· 仅用于开发测试，不产生真实交易</div>
{{if .Error}}<div class="card"><h1 class="err">{{.Error}}</h1></div>{{end}}
{{if .Consent}}<div class="card"><h1>网页授权</h1>
<p>该网页（{{.AppID}}）申请获得你的{{if eq .Scope "snsapi_userinfo"}}昵称、头像等公开信息{{else}}身份标识{{end}}。</p>
<form method="post" action="{{.Base}}/sim/oauth/confirm">
<input type="hidden" name="appid" value="{{.AppID}}"><input type="hidden" name="redirect_uri" value="{{.Redirect}}">
<input type="hidden" name="scope" value="{{.Scope}}"><input type="hidden" name="state" value="{{.State}}">
<label>模拟的微信用户<input type="text" name="user" value="{{.User}}" maxlength="64"></label>
<label><input type="checkbox" name="snapshot" value="1"> 以朋友圈快照页模式打开（is_snapshotuser=1）</label>
<button class="ok" name="decision" value="allow">允许</button>
<button class="no" name="decision" value="deny">拒绝</button></form></div>{{end}}
{{if .Pay}}<div class="card"><h1>微信支付</h1><p class="muted">{{.Description}}</p>
<div class="amt">¥{{.Amount}}</div><p class="muted">收款方：商户号 {{.MchID}} · 订单号 {{.OutTradeNo}}</p>
<form method="post" action="{{.Base}}/sim/pay/confirm">
{{range $k, $v := .Params}}<input type="hidden" name="{{$k}}" value="{{$v}}">{{end}}
<button class="ok" name="decision" value="pay">确认支付</button>
<button class="no" name="decision" value="cancel">取消</button>
<details><summary>开发者选项（通知投递）</summary>
<label>重复通知份数 <input type="text" name="duplicates" value="0"></label>
<label>首次投递延迟（毫秒） <input type="text" name="delay_ms" value="0"></label>
<label><input type="checkbox" name="out_of_order" value="1"> 乱序投递</label>
<label>伪造类型 <select name="forge"><option value="">无（真实通知）</option><option value="signature">错误签名</option>
<option value="serial">未知公钥ID</option><option value="stale">过期时间戳</option><option value="tamper">篡改密文（签名后）</option>
<option value="cipher">损坏密文（签名前）</option><option value="amount">金额不符</option><option value="replay">原样重放</option></select></label>
</details></form></div>{{end}}
</body></html>`))

type pageData struct {
	Title, Error, Base                     string
	Consent                                bool
	AppID, Redirect, Scope, State, User    string
	Pay                                    bool
	Description, Amount, MchID, OutTradeNo string
	Params                                 map[string]string
}

func (s *Sim) render(w http.ResponseWriter, status int, d pageData) {
	d.Base = s.basePath()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, d)
}

// basePath is the path part of the base URL, for form actions.
func (s *Sim) basePath() string {
	u, err := url.Parse(s.BaseURL())
	if err != nil {
		return ""
	}
	return strings.TrimRight(u.Path, "/")
}

// GET /connect/oauth2/authorize — the consent page. For snsapi_base with a
// remembered simulated user it redirects at once, like WeChat's silent auth.
func (s *Sim) consentPage(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	d := pageData{Title: "微信授权", AppID: q.Get("appid"), Redirect: q.Get("redirect_uri"), Scope: q.Get("scope"), State: q.Get("state")}
	ru, err := url.Parse(d.Redirect)
	switch {
	case d.AppID != s.opts.MPAppID:
		d.Error = "参数错误：appid 无效（40013）"
	case err != nil || ru.Host == "" || (ru.Scheme != "http" && ru.Scheme != "https"):
		d.Error = "redirect_uri 参数错误"
	case q.Get("response_type") != "code" || (d.Scope != wechat.ScopeBase && d.Scope != wechat.ScopeUserInfo):
		d.Error = "scope 参数错误或没有 scope 权限"
	case len(d.State) > 128:
		d.Error = "state 参数过长"
	}
	if d.Error != "" {
		s.render(w, http.StatusBadRequest, d)
		return
	}
	if ck, err := r.Cookie(userCookie); err == nil && ck.Value != "" && d.Scope != "" {
		d.User, _ = url.QueryUnescape(ck.Value)
		if d.Scope == wechat.ScopeBase {
			code := s.issueCode(s.opts.MPAppID, d.User, d.Scope, false)
			http.Redirect(w, r, withQuery(ru, code, d.State), http.StatusFound)
			return
		}
	}
	if d.User == "" {
		d.User = "sim-student-" + randDigits(4)
	}
	d.Consent = true
	s.render(w, http.StatusOK, d)
}

func withQuery(u *url.URL, code, state string) string {
	v := u.Query()
	if code != "" {
		v.Set("code", code)
	}
	v.Set("state", state)
	out := *u
	out.RawQuery = v.Encode()
	out.Fragment = ""
	return out.String()
}

// POST /sim/oauth/confirm
func (s *Sim) consentConfirm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	ru, err := url.Parse(r.PostForm.Get("redirect_uri"))
	if err != nil || ru.Host == "" || r.PostForm.Get("appid") != s.opts.MPAppID {
		s.render(w, http.StatusBadRequest, pageData{Title: "微信授权", Error: "授权参数错误"})
		return
	}
	state := r.PostForm.Get("state")
	if r.PostForm.Get("decision") != "allow" {
		http.Redirect(w, r, withQuery(ru, "", state), http.StatusFound)
		return
	}
	user := strings.TrimSpace(r.PostForm.Get("user"))
	if user == "" || len(user) > 64 {
		user = "sim-student"
	}
	http.SetCookie(w, &http.Cookie{Name: userCookie, Value: url.QueryEscape(user), Path: "/", MaxAge: 86400 * 30, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	code := s.issueCode(s.opts.MPAppID, user, r.PostForm.Get("scope"), r.PostForm.Get("snapshot") == "1")
	http.Redirect(w, r, withQuery(ru, code, state), http.StatusFound)
}

// GET /sim/login-code?user= — simulates wx.login in the mini-program.
func (s *Sim) loginCode(w http.ResponseWriter, r *http.Request) {
	user := r.URL.Query().Get("user")
	if user == "" || len(user) > 64 {
		writeJSON(w, http.StatusBadRequest, map[string]string{"errMsg": "login:fail user required"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"errMsg": "login:ok", "code": s.IssueLoginCode(user)})
}

// POST /sim/subscribe {openid, results:{tmpl:"accept"}} — simulates the
// user's answer in wx.requestSubscribeMessage.
func (s *Sim) subscribeAccept(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OpenID  string            `json:"openid"`
		Results map[string]string `json:"results"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 8192)).Decode(&req); err != nil || req.OpenID == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"errMsg": "requestSubscribeMessage:fail invalid args"})
		return
	}
	out := map[string]string{"errMsg": "requestSubscribeMessage:ok"}
	for tmpl, res := range req.Results {
		if res == "accept" {
			s.GrantSubscription(req.OpenID, tmpl, 1)
		}
		out[tmpl] = res
	}
	writeJSON(w, http.StatusOK, out)
}

// payParams are the wx.requestPayment parameters the sheet receives.
var payParamNames = []string{"appId", "timeStamp", "nonceStr", "package", "signType", "paySign", "return"}

// checkPaySign verifies paySign like the WeChat client does, and returns the order.
func (s *Sim) checkPaySign(p map[string]string) (*order, string, string) {
	if p["signType"] != "RSA" {
		return nil, "", "signType 必须为 RSA"
	}
	msg := p["appId"] + "\n" + p["timeStamp"] + "\n" + p["nonceStr"] + "\n" + p["package"] + "\n"
	if err := verifyRSA(&s.opts.MerchantKey.PublicKey, msg, p["paySign"]); err != nil {
		return nil, "", "支付验证签名失败"
	}
	ts, err := strconv.ParseInt(p["timeStamp"], 10, 64)
	if err != nil || absDur(time.Since(time.Unix(ts, 0))) > 2*time.Hour { // signed by the SDK with time.Now
		return nil, "", "timeStamp 无效"
	}
	prepayID, ok := strings.CutPrefix(p["package"], "prepay_id=")
	if !ok {
		return nil, "", "package 格式错误"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	no, ok := s.prepays[prepayID]
	if !ok {
		return nil, "", "prepay_id 无效或已过期"
	}
	o := s.orders[no]
	if o.AppID != p["appId"] {
		return nil, "", "appId 与下单时不一致"
	}
	if s.now().Sub(s.prepayAt[prepayID]) > 2*time.Hour {
		return nil, "", "prepay_id 已过期"
	}
	return o, prepayID, ""
}

// safeReturn accepts only same-site relative paths for the return link.
func safeReturn(s string) string {
	if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") && !strings.Contains(s, "\\") {
		return s
	}
	return ""
}

// GET /sim/pay?appId&timeStamp&nonceStr&package&signType&paySign&return — the “微信支付” sheet.
func (s *Sim) paySheet(w http.ResponseWriter, r *http.Request) {
	p := map[string]string{}
	for _, k := range payParamNames {
		p[k] = r.URL.Query().Get(k)
	}
	o, _, msg := s.checkPaySign(p)
	if msg != "" {
		s.render(w, http.StatusBadRequest, pageData{Title: "微信支付", Error: msg})
		return
	}
	s.mu.Lock()
	d := pageData{Title: "微信支付", Pay: true, Description: o.Description, Amount: fmt.Sprintf("%d.%02d", o.Total/100, o.Total%100),
		MchID: o.MchID, OutTradeNo: o.OutTradeNo, Params: p}
	if o.State != "NOTPAY" {
		d.Pay, d.Error = false, "订单状态为 "+o.State+"，无需支付"
	}
	s.mu.Unlock()
	s.render(w, http.StatusOK, d)
}

// POST /sim/pay/confirm — the user confirms (or cancels). It answers JSON
// ({"errMsg":"requestPayment:ok"}) to fetch/XHR callers, otherwise redirects
// to the return path with ?pay=ok|cancel.
func (s *Sim) payConfirm(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	p := map[string]string{}
	for _, k := range payParamNames {
		p[k] = r.PostForm.Get(k)
	}
	wantJSON := strings.Contains(r.Header.Get("Accept"), "application/json")
	answer := func(status int, errMsg, result string) {
		if ret := safeReturn(p["return"]); ret != "" && !wantJSON {
			sep := "?"
			if strings.Contains(ret, "?") {
				sep = "&"
			}
			http.Redirect(w, r, ret+sep+"pay="+result, http.StatusSeeOther)
			return
		}
		writeJSON(w, status, map[string]string{"errMsg": errMsg})
	}
	_, prepayID, msg := s.checkPaySign(p)
	if msg != "" {
		answer(http.StatusBadRequest, "requestPayment:fail "+msg, "fail")
		return
	}
	if r.PostForm.Get("decision") != "pay" {
		answer(http.StatusOK, "requestPayment:fail cancel", "cancel")
		return
	}
	s.mu.Lock()
	mode := s.notify
	s.mu.Unlock()
	if v := r.PostForm.Get("duplicates"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= 20 {
			mode.Duplicates = n
		}
	}
	if v := r.PostForm.Get("delay_ms"); v != "" {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= 600000 {
			mode.Delay = time.Duration(n) * time.Millisecond
		}
	}
	if r.PostForm.Get("out_of_order") == "1" {
		mode.OutOfOrder = true
	}
	if f := r.PostForm.Get("forge"); f != "" {
		mode.Forge = f
	}
	if _, err := s.Pay(prepayID, mode); err != nil {
		answer(http.StatusConflict, "requestPayment:fail "+err.Error(), "fail")
		return
	}
	answer(http.StatusOK, "requestPayment:ok", "ok")
}

// PaySheetURL returns the URL of the simulated payment sheet for params;
// ret is a same-site path to come back to.
func (s *Sim) PaySheetURL(appID, timeStamp, nonceStr, pkg, signType, paySign, ret string) string {
	v := url.Values{"appId": {appID}, "timeStamp": {timeStamp}, "nonceStr": {nonceStr}, "package": {pkg},
		"signType": {signType}, "paySign": {paySign}}
	if ret != "" {
		v.Set("return", ret)
	}
	return s.BaseURL() + "/sim/pay?" + v.Encode()
}
