package payment

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/services/payments"
)

// maxNotifyBody bounds the notification body; real ones are about 1 KB.
const maxNotifyBody = 64 << 10

// NotifyHandler is the http.Handler for WeChat Pay notifications
// (TRANSACTION.SUCCESS and REFUND.*). It verifies the signature (and the
// ±5 min timestamp window) with the official SDK, decrypts the resource with
// the APIv3 key, checks mchid, then lets the OrderStore match appid,
// out_trade_no and amount and transition the order under a row lock.
//
// Answers: 204 when the event is recorded or was already recorded (replays
// and concurrent duplicates are no-ops); 401 for a bad signature or stale
// timestamp; 400 for an undecryptable or mismatching notification; 500 when
// the store fails (WeChat Pay retries). Error answers carry
// {"code":"FAIL","message":…}.
type NotifyHandler struct {
	client *Client
	store  OrderStore
	log    *slog.Logger
	// OnPaid, if set, runs after the call that actually marked an order paid
	// (never for replays). It must be quick; WeChat Pay waits at most 5 s.
	OnPaid func(ctx context.Context, tx Transaction)
	// OnRefund, if set, runs after a refund state change was recorded.
	OnRefund func(ctx context.Context, r RefundResult)
}

// NotifyHandler returns the notification handler for this merchant.
func (c *Client) NotifyHandler(store OrderStore, log *slog.Logger) *NotifyHandler {
	if log == nil {
		log = slog.Default()
	}
	return &NotifyHandler{client: c, store: store, log: log}
}

// refundNotice is the decrypted REFUND.* resource (the SDK has no type for it).
type refundNotice struct {
	MchID               string `json:"mchid"`
	OutTradeNo          string `json:"out_trade_no"`
	TransactionID       string `json:"transaction_id"`
	OutRefundNo         string `json:"out_refund_no"`
	RefundID            string `json:"refund_id"`
	RefundStatus        string `json:"refund_status"`
	SuccessTime         string `json:"success_time"`
	UserReceivedAccount string `json:"user_received_account"`
	Amount              struct {
		Total       int64 `json:"total"`
		Refund      int64 `json:"refund"`
		PayerTotal  int64 `json:"payer_total"`
		PayerRefund int64 `json:"payer_refund"`
	} `json:"amount"`
}

func fail(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"code": "FAIL", "message": msg})
}

// sdkReason trims the SDK error, which appends a dump of the whole request.
func sdkReason(err error) string {
	s := err.Error()
	if i := strings.Index(s, ", request: "); i > 0 {
		s = s[:i]
	}
	return s
}

// ServeHTTP implements http.Handler.
func (h *NotifyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		fail(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	ctx := r.Context()
	r.Body = http.MaxBytesReader(w, r.Body, maxNotifyBody)
	serial := r.Header.Get("Wechatpay-Serial")
	// Decode into a raw message; the event type decides the target type.
	var raw json.RawMessage
	note, err := h.client.notify.ParseNotifyRequest(ctx, r, &raw)
	if err != nil {
		if note == nil && strings.HasPrefix(err.Error(), "invalid notification") {
			h.log.Warn("wechat pay notify: rejected: bad signature or stale timestamp (possible forgery)",
				"remote", r.RemoteAddr, "serial", serial, "err", sdkReason(err))
			fail(w, http.StatusUnauthorized, "signature verification failed")
			return
		}
		h.log.Warn("wechat pay notify: rejected: cannot decrypt or parse", "remote", r.RemoteAddr, "serial", serial, "err", sdkReason(err))
		fail(w, http.StatusBadRequest, "cannot decrypt notification")
		return
	}
	switch {
	case strings.HasPrefix(note.EventType, "TRANSACTION."):
		h.transaction(ctx, w, note.ID, note.EventType, raw)
	case strings.HasPrefix(note.EventType, "REFUND."):
		h.refund(ctx, w, note.ID, note.EventType, raw)
	default:
		h.log.Info("wechat pay notify: ignored event", "id", note.ID, "event", note.EventType)
		w.WriteHeader(http.StatusNoContent)
	}
}

func (h *NotifyHandler) transaction(ctx context.Context, w http.ResponseWriter, id, event string, raw json.RawMessage) {
	var ptx payments.Transaction
	if err := json.Unmarshal(raw, &ptx); err != nil {
		h.log.Warn("wechat pay notify: bad transaction resource", "id", id, "err", err)
		fail(w, http.StatusBadRequest, "bad transaction resource")
		return
	}
	tx := fromSDK(&ptx)
	if tx.MchID != h.client.cfg.MchID {
		h.log.Error("wechat pay notify: rejected: mchid mismatch", "id", id, "out_trade_no", tx.OutTradeNo)
		fail(w, http.StatusBadRequest, "mchid mismatch")
		return
	}
	if tx.TradeState != TradeSuccess {
		// Only SUCCESS is notified in practice; anything else is left to the reconciler.
		h.log.Info("wechat pay notify: non-success transaction ignored", "id", id, "event", event, "out_trade_no", tx.OutTradeNo, "state", tx.TradeState)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	changed, err := h.store.MarkPaid(ctx, tx)
	switch {
	case err == nil:
		if changed {
			h.log.Info("wechat pay notify: order paid", "id", id, "out_trade_no", tx.OutTradeNo, "total", tx.Total)
			if h.OnPaid != nil {
				h.OnPaid(ctx, tx)
			}
		} else {
			h.log.Info("wechat pay notify: duplicate, already paid", "id", id, "out_trade_no", tx.OutTradeNo)
		}
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, ErrUnknownOrder), errors.Is(err, ErrAmountMismatch), errors.Is(err, ErrAppIDMismatch),
		errors.Is(err, ErrMchIDMismatch), errors.Is(err, ErrOrderClosed):
		// Signed by WeChat Pay but not matching our order: do not credit, keep
		// the notification retrying and alert (a closed order that got paid
		// needs a refund by hand).
		h.log.Error("wechat pay notify: rejected: does not match order", "id", id, "out_trade_no", tx.OutTradeNo, "total", tx.Total, "err", err)
		fail(w, http.StatusBadRequest, "order mismatch")
	default:
		h.log.Error("wechat pay notify: store failed", "id", id, "out_trade_no", tx.OutTradeNo, "err", err)
		fail(w, http.StatusInternalServerError, "temporary failure")
	}
}

func (h *NotifyHandler) refund(ctx context.Context, w http.ResponseWriter, id, event string, raw json.RawMessage) {
	var n refundNotice
	if err := json.Unmarshal(raw, &n); err != nil {
		h.log.Warn("wechat pay notify: bad refund resource", "id", id, "err", err)
		fail(w, http.StatusBadRequest, "bad refund resource")
		return
	}
	if n.MchID != h.client.cfg.MchID {
		h.log.Error("wechat pay notify: rejected: refund mchid mismatch", "id", id, "out_refund_no", n.OutRefundNo)
		fail(w, http.StatusBadRequest, "mchid mismatch")
		return
	}
	res := RefundResult{
		OutRefundNo: n.OutRefundNo, OutTradeNo: n.OutTradeNo, RefundID: n.RefundID, Status: n.RefundStatus,
		Refund: n.Amount.Refund, Total: n.Amount.Total,
	}
	if t, err := time.Parse(time.RFC3339, n.SuccessTime); err == nil {
		res.SuccessTime = t.UTC()
	}
	changed, err := h.store.MarkRefund(ctx, res)
	switch {
	case err == nil:
		h.log.Info("wechat pay notify: refund", "id", id, "out_refund_no", n.OutRefundNo, "status", n.RefundStatus, "changed", changed)
		if changed && h.OnRefund != nil {
			h.OnRefund(ctx, res)
		}
		w.WriteHeader(http.StatusNoContent)
	case errors.Is(err, ErrUnknownRefund):
		h.log.Error("wechat pay notify: rejected: unknown refund", "id", id, "out_refund_no", n.OutRefundNo)
		fail(w, http.StatusBadRequest, "unknown refund")
	default:
		h.log.Error("wechat pay notify: refund store failed", "id", id, "out_refund_no", n.OutRefundNo, "err", err)
		fail(w, http.StatusInternalServerError, "temporary failure")
	}
}

// String keeps a handler from being printed with its client's secrets.
func (h *NotifyHandler) String() string {
	return fmt.Sprintf("payment.NotifyHandler{mchid:%s}", h.client.cfg.MchID)
}
