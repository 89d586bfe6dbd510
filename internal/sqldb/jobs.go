package sqldb

import (
	"context"
	"fmt"
	"time"
)

// Job states.
const (
	JobAvailable = "available" // waiting for run_at (new or retrying)
	JobRunning   = "running"   // claimed by a worker until locked_until
	JobCompleted = "completed"
	JobDiscarded = "discarded" // failed max_attempts times, or cancelled
)

// Job is one row of the persistent queue (internal/queue runs them).
type Job struct {
	ID          int64
	Kind        string
	Args        string // JSON
	UniqueKey   string // "" = none; otherwise the job is inserted at most once ever
	State       string
	RunAt       time.Time
	Attempts    int
	MaxAttempts int
	LastError   string
	LockedUntil time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
	FinishedAt  time.Time
}

const jobColumns = `id, kind, args, unique_key, state, run_at, attempts, max_attempts, last_error, locked_until, created_at, updated_at, finished_at`

func scanJob(r scanner) (*Job, error) {
	var j Job
	err := r.Scan(&j.ID, &j.Kind, &j.Args, nstr{&j.UniqueKey}, &j.State, tm(&j.RunAt), &j.Attempts, &j.MaxAttempts, &j.LastError,
		tm(&j.LockedUntil), tm(&j.CreatedAt), tm(&j.UpdatedAt), tm(&j.FinishedAt))
	return &j, err
}

// InsertJob inserts j as available. With a UniqueKey that was used before
// (by any job, in any state) nothing is inserted and inserted is false.
func (tx *Tx) InsertJob(ctx context.Context, j *Job) (inserted bool, err error) {
	j.State = JobAvailable
	j.CreatedAt, j.UpdatedAt = tx.now, tx.now
	if j.RunAt.IsZero() {
		j.RunAt = tx.now
	}
	rows, err := tx.query(ctx, `INSERT INTO jobs (kind, args, unique_key, state, run_at, attempts, max_attempts, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?) ON CONFLICT (unique_key) DO NOTHING RETURNING id`,
		j.Kind, j.Args, nullString(j.UniqueKey), j.State, j.RunAt, j.MaxAttempts, j.CreatedAt, j.UpdatedAt)
	if err != nil {
		return false, fmt.Errorf("sqldb: insert job %s: %w", j.Kind, err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&j.ID); err != nil {
			return false, fmt.Errorf("sqldb: insert job %s: %w", j.Kind, err)
		}
		inserted = true
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("sqldb: insert job %s: %w", j.Kind, err)
	}
	return inserted, nil
}

// ClaimJobs marks up to limit due jobs of the given kinds as running until
// now+lease and returns them. Jobs whose lease ran out (their worker died)
// are claimed again. PostgreSQL workers skip rows other workers hold (FOR
// UPDATE SKIP LOCKED); on SQLite the single writer makes the claim atomic.
func (tx *Tx) ClaimJobs(ctx context.Context, kinds []string, now time.Time, lease time.Duration, limit int) ([]*Job, error) {
	if len(kinds) == 0 || limit <= 0 {
		return nil, nil
	}
	args := []any{now.Add(lease), tx.now, now, now}
	in := ""
	for i, k := range kinds {
		if i > 0 {
			in += ", "
		}
		in += "?"
		args = append(args, k)
	}
	args = append(args, limit)
	out, err := list(ctx, tx, scanJob, `UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_until = ?, updated_at = ?
		WHERE id IN (SELECT id FROM jobs
			WHERE ((state = 'available' AND run_at <= ?) OR (state = 'running' AND locked_until < ?)) AND kind IN (`+in+`)
			ORDER BY run_at, id LIMIT ?`+tx.db.dialect.SkipLocked()+`)
		RETURNING `+jobColumns, args...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: claim jobs: %w", err)
	}
	return out, nil
}

// CompleteJob marks a running job completed.
func (tx *Tx) CompleteJob(ctx context.Context, id int64) error {
	_, err := tx.exec(ctx, `UPDATE jobs SET state = 'completed', locked_until = NULL, finished_at = ?, updated_at = ? WHERE id = ? AND state = 'running'`,
		tx.now, tx.now, id)
	if err != nil {
		return fmt.Errorf("sqldb: complete job %d: %w", id, err)
	}
	return nil
}

// RetryJob makes a failed running job available again at runAt.
func (tx *Tx) RetryJob(ctx context.Context, id int64, lastError string, runAt time.Time) error {
	_, err := tx.exec(ctx, `UPDATE jobs SET state = 'available', last_error = ?, run_at = ?, locked_until = NULL, updated_at = ? WHERE id = ? AND state = 'running'`,
		lastError, runAt, tx.now, id)
	if err != nil {
		return fmt.Errorf("sqldb: retry job %d: %w", id, err)
	}
	return nil
}

// DiscardJob gives up on a job.
func (tx *Tx) DiscardJob(ctx context.Context, id int64, lastError string) error {
	_, err := tx.exec(ctx, `UPDATE jobs SET state = 'discarded', last_error = ?, locked_until = NULL, finished_at = ?, updated_at = ? WHERE id = ? AND state IN ('running', 'available')`,
		lastError, tx.now, tx.now, id)
	if err != nil {
		return fmt.Errorf("sqldb: discard job %d: %w", id, err)
	}
	return nil
}

// FindJobByID returns one job.
func (tx *Tx) FindJobByID(ctx context.Context, id int64) (*Job, error) {
	j, err := scanJob(tx.queryRow(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find job %d: %w", id, notFound(err, "任务不存在。"))
	}
	return j, nil
}

// FindJobs lists jobs of a kind (all kinds when ""), newest first.
func (tx *Tx) FindJobs(ctx context.Context, kind string, limit int) ([]*Job, error) {
	q := `SELECT ` + jobColumns + ` FROM jobs`
	var args []any
	if kind != "" {
		q += ` WHERE kind = ?`
		args = append(args, kind)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit)
	out, err := list(ctx, tx, scanJob, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find jobs: %w", err)
	}
	return out, nil
}
