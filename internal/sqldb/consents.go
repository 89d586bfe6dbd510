package sqldb

import (
	"context"
	"fmt"

	"xiaoxiang"
)

// CreateConsent records a consent; recording the same (kind, version) again
// keeps the first record.
func (tx *Tx) CreateConsent(ctx context.Context, c *xiaoxiang.Consent) error {
	c.CreatedAt = tx.now
	_, err := tx.exec(ctx, `INSERT INTO consents (account_id, kind, version, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (account_id, kind, version) DO NOTHING`, c.AccountID, c.Kind, c.Version, c.CreatedAt)
	if err != nil {
		return fmt.Errorf("sqldb: create consent: %w", err)
	}
	return nil
}

// FindConsents lists the account's consents, oldest first.
func (tx *Tx) FindConsents(ctx context.Context, accountID int64) ([]*xiaoxiang.Consent, error) {
	out, err := list(ctx, tx, func(r scanner) (*xiaoxiang.Consent, error) {
		var c xiaoxiang.Consent
		err := r.Scan(&c.ID, &c.AccountID, &c.Kind, &c.Version, tm(&c.CreatedAt))
		return &c, err
	}, `SELECT id, account_id, kind, version, created_at FROM consents WHERE account_id = ? ORDER BY id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find consents of account %d: %w", accountID, err)
	}
	return out, nil
}
