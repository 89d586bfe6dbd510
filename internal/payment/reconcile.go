package payment

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Reconciler settles orders whose notification never arrived: it queries
// unpaid orders older than QueryAfter, credits paid ones, closes (at WeChat
// Pay, then locally) those older than CloseAfter, and polls pending refunds.
// Run it periodically (one instance per cluster is enough; the store makes
// concurrent runs safe anyway).
type Reconciler struct {
	Client     *Client
	Store      OrderStore
	Log        *slog.Logger
	QueryAfter time.Duration    // default 5 min
	CloseAfter time.Duration    // default 2 h (prepay_id lifetime)
	Batch      int              // default 100
	Now        func() time.Time // default time.Now
	OnPaid     func(ctx context.Context, tx Transaction)
}

// ReconcileStats counts what one pass did.
type ReconcileStats struct {
	Checked, Paid, Closed, Refunds, Errors int
}

func (r *Reconciler) defaults() (time.Duration, time.Duration, int, func() time.Time, *slog.Logger) {
	q, c, b, now, log := r.QueryAfter, r.CloseAfter, r.Batch, r.Now, r.Log
	if q <= 0 {
		q = 5 * time.Minute
	}
	if c <= 0 {
		c = 2 * time.Hour
	}
	if b <= 0 {
		b = 100
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return q, c, b, now, log
}

// RunOnce makes one pass. Per-order failures are logged and counted, not
// returned; the error is only for a failing store listing.
func (r *Reconciler) RunOnce(ctx context.Context) (ReconcileStats, error) {
	queryAfter, closeAfter, batch, now, log := r.defaults()
	var st ReconcileStats
	t := now()
	orders, err := r.Store.UnpaidOrders(ctx, t.Add(-queryAfter), batch)
	if err != nil {
		return st, fmt.Errorf("payment: reconcile: list unpaid: %w", err)
	}
	for _, o := range orders {
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		st.Checked++
		stale := o.CreatedAt.Before(t.Add(-closeAfter))
		if err := r.settle(ctx, o.OutTradeNo, stale, t, &st); err != nil {
			st.Errors++
			log.Warn("payment reconcile: order not settled", "out_trade_no", o.OutTradeNo, "err", err)
		}
	}
	refunds, err := r.Store.PendingRefunds(ctx, batch)
	if err != nil {
		return st, fmt.Errorf("payment: reconcile: list refunds: %w", err)
	}
	for _, no := range refunds {
		if ctx.Err() != nil {
			return st, ctx.Err()
		}
		res, err := r.Client.QueryRefund(ctx, no)
		if err != nil {
			st.Errors++
			log.Warn("payment reconcile: refund query failed", "out_refund_no", no, "err", err)
			continue
		}
		changed, err := r.Store.MarkRefund(ctx, res)
		if err != nil {
			st.Errors++
			log.Warn("payment reconcile: refund not recorded", "out_refund_no", no, "err", err)
			continue
		}
		if changed {
			st.Refunds++
		}
	}
	return st, nil
}

func (r *Reconciler) credit(ctx context.Context, tx Transaction, st *ReconcileStats) error {
	changed, err := r.Store.MarkPaid(ctx, tx)
	if err != nil {
		return err
	}
	if changed {
		st.Paid++
		if r.OnPaid != nil {
			r.OnPaid(ctx, tx)
		}
	}
	return nil
}

func (r *Reconciler) markClosed(ctx context.Context, no string, t time.Time, st *ReconcileStats) error {
	changed, err := r.Store.MarkClosed(ctx, no, t)
	if err != nil {
		return err
	}
	if changed {
		st.Closed++
	}
	return nil
}

func (r *Reconciler) settle(ctx context.Context, no string, stale bool, t time.Time, st *ReconcileStats) error {
	tx, err := r.Client.Query(ctx, no)
	if ErrorCode(err) == "ORDER_NOT_EXIST" {
		// Never reached WeChat Pay (prepay failed or was never called).
		if stale {
			return r.markClosed(ctx, no, t, st)
		}
		return nil
	}
	if err != nil {
		return err
	}
	if tx.MchID != r.Client.cfg.MchID {
		return fmt.Errorf("query answered mchid %q: %w", tx.MchID, ErrMchIDMismatch)
	}
	switch tx.TradeState {
	case TradeSuccess, TradeRefund:
		return r.credit(ctx, tx, st)
	case TradeClosed, TradeRevoked, TradePayError:
		return r.markClosed(ctx, no, t, st)
	case TradeNotPay, TradeUserPaying:
		if !stale {
			return nil
		}
		if err := r.Client.Close(ctx, no); err != nil {
			if ErrorCode(err) != "ORDERPAID" {
				return err
			}
			// Paid between our query and close: credit it.
			tx, qerr := r.Client.Query(ctx, no)
			if qerr != nil {
				return qerr
			}
			return r.credit(ctx, tx, st)
		}
		return r.markClosed(ctx, no, t, st)
	default:
		return fmt.Errorf("unexpected trade_state %q", tx.TradeState)
	}
}

// Run calls RunOnce every interval until ctx is done.
func (r *Reconciler) Run(ctx context.Context, every time.Duration) {
	_, _, _, _, log := r.defaults()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		st, err := r.RunOnce(ctx)
		if err != nil && !errors.Is(err, context.Canceled) {
			log.Error("payment reconcile: pass failed", "err", err)
		} else if st.Paid+st.Closed+st.Refunds+st.Errors > 0 {
			log.Info("payment reconcile: pass", "checked", st.Checked, "paid", st.Paid, "closed", st.Closed, "refunds", st.Refunds, "errors", st.Errors)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
