package auth

import (
	"fmt"
	"slices"
)

// Role is a staff role. The codes equal those of the domain package's Role.
type Role string

// Staff roles.
const (
	RoleOperator    Role = "operator"     // 平台运营: all schools, platform settings
	RoleSchoolAdmin Role = "school_admin" // 学校管理员: one school, optionally some colleges
	RoleReviewer    Role = "reviewer"     // 审核员: one school, or all schools when SchoolID is 0
)

// Action is something a staff member does to a resource.
type Action string

// Actions checked by Can.
const (
	ActionView           Action = "view"            // see tasks, progress, roster entries (masked)
	ActionReview         Action = "review"          // approve / reject submissions
	ActionRevealDocument Action = "reveal_document" // see a full ID number (audited)
	ActionExport         Action = "export"          // build / download delivery packages
	ActionManageRoster   Action = "manage_roster"   // import / edit rosters, roster photos
	ActionApproveManual  Action = "approve_manual"  // approve manual-entry students
	ActionManageTask     Action = "manage_task"     // create / edit tasks
	ActionRefund         Action = "refund"          // request refunds
	ActionManageStaff    Action = "manage_staff"    // create / disable staff accounts
	ActionViewAudit      Action = "view_audit"      // read the audit log
	ActionManageSchools  Action = "manage_schools"  // onboard schools (platform)
	ActionManageSettings Action = "manage_settings" // platform settings, spec profiles
)

// schoolAdminActions are the actions a school admin may take in their school.
var schoolAdminActions = []Action{ActionView, ActionReview, ActionRevealDocument, ActionExport,
	ActionManageRoster, ActionApproveManual, ActionManageTask, ActionRefund, ActionManageStaff, ActionViewAudit}

// schoolWideActions change or reveal the whole school; a college-scoped admin
// may not take them.
var schoolWideActions = []Action{ActionManageTask, ActionRefund, ActionManageStaff, ActionViewAudit}

// reviewerActions are the actions a reviewer may take in their scope.
var reviewerActions = []Action{ActionView, ActionReview, ActionRevealDocument}

// Principal is an authenticated staff member's role and scope.
type Principal struct {
	StaffID  int64
	Role     Role
	SchoolID int64    // 0 = platform-wide (operator; reviewer for all schools)
	Colleges []string // non-empty: a school admin limited to these colleges
}

// Resource is the tenant scope of the thing being acted on. SchoolID must be
// set for every school resource; College is "" for school-level things (a
// task, the school's settings) and set for per-student things.
type Resource struct {
	SchoolID int64
	College  string
}

// Validate checks that the principal's scope fits its role.
func (p Principal) Validate() error {
	switch p.Role {
	case RoleOperator:
		if p.SchoolID != 0 || len(p.Colleges) > 0 {
			return fmt.Errorf("auth: operator must not have a school or college scope")
		}
	case RoleSchoolAdmin:
		if p.SchoolID <= 0 {
			return fmt.Errorf("auth: school admin needs a school")
		}
	case RoleReviewer:
		if p.SchoolID < 0 || len(p.Colleges) > 0 {
			return fmt.Errorf("auth: reviewer scope is one school or all schools, without colleges")
		}
	default:
		return fmt.Errorf("auth: unknown role %q", p.Role)
	}
	return nil
}

// Can reports whether p may take action a on resource r. It is the single
// tenant-isolation check: a school admin or school reviewer never acts on
// another school, a college-scoped admin never on another college (nor on
// school-wide actions or school-level things other than viewing them), and
// only operators act on the platform (r.SchoolID == 0). An invalid principal
// can do nothing.
func (p Principal) Can(a Action, r Resource) bool {
	if p.Validate() != nil {
		return false
	}
	switch p.Role {
	case RoleOperator:
		return a != ""
	case RoleReviewer:
		if r.SchoolID <= 0 || (p.SchoolID != 0 && p.SchoolID != r.SchoolID) {
			return false
		}
		return slices.Contains(reviewerActions, a)
	case RoleSchoolAdmin:
		if r.SchoolID <= 0 || r.SchoolID != p.SchoolID || !slices.Contains(schoolAdminActions, a) {
			return false
		}
		if len(p.Colleges) == 0 {
			return true
		}
		if slices.Contains(schoolWideActions, a) {
			return false
		}
		if r.College == "" {
			return a == ActionView
		}
		return slices.Contains(p.Colleges, r.College)
	}
	return false
}

// Scope describes which rows a principal may list, for building queries:
// AllSchools, or exactly SchoolID; Colleges non-empty limits per-student rows
// to those colleges.
type Scope struct {
	AllSchools bool
	SchoolID   int64
	Colleges   []string
}

// ListScope returns the query scope of p (nothing for an invalid principal:
// SchoolID -1, which matches no row).
func (p Principal) ListScope() Scope {
	if p.Validate() != nil {
		return Scope{SchoolID: -1}
	}
	if p.SchoolID == 0 {
		return Scope{AllSchools: true}
	}
	return Scope{SchoolID: p.SchoolID, Colleges: slices.Clone(p.Colleges)}
}
