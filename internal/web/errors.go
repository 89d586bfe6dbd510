package web

import (
	"errors"
	"net/http"

	"xiaoxiang"
)

// statusByCode maps every xiaoxiang error code to an HTTP status. It is the only such
// table: pages and the JSON API both use it.
var statusByCode = map[string]int{
	xiaoxiang.ENOTFOUND:     http.StatusNotFound,
	xiaoxiang.EINVALID:      http.StatusBadRequest,
	xiaoxiang.ECONFLICT:     http.StatusConflict,
	xiaoxiang.EFORBIDDEN:    http.StatusForbidden,
	xiaoxiang.EUNAUTHORIZED: http.StatusUnauthorized,
	xiaoxiang.EQUOTA:        http.StatusTooManyRequests,
	xiaoxiang.ECLOSED:       http.StatusForbidden,
	xiaoxiang.EUNPAID:       http.StatusPaymentRequired,
	xiaoxiang.EUNAVAILABLE:  http.StatusServiceUnavailable,
	xiaoxiang.ETOOMANY:      http.StatusTooManyRequests,
	xiaoxiang.EINTERNAL:     http.StatusInternalServerError,
}

// StatusOf returns the HTTP status for err (500 for errors without a known code).
func StatusOf(err error) int {
	if s, ok := statusByCode[xiaoxiang.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ErrSessionExpired is returned by SessionCodec.Decode for a well-signed but expired
// session; pages show the "登录已过期" screen for it.
var ErrSessionExpired = errors.New("web: session expired")

// errorTitle is the heading of the error page for a code.
func errorTitle(code string) string {
	switch code {
	case xiaoxiang.ENOTFOUND:
		return "页面不存在"
	case xiaoxiang.EINVALID:
		return "填写有误"
	case xiaoxiang.ECONFLICT:
		return "当前状态不能进行此操作"
	case xiaoxiang.EFORBIDDEN:
		return "没有权限"
	case xiaoxiang.EUNAUTHORIZED:
		return "请先登录"
	case xiaoxiang.EQUOTA:
		return "次数已用完"
	case xiaoxiang.ECLOSED:
		return "采集任务未开放"
	case xiaoxiang.EUNPAID:
		return "尚未支付"
	case xiaoxiang.EUNAVAILABLE:
		return "服务暂时不可用"
	case xiaoxiang.ETOOMANY:
		return "操作太频繁"
	}
	return "系统繁忙"
}
