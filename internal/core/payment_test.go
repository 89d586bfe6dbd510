package core_test

import (
	"testing"
	"time"

	"xiaoxiang/internal/payment"
	"xiaoxiang/internal/payment/paymenttest"
	"xiaoxiang/internal/sqldb"
)

func paidTx(o *sqldb.OrderRow) payment.Transaction {
	return payment.Transaction{OutTradeNo: o.OutTradeNo, TransactionID: "4200" + o.OutTradeNo, AppID: o.AppID, MchID: o.MchID,
		TradeState: payment.TradeSuccess, Total: o.AmountFen, PayerTotal: o.AmountFen, Currency: "CNY", PayerOpenID: "o-payer",
		SuccessTime: start}
}

// TestOrderStoreConformance runs the payment package's OrderStore contract
// against the database store (SQLite, or PostgreSQL with
// XIAOXIANG_TEST_POSTGRES), including concurrent duplicate notifications.
func TestOrderStoreConformance(t *testing.T) {
	paymenttest.RunOrderStoreTests(t, func(t *testing.T) paymenttest.Harness {
		e := newEnv(t)
		_, b := e.linkedUnpaid("o-conformance", "丁白云", idDing)
		return paymenttest.Harness{
			Store: e.svc.OrderStore(),
			CreateOrder: func(t *testing.T, o paymenttest.Order) {
				row := &sqldb.OrderRow{Order: sqldbOrder(b, o.OutTradeNo, o.Total, o.CreatedAt), RosterEntryID: b.RosterEntryID, AppID: o.AppID, MchID: o.MchID}
				e.tx(func(tx *sqldb.Tx) error { return tx.CreateOrder(e.ctx, row) })
			},
			CreateRefund: func(t *testing.T, no, trade string, amount int64) {
				e.tx(func(tx *sqldb.Tx) error {
					o, err := tx.FindOrderByOutTradeNo(e.ctx, trade, false)
					if err != nil {
						return err
					}
					return tx.CreateRefund(e.ctx, &sqldb.Refund{OrderID: o.ID, OutRefundNo: no, AmountFen: amount, Reason: "测试退款"})
				})
			},
		}
	})
}

var _ = time.Second
