package payment_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"xiaoxiang/internal/payment"
	"xiaoxiang/internal/payment/paymenttest"
	"xiaoxiang/internal/wechat/wechatfake"
)

var (
	keysOnce              sync.Once
	platformKey, merchKey *rsa.PrivateKey
)

func keys(t *testing.T) (*rsa.PrivateKey, *rsa.PrivateKey) {
	keysOnce.Do(func() {
		var err error
		if platformKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
		if merchKey, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			panic(err)
		}
	})
	return platformKey, merchKey
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	sim     *wechatfake.Sim
	srv     *httptest.Server
	client  *payment.Client
	store   *paymenttest.MemStore
	handler *payment.NotifyHandler
	hmu     sync.Mutex // guards handler swaps (the race detector does not see TCP ordering)
	logs    *syncBuffer
	appID   string
}

// newEnv mounts the simulator under /_sim/wechat (behind StripPrefix, as the
// web app does) and our notify handler at /pay/notify on one test server.
func newEnv(t *testing.T) *env { return newEnvClock(t, nil) }

func newEnvClock(t *testing.T, now func() time.Time) *env {
	t.Helper()
	pk, mk := keys(t)
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	sim, err := wechatfake.New(wechatfake.Options{PlatformKey: pk, MerchantKey: mk, RefundDelay: -1, Log: log, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{sim: sim, store: paymenttest.NewMemStore(), logs: logs, appID: sim.Options().MiniAppID}
	mux := http.NewServeMux()
	mux.Handle("/_sim/wechat/", http.StripPrefix("/_sim/wechat", sim))
	mux.HandleFunc("/pay/notify", func(w http.ResponseWriter, r *http.Request) {
		e.hmu.Lock()
		h := e.handler
		e.hmu.Unlock()
		h.ServeHTTP(w, r)
	})
	e.srv = httptest.NewServer(mux)
	sim.SetBaseURL(e.srv.URL + "/_sim/wechat")
	e.client, err = payment.New(context.Background(), sim.PayConfig(e.srv.URL+"/pay/notify"))
	if err != nil {
		t.Fatal(err)
	}
	e.setHandler(e.client.NotifyHandler(e.store, log))
	t.Cleanup(func() { sim.Close(); e.srv.Close() })
	return e
}

func (e *env) setHandler(h *payment.NotifyHandler) {
	e.hmu.Lock()
	e.handler = h
	e.hmu.Unlock()
}

func (e *env) order(t *testing.T, no string, total int64, created time.Time) {
	t.Helper()
	cfg := e.client.Config()
	if err := e.store.AddOrder(paymenttest.Order{OutTradeNo: no, AppID: e.appID, MchID: cfg.MchID, Total: total, CreatedAt: created}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) prepay(t *testing.T, no string, total int64) *payment.PayParams {
	t.Helper()
	pp, err := e.client.Prepay(context.Background(), payment.PrepayRequest{
		AppID: e.appID, OpenID: e.sim.OpenID(e.appID, "alice"), OutTradeNo: no, Description: "学历照片采集服务费", Total: total,
		TimeExpire: time.Now().Add(2 * time.Hour),
	})
	if err != nil {
		t.Fatal(err)
	}
	return pp
}

func TestPrepaySignedParams(t *testing.T) {
	e := newEnv(t)
	pp := e.prepay(t, "XX20260301A001", 1500)
	if pp.AppID != e.appID || pp.SignType != "RSA" || pp.Package != "prepay_id="+pp.PrepayID || pp.PaySign == "" {
		t.Fatalf("bad pay params: %+v", pp)
	}
	// The simulated WeChat client verifies paySign with the merchant's public key.
	resp, err := http.Get(e.sim.PaySheetURL(pp.AppID, pp.TimeStamp, pp.NonceStr, pp.Package, pp.SignType, pp.PaySign, "/pay/done"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("pay sheet with valid paySign: %d", resp.StatusCode)
	}
	resp, err = http.Get(e.sim.PaySheetURL(pp.AppID, pp.TimeStamp, pp.NonceStr+"x", pp.Package, pp.SignType, pp.PaySign, ""))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("pay sheet with altered nonce: %d, want 400", resp.StatusCode)
	}
}

func TestPrepayValidation(t *testing.T) {
	e := newEnv(t)
	ok := payment.PrepayRequest{AppID: e.appID, OpenID: "o1", OutTradeNo: "XX000001", Description: "费用", Total: 1}
	tests := []struct {
		name   string
		mutate func(*payment.PrepayRequest)
	}{
		{"short out_trade_no", func(r *payment.PrepayRequest) { r.OutTradeNo = "X1" }},
		{"bad char", func(r *payment.PrepayRequest) { r.OutTradeNo = "XX0000#1" }},
		{"zero amount", func(r *payment.PrepayRequest) { r.Total = 0 }},
		{"no openid", func(r *payment.PrepayRequest) { r.OpenID = "" }},
		{"long description", func(r *payment.PrepayRequest) { r.Description = strings.Repeat("长", 128) }},
	}
	for _, tc := range tests {
		r := ok
		tc.mutate(&r)
		if _, err := e.client.Prepay(context.Background(), r); err == nil {
			t.Errorf("%s: Prepay accepted %+v", tc.name, r)
		}
	}
	// An appid not bound to the merchant is refused by (simulated) WeChat Pay.
	r := ok
	r.AppID = "wx0000000000000bad"
	_, err := e.client.Prepay(context.Background(), r)
	if payment.ErrorCode(err) != "APPID_MCHID_NOT_MATCH" {
		t.Fatalf("foreign appid: err = %v", err)
	}
}

func TestWrongMerchantKeyRejected(t *testing.T) {
	e := newEnv(t)
	cfg := e.client.Config()
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	cfg.PrivateKeyPEM = payment.EncodePrivateKey(other)
	c, err := payment.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Query(context.Background(), "XX000000001")
	if payment.ErrorCode(err) != "SIGN_ERROR" || payment.ErrorStatus(err) != 401 {
		t.Fatalf("query signed with a foreign key: err = %v, want 401 SIGN_ERROR", err)
	}
}

func TestResponseFromImpostorRejected(t *testing.T) {
	// A server signing with another key (a man in the middle) must not be believed.
	e := newEnv(t)
	pk, mk := keys(t)
	_ = pk
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	imp, err := wechatfake.New(wechatfake.Options{PlatformKey: other, MerchantKey: mk, RefundDelay: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer imp.Close()
	srv := httptest.NewServer(imp)
	defer srv.Close()
	cfg := e.client.Config()
	cfg.BaseURL = srv.URL
	c, err := payment.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Prepay(context.Background(), payment.PrepayRequest{AppID: e.appID, OpenID: "o1", OutTradeNo: "XX000002", Description: "费用", Total: 1})
	if err == nil || !strings.Contains(err.Error(), "verif") {
		t.Fatalf("prepay answered by an impostor: err = %v, want a verification error", err)
	}
}

func TestNotifyPaysOnce(t *testing.T) {
	tests := []struct {
		name string
		mode wechatfake.NotifyMode
		n    int
	}{
		{"single", wechatfake.NotifyMode{}, 1},
		{"concurrent duplicates", wechatfake.NotifyMode{Duplicates: 7}, 8},
		{"out of order", wechatfake.NotifyMode{Duplicates: 2, OutOfOrder: true}, 3},
		{"replay", wechatfake.NotifyMode{Forge: wechatfake.ForgeReplay}, 2},
		{"delayed", wechatfake.NotifyMode{Delay: 50 * time.Millisecond}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			paid := 0
			var mu sync.Mutex
			h := e.client.NotifyHandler(e.store, nil)
			h.OnPaid = func(ctx context.Context, tx payment.Transaction) { mu.Lock(); paid++; mu.Unlock() }
			e.setHandler(h)
			e.order(t, "XXPAY000001", 1500, time.Now())
			pp := e.prepay(t, "XXPAY000001", 1500)
			if _, err := e.sim.Pay(pp.PrepayID, tc.mode); err != nil {
				t.Fatal(err)
			}
			ds := e.sim.WaitDeliveries(tc.n, 5*time.Second)
			if len(ds) != tc.n {
				t.Fatalf("deliveries = %d, want %d", len(ds), tc.n)
			}
			for _, d := range ds {
				if d.Status != http.StatusNoContent {
					t.Errorf("delivery answered %d %s, want 204", d.Status, d.Body)
				}
			}
			state, credits := e.store.State("XXPAY000001")
			mu.Lock()
			defer mu.Unlock()
			if state != paymenttest.StatePaid || credits != 1 || paid != 1 {
				t.Fatalf("state %s credited %d times, OnPaid %d; want paid once", state, credits, paid)
			}
			// The server-side query agrees.
			tx, err := e.client.Query(context.Background(), "XXPAY000001")
			if err != nil || tx.TradeState != payment.TradeSuccess || tx.Total != 1500 || tx.TransactionID == "" {
				t.Fatalf("query = %+v, %v", tx, err)
			}
		})
	}
}

func TestNotifyRejectsForgeries(t *testing.T) {
	tests := []struct {
		forge  string
		status int
		log    string
	}{
		{wechatfake.ForgeSignature, 401, "possible forgery"},
		{wechatfake.ForgeSerial, 401, "possible forgery"},
		{wechatfake.ForgeStale, 401, "possible forgery"},
		{wechatfake.ForgeTamper, 401, "possible forgery"},
		{wechatfake.ForgeCipher, 400, "cannot decrypt"},
		{wechatfake.ForgeAmount, 400, "does not match order"},
	}
	for _, tc := range tests {
		t.Run(tc.forge, func(t *testing.T) {
			e := newEnv(t)
			e.order(t, "XXFORGE0001", 1500, time.Now())
			pp := e.prepay(t, "XXFORGE0001", 1500)
			if _, err := e.sim.Pay(pp.PrepayID, wechatfake.NotifyMode{Forge: tc.forge}); err != nil {
				t.Fatal(err)
			}
			ds := e.sim.WaitDeliveries(1, 5*time.Second)
			if len(ds) != 1 || ds[0].Status != tc.status || !strings.Contains(ds[0].Body, `"code":"FAIL"`) {
				t.Fatalf("deliveries = %+v, want one answered %d with a FAIL body", ds, tc.status)
			}
			if state, _ := e.store.State("XXFORGE0001"); state != paymenttest.StateUnpaid {
				t.Fatalf("order is %s after a forged notification", state)
			}
			if !strings.Contains(e.logs.String(), tc.log) {
				t.Fatalf("log lacks %q:\n%s", tc.log, e.logs.String())
			}
			if strings.Contains(e.logs.String(), e.client.Config().APIv3Key) {
				t.Fatal("log contains the APIv3 key")
			}
		})
	}
}

func TestNotifyUnknownOrderAndRetry(t *testing.T) {
	e := newEnv(t)
	// Paid at WeChat, but our store does not know the order yet: 400 and WeChat retries.
	pp := e.prepay(t, "XXLATE00001", 800)
	if _, err := e.sim.Pay(pp.PrepayID, wechatfake.NotifyMode{Retries: 3, RetryEvery: 30 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	ds := e.sim.WaitDeliveries(1, 5*time.Second)
	if ds[0].Status != 400 {
		t.Fatalf("first delivery %d, want 400", ds[0].Status)
	}
	e.order(t, "XXLATE00001", 800, time.Now())
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if st, _ := e.store.State("XXLATE00001"); st == paymenttest.StatePaid {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("retry never credited the order; deliveries %+v", e.sim.Deliveries())
}

func TestNotifyMethodAndGarbage(t *testing.T) {
	e := newEnv(t)
	resp, err := http.Get(e.srv.URL + "/pay/notify")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 405 {
		t.Fatalf("GET notify = %d", resp.StatusCode)
	}
	resp, err = http.Post(e.srv.URL+"/pay/notify", "application/json", strings.NewReader(`{"id":"x"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("unsigned POST notify = %d, want 401", resp.StatusCode)
	}
}

func TestQueryCloseAndReprepay(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.client.Query(ctx, "XXNONE00001"); payment.ErrorCode(err) != "ORDER_NOT_EXIST" {
		t.Fatalf("query unknown: %v", err)
	}
	pp1 := e.prepay(t, "XXCLOSE0001", 990)
	pp2 := e.prepay(t, "XXCLOSE0001", 990) // same parameters inside time_expire: a fresh prepay_id
	if pp1.PrepayID == pp2.PrepayID {
		t.Fatal("re-prepay returned the same prepay_id")
	}
	tx, err := e.client.Query(ctx, "XXCLOSE0001")
	if err != nil || tx.TradeState != payment.TradeNotPay {
		t.Fatalf("query = %+v, %v", tx, err)
	}
	if err := e.client.Close(ctx, "XXCLOSE0001"); err != nil {
		t.Fatal(err)
	}
	if tx, err = e.client.Query(ctx, "XXCLOSE0001"); err != nil || tx.TradeState != payment.TradeClosed {
		t.Fatalf("query after close = %+v, %v", tx, err)
	}
	_, err = e.client.Prepay(ctx, payment.PrepayRequest{AppID: e.appID, OpenID: e.sim.OpenID(e.appID, "alice"), OutTradeNo: "XXCLOSE0001", Description: "学历照片采集服务费", Total: 990})
	if payment.ErrorCode(err) != "ORDER_CLOSED" {
		t.Fatalf("prepay closed order: %v", err)
	}
	// Closing a paid order fails with ORDERPAID.
	pp := e.prepay(t, "XXPAID00001", 100)
	if _, err := e.sim.Pay(pp.PrepayID, wechatfake.NotifyMode{}); err != nil {
		t.Fatal(err)
	}
	if err := e.client.Close(ctx, "XXPAID00001"); payment.ErrorCode(err) != "ORDERPAID" {
		t.Fatalf("close paid: %v", err)
	}
}

func TestRefundFlow(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.order(t, "XXREF000001", 1500, time.Now())
	pp := e.prepay(t, "XXREF000001", 1500)
	if _, err := e.sim.Pay(pp.PrepayID, wechatfake.NotifyMode{}); err != nil {
		t.Fatal(err)
	}
	e.sim.WaitDeliveries(1, 5*time.Second)
	no := payment.OutRefundNo("XXREF000001", 1)
	if err := e.store.AddRefund(no, "XXREF000001", 1000); err != nil {
		t.Fatal(err)
	}
	req := payment.RefundRequest{OutTradeNo: "XXREF000001", OutRefundNo: no, Reason: "学生申请退款", Refund: 1000, Total: 1500}
	r1, err := e.client.Refund(ctx, req)
	if err != nil || r1.Status != payment.RefundProcessing || r1.Refund != 1000 {
		t.Fatalf("refund = %+v, %v", r1, err)
	}
	// A retry with the same out_refund_no is the same refund, not a second one.
	r2, err := e.client.Refund(ctx, req)
	if err != nil || r2.RefundID != r1.RefundID {
		t.Fatalf("retried refund = %+v, %v; want refund id %s", r2, err, r1.RefundID)
	}
	// More than what is left is refused.
	_, err = e.client.Refund(ctx, payment.RefundRequest{OutTradeNo: "XXREF000001", OutRefundNo: payment.OutRefundNo("XXREF000001", 2), Refund: 600, Total: 1500})
	if payment.ErrorCode(err) != "NOT_ENOUGH" {
		t.Fatalf("over-refund: %v", err)
	}
	if q, err := e.client.QueryRefund(ctx, no); err != nil || q.Status != payment.RefundProcessing {
		t.Fatalf("query refund = %+v, %v", q, err)
	}
	if err := e.sim.SettleRefund(no, payment.RefundSuccess); err != nil {
		t.Fatal(err)
	}
	ds := e.sim.WaitDeliveries(2, 5*time.Second)
	if len(ds) != 2 || ds[1].Event != "REFUND.SUCCESS" || ds[1].Status != 204 {
		t.Fatalf("refund notification: %+v", ds)
	}
	if got := e.store.RefundStatus(no); got != payment.RefundSuccess {
		t.Fatalf("refund status %q, want SUCCESS", got)
	}
	if q, err := e.client.QueryRefund(ctx, no); err != nil || q.Status != payment.RefundSuccess || q.SuccessTime.IsZero() {
		t.Fatalf("query refund after success = %+v, %v", q, err)
	}
	if tx, err := e.client.Query(ctx, "XXREF000001"); err != nil || tx.TradeState != payment.TradeRefund {
		t.Fatalf("trade after refund = %+v, %v", tx, err)
	}
	if _, err := e.client.Refund(ctx, payment.RefundRequest{OutTradeNo: "XXREF000001", OutRefundNo: "R", Refund: 0, Total: 1500}); err == nil {
		t.Fatal("zero refund accepted")
	}
}

func TestReconciler(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := time.Now()
	// A: paid, notification lost (delayed beyond the test); B: prepaid, stale;
	// C: never reached WeChat Pay, stale; D: recent and unpaid.
	e.order(t, "XXRECA00001", 100, now.Add(-10*time.Minute))
	e.order(t, "XXRECB00001", 100, now.Add(-3*time.Hour))
	e.order(t, "XXRECC00001", 100, now.Add(-3*time.Hour))
	e.order(t, "XXRECD00001", 100, now.Add(-1*time.Minute))
	ppA := e.prepay(t, "XXRECA00001", 100)
	e.prepay(t, "XXRECB00001", 100)
	e.prepay(t, "XXRECD00001", 100)
	if _, err := e.sim.Pay(ppA.PrepayID, wechatfake.NotifyMode{Delay: time.Hour}); err != nil {
		t.Fatal(err)
	}
	// A refund whose notification never came.
	e.order(t, "XXRECE00001", 300, now.Add(-time.Hour))
	ppE := e.prepay(t, "XXRECE00001", 300)
	if _, err := e.sim.Pay(ppE.PrepayID, wechatfake.NotifyMode{Delay: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.MarkPaid(ctx, payment.Transaction{OutTradeNo: "XXRECE00001", AppID: e.appID, MchID: e.client.Config().MchID, Total: 300}); err != nil {
		t.Fatal(err)
	}
	rno := payment.OutRefundNo("XXRECE00001", 1)
	_ = e.store.AddRefund(rno, "XXRECE00001", 300)
	if _, err := e.client.Refund(ctx, payment.RefundRequest{OutTradeNo: "XXRECE00001", OutRefundNo: rno, Refund: 300, Total: 300}); err != nil {
		t.Fatal(err)
	}
	e.sim.SetNotifyMode(wechatfake.NotifyMode{Delay: time.Hour})
	if err := e.sim.SettleRefund(rno, payment.RefundSuccess); err != nil {
		t.Fatal(err)
	}

	rec := &payment.Reconciler{Client: e.client, Store: e.store, QueryAfter: 5 * time.Minute, CloseAfter: 2 * time.Hour}
	st, err := rec.RunOnce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"XXRECA00001": paymenttest.StatePaid, "XXRECB00001": paymenttest.StateClosed,
		"XXRECC00001": paymenttest.StateClosed, "XXRECD00001": paymenttest.StateUnpaid}
	for no, w := range want {
		if got, _ := e.store.State(no); got != w {
			t.Errorf("%s: state %s, want %s", no, got, w)
		}
	}
	if st.Paid != 1 || st.Closed != 2 || st.Refunds != 1 || st.Errors != 0 {
		t.Errorf("stats = %+v", st)
	}
	if tx, err := e.client.Query(ctx, "XXRECB00001"); err != nil || tx.TradeState != payment.TradeClosed {
		t.Errorf("B at WeChat Pay: %+v, %v; want CLOSED", tx, err)
	}
	if got := e.store.RefundStatus(rno); got != payment.RefundSuccess {
		t.Errorf("refund status %q", got)
	}
	// A second pass changes nothing.
	st, err = rec.RunOnce(ctx)
	if err != nil || st.Paid+st.Closed+st.Refunds+st.Errors != 0 {
		t.Fatalf("second pass = %+v, %v", st, err)
	}
}

func TestConfigMasksSecrets(t *testing.T) {
	e := newEnv(t)
	cfg := e.client.Config()
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("cfg", "payment", cfg)
	for _, s := range []string{cfg.String(), buf.String()} {
		if strings.Contains(s, cfg.APIv3Key) || strings.Contains(s, "PRIVATE KEY") {
			t.Fatalf("secret printed: %s", s)
		}
	}
	bad := cfg
	bad.APIv3Key = "short"
	bad.NotifyURL = "https://x.example/notify?x=1"
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "APIv3Key") || !strings.Contains(err.Error(), "query") {
		t.Fatalf("Validate = %v", err)
	}
	prod := cfg
	prod.BaseURL = ""
	if err := prod.Validate(); err == nil || !errors.Is(err, err) || !strings.Contains(err.Error(), "https") {
		t.Fatalf("production http notify URL accepted: %v", err)
	}
}

// The app may run the simulator on a fake business clock; signatures must
// still carry wall-clock timestamps the SDK accepts.
func TestSimulatorOnFakeClock(t *testing.T) {
	fixed := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	e := newEnvClock(t, func() time.Time { return fixed })
	e.order(t, "XXCLOCK0001", 500, fixed)
	pp := e.prepay(t, "XXCLOCK0001", 500)
	if _, err := e.sim.Pay(pp.PrepayID, wechatfake.NotifyMode{}); err != nil {
		t.Fatal(err)
	}
	ds := e.sim.WaitDeliveries(1, 5*time.Second)
	if len(ds) != 1 || ds[0].Status != 204 {
		t.Fatalf("deliveries %+v", ds)
	}
	tx, err := e.client.Query(context.Background(), "XXCLOCK0001")
	if err != nil || !tx.SuccessTime.Equal(fixed) {
		t.Fatalf("query = %+v, %v; success time should follow the simulator clock", tx, err)
	}
}

// During WeChat Pay's certificate→public-key migration, answers and
// notifications may be signed with the old platform certificate.
func TestCertificateMigration(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.order(t, "XXMIGR00001", 700, time.Now())
	pp := e.prepay(t, "XXMIGR00001", 700)
	e.sim.SetCertificateSigning(true)

	// Public-key-only client: certificate-signed answers and notifications are refused.
	if _, err := e.client.Query(ctx, "XXMIGR00001"); err == nil {
		t.Fatal("public-key-only client accepted a certificate-signed answer")
	}
	if _, err := e.sim.Pay(pp.PrepayID, wechatfake.NotifyMode{}); err != nil {
		t.Fatal(err)
	}
	if ds := e.sim.WaitDeliveries(1, 5*time.Second); len(ds) != 1 || ds[0].Status != 401 {
		t.Fatalf("deliveries %+v, want one 401", ds)
	}

	// With the platform certificate configured, both schemes verify.
	cfg := e.client.Config()
	cfg.PlatformCertsPEM = e.sim.PlatformCertificatePEM()
	c2, err := payment.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.setHandler(c2.NotifyHandler(e.store, nil))
	tx, err := c2.Query(ctx, "XXMIGR00001")
	if err != nil || tx.TradeState != payment.TradeSuccess {
		t.Fatalf("query with certificate: %+v %v", tx, err)
	}
	e.sim.SetCertificateSigning(false)
	if _, err := c2.Query(ctx, "XXMIGR00001"); err != nil {
		t.Fatalf("combined verifier refused a public-key answer: %v", err)
	}
	bad := cfg
	bad.PlatformCertsPEM = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"
	if err := bad.Validate(); err == nil {
		t.Fatal("garbage certificate accepted")
	}
}

// failingStore injects a database failure.
type failingStore struct{ *paymenttest.MemStore }

func (failingStore) MarkPaid(context.Context, payment.Transaction) (bool, error) {
	return false, errors.New("database is locked")
}

func TestNotifyStoreFailureAndUnknownRefund(t *testing.T) {
	e := newEnv(t)
	e.setHandler(e.client.NotifyHandler(failingStore{e.store}, nil))
	e.order(t, "XXFAIL00001", 100, time.Now())
	pp := e.prepay(t, "XXFAIL00001", 100)
	if _, err := e.sim.Pay(pp.PrepayID, wechatfake.NotifyMode{Retries: 1, RetryEvery: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	ds := e.sim.WaitDeliveries(2, 5*time.Second)
	if len(ds) != 2 || ds[0].Status != 500 || ds[1].Status != 500 || ds[1].Attempt != 2 {
		t.Fatalf("deliveries %+v, want two 500s (retried)", ds)
	}
	// A refund we never asked for is not acknowledged.
	e.setHandler(e.client.NotifyHandler(e.store, nil))
	if _, err := e.client.Refund(context.Background(), payment.RefundRequest{OutTradeNo: "XXFAIL00001", OutRefundNo: "XXFAIL00001R1", Refund: 100, Total: 100}); err != nil {
		t.Fatal(err)
	}
	if err := e.sim.SettleRefund("XXFAIL00001R1", payment.RefundClosed); err != nil {
		t.Fatal(err)
	}
	ds = e.sim.WaitDeliveries(3, 5*time.Second)
	if len(ds) != 3 || ds[2].Event != "REFUND.CLOSED" || ds[2].Status != 400 {
		t.Fatalf("unknown refund delivery %+v, want 400", ds)
	}
}
