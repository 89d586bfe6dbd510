package wechatfake_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/validators"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/verifiers"
	"github.com/wechatpay-apiv3/wechatpay-go/core/notify"
	"github.com/wechatpay-apiv3/wechatpay-go/services/payments"

	"xiaoxiang/internal/payment"
	"xiaoxiang/internal/wechat/wechatfake"
)

// captured notifications, as our server received them.
type capture struct {
	mu   sync.Mutex
	reqs []*http.Request
	body [][]byte
}

func (c *capture) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	c.mu.Lock()
	c.reqs = append(c.reqs, r.Clone(context.Background()))
	c.body = append(c.body, b)
	c.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// TestSignaturesVerifyWithOfficialSDK proves that the simulator's response
// signatures and notifications pass the official SDK's own verifier,
// validator and AES-GCM notify handler, configured only with the public key
// and id the simulator publishes (not with anything from our client code).
func TestSignaturesVerifyWithOfficialSDK(t *testing.T) {
	pk, _ := rsa.GenerateKey(rand.Reader, 2048)
	mk, _ := rsa.GenerateKey(rand.Reader, 2048)
	sim, err := wechatfake.New(wechatfake.Options{PlatformKey: pk, MerchantKey: mk, RefundDelay: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	cap := &capture{}
	mux := http.NewServeMux()
	mux.Handle("/prefix/sim/", http.StripPrefix("/prefix/sim", sim))
	mux.Handle("/notify", cap)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	sim.SetBaseURL(srv.URL + "/prefix/sim")

	pub, err := payment.ParsePublicKey(sim.PlatformPublicKeyPEM())
	if err != nil {
		t.Fatal(err)
	}
	verifier := verifiers.NewSHA256WithRSAPubkeyVerifier(sim.Options().PublicKeyID, *pub)

	// 1. A response (here an unauthenticated request's 401) validates.
	resp, err := http.Get(srv.URL + "/prefix/sim/v3/pay/transactions/out-trade-no/XX0000001?mchid=1")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 401 {
		t.Fatalf("unsigned request answered %d, want 401", resp.StatusCode)
	}
	if err := validators.NewWechatPayResponseValidator(verifier).Validate(context.Background(), resp); err != nil {
		t.Fatalf("SDK rejects the simulator's response signature: %v", err)
	}
	resp.Body.Close()
	// …and a response validated against another key fails (the test can fail).
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	resp, _ = http.Get(srv.URL + "/prefix/sim/v3/pay/transactions/out-trade-no/XX0000001?mchid=1")
	if err := validators.NewWechatPayResponseValidator(verifiers.NewSHA256WithRSAPubkeyVerifier(sim.Options().PublicKeyID, other.PublicKey)).Validate(context.Background(), resp); err == nil {
		t.Fatal("validation with a foreign key succeeded")
	}
	resp.Body.Close()

	// 2. A payment notification passes notify.Handler (signature + AES-256-GCM).
	client, err := payment.New(context.Background(), sim.PayConfig(srv.URL+"/notify"))
	if err != nil {
		t.Fatal(err)
	}
	pp, err := client.Prepay(context.Background(), payment.PrepayRequest{AppID: sim.Options().MiniAppID, OpenID: "oSIMUSER00000000000000000001", OutTradeNo: "XXCONF00001", Description: "照片采集", Total: 1234})
	if err != nil {
		t.Fatal(err)
	}
	// Through the sheet, as a browser: GET shows it, POST confirms.
	sheet := sim.PaySheetURL(pp.AppID, pp.TimeStamp, pp.NonceStr, pp.Package, pp.SignType, pp.PaySign, "/done")
	r, err := http.Get(sheet)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !strings.Contains(string(page), "微信支付") || !strings.Contains(string(page), "¥12.34") || !strings.Contains(string(page), `action="/prefix/sim/sim/pay/confirm"`) {
		t.Fatalf("sheet page:\n%s", page)
	}
	u, _ := url.Parse(sheet)
	form := u.Query()
	form.Set("decision", "pay")
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	r, err = noRedirect.PostForm(srv.URL+"/prefix/sim/sim/pay/confirm", form)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/done?pay=ok" {
		t.Fatalf("confirm: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
	sim.WaitDeliveries(1, 5*time.Second)
	cap.mu.Lock()
	req, body := cap.reqs[0], cap.body[0]
	cap.mu.Unlock()
	req.Body = io.NopCloser(strings.NewReader(string(body)))
	h, err := notify.NewRSANotifyHandler(sim.Options().APIv3Key, verifier)
	if err != nil {
		t.Fatal(err)
	}
	var tx payments.Transaction
	note, err := h.ParseNotifyRequest(context.Background(), req, &tx)
	if err != nil {
		t.Fatalf("SDK rejects the simulator's notification: %v", err)
	}
	if note.EventType != "TRANSACTION.SUCCESS" || note.Resource.Algorithm != "AEAD_AES_256_GCM" || *tx.OutTradeNo != "XXCONF00001" ||
		*tx.Amount.Total != 1234 || *tx.TradeState != "SUCCESS" || *tx.Mchid != sim.Options().MchID {
		t.Fatalf("decrypted notification: %+v %+v", note, tx)
	}
	// The ciphertext opens with the APIv3 key via plain AES-GCM too.
	block, _ := aes.NewCipher([]byte(sim.Options().APIv3Key))
	gcm, _ := cipher.NewGCM(block)
	if gcm.NonceSize() != len(note.Resource.Nonce) {
		t.Fatalf("nonce length %d", len(note.Resource.Nonce))
	}
	// A second confirm of a paid order fails.
	r, _ = noRedirect.PostForm(srv.URL+"/prefix/sim/sim/pay/confirm", form)
	r.Body.Close()
	if r.Header.Get("Location") != "/done?pay=fail" {
		t.Fatalf("second confirm: %d %s", r.StatusCode, r.Header.Get("Location"))
	}
}

func TestLoginCodeAndSubscribeEndpoints(t *testing.T) {
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	sim, err := wechatfake.New(wechatfake.Options{PlatformKey: k, MerchantKey: k})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	srv := httptest.NewServer(sim)
	defer srv.Close()
	r, err := http.Get(srv.URL + "/sim/login-code?user=alice")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 || !strings.Contains(string(b), `"code"`) {
		t.Fatalf("login-code: %d %s", r.StatusCode, b)
	}
	r, err = http.Post(srv.URL+"/sim/subscribe", "application/json", strings.NewReader(`{"openid":"o1","results":{"T1":"accept","T2":"reject"}}`))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(r.Body)
	r.Body.Close()
	if !strings.Contains(string(b), "requestSubscribeMessage:ok") {
		t.Fatalf("subscribe: %s", b)
	}
	// The consent page rejects a foreign appid.
	r, _ = http.Get(srv.URL + "/connect/oauth2/authorize?appid=wxbad&redirect_uri=https%3A%2F%2Fa.example%2Fcb&response_type=code&scope=snsapi_base&state=s")
	r.Body.Close()
	if r.StatusCode != 400 {
		t.Fatalf("foreign appid consent: %d", r.StatusCode)
	}
}
