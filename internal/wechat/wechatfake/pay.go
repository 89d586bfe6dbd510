package wechatfake

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var cst = time.FixedZone("CST", 8*3600)

type order struct {
	AppID, MchID, Description, OutTradeNo, NotifyURL, Attach, OpenID string
	Total                                                            int64
	State                                                            string
	PrepayID                                                         string
	TransactionID                                                    string
	Created, TimeExpire, SuccessTime                                 time.Time
	Refunded                                                         int64
}

type refund struct {
	OutRefundNo, OutTradeNo, TransactionID, RefundID, Reason, NotifyURL, Status string
	Refund, Total                                                               int64
	Created, SuccessTime                                                        time.Time
}

var outTradeNoRE = regexp.MustCompile(`^[0-9A-Za-z_\-|*]{6,32}$`)
var outRefundNoRE = regexp.MustCompile(`^[0-9A-Za-z_\-|*@]{1,64}$`)

// payErr answers a WeChat Pay error, signed like every answer.
func (s *Sim) payErr(w http.ResponseWriter, status int, code, msg string) {
	s.signedJSON(w, status, map[string]any{"code": code, "message": msg})
}

// signedJSON writes a WeChat Pay answer with Wechatpay-* signature headers
// over "timestamp\nnonce\nbody\n" (SHA256withRSA, platform key).
func (s *Sim) signedJSON(w http.ResponseWriter, status int, v any) {
	var body []byte
	if v != nil {
		body, _ = json.Marshal(v)
	}
	// Signature timestamps are wall-clock time: the SDK checks them against
	// time.Now, whatever clock the simulator's business logic runs on.
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := randHex(16)
	sig, _ := signRSA(s.opts.PlatformKey, ts+"\n"+nonce+"\n"+string(body)+"\n")
	h := w.Header()
	h.Set("Request-Id", randHex(16))
	h.Set("Wechatpay-Timestamp", ts)
	h.Set("Wechatpay-Nonce", nonce)
	h.Set("Wechatpay-Signature", sig)
	h.Set("Wechatpay-Serial", s.signingSerial())
	h.Set("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048")
	if body != nil {
		h.Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func signRSA(k *rsa.PrivateKey, msg string) (string, error) {
	d := sha256.Sum256([]byte(msg))
	sig, err := rsa.SignPKCS1v15(rand.Reader, k, crypto.SHA256, d[:])
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(sig), nil
}

func verifyRSA(k *rsa.PublicKey, msg, sig string) error {
	raw, err := base64.StdEncoding.DecodeString(sig)
	if err != nil {
		return errors.New("signature is not base64")
	}
	d := sha256.Sum256([]byte(msg))
	return rsa.VerifyPKCS1v15(k, crypto.SHA256, d[:], raw)
}

var authRE = regexp.MustCompile(`(\w+)="([^"]*)"`)

// authenticate verifies the merchant's Authorization header
// (WECHATPAY2-SHA256-RSA2048) over METHOD\nURL\ntimestamp\nnonce\nbody\n and
// returns the body. On failure it has answered 401 SIGN_ERROR.
func (s *Sim) authenticate(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		s.payErr(w, http.StatusBadRequest, "PARAM_ERROR", "请求体过大或无法读取")
		return nil, false
	}
	auth := r.Header.Get("Authorization")
	const scheme = "WECHATPAY2-SHA256-RSA2048 "
	if !strings.HasPrefix(auth, scheme) {
		s.payErr(w, http.StatusUnauthorized, "SIGN_ERROR", "Authorization 头缺失或认证类型不正确")
		return nil, false
	}
	f := map[string]string{}
	for _, m := range authRE.FindAllStringSubmatch(auth[len(scheme):], -1) {
		f[m[1]] = m[2]
	}
	if f["mchid"] != s.opts.MchID {
		s.payErr(w, http.StatusUnauthorized, "SIGN_ERROR", "商户号与签名不匹配")
		return nil, false
	}
	if f["serial_no"] != s.opts.MerchantSerial {
		s.payErr(w, http.StatusUnauthorized, "SIGN_ERROR", "商户证书序列号有误")
		return nil, false
	}
	ts, err := strconv.ParseInt(f["timestamp"], 10, 64)
	if err != nil || absDur(time.Since(time.Unix(ts, 0))) >= 5*time.Minute {
		s.payErr(w, http.StatusUnauthorized, "SIGN_ERROR", "时间戳过期或格式错误")
		return nil, false
	}
	uri := r.URL.EscapedPath()
	if r.URL.RawQuery != "" {
		uri += "?" + r.URL.RawQuery
	}
	msg := r.Method + "\n" + uri + "\n" + f["timestamp"] + "\n" + f["nonce_str"] + "\n" + string(body) + "\n"
	if err := verifyRSA(&s.opts.MerchantKey.PublicKey, msg, f["signature"]); err != nil {
		s.payErr(w, http.StatusUnauthorized, "SIGN_ERROR", "签名错误")
		return nil, false
	}
	return body, true
}

func absDur(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// POST /v3/pay/transactions/jsapi
func (s *Sim) jsapiPrepay(w http.ResponseWriter, r *http.Request) {
	body, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	var req struct {
		AppID       string     `json:"appid"`
		MchID       string     `json:"mchid"`
		Description string     `json:"description"`
		OutTradeNo  string     `json:"out_trade_no"`
		TimeExpire  *time.Time `json:"time_expire"`
		Attach      string     `json:"attach"`
		NotifyURL   string     `json:"notify_url"`
		Amount      struct {
			Total    int64  `json:"total"`
			Currency string `json:"currency"`
		} `json:"amount"`
		Payer struct {
			OpenID string `json:"openid"`
		} `json:"payer"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		s.payErr(w, http.StatusBadRequest, "PARAM_ERROR", "请求体不是合法的JSON")
		return
	}
	nu, err := url.Parse(req.NotifyURL)
	switch {
	case req.MchID != s.opts.MchID:
		s.payErr(w, http.StatusBadRequest, "MCH_NOT_EXISTS", "商户号不存在")
		return
	case req.AppID != s.opts.MiniAppID && req.AppID != s.opts.MPAppID:
		s.payErr(w, http.StatusBadRequest, "APPID_MCHID_NOT_MATCH", "appid和mch_id不匹配")
		return
	case !outTradeNoRE.MatchString(req.OutTradeNo):
		s.payErr(w, http.StatusBadRequest, "PARAM_ERROR", "out_trade_no 格式错误")
		return
	case req.Description == "" || len([]rune(req.Description)) > 127:
		s.payErr(w, http.StatusBadRequest, "PARAM_ERROR", "description 长度不合法")
		return
	case req.Amount.Total <= 0 || (req.Amount.Currency != "" && req.Amount.Currency != "CNY"):
		s.payErr(w, http.StatusBadRequest, "PARAM_ERROR", "amount 不合法")
		return
	case req.Payer.OpenID == "":
		s.payErr(w, http.StatusBadRequest, "PARAM_ERROR", "缺少 payer.openid")
		return
	case err != nil || nu.Host == "" || nu.RawQuery != "" || (nu.Scheme != "https" && nu.Scheme != "http"):
		s.payErr(w, http.StatusBadRequest, "PARAM_ERROR", "notify_url 格式错误")
		return
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[req.OutTradeNo]
	if o != nil {
		switch {
		case o.State == "SUCCESS" || o.State == "REFUND":
			s.payErr(w, http.StatusBadRequest, "ORDERPAID", "该订单已支付")
			return
		case o.State == "CLOSED":
			s.payErr(w, http.StatusBadRequest, "ORDER_CLOSED", "订单已关闭")
			return
		case o.AppID != req.AppID || o.Total != req.Amount.Total || o.OpenID != req.Payer.OpenID || o.Description != req.Description:
			s.payErr(w, http.StatusBadRequest, "INVALID_REQUEST", "201 商户订单号重复")
			return
		case now.After(o.TimeExpire):
			s.payErr(w, http.StatusBadRequest, "ORDER_CLOSED", "订单已过期，请使用新的商户订单号")
			return
		}
	} else {
		exp := now.Add(7 * 24 * time.Hour)
		if req.TimeExpire != nil {
			exp = *req.TimeExpire
		}
		o = &order{
			AppID: req.AppID, MchID: req.MchID, Description: req.Description, OutTradeNo: req.OutTradeNo,
			NotifyURL: req.NotifyURL, Attach: req.Attach, OpenID: req.Payer.OpenID, Total: req.Amount.Total,
			State: "NOTPAY", Created: now, TimeExpire: exp,
		}
		s.orders[o.OutTradeNo] = o
	}
	o.PrepayID = "wx" + now.In(cst).Format("020150405") + randHex(12)
	s.prepays[o.PrepayID] = o.OutTradeNo
	s.prepayAt[o.PrepayID] = now
	s.signedJSON(w, http.StatusOK, map[string]string{"prepay_id": o.PrepayID})
}

// transactionJSON is the v3 transaction object (query answer and the
// notification plaintext).
func (o *order) transactionJSON() map[string]any {
	t := map[string]any{
		"appid": o.AppID, "mchid": o.MchID, "out_trade_no": o.OutTradeNo, "trade_state": o.State,
		"trade_state_desc": tradeStateDesc[o.State], "attach": o.Attach,
		"amount": map[string]any{"total": o.Total, "currency": "CNY"},
		"payer":  map[string]any{"openid": o.OpenID},
	}
	if o.TransactionID != "" {
		t["transaction_id"] = o.TransactionID
		t["trade_type"] = "JSAPI"
		t["bank_type"] = "OTHERS"
		t["success_time"] = o.SuccessTime.In(cst).Format(time.RFC3339)
		t["amount"] = map[string]any{"total": o.Total, "payer_total": o.Total, "currency": "CNY", "payer_currency": "CNY"}
	}
	return t
}

var tradeStateDesc = map[string]string{"SUCCESS": "支付成功", "NOTPAY": "未支付", "CLOSED": "已关闭", "REFUND": "转入退款"}

func (s *Sim) orderFor(w http.ResponseWriter, r *http.Request) (*order, bool) {
	no := r.PathValue("no")
	s.mu.Lock()
	o := s.orders[no]
	s.mu.Unlock()
	if o == nil {
		s.payErr(w, http.StatusNotFound, "ORDER_NOT_EXIST", "订单不存在")
		return nil, false
	}
	return o, true
}

// GET /v3/pay/transactions/out-trade-no/{no}?mchid=
func (s *Sim) queryOrder(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r); !ok {
		return
	}
	if r.URL.Query().Get("mchid") != s.opts.MchID {
		s.payErr(w, http.StatusBadRequest, "PARAM_ERROR", "mchid 与请求方不一致")
		return
	}
	o, ok := s.orderFor(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	t := o.transactionJSON()
	s.mu.Unlock()
	s.signedJSON(w, http.StatusOK, t)
}

// POST /v3/pay/transactions/out-trade-no/{no}/close
func (s *Sim) closeOrder(w http.ResponseWriter, r *http.Request) {
	body, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	var req struct {
		MchID string `json:"mchid"`
	}
	if err := json.Unmarshal(body, &req); err != nil || req.MchID != s.opts.MchID {
		s.payErr(w, http.StatusBadRequest, "PARAM_ERROR", "mchid 不正确")
		return
	}
	o, ok := s.orderFor(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	state := o.State
	if state == "NOTPAY" {
		o.State = "CLOSED"
	}
	s.mu.Unlock()
	if state == "SUCCESS" || state == "REFUND" {
		s.payErr(w, http.StatusBadRequest, "ORDERPAID", "订单已支付")
		return
	}
	s.signedJSON(w, http.StatusNoContent, nil)
}

// Pay marks the order of prepayID as paid by its payer (what the user's
// "确认支付" does) and starts the notification deliveries per mode.
func (s *Sim) Pay(prepayID string, mode NotifyMode) (outTradeNo string, err error) {
	now := s.now()
	s.mu.Lock()
	no, ok := s.prepays[prepayID]
	if !ok {
		s.mu.Unlock()
		return "", fmt.Errorf("wechatfake: unknown prepay_id")
	}
	o := s.orders[no]
	switch {
	case o.State != "NOTPAY":
		s.mu.Unlock()
		return "", fmt.Errorf("wechatfake: order is %s", o.State)
	case now.After(o.TimeExpire):
		o.State = "CLOSED"
		s.mu.Unlock()
		return "", fmt.Errorf("wechatfake: order expired")
	}
	o.State = "SUCCESS"
	o.SuccessTime = now
	o.TransactionID = "42000" + strconv.Itoa(1000+s.nextSeq()) + now.In(cst).Format("20060102") + randDigits(10)
	tx := o.transactionJSON()
	notifyURL := o.NotifyURL
	s.mu.Unlock()
	s.deliver(notifyURL, "TRANSACTION.SUCCESS", "transaction", "支付成功", tx, mode, no)
	return no, nil
}

func randDigits(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}

// POST /v3/refund/domestic/refunds
func (s *Sim) createRefund(w http.ResponseWriter, r *http.Request) {
	body, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	var req struct {
		TransactionID string `json:"transaction_id"`
		OutTradeNo    string `json:"out_trade_no"`
		OutRefundNo   string `json:"out_refund_no"`
		Reason        string `json:"reason"`
		NotifyURL     string `json:"notify_url"`
		Amount        struct {
			Refund   int64  `json:"refund"`
			Total    int64  `json:"total"`
			Currency string `json:"currency"`
		} `json:"amount"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		s.payErr(w, http.StatusBadRequest, "PARAM_ERROR", "请求体不是合法的JSON")
		return
	}
	if !outRefundNoRE.MatchString(req.OutRefundNo) {
		s.payErr(w, http.StatusBadRequest, "PARAM_ERROR", "out_refund_no 格式错误")
		return
	}
	now := s.now()
	s.mu.Lock()
	if rf := s.refunds[req.OutRefundNo]; rf != nil {
		// Same out_refund_no: the same refund, never a second one.
		if rf.OutTradeNo != req.OutTradeNo || rf.Refund != req.Amount.Refund {
			s.mu.Unlock()
			s.payErr(w, http.StatusBadRequest, "INVALID_REQUEST", "退款单号已存在且参数不一致")
			return
		}
		out := rf.json(s.opts.MchID)
		s.mu.Unlock()
		s.signedJSON(w, http.StatusOK, out)
		return
	}
	o := s.orders[req.OutTradeNo]
	if o == nil && req.TransactionID != "" {
		for _, x := range s.orders {
			if x.TransactionID == req.TransactionID {
				o = x
			}
		}
	}
	switch {
	case o == nil:
		s.mu.Unlock()
		s.payErr(w, http.StatusNotFound, "RESOURCE_NOT_EXISTS", "订单不存在")
		return
	case o.State != "SUCCESS" && o.State != "REFUND":
		s.mu.Unlock()
		s.payErr(w, http.StatusForbidden, "NOT_ENOUGH", "订单未支付，无法退款")
		return
	case req.Amount.Total != o.Total:
		s.mu.Unlock()
		s.payErr(w, http.StatusBadRequest, "PARAM_ERROR", "订单金额与原订单不一致")
		return
	case req.Amount.Refund <= 0 || o.Refunded+req.Amount.Refund > o.Total:
		s.mu.Unlock()
		s.payErr(w, http.StatusForbidden, "NOT_ENOUGH", "退款金额超过可退金额")
		return
	case now.Sub(o.SuccessTime) > 365*24*time.Hour:
		s.mu.Unlock()
		s.payErr(w, http.StatusBadRequest, "INVALID_REQUEST", "订单已超过退款期限")
		return
	}
	o.Refunded += req.Amount.Refund
	o.State = "REFUND"
	rf := &refund{
		OutRefundNo: req.OutRefundNo, OutTradeNo: o.OutTradeNo, TransactionID: o.TransactionID,
		RefundID: "50300" + randDigits(24), Reason: req.Reason, NotifyURL: req.NotifyURL, Status: "PROCESSING",
		Refund: req.Amount.Refund, Total: o.Total, Created: now,
	}
	s.refunds[rf.OutRefundNo] = rf
	out := rf.json(s.opts.MchID)
	s.mu.Unlock()
	if s.opts.RefundDelay > 0 {
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(s.opts.RefundDelay):
			}
			_ = s.SettleRefund(rf.OutRefundNo, "SUCCESS")
		}()
	}
	s.signedJSON(w, http.StatusOK, out)
}

func (rf *refund) json(mchid string) map[string]any {
	m := map[string]any{
		"refund_id": rf.RefundID, "out_refund_no": rf.OutRefundNo, "transaction_id": rf.TransactionID,
		"out_trade_no": rf.OutTradeNo, "channel": "ORIGINAL", "user_received_account": "支付用户零钱",
		"create_time": rf.Created.In(cst).Format(time.RFC3339), "status": rf.Status, "funds_account": "AVAILABLE",
		"amount": map[string]any{"total": rf.Total, "refund": rf.Refund, "payer_total": rf.Total, "payer_refund": rf.Refund,
			"settlement_refund": rf.Refund, "settlement_total": rf.Total, "discount_refund": 0, "currency": "CNY", "refund_fee": 0},
	}
	if !rf.SuccessTime.IsZero() {
		m["success_time"] = rf.SuccessTime.In(cst).Format(time.RFC3339)
	}
	return m
}

// SettleRefund moves a PROCESSING/ABNORMAL refund to status (SUCCESS,
// CLOSED or ABNORMAL) and sends the REFUND.* notification.
func (s *Sim) SettleRefund(outRefundNo, status string) error {
	now := s.now()
	s.mu.Lock()
	rf := s.refunds[outRefundNo]
	if rf == nil {
		s.mu.Unlock()
		return fmt.Errorf("wechatfake: unknown refund %s", outRefundNo)
	}
	if rf.Status == "SUCCESS" || rf.Status == "CLOSED" {
		s.mu.Unlock()
		return fmt.Errorf("wechatfake: refund %s already %s", outRefundNo, rf.Status)
	}
	rf.Status = status
	if status == "SUCCESS" {
		rf.SuccessTime = now
	}
	if status == "CLOSED" {
		if o := s.orders[rf.OutTradeNo]; o != nil {
			o.Refunded -= rf.Refund
		}
	}
	res := map[string]any{
		"mchid": s.opts.MchID, "out_trade_no": rf.OutTradeNo, "transaction_id": rf.TransactionID,
		"out_refund_no": rf.OutRefundNo, "refund_id": rf.RefundID, "refund_status": status,
		"user_received_account": "支付用户零钱",
		"amount":                map[string]any{"total": rf.Total, "refund": rf.Refund, "payer_total": rf.Total, "payer_refund": rf.Refund},
	}
	if status == "SUCCESS" {
		res["success_time"] = now.In(cst).Format(time.RFC3339)
	}
	notifyURL := rf.NotifyURL
	mode := s.notify
	s.mu.Unlock()
	if notifyURL != "" {
		s.deliver(notifyURL, "REFUND."+status, "refund", "退款状态变更", res, mode, outRefundNo)
	}
	return nil
}

// GET /v3/refund/domestic/refunds/{no}
func (s *Sim) queryRefund(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authenticate(w, r); !ok {
		return
	}
	s.mu.Lock()
	rf := s.refunds[r.PathValue("no")]
	var out map[string]any
	if rf != nil {
		out = rf.json(s.opts.MchID)
	}
	s.mu.Unlock()
	if rf == nil {
		s.payErr(w, http.StatusNotFound, "RESOURCE_NOT_EXISTS", "退款单不存在")
		return
	}
	s.signedJSON(w, http.StatusOK, out)
}

// encryptResource seals plaintext with AEAD_AES_256_GCM (APIv3 key).
func encryptResource(key, plaintext []byte, ad string) (nonce, ciphertext string, err error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return "", "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return "", "", err
	}
	nonce = randAlnum(12)
	ct := gcm.Seal(nil, []byte(nonce), plaintext, []byte(ad))
	return nonce, base64.StdEncoding.EncodeToString(ct), nil
}
