package wechatfake

import (
	"encoding/json"
	"net/http"
	"time"
)

// Shipment is an upload_shipping_info the simulator accepted.
type Shipment struct {
	TransactionID string
	PayerOpenID   string
	ItemDesc      string
	LogisticsType int
	UploadTime    time.Time
}

// Shipments returns the accepted shipping reports.
func (s *Sim) Shipments() []Shipment {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Shipment(nil), s.shipments...)
}

// validToken answers 40001/42001 and reports false for a bad token.
func (s *Sim) validToken(w http.ResponseWriter, r *http.Request) bool {
	s.mu.Lock()
	t := s.tokens[r.URL.Query().Get("access_token")]
	expired := t != nil && s.now().After(t.expires)
	s.mu.Unlock()
	switch {
	case t == nil:
		wxErr(w, 40001, errMsgs[40001])
		return false
	case expired:
		wxErr(w, 42001, errMsgs[42001])
		return false
	}
	return true
}

// POST /wxa/sec/order/is_trade_managed
func (s *Sim) isTradeManaged(w http.ResponseWriter, r *http.Request) {
	if !s.validToken(w, r) {
		return
	}
	var req struct {
		AppID string `json:"appid"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&req); err != nil || req.AppID != s.opts.MiniAppID {
		wxErr(w, 40013, errMsgs[40013])
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "is_trade_managed": s.opts.TradeManaged})
}

// POST /wxa/sec/order/upload_shipping_info. The 1006000x codes follow
// what developers report for this API (支付单不存在 / 已发货).
func (s *Sim) uploadShipping(w http.ResponseWriter, r *http.Request) {
	if !s.validToken(w, r) {
		return
	}
	var req struct {
		OrderKey struct {
			OrderNumberType int    `json:"order_number_type"`
			TransactionID   string `json:"transaction_id"`
			MchID           string `json:"mchid"`
			OutTradeNo      string `json:"out_trade_no"`
		} `json:"order_key"`
		LogisticsType int `json:"logistics_type"`
		DeliveryMode  int `json:"delivery_mode"`
		ShippingList  []struct {
			ItemDesc string `json:"item_desc"`
		} `json:"shipping_list"`
		UploadTime string `json:"upload_time"`
		Payer      struct {
			OpenID string `json:"openid"`
		} `json:"payer"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&req); err != nil {
		wxErr(w, 47001, "data format error")
		return
	}
	ut, terr := time.Parse(time.RFC3339, req.UploadTime)
	if req.LogisticsType < 1 || req.LogisticsType > 4 || req.DeliveryMode != 1 || len(req.ShippingList) == 0 ||
		req.ShippingList[0].ItemDesc == "" || terr != nil || req.Payer.OpenID == "" {
		wxErr(w, 47001, "data format error: logistics_type, delivery_mode, shipping_list, upload_time and payer are required")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var o *order
	for _, x := range s.orders {
		if (req.OrderKey.OrderNumberType == 2 && x.TransactionID != "" && x.TransactionID == req.OrderKey.TransactionID) ||
			(req.OrderKey.OrderNumberType == 1 && x.MchID == req.OrderKey.MchID && x.OutTradeNo == req.OrderKey.OutTradeNo) {
			o = x
		}
	}
	if o == nil || o.AppID != s.opts.MiniAppID || o.TransactionID == "" {
		wxErr(w, 10060001, "支付单不存在")
		return
	}
	if o.OpenID != req.Payer.OpenID {
		wxErr(w, 10060002, "支付单与支付者不匹配")
		return
	}
	for _, sh := range s.shipments {
		if sh.TransactionID == o.TransactionID {
			wxErr(w, 10060003, "支付单已完成发货，无法继续发货")
			return
		}
	}
	s.shipments = append(s.shipments, Shipment{TransactionID: o.TransactionID, PayerOpenID: req.Payer.OpenID,
		ItemDesc: req.ShippingList[0].ItemDesc, LogisticsType: req.LogisticsType, UploadTime: ut})
	writeJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok"})
}
