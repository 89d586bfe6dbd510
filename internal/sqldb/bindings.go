package sqldb

import (
	"context"
	"fmt"

	"xiaoxiang"
)

const bindingColumns = `b.id, b.account_id, b.roster_entry_id, b.task_id, b.school_id, b.status, b.created_at, b.unbound_at`

func scanBinding(r scanner) (*xiaoxiang.Binding, error) {
	var b xiaoxiang.Binding
	err := r.Scan(&b.ID, &b.AccountID, &b.RosterEntryID, &b.TaskID, &b.SchoolID, &b.Status, tm(&b.CreatedAt), tm(&b.UnboundAt))
	return &b, err
}

// CreateBinding inserts b. The partial unique indexes refuse a second
// active binding of the roster entry (or of the account in the task): the
// error then is ECONFLICT.
func (tx *Tx) CreateBinding(ctx context.Context, b *xiaoxiang.Binding) error {
	b.CreatedAt = tx.now
	err := tx.queryRow(ctx, `INSERT INTO bindings (account_id, roster_entry_id, task_id, school_id, status, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, b.AccountID, b.RosterEntryID, b.TaskID, b.SchoolID, b.Status, b.CreatedAt).Scan(&b.ID)
	if err != nil {
		if isUniqueViolation(err) {
			return xiaoxiang.WrapError(xiaoxiang.ECONFLICT, "该学生信息已被其他微信账号关联。", err)
		}
		return fmt.Errorf("sqldb: create binding: %w", err)
	}
	return nil
}

// FindBindingByID returns one binding.
func (tx *Tx) FindBindingByID(ctx context.Context, id int64) (*xiaoxiang.Binding, error) {
	b, err := scanBinding(tx.queryRow(ctx, `SELECT `+bindingColumns+` FROM bindings b WHERE b.id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find binding %d: %w", id, notFound(err, "关联记录不存在。"))
	}
	return b, nil
}

// FindBindingByIDForUpdate returns one binding, locking its row.
func (tx *Tx) FindBindingByIDForUpdate(ctx context.Context, id int64) (*xiaoxiang.Binding, error) {
	b, err := scanBinding(tx.queryRow(ctx, `SELECT `+bindingColumns+` FROM bindings b WHERE b.id = ?`+tx.db.dialect.ForUpdate(), id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find binding %d: %w", id, notFound(err, "关联记录不存在。"))
	}
	return b, nil
}

// FindBindingsByAccount lists the account's bindings: active first, newest first.
func (tx *Tx) FindBindingsByAccount(ctx context.Context, accountID int64) ([]*xiaoxiang.Binding, error) {
	out, err := list(ctx, tx, scanBinding, `SELECT `+bindingColumns+` FROM bindings b WHERE b.account_id = ?
		ORDER BY CASE WHEN b.status IN ('pending', 'linked') THEN 0 ELSE 1 END, b.id DESC`, accountID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find bindings of account %d: %w", accountID, err)
	}
	return out, nil
}

// FindActiveBindingByEntry returns the roster entry's active binding.
func (tx *Tx) FindActiveBindingByEntry(ctx context.Context, entryID int64) (*xiaoxiang.Binding, error) {
	b, err := scanBinding(tx.queryRow(ctx, `SELECT `+bindingColumns+` FROM bindings b
		WHERE b.roster_entry_id = ? AND b.status IN ('pending', 'linked')`, entryID))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find active binding of roster entry %d: %w", entryID, notFound(err, "关联记录不存在。"))
	}
	return b, nil
}

// FindActiveBindingByAccountTask returns the account's active binding in the task.
func (tx *Tx) FindActiveBindingByAccountTask(ctx context.Context, accountID, taskID int64) (*xiaoxiang.Binding, error) {
	b, err := scanBinding(tx.queryRow(ctx, `SELECT `+bindingColumns+` FROM bindings b
		WHERE b.account_id = ? AND b.task_id = ? AND b.status IN ('pending', 'linked')`, accountID, taskID))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find active binding of account %d in task %d: %w", accountID, taskID, notFound(err, "关联记录不存在。"))
	}
	return b, nil
}

// SetBindingStatus moves a binding to status (stamping unbound_at when
// unbinding) if it is currently in from. It reports whether a row changed.
func (tx *Tx) SetBindingStatus(ctx context.Context, id int64, from, to xiaoxiang.BindingStatus) (bool, error) {
	var unbound any
	if to == xiaoxiang.BindingUnbound || to == xiaoxiang.BindingRejected {
		unbound = tx.now
	}
	res, err := tx.exec(ctx, `UPDATE bindings SET status = ?, unbound_at = COALESCE(?, unbound_at) WHERE id = ? AND status = ?`,
		to, unbound, id, from)
	if err != nil {
		if isUniqueViolation(err) {
			return false, xiaoxiang.WrapError(xiaoxiang.ECONFLICT, "该学生信息已被其他微信账号关联。", err)
		}
		return false, fmt.Errorf("sqldb: set binding %d status: %w", id, err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// CountLinkFailures returns the account's failed roster lookups on day.
func (tx *Tx) CountLinkFailures(ctx context.Context, accountID int64, day string) (int, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COALESCE(SUM(failures), 0) FROM link_failures WHERE account_id = ? AND day = ?`, accountID, day).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqldb: count link failures: %w", err)
	}
	return n, nil
}

// AddLinkFailure counts one failed roster lookup and returns the day's total.
func (tx *Tx) AddLinkFailure(ctx context.Context, accountID int64, day string) (int, error) {
	var n int
	err := tx.queryRow(ctx, `INSERT INTO link_failures (account_id, day, failures) VALUES (?, ?, 1)
		ON CONFLICT (account_id, day) DO UPDATE SET failures = link_failures.failures + 1 RETURNING failures`, accountID, day).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqldb: add link failure: %w", err)
	}
	return n, nil
}
