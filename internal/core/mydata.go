package core

// What "delete my data" keeps, and why (PIPL art. 47 allows keeping what
// another law requires; the school is the personal-information handler of
// its student records):
//
//   - The account row stays as an anonymous stub (openid, unionid and
//     nickname cleared, deleted_at set) so orders, audit entries and
//     consents keep their foreign keys; the WeChat identity is gone, so a
//     later login creates a new, empty account.
//   - Every active binding is unbound (a pending manual entry is withdrawn),
//     so another account can link the roster entry.
//   - Photos not approved are deleted: originals and standardized photos of
//     every attempt, and submissions still uploaded, pending or rejected
//     (with their history).
//   - An approved or delivered submission stays with the roster entry: it is
//     the school's record of the student (学籍电子图像) and may already be
//     delivered. Only its standardized photo is kept; the raw original of
//     that attempt is deleted.
//   - Paid orders stay for accounting (会计档案), with the payer openid
//     cleared. Consent records stay as proof of lawful processing.
//   - In-app notifications and subscription credits are deleted.
//   - The roster entry (name, sealed document number) belongs to the school's
//     list and is not touched.
//
// Blob deletions are queued (JobDeleteBlob) in the same transaction that
// forgets the keys and then tried at once, so a crash or a storage error
// never leaves a photo behind for good.

import (
	"context"
	"errors"
	"fmt"

	"xiaoxiang"
	"xiaoxiang/internal/blob"
	"xiaoxiang/internal/queue"
	"xiaoxiang/internal/sqldb"
)

// JobDeleteBlob is the job kind that deletes one blob (idempotent).
const JobDeleteBlob = "blob.delete"

// DeleteBlobArgs are the args of JobDeleteBlob.
type DeleteBlobArgs struct {
	Key string `json:"key"`
}

// HandleDeleteBlob is the queue handler of JobDeleteBlob.
func (s *Service) HandleDeleteBlob(ctx context.Context, j *queue.Job) error {
	var args DeleteBlobArgs
	if err := j.Decode(&args); err != nil {
		return fmt.Errorf("%w: %v", queue.ErrCancel, err)
	}
	if err := s.bucket.Delete(ctx, args.Key); err != nil && !errors.Is(err, blob.ErrNotFound) {
		return err
	}
	return nil
}

// MyData is everything the platform holds about the account, for the
// student's "我的数据" page (document numbers only as last 4).
type MyData struct {
	Account     *xiaoxiang.Account
	Consents    []*xiaoxiang.Consent
	Tasks       []MyTask
	Orders      []*xiaoxiang.Order
	Attempts    []*xiaoxiang.Attempt
	Submissions []*xiaoxiang.Submission
	// Events is the history of each submission, by submission ID.
	Events map[int64][]*xiaoxiang.SubmissionEvent
}

// MyData returns the account's data.
func (s *Service) MyData(ctx context.Context, accountID int64) (*MyData, error) {
	d := &MyData{Events: map[int64][]*xiaoxiang.SubmissionEvent{}}
	err := s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		if d.Account, err = liveAccount(ctx, tx, accountID); err != nil {
			return err
		}
		if d.Consents, err = tx.FindConsents(ctx, accountID); err != nil {
			return err
		}
		if d.Tasks, err = myTasks(ctx, tx, accountID); err != nil {
			return err
		}
		os, err := tx.FindOrdersByAccount(ctx, accountID)
		if err != nil {
			return err
		}
		for _, o := range os {
			d.Orders = append(d.Orders, &o.Order)
		}
		as, err := tx.FindAttemptsByAccount(ctx, accountID)
		if err != nil {
			return err
		}
		for _, a := range as {
			d.Attempts = append(d.Attempts, &a.Attempt)
		}
		subs, err := tx.FindSubmissionsByAccount(ctx, accountID)
		if err != nil {
			return err
		}
		for _, sub := range subs {
			d.Submissions = append(d.Submissions, &sub.Submission)
			if d.Events[sub.ID], err = tx.FindSubmissionEvents(ctx, sub.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// DeleteMyData anonymises the account, unbinds it and deletes its photos
// that were not approved (see the top of this file for what is kept). The
// account cannot be used afterwards.
func (s *Service) DeleteMyData(ctx context.Context, accountID int64) error {
	var keys []string
	err := s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := liveAccount(ctx, tx, accountID); err != nil {
			return err
		}
		bs, err := tx.FindBindingsByAccount(ctx, accountID)
		if err != nil {
			return err
		}
		for _, b := range bs {
			if b.Active() {
				if err := unbind(ctx, tx, b); err != nil {
					return err
				}
			}
		}
		// Submissions: keep approved/delivered ones, delete the rest.
		keep := map[int64]bool{} // attempt IDs whose standardized photo stays
		subs, err := tx.FindSubmissionsByAccount(ctx, accountID)
		if err != nil {
			return err
		}
		for _, sub := range subs {
			if sub.Status == xiaoxiang.SubmissionApproved || sub.Status == xiaoxiang.SubmissionDelivered {
				keep[sub.AttemptID] = true
				continue
			}
			if err := tx.DeleteSubmission(ctx, sub.ID); err != nil {
				return err
			}
		}
		as, err := tx.FindAttemptsByAccount(ctx, accountID)
		if err != nil {
			return err
		}
		for _, a := range as {
			if keep[a.ID] {
				if a.OriginalKey != "" {
					keys = append(keys, a.OriginalKey)
					if err := tx.PurgeAttemptOriginal(ctx, a.ID); err != nil {
						return err
					}
				}
				continue
			}
			if a.OriginalKey == "" && a.StandardizedKey == "" {
				continue
			}
			for _, k := range []string{a.OriginalKey, a.StandardizedKey} {
				if k != "" {
					keys = append(keys, k)
				}
			}
			if err := tx.PurgeAttempt(ctx, a.ID); err != nil {
				return err
			}
		}
		for _, k := range keys {
			if _, _, err := queue.InsertTx(ctx, tx, JobDeleteBlob, DeleteBlobArgs{Key: k}, queue.InsertOpts{UniqueKey: "blob.delete:" + k}); err != nil {
				return err
			}
		}
		if err := tx.DeleteAccountMessages(ctx, accountID); err != nil {
			return err
		}
		if err := tx.ClearOrderPayer(ctx, accountID); err != nil {
			return err
		}
		if err := tx.AnonymizeAccount(ctx, accountID); err != nil {
			return err
		}
		return audit(ctx, tx, accountID, "delete_my_data", fmt.Sprintf("account:%d", accountID), 0, len(keys))
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		s.deleteBlob(ctx, k) // the queued job retries any failure
	}
	return nil
}
