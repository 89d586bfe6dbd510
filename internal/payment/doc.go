// Package payment is the WeChat Pay API v3 (JSAPI) client of xiaoxiang:
// prepay with signed client parameters, the notification handler, order
// query/close, refunds and the reconciler. It speaks to the real
// api.mch.weixin.qq.com or, by configuration only, to the simulator in
// internal/wechat/wechatfake. It never imports the database or the domain:
// it needs an OrderStore (store.go) from the platform.
package payment
