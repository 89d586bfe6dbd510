package core

import (
	"context"
	"io"

	"xiaoxiang"
	"xiaoxiang/internal/identity"
	"xiaoxiang/internal/payment"
)

var errNotImplemented = xiaoxiang.Errorf(xiaoxiang.EUNAVAILABLE, "功能尚未开放。")

// ---- accounts.go ----

// LoginInput is what WeChat login (code2session / OAuth) yields.
type LoginInput struct {
	OpenID   string
	UnionID  string // optional; joins the mini-program and H5 identities
	Nickname string
}

// Login finds the account by openid (or, failing that, by unionid, adopting
// the new openid) or creates it, and updates the nickname.
func (s *Service) Login(ctx context.Context, in LoginInput) (*xiaoxiang.Account, error) {
	return nil, errNotImplemented
}

// Account returns an account (ENOTFOUND for unknown or deleted ones).
func (s *Service) Account(ctx context.Context, accountID int64) (*xiaoxiang.Account, error) {
	return nil, errNotImplemented
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
	return errNotImplemented
}

// Consents reports the consents given to the current notice version.
func (s *Service) Consents(ctx context.Context, accountID int64) (ConsentState, error) {
	return ConsentState{}, errNotImplemented
}

// ---- schools.go ----

// SearchSchools finds schools with at least one open task by a name keyword
// (fuzzy), full pinyin, pinyin initials or the 5-digit 院校代码. An empty
// query gives an EINVALID error. limit <= 0 means 20.
func (s *Service) SearchSchools(ctx context.Context, query string, limit int) ([]*xiaoxiang.School, error) {
	return nil, errNotImplemented
}

// School returns one school.
func (s *Service) School(ctx context.Context, schoolID int64) (*xiaoxiang.School, error) {
	return nil, errNotImplemented
}

// CategoryTasks is one education category of a school with its open tasks.
type CategoryTasks struct {
	Category xiaoxiang.Category
	Label    string
	Tasks    []*xiaoxiang.Task
}

// SchoolTasks returns the school's open tasks grouped by category, in
// display order; categories without open tasks are left out.
func (s *Service) SchoolTasks(ctx context.Context, schoolID int64) ([]CategoryTasks, error) {
	return nil, errNotImplemented
}

// Task returns one task as students may see it (draft tasks are not found).
func (s *Service) Task(ctx context.Context, taskID int64) (*xiaoxiang.Task, error) {
	return nil, errNotImplemented
}

// MyTask is one entry of 我的任务: a binding with its task and progress.
type MyTask struct {
	Binding    *xiaoxiang.Binding
	Task       *xiaoxiang.Task
	School     *xiaoxiang.School
	Name       string                // the roster name
	Paid       bool                  // true also for free tasks
	Submission *xiaoxiang.Submission // nil before the first submit
	// Progress is the student-facing stage label: 待支付, 待拍摄, 已上传,
	// 待审核, 已完成, 未通过, 已交付, 待学校审核 (manual entry), 已解绑.
	Progress string
}

// MyTasks lists every binding of the account (active first, newest first).
func (s *Service) MyTasks(ctx context.Context, accountID int64) ([]MyTask, error) {
	return nil, errNotImplemented
}

// ---- link.go ----

// LinkInput is the 关联 form. For a task in document mode Name and
// DocNumber are required (DocKind is optional: detected from the number's
// shape when empty); in student-number mode Name and StudentNo.
type LinkInput struct {
	Name      string
	DocKind   string // identity.Kind code, e.g. resident_id; "" = detect
	DocNumber string
	StudentNo string
}

// Link links the account to its roster entry of the task. A failed lookup
// gives one generic ENOTFOUND message (never saying which field was wrong)
// and counts against the account's daily limit (ETOOMANY when used up). A
// roster entry actively bound to another account gives ECONFLICT with the
// 解绑 guidance. Linking again to one's own entry returns the existing
// binding.
func (s *Service) Link(ctx context.Context, accountID, taskID int64, in LinkInput) (*xiaoxiang.Binding, error) {
	return nil, errNotImplemented
}

// ManualEntryInput is the 人工录入 form.
type ManualEntryInput struct {
	Name      string
	DocKind   string // "" = detect
	DocNumber string // required in document mode
	StudentNo string // required in student-number mode
	College   string
	Major     string
	Class     string
}

// SubmitManualEntry creates a roster entry of source manual (pending school
// approval) and a pending binding, if the task allows manual entry.
func (s *Service) SubmitManualEntry(ctx context.Context, accountID, taskID int64, in ManualEntryInput) (*xiaoxiang.Binding, error) {
	return nil, errNotImplemented
}

// Unbind (解绑) releases the account's binding so another account can link
// the roster entry. Paid orders and approved photos stay with the roster
// entry (a later binding of the same entry does not pay again).
func (s *Service) Unbind(ctx context.Context, accountID, bindingID int64) error {
	return errNotImplemented
}

// SealedDocument is a document number ready for the roster table.
type SealedDocument struct {
	Kind   identity.Kind
	Cipher string // identity.Keyring.Seal output
	Index  string // blind index for lookup
	Last4  string
}

// SealDocument validates, normalises and seals a document number for a
// roster entry (roster import and manual entry use it).
func (s *Service) SealDocument(kind identity.Kind, number string) (SealedDocument, error) {
	return SealedDocument{}, errNotImplemented
}

// OpenDocument decrypts a roster entry's document number (for exports and
// audited reveals; never log the result).
func (s *Service) OpenDocument(e *xiaoxiang.RosterEntry) (string, error) {
	return "", errNotImplemented
}

// ---- orders.go ----

// PaymentStart is what the pay page needs.
type PaymentStart struct {
	Order  *xiaoxiang.Order
	Params *payment.PayParams // nil when AlreadyPaid
	// AlreadyPaid: the roster entry's fee is already paid; nothing to do.
	AlreadyPaid bool
}

// StartPayment creates the binding's order (or resumes the open one, with a
// deterministic out_trade_no) and asks WeChat Pay for the JSAPI parameters.
// Free tasks answer ECONFLICT.
func (s *Service) StartPayment(ctx context.Context, accountID, bindingID int64) (*PaymentStart, error) {
	return nil, errNotImplemented
}

// RefreshPayment asks WeChat Pay for the state of the binding's open order
// and records it (paid only when WeChat Pay says SUCCESS).
func (s *Service) RefreshPayment(ctx context.Context, accountID, bindingID int64) (*xiaoxiang.Order, error) {
	return nil, errNotImplemented
}

// OrderStore returns the payment.OrderStore over the orders table for the
// payment notification handler and reconciler.
func (s *Service) OrderStore() payment.OrderStore { return nil }

// ---- photos.go ----

// UploadInput is one photo taken or picked in step 9.
type UploadInput struct {
	Data   io.Reader
	Source string // "camera" or "album"
}

// AttemptView is an attempt with today's quota for the page.
type AttemptView struct {
	Attempt *xiaoxiang.Attempt
	Quota   xiaoxiang.Quota
}

// Upload stores the original (durably, before the database commit), runs
// the quality check and records the attempt. Retakes are free.
func (s *Service) Upload(ctx context.Context, accountID, bindingID int64, in UploadInput) (*AttemptView, error) {
	return nil, errNotImplemented
}

// Standardize (去制作) uses one unit of today's quota atomically and stores
// the standardized photo; the unit is given back if standardization fails.
func (s *Service) Standardize(ctx context.Context, accountID, attemptID int64) (*AttemptView, error) {
	return nil, errNotImplemented
}

// Attempt returns one of the account's attempts.
func (s *Service) Attempt(ctx context.Context, accountID, attemptID int64) (*AttemptView, error) {
	return nil, errNotImplemented
}

// QuotaToday returns the binding's standardization quota for today.
func (s *Service) QuotaToday(ctx context.Context, accountID, bindingID int64) (xiaoxiang.Quota, error) {
	return xiaoxiang.Quota{}, errNotImplemented
}

// PhotoKind selects the original or the standardized photo of an attempt.
type PhotoKind string

// Photo kinds.
const (
	PhotoOriginal     PhotoKind = "original"
	PhotoStandardized PhotoKind = "standardized"
)

// OpenPhoto opens a photo of the account's attempt; the caller closes it.
func (s *Service) OpenPhoto(ctx context.Context, accountID, attemptID int64, kind PhotoKind) (io.ReadCloser, error) {
	return nil, errNotImplemented
}

// ---- submissions.go ----

// Submit submits a standardized attempt for review: the first submission,
// a replacement before review (limit Task.ReplacementsBeforeReview) or a
// free resubmission after a rejection (limit Task.FreeResubmissions).
// Approved photos are locked.
func (s *Service) Submit(ctx context.Context, accountID, attemptID int64) (*xiaoxiang.Submission, error) {
	return nil, errNotImplemented
}

// ---- status.go ----

// Step is one stage of the progress bar 已上传 → 待审核 → 已完成 → 已交付.
type Step struct {
	Label   string
	Done    bool
	Current bool
}

// StatusView is the step-12 page.
type StatusView struct {
	Binding           *xiaoxiang.Binding
	Task              *xiaoxiang.Task
	SchoolName        string
	Category          string // label, e.g. 成人教育
	Name              string
	StudentNo         string
	DocLast4          string // 证件号(后4位)
	Grade             string // 年级/届
	TaskTitle         string
	Paid              bool
	Order             *xiaoxiang.Order // the latest order, nil if none
	Submission        *xiaoxiang.Submission
	Steps             []Step
	ShowSamePerson    bool   // task has the same-person check
	SamePerson        string // 同一人 / 非同一人 / 待核验
	ShowIdentity      bool   // task requires CTID
	IdentityResult    string // 有效 / 无效 / 待核验 / 暂不可用
	RejectReasons     []xiaoxiang.RejectReason
	RejectNote        string
	CanReplace        bool
	CanResubmit       bool
	ReplacementsLeft  int
	ResubmissionsLeft int
	Quota             xiaoxiang.Quota
	// Next is the student's next step: pay, shoot, submit, wait, done,
	// manual_pending, manual_rejected, unbound, closed.
	Next string
}

// Status returns the status page of one of the account's bindings.
func (s *Service) Status(ctx context.Context, accountID, bindingID int64) (*StatusView, error) {
	return nil, errNotImplemented
}

// ---- mydata.go ----

// MyData is everything the platform holds about the account, for the
// student's "我的数据" page (document numbers masked).
type MyData struct {
	Account     *xiaoxiang.Account
	Consents    []*xiaoxiang.Consent
	Tasks       []MyTask
	Orders      []*xiaoxiang.Order
	Attempts    []*xiaoxiang.Attempt
	Submissions []*xiaoxiang.Submission
}

// MyData returns the account's data.
func (s *Service) MyData(ctx context.Context, accountID int64) (*MyData, error) {
	return nil, errNotImplemented
}

// DeleteMyData anonymises the account, unbinds it and deletes its photos
// that were not approved. Approved/delivered photos, paid orders and the
// roster entry stay: the school needs them for the student's records and
// accounting (documented in mydata.go).
func (s *Service) DeleteMyData(ctx context.Context, accountID int64) error {
	return errNotImplemented
}

// ---- notifications.go ----

// Subscribe records one subscription-message credit per kind the student
// accepted in WeChat (e.g. review_result), spent when a message is sent.
func (s *Service) Subscribe(ctx context.Context, accountID int64, kinds []string) error {
	return errNotImplemented
}

// Notifications lists the account's in-app notifications, newest first.
func (s *Service) Notifications(ctx context.Context, accountID int64, limit int) ([]*xiaoxiang.Notification, error) {
	return nil, errNotImplemented
}
