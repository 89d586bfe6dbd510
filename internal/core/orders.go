package core

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
	"unicode/utf8"

	"xiaoxiang"
	"xiaoxiang/internal/payment"
	"xiaoxiang/internal/sqldb"
)

// PaymentStart is what the pay page needs.
type PaymentStart struct {
	Order  *xiaoxiang.Order
	Params *payment.PayParams // nil when AlreadyPaid
	// AlreadyPaid: the roster entry's fee is already paid; nothing to do.
	AlreadyPaid bool
}

// OutTradeNo is the deterministic out_trade_no of the seq-th (1-based) order
// of a binding: a retried create reuses it, and the unique index makes a
// second row with it impossible.
func OutTradeNo(bindingID int64, seq int) string {
	return fmt.Sprintf("XX%010dN%02d", bindingID, seq)
}

// StartPayment creates the binding's order (or resumes the open one) and
// asks WeChat Pay for the JSAPI parameters. Free tasks answer ECONFLICT.
func (s *Service) StartPayment(ctx context.Context, accountID, bindingID int64) (*PaymentStart, error) {
	now := s.now()
	var (
		order  *sqldb.OrderRow
		acct   *xiaoxiang.Account
		task   *xiaoxiang.Task
		school *xiaoxiang.School
		paid   bool
	)
	start := func(tx *sqldb.Tx) error {
		b, err := ownBinding(ctx, tx, accountID, bindingID)
		if err != nil {
			return err
		}
		if err := checkLinked(b); err != nil {
			return err
		}
		if acct, err = tx.FindAccountByID(ctx, accountID); err != nil {
			return err
		}
		if task, err = tx.FindTaskByID(ctx, b.TaskID); err != nil {
			return err
		}
		if task.FeeFen == 0 {
			return xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "该采集任务免费，无需支付。")
		}
		var po *sqldb.OrderRow
		if paid, po, err = isPaid(ctx, tx, task, b.RosterEntryID); err != nil {
			return err
		}
		if paid {
			order = po
			return nil
		}
		if err := task.CheckOpen(now); err != nil {
			return err
		}
		if s.opts.Payments == nil {
			return xiaoxiang.Errorf(xiaoxiang.EUNAVAILABLE, "微信支付暂不可用，请稍后再试。")
		}
		if school, err = tx.FindSchoolByID(ctx, b.SchoolID); err != nil {
			return err
		}
		orders, err := tx.FindOrdersByBinding(ctx, b.ID)
		if err != nil {
			return err
		}
		for _, o := range orders {
			// Resume an open order that can still be paid for the current fee.
			if o.Status == xiaoxiang.OrderCreated && o.AmountFen == task.FeeFen && o.AppID == s.opts.AppID &&
				o.ExpiresAt.After(now.Add(5*time.Minute)) {
				order = o
				return nil
			}
		}
		order = &sqldb.OrderRow{
			Order: xiaoxiang.Order{OutTradeNo: OutTradeNo(b.ID, len(orders)+1), AccountID: accountID, BindingID: b.ID,
				TaskID: b.TaskID, SchoolID: b.SchoolID, AmountFen: task.FeeFen},
			RosterEntryID: b.RosterEntryID, AppID: s.opts.AppID, MchID: s.opts.MchID, ExpiresAt: now.Add(s.opts.OrderTTL),
		}
		return tx.CreateOrder(ctx, order)
	}
	err := s.db.InTx(ctx, start)
	if err != nil && sqldb.IsUniqueViolation(err) {
		// A double tap created the same deterministic out_trade_no first:
		// resume that order.
		err = s.db.InTx(ctx, start)
	}
	if err != nil {
		return nil, err
	}
	if paid {
		return &PaymentStart{Order: &order.Order, AlreadyPaid: true}, nil
	}
	if acct.OpenID == "" {
		return nil, errNotSignedIn
	}
	params, err := s.opts.Payments.Prepay(ctx, payment.PrepayRequest{
		AppID: s.opts.AppID, OpenID: acct.OpenID, OutTradeNo: order.OutTradeNo,
		Description: orderDescription(school, task), Total: order.AmountFen, TimeExpire: order.ExpiresAt,
	})
	if err != nil {
		return nil, xiaoxiang.WrapError(xiaoxiang.EUNAVAILABLE, "微信支付暂时不可用，请稍后再试。", err)
	}
	if params.PrepayID != "" && params.PrepayID != order.PrepayID {
		if err := s.db.InTx(ctx, func(tx *sqldb.Tx) error { return tx.SetOrderPrepay(ctx, order.ID, params.PrepayID) }); err != nil {
			return nil, err
		}
		order.PrepayID = params.PrepayID
	}
	return &PaymentStart{Order: &order.Order, Params: params}, nil
}

func orderDescription(school *xiaoxiang.School, t *xiaoxiang.Task) string {
	d := school.Name + "-" + t.Title
	if utf8.RuneCountInString(d) > 120 {
		d = string([]rune(d)[:120])
	}
	return d
}

// RefreshPayment asks WeChat Pay for the state of the binding's latest
// unpaid order and records it: paid only when WeChat Pay says SUCCESS (and
// appid, mchid and amount match), closed when WeChat Pay closed it.
func (s *Service) RefreshPayment(ctx context.Context, accountID, bindingID int64) (*xiaoxiang.Order, error) {
	var latest *sqldb.OrderRow
	err := s.db.View(ctx, func(tx *sqldb.Tx) error {
		b, err := ownBinding(ctx, tx, accountID, bindingID)
		if err != nil {
			return err
		}
		orders, err := tx.FindOrdersByBinding(ctx, b.ID)
		if err != nil {
			return err
		}
		for _, o := range orders {
			if latest == nil || o.Status == xiaoxiang.OrderPaid {
				latest = o
			}
			if o.Status == xiaoxiang.OrderPaid {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if latest == nil {
		return nil, xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "没有找到支付订单，请先发起支付。")
	}
	if latest.Status != xiaoxiang.OrderCreated {
		return &latest.Order, nil
	}
	if s.opts.Payments == nil {
		return nil, xiaoxiang.Errorf(xiaoxiang.EUNAVAILABLE, "微信支付暂不可用，请稍后再试。")
	}
	// The payment notification normally decides; the query is the fallback. A page that
	// polls every second must not turn into one signed WeChat Pay call per second per
	// student: query a given order at most once per payQueryInterval.
	if !s.payQueries.allow(latest.OutTradeNo, s.now()) {
		return &latest.Order, nil
	}
	tr, err := s.opts.Payments.Query(ctx, latest.OutTradeNo)
	if payment.ErrorCode(err) == "ORDER_NOT_EXIST" {
		return &latest.Order, nil // WeChat Pay has no payment for it yet: still unpaid
	}
	if err != nil {
		return nil, xiaoxiang.WrapError(xiaoxiang.EUNAVAILABLE, "暂时无法查询支付结果，请稍后刷新。", err)
	}
	store := s.OrderStore()
	switch tr.TradeState {
	case payment.TradeSuccess:
		if _, err := store.MarkPaid(ctx, tr); err != nil {
			return nil, xiaoxiang.WrapError(xiaoxiang.EINTERNAL, "支付结果核对失败，请联系客服。", err)
		}
	case payment.TradeClosed, payment.TradeRevoked:
		if _, err := store.MarkClosed(ctx, tr.OutTradeNo, s.now()); err != nil && !errors.Is(err, payment.ErrAlreadyPaid) {
			return nil, err
		}
	}
	var o *sqldb.OrderRow
	err = s.db.View(ctx, func(tx *sqldb.Tx) (err error) {
		o, err = tx.FindOrderByID(ctx, latest.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &o.Order, nil
}

// OrderStore returns the payment.OrderStore over the orders table for the
// payment notification handler and reconciler.
func (s *Service) OrderStore() payment.OrderStore { return orderStore{s} }

// orderStore implements payment.OrderStore. Every method is one write
// transaction that locks the order row (PostgreSQL: SELECT … FOR UPDATE;
// SQLite: the single writer, BEGIN IMMEDIATE), so concurrent duplicate
// notifications and the reconciler never credit an order twice.
type orderStore struct{ s *Service }

var _ payment.OrderStore = orderStore{}

func findLocked(ctx context.Context, tx *sqldb.Tx, outTradeNo string) (*sqldb.OrderRow, error) {
	o, err := tx.FindOrderByOutTradeNo(ctx, outTradeNo, true)
	if xiaoxiang.ErrorCode(err) == xiaoxiang.ENOTFOUND {
		return nil, payment.ErrUnknownOrder
	}
	return o, err
}

// MarkPaid implements payment.OrderStore.
func (st orderStore) MarkPaid(ctx context.Context, t payment.Transaction) (bool, error) {
	if t.TradeState != "" && t.TradeState != payment.TradeSuccess && t.TradeState != payment.TradeRefund {
		return false, fmt.Errorf("core: mark paid %s: trade state %s is not paid", t.OutTradeNo, t.TradeState)
	}
	changed := false
	err := st.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		o, err := findLocked(ctx, tx, t.OutTradeNo)
		if err != nil {
			return err
		}
		switch {
		case t.AppID != o.AppID:
			return payment.ErrAppIDMismatch
		case t.MchID != o.MchID:
			return payment.ErrMchIDMismatch
		case t.Total != o.AmountFen:
			return payment.ErrAmountMismatch
		}
		switch o.Status {
		case xiaoxiang.OrderPaid, xiaoxiang.OrderRefunding, xiaoxiang.OrderRefunded:
			return nil
		case xiaoxiang.OrderClosed:
			return payment.ErrOrderClosed
		}
		paidAt := t.SuccessTime
		if paidAt.IsZero() {
			paidAt = tx.Now()
		}
		if changed, err = tx.MarkOrderPaid(ctx, o.ID, t.TransactionID, t.PayerOpenID, paidAt); err != nil || !changed {
			return err
		}
		return Notify(ctx, tx, &xiaoxiang.Notification{AccountID: o.AccountID, Kind: NotifyPaymentResult, Title: "支付成功",
			Body: fmt.Sprintf("您已成功支付图像采集费用 %s 元，请继续拍摄照片。", yuan(o.AmountFen)), Link: fmt.Sprintf("/my/%d", o.BindingID)})
	})
	if err != nil {
		return false, err
	}
	return changed, nil
}

func yuan(fen int64) string { return fmt.Sprintf("%d.%02d", fen/100, fen%100) }

// MarkClosed implements payment.OrderStore.
func (st orderStore) MarkClosed(ctx context.Context, outTradeNo string, at time.Time) (bool, error) {
	changed := false
	err := st.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		o, err := findLocked(ctx, tx, outTradeNo)
		if err != nil {
			return err
		}
		switch o.Status {
		case xiaoxiang.OrderClosed:
			return nil
		case xiaoxiang.OrderPaid, xiaoxiang.OrderRefunding, xiaoxiang.OrderRefunded:
			return payment.ErrAlreadyPaid
		}
		changed, err = tx.MarkOrderClosed(ctx, o.ID, at)
		return err
	})
	if err != nil {
		return false, err
	}
	return changed, nil
}

// UnpaidOrders implements payment.OrderStore.
func (st orderStore) UnpaidOrders(ctx context.Context, createdBefore time.Time, limit int) ([]payment.UnpaidOrder, error) {
	var out []payment.UnpaidOrder
	err := st.s.db.View(ctx, func(tx *sqldb.Tx) error {
		os, err := tx.FindUnpaidOrders(ctx, createdBefore, limit)
		for _, o := range os {
			out = append(out, payment.UnpaidOrder{OutTradeNo: o.OutTradeNo, CreatedAt: o.CreatedAt})
		}
		return err
	})
	return out, err
}

func finalRefund(status string) bool {
	return status == payment.RefundSuccess || status == payment.RefundClosed
}

// MarkRefund implements payment.OrderStore. A successful refund of the whole
// amount moves the order to refunded.
func (st orderStore) MarkRefund(ctx context.Context, r payment.RefundResult) (bool, error) {
	changed := false
	err := st.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		f, err := tx.FindRefundByNo(ctx, r.OutRefundNo)
		if xiaoxiang.ErrorCode(err) == xiaoxiang.ENOTFOUND {
			return payment.ErrUnknownRefund
		}
		if err != nil {
			return err
		}
		if finalRefund(f.Status) || f.Status == r.Status {
			return nil
		}
		if err := tx.UpdateRefundState(ctx, f.ID, r.Status, r.RefundID, r.SuccessTime); err != nil {
			return err
		}
		changed = true
		if r.Status == payment.RefundSuccess {
			o, err := tx.FindOrderByID(ctx, f.OrderID)
			if err != nil {
				return err
			}
			if f.AmountFen >= o.AmountFen {
				if _, err := tx.SetOrderStatus(ctx, o.ID, xiaoxiang.OrderRefunding, xiaoxiang.OrderRefunded); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return false, err
	}
	return changed, nil
}

// PendingRefunds implements payment.OrderStore.
func (st orderStore) PendingRefunds(ctx context.Context, limit int) ([]string, error) {
	var out []string
	err := st.s.db.View(ctx, func(tx *sqldb.Tx) error {
		fs, err := tx.FindPendingRefunds(ctx, limit)
		for _, f := range fs {
			out = append(out, f.OutRefundNo)
		}
		return err
	})
	return out, err
}

// payQueryInterval is the least time between two WeChat Pay queries of one order made
// on behalf of a polling student.
const payQueryInterval = 3 * time.Second

// queryLimiter remembers when each order was last queried (in-process; each web node
// limits its own queries).
type queryLimiter struct {
	mu   sync.Mutex
	last map[string]time.Time
}

// allow reports whether order no may be queried at now, and records the query.
func (l *queryLimiter) allow(no string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.last == nil {
		l.last = map[string]time.Time{}
	}
	if t, ok := l.last[no]; ok && now.Sub(t) < payQueryInterval && now.Sub(t) >= 0 {
		return false
	}
	if len(l.last) > 10000 { // forget old entries; the map stays small
		for k, t := range l.last {
			if now.Sub(t) > time.Minute {
				delete(l.last, k)
			}
		}
	}
	l.last[no] = now
	return true
}
