package wechatfake_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"xiaoxiang/internal/payment"
	"xiaoxiang/internal/payment/paymenttest"
	"xiaoxiang/internal/wechat"
	"xiaoxiang/internal/wechat/wechatfake"
)

// TestStudentFlow walks the student path the way `make run` wires it: the
// simulator mounted in-process under /_sim/wechat, our handlers beside it;
// login (H5 OAuth and mini-program), pay through the simulated sheet with
// duplicate notifications, report virtual shipping, send a subscription message.
func TestStudentFlow(t *testing.T) {
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	k2, _ := rsa.GenerateKey(rand.Reader, 2048)
	sim, err := wechatfake.New(wechatfake.Options{PlatformKey: k, MerchantKey: k2, TradeManaged: true, RefundDelay: -1,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	store := paymenttest.NewMemStore()
	var wx *wechat.Client
	var notify http.Handler
	mux := http.NewServeMux()
	mux.Handle("/_sim/wechat/", http.StripPrefix("/_sim/wechat", sim))
	mux.HandleFunc("/api/pay/notify", func(w http.ResponseWriter, r *http.Request) { notify.ServeHTTP(w, r) })
	mux.HandleFunc("/h5/login", func(w http.ResponseWriter, r *http.Request) {
		if err := wx.StartOAuth(w, r, "http://"+r.Host+"/h5/callback", wechat.ScopeUserInfo); err != nil {
			http.Error(w, err.Error(), 500)
		}
	})
	mux.HandleFunc("/h5/callback", func(w http.ResponseWriter, r *http.Request) {
		u, err := wx.FinishOAuth(w, r)
		if err != nil {
			http.Error(w, wechat.UserMessage(err), 403)
			return
		}
		fmt.Fprint(w, u.UnionID)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	sim.SetBaseURL(srv.URL + "/_sim/wechat")

	wx, err = wechat.New(sim.WechatConfig())
	if err != nil {
		t.Fatal(err)
	}
	pay, err := payment.New(context.Background(), sim.PayConfig(srv.URL+"/api/pay/notify"))
	if err != nil {
		t.Fatal(err)
	}
	notify = pay.NotifyHandler(store, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx := context.Background()

	// 1. H5 login through the consent page.
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	resp, err := browser.Get(srv.URL + "/h5/login")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	q := resp.Request.URL.Query()
	resp, err = browser.PostForm(srv.URL+"/_sim/wechat/sim/oauth/confirm", url.Values{"appid": {q.Get("appid")},
		"redirect_uri": {q.Get("redirect_uri")}, "scope": {q.Get("scope")}, "state": {q.Get("state")}, "user": {"小明"}, "decision": {"allow"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != sim.UnionID("小明") {
		t.Fatalf("H5 login answered %d %q", resp.StatusCode, b)
	}

	// 2. Mini-program login: the same person, joined by unionid.
	sess, err := wx.Code2Session(ctx, sim.IssueLoginCode("小明"))
	if err != nil || sess.UnionID != string(b) {
		t.Fatalf("code2session: %+v %v", sess, err)
	}

	// 3. Order, prepay, the simulated sheet, duplicate notifications.
	mini := sim.Options().MiniAppID
	if err := store.AddOrder(paymenttest.Order{OutTradeNo: "XX2026T7S42", AppID: mini, MchID: pay.Config().MchID, Total: 2000, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	pp, err := pay.Prepay(ctx, payment.PrepayRequest{AppID: mini, OpenID: sess.OpenID, OutTradeNo: "XX2026T7S42", Description: "学历照片采集服务费", Total: 2000})
	if err != nil {
		t.Fatal(err)
	}
	sheet, _ := url.Parse(sim.PaySheetURL(pp.AppID, pp.TimeStamp, pp.NonceStr, pp.Package, pp.SignType, pp.PaySign, "/pay/result"))
	form := sheet.Query()
	form.Set("decision", "pay")
	form.Set("duplicates", "3")
	browser.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err = browser.PostForm(srv.URL+"/_sim/wechat/sim/pay/confirm", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "/pay/result?pay=ok" {
		t.Fatalf("confirm redirect %q", loc)
	}
	ds := sim.WaitDeliveries(4, 5*time.Second)
	for _, d := range ds {
		if d.Status != 204 {
			t.Fatalf("delivery %+v", d)
		}
	}
	if st, credits := store.State("XX2026T7S42"); st != paymenttest.StatePaid || credits != 1 {
		t.Fatalf("order %s credited %d times", st, credits)
	}

	// 4. Virtual shipping for trade-managed mini-programs.
	tx, err := pay.Query(ctx, "XX2026T7S42")
	if err != nil {
		t.Fatal(err)
	}
	managed, err := wx.IsTradeManaged(ctx)
	if err != nil || !managed {
		t.Fatalf("is_trade_managed = %v, %v", managed, err)
	}
	ship := wechat.VirtualShipment{TransactionID: tx.TransactionID, PayerOpenID: tx.PayerOpenID, ItemDesc: "学历照片采集服务"}
	if err := wx.UploadVirtualShipping(ctx, ship); err != nil {
		t.Fatal(err)
	}
	if err := wx.UploadVirtualShipping(ctx, ship); wechat.ErrCode(err) != 10060003 {
		t.Fatalf("second shipping report: %v", err)
	}
	if s := sim.Shipments(); len(s) != 1 || s[0].LogisticsType != 3 {
		t.Fatalf("shipments %+v", s)
	}
	bad := ship
	bad.TransactionID = "4200000000000000000000000000"
	if err := wx.UploadVirtualShipping(ctx, bad); wechat.ErrCode(err) != 10060001 {
		t.Fatalf("unknown transaction: %v", err)
	}

	// 5. The payment-success callback asked for a subscription; the user accepted.
	resp, err = http.Post(srv.URL+"/_sim/wechat/sim/subscribe", "application/json",
		strings.NewReader(`{"openid":"`+sess.OpenID+`","results":{"TMPL-paid":"accept"}}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	err = wx.SendSubscribe(ctx, wechat.Message{ToUser: sess.OpenID, TemplateID: "TMPL-paid", Page: "pages/order/index",
		Data: map[string]string{"thing1": "学历照片采集服务费", "amount2": wechat.FormatAmount(2000), "phrase3": "已支付"}})
	if err != nil {
		t.Fatal(err)
	}
}

func TestNotifyModeEndpoint(t *testing.T) {
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	sim, err := wechatfake.New(wechatfake.Options{PlatformKey: k, MerchantKey: k})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	srv := httptest.NewServer(sim)
	defer srv.Close()
	for body, want := range map[string]int{
		`{"duplicates":2,"forge":"amount"}`: 200,
		`{"forge":"nonsense"}`:              400,
		`{"duplicates":-1}`:                 400,
	} {
		resp, err := http.Post(srv.URL+"/sim/notify-mode", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s: %d, want %d", body, resp.StatusCode, want)
		}
	}
}
