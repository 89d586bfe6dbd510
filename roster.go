package xiaoxiang

import "time"

// RosterSource says where a roster entry came from.
type RosterSource string

const (
	RosterImported RosterSource = "import" // the school's roster file
	RosterManual   RosterSource = "manual" // 人工录入 by a student, needs school approval
)

// ManualStatus is the approval state of a manual entry ("" for imported entries).
type ManualStatus string

const (
	ManualPending  ManualStatus = "pending"
	ManualApproved ManualStatus = "approved"
	ManualRejected ManualStatus = "rejected"
)

// RosterEntry is one student on a task's collection list (采集名单).
// The document number is never stored in clear: DocCipher is AES-GCM sealed
// (internal/identity.Keyring), DocIndex is its keyed blind index for lookup, and
// DocLast4 is kept for display (证件号后4位).
type RosterEntry struct {
	ID        int64
	SchoolID  int64
	TaskID    int64
	Name      string
	DocKind   string // identity kind code, e.g. "resident_id"
	DocCipher string
	DocIndex  string
	DocLast4  string
	StudentNo string
	ExamNo    string // 考生号
	College   string
	Major     string
	Class     string
	Grade     string
	Gender    string
	Source    RosterSource
	Manual    ManualStatus
	// ManualNote is the school's reason when a manual entry is rejected.
	ManualNote string
	// HasPhoto is true when a roster photo (for same-person checks) was imported.
	HasPhoto  bool
	PhotoKey  string
	CreatedAt time.Time
	UpdatedAt time.Time
}
