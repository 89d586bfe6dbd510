package core

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/auth"
	"xiaoxiang/internal/sqldb"
)

// StaffLoginInput is the staff login form.
type StaffLoginInput struct {
	Username string
	Password string
	TOTP     string // 6-digit code; required when the account has TOTP on
	IP       string
	UA       string
}

// StaffSession is a successful login: Token goes into the cookie (only its
// hash is stored), SessionHash binds the CSRF token.
type StaffSession struct {
	Token       string
	SessionHash string
	Actor       *Actor
}

// ErrNeedTOTP is returned (as an EUNAUTHORIZED *xiaoxiang.Error) when the
// password was right but the account needs a TOTP code that was not given.
var ErrNeedTOTP = xiaoxiang.Errorf(xiaoxiang.EUNAUTHORIZED, "请输入动态验证码。")

var errBadLogin = xiaoxiang.Errorf(xiaoxiang.EUNAUTHORIZED, "用户名或密码错误。")

// totpSteps remembers the last TOTP step each staff member used, so a code
// cannot be replayed within its window (per process).
var totpSteps sync.Map // staff id → int64

// StaffLogin checks the password (argon2id, constant time also for unknown
// users), the login throttle and, when enabled, the TOTP code, then opens a
// session. Every outcome is audited without the password or the code.
func (c *Console) StaffLogin(ctx context.Context, in StaffLoginInput) (*StaffSession, error) {
	username := strings.TrimSpace(in.Username)
	if username == "" || in.Password == "" {
		return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "请输入用户名和密码。")
	}
	if err := c.opts.Throttle.Check(username, in.IP); err != nil {
		var le *auth.LockedError
		if errors.As(err, &le) {
			return nil, xiaoxiang.WrapError(xiaoxiang.ETOOMANY, le.Message()+"。", err)
		}
		return nil, err
	}
	var st *xiaoxiang.Staff
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		st, err = tx.FindStaffByUsername(ctx, username)
		return err
	})
	if err != nil {
		if xiaoxiang.ErrorCode(err) != xiaoxiang.ENOTFOUND {
			return nil, err
		}
		auth.DummyVerify(in.Password)
		c.opts.Throttle.Fail(username, in.IP)
		return nil, errBadLogin
	}
	ok, err := auth.VerifyPassword(in.Password, st.PasswordHash)
	if err != nil || !ok || st.Disabled {
		c.opts.Throttle.Fail(username, in.IP)
		c.auditLogin(ctx, st, in.IP, "login_failed")
		if ok && st.Disabled {
			return nil, xiaoxiang.Errorf(xiaoxiang.EFORBIDDEN, "该账号已停用，请联系平台运营。")
		}
		return nil, errBadLogin
	}
	if st.TOTPSecret != "" {
		if strings.TrimSpace(in.TOTP) == "" {
			return nil, ErrNeedTOTP
		}
		secret, err := c.s.keys.OpenString(st.TOTPSecret, totpAD(st.ID))
		if err != nil {
			return nil, xiaoxiang.WrapError(xiaoxiang.EINTERNAL, "", err)
		}
		last, _ := totpSteps.Load(st.ID)
		lastStep, _ := last.(int64)
		s, ok := auth.VerifyTOTP(secret, in.TOTP, c.now(), lastStep)
		if !ok {
			c.opts.Throttle.Fail(username, in.IP)
			c.auditLogin(ctx, st, in.IP, "login_failed")
			return nil, xiaoxiang.Errorf(xiaoxiang.EUNAUTHORIZED, "动态验证码错误或已使用，请输入验证器中的最新验证码。")
		}
		totpSteps.Store(st.ID, s)
	}
	c.opts.Throttle.Succeed(username, in.IP)
	token, hash := auth.NewToken()
	ua := in.UA
	if len(ua) > 200 {
		ua = ua[:200]
	}
	err = c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		if err := tx.CreateStaffSession(ctx, &sqldb.StaffSession{ID: hash, StaffID: st.ID, ExpiresAt: tx.Now().Add(c.opts.SessionIdle), IP: in.IP, UserAgent: ua}); err != nil {
			return err
		}
		st.LastLoginAt = tx.Now()
		if auth.NeedsRehash(st.PasswordHash) {
			if h, err := auth.HashPassword(in.Password); err == nil {
				st.PasswordHash = h
			}
		}
		if err := tx.UpdateStaff(ctx, st); err != nil {
			return err
		}
		return c.audit(ctx, tx, &Actor{Staff: st, IP: in.IP}, "login", obj("staff", st.ID), st.SchoolID, 0, "")
	})
	if err != nil {
		return nil, err
	}
	return &StaffSession{Token: token, SessionHash: hash, Actor: &Actor{Staff: st, P: principalOf(st), IP: in.IP}}, nil
}

func (c *Console) auditLogin(ctx context.Context, st *xiaoxiang.Staff, ip, action string) {
	_ = c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		return c.audit(ctx, tx, &Actor{Staff: st, IP: ip}, action, obj("staff", st.ID), st.SchoolID, 0, "")
	})
}

func totpAD(staffID int64) string { return "staff/" + strconv.FormatInt(staffID, 10) + "/totp" }

// ErrStaffSessionExpired is the error for a missing, expired or revoked session.
var ErrStaffSessionExpired = xiaoxiang.Errorf(xiaoxiang.EUNAUTHORIZED, "登录已过期，请重新登录。")

// touchEvery limits session writes: last_seen is refreshed at most this often.
const touchEvery = time.Minute

// Authenticate resolves a session cookie token to its actor. Sessions expire
// after SessionIdle without use and SessionMaxAge after login; a disabled
// account loses its sessions at once.
func (c *Console) Authenticate(ctx context.Context, token, ip string) (*Actor, string, error) {
	if token == "" || len(token) > 100 {
		return nil, "", ErrStaffSessionExpired
	}
	hash := auth.HashToken(token)
	now := c.now()
	var sess *sqldb.StaffSession
	var st *xiaoxiang.Staff
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		if sess, err = tx.FindStaffSession(ctx, hash, now); err != nil {
			return err
		}
		st, err = tx.FindStaffByID(ctx, sess.StaffID)
		return err
	})
	if err != nil {
		if xiaoxiang.ErrorCode(err) == xiaoxiang.ENOTFOUND {
			return nil, "", ErrStaffSessionExpired
		}
		return nil, "", err
	}
	if st.Disabled || now.Sub(sess.CreatedAt) > c.opts.SessionMaxAge {
		_ = c.s.db.InTx(ctx, func(tx *sqldb.Tx) error { return tx.DeleteStaffSession(ctx, hash) })
		return nil, "", ErrStaffSessionExpired
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		exp := now.Add(c.opts.SessionIdle)
		if max := sess.CreatedAt.Add(c.opts.SessionMaxAge); exp.After(max) {
			exp = max
		}
		if err := c.s.db.InTx(ctx, func(tx *sqldb.Tx) error { return tx.TouchStaffSession(ctx, hash, exp) }); err != nil {
			return nil, "", err
		}
	}
	return &Actor{Staff: st, P: principalOf(st), IP: ip}, hash, nil
}

// StaffLogout ends the session of token.
func (c *Console) StaffLogout(ctx context.Context, a *Actor, token string) error {
	return c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		if err := tx.DeleteStaffSession(ctx, auth.HashToken(token)); err != nil {
			return err
		}
		if a == nil {
			return nil
		}
		return c.audit(ctx, tx, a, "logout", obj("staff", a.Staff.ID), a.Staff.SchoolID, 0, "")
	})
}

// TOTPSetup is a new, not yet enabled TOTP secret for enrolment.
type TOTPSetup struct {
	Secret string
	URL    string
}

// NewTOTPSetup returns a fresh secret and its otpauth:// URL for the actor.
func (c *Console) NewTOTPSetup(a *Actor) TOTPSetup {
	sec := auth.NewTOTPSecret()
	return TOTPSetup{Secret: sec, URL: auth.TOTPURL("肖像", a.Staff.Username, sec)}
}

// EnableTOTP turns TOTP on after the staff member proved the authenticator
// works with a code for secret.
func (c *Console) EnableTOTP(ctx context.Context, a *Actor, secret, code string) error {
	s, ok := auth.VerifyTOTP(secret, code, c.now(), 0)
	if !ok {
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "验证码不正确，请确认手机时间准确后重试。")
	}
	sealed, err := c.s.keys.SealString(secret, totpAD(a.Staff.ID))
	if err != nil {
		return err
	}
	totpSteps.Store(a.Staff.ID, s)
	return c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		st, err := tx.FindStaffByID(ctx, a.Staff.ID)
		if err != nil {
			return err
		}
		st.TOTPSecret = sealed
		if err := tx.UpdateStaff(ctx, st); err != nil {
			return err
		}
		return c.audit(ctx, tx, a, "totp_enable", obj("staff", st.ID), st.SchoolID, 0, "")
	})
}

// ChangePassword sets the actor's own password after checking the old one.
func (c *Console) ChangePassword(ctx context.Context, a *Actor, old, next string) error {
	ok, err := auth.VerifyPassword(old, a.Staff.PasswordHash)
	if err != nil || !ok {
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "原密码不正确。")
	}
	if err := auth.CheckPasswordPolicy(next); err != nil {
		var pe *auth.PolicyError
		if errors.As(err, &pe) {
			return xiaoxiang.Errorf(xiaoxiang.EINVALID, "%s。", pe.Message())
		}
		return err
	}
	h, err := auth.HashPassword(next)
	if err != nil {
		return err
	}
	return c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		st, err := tx.FindStaffByID(ctx, a.Staff.ID)
		if err != nil {
			return err
		}
		st.PasswordHash = h
		if err := tx.UpdateStaff(ctx, st); err != nil {
			return err
		}
		return c.audit(ctx, tx, a, "password_change", obj("staff", st.ID), st.SchoolID, 0, "")
	})
}
