package core

// This file and the other console_*.go files hold the staff use cases: staff
// login and sessions (console_auth.go), the review queue
// (console_review.go), the school console (console_school.go), delivery
// packages (console_delivery.go), WeChat notifications (console_notify.go)
// and the operator console (console_ops.go). Every use case takes an *Actor
// (the logged-in staff member) and checks its role and scope with
// auth.Principal.Can before it reads or writes anything; lists are limited
// with the principal's ListScope in SQL.

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/auth"
	"xiaoxiang/internal/identity"
	"xiaoxiang/internal/sqldb"
)

// ConsoleOptions configure a Console. The zero value works.
type ConsoleOptions struct {
	// Throttle limits failed logins (default auth.DefaultThrottleConfig).
	Throttle *auth.Throttle
	// ClaimTTL is how long a reviewer holds a photo (default 10 minutes).
	ClaimTTL time.Duration
	// SessionIdle and SessionMaxAge bound staff sessions (defaults from auth).
	SessionIdle   time.Duration
	SessionMaxAge time.Duration
	// LinkKey signs expiring download links (at least 32 bytes; a random
	// key is used when empty, so links die with the process).
	LinkKey []byte
	// LinkTTL is how long a download link works (default 24h).
	LinkTTL time.Duration
	// PartBytes splits a delivery package into zip parts of at most about
	// this size (default 500 MB).
	PartBytes int64
	// Sender sends WeChat subscription messages (nil: notifications stay
	// in-app only and jobs complete without sending).
	Sender SubscribeSender
	// Templates maps a notification kind to its WeChat template.
	Templates map[string]SubscribeTemplate
	// Refunder submits approved refunds (nil: refunds cannot be approved).
	Refunder Refunder
}

// Console runs the staff use cases over a Service's database, bucket and
// keys. It is safe for concurrent use.
type Console struct {
	s    *Service
	opts ConsoleOptions
}

// NewConsole returns the staff use cases of s.
func NewConsole(s *Service, opts ConsoleOptions) *Console {
	if opts.Throttle == nil {
		opts.Throttle = auth.NewThrottle(auth.DefaultThrottleConfig)
	}
	if opts.ClaimTTL <= 0 {
		opts.ClaimTTL = 10 * time.Minute
	}
	if opts.SessionIdle <= 0 {
		opts.SessionIdle = auth.SessionIdleTimeout
	}
	if opts.SessionMaxAge <= 0 {
		opts.SessionMaxAge = auth.SessionMaxAge
	}
	if len(opts.LinkKey) < 32 {
		k, _ := auth.NewToken()
		opts.LinkKey = []byte(k)
	}
	if opts.LinkTTL <= 0 {
		opts.LinkTTL = 24 * time.Hour
	}
	if opts.PartBytes <= 0 {
		opts.PartBytes = 500 << 20
	}
	return &Console{s: s, opts: opts}
}

// now is the console clock (UTC).
func (c *Console) now() time.Time { return c.s.now() }

// Actor is the staff member making a request.
type Actor struct {
	Staff *xiaoxiang.Staff
	P     auth.Principal
	IP    string
}

// principalOf builds the auth principal of a staff member.
func principalOf(st *xiaoxiang.Staff) auth.Principal {
	return auth.Principal{StaffID: st.ID, Role: auth.Role(st.Role), SchoolID: st.SchoolID, Colleges: st.Colleges}
}

// scope is the SQL scope of the actor.
func (a *Actor) scope() sqldb.Scope {
	s := a.P.ListScope()
	return sqldb.Scope{AllSchools: s.AllSchools, SchoolID: s.SchoolID, Colleges: s.Colleges}
}

var errForbidden = xiaoxiang.Errorf(xiaoxiang.EFORBIDDEN, "您没有权限进行此操作。")

// notVisible is what a staff member sees for another school's data: the
// same answer as for data that does not exist, so ids cannot be probed.
func notVisible(what string) error {
	return xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "%s不存在或您无权查看。", what)
}

// can checks an action on a resource; another school's resource reads as
// not found, a forbidden action in one's own school as forbidden.
func (a *Actor) can(act auth.Action, r auth.Resource, what string) error {
	if a == nil || a.Staff == nil {
		return xiaoxiang.Errorf(xiaoxiang.EUNAUTHORIZED, "请先登录。")
	}
	if a.P.Can(act, r) {
		return nil
	}
	if a.P.SchoolID != 0 && r.SchoolID != a.P.SchoolID {
		return notVisible(what)
	}
	if len(a.P.Colleges) > 0 && r.College != "" && !a.P.Can(auth.ActionView, r) {
		return notVisible(what)
	}
	return errForbidden
}

// audit appends an audit entry for the actor inside tx.
func (c *Console) audit(ctx context.Context, tx *sqldb.Tx, a *Actor, action, object string, schoolID int64, count int, detail string) error {
	e := &xiaoxiang.AuditEntry{ActorKind: "staff", Action: action, Object: object, SchoolID: schoolID, Count: count, Detail: detail}
	if a != nil {
		if a.Staff != nil {
			e.ActorID = a.Staff.ID
		}
		e.IP = a.IP
	}
	return tx.CreateAuditEntry(ctx, e)
}

func obj(kind string, id int64) string { return kind + ":" + strconv.FormatInt(id, 10) }

// Notification kinds (also the WeChat subscription-credit kinds).
const (
	NotifyReviewResult  = "review_result"
	NotifyPaymentResult = "payment_result"
	NotifyDeadline      = "deadline"
	NotifyManualEntry   = "manual_entry"
	NotifyDelivered     = "delivered"
)

// JobNotify is the job kind that sends one notification as a WeChat
// subscription message.
const JobNotify = "notify.wechat"

// NotifyArgs are the arguments of a JobNotify job.
type NotifyArgs struct {
	NotificationID int64 `json:"notification_id"`
}

// Notify stores an in-app notification for the account and, in the same
// transaction, the job that sends it as a WeChat subscription message (the
// job's unique key makes sure it is enqueued once per notification).
func Notify(ctx context.Context, tx *sqldb.Tx, n *xiaoxiang.Notification) error {
	if err := tx.CreateNotification(ctx, n); err != nil {
		return err
	}
	args, _ := json.Marshal(NotifyArgs{NotificationID: n.ID})
	_, err := tx.InsertJob(ctx, &sqldb.Job{Kind: JobNotify, Args: string(args), UniqueKey: "notify:" + strconv.FormatInt(n.ID, 10), MaxAttempts: 8})
	return err
}

// sealDocument seals a document number for a roster entry exactly as the
// student use cases do (SealDocument).
func (c *Console) sealDocument(kind identity.Kind, number string) (SealedDocument, error) {
	return c.s.SealDocument(kind, number)
}

// openDocument opens a roster entry's document number (never log it).
func (c *Console) openDocument(e *xiaoxiang.RosterEntry) (string, error) {
	return c.s.OpenDocument(e)
}

// docAD is the associated data of sealed roster document numbers.
const docAD = "roster/doc_number"

// SealRosterDocument seals a document number the way roster imports do
// (for fixtures and tools that create roster entries).
func (c *Console) SealRosterDocument(kind identity.Kind, number string) (SealedDocument, error) {
	return c.sealDocument(kind, number)
}

// Now is the console's clock (UTC).
func (c *Console) Now() time.Time { return c.now() }
