package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Standardization quotas are counted per roster entry (the student, whichever
// WeChat account is bound) per Asia/Shanghai day (xiaoxiang.QuotaDay), so
// unbinding and linking again does not reset the day's count.

// TakeQuota uses one unit of the entry's quota for day if fewer than limit
// are used, atomically: the conditional upsert locks the row (PostgreSQL) or
// runs under the single writer (SQLite), so two concurrent requests cannot
// both take the last unit. It returns the units used after the call and
// whether a unit was taken.
func (tx *Tx) TakeQuota(ctx context.Context, entryID int64, day string, limit int) (used int, ok bool, err error) {
	if limit <= 0 {
		n, err := tx.QuotaUsed(ctx, entryID, day)
		return n, false, err
	}
	err = tx.queryRow(ctx, `INSERT INTO quota_uses (roster_entry_id, day, used) VALUES (?, ?, 1)
		ON CONFLICT (roster_entry_id, day) DO UPDATE SET used = quota_uses.used + 1 WHERE quota_uses.used < ?
		RETURNING used`, entryID, day, limit).Scan(&used)
	if err == nil {
		return used, true, nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		// No row returned: the WHERE refused, the quota is used up.
		n, err := tx.QuotaUsed(ctx, entryID, day)
		return n, false, err
	}
	return 0, false, fmt.Errorf("sqldb: take quota: %w", err)
}

// RefundQuota gives one unit back (when standardization failed).
func (tx *Tx) RefundQuota(ctx context.Context, entryID int64, day string) error {
	_, err := tx.exec(ctx, `UPDATE quota_uses SET used = used - 1 WHERE roster_entry_id = ? AND day = ? AND used > 0`, entryID, day)
	if err != nil {
		return fmt.Errorf("sqldb: refund quota: %w", err)
	}
	return nil
}

// QuotaUsed returns the units used on day.
func (tx *Tx) QuotaUsed(ctx context.Context, entryID int64, day string) (int, error) {
	var n int
	err := tx.queryRow(ctx, `SELECT COALESCE(SUM(used), 0) FROM quota_uses WHERE roster_entry_id = ? AND day = ?`, entryID, day).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("sqldb: quota used: %w", err)
	}
	return n, nil
}
