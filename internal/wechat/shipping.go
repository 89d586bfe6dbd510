package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"time"
	"unicode/utf8"
)

// Mini-programs placed under 小程序发货信息管理服务 hold the payer's money
// until the merchant reports delivery. Our service is virtual: we report
// logistics_type 3 (虚拟商品) right after payment.

// IsTradeManaged reports whether the mini-program is under order-shipping
// management (POST /wxa/sec/order/is_trade_managed).
func (c *Client) IsTradeManaged(ctx context.Context) (bool, error) {
	if c.cfg.MiniAppID == "" {
		return false, errors.New("wechat: is_trade_managed: no mini-program configured")
	}
	var out struct {
		IsTradeManaged bool `json:"is_trade_managed"`
	}
	err := c.withToken(ctx, "is_trade_managed", "/wxa/sec/order/is_trade_managed", map[string]string{"appid": c.cfg.MiniAppID}, &out)
	return out.IsTradeManaged, err
}

// VirtualShipment reports delivery of a virtual good for one payment.
type VirtualShipment struct {
	TransactionID string // WeChat Pay transaction_id
	PayerOpenID   string // the mini-program openid that paid
	ItemDesc      string // ≤120 chars, e.g. "学历照片采集服务"
	At            time.Time
}

// UploadVirtualShipping reports the shipment (logistics_type 3, delivery
// mode 1) so WeChat releases the funds.
func (c *Client) UploadVirtualShipping(ctx context.Context, s VirtualShipment) error {
	if s.TransactionID == "" || s.PayerOpenID == "" || s.ItemDesc == "" || utf8.RuneCountInString(s.ItemDesc) > 120 {
		return errors.New("wechat: upload_shipping_info: transaction id, payer and a 1-120 char item description are required")
	}
	at := s.At
	if at.IsZero() {
		at = c.clock()
	}
	body := map[string]any{
		"order_key":      map[string]any{"order_number_type": 2, "transaction_id": s.TransactionID},
		"logistics_type": 3,
		"delivery_mode":  1,
		"shipping_list":  []map[string]string{{"item_desc": s.ItemDesc}},
		"upload_time":    at.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02T15:04:05.000-07:00"),
		"payer":          map[string]string{"openid": s.PayerOpenID},
	}
	return c.withToken(ctx, "upload_shipping_info", "/wxa/sec/order/upload_shipping_info", body, nil)
}

// withToken POSTs body with the mini-program access token, refreshing it
// once on 40001/42001.
func (c *Client) withToken(ctx context.Context, op, path string, body, out any) error {
	tok, err := c.AccessToken(ctx, c.cfg.MiniAppID)
	if err != nil {
		return fmt.Errorf("wechat: %s: %w", op, err)
	}
	err = c.call(ctx, op, path, url.Values{"access_token": {tok}}, body, out)
	if code := ErrCode(err); code == CodeInvalidCredential || code == CodeTokenExpired {
		if tok, err = c.accessToken(ctx, c.cfg.MiniAppID, tok); err != nil {
			return fmt.Errorf("wechat: %s: %w", op, err)
		}
		err = c.call(ctx, op, path, url.Values{"access_token": {tok}}, body, out)
	}
	return err
}
