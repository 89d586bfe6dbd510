package app

import (
	"context"
	"errors"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/wechat"
)

var (
	errCSRF  = xiaoxiang.Errorf(xiaoxiang.EFORBIDDEN, "页面已过期或来源异常，请刷新页面后重试。")
	errPanic = xiaoxiang.Errorf(xiaoxiang.EINTERNAL, "系统繁忙，请稍后再试。")
)

// oauthLogin adapts the WeChat client to the student pages' H5 login.
type oauthLogin struct{ c *wechat.Client }

func (l oauthLogin) AuthorizeURL(redirectURI, state string) string {
	u, err := l.c.AuthorizeURL(redirectURI, wechat.ScopeUserInfo, state)
	if err != nil {
		return "/login?error=config"
	}
	return u
}

func (l oauthLogin) Exchange(ctx context.Context, code string) (core.LoginInput, error) {
	u, err := l.c.ExchangeOAuthCode(ctx, code)
	if err != nil {
		return core.LoginInput{}, loginError(err)
	}
	return core.LoginInput{OpenID: u.OpenID, UnionID: u.UnionID, Nickname: u.Nickname}, nil
}

// miniLogin adapts the WeChat client to the API's mini-program login (wx.login code).
type miniLogin struct{ c *wechat.Client }

func (l miniLogin) Code2Session(ctx context.Context, code string) (core.LoginInput, error) {
	s, err := l.c.Code2Session(ctx, code)
	if err != nil {
		return core.LoginInput{}, loginError(err)
	}
	return core.LoginInput{OpenID: s.OpenID, UnionID: s.UnionID}, nil
}

// loginError turns a WeChat error into a domain error with WeChat's Chinese message.
func loginError(err error) error {
	msg := wechat.UserMessage(err)
	if errors.Is(err, wechat.ErrSnapshotUser) {
		return xiaoxiang.WrapError(xiaoxiang.EUNAUTHORIZED, msg+"。", err)
	}
	switch wechat.ErrCode(err) {
	case wechat.CodeInvalidCode, wechat.CodeCodeUsed:
		return xiaoxiang.WrapError(xiaoxiang.EUNAUTHORIZED, msg+"。", err)
	case wechat.CodeHighRiskUser:
		return xiaoxiang.WrapError(xiaoxiang.EFORBIDDEN, msg+"。", err)
	case wechat.CodeRateLimited, wechat.CodeBusy:
		return xiaoxiang.WrapError(xiaoxiang.ETOOMANY, msg+"。", err)
	}
	return xiaoxiang.WrapError(xiaoxiang.EUNAVAILABLE, msg+"。", err)
}
