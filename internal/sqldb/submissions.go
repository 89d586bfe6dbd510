package sqldb

import (
	"context"
	"encoding/json"
	"fmt"

	"xiaoxiang"
)

// SubmissionRow is a submission with the roster entry it belongs to. There is
// one submission per roster entry: its counters (replacements, free
// resubmissions) follow the student across re-linked accounts.
type SubmissionRow struct {
	xiaoxiang.Submission
	RosterEntryID int64
}

const submissionColumns = `s.id, s.binding_id, s.roster_entry_id, s.account_id, s.task_id, s.school_id, s.attempt_id, s.status,
	s.replacements_used, s.resubmissions_used, s.reviewer_id, s.reviewed_at, s.reject_reasons, s.reject_note, s.claimed_by, s.claim_expires,
	s.ctid_result, s.ctid_score, s.ctid_serial, s.ctid_at, s.same_person_done, s.same_person, s.submitted_at, s.delivered_at, s.package_id, s.updated_at`

func scanSubmission(r scanner) (*SubmissionRow, error) {
	var s SubmissionRow
	var reasons string
	err := r.Scan(&s.ID, &s.BindingID, &s.RosterEntryID, &s.AccountID, &s.TaskID, &s.SchoolID, &s.AttemptID, &s.Status,
		&s.ReplacementsUsed, &s.ResubmissionsUsed, nint{&s.ReviewerID}, tm(&s.ReviewedAt), &reasons, &s.RejectNote, nint{&s.ClaimedBy}, tm(&s.ClaimExpires),
		&s.CTIDResult, &s.CTIDScore, &s.CTIDSerial, tm(&s.CTIDAt), &s.SamePersonDone, &s.SamePerson, tm(&s.SubmittedAt), tm(&s.DeliveredAt), nint{&s.PackageID}, tm(&s.UpdatedAt))
	if err == nil && reasons != "" {
		if jerr := json.Unmarshal([]byte(reasons), &s.RejectReasons); jerr != nil {
			return nil, fmt.Errorf("reject reasons: %w", jerr)
		}
	}
	return &s, err
}

func reasonsJSON(r []string) string {
	if len(r) == 0 {
		return ""
	}
	b, _ := json.Marshal(r)
	return string(b)
}

// CreateSubmission inserts s. A second submission for the same roster entry
// gives ECONFLICT.
func (tx *Tx) CreateSubmission(ctx context.Context, s *SubmissionRow) error {
	s.UpdatedAt = tx.now
	if s.SubmittedAt.IsZero() {
		s.SubmittedAt = tx.now
	}
	err := tx.queryRow(ctx, `INSERT INTO submissions (binding_id, roster_entry_id, account_id, task_id, school_id, attempt_id, status,
		replacements_used, resubmissions_used, submitted_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.BindingID, s.RosterEntryID, s.AccountID, s.TaskID, s.SchoolID, s.AttemptID, s.Status,
		s.ReplacementsUsed, s.ResubmissionsUsed, s.SubmittedAt, tx.now, s.UpdatedAt).Scan(&s.ID)
	if err != nil {
		if isUniqueViolation(err) {
			return xiaoxiang.WrapError(xiaoxiang.ECONFLICT, "照片已提交，请刷新页面。", err)
		}
		return fmt.Errorf("sqldb: create submission: %w", err)
	}
	return nil
}

// UpdateSubmission writes every mutable field of s.
func (tx *Tx) UpdateSubmission(ctx context.Context, s *SubmissionRow) error {
	s.UpdatedAt = tx.now
	_, err := tx.exec(ctx, `UPDATE submissions SET binding_id = ?, account_id = ?, attempt_id = ?, status = ?,
		replacements_used = ?, resubmissions_used = ?, reviewer_id = ?, reviewed_at = ?, reject_reasons = ?, reject_note = ?,
		claimed_by = ?, claim_expires = ?, ctid_result = ?, ctid_score = ?, ctid_serial = ?, ctid_at = ?,
		same_person_done = ?, same_person = ?, submitted_at = ?, delivered_at = ?, package_id = ?, updated_at = ?
		WHERE id = ?`,
		s.BindingID, s.AccountID, s.AttemptID, s.Status,
		s.ReplacementsUsed, s.ResubmissionsUsed, nullInt(s.ReviewerID), s.ReviewedAt, reasonsJSON(s.RejectReasons), s.RejectNote,
		nullInt(s.ClaimedBy), s.ClaimExpires, s.CTIDResult, s.CTIDScore, s.CTIDSerial, s.CTIDAt,
		s.SamePersonDone, s.SamePerson, s.SubmittedAt, s.DeliveredAt, nullInt(s.PackageID), s.UpdatedAt, s.ID)
	if err != nil {
		return fmt.Errorf("sqldb: update submission %d: %w", s.ID, err)
	}
	return nil
}

// FindSubmissionByID returns one submission; lock adds a row lock.
func (tx *Tx) FindSubmissionByID(ctx context.Context, id int64, lock bool) (*SubmissionRow, error) {
	q := `SELECT ` + submissionColumns + ` FROM submissions s WHERE s.id = ?`
	if lock {
		q += tx.db.dialect.ForUpdate()
	}
	s, err := scanSubmission(tx.queryRow(ctx, q, id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find submission %d: %w", id, notFound(err, "提交记录不存在。"))
	}
	return s, nil
}

// FindSubmissionByEntry returns the roster entry's submission; lock adds a row lock.
func (tx *Tx) FindSubmissionByEntry(ctx context.Context, entryID int64, lock bool) (*SubmissionRow, error) {
	q := `SELECT ` + submissionColumns + ` FROM submissions s WHERE s.roster_entry_id = ?`
	if lock {
		q += tx.db.dialect.ForUpdate()
	}
	s, err := scanSubmission(tx.queryRow(ctx, q, entryID))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find submission of roster entry %d: %w", entryID, notFound(err, "尚未提交照片。"))
	}
	return s, nil
}

// FindSubmissionsByAccount lists the submissions the account made, newest first.
func (tx *Tx) FindSubmissionsByAccount(ctx context.Context, accountID int64) ([]*SubmissionRow, error) {
	out, err := list(ctx, tx, scanSubmission, `SELECT `+submissionColumns+` FROM submissions s WHERE s.account_id = ? ORDER BY s.id DESC`, accountID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find submissions of account %d: %w", accountID, err)
	}
	return out, nil
}

// TaskProgress counts a task's roster entries by stage (fast for 20,000-entry
// tasks: index-only counts on submissions(task_id, status)).
type TaskProgress struct {
	Roster    int
	Linked    int
	Paid      int
	ByStatus  map[xiaoxiang.SubmissionStatus]int
	Submitted int
}

// FindTaskProgress counts the task's progress.
func (tx *Tx) FindTaskProgress(ctx context.Context, taskID int64) (*TaskProgress, error) {
	p := &TaskProgress{ByStatus: map[xiaoxiang.SubmissionStatus]int{}}
	err := tx.queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM roster_entries WHERE task_id = ? AND manual_status <> 'rejected'),
		(SELECT COUNT(*) FROM bindings WHERE task_id = ? AND status = 'linked'),
		(SELECT COUNT(DISTINCT roster_entry_id) FROM orders WHERE task_id = ? AND status IN ('paid', 'refunding'))`,
		taskID, taskID, taskID).Scan(&p.Roster, &p.Linked, &p.Paid)
	if err != nil {
		return nil, fmt.Errorf("sqldb: task %d progress: %w", taskID, err)
	}
	rows, err := tx.query(ctx, `SELECT status, COUNT(*) FROM submissions WHERE task_id = ? GROUP BY status`, taskID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: task %d progress: %w", taskID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var st xiaoxiang.SubmissionStatus
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, fmt.Errorf("sqldb: task %d progress: %w", taskID, err)
		}
		p.ByStatus[st] = n
		p.Submitted += n
	}
	return p, rows.Err()
}

// CreateSubmissionEvent appends one history row.
func (tx *Tx) CreateSubmissionEvent(ctx context.Context, e *xiaoxiang.SubmissionEvent) error {
	e.CreatedAt = tx.now
	err := tx.queryRow(ctx, `INSERT INTO submission_events (submission_id, action, from_status, to_status, actor_kind, actor_id, reason, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, e.SubmissionID, e.Action, e.From, e.To, e.ActorKind, e.ActorID, e.Reason, e.CreatedAt).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("sqldb: create submission event: %w", err)
	}
	return nil
}

// FindSubmissionEvents lists a submission's history, oldest first.
func (tx *Tx) FindSubmissionEvents(ctx context.Context, submissionID int64) ([]*xiaoxiang.SubmissionEvent, error) {
	out, err := list(ctx, tx, func(r scanner) (*xiaoxiang.SubmissionEvent, error) {
		var e xiaoxiang.SubmissionEvent
		err := r.Scan(&e.ID, &e.SubmissionID, &e.Action, &e.From, &e.To, &e.ActorKind, &e.ActorID, &e.Reason, tm(&e.CreatedAt))
		return &e, err
	}, `SELECT id, submission_id, action, from_status, to_status, actor_kind, actor_id, reason, created_at
		FROM submission_events WHERE submission_id = ? ORDER BY id`, submissionID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find events of submission %d: %w", submissionID, err)
	}
	return out, nil
}

// FindRejectReasons lists the active rejection reasons in display order.
func (tx *Tx) FindRejectReasons(ctx context.Context) ([]xiaoxiang.RejectReason, error) {
	out, err := list(ctx, tx, func(r scanner) (xiaoxiang.RejectReason, error) {
		var x xiaoxiang.RejectReason
		err := r.Scan(&x.Code, &x.Label, &x.Message)
		return x, err
	}, `SELECT code, label, message FROM reject_reasons WHERE active = TRUE ORDER BY position, code`)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find reject reasons: %w", err)
	}
	return out, nil
}

// PutRejectReason inserts or updates a rejection reason.
func (tx *Tx) PutRejectReason(ctx context.Context, r xiaoxiang.RejectReason, position int, active bool) error {
	_, err := tx.exec(ctx, `INSERT INTO reject_reasons (code, label, message, position, active) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (code) DO UPDATE SET label = excluded.label, message = excluded.message, position = excluded.position, active = excluded.active`,
		r.Code, r.Label, r.Message, position, active)
	if err != nil {
		return fmt.Errorf("sqldb: put reject reason %s: %w", r.Code, err)
	}
	return nil
}

// DeleteSubmission removes a submission and its history (when a student
// deletes their data before approval).
func (tx *Tx) DeleteSubmission(ctx context.Context, id int64) error {
	if _, err := tx.exec(ctx, `DELETE FROM submission_events WHERE submission_id = ?`, id); err != nil {
		return fmt.Errorf("sqldb: delete submission %d: %w", id, err)
	}
	if _, err := tx.exec(ctx, `DELETE FROM submissions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("sqldb: delete submission %d: %w", id, err)
	}
	return nil
}
