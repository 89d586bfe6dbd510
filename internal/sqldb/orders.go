package sqldb

import (
	"context"
	"fmt"
	"time"

	"xiaoxiang"
)

// OrderRow is an order with the columns the domain type leaves out: the
// roster entry it pays for, the WeChat Pay appid/mchid it was created for,
// and its expiry.
type OrderRow struct {
	xiaoxiang.Order
	RosterEntryID int64
	AppID         string
	MchID         string
	ClosedAt      time.Time
	ExpiresAt     time.Time
}

const orderColumns = `o.id, o.out_trade_no, o.account_id, o.binding_id, o.roster_entry_id, o.task_id, o.school_id, o.app_id, o.mch_id,
	o.amount_fen, o.status, o.prepay_id, o.transaction_id, o.payer_openid, o.paid_at, o.closed_at, o.expires_at,
	o.out_refund_no, o.refund_reason, o.refunded_at, o.created_at, o.updated_at`

func scanOrder(r scanner) (*OrderRow, error) {
	var o OrderRow
	err := r.Scan(&o.ID, &o.OutTradeNo, &o.AccountID, &o.BindingID, &o.RosterEntryID, &o.TaskID, &o.SchoolID, &o.AppID, &o.MchID,
		&o.AmountFen, &o.Status, &o.PrepayID, &o.TransactionID, &o.PayerOpenID, tm(&o.PaidAt), tm(&o.ClosedAt), tm(&o.ExpiresAt),
		&o.OutRefundNo, &o.RefundReason, tm(&o.RefundedAt), tm(&o.CreatedAt), tm(&o.UpdatedAt))
	return &o, err
}

// CreateOrder inserts o (status created unless set). A duplicate
// out_trade_no gives ECONFLICT.
func (tx *Tx) CreateOrder(ctx context.Context, o *OrderRow) error {
	if o.Status == "" {
		o.Status = xiaoxiang.OrderCreated
	}
	if o.CreatedAt.IsZero() {
		o.CreatedAt = tx.now
	}
	o.UpdatedAt = tx.now
	err := tx.queryRow(ctx, `INSERT INTO orders (out_trade_no, account_id, binding_id, roster_entry_id, task_id, school_id, app_id, mch_id,
		amount_fen, status, expires_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		o.OutTradeNo, o.AccountID, o.BindingID, o.RosterEntryID, o.TaskID, o.SchoolID, o.AppID, o.MchID,
		o.AmountFen, o.Status, o.ExpiresAt, o.CreatedAt, o.UpdatedAt).Scan(&o.ID)
	if err != nil {
		if isUniqueViolation(err) {
			return xiaoxiang.WrapError(xiaoxiang.ECONFLICT, "订单已存在，请刷新后重试。", err)
		}
		return fmt.Errorf("sqldb: create order: %w", err)
	}
	return nil
}

// FindOrderByID returns one order.
func (tx *Tx) FindOrderByID(ctx context.Context, id int64) (*OrderRow, error) {
	o, err := scanOrder(tx.queryRow(ctx, `SELECT `+orderColumns+` FROM orders o WHERE o.id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find order %d: %w", id, notFound(err, "订单不存在。"))
	}
	return o, nil
}

// FindOrderByOutTradeNo returns the order, locking its row (FOR UPDATE on
// PostgreSQL; on SQLite the write transaction already excludes writers).
func (tx *Tx) FindOrderByOutTradeNo(ctx context.Context, outTradeNo string, lock bool) (*OrderRow, error) {
	q := `SELECT ` + orderColumns + ` FROM orders o WHERE o.out_trade_no = ?`
	if lock {
		q += tx.db.dialect.ForUpdate()
	}
	o, err := scanOrder(tx.queryRow(ctx, q, outTradeNo))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find order by out_trade_no: %w", notFound(err, "订单不存在。"))
	}
	return o, nil
}

// FindOrdersByBinding lists the binding's orders, newest first.
func (tx *Tx) FindOrdersByBinding(ctx context.Context, bindingID int64) ([]*OrderRow, error) {
	out, err := list(ctx, tx, scanOrder, `SELECT `+orderColumns+` FROM orders o WHERE o.binding_id = ? ORDER BY o.id DESC`, bindingID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find orders of binding %d: %w", bindingID, err)
	}
	return out, nil
}

// FindOrdersByAccount lists the account's orders, newest first.
func (tx *Tx) FindOrdersByAccount(ctx context.Context, accountID int64) ([]*OrderRow, error) {
	out, err := list(ctx, tx, scanOrder, `SELECT `+orderColumns+` FROM orders o WHERE o.account_id = ? ORDER BY o.id DESC`, accountID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find orders of account %d: %w", accountID, err)
	}
	return out, nil
}

// FindPaidOrderByEntry returns the roster entry's paid (or refunding) order:
// the fee is paid per student, whichever account paid it.
func (tx *Tx) FindPaidOrderByEntry(ctx context.Context, entryID int64) (*OrderRow, error) {
	o, err := scanOrder(tx.queryRow(ctx, `SELECT `+orderColumns+` FROM orders o
		WHERE o.roster_entry_id = ? AND o.status IN ('paid', 'refunding') ORDER BY o.id LIMIT 1`, entryID))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find paid order of roster entry %d: %w", entryID, notFound(err, "尚未支付。"))
	}
	return o, nil
}

// CountOrdersByBinding counts the binding's orders (for the next out_trade_no).
func (tx *Tx) CountOrdersByBinding(ctx context.Context, bindingID int64) (int, error) {
	var n int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM orders WHERE binding_id = ?`, bindingID).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqldb: count orders of binding %d: %w", bindingID, err)
	}
	return n, nil
}

// SetOrderPrepay records the prepay_id WeChat Pay returned.
func (tx *Tx) SetOrderPrepay(ctx context.Context, id int64, prepayID string) error {
	if _, err := tx.exec(ctx, `UPDATE orders SET prepay_id = ?, updated_at = ? WHERE id = ?`, prepayID, tx.now, id); err != nil {
		return fmt.Errorf("sqldb: set prepay of order %d: %w", id, err)
	}
	return nil
}

// MarkOrderPaid moves a created order to paid. It reports whether the row changed.
func (tx *Tx) MarkOrderPaid(ctx context.Context, id int64, transactionID, payerOpenID string, paidAt time.Time) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE orders SET status = 'paid', transaction_id = ?, payer_openid = ?, paid_at = ?, updated_at = ?
		WHERE id = ? AND status = 'created'`, transactionID, payerOpenID, paidAt, tx.now, id)
	if err != nil {
		return false, fmt.Errorf("sqldb: mark order %d paid: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// MarkOrderClosed moves a created order to closed. It reports whether the row changed.
func (tx *Tx) MarkOrderClosed(ctx context.Context, id int64, at time.Time) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE orders SET status = 'closed', closed_at = ?, updated_at = ? WHERE id = ? AND status = 'created'`, at, tx.now, id)
	if err != nil {
		return false, fmt.Errorf("sqldb: mark order %d closed: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SetOrderStatus moves an order from one status to another (refund flow).
func (tx *Tx) SetOrderStatus(ctx context.Context, id int64, from, to xiaoxiang.OrderStatus) (bool, error) {
	var refunded any
	if to == xiaoxiang.OrderRefunded {
		refunded = tx.now
	}
	res, err := tx.exec(ctx, `UPDATE orders SET status = ?, refunded_at = COALESCE(?, refunded_at), updated_at = ? WHERE id = ? AND status = ?`,
		to, refunded, tx.now, id, from)
	if err != nil {
		return false, fmt.Errorf("sqldb: set order %d status: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// FindUnpaidOrders lists up to limit created orders created before t, oldest first.
func (tx *Tx) FindUnpaidOrders(ctx context.Context, before time.Time, limit int) ([]*OrderRow, error) {
	out, err := list(ctx, tx, scanOrder, `SELECT `+orderColumns+` FROM orders o
		WHERE o.status = 'created' AND o.created_at < ? ORDER BY o.created_at, o.id LIMIT ?`, before, limit)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find unpaid orders: %w", err)
	}
	return out, nil
}

// Refund is a refund request of an order (out_refund_no) and its last known state.
type Refund struct {
	ID          int64
	OrderID     int64
	OutRefundNo string
	AmountFen   int64
	Reason      string
	Status      string // "" requested; then WeChat Pay's SUCCESS, CLOSED, PROCESSING, ABNORMAL
	RefundID    string
	SucceededAt time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func scanRefund(r scanner) (*Refund, error) {
	var f Refund
	err := r.Scan(&f.ID, &f.OrderID, &f.OutRefundNo, &f.AmountFen, &f.Reason, &f.Status, &f.RefundID, tm(&f.SucceededAt), tm(&f.CreatedAt), tm(&f.UpdatedAt))
	return &f, err
}

const refundColumns = `f.id, f.order_id, f.out_refund_no, f.amount_fen, f.reason, f.status, f.refund_id, f.succeeded_at, f.created_at, f.updated_at`

// CreateRefund inserts a refund request.
func (tx *Tx) CreateRefund(ctx context.Context, f *Refund) error {
	f.CreatedAt, f.UpdatedAt = tx.now, tx.now
	err := tx.queryRow(ctx, `INSERT INTO refunds (order_id, out_refund_no, amount_fen, reason, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, f.OrderID, f.OutRefundNo, f.AmountFen, f.Reason, f.Status, f.CreatedAt, f.UpdatedAt).Scan(&f.ID)
	if err != nil {
		if isUniqueViolation(err) {
			return xiaoxiang.WrapError(xiaoxiang.ECONFLICT, "退款申请已存在。", err)
		}
		return fmt.Errorf("sqldb: create refund: %w", err)
	}
	return nil
}

// FindRefundByNo returns a refund, locking its row.
func (tx *Tx) FindRefundByNo(ctx context.Context, outRefundNo string) (*Refund, error) {
	f, err := scanRefund(tx.queryRow(ctx, `SELECT `+refundColumns+` FROM refunds f WHERE f.out_refund_no = ?`+tx.db.dialect.ForUpdate(), outRefundNo))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find refund: %w", notFound(err, "退款申请不存在。"))
	}
	return f, nil
}

// UpdateRefundState records the latest refund state.
func (tx *Tx) UpdateRefundState(ctx context.Context, id int64, status, refundID string, succeededAt time.Time) error {
	_, err := tx.exec(ctx, `UPDATE refunds SET status = ?, refund_id = CASE WHEN ? = '' THEN refund_id ELSE ? END,
		succeeded_at = COALESCE(?, succeeded_at), updated_at = ? WHERE id = ?`, status, refundID, refundID, succeededAt, tx.now, id)
	if err != nil {
		return fmt.Errorf("sqldb: update refund %d: %w", id, err)
	}
	return nil
}

// FindPendingRefunds lists refunds whose state is not final, oldest first.
func (tx *Tx) FindPendingRefunds(ctx context.Context, limit int) ([]*Refund, error) {
	out, err := list(ctx, tx, scanRefund, `SELECT `+refundColumns+` FROM refunds f
		WHERE f.status NOT IN ('SUCCESS', 'CLOSED') ORDER BY f.id LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find pending refunds: %w", err)
	}
	return out, nil
}

// ClearOrderPayer forgets the payer openid of the account's orders (the
// orders themselves stay for accounting).
func (tx *Tx) ClearOrderPayer(ctx context.Context, accountID int64) error {
	if _, err := tx.exec(ctx, `UPDATE orders SET payer_openid = '', updated_at = ? WHERE account_id = ?`, tx.now, accountID); err != nil {
		return fmt.Errorf("sqldb: clear payer of account %d orders: %w", accountID, err)
	}
	return nil
}
