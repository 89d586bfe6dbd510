package core

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"xiaoxiang"
	"xiaoxiang/internal/auth"
	"xiaoxiang/internal/payment"
	"xiaoxiang/internal/sqldb"
)

// Refunder submits refunds to WeChat Pay (*payment.Client implements it).
type Refunder interface {
	Refund(ctx context.Context, r payment.RefundRequest) (payment.RefundResult, error)
}

// RequestRefund records a school's request to refund a student's paid fee in
// full (a school admin of that school). The operator approves it, which
// submits the refund to WeChat Pay.
func (c *Console) RequestRefund(ctx context.Context, a *Actor, entryID int64, reason string) error {
	reason = strings.TrimSpace(reason)
	if reason == "" || utf8.RuneCountInString(reason) > 80 {
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "请填写退款原因（不超过80个字，学生可见）。")
	}
	return c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		e, err := tx.FindRosterEntryByID(ctx, entryID)
		if err != nil {
			if xiaoxiang.ErrorCode(err) == xiaoxiang.ENOTFOUND {
				return notVisible("学生")
			}
			return err
		}
		if err := a.can(auth.ActionRefund, auth.Resource{SchoolID: e.SchoolID}, "学生"); err != nil {
			return err
		}
		o, err := tx.FindPaidOrderByEntry(ctx, e.ID)
		if err != nil {
			if xiaoxiang.ErrorCode(err) == xiaoxiang.ENOTFOUND {
				return xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "该学生没有已支付的订单，无需退款。")
			}
			return err
		}
		ok, err := tx.SetOrderRefundRequest(ctx, o.ID, reason)
		if err != nil {
			return err
		}
		if !ok {
			return xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "该订单正在退款或已退款。")
		}
		return c.audit(ctx, tx, a, "refund_request", obj("order", o.ID), o.SchoolID, 1, fmt.Sprintf("amount=%d", o.AmountFen))
	})
}

// Refunds lists refund requests and their state in the actor's scope.
func (c *Console) Refunds(ctx context.Context, a *Actor) ([]*sqldb.RefundRow, error) {
	if a.P.Role != auth.RoleOperator {
		if err := a.schoolFor(a.P.SchoolID, auth.ActionRefund); err != nil {
			return nil, err
		}
	}
	var out []*sqldb.RefundRow
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		out, err = tx.FindRefundRows(ctx, a.scope(), 200)
		return err
	})
	return out, err
}

// DecideRefund approves (operators: the refund goes to WeChat Pay, the order
// becomes 退款中 and then 已退款 when WeChat Pay confirms; the student is
// notified) or declines a refund request. Approving again a refund whose
// submission failed resubmits it with the same out_refund_no (safe).
func (c *Console) DecideRefund(ctx context.Context, a *Actor, orderID int64, approve bool) error {
	if err := a.operator(auth.ActionRefund); err != nil {
		return err
	}
	if approve && c.opts.Refunder == nil {
		return xiaoxiang.Errorf(xiaoxiang.EUNAVAILABLE, "未配置微信支付商户，暂时无法退款。")
	}
	var req payment.RefundRequest
	err := c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		o, err := tx.FindOrderByID(ctx, orderID)
		if err != nil {
			return err
		}
		if approve && o.Status == xiaoxiang.OrderRefunding {
			f, err := tx.FindRefundByNo(ctx, payment.OutRefundNo(o.OutTradeNo, 1))
			if err == nil && f.Status == "" {
				req = payment.RefundRequest{OutTradeNo: o.OutTradeNo, OutRefundNo: f.OutRefundNo, Reason: f.Reason, Refund: f.AmountFen, Total: o.AmountFen}
				return c.audit(ctx, tx, a, "refund_resubmit", obj("order", o.ID), o.SchoolID, 1, "")
			}
		}
		if o.Status != xiaoxiang.OrderPaid || o.RefundReason == "" {
			return xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "该退款申请已处理。")
		}
		n := &xiaoxiang.Notification{AccountID: o.AccountID, Kind: NotifyPaymentResult, Link: fmt.Sprintf("/my/%d/status", o.BindingID)}
		if !approve {
			if _, err := tx.SetOrderRefundRequest(ctx, o.ID, ""); err != nil {
				return err
			}
			return c.audit(ctx, tx, a, "refund_decline", obj("order", o.ID), o.SchoolID, 1, "")
		}
		req = payment.RefundRequest{OutTradeNo: o.OutTradeNo, OutRefundNo: payment.OutRefundNo(o.OutTradeNo, 1), Reason: o.RefundReason,
			Refund: o.AmountFen, Total: o.AmountFen}
		if err := tx.CreateRefund(ctx, &sqldb.Refund{OrderID: o.ID, OutRefundNo: req.OutRefundNo, AmountFen: o.AmountFen, Reason: o.RefundReason}); err != nil {
			return err
		}
		if _, err := tx.SetOrderStatus(ctx, o.ID, xiaoxiang.OrderPaid, xiaoxiang.OrderRefunding); err != nil {
			return err
		}
		n.Title = "退款处理中"
		n.Body = fmt.Sprintf("您的采集费用 %d.%02d 元正在退回原支付账户，原因：%s", o.AmountFen/100, o.AmountFen%100, o.RefundReason)
		if err := Notify(ctx, tx, n); err != nil {
			return err
		}
		return c.audit(ctx, tx, a, "refund_approve", obj("order", o.ID), o.SchoolID, 1, fmt.Sprintf("amount=%d", o.AmountFen))
	})
	if err != nil || !approve {
		return err
	}
	// Submit after the commit; a failure leaves the refund pending for the
	// reconciler, which queries (and so settles) it by out_refund_no.
	res, err := c.opts.Refunder.Refund(ctx, req)
	if err != nil {
		return xiaoxiang.WrapError(xiaoxiang.EUNAVAILABLE, "退款已登记，但提交微信支付失败，系统会自动重试查询；如长时间未到账请联系技术支持。", err)
	}
	_, err = c.s.OrderStore().MarkRefund(ctx, res)
	return err
}
