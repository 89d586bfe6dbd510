// Package core holds the platform's use cases: what a student (and later a
// reviewer or school admin) can do, each enforcing the product rules with
// specific Chinese errors (*xiaoxiang.Error). It speaks no HTTP: handlers in
// internal/web parse a request, call one method of Service and render.
//
// One file per area: accounts.go (login, consents), schools.go (search,
// tasks, 我的任务), link.go (关联, 人工录入, 解绑), orders.go (payment and the
// payment.OrderStore), photos.go (upload, check, standardize, quotas),
// submissions.go (submit, replace, resubmit), status.go (the step-12 page),
// mydata.go (see and delete my data). Reviewer and school use cases join as
// review.go, manual.go, delivery.go in the same package.
package core

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/blob"
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
}

// Service runs the use cases. It is safe for concurrent use.
type Service struct {
	db      *sqldb.DB
	bucket  blob.Bucket
	keys    *identity.Keyring
	checker Checker
	opts    Options
	log     *slog.Logger
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
