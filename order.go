package xiaoxiang

import "time"

// OrderStatus is the lifecycle of a payment order.
//
//	created → paid → refunding → refunded
//	created → closed
type OrderStatus string

const (
	OrderCreated   OrderStatus = "created"
	OrderPaid      OrderStatus = "paid"
	OrderRefunding OrderStatus = "refunding"
	OrderRefunded  OrderStatus = "refunded"
	OrderClosed    OrderStatus = "closed"
)

// Label is the Chinese label shown to users.
func (s OrderStatus) Label() string {
	switch s {
	case OrderCreated:
		return "待支付"
	case OrderPaid:
		return "已支付"
	case OrderRefunding:
		return "退款中"
	case OrderRefunded:
		return "已退款"
	case OrderClosed:
		return "已关闭"
	}
	return string(s)
}

var orderTransitions = map[OrderStatus][]OrderStatus{
	OrderCreated:   {OrderPaid, OrderClosed},
	OrderPaid:      {OrderRefunding},
	OrderRefunding: {OrderRefunded, OrderPaid}, // back to paid when a refund is closed/abnormal
}

// CanTransition reports whether an order may move from s to next.
func (s OrderStatus) CanTransition(next OrderStatus) bool {
	for _, n := range orderTransitions[s] {
		if n == next {
			return true
		}
	}
	return false
}

// Order is the payment of a task's fee by one binding. Money is int64 fen.
type Order struct {
	ID            int64
	OutTradeNo    string // our order number sent to WeChat Pay (6–32 chars)
	AccountID     int64
	BindingID     int64
	TaskID        int64
	SchoolID      int64
	AmountFen     int64
	Status        OrderStatus
	PrepayID      string
	TransactionID string // WeChat Pay's transaction id once paid
	PayerOpenID   string
	PaidAt        time.Time
	// Refund fields.
	OutRefundNo  string
	RefundReason string
	RefundedAt   time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}
