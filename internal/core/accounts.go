package core

import (
	"context"
	"strings"
	"unicode/utf8"

	"xiaoxiang"
	"xiaoxiang/internal/sqldb"
)

// LoginInput is what WeChat login (code2session / OAuth) yields.
type LoginInput struct {
	OpenID   string
	UnionID  string // optional; joins the mini-program and H5 identities
	Nickname string
}

// Login finds the account by openid (or, failing that, by unionid, adopting
// the new openid) or creates it, and updates the nickname.
func (s *Service) Login(ctx context.Context, in LoginInput) (*xiaoxiang.Account, error) {
	in.OpenID = strings.TrimSpace(in.OpenID)
	in.UnionID = strings.TrimSpace(in.UnionID)
	in.Nickname = strings.TrimSpace(in.Nickname)
	if in.OpenID == "" || len(in.OpenID) > 128 || len(in.UnionID) > 128 {
		return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "微信登录失败，请重新进入小程序。")
	}
	if utf8.RuneCountInString(in.Nickname) > 64 {
		in.Nickname = string([]rune(in.Nickname)[:64])
	}
	var acct *xiaoxiang.Account
	login := func(tx *sqldb.Tx) error {
		a, err := tx.FindAccountByOpenID(ctx, in.OpenID)
		if xiaoxiang.ErrorCode(err) == xiaoxiang.ENOTFOUND && in.UnionID != "" {
			a, err = tx.FindAccountByUnionID(ctx, in.UnionID)
		}
		switch {
		case xiaoxiang.ErrorCode(err) == xiaoxiang.ENOTFOUND:
			a = &xiaoxiang.Account{OpenID: in.OpenID, UnionID: in.UnionID, Nickname: in.Nickname}
			if err := tx.CreateAccount(ctx, a); err != nil {
				return err
			}
		case err != nil:
			return err
		default:
			changed := a.OpenID != in.OpenID || (in.UnionID != "" && a.UnionID != in.UnionID) || (in.Nickname != "" && a.Nickname != in.Nickname)
			a.OpenID = in.OpenID
			if in.UnionID != "" {
				a.UnionID = in.UnionID
			}
			if in.Nickname != "" {
				a.Nickname = in.Nickname
			}
			if changed {
				if err := tx.UpdateAccountIdentity(ctx, a); err != nil {
					return err
				}
			}
		}
		acct = a
		return nil
	}
	err := s.db.InTx(ctx, login)
	if err != nil && sqldb.IsUniqueViolation(err) {
		// Two first logins of the same openid raced; the other one created it.
		err = s.db.InTx(ctx, login)
	}
	if err != nil {
		return nil, err
	}
	return acct, nil
}

// Account returns a live account (EUNAUTHORIZED for unknown or deleted ones).
func (s *Service) Account(ctx context.Context, accountID int64) (*xiaoxiang.Account, error) {
	var a *xiaoxiang.Account
	err := s.db.View(ctx, func(tx *sqldb.Tx) (err error) {
		a, err = liveAccount(ctx, tx, accountID)
		return err
	})
	return a, err
}

// ConsentState says which consents the account gave to the current privacy
// notice version (xiaoxiang.PrivacyNoticeVersion).
type ConsentState struct {
	Version  string
	Identity bool
	Photo    bool
}

// GiveConsent records the account's consent of kind to the current privacy
// notice. Giving it again is harmless.
func (s *Service) GiveConsent(ctx context.Context, accountID int64, kind xiaoxiang.ConsentKind) error {
	if kind != xiaoxiang.ConsentIdentity && kind != xiaoxiang.ConsentPhoto {
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "未知的授权类型。")
	}
	return s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := liveAccount(ctx, tx, accountID); err != nil {
			return err
		}
		return tx.CreateConsent(ctx, &xiaoxiang.Consent{AccountID: accountID, Kind: kind, Version: xiaoxiang.PrivacyNoticeVersion})
	})
}

// Consents reports the consents given to the current notice version.
func (s *Service) Consents(ctx context.Context, accountID int64) (ConsentState, error) {
	st := ConsentState{Version: xiaoxiang.PrivacyNoticeVersion}
	err := s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		st, err = consentState(ctx, tx, accountID)
		return err
	})
	return st, err
}

func consentState(ctx context.Context, tx *sqldb.Tx, accountID int64) (ConsentState, error) {
	st := ConsentState{Version: xiaoxiang.PrivacyNoticeVersion}
	cs, err := tx.FindConsents(ctx, accountID)
	if err != nil {
		return st, err
	}
	for _, c := range cs {
		if c.Version != xiaoxiang.PrivacyNoticeVersion {
			continue
		}
		switch c.Kind {
		case xiaoxiang.ConsentIdentity:
			st.Identity = true
		case xiaoxiang.ConsentPhoto:
			st.Photo = true
		}
	}
	return st, nil
}

// requireConsent refuses when the account has not agreed to kind.
func requireConsent(ctx context.Context, tx *sqldb.Tx, accountID int64, kind xiaoxiang.ConsentKind) error {
	st, err := consentState(ctx, tx, accountID)
	if err != nil {
		return err
	}
	if kind == xiaoxiang.ConsentIdentity && !st.Identity {
		return xiaoxiang.Errorf(xiaoxiang.EFORBIDDEN, "请先阅读并同意《个人信息处理规则》中关于身份信息（姓名、证件号码）的处理说明。")
	}
	if kind == xiaoxiang.ConsentPhoto && !st.Photo {
		return xiaoxiang.Errorf(xiaoxiang.EFORBIDDEN, "请先阅读并同意《个人信息处理规则》中关于人像照片的处理说明。")
	}
	return nil
}
