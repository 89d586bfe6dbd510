package sqldb

import (
	"context"
	"fmt"

	"xiaoxiang"
)

const accountColumns = `a.id, a.openid, a.unionid, a.nickname, a.created_at, a.deleted_at`

func scanAccount(r scanner) (*xiaoxiang.Account, error) {
	var a xiaoxiang.Account
	err := r.Scan(&a.ID, nstr{&a.OpenID}, nstr{&a.UnionID}, &a.Nickname, tm(&a.CreatedAt), tm(&a.DeletedAt))
	return &a, err
}

// CreateAccount inserts a.
func (tx *Tx) CreateAccount(ctx context.Context, a *xiaoxiang.Account) error {
	a.CreatedAt = tx.now
	err := tx.queryRow(ctx, `INSERT INTO accounts (openid, unionid, nickname, created_at) VALUES (?, ?, ?, ?) RETURNING id`,
		nullString(a.OpenID), nullString(a.UnionID), a.Nickname, a.CreatedAt).Scan(&a.ID)
	if err != nil {
		return fmt.Errorf("sqldb: create account: %w", err)
	}
	return nil
}

// FindAccountByID returns one account (also a deleted one; callers check DeletedAt).
func (tx *Tx) FindAccountByID(ctx context.Context, id int64) (*xiaoxiang.Account, error) {
	a, err := scanAccount(tx.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts a WHERE a.id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find account %d: %w", id, notFound(err, "账号不存在。"))
	}
	return a, nil
}

// FindAccountByOpenID returns the account with the openid.
func (tx *Tx) FindAccountByOpenID(ctx context.Context, openID string) (*xiaoxiang.Account, error) {
	a, err := scanAccount(tx.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts a WHERE a.openid = ?`, openID))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find account by openid: %w", notFound(err, "账号不存在。"))
	}
	return a, nil
}

// FindAccountByUnionID returns the oldest live account with the unionid.
func (tx *Tx) FindAccountByUnionID(ctx context.Context, unionID string) (*xiaoxiang.Account, error) {
	a, err := scanAccount(tx.queryRow(ctx, `SELECT `+accountColumns+` FROM accounts a
		WHERE a.unionid = ? AND a.deleted_at IS NULL ORDER BY a.id LIMIT 1`, unionID))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find account by unionid: %w", notFound(err, "账号不存在。"))
	}
	return a, nil
}

// UpdateAccountIdentity sets the account's openid, unionid and nickname.
func (tx *Tx) UpdateAccountIdentity(ctx context.Context, a *xiaoxiang.Account) error {
	_, err := tx.exec(ctx, `UPDATE accounts SET openid = ?, unionid = ?, nickname = ? WHERE id = ?`,
		nullString(a.OpenID), nullString(a.UnionID), a.Nickname, a.ID)
	if err != nil {
		return fmt.Errorf("sqldb: update account %d: %w", a.ID, err)
	}
	return nil
}

// AnonymizeAccount clears the account's WeChat identifiers and nickname and
// marks it deleted; the row stays so history keeps its foreign keys.
func (tx *Tx) AnonymizeAccount(ctx context.Context, id int64) error {
	_, err := tx.exec(ctx, `UPDATE accounts SET openid = NULL, unionid = NULL, nickname = '', deleted_at = ? WHERE id = ?`, tx.now, id)
	if err != nil {
		return fmt.Errorf("sqldb: anonymize account %d: %w", id, err)
	}
	return nil
}
