package xiaoxiang

import "time"

// Role is a staff role.
type Role string

const (
	RoleOperator    Role = "operator"     // 平台运营: everything, all schools
	RoleSchoolAdmin Role = "school_admin" // 学校管理员: one school (optionally some colleges)
	RoleReviewer    Role = "reviewer"     // 审核员: platform-wide (SchoolID 0) or one school
)

// Label is the Chinese name of the role.
func (r Role) Label() string {
	switch r {
	case RoleOperator:
		return "平台运营"
	case RoleSchoolAdmin:
		return "学校管理员"
	case RoleReviewer:
		return "审核员"
	}
	return string(r)
}

// Staff is a console user.
type Staff struct {
	ID           int64
	Username     string
	DisplayName  string
	PasswordHash string // argon2id PHC string (internal/auth)
	Role         Role
	SchoolID     int64    // 0 = platform-wide
	Colleges     []string // optional college scope for school admins
	TOTPSecret   string   // sealed; "" = TOTP off
	Disabled     bool
	CreatedAt    time.Time
	LastLoginAt  time.Time
}

// Notification is one message in a student's in-app list; when the student holds a
// subscription credit it is also sent as a WeChat subscription message (by a job).
type Notification struct {
	ID        int64
	AccountID int64
	Kind      string // review_result, payment_result, deadline, manual_entry
	Title     string
	Body      string
	Link      string
	CreatedAt time.Time
	ReadAt    time.Time
}

// AuditEntry is one append-only audit record: who did what to what, when, how many.
type AuditEntry struct {
	ID        int64
	ActorKind string // "staff", "student", "system"
	ActorID   int64
	Action    string // e.g. reveal_document, export_package, review_approve, task_update, login
	Object    string // e.g. "task:12", "roster:345"
	SchoolID  int64
	Count     int
	Detail    string // never contains ID numbers, names, tokens or keys
	IP        string
	CreatedAt time.Time
}
