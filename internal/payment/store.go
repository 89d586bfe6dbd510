package payment

import (
	"context"
	"errors"
	"time"
)

// Trade states reported by WeChat Pay (trade_state). NOTPAY and USERPAYING are
// not final; SUCCESS, REFUND, CLOSED, REVOKED and PAYERROR are.
const (
	TradeSuccess    = "SUCCESS"
	TradeRefund     = "REFUND"
	TradeNotPay     = "NOTPAY"
	TradeClosed     = "CLOSED"
	TradeRevoked    = "REVOKED"
	TradeUserPaying = "USERPAYING"
	TradePayError   = "PAYERROR"
)

// Refund statuses (status). PROCESSING and ABNORMAL are not final.
const (
	RefundSuccess    = "SUCCESS"
	RefundClosed     = "CLOSED"
	RefundProcessing = "PROCESSING"
	RefundAbnormal   = "ABNORMAL"
)

// Transaction is a verified (signature checked, decrypted) WeChat Pay
// transaction, from a notification or an order query. Money is in fen.
type Transaction struct {
	OutTradeNo    string
	TransactionID string
	AppID         string
	MchID         string
	TradeState    string
	Total         int64 // amount.total: the order amount
	PayerTotal    int64 // amount.payer_total: what the user paid (after coupons)
	Currency      string
	PayerOpenID   string
	SuccessTime   time.Time // zero unless TradeState is SUCCESS
}

// RefundResult is a verified refund state from the refund API, a refund query
// or a REFUND.* notification.
type RefundResult struct {
	OutRefundNo string
	OutTradeNo  string
	RefundID    string
	Status      string // RefundSuccess, RefundClosed, RefundProcessing, RefundAbnormal
	Refund      int64  // fen
	Total       int64  // fen, the order total
	SuccessTime time.Time
}

// UnpaidOrder is what the reconciler needs to know about an order that our
// database still records as unpaid (created, not paid, not closed).
type UnpaidOrder struct {
	OutTradeNo string
	CreatedAt  time.Time
}

// Sentinel errors returned by OrderStore implementations. Callers compare
// with errors.Is; implementations may wrap them.
var (
	// ErrUnknownOrder: no order with this out_trade_no (MarkPaid, MarkClosed).
	ErrUnknownOrder = errors.New("payment: unknown order")
	// ErrAmountMismatch: the transaction total differs from the order amount.
	ErrAmountMismatch = errors.New("payment: amount mismatch")
	// ErrAppIDMismatch: the transaction appid is not the one the order was created for.
	ErrAppIDMismatch = errors.New("payment: appid mismatch")
	// ErrMchIDMismatch: the transaction mchid is not the one the order was created for.
	ErrMchIDMismatch = errors.New("payment: mchid mismatch")
	// ErrOrderClosed: the order was closed locally; it can no longer become paid.
	ErrOrderClosed = errors.New("payment: order already closed")
	// ErrAlreadyPaid: MarkClosed on an order that is paid (or refunded).
	ErrAlreadyPaid = errors.New("payment: order already paid")
	// ErrUnknownRefund: no refund request with this out_refund_no (MarkRefund).
	ErrUnknownRefund = errors.New("payment: unknown refund")
)

// OrderStore is what the payment package needs from the platform's order
// table. The database implementation must make every method atomic (one
// transaction with a row lock on the order) because WeChat Pay delivers the
// same notification several times, sometimes concurrently, and the reconciler
// may query the same order at the same moment.
//
// paymenttest.RunOrderStoreTests checks an implementation against this contract.
type OrderStore interface {
	// MarkPaid transitions the order tx.OutTradeNo from unpaid to paid, after
	// checking, under the row lock, that tx.AppID, tx.MchID and tx.Total equal
	// what the order was created with (ErrAppIDMismatch, ErrMchIDMismatch,
	// ErrAmountMismatch; checked in that order) and that it is not closed
	// (ErrOrderClosed). It records tx.TransactionID and tx.SuccessTime.
	// It returns changed=true only for the call that made the transition; a
	// repeated call for an order that is already paid (or refunded later)
	// returns changed=false and a nil error, so replays are no-ops.
	// An unknown out_trade_no gives ErrUnknownOrder.
	MarkPaid(ctx context.Context, tx Transaction) (changed bool, err error)

	// MarkClosed transitions an unpaid order to closed (after WeChat Pay closed
	// it or reported it CLOSED). Closing a closed order returns changed=false,
	// nil; closing a paid order returns ErrAlreadyPaid; unknown: ErrUnknownOrder.
	MarkClosed(ctx context.Context, outTradeNo string, at time.Time) (changed bool, err error)

	// UnpaidOrders lists up to limit orders that are neither paid nor closed and
	// were created before createdBefore, oldest first.
	UnpaidOrders(ctx context.Context, createdBefore time.Time, limit int) ([]UnpaidOrder, error)

	// MarkRefund records the latest state of a refund the platform requested
	// (out_refund_no). A final state (SUCCESS, CLOSED) is never overwritten:
	// a later update returns changed=false, nil. PROCESSING/ABNORMAL may move
	// to any state. Unknown out_refund_no: ErrUnknownRefund.
	MarkRefund(ctx context.Context, r RefundResult) (changed bool, err error)

	// PendingRefunds lists up to limit out_refund_no values whose last known
	// state is not final (requested, PROCESSING or ABNORMAL), oldest first.
	PendingRefunds(ctx context.Context, limit int) ([]string, error)
}
