package sqldb

import (
	"context"
	"fmt"

	"xiaoxiang"
)

// CreateNotification appends an in-app notification.
func (tx *Tx) CreateNotification(ctx context.Context, n *xiaoxiang.Notification) error {
	n.CreatedAt = tx.now
	err := tx.queryRow(ctx, `INSERT INTO notifications (account_id, kind, title, body, link, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		n.AccountID, n.Kind, n.Title, n.Body, n.Link, n.CreatedAt).Scan(&n.ID)
	if err != nil {
		return fmt.Errorf("sqldb: create notification: %w", err)
	}
	return nil
}

// FindNotifications lists the account's notifications, newest first.
func (tx *Tx) FindNotifications(ctx context.Context, accountID int64, limit int) ([]*xiaoxiang.Notification, error) {
	out, err := list(ctx, tx, func(r scanner) (*xiaoxiang.Notification, error) {
		var n xiaoxiang.Notification
		err := r.Scan(&n.ID, &n.AccountID, &n.Kind, &n.Title, &n.Body, &n.Link, tm(&n.CreatedAt), tm(&n.ReadAt))
		return &n, err
	}, `SELECT id, account_id, kind, title, body, link, created_at, read_at FROM notifications WHERE account_id = ? ORDER BY id DESC LIMIT ?`, accountID, limit)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find notifications of account %d: %w", accountID, err)
	}
	return out, nil
}

// MarkNotificationsRead marks all of the account's notifications read.
func (tx *Tx) MarkNotificationsRead(ctx context.Context, accountID int64) error {
	if _, err := tx.exec(ctx, `UPDATE notifications SET read_at = ? WHERE account_id = ? AND read_at IS NULL`, tx.now, accountID); err != nil {
		return fmt.Errorf("sqldb: mark notifications read: %w", err)
	}
	return nil
}

// AddSubscriptionCredit adds one WeChat subscription-message credit of kind
// (each accepted subscription allows one message).
func (tx *Tx) AddSubscriptionCredit(ctx context.Context, accountID int64, kind string) error {
	_, err := tx.exec(ctx, `INSERT INTO subscription_credits (account_id, kind, credits, updated_at) VALUES (?, ?, 1, ?)
		ON CONFLICT (account_id, kind) DO UPDATE SET credits = subscription_credits.credits + 1, updated_at = excluded.updated_at`,
		accountID, kind, tx.now)
	if err != nil {
		return fmt.Errorf("sqldb: add subscription credit: %w", err)
	}
	return nil
}

// TakeSubscriptionCredit spends one credit of kind; it reports false when none is left.
func (tx *Tx) TakeSubscriptionCredit(ctx context.Context, accountID int64, kind string) (bool, error) {
	res, err := tx.exec(ctx, `UPDATE subscription_credits SET credits = credits - 1, updated_at = ? WHERE account_id = ? AND kind = ? AND credits > 0`,
		tx.now, accountID, kind)
	if err != nil {
		return false, fmt.Errorf("sqldb: take subscription credit: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// SubscriptionCredits returns the account's credits by kind.
func (tx *Tx) SubscriptionCredits(ctx context.Context, accountID int64) (map[string]int, error) {
	rows, err := tx.query(ctx, `SELECT kind, credits FROM subscription_credits WHERE account_id = ?`, accountID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: subscription credits: %w", err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var k string
		var n int
		if err := rows.Scan(&k, &n); err != nil {
			return nil, fmt.Errorf("sqldb: subscription credits: %w", err)
		}
		out[k] = n
	}
	return out, rows.Err()
}

// DeleteAccountMessages removes the account's notifications and
// subscription credits.
func (tx *Tx) DeleteAccountMessages(ctx context.Context, accountID int64) error {
	if _, err := tx.exec(ctx, `DELETE FROM notifications WHERE account_id = ?`, accountID); err != nil {
		return fmt.Errorf("sqldb: delete notifications of account %d: %w", accountID, err)
	}
	if _, err := tx.exec(ctx, `DELETE FROM subscription_credits WHERE account_id = ?`, accountID); err != nil {
		return fmt.Errorf("sqldb: delete subscription credits of account %d: %w", accountID, err)
	}
	return nil
}
