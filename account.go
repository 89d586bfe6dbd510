package xiaoxiang

import "time"

// Account is a student's WeChat identity on the platform.
type Account struct {
	ID        int64
	OpenID    string // per app (mini-program or 公众号)
	UnionID   string // joins H5 and mini-program identities when bound to an Open Platform account
	Nickname  string
	CreatedAt time.Time
	// DeletedAt is set when the student deleted their data (the row is kept anonymised).
	DeletedAt time.Time
}

// BindingStatus is the state of an account's link to a roster entry.
type BindingStatus string

const (
	BindingPending  BindingStatus = "pending" // manual entry waiting for school approval
	BindingLinked   BindingStatus = "linked"
	BindingUnbound  BindingStatus = "unbound"
	BindingRejected BindingStatus = "rejected" // manual entry rejected by the school
)

// Binding links one account to one roster entry of one task (关联). A roster entry has at
// most one active (pending or linked) binding; switching WeChat accounts needs 解绑 first.
type Binding struct {
	ID            int64
	AccountID     int64
	RosterEntryID int64
	TaskID        int64
	SchoolID      int64
	Status        BindingStatus
	CreatedAt     time.Time
	UnboundAt     time.Time
}

// Active reports whether the binding still holds its roster entry.
func (b *Binding) Active() bool { return b.Status == BindingLinked || b.Status == BindingPending }

// ConsentKind names what a student agreed to.
type ConsentKind string

const (
	ConsentIdentity ConsentKind = "identity" // processing of name + ID number for linking (and CTID)
	ConsentPhoto    ConsentKind = "photo"    // processing of the face image
)

// PrivacyNoticeVersion is the version of the privacy notice the app currently shows.
const PrivacyNoticeVersion = "2026-11-01"

// Consent is one recorded agreement to a versioned privacy notice.
type Consent struct {
	ID        int64
	AccountID int64
	Kind      ConsentKind
	Version   string
	CreatedAt time.Time
}
