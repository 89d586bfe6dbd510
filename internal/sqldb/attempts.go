package sqldb

import (
	"context"
	"fmt"
	"time"

	"xiaoxiang"
)

// AttemptRow is an attempt with the roster entry it belongs to.
type AttemptRow struct {
	xiaoxiang.Attempt
	RosterEntryID int64
}

const attemptColumns = `a.id, a.binding_id, a.roster_entry_id, a.account_id, a.task_id, a.original_key, a.width, a.height, a.source,
	a.report_json, a.verdict, a.standardized_key, a.standardized_at, a.result_json, a.sha256, a.created_at`

func scanAttempt(r scanner) (*AttemptRow, error) {
	var a AttemptRow
	err := r.Scan(&a.ID, &a.BindingID, &a.RosterEntryID, &a.AccountID, &a.TaskID, &a.OriginalKey, &a.Width, &a.Height, &a.Source,
		&a.ReportJSON, &a.Verdict, &a.StandardizedKey, tm(&a.StandardizedAt), &a.ResultJSON, &a.SHA256, tm(&a.CreatedAt))
	return &a, err
}

// CreateAttempt inserts a.
func (tx *Tx) CreateAttempt(ctx context.Context, a *AttemptRow) error {
	a.CreatedAt = tx.now
	err := tx.queryRow(ctx, `INSERT INTO attempts (binding_id, roster_entry_id, account_id, task_id, original_key, width, height, source,
		report_json, verdict, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		a.BindingID, a.RosterEntryID, a.AccountID, a.TaskID, a.OriginalKey, a.Width, a.Height, a.Source,
		a.ReportJSON, a.Verdict, a.CreatedAt).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("sqldb: create attempt: %w", err)
	}
	return nil
}

// FindAttemptByID returns one attempt.
func (tx *Tx) FindAttemptByID(ctx context.Context, id int64) (*AttemptRow, error) {
	a, err := scanAttempt(tx.queryRow(ctx, `SELECT `+attemptColumns+` FROM attempts a WHERE a.id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find attempt %d: %w", id, notFound(err, "照片不存在。"))
	}
	return a, nil
}

// FindAttemptsByAccount lists the account's attempts, newest first.
func (tx *Tx) FindAttemptsByAccount(ctx context.Context, accountID int64) ([]*AttemptRow, error) {
	out, err := list(ctx, tx, scanAttempt, `SELECT `+attemptColumns+` FROM attempts a WHERE a.account_id = ? ORDER BY a.id DESC`, accountID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find attempts of account %d: %w", accountID, err)
	}
	return out, nil
}

// FindAttemptsByBinding lists the binding's attempts, newest first.
func (tx *Tx) FindAttemptsByBinding(ctx context.Context, bindingID int64) ([]*AttemptRow, error) {
	out, err := list(ctx, tx, scanAttempt, `SELECT `+attemptColumns+` FROM attempts a WHERE a.binding_id = ? ORDER BY a.id DESC`, bindingID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find attempts of binding %d: %w", bindingID, err)
	}
	return out, nil
}

// SetAttemptStandardized records the standardized photo of an attempt that
// has none yet; it reports whether the row changed.
func (tx *Tx) SetAttemptStandardized(ctx context.Context, a *AttemptRow) (bool, error) {
	a.StandardizedAt = tx.now
	res, err := tx.exec(ctx, `UPDATE attempts SET standardized_key = ?, standardized_at = ?, result_json = ?, sha256 = ?, standardizing_until = NULL
		WHERE id = ? AND standardized_key = ''`, a.StandardizedKey, a.StandardizedAt, a.ResultJSON, a.SHA256, a.ID)
	if err != nil {
		return false, fmt.Errorf("sqldb: set attempt %d standardized: %w", a.ID, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// PurgeAttempt forgets the attempt's photos (after their blobs are deleted):
// keys, report and result are cleared, the row stays for history.
func (tx *Tx) PurgeAttempt(ctx context.Context, id int64) error {
	_, err := tx.exec(ctx, `UPDATE attempts SET original_key = '', standardized_key = '', report_json = '', result_json = '', purged_at = ? WHERE id = ?`, tx.now, id)
	if err != nil {
		return fmt.Errorf("sqldb: purge attempt %d: %w", id, err)
	}
	return nil
}

// PurgeAttemptOriginal forgets only the raw original of an attempt (its
// approved standardized photo stays).
func (tx *Tx) PurgeAttemptOriginal(ctx context.Context, id int64) error {
	if _, err := tx.exec(ctx, `UPDATE attempts SET original_key = '' WHERE id = ?`, id); err != nil {
		return fmt.Errorf("sqldb: purge original of attempt %d: %w", id, err)
	}
	return nil
}

// ClaimAttemptStandardize marks a not yet standardized attempt as being
// standardized until until; it reports false when another request holds an
// unexpired claim (or the attempt is already standardized).
func (tx *Tx) ClaimAttemptStandardize(ctx context.Context, id int64, until time.Time) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE attempts SET standardizing_until = ?
		WHERE id = ? AND standardized_key = '' AND (standardizing_until IS NULL OR standardizing_until < ?)`, until, id, tx.now)
	if err != nil {
		return false, fmt.Errorf("sqldb: claim attempt %d: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ReleaseAttemptStandardize drops the claim of a failed standardization.
func (tx *Tx) ReleaseAttemptStandardize(ctx context.Context, id int64) error {
	if _, err := tx.exec(ctx, `UPDATE attempts SET standardizing_until = NULL WHERE id = ?`, id); err != nil {
		return fmt.Errorf("sqldb: release attempt %d: %w", id, err)
	}
	return nil
}

// RetentionCandidate is an attempt that still holds photos, with the state of
// its roster entry's submission.
type RetentionCandidate struct {
	ID              int64
	OriginalKey     string
	StandardizedKey string
	// SubmissionStatus is the status of the roster entry's submission ("" if none).
	SubmissionStatus string
	// Current is true when the attempt is the photo of that submission.
	Current bool
}

// FindRetentionCandidates lists up to limit attempts with id > afterID,
// created before before, that still hold a photo, by id.
func (tx *Tx) FindRetentionCandidates(ctx context.Context, before time.Time, afterID int64, limit int) ([]RetentionCandidate, error) {
	out, err := list(ctx, tx, func(r scanner) (RetentionCandidate, error) {
		var c RetentionCandidate
		var current int64
		err := r.Scan(&c.ID, &c.OriginalKey, &c.StandardizedKey, &c.SubmissionStatus, &current)
		c.Current = current == 1
		return c, err
	}, `SELECT a.id, a.original_key, a.standardized_key, COALESCE(s.status, ''), CASE WHEN s.attempt_id = a.id THEN 1 ELSE 0 END
		FROM attempts a LEFT JOIN submissions s ON s.roster_entry_id = a.roster_entry_id
		WHERE a.id > ? AND a.created_at < ? AND (a.original_key <> '' OR a.standardized_key <> '')
		ORDER BY a.id LIMIT ?`, afterID, before, limit)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find retention candidates: %w", err)
	}
	return out, nil
}
