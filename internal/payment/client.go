package payment

import (
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
	"github.com/wechatpay-apiv3/wechatpay-go/core/option"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments/jsapi"
	"github.com/wechatpay-apiv3/wechatpay-go/services/refunddomestic"
)

// Client is a WeChat Pay API v3 merchant client (public-key mode).
// It is safe for concurrent use.
type Client struct {
	cfg     Config
	core    *core.Client
	jsapi   jsapi.JsapiApiService
	refunds refunddomestic.RefundsApiService
	notify  *notify.Handler
}

// New builds a client. It makes no network call.
func New(ctx context.Context, cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	priv, _ := ParsePrivateKey(cfg.PrivateKeyPEM)
	pub, _ := ParsePublicKey(cfg.PublicKeyPEM)
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.BaseURL != "" {
		rt, err := NewRewriteTransport(cfg.BaseURL, hc.Transport)
		if err != nil {
			return nil, err
		}
		c := *hc
		c.Transport = rt
		hc = &c
	}
	verifier := verifierFor(cfg.PublicKeyID, pub)
	authOpt := option.WithWechatPayPublicKeyAuthCipher(cfg.MchID, cfg.MerchantSerial, priv, cfg.PublicKeyID, pub)
	if cfg.PlatformCertsPEM != "" {
		certs, _ := ParseCertificates(cfg.PlatformCertsPEM)
		verifier = verifiers.NewSHA256WithRSACombinedVerifier(core.NewCertificateMapWithList(certs), cfg.PublicKeyID, *pub)
		authOpt = option.WithVerifier(verifier)
	}
	cc, err := core.NewClient(ctx,
		option.WithMerchantCredential(cfg.MchID, cfg.MerchantSerial, priv),
		authOpt,
		option.WithHTTPClient(hc),
	)
	if err != nil {
		return nil, fmt.Errorf("payment: new client: %w", err)
	}
	nh, err := notify.NewRSANotifyHandler(cfg.APIv3Key, verifier)
	if err != nil {
		return nil, fmt.Errorf("payment: new notify handler: %w", err)
	}
	return &Client{
		cfg:     cfg,
		core:    cc,
		jsapi:   jsapi.JsapiApiService{Client: cc},
		refunds: refunddomestic.RefundsApiService{Client: cc},
		notify:  nh,
	}, nil
}

func verifierFor(keyID string, pub *rsa.PublicKey) auth.Verifier {
	return verifiers.NewSHA256WithRSAPubkeyVerifier(keyID, *pub)
}

// Config returns the client's configuration.
func (c *Client) Config() Config { return c.cfg }

// ErrorCode returns the WeChat Pay error code (e.g. "ORDER_NOT_EXIST",
// "ORDERPAID", "SYSTEM_ERROR") carried by err, or "".
func ErrorCode(err error) string {
	var ae *core.APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// ErrorStatus returns the HTTP status of a WeChat Pay error answer, or 0.
func ErrorStatus(err error) int {
	var ae *core.APIError
	if errors.As(err, &ae) {
		return ae.StatusCode
	}
	return 0
}

// apiErr strips the SDK error down to status, code and message (the SDK's
// own Error() also dumps response headers).
func apiErr(err error) error {
	var ae *core.APIError
	if errors.As(err, &ae) {
		return &APIError{Status: ae.StatusCode, Code: ae.Code, Message: ae.Message, err: ae}
	}
	return err
}

// APIError is a WeChat Pay error answer.
type APIError struct {
	Status  int
	Code    string
	Message string
	err     *core.APIError
}

func (e *APIError) Error() string {
	return fmt.Sprintf("wechat pay answered %d %s: %s", e.Status, e.Code, e.Message)
}

// Unwrap gives errors.As access to the SDK error.
func (e *APIError) Unwrap() error { return e.err }

var outTradeNoRE = regexp.MustCompile(`^[0-9A-Za-z_\-|*]{6,32}$`)

// ValidOutTradeNo reports whether s is a valid out_trade_no (6–32 chars of [0-9A-Za-z_-|*]).
func ValidOutTradeNo(s string) bool { return outTradeNoRE.MatchString(s) }

// PrepayRequest describes a JSAPI order. AppID is the mini-program or 公众号
// appid the payer's OpenID belongs to; both must be bound to the merchant.
type PrepayRequest struct {
	AppID       string
	OpenID      string
	OutTradeNo  string
	Description string // shown on the user's bill, ≤127 chars
	Total       int64  // fen, > 0
	Attach      string // ≤128 chars, echoed back in notifications
	TimeExpire  time.Time
}

// PayParams are the wx.requestPayment / WeixinJSBridge parameters, signed
// with the merchant key over "appId\ntimeStamp\nnonceStr\npackage\n".
type PayParams struct {
	AppID     string `json:"appId"`
	TimeStamp string `json:"timeStamp"`
	NonceStr  string `json:"nonceStr"`
	Package   string `json:"package"`
	SignType  string `json:"signType"`
	PaySign   string `json:"paySign"`
	PrepayID  string `json:"-"`
}

func (r PrepayRequest) validate() error {
	switch {
	case r.AppID == "":
		return errors.New("appid is empty")
	case r.OpenID == "":
		return errors.New("payer openid is empty")
	case !ValidOutTradeNo(r.OutTradeNo):
		return fmt.Errorf("out_trade_no %q must be 6-32 chars of [0-9A-Za-z_-|*]", r.OutTradeNo)
	case r.Description == "" || utf8.RuneCountInString(r.Description) > 127:
		return errors.New("description must be 1-127 characters")
	case r.Total <= 0:
		return fmt.Errorf("amount %d fen must be positive", r.Total)
	case utf8.RuneCountInString(r.Attach) > 128:
		return errors.New("attach is longer than 128 characters")
	}
	return nil
}

// Prepay creates (or, inside time_expire, renews) the JSAPI order and returns
// the signed client parameters. The client's "requestPayment:ok" is not proof
// of payment: only a notification or Query decides.
func (c *Client) Prepay(ctx context.Context, r PrepayRequest) (*PayParams, error) {
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("payment: prepay %s: %w", r.OutTradeNo, err)
	}
	req := jsapi.PrepayRequest{
		Appid:       core.String(r.AppID),
		Mchid:       core.String(c.cfg.MchID),
		Description: core.String(r.Description),
		OutTradeNo:  core.String(r.OutTradeNo),
		NotifyUrl:   core.String(c.cfg.NotifyURL),
		Amount:      &jsapi.Amount{Total: core.Int64(r.Total), Currency: core.String("CNY")},
		Payer:       &jsapi.Payer{Openid: core.String(r.OpenID)},
	}
	if r.Attach != "" {
		req.Attach = core.String(r.Attach)
	}
	if !r.TimeExpire.IsZero() {
		t := r.TimeExpire.Truncate(time.Second)
		req.TimeExpire = &t
	}
	resp, _, err := c.jsapi.PrepayWithRequestPayment(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("payment: prepay %s: %w", r.OutTradeNo, apiErr(err))
	}
	return &PayParams{
		AppID: deref(resp.Appid), TimeStamp: deref(resp.TimeStamp), NonceStr: deref(resp.NonceStr),
		Package: deref(resp.Package), SignType: deref(resp.SignType), PaySign: deref(resp.PaySign),
		PrepayID: deref(resp.PrepayId),
	}, nil
}

// Query fetches the order state by out_trade_no. An order WeChat Pay does not
// know gives an error with ErrorCode "ORDER_NOT_EXIST".
func (c *Client) Query(ctx context.Context, outTradeNo string) (Transaction, error) {
	if !ValidOutTradeNo(outTradeNo) {
		return Transaction{}, fmt.Errorf("payment: query %q: invalid out_trade_no", outTradeNo)
	}
	tx, _, err := c.jsapi.QueryOrderByOutTradeNo(ctx, jsapi.QueryOrderByOutTradeNoRequest{
		OutTradeNo: core.String(outTradeNo), Mchid: core.String(c.cfg.MchID),
	})
	if err != nil {
		return Transaction{}, fmt.Errorf("payment: query %s: %w", outTradeNo, apiErr(err))
	}
	return fromSDK(tx), nil
}

// Close closes an unpaid order (WeChat answers 204). Closing a paid order
// fails with ErrorCode "ORDERPAID".
func (c *Client) Close(ctx context.Context, outTradeNo string) error {
	if !ValidOutTradeNo(outTradeNo) {
		return fmt.Errorf("payment: close %q: invalid out_trade_no", outTradeNo)
	}
	_, err := c.jsapi.CloseOrder(ctx, jsapi.CloseOrderRequest{
		OutTradeNo: core.String(outTradeNo), Mchid: core.String(c.cfg.MchID),
	})
	if err != nil {
		return fmt.Errorf("payment: close %s: %w", outTradeNo, apiErr(err))
	}
	return nil
}

func fromSDK(tx *payments.Transaction) Transaction {
	t := Transaction{
		OutTradeNo: deref(tx.OutTradeNo), TransactionID: deref(tx.TransactionId),
		AppID: deref(tx.Appid), MchID: deref(tx.Mchid), TradeState: deref(tx.TradeState),
	}
	if tx.Amount != nil {
		t.Total = derefInt(tx.Amount.Total)
		t.PayerTotal = derefInt(tx.Amount.PayerTotal)
		t.Currency = deref(tx.Amount.Currency)
	}
	if tx.Payer != nil {
		t.PayerOpenID = deref(tx.Payer.Openid)
	}
	if s := deref(tx.SuccessTime); s != "" {
		if st, err := time.Parse(time.RFC3339, s); err == nil {
			t.SuccessTime = st.UTC()
		}
	}
	return t
}

// OutRefundNo is the deterministic out_refund_no of the seq-th (1-based)
// refund request of an order: retries of the same request reuse it, so
// WeChat Pay never refunds twice. At most 36 characters.
func OutRefundNo(outTradeNo string, seq int) string {
	return outTradeNo + "R" + strconv.Itoa(seq)
}

// RefundRequest asks for a (full or partial) refund of a paid order.
type RefundRequest struct {
	OutTradeNo  string
	OutRefundNo string // use OutRefundNo(outTradeNo, seq); reuse on retry
	Reason      string // ≤80 chars, shown to the user
	Refund      int64  // fen, 0 < Refund ≤ Total
	Total       int64  // fen, the order total
}

// Refund submits a refund. The answer only means "accepted": the status is
// usually PROCESSING and the final state arrives by notification or
// QueryRefund. Resubmitting the same OutRefundNo is safe.
func (c *Client) Refund(ctx context.Context, r RefundRequest) (RefundResult, error) {
	switch {
	case !ValidOutTradeNo(r.OutTradeNo):
		return RefundResult{}, fmt.Errorf("payment: refund %q: invalid out_trade_no", r.OutTradeNo)
	case r.OutRefundNo == "" || len(r.OutRefundNo) > 64:
		return RefundResult{}, fmt.Errorf("payment: refund %s: out_refund_no must be 1-64 chars", r.OutTradeNo)
	case r.Refund <= 0 || r.Refund > r.Total:
		return RefundResult{}, fmt.Errorf("payment: refund %s: amount %d not in 1..%d fen", r.OutRefundNo, r.Refund, r.Total)
	case utf8.RuneCountInString(r.Reason) > 80:
		return RefundResult{}, fmt.Errorf("payment: refund %s: reason longer than 80 characters", r.OutRefundNo)
	}
	notifyURL := c.cfg.RefundNotifyURL
	if notifyURL == "" {
		notifyURL = c.cfg.NotifyURL
	}
	req := refunddomestic.CreateRequest{
		OutTradeNo:  core.String(r.OutTradeNo),
		OutRefundNo: core.String(r.OutRefundNo),
		NotifyUrl:   core.String(notifyURL),
		Amount: &refunddomestic.AmountReq{
			Refund: core.Int64(r.Refund), Total: core.Int64(r.Total), Currency: core.String("CNY"),
		},
	}
	if r.Reason != "" {
		req.Reason = core.String(r.Reason)
	}
	resp, _, err := c.refunds.Create(ctx, req)
	if err != nil {
		return RefundResult{}, fmt.Errorf("payment: refund %s: %w", r.OutRefundNo, apiErr(err))
	}
	return refundFromSDK(resp), nil
}

// QueryRefund fetches a refund's state by out_refund_no.
func (c *Client) QueryRefund(ctx context.Context, outRefundNo string) (RefundResult, error) {
	resp, _, err := c.refunds.QueryByOutRefundNo(ctx, refunddomestic.QueryByOutRefundNoRequest{
		OutRefundNo: core.String(outRefundNo),
	})
	if err != nil {
		return RefundResult{}, fmt.Errorf("payment: query refund %s: %w", outRefundNo, apiErr(err))
	}
	return refundFromSDK(resp), nil
}

func refundFromSDK(r *refunddomestic.Refund) RefundResult {
	out := RefundResult{
		OutRefundNo: deref(r.OutRefundNo), OutTradeNo: deref(r.OutTradeNo), RefundID: deref(r.RefundId),
	}
	if r.Status != nil {
		out.Status = string(*r.Status)
	}
	if r.Amount != nil {
		out.Refund = derefInt(r.Amount.Refund)
		out.Total = derefInt(r.Amount.Total)
	}
	if r.SuccessTime != nil {
		out.SuccessTime = r.SuccessTime.UTC()
	}
	return out
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func derefInt(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
