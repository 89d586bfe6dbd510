package core

import (
	"context"

	"xiaoxiang"
	"xiaoxiang/internal/sqldb"
)

// Notification kinds a student can subscribe to (WeChat subscription
// messages; one accepted subscription allows one message).
var subscribeKinds = map[string]bool{"review_result": true, "payment_result": true, "deadline": true, "manual_entry": true}

// Subscribe records one subscription-message credit per kind the student
// accepted in WeChat (e.g. review_result), spent when a message is sent.
func (s *Service) Subscribe(ctx context.Context, accountID int64, kinds []string) error {
	for _, k := range kinds {
		if !subscribeKinds[k] {
			return xiaoxiang.Errorf(xiaoxiang.EINVALID, "未知的通知类型。")
		}
	}
	return s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := liveAccount(ctx, tx, accountID); err != nil {
			return err
		}
		for _, k := range kinds {
			if err := tx.AddSubscriptionCredit(ctx, accountID, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// Notifications lists the account's in-app notifications, newest first
// (limit <= 0 means 50).
func (s *Service) Notifications(ctx context.Context, accountID int64, limit int) ([]*xiaoxiang.Notification, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	var out []*xiaoxiang.Notification
	err := s.db.View(ctx, func(tx *sqldb.Tx) error {
		if _, err := liveAccount(ctx, tx, accountID); err != nil {
			return err
		}
		var err error
		out, err = tx.FindNotifications(ctx, accountID, limit)
		return err
	})
	return out, err
}
