package core

import (
	"context"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/queue"
	"xiaoxiang/internal/sqldb"
)

// PurgeRawUploads applies the photo retention rule (PIPL: keep face images
// no longer than needed) to attempts created before before:
//
//   - retakes that are not the photo of the student's submission lose both
//     their original and their standardized photo;
//   - the photo of an approved or delivered submission loses its raw
//     original; its standardized photo (the school's record) stays;
//   - the photo of a submission still uploaded, pending or rejected is kept
//     whole until it is reviewed.
//
// Keys are forgotten in the database and their deletion is queued
// (JobDeleteBlob) in the same transaction, then tried at once. It returns
// how many blobs were deleted. Run it from a periodic job (e.g. daily with
// before = now − 30 days).
func (s *Service) PurgeRawUploads(ctx context.Context, before time.Time) (int, error) {
	const batch = 200
	total := 0
	var after int64
	for {
		var keys []string
		var last int64
		var n int
		err := s.db.InTx(ctx, func(tx *sqldb.Tx) error {
			cs, err := tx.FindRetentionCandidates(ctx, before, after, batch)
			if err != nil {
				return err
			}
			n = len(cs)
			for _, c := range cs {
				last = c.ID
				reviewed := c.SubmissionStatus == string(xiaoxiang.SubmissionApproved) || c.SubmissionStatus == string(xiaoxiang.SubmissionDelivered)
				switch {
				case !c.Current:
					for _, k := range []string{c.OriginalKey, c.StandardizedKey} {
						if k != "" {
							keys = append(keys, k)
						}
					}
					if err := tx.PurgeAttempt(ctx, c.ID); err != nil {
						return err
					}
				case reviewed && c.OriginalKey != "":
					keys = append(keys, c.OriginalKey)
					if err := tx.PurgeAttemptOriginal(ctx, c.ID); err != nil {
						return err
					}
				}
			}
			for _, k := range keys {
				if _, _, err := queue.InsertTx(ctx, tx, JobDeleteBlob, DeleteBlobArgs{Key: k}, queue.InsertOpts{UniqueKey: "blob.delete:" + k}); err != nil {
					return err
				}
			}
			if len(keys) > 0 {
				return tx.CreateAuditEntry(ctx, &xiaoxiang.AuditEntry{ActorKind: "system", Action: "purge_raw_uploads", Count: len(keys)})
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		for _, k := range keys {
			s.deleteBlob(ctx, k)
		}
		total += len(keys)
		if n < batch {
			return total, nil
		}
		after = last
	}
}
