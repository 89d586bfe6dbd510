package sqldb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"xiaoxiang"
)

// RosterKeys maps a task's roster entries by blind index and by student
// number (for upserts during an import).
type RosterKeys struct {
	ByDocIndex  map[string]int64
	ByStudentNo map[string]int64
}

// FindRosterKeys loads the lookup keys of every roster entry of the task.
func (tx *Tx) FindRosterKeys(ctx context.Context, taskID int64) (*RosterKeys, error) {
	rows, err := tx.query(ctx, `SELECT id, doc_index, student_no FROM roster_entries WHERE task_id = ?`, taskID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: roster keys of task %d: %w", taskID, err)
	}
	defer rows.Close()
	k := &RosterKeys{ByDocIndex: map[string]int64{}, ByStudentNo: map[string]int64{}}
	for rows.Next() {
		var id int64
		var ix, sno string
		if err := rows.Scan(&id, nstr{&ix}, nstr{&sno}); err != nil {
			return nil, fmt.Errorf("sqldb: roster keys of task %d: %w", taskID, err)
		}
		if ix != "" {
			k.ByDocIndex[ix] = id
		}
		if sno != "" {
			k.ByStudentNo[sno] = id
		}
	}
	return k, rows.Err()
}

// UpdateRosterEntry writes the imported fields of e (name, document,
// numbers, college, major, class, grade, gender).
func (tx *Tx) UpdateRosterEntry(ctx context.Context, e *xiaoxiang.RosterEntry) error {
	e.UpdatedAt = tx.now
	_, err := tx.exec(ctx, `UPDATE roster_entries SET name = ?, doc_kind = ?, doc_cipher = ?, doc_index = ?, doc_last4 = ?, student_no = ?,
		exam_no = ?, college = ?, major = ?, class = ?, grade = ?, gender = ?, updated_at = ? WHERE id = ?`,
		e.Name, e.DocKind, e.DocCipher, nullString(e.DocIndex), e.DocLast4, nullString(e.StudentNo),
		e.ExamNo, e.College, e.Major, e.Class, e.Grade, e.Gender, e.UpdatedAt, e.ID)
	if err != nil {
		return fmt.Errorf("sqldb: update roster entry %d: %w", e.ID, err)
	}
	return nil
}

// SetRosterPhoto records the blob key of an entry's roster photo.
func (tx *Tx) SetRosterPhoto(ctx context.Context, id int64, key string) error {
	_, err := tx.exec(ctx, `UPDATE roster_entries SET has_photo = ?, photo_key = ?, updated_at = ? WHERE id = ?`, key != "", key, tx.now, id)
	if err != nil {
		return fmt.Errorf("sqldb: set roster photo %d: %w", id, err)
	}
	return nil
}

// ProgressGroup is one row of the progress dashboard.
type ProgressGroup struct {
	Key       string // the college, major or class ("" = not filled in)
	Roster    int
	Linked    int
	Paid      int
	Submitted int
	Pending   int
	Approved  int
	Rejected  int
	Delivered int
}

// NotLinked is the number of roster entries nobody has linked yet.
func (g ProgressGroup) NotLinked() int { return g.Roster - g.Linked }

// ProgressFilter narrows the dashboard.
type ProgressFilter struct {
	TaskID   int64
	Colleges []string // scope: only these colleges (nil = all)
	GroupBy  string   // "college", "major" or "class"
	College  string   // drill-down: only this college
	Major    string
}

func groupColumn(g string) string {
	switch g {
	case "major":
		return "r.major"
	case "class":
		return "r.class"
	}
	return "r.college"
}

func (f ProgressFilter) conditions() (string, []any) {
	cond := "r.task_id = ? AND r.manual_status <> 'rejected'"
	args := []any{f.TaskID}
	if len(f.Colleges) > 0 {
		cond += " AND r.college IN (?" + strings.Repeat(", ?", len(f.Colleges)-1) + ")"
		for _, c := range f.Colleges {
			args = append(args, c)
		}
	}
	if f.College != "" {
		cond += " AND r.college = ?"
		args = append(args, f.College)
	}
	if f.Major != "" {
		cond += " AND r.major = ?"
		args = append(args, f.Major)
	}
	return cond, args
}

// stageJoins joins a task's roster entries (r) to their submission (s);
// stageCols says whether each is linked and paid. The bindings test repeats
// the partial index's condition (status IN ('pending', 'linked')) so that
// SQLite uses bindings_active_entry (without it the EXISTS scanned every
// binding for every roster entry: a minute for 20,000 students); orders use
// orders_entry_status.
const stageJoins = `
	FROM roster_entries r LEFT JOIN submissions s ON s.roster_entry_id = r.id`

const stageCols = `
	CASE WHEN EXISTS (SELECT 1 FROM bindings b WHERE b.roster_entry_id = r.id AND b.status IN ('pending', 'linked') AND b.status = 'linked') THEN 1 ELSE 0 END AS linked,
	CASE WHEN EXISTS (SELECT 1 FROM orders o WHERE o.roster_entry_id = r.id AND o.status IN ('paid', 'refunding')) THEN 1 ELSE 0 END AS paid`

// FindProgressGroups counts the task's roster by stage, grouped.
func (tx *Tx) FindProgressGroups(ctx context.Context, f ProgressFilter) ([]*ProgressGroup, error) {
	cond, args := f.conditions()
	q := `SELECT g, COUNT(*), SUM(linked), SUM(paid),
		SUM(CASE WHEN st <> '' THEN 1 ELSE 0 END),
		SUM(CASE WHEN st = 'pending' OR st = 'uploaded' THEN 1 ELSE 0 END),
		SUM(CASE WHEN st = 'approved' THEN 1 ELSE 0 END),
		SUM(CASE WHEN st = 'rejected' THEN 1 ELSE 0 END),
		SUM(CASE WHEN st = 'delivered' THEN 1 ELSE 0 END)
		FROM (SELECT ` + groupColumn(f.GroupBy) + ` AS g,` + stageCols + `,
			COALESCE(s.status, '') AS st` + stageJoins + `
			WHERE ` + cond + `) x GROUP BY g ORDER BY g`
	out, err := list(ctx, tx, func(r scanner) (*ProgressGroup, error) {
		var g ProgressGroup
		err := r.Scan(&g.Key, &g.Roster, &g.Linked, &g.Paid, &g.Submitted, &g.Pending, &g.Approved, &g.Rejected, &g.Delivered)
		return &g, err
	}, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: progress of task %d: %w", f.TaskID, err)
	}
	return out, nil
}

// StudentRow is one roster entry with its stage, for drill-down lists.
type StudentRow struct {
	EntryID      int64
	Name         string
	DocKind      string
	DocLast4     string
	StudentNo    string
	College      string
	Major        string
	Class        string
	Source       xiaoxiang.RosterSource
	Manual       xiaoxiang.ManualStatus
	HasPhoto     bool
	Linked       bool
	Paid         bool
	SubmissionID int64
	Status       xiaoxiang.SubmissionStatus // "" = not submitted
	ReviewedAt   time.Time
}

// Stage is the student's stage label for the school: 未关联, 已关联, 已支付,
// or the submission status label.
func (s *StudentRow) Stage() string {
	switch {
	case s.Status != "":
		return s.Status.Label()
	case s.Paid:
		return "已支付"
	case s.Linked:
		return "已关联"
	}
	return "未关联"
}

// StudentFilter selects drill-down rows.
type StudentFilter struct {
	ProgressFilter
	Class  string
	Stage  string // not_linked, linked, paid, submitted, pending, approved, rejected, delivered ("" = all)
	Limit  int    // default 100; -1 = no limit
	Offset int
}

// FindStudents lists the task's roster entries with their stage, by
// college, class and id.
func (tx *Tx) FindStudents(ctx context.Context, f StudentFilter) ([]*StudentRow, int, error) {
	cond, args := f.conditions()
	if f.Class != "" {
		cond += " AND r.class = ?"
		args = append(args, f.Class)
	}
	inner := `SELECT r.id, r.name, r.doc_kind, r.doc_last4, r.student_no, r.college, r.major, r.class, r.source, r.manual_status, r.has_photo,` +
		stageCols + `,
		COALESCE(s.id, 0) AS sid, COALESCE(s.status, '') AS st, s.reviewed_at` + stageJoins + ` WHERE ` + cond
	stage := ""
	switch f.Stage {
	case "not_linked":
		stage = "linked = 0"
	case "linked":
		stage = "linked = 1"
	case "paid":
		stage = "paid = 1"
	case "submitted":
		stage = "st <> ''"
	case "pending":
		stage = "st IN ('pending', 'uploaded')"
	case "approved", "rejected", "delivered":
		stage = "st = '" + f.Stage + "'"
	}
	where := ""
	if stage != "" {
		where = " WHERE " + stage
	}
	var total int
	if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM (`+inner+`) x`+where, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqldb: count students of task %d: %w", f.TaskID, err)
	}
	if f.Limit == 0 {
		f.Limit = 100
	}
	q := `SELECT * FROM (` + inner + `) x` + where + ` ORDER BY college, class, id`
	if f.Limit > 0 {
		q += ` LIMIT ? OFFSET ?`
		args = append(args, f.Limit, f.Offset)
	}
	out, err := list(ctx, tx, func(r scanner) (*StudentRow, error) {
		var s StudentRow
		var linked, paid int
		err := r.Scan(&s.EntryID, &s.Name, &s.DocKind, &s.DocLast4, nstr{&s.StudentNo}, &s.College, &s.Major, &s.Class, &s.Source, &s.Manual,
			&s.HasPhoto, &linked, &paid, &s.SubmissionID, &s.Status, tm(&s.ReviewedAt))
		s.Linked, s.Paid = linked == 1, paid == 1
		return &s, err
	}, q, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqldb: find students of task %d: %w", f.TaskID, err)
	}
	return out, total, nil
}

// FindDistinctColleges lists the colleges on a task's roster.
func (tx *Tx) FindDistinctColleges(ctx context.Context, taskID int64) ([]string, error) {
	out, err := list(ctx, tx, func(r scanner) (string, error) {
		var s string
		err := r.Scan(&s)
		return s, err
	}, `SELECT DISTINCT college FROM roster_entries WHERE task_id = ? ORDER BY college`, taskID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: colleges of task %d: %w", taskID, err)
	}
	return out, nil
}

// Deliverable is one approved photo ready for a delivery package.
type Deliverable struct {
	SubmissionID    int64
	AccountID       int64
	Status          xiaoxiang.SubmissionStatus
	ReviewedAt      time.Time
	EntryID         int64
	Name            string
	DocKind         string
	DocCipher       string
	StudentNo       string
	College         string
	Major           string
	Class           string
	StandardizedKey string
	SHA256          string
}

// DeliverableFilter selects the photos of a package.
type DeliverableFilter struct {
	TaskID   int64
	Colleges []string // scope
	College  string
	Class    string
	// IncludeDelivered also takes photos already delivered (a re-export).
	IncludeDelivered bool
}

func (f DeliverableFilter) query() (string, []any) {
	pf := ProgressFilter{TaskID: f.TaskID, Colleges: f.Colleges, College: f.College}
	cond, args := pf.conditions()
	if f.Class != "" {
		cond += " AND r.class = ?"
		args = append(args, f.Class)
	}
	if f.IncludeDelivered {
		cond += " AND s.status IN ('approved', 'delivered')"
	} else {
		cond += " AND s.status = 'approved'"
	}
	return `SELECT s.id, s.account_id, s.status, s.reviewed_at, r.id, r.name, r.doc_kind, r.doc_cipher, r.student_no, r.college, r.major, r.class,
		a.standardized_key, a.sha256
		FROM submissions s JOIN roster_entries r ON r.id = s.roster_entry_id JOIN attempts a ON a.id = s.attempt_id
		WHERE ` + cond + ` ORDER BY r.college, r.class, r.id`, args
}

func scanDeliverable(r scanner) (*Deliverable, error) {
	var d Deliverable
	err := r.Scan(&d.SubmissionID, &d.AccountID, &d.Status, tm(&d.ReviewedAt), &d.EntryID, &d.Name, &d.DocKind, &d.DocCipher, nstr{&d.StudentNo},
		&d.College, &d.Major, &d.Class, &d.StandardizedKey, &d.SHA256)
	return &d, err
}

// FindDeliverables lists the task's approved photos in the filter, by
// college, class and roster id.
func (tx *Tx) FindDeliverables(ctx context.Context, f DeliverableFilter) ([]*Deliverable, error) {
	q, args := f.query()
	out, err := list(ctx, tx, scanDeliverable, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find deliverables of task %d: %w", f.TaskID, err)
	}
	return out, nil
}

// EachDeliverable streams the photos of FindDeliverables to fn one row at a
// time (constant memory for any task size); an error from fn stops it.
func (tx *Tx) EachDeliverable(ctx context.Context, f DeliverableFilter, fn func(*Deliverable) error) error {
	q, args := f.query()
	rows, err := tx.query(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("sqldb: deliverables of task %d: %w", f.TaskID, err)
	}
	defer rows.Close()
	for rows.Next() {
		d, err := scanDeliverable(rows)
		if err != nil {
			return fmt.Errorf("sqldb: deliverables of task %d: %w", f.TaskID, err)
		}
		if err := fn(d); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqldb: deliverables of task %d: %w", f.TaskID, err)
	}
	return nil
}

// StaffFilter selects staff accounts; zero fields do not filter.
type StaffFilter struct {
	SchoolID int64
	Role     xiaoxiang.Role
}

// FindStaff lists staff accounts by id.
func (tx *Tx) FindStaff(ctx context.Context, f StaffFilter) ([]*xiaoxiang.Staff, error) {
	q := `SELECT ` + staffColumns + ` FROM staff s WHERE 1 = 1`
	var args []any
	if f.SchoolID != 0 {
		q += ` AND s.school_id = ?`
		args = append(args, f.SchoolID)
	}
	if f.Role != "" {
		q += ` AND s.role = ?`
		args = append(args, f.Role)
	}
	out, err := list(ctx, tx, scanStaff, q+` ORDER BY s.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find staff: %w", err)
	}
	return out, nil
}

// FindAllRejectReasons lists every rejection reason (active or not) with its
// position and state, for the settings page.
func (tx *Tx) FindAllRejectReasons(ctx context.Context) ([]RejectReasonRow, error) {
	out, err := list(ctx, tx, func(r scanner) (RejectReasonRow, error) {
		var x RejectReasonRow
		err := r.Scan(&x.Code, &x.Label, &x.Message, &x.Position, &x.Active)
		return x, err
	}, `SELECT code, label, message, position, active FROM reject_reasons ORDER BY position, code`)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find all reject reasons: %w", err)
	}
	return out, nil
}

// RejectReasonRow is a rejection reason with its list position and state.
type RejectReasonRow struct {
	xiaoxiang.RejectReason
	Position int
	Active   bool
}

// DeleteStaffSessionsOf ends every session of a staff member (disabled
// account, new password).
func (tx *Tx) DeleteStaffSessionsOf(ctx context.Context, staffID int64) error {
	if _, err := tx.exec(ctx, `DELETE FROM staff_sessions WHERE staff_id = ?`, staffID); err != nil {
		return fmt.Errorf("sqldb: delete sessions of staff %d: %w", staffID, err)
	}
	return nil
}

// SetOrderRefundRequest records (reason non-empty) or clears (reason "") a
// school's refund request on a paid order; it reports whether the order was
// paid and changed.
func (tx *Tx) SetOrderRefundRequest(ctx context.Context, orderID int64, reason string) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE orders SET refund_reason = ?, updated_at = ? WHERE id = ? AND status = 'paid'`, reason, tx.now, orderID)
	if err != nil {
		return false, fmt.Errorf("sqldb: refund request of order %d: %w", orderID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// RefundRow is a refund request with its order, student and refund state.
type RefundRow struct {
	OrderID      int64
	OutTradeNo   string
	AmountFen    int64
	OrderStatus  xiaoxiang.OrderStatus
	Reason       string
	RefundStatus string // "" = not submitted to WeChat Pay yet
	OutRefundNo  string
	SchoolID     int64
	SchoolName   string
	TaskTitle    string
	Name         string
	College      string
	UpdatedAt    time.Time
}

// FindRefundRows lists orders with a refund request in scope, newest first.
func (tx *Tx) FindRefundRows(ctx context.Context, scope Scope, limit int) ([]*RefundRow, error) {
	cond, args := scope.where("o.school_id", "r.college")
	out, err := list(ctx, tx, func(r scanner) (*RefundRow, error) {
		var x RefundRow
		err := r.Scan(&x.OrderID, &x.OutTradeNo, &x.AmountFen, &x.OrderStatus, &x.Reason, &x.RefundStatus, &x.OutRefundNo,
			&x.SchoolID, &x.SchoolName, &x.TaskTitle, &x.Name, &x.College, tm(&x.UpdatedAt))
		return &x, err
	}, `SELECT o.id, o.out_trade_no, o.amount_fen, o.status, o.refund_reason, COALESCE(f.status, ''), COALESCE(f.out_refund_no, ''),
		o.school_id, sc.name, t.title, r.name, r.college, o.updated_at
		FROM orders o JOIN roster_entries r ON r.id = o.roster_entry_id JOIN tasks t ON t.id = o.task_id JOIN schools sc ON sc.id = o.school_id
		LEFT JOIN refunds f ON f.order_id = o.id
		WHERE o.refund_reason <> '' AND `+cond+` ORDER BY o.updated_at DESC, o.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find refund requests: %w", err)
	}
	return out, nil
}
