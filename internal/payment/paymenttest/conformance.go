package paymenttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"xiaoxiang/internal/payment"
)

// Harness gives the conformance suite a fresh, empty store and the means to
// seed it. Implementations for a database create the rows the way the domain
// would (an unpaid order with its appid/mchid/amount; a requested refund).
type Harness struct {
	Store payment.OrderStore
	// CreateOrder inserts an unpaid order.
	CreateOrder func(t *testing.T, o Order)
	// CreateRefund inserts a refund request (not yet answered) for a paid order.
	CreateRefund func(t *testing.T, outRefundNo, outTradeNo string, amount int64)
}

// MemHarness returns a Harness over a new MemStore.
func MemHarness(t *testing.T) Harness {
	s := NewMemStore()
	return Harness{
		Store: s,
		CreateOrder: func(t *testing.T, o Order) {
			t.Helper()
			if err := s.AddOrder(o); err != nil {
				t.Fatal(err)
			}
		},
		CreateRefund: func(t *testing.T, no, trade string, amount int64) {
			t.Helper()
			if err := s.AddRefund(no, trade, amount); err != nil {
				t.Fatal(err)
			}
		},
	}
}

const (
	testAppID = "wx0000000000000001"
	testMchID = "1900000001"
)

func paidTx(o Order) payment.Transaction {
	return payment.Transaction{
		OutTradeNo:    o.OutTradeNo,
		TransactionID: "4200000000" + o.OutTradeNo,
		AppID:         o.AppID,
		MchID:         o.MchID,
		TradeState:    payment.TradeSuccess,
		Total:         o.Total,
		PayerTotal:    o.Total,
		Currency:      "CNY",
		PayerOpenID:   "o-test-openid",
		SuccessTime:   time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC),
	}
}

// RunOrderStoreTests runs the OrderStore contract against stores made by
// newHarness (called once per subtest, each must be empty and independent).
// Run it with -race: it calls MarkPaid concurrently.
func RunOrderStoreTests(t *testing.T, newHarness func(t *testing.T) Harness) {
	ctx := context.Background()
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	order := func(no string, minutes int) Order {
		return Order{OutTradeNo: no, AppID: testAppID, MchID: testMchID, Total: 1500, CreatedAt: base.Add(time.Duration(minutes) * time.Minute)}
	}

	t.Run("MarkPaidChecks", func(t *testing.T) {
		h := newHarness(t)
		o := order("XXCHECK0001", 0)
		h.CreateOrder(t, o)
		tests := []struct {
			name   string
			mutate func(*payment.Transaction)
			want   error
		}{
			{"unknown order", func(tx *payment.Transaction) { tx.OutTradeNo = "XXNOSUCH0001" }, payment.ErrUnknownOrder},
			{"wrong appid", func(tx *payment.Transaction) { tx.AppID = "wx9999999999999999" }, payment.ErrAppIDMismatch},
			{"wrong mchid", func(tx *payment.Transaction) { tx.MchID = "1999999999" }, payment.ErrMchIDMismatch},
			{"wrong amount", func(tx *payment.Transaction) { tx.Total = 1 }, payment.ErrAmountMismatch},
			{"amount too high", func(tx *payment.Transaction) { tx.Total = 1501 }, payment.ErrAmountMismatch},
		}
		for _, tc := range tests {
			tx := paidTx(o)
			tc.mutate(&tx)
			changed, err := h.Store.MarkPaid(ctx, tx)
			if !errors.Is(err, tc.want) || changed {
				t.Errorf("%s: MarkPaid = %v, %v; want false, %v", tc.name, changed, err, tc.want)
			}
		}
		// None of the rejected calls may have paid the order: it can still be closed.
		if changed, err := h.Store.MarkClosed(ctx, o.OutTradeNo, base); err != nil || !changed {
			t.Fatalf("MarkClosed after rejected MarkPaid = %v, %v; want true, nil", changed, err)
		}
	})

	t.Run("MarkPaidIdempotent", func(t *testing.T) {
		h := newHarness(t)
		o := order("XXIDEM0001", 0)
		h.CreateOrder(t, o)
		changed, err := h.Store.MarkPaid(ctx, paidTx(o))
		if err != nil || !changed {
			t.Fatalf("first MarkPaid = %v, %v; want true, nil", changed, err)
		}
		for i := 0; i < 3; i++ {
			changed, err = h.Store.MarkPaid(ctx, paidTx(o))
			if err != nil || changed {
				t.Fatalf("replayed MarkPaid = %v, %v; want false, nil", changed, err)
			}
		}
		if _, err := h.Store.MarkClosed(ctx, o.OutTradeNo, base); !errors.Is(err, payment.ErrAlreadyPaid) {
			t.Fatalf("MarkClosed on paid order: err = %v, want ErrAlreadyPaid", err)
		}
	})

	t.Run("MarkPaidConcurrent", func(t *testing.T) {
		h := newHarness(t)
		const orders, deliveries = 4, 8
		var list []Order
		for i := 0; i < orders; i++ {
			o := order(fmt.Sprintf("XXCONC%04d", i), i)
			h.CreateOrder(t, o)
			list = append(list, o)
		}
		var mu sync.Mutex
		credited := map[string]int{}
		var wg sync.WaitGroup
		errs := make(chan error, orders*deliveries)
		for _, o := range list {
			for d := 0; d < deliveries; d++ {
				wg.Add(1)
				go func(o Order) {
					defer wg.Done()
					changed, err := h.Store.MarkPaid(ctx, paidTx(o))
					if err != nil {
						errs <- err
						return
					}
					if changed {
						mu.Lock()
						credited[o.OutTradeNo]++
						mu.Unlock()
					}
				}(o)
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent MarkPaid: %v", err)
		}
		for _, o := range list {
			if credited[o.OutTradeNo] != 1 {
				t.Errorf("order %s credited %d times, want exactly 1", o.OutTradeNo, credited[o.OutTradeNo])
			}
		}
	})

	t.Run("ConcurrentPayAndClose", func(t *testing.T) {
		h := newHarness(t)
		o := order("XXRACE0001", 0)
		h.CreateOrder(t, o)
		var wg sync.WaitGroup
		var paid, closed bool
		var payErr, closeErr error
		wg.Add(2)
		go func() { defer wg.Done(); paid, payErr = h.Store.MarkPaid(ctx, paidTx(o)) }()
		go func() { defer wg.Done(); closed, closeErr = h.Store.MarkClosed(ctx, o.OutTradeNo, base) }()
		wg.Wait()
		switch {
		case paid && payErr == nil && !closed && errors.Is(closeErr, payment.ErrAlreadyPaid):
		case closed && closeErr == nil && !paid && errors.Is(payErr, payment.ErrOrderClosed):
		default:
			t.Fatalf("pay/close race: pay=(%v,%v) close=(%v,%v); exactly one must win", paid, payErr, closed, closeErr)
		}
	})

	t.Run("MarkClosed", func(t *testing.T) {
		h := newHarness(t)
		o := order("XXCLOSE0001", 0)
		h.CreateOrder(t, o)
		if _, err := h.Store.MarkClosed(ctx, "XXNOSUCH0002", base); !errors.Is(err, payment.ErrUnknownOrder) {
			t.Errorf("MarkClosed unknown: err = %v, want ErrUnknownOrder", err)
		}
		if changed, err := h.Store.MarkClosed(ctx, o.OutTradeNo, base); err != nil || !changed {
			t.Fatalf("MarkClosed = %v, %v; want true, nil", changed, err)
		}
		if changed, err := h.Store.MarkClosed(ctx, o.OutTradeNo, base); err != nil || changed {
			t.Fatalf("second MarkClosed = %v, %v; want false, nil", changed, err)
		}
		if changed, err := h.Store.MarkPaid(ctx, paidTx(o)); !errors.Is(err, payment.ErrOrderClosed) || changed {
			t.Fatalf("MarkPaid on closed = %v, %v; want false, ErrOrderClosed", changed, err)
		}
	})

	t.Run("UnpaidOrders", func(t *testing.T) {
		h := newHarness(t)
		for i, no := range []string{"XXLIST0003", "XXLIST0001", "XXLIST0002", "XXLIST0004"} {
			h.CreateOrder(t, order(no, []int{30, 10, 20, 40}[i]))
		}
		// Pay one, close one: neither may be listed.
		if _, err := h.Store.MarkPaid(ctx, paidTx(order("XXLIST0002", 20))); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Store.MarkClosed(ctx, "XXLIST0004", base); err != nil {
			t.Fatal(err)
		}
		got, err := h.Store.UnpaidOrders(ctx, base.Add(35*time.Minute), 10)
		if err != nil {
			t.Fatal(err)
		}
		var nos []string
		for _, u := range got {
			nos = append(nos, u.OutTradeNo)
		}
		if fmt.Sprint(nos) != "[XXLIST0001 XXLIST0003]" {
			t.Fatalf("UnpaidOrders = %v, want [XXLIST0001 XXLIST0003] (oldest first)", nos)
		}
		if !got[0].CreatedAt.Equal(base.Add(10 * time.Minute)) {
			t.Errorf("CreatedAt = %v, want %v", got[0].CreatedAt, base.Add(10*time.Minute))
		}
		got, err = h.Store.UnpaidOrders(ctx, base.Add(35*time.Minute), 1)
		if err != nil || len(got) != 1 || got[0].OutTradeNo != "XXLIST0001" {
			t.Fatalf("UnpaidOrders limit 1 = %v, %v", got, err)
		}
	})

	t.Run("Refunds", func(t *testing.T) {
		h := newHarness(t)
		o := order("XXREFUND0001", 0)
		h.CreateOrder(t, o)
		if _, err := h.Store.MarkPaid(ctx, paidTx(o)); err != nil {
			t.Fatal(err)
		}
		h.CreateRefund(t, "XXREFUND0001R1", o.OutTradeNo, 500)
		h.CreateRefund(t, "XXREFUND0001R2", o.OutTradeNo, 500)
		res := func(no, status string) payment.RefundResult {
			return payment.RefundResult{OutRefundNo: no, OutTradeNo: o.OutTradeNo, RefundID: "50000" + no, Status: status, Refund: 500, Total: 1500}
		}
		if _, err := h.Store.MarkRefund(ctx, res("XXNOSUCHR9", payment.RefundSuccess)); !errors.Is(err, payment.ErrUnknownRefund) {
			t.Errorf("MarkRefund unknown: err = %v, want ErrUnknownRefund", err)
		}
		pending, err := h.Store.PendingRefunds(ctx, 10)
		if err != nil || fmt.Sprint(pending) != "[XXREFUND0001R1 XXREFUND0001R2]" {
			t.Fatalf("PendingRefunds = %v, %v", pending, err)
		}
		steps := []struct {
			no, status string
			want       bool
		}{
			{"XXREFUND0001R1", payment.RefundProcessing, true},
			{"XXREFUND0001R1", payment.RefundProcessing, false},
			{"XXREFUND0001R1", payment.RefundAbnormal, true},
			{"XXREFUND0001R1", payment.RefundSuccess, true},
			{"XXREFUND0001R1", payment.RefundProcessing, false}, // late, out of order: final state stays
			{"XXREFUND0001R1", payment.RefundClosed, false},
		}
		for i, s := range steps {
			changed, err := h.Store.MarkRefund(ctx, res(s.no, s.status))
			if err != nil || changed != s.want {
				t.Fatalf("step %d MarkRefund(%s) = %v, %v; want %v, nil", i, s.status, changed, err, s.want)
			}
		}
		pending, err = h.Store.PendingRefunds(ctx, 10)
		if err != nil || fmt.Sprint(pending) != "[XXREFUND0001R2]" {
			t.Fatalf("PendingRefunds after success = %v, %v", pending, err)
		}
	})
}
