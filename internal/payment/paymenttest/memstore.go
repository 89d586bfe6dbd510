// Package paymenttest holds an in-memory payment.OrderStore and the
// conformance suite every OrderStore implementation must pass.
package paymenttest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"xiaoxiang/internal/payment"
)

// Order is an order as the platform creates it before payment.
type Order struct {
	OutTradeNo string
	AppID      string
	MchID      string
	Total      int64 // fen
	CreatedAt  time.Time
}

// Order states of the in-memory store.
const (
	StateUnpaid = "unpaid"
	StatePaid   = "paid"
	StateClosed = "closed"
)

type memOrder struct {
	Order
	state         string
	transactionID string
	paidAt        time.Time
	closedAt      time.Time
	credits       int // number of MarkPaid calls that returned changed=true
}

type memRefund struct {
	outTradeNo string
	amount     int64
	status     string // "" = requested
	seq        int
}

// MemStore is a mutex-guarded in-memory payment.OrderStore for tests and
// for the simulator demo. The zero value is not usable; call NewMemStore.
type MemStore struct {
	mu      sync.Mutex
	orders  map[string]*memOrder
	refunds map[string]*memRefund
	seq     int
}

// NewMemStore returns an empty store.
func NewMemStore() *MemStore {
	return &MemStore{orders: map[string]*memOrder{}, refunds: map[string]*memRefund{}}
}

// AddOrder inserts an unpaid order. It fails on a duplicate out_trade_no.
func (s *MemStore) AddOrder(o Order) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orders[o.OutTradeNo]; ok {
		return fmt.Errorf("paymenttest: add order %s: duplicate", o.OutTradeNo)
	}
	s.orders[o.OutTradeNo] = &memOrder{Order: o, state: StateUnpaid}
	return nil
}

// AddRefund inserts a requested refund for an order.
func (s *MemStore) AddRefund(outRefundNo, outTradeNo string, amount int64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.refunds[outRefundNo]; ok {
		return fmt.Errorf("paymenttest: add refund %s: duplicate", outRefundNo)
	}
	s.seq++
	s.refunds[outRefundNo] = &memRefund{outTradeNo: outTradeNo, amount: amount, seq: s.seq}
	return nil
}

// State returns the order state and how many times it was credited (a correct
// store never credits an order more than once).
func (s *MemStore) State(outTradeNo string) (state string, credits int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[outTradeNo]
	if !ok {
		return "", 0
	}
	return o.state, o.credits
}

// RefundStatus returns the last recorded refund status ("" = requested).
func (s *MemStore) RefundStatus(outRefundNo string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.refunds[outRefundNo]; ok {
		return r.status
	}
	return ""
}

// MarkPaid implements payment.OrderStore.
func (s *MemStore) MarkPaid(ctx context.Context, tx payment.Transaction) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[tx.OutTradeNo]
	if !ok {
		return false, payment.ErrUnknownOrder
	}
	switch {
	case tx.AppID != o.AppID:
		return false, payment.ErrAppIDMismatch
	case tx.MchID != o.MchID:
		return false, payment.ErrMchIDMismatch
	case tx.Total != o.Total:
		return false, payment.ErrAmountMismatch
	}
	switch o.state {
	case StatePaid:
		return false, nil
	case StateClosed:
		return false, payment.ErrOrderClosed
	}
	o.state = StatePaid
	o.transactionID = tx.TransactionID
	o.paidAt = tx.SuccessTime
	o.credits++
	return true, nil
}

// MarkClosed implements payment.OrderStore.
func (s *MemStore) MarkClosed(ctx context.Context, outTradeNo string, at time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[outTradeNo]
	if !ok {
		return false, payment.ErrUnknownOrder
	}
	switch o.state {
	case StatePaid:
		return false, payment.ErrAlreadyPaid
	case StateClosed:
		return false, nil
	}
	o.state = StateClosed
	o.closedAt = at
	return true, nil
}

// UnpaidOrders implements payment.OrderStore.
func (s *MemStore) UnpaidOrders(ctx context.Context, createdBefore time.Time, limit int) ([]payment.UnpaidOrder, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []payment.UnpaidOrder
	for _, o := range s.orders {
		if o.state == StateUnpaid && o.CreatedAt.Before(createdBefore) {
			out = append(out, payment.UnpaidOrder{OutTradeNo: o.OutTradeNo, CreatedAt: o.CreatedAt})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].OutTradeNo < out[j].OutTradeNo
		}
		return out[i].CreatedAt.Before(out[j].CreatedAt)
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func refundFinal(status string) bool {
	return status == payment.RefundSuccess || status == payment.RefundClosed
}

// MarkRefund implements payment.OrderStore.
func (s *MemStore) MarkRefund(ctx context.Context, r payment.RefundResult) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.refunds[r.OutRefundNo]
	if !ok {
		return false, payment.ErrUnknownRefund
	}
	if refundFinal(m.status) || m.status == r.Status {
		return false, nil
	}
	m.status = r.Status
	return true, nil
}

// PendingRefunds implements payment.OrderStore.
func (s *MemStore) PendingRefunds(ctx context.Context, limit int) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	type kv struct {
		no  string
		seq int
	}
	var list []kv
	for no, r := range s.refunds {
		if !refundFinal(r.status) {
			list = append(list, kv{no, r.seq})
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
	var out []string
	for _, e := range list {
		if limit > 0 && len(out) == limit {
			break
		}
		out = append(out, e.no)
	}
	return out, nil
}
