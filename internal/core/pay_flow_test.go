package core_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/payment"
	"xiaoxiang/internal/sqldb"
	"xiaoxiang/internal/wechat/wechatfake"
)

// withPaySimulator wires the service to the WeChat Pay simulator: prepay
// and query go to it, and its signed, encrypted notifications come back to
// the payment package's notify handler over the database OrderStore.
func withPaySimulator(t *testing.T, e *env) *wechatfake.Sim {
	t.Helper()
	k1, _ := rsa.GenerateKey(rand.Reader, 2048)
	k2, _ := rsa.GenerateKey(rand.Reader, 2048)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	sim, err := wechatfake.New(wechatfake.Options{PlatformKey: k1, MerchantKey: k2, Now: e.clock.Now, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	var notify http.Handler
	mux := http.NewServeMux()
	mux.Handle("/_sim/wechat/", http.StripPrefix("/_sim/wechat", sim))
	mux.HandleFunc("/api/pay/notify", func(w http.ResponseWriter, r *http.Request) { notify.ServeHTTP(w, r) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	sim.SetBaseURL(srv.URL + "/_sim/wechat")
	pay, err := payment.New(context.Background(), sim.PayConfig(srv.URL+"/api/pay/notify"))
	if err != nil {
		t.Fatal(err)
	}
	e.setOptions(func(o *core.Options) {
		o.Payments, o.AppID, o.MchID = pay, sim.Options().MiniAppID, pay.Config().MchID
	})
	notify = pay.NotifyHandler(e.svc.OrderStore(), quiet)
	return sim
}

func TestPaymentFlow(t *testing.T) {
	e := newEnv(t)
	sim := withPaySimulator(t, e)
	openid := sim.OpenID(sim.Options().MiniAppID, "丁白云")
	e.addStudent(e.task, "丁白云", idDing, "")
	a := e.student(openid)
	b := must(e.svc.Link(e.ctx, a.ID, e.task.ID, core.LinkInput{Name: "丁白云", DocNumber: idDing}))(t)

	ps := must(e.svc.StartPayment(e.ctx, a.ID, b.ID))(t)
	if ps.AlreadyPaid || ps.Params == nil || ps.Params.PaySign == "" || ps.Order.OutTradeNo != core.OutTradeNo(b.ID, 1) || ps.Order.AmountFen != 2000 {
		t.Fatalf("StartPayment = %+v", ps)
	}
	again := must(e.svc.StartPayment(e.ctx, a.ID, b.ID))(t)
	if again.Order.ID != ps.Order.ID {
		t.Fatalf("StartPayment made a second order %s while %s is open", again.Order.OutTradeNo, ps.Order.OutTradeNo)
	}
	// The client saying "paid" changes nothing: still unpaid.
	if st := must(e.svc.Status(e.ctx, a.ID, b.ID))(t); st.Paid {
		t.Fatal("paid before WeChat Pay said so")
	}
	// The user pays; WeChat Pay notifies four times, concurrently.
	if _, err := sim.Pay(ps.Order.PrepayID, wechatfake.NotifyMode{Duplicates: 3}); err != nil {
		t.Fatal(err)
	}
	ds := sim.WaitDeliveries(4, 10*time.Second)
	if len(ds) != 4 {
		t.Fatalf("%d notifications delivered, want 4", len(ds))
	}
	st := must(e.svc.Status(e.ctx, a.ID, b.ID))(t)
	if !st.Paid || st.Order.Status != xiaoxiang.OrderPaid || st.Order.TransactionID == "" || st.Next != "shoot" {
		t.Fatalf("after payment: paid=%v order=%+v next=%s", st.Paid, st.Order, st.Next)
	}
	ns := must(e.svc.Notifications(e.ctx, a.ID, 0))(t)
	if len(ns) != 1 || ns[0].Kind != "payment_result" {
		t.Fatalf("notifications = %d (%+v), want exactly one payment_result", len(ns), ns)
	}
	if ps := must(e.svc.StartPayment(e.ctx, a.ID, b.ID))(t); !ps.AlreadyPaid || ps.Params != nil {
		t.Fatalf("StartPayment after paying = %+v", ps)
	}

	t.Run("refresh asks WeChat Pay when no notification arrived", func(t *testing.T) {
		openid := sim.OpenID(sim.Options().MiniAppID, "王小明")
		e.addStudent(e.task, "王小明", idWang, "")
		w := e.student(openid)
		wb := must(e.svc.Link(e.ctx, w.ID, e.task.ID, core.LinkInput{Name: "王小明", DocNumber: idWang}))(t)
		ps := must(e.svc.StartPayment(e.ctx, w.ID, wb.ID))(t)
		o := must(e.svc.RefreshPayment(e.ctx, w.ID, wb.ID))(t)
		if o.Status != xiaoxiang.OrderCreated {
			t.Fatalf("before paying: %s", o.Status)
		}
		// A forged notification is refused by the handler: nothing recorded.
		if _, err := sim.Pay(ps.Order.PrepayID, wechatfake.NotifyMode{Forge: wechatfake.ForgeSignature}); err != nil {
			t.Fatal(err)
		}
		sim.WaitDeliveries(5, 10*time.Second)
		if st := must(e.svc.Status(e.ctx, w.ID, wb.ID))(t); st.Paid {
			t.Fatal("a forged notification marked the order paid")
		}
		// A second poll within the query interval answers from our database only…
		o = must(e.svc.RefreshPayment(e.ctx, w.ID, wb.ID))(t)
		if o.Status != xiaoxiang.OrderCreated {
			t.Fatalf("poll within the interval queried WeChat Pay: %s", o.Status)
		}
		// …and once the interval has passed it asks WeChat Pay, which says paid.
		e.clock.Add(3 * time.Second)
		o = must(e.svc.RefreshPayment(e.ctx, w.ID, wb.ID))(t)
		if o.Status != xiaoxiang.OrderPaid {
			t.Fatalf("after refresh: %s", o.Status)
		}
	})
	t.Run("free tasks need no payment", func(t *testing.T) {
		free := e.createTask(func(t *xiaoxiang.Task) { t.FeeFen = 0; t.Title = "免费任务" })
		e.addStudent(free, "丁白云", idDing, "")
		fb := must(e.svc.Link(e.ctx, a.ID, free.ID, core.LinkInput{Name: "丁白云", DocNumber: idDing}))(t)
		_, err := e.svc.StartPayment(e.ctx, a.ID, fb.ID)
		wantCode(t, "StartPayment(free)", err, xiaoxiang.ECONFLICT)
	})
	t.Run("the fee stays paid across 解绑 and a new account", func(t *testing.T) {
		if err := e.svc.Unbind(e.ctx, a.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		n := e.student(sim.OpenID(sim.Options().MiniAppID, "丁白云-新微信"))
		nb := must(e.svc.Link(e.ctx, n.ID, e.task.ID, core.LinkInput{Name: "丁白云", DocNumber: idDing}))(t)
		if ps := must(e.svc.StartPayment(e.ctx, n.ID, nb.ID))(t); !ps.AlreadyPaid {
			t.Fatal("the new account was asked to pay again")
		}
	})
}

func TestPaymentUnavailable(t *testing.T) {
	e := newEnv(t)
	a, b := e.linkedUnpaid("o-ding", "丁白云", idDing)
	_, err := e.svc.StartPayment(e.ctx, a.ID, b.ID)
	wantCode(t, "StartPayment without a gateway", err, xiaoxiang.EUNAVAILABLE)
	var n int
	e.tx(func(tx *sqldb.Tx) (err error) { n, err = tx.CountOrdersByBinding(e.ctx, b.ID); return err })
	if n != 0 {
		t.Fatalf("%d orders created", n)
	}
}

// TestStartPaymentDoubleTap: concurrent taps on 支付 share one order.
func TestStartPaymentDoubleTap(t *testing.T) {
	e := newEnv(t)
	sim := withPaySimulator(t, e)
	e.addStudent(e.task, "丁白云", idDing, "")
	a := e.student(sim.OpenID(sim.Options().MiniAppID, "丁白云"))
	b := must(e.svc.Link(e.ctx, a.ID, e.task.ID, core.LinkInput{Name: "丁白云", DocNumber: idDing}))(t)
	var wg sync.WaitGroup
	nos := make([]string, 4)
	for i := range nos {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			ps, err := e.svc.StartPayment(e.ctx, a.ID, b.ID)
			if err != nil {
				t.Error(err)
				return
			}
			nos[i] = ps.Order.OutTradeNo
		}(i)
	}
	wg.Wait()
	for _, no := range nos {
		if no != core.OutTradeNo(b.ID, 1) {
			t.Fatalf("orders %v, want all %s", nos, core.OutTradeNo(b.ID, 1))
		}
	}
}
