// Package core holds the platform's use cases: what a student (and later a
// reviewer or school admin) can do, each enforcing the product rules with
// specific Chinese errors (*xiaoxiang.Error). It speaks no HTTP: handlers in
// internal/web parse a request, call one method of Service and render.
//
// One file per area. Student use cases (Service): accounts.go (login,
// consents), schools.go (search, tasks, 我的任务), link.go (关联, 人工录入,
// 解绑), orders.go (payment and the payment.OrderStore), photos.go (upload,
// check, standardize, quotas), submissions.go (submit, replace, resubmit),
// status.go (the step-12 page), mydata.go (see and delete my data; what is
// kept and why), retention.go (purge of raw uploads), notifications.go.
// Staff use cases (Console) live in console_*.go.
//
// Rules that hold everywhere: every write is one sqldb transaction; photos
// reach durable storage before the row that points at them commits; side
// effects (blob deletion, identity checks, WeChat messages) are queued in
// the transaction that causes them; quotas and payments are decided under a
// row lock (PostgreSQL) or the single writer (SQLite).
package core

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/blob"
	"xiaoxiang/internal/ctid"
	"xiaoxiang/internal/identity"
	"xiaoxiang/internal/payment"
	"xiaoxiang/internal/sqldb"
)

// Checker is the photo pipeline as core needs it (internal/photo behind an
// adapter in internal/app). Both methods get the uploaded original bytes and
// the task's spec profile. Errors that are the photo's fault (not an image,
// no face found when standardizing, too small) should be *xiaoxiang.Error
// with code EINVALID and a Chinese message; any other error counts as an
// internal failure.
type Checker interface {
	// Check runs the automatic quality check (the ten items of step 10).
	Check(ctx context.Context, original []byte, profile *xiaoxiang.SpecProfile) (*CheckResult, error)
	// Standardize crops to the spec and replaces the background (step 11).
	Standardize(ctx context.Context, original []byte, profile *xiaoxiang.SpecProfile) (*StandardizeResult, error)
}

// CheckResult is the outcome of Checker.Check.
type CheckResult struct {
	Width, Height int
	// Verdict summarises the report: "pass", "warn" or "fail". Checks are
	// advisory: a "fail" does not stop standardization.
	Verdict string
	// Report is the pipeline's report (internal/photo.Report) as JSON, stored
	// as is and given back to the web layer to render the ten items.
	Report json.RawMessage
}

// StandardizeResult is the outcome of Checker.Standardize.
type StandardizeResult struct {
	JPEG   []byte          // the standardized photo, ready for delivery
	Result json.RawMessage // measured spec numbers, stored as is
}

// PayGateway is WeChat Pay as core needs it; *payment.Client implements it
// (and so does the simulator's client).
type PayGateway interface {
	Prepay(ctx context.Context, r payment.PrepayRequest) (*payment.PayParams, error)
	Query(ctx context.Context, outTradeNo string) (payment.Transaction, error)
}

// Options configure a Service. The zero value works (no payments: paid tasks
// answer EUNAVAILABLE when the student tries to pay).
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
	// Payments creates and queries WeChat Pay orders; AppID and MchID are
	// the ids orders are created for (checked again when a payment arrives).
	Payments PayGateway
	AppID    string
	MchID    string
	// LinkFailuresPerDay limits failed roster lookups per account per
	// Asia/Shanghai day against ID enumeration (default 10).
	LinkFailuresPerDay int
	// MaxUploadBytes limits an uploaded original (default 15 MiB).
	MaxUploadBytes int64
	// OrderTTL is how long an unpaid order stays payable (default 2h).
	OrderTTL time.Duration
	// Identity verifies mainland students with CTID for tasks that require
	// it (JobVerifySubmission); nil records "unavailable" and leaves the
	// decision to the reviewer.
	Identity ctid.Verifier
}

// Service runs the use cases. It is safe for concurrent use.
type Service struct {
	db      *sqldb.DB
	bucket  blob.Bucket
	keys    *identity.Keyring
	checker Checker
	opts    Options
	log     *slog.Logger
	// payQueries limits how often RefreshPayment asks WeChat Pay about one order.
	payQueries queryLimiter
}

// New returns a Service over db (migrated), bucket (photos), keys (PII
// crypto for document numbers) and checker (the photo pipeline).
func New(db *sqldb.DB, bucket blob.Bucket, keys *identity.Keyring, checker Checker, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.LinkFailuresPerDay <= 0 {
		opts.LinkFailuresPerDay = 10
	}
	if opts.MaxUploadBytes <= 0 {
		opts.MaxUploadBytes = 15 << 20
	}
	if opts.OrderTTL <= 0 {
		opts.OrderTTL = 2 * time.Hour
	}
	return &Service{db: db, bucket: bucket, keys: keys, checker: checker, opts: opts, log: opts.Logger}
}

func (s *Service) now() time.Time { return s.opts.Now().UTC() }

// errNotSignedIn is the answer for a missing or deleted account.
var errNotSignedIn = xiaoxiang.Errorf(xiaoxiang.EUNAUTHORIZED, "登录已失效，请重新登录。")

// liveAccount returns the account, EUNAUTHORIZED when it does not exist or
// deleted its data.
func liveAccount(ctx context.Context, tx *sqldb.Tx, accountID int64) (*xiaoxiang.Account, error) {
	a, err := tx.FindAccountByID(ctx, accountID)
	if xiaoxiang.ErrorCode(err) == xiaoxiang.ENOTFOUND || (err == nil && !a.DeletedAt.IsZero()) {
		return nil, errNotSignedIn
	}
	return a, err
}

// ownBinding returns the account's binding (ENOTFOUND for someone else's).
func ownBinding(ctx context.Context, tx *sqldb.Tx, accountID, bindingID int64) (*xiaoxiang.Binding, error) {
	if _, err := liveAccount(ctx, tx, accountID); err != nil {
		return nil, err
	}
	b, err := tx.FindBindingByID(ctx, bindingID)
	if err != nil {
		return nil, err
	}
	if b.AccountID != accountID {
		return nil, xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "关联记录不存在。")
	}
	return b, nil
}

// checkLinked refuses bindings that are not (or no longer) linked.
func checkLinked(b *xiaoxiang.Binding) error {
	switch b.Status {
	case xiaoxiang.BindingLinked:
		return nil
	case xiaoxiang.BindingPending:
		return xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "人工录入信息正在等待学校审核，审核通过后才能继续。")
	case xiaoxiang.BindingRejected:
		return xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "人工录入信息未通过学校审核，请联系学校学籍部门。")
	}
	return xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "已解除绑定，请重新关联后再操作。")
}

// isPaid reports whether the roster entry's fee is settled (free tasks always are).
func isPaid(ctx context.Context, tx *sqldb.Tx, t *xiaoxiang.Task, entryID int64) (bool, *sqldb.OrderRow, error) {
	o, err := tx.FindPaidOrderByEntry(ctx, entryID)
	switch {
	case err == nil:
		return true, o, nil
	case xiaoxiang.ErrorCode(err) == xiaoxiang.ENOTFOUND:
		return t.FeeFen == 0, nil, nil
	}
	return false, nil, err
}

// audit appends a student action to the audit log.
func audit(ctx context.Context, tx *sqldb.Tx, accountID int64, action, object string, schoolID int64, count int) error {
	return tx.CreateAuditEntry(ctx, &xiaoxiang.AuditEntry{ActorKind: "student", ActorID: accountID, Action: action, Object: object, SchoolID: schoolID, Count: count})
}

// errNotImplemented answers use cases that are not available yet.
var errNotImplemented = xiaoxiang.Errorf(xiaoxiang.EUNAVAILABLE, "功能尚未开放。")
