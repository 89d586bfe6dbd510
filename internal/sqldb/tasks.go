package sqldb

import (
	"context"
	"fmt"
	"time"

	"xiaoxiang"
)

const taskColumns = `t.id, t.school_id, t.category, t.title, t.grade, t.status, t.opens_at, t.closes_at, t.fee_fen, t.link_mode,
	t.allow_manual_entry, t.allow_album, t.require_ctid, t.same_person_check, t.profile_id,
	t.daily_standardize_limit, t.free_resubmissions, t.replacements_before_review, t.export_key, t.notice, t.created_at, t.updated_at`

func scanTask(r scanner) (*xiaoxiang.Task, error) {
	var t xiaoxiang.Task
	err := r.Scan(&t.ID, &t.SchoolID, &t.Category, &t.Title, &t.Grade, &t.Status, tm(&t.OpensAt), tm(&t.ClosesAt), &t.FeeFen, &t.LinkMode,
		&t.AllowManualEntry, &t.AllowAlbum, &t.RequireCTID, &t.SamePersonCheck, &t.ProfileID,
		&t.DailyStandardizeLimit, &t.FreeResubmissions, &t.ReplacementsBeforeReview, &t.ExportKey, &t.Notice, tm(&t.CreatedAt), tm(&t.UpdatedAt))
	return &t, err
}

// CreateTask validates t (filling defaults) and inserts it.
func (tx *Tx) CreateTask(ctx context.Context, t *xiaoxiang.Task) error {
	if err := t.Validate(); err != nil {
		return err
	}
	t.CreatedAt, t.UpdatedAt = tx.now, tx.now
	err := tx.queryRow(ctx, `INSERT INTO tasks (school_id, category, title, grade, status, opens_at, closes_at, fee_fen, link_mode,
		allow_manual_entry, allow_album, require_ctid, same_person_check, profile_id,
		daily_standardize_limit, free_resubmissions, replacements_before_review, export_key, notice, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		t.SchoolID, t.Category, t.Title, t.Grade, t.Status, t.OpensAt, t.ClosesAt, t.FeeFen, t.LinkMode,
		t.AllowManualEntry, t.AllowAlbum, t.RequireCTID, t.SamePersonCheck, t.ProfileID,
		t.DailyStandardizeLimit, t.FreeResubmissions, t.ReplacementsBeforeReview, t.ExportKey, t.Notice, t.CreatedAt, t.UpdatedAt).Scan(&t.ID)
	if err != nil {
		return fmt.Errorf("sqldb: create task: %w", err)
	}
	return nil
}

// UpdateTask validates t and writes every field.
func (tx *Tx) UpdateTask(ctx context.Context, t *xiaoxiang.Task) error {
	if err := t.Validate(); err != nil {
		return err
	}
	t.UpdatedAt = tx.now
	_, err := tx.exec(ctx, `UPDATE tasks SET category = ?, title = ?, grade = ?, status = ?, opens_at = ?, closes_at = ?, fee_fen = ?, link_mode = ?,
		allow_manual_entry = ?, allow_album = ?, require_ctid = ?, same_person_check = ?, profile_id = ?,
		daily_standardize_limit = ?, free_resubmissions = ?, replacements_before_review = ?, export_key = ?, notice = ?, updated_at = ?
		WHERE id = ?`,
		t.Category, t.Title, t.Grade, t.Status, t.OpensAt, t.ClosesAt, t.FeeFen, t.LinkMode,
		t.AllowManualEntry, t.AllowAlbum, t.RequireCTID, t.SamePersonCheck, t.ProfileID,
		t.DailyStandardizeLimit, t.FreeResubmissions, t.ReplacementsBeforeReview, t.ExportKey, t.Notice, t.UpdatedAt, t.ID)
	if err != nil {
		return fmt.Errorf("sqldb: update task %d: %w", t.ID, err)
	}
	return nil
}

// FindTaskByID returns one task.
func (tx *Tx) FindTaskByID(ctx context.Context, id int64) (*xiaoxiang.Task, error) {
	t, err := scanTask(tx.queryRow(ctx, `SELECT `+taskColumns+` FROM tasks t WHERE t.id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find task %d: %w", id, notFound(err, "采集任务不存在。"))
	}
	return t, nil
}

// FindOpenTasks lists the school's tasks that are open at now, by category
// then closing time.
func (tx *Tx) FindOpenTasks(ctx context.Context, schoolID int64, now time.Time) ([]*xiaoxiang.Task, error) {
	out, err := list(ctx, tx, scanTask, `SELECT `+taskColumns+` FROM tasks t
		WHERE t.school_id = ? AND t.status = 'open' AND t.opens_at <= ? AND t.closes_at > ?
		ORDER BY t.category, t.closes_at, t.id`, schoolID, now, now)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find open tasks of school %d: %w", schoolID, err)
	}
	return out, nil
}

// FindTasksBySchool lists all of a school's tasks, newest first.
func (tx *Tx) FindTasksBySchool(ctx context.Context, schoolID int64) ([]*xiaoxiang.Task, error) {
	out, err := list(ctx, tx, scanTask, `SELECT `+taskColumns+` FROM tasks t WHERE t.school_id = ? ORDER BY t.id DESC`, schoolID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find tasks of school %d: %w", schoolID, err)
	}
	return out, nil
}
