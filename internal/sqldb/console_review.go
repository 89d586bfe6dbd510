package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"xiaoxiang"
)

// Scope limits console queries to the rows a staff member may see: every
// school (AllSchools), or exactly SchoolID; non-empty Colleges limits
// per-student rows to those colleges. The zero value matches nothing.
type Scope struct {
	AllSchools bool
	SchoolID   int64
	Colleges   []string
}

// where returns the SQL condition (and its arguments) that limits rows to
// the scope; schoolCol and collegeCol name the columns to test.
func (s Scope) where(schoolCol, collegeCol string) (string, []any) {
	if s.AllSchools {
		return "1 = 1", nil
	}
	if s.SchoolID <= 0 {
		return "1 = 0", nil
	}
	cond := schoolCol + " = ?"
	args := []any{s.SchoolID}
	if len(s.Colleges) > 0 && collegeCol != "" {
		cond += " AND " + collegeCol + " IN (?" + strings.Repeat(", ?", len(s.Colleges)-1) + ")"
		for _, c := range s.Colleges {
			args = append(args, c)
		}
	}
	return cond, args
}

// ReviewFilter selects submissions for the review queue; zero fields do not filter.
type ReviewFilter struct {
	Scope    Scope
	SchoolID int64
	TaskID   int64
	Status   xiaoxiang.SubmissionStatus // default pending
	// SubmittedBefore keeps submissions older than this (the "age" filter).
	SubmittedBefore time.Time
	Limit           int // default 50
	Offset          int
}

// QueueItem is one row of the review queue.
type QueueItem struct {
	SubmissionID      int64
	TaskID            int64
	SchoolID          int64
	Status            xiaoxiang.SubmissionStatus
	SubmittedAt       time.Time
	ClaimedBy         int64
	ClaimExpires      time.Time
	ReviewerID        int64
	ReviewedAt        time.Time
	ResubmissionsUsed int
	Name              string
	College           string
	Major             string
	Class             string
	StudentNo         string
	DocLast4          string
	TaskTitle         string
	SchoolName        string
	Verdict           string // automatic check summary of the current photo
	CTIDResult        string
	SamePersonDone    bool
	SamePerson        bool
}

func (f ReviewFilter) conditions() (string, []any) {
	cond, args := f.Scope.where("s.school_id", "r.college")
	st := f.Status
	if st == "" {
		st = xiaoxiang.SubmissionPending
	}
	cond += " AND s.status = ?"
	args = append(args, st)
	if f.SchoolID != 0 {
		cond += " AND s.school_id = ?"
		args = append(args, f.SchoolID)
	}
	if f.TaskID != 0 {
		cond += " AND s.task_id = ?"
		args = append(args, f.TaskID)
	}
	if !f.SubmittedBefore.IsZero() {
		cond += " AND s.submitted_at <= ?"
		args = append(args, f.SubmittedBefore)
	}
	return cond, args
}

const queueFrom = ` FROM submissions s
	JOIN roster_entries r ON r.id = s.roster_entry_id
	JOIN tasks t ON t.id = s.task_id
	JOIN schools sc ON sc.id = s.school_id
	JOIN attempts a ON a.id = s.attempt_id`

// FindReviewQueue lists submissions in the filter, oldest first, and the
// total count.
func (tx *Tx) FindReviewQueue(ctx context.Context, f ReviewFilter) ([]*QueueItem, int, error) {
	cond, args := f.conditions()
	var total int
	if err := tx.queryRow(ctx, `SELECT COUNT(*)`+queueFrom+` WHERE `+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqldb: count review queue: %w", err)
	}
	if f.Limit <= 0 {
		f.Limit = 50
	}
	q := `SELECT s.id, s.task_id, s.school_id, s.status, s.submitted_at, s.claimed_by, s.claim_expires, s.reviewer_id, s.reviewed_at,
		s.resubmissions_used, r.name, r.college, r.major, r.class, r.student_no, r.doc_last4, t.title, sc.name, a.verdict,
		s.ctid_result, s.same_person_done, s.same_person` + queueFrom + ` WHERE ` + cond + ` ORDER BY s.submitted_at, s.id LIMIT ? OFFSET ?`
	out, err := list(ctx, tx, scanQueueItem, q, append(args, f.Limit, f.Offset)...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqldb: find review queue: %w", err)
	}
	return out, total, nil
}

func scanQueueItem(r scanner) (*QueueItem, error) {
	var q QueueItem
	err := r.Scan(&q.SubmissionID, &q.TaskID, &q.SchoolID, &q.Status, tm(&q.SubmittedAt), nint{&q.ClaimedBy}, tm(&q.ClaimExpires),
		nint{&q.ReviewerID}, tm(&q.ReviewedAt), &q.ResubmissionsUsed, &q.Name, &q.College, &q.Major, &q.Class, nstr{&q.StudentNo},
		&q.DocLast4, &q.TaskTitle, &q.SchoolName, &q.Verdict, &q.CTIDResult, &q.SamePersonDone, &q.SamePerson)
	return &q, err
}

// FindQueueItem returns one submission as a queue row.
func (tx *Tx) FindQueueItem(ctx context.Context, submissionID int64) (*QueueItem, error) {
	q := `SELECT s.id, s.task_id, s.school_id, s.status, s.submitted_at, s.claimed_by, s.claim_expires, s.reviewer_id, s.reviewed_at,
		s.resubmissions_used, r.name, r.college, r.major, r.class, r.student_no, r.doc_last4, t.title, sc.name, a.verdict,
		s.ctid_result, s.same_person_done, s.same_person` + queueFrom + ` WHERE s.id = ?`
	it, err := scanQueueItem(tx.queryRow(ctx, q, submissionID))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find queue item %d: %w", submissionID, notFound(err, "提交记录不存在。"))
	}
	return it, nil
}

// NextClaimable returns the id of the oldest pending submission in the
// filter that staffID may claim at now: one staffID already holds first,
// else the oldest unclaimed or expired one. exclude lists ids to skip. It
// returns 0 when there is none. Both steps walk the (status, submitted_at)
// index and stop at the first match (no sort of the whole queue).
func (tx *Tx) NextClaimable(ctx context.Context, f ReviewFilter, staffID int64, now time.Time, exclude []int64) (int64, error) {
	f.Status = xiaoxiang.SubmissionPending
	cond, args := f.conditions()
	if len(exclude) > 0 {
		cond += " AND s.id NOT IN (?" + strings.Repeat(", ?", len(exclude)-1) + ")"
		for _, id := range exclude {
			args = append(args, id)
		}
	}
	lock := ""
	if tx.db.dialect == Postgres {
		lock = " FOR UPDATE OF s SKIP LOCKED"
	}
	for _, step := range []struct {
		cond string
		args []any
	}{
		{" AND s.claimed_by = ? AND s.claim_expires >= ?", []any{staffID, now}},
		{" AND (s.claimed_by IS NULL OR s.claim_expires < ?)", []any{now}},
	} {
		q := `SELECT s.id FROM submissions s JOIN roster_entries r ON r.id = s.roster_entry_id WHERE ` + cond + step.cond +
			` ORDER BY s.submitted_at, s.id LIMIT 1` + lock
		var id int64
		err := tx.queryRow(ctx, q, append(append([]any{}, args...), step.args...)...).Scan(&id)
		switch {
		case err == nil:
			return id, nil
		case !errors.Is(err, sql.ErrNoRows):
			return 0, fmt.Errorf("sqldb: next claimable submission: %w", err)
		}
	}
	return 0, nil
}

// ClaimSubmission gives staffID the review lock on a pending submission
// until until, if nobody else holds an unexpired lock. It reports whether
// the claim was taken. The condition is in the UPDATE itself, so two
// reviewers racing for one photo never both win (on PostgreSQL the second
// UPDATE waits for the first and re-checks the condition).
func (tx *Tx) ClaimSubmission(ctx context.Context, id, staffID int64, until, now time.Time) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE submissions SET claimed_by = ?, claim_expires = ?, updated_at = ?
		WHERE id = ? AND status = 'pending' AND (claimed_by IS NULL OR claim_expires < ? OR claimed_by = ?)`,
		staffID, until, tx.now, id, now, staffID)
	if err != nil {
		return false, fmt.Errorf("sqldb: claim submission %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReleaseSubmission drops staffID's review lock on a submission.
func (tx *Tx) ReleaseSubmission(ctx context.Context, id, staffID int64) error {
	_, err := tx.exec(ctx, `UPDATE submissions SET claimed_by = NULL, claim_expires = NULL, updated_at = ? WHERE id = ? AND claimed_by = ?`,
		tx.now, id, staffID)
	if err != nil {
		return fmt.Errorf("sqldb: release submission %d: %w", id, err)
	}
	return nil
}

// ReviewerStats is one reviewer's decisions in a period.
type ReviewerStats struct {
	StaffID     int64
	Username    string
	DisplayName string
	Approved    int
	Rejected    int
	First, Last time.Time
}

// FindReviewerStats counts approve and reject events per staff member since
// since, for submissions in scope.
func (tx *Tx) FindReviewerStats(ctx context.Context, scope Scope, since time.Time) ([]*ReviewerStats, error) {
	cond, args := scope.where("s.school_id", "")
	q := `SELECT e.actor_id, COALESCE(st.username, ''), COALESCE(st.display_name, ''),
		SUM(CASE WHEN e.action = 'approve' THEN 1 ELSE 0 END), SUM(CASE WHEN e.action = 'reject' THEN 1 ELSE 0 END),
		MIN(e.created_at), MAX(e.created_at)
		FROM submission_events e JOIN submissions s ON s.id = e.submission_id LEFT JOIN staff st ON st.id = e.actor_id
		WHERE e.actor_kind = 'staff' AND e.action IN ('approve', 'reject') AND e.created_at >= ? AND ` + cond + `
		GROUP BY e.actor_id, st.username, st.display_name ORDER BY e.actor_id`
	out, err := list(ctx, tx, func(r scanner) (*ReviewerStats, error) {
		var s ReviewerStats
		err := r.Scan(&s.StaffID, &s.Username, &s.DisplayName, &s.Approved, &s.Rejected, tm(&s.First), tm(&s.Last))
		return &s, err
	}, q, append([]any{since}, args...)...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: reviewer stats: %w", err)
	}
	return out, nil
}

// MarkJobRunningNote records a note in a running job's last_error without
// changing its state (the notification sender marks "sending" there before
// it calls WeChat, so a crash mid-send is never retried into a duplicate).
func (tx *Tx) MarkJobRunningNote(ctx context.Context, id int64, note string) error {
	_, err := tx.exec(ctx, `UPDATE jobs SET last_error = ?, updated_at = ? WHERE id = ? AND state = 'running'`, note, tx.now, id)
	if err != nil {
		return fmt.Errorf("sqldb: note job %d: %w", id, err)
	}
	return nil
}

// FindNotificationByID returns one notification.
func (tx *Tx) FindNotificationByID(ctx context.Context, id int64) (*xiaoxiang.Notification, error) {
	var n xiaoxiang.Notification
	err := tx.queryRow(ctx, `SELECT id, account_id, kind, title, body, link, created_at, read_at FROM notifications WHERE id = ?`, id).
		Scan(&n.ID, &n.AccountID, &n.Kind, &n.Title, &n.Body, &n.Link, tm(&n.CreatedAt), tm(&n.ReadAt))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find notification %d: %w", id, notFound(err, "通知不存在。"))
	}
	return &n, nil
}

// DeadlineReminder is a linked student whose task closes soon and who has
// no photo in review or approved yet.
type DeadlineReminder struct {
	BindingID int64
	AccountID int64
	TaskTitle string
	ClosesAt  time.Time
}

// FindDeadlineReminders lists linked bindings of open tasks closing in
// (now, until] whose roster entry has no pending, approved or delivered
// submission and whose account has not been reminded for that binding yet
// (no deadline notification linking to it).
func (tx *Tx) FindDeadlineReminders(ctx context.Context, now, until time.Time, limit int) ([]*DeadlineReminder, error) {
	out, err := list(ctx, tx, func(r scanner) (*DeadlineReminder, error) {
		var d DeadlineReminder
		err := r.Scan(&d.BindingID, &d.AccountID, &d.TaskTitle, tm(&d.ClosesAt))
		return &d, err
	}, `SELECT b.id, b.account_id, t.title, t.closes_at FROM bindings b JOIN tasks t ON t.id = b.task_id
		WHERE b.status = 'linked' AND t.status = 'open' AND t.closes_at > ? AND t.closes_at <= ?
		  AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.roster_entry_id = b.roster_entry_id AND s.status IN ('pending', 'approved', 'delivered'))
		  AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.account_id = b.account_id AND n.kind = 'deadline'
		                  AND n.link = '/my/' || CAST(b.id AS TEXT) || '/status')
		ORDER BY b.id LIMIT ?`, now, until, limit)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find deadline reminders: %w", err)
	}
	return out, nil
}
