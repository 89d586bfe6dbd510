package sqldb

import (
	"context"
	"fmt"
	"strings"

	"xiaoxiang"
)

const rosterColumns = `r.id, r.school_id, r.task_id, r.name, r.doc_kind, r.doc_cipher, r.doc_index, r.doc_last4, r.student_no, r.exam_no,
	r.college, r.major, r.class, r.grade, r.gender, r.source, r.manual_status, r.manual_note, r.has_photo, r.photo_key, r.created_at, r.updated_at`

func scanRoster(r scanner) (*xiaoxiang.RosterEntry, error) {
	var e xiaoxiang.RosterEntry
	err := r.Scan(&e.ID, &e.SchoolID, &e.TaskID, &e.Name, &e.DocKind, &e.DocCipher, nstr{&e.DocIndex}, &e.DocLast4, nstr{&e.StudentNo}, &e.ExamNo,
		&e.College, &e.Major, &e.Class, &e.Grade, &e.Gender, &e.Source, &e.Manual, &e.ManualNote, &e.HasPhoto, &e.PhotoKey, tm(&e.CreatedAt), tm(&e.UpdatedAt))
	return &e, err
}

// CreateRosterEntry inserts e. The document number must already be sealed
// (DocCipher) with its blind index (DocIndex); clear numbers never reach
// the database.
func (tx *Tx) CreateRosterEntry(ctx context.Context, e *xiaoxiang.RosterEntry) error {
	e.CreatedAt, e.UpdatedAt = tx.now, tx.now
	if e.Source == "" {
		e.Source = xiaoxiang.RosterImported
	}
	err := tx.queryRow(ctx, `INSERT INTO roster_entries (school_id, task_id, name, doc_kind, doc_cipher, doc_index, doc_last4, student_no, exam_no,
		college, major, class, grade, gender, source, manual_status, manual_note, has_photo, photo_key, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.SchoolID, e.TaskID, e.Name, e.DocKind, e.DocCipher, nullString(e.DocIndex), e.DocLast4, nullString(e.StudentNo), e.ExamNo,
		e.College, e.Major, e.Class, e.Grade, e.Gender, e.Source, e.Manual, e.ManualNote, e.HasPhoto, e.PhotoKey, e.CreatedAt, e.UpdatedAt).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("sqldb: create roster entry: %w", err)
	}
	return nil
}

// FindRosterEntryByID returns one roster entry.
func (tx *Tx) FindRosterEntryByID(ctx context.Context, id int64) (*xiaoxiang.RosterEntry, error) {
	e, err := scanRoster(tx.queryRow(ctx, `SELECT `+rosterColumns+` FROM roster_entries r WHERE r.id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find roster entry %d: %w", id, notFound(err, "名单记录不存在。"))
	}
	return e, nil
}

// FindRosterEntriesByDocIndex returns the task's entries whose blind index
// is one of indexes (several during a key rotation or when the kind is
// ambiguous). Rejected manual entries are left out.
func (tx *Tx) FindRosterEntriesByDocIndex(ctx context.Context, taskID int64, indexes []string) ([]*xiaoxiang.RosterEntry, error) {
	if len(indexes) == 0 {
		return nil, nil
	}
	args := []any{taskID}
	for _, ix := range indexes {
		args = append(args, ix)
	}
	q := `SELECT ` + rosterColumns + ` FROM roster_entries r WHERE r.task_id = ? AND r.doc_index IN (?` + strings.Repeat(", ?", len(indexes)-1) + `)
		AND r.manual_status <> 'rejected' ORDER BY r.id`
	out, err := list(ctx, tx, scanRoster, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find roster entries by document of task %d: %w", taskID, err)
	}
	return out, nil
}

// FindRosterEntriesByStudentNo returns the task's entries with the student
// number (normalised), rejected manual entries left out.
func (tx *Tx) FindRosterEntriesByStudentNo(ctx context.Context, taskID int64, studentNo string) ([]*xiaoxiang.RosterEntry, error) {
	out, err := list(ctx, tx, scanRoster, `SELECT `+rosterColumns+` FROM roster_entries r
		WHERE r.task_id = ? AND r.student_no = ? AND r.manual_status <> 'rejected' ORDER BY r.id`, taskID, studentNo)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find roster entries by student number of task %d: %w", taskID, err)
	}
	return out, nil
}

// FindPendingManualEntries lists the task's manual entries awaiting approval.
func (tx *Tx) FindPendingManualEntries(ctx context.Context, taskID int64) ([]*xiaoxiang.RosterEntry, error) {
	out, err := list(ctx, tx, scanRoster, `SELECT `+rosterColumns+` FROM roster_entries r
		WHERE r.task_id = ? AND r.manual_status = 'pending' ORDER BY r.id`, taskID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find pending manual entries of task %d: %w", taskID, err)
	}
	return out, nil
}

// SetManualStatus records the school's decision on a manual entry.
func (tx *Tx) SetManualStatus(ctx context.Context, id int64, status xiaoxiang.ManualStatus, note string) error {
	_, err := tx.exec(ctx, `UPDATE roster_entries SET manual_status = ?, manual_note = ?, updated_at = ? WHERE id = ? AND source = 'manual'`,
		status, note, tx.now, id)
	if err != nil {
		return fmt.Errorf("sqldb: set manual status of roster entry %d: %w", id, err)
	}
	return nil
}

// CountRosterEntries counts the task's roster entries (rejected manual
// entries left out).
func (tx *Tx) CountRosterEntries(ctx context.Context, taskID int64) (int, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COUNT(*) FROM roster_entries WHERE task_id = ? AND manual_status <> 'rejected'`, taskID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqldb: count roster entries of task %d: %w", taskID, err)
	}
	return n, nil
}
