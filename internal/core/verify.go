package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"xiaoxiang"
	"xiaoxiang/internal/ctid"
	"xiaoxiang/internal/identity"
	"xiaoxiang/internal/queue"
	"xiaoxiang/internal/sqldb"
)

// CTID results stored on a submission besides ctid's outcomes (valid,
// mismatch, no_record, no_photo, face_mismatch).
const (
	CTIDUnavailable = "unavailable" // the channel failed (or none is configured); human review decides
	CTIDSkipped     = "skipped"     // not a mainland resident ID: CTID does not apply
)

// HandleVerifySubmission is the queue handler of JobVerifySubmission. When
// the task requires CTID it verifies name + ID number + the standardized
// photo (mode 0x42) and stores only the outcome, score, serial and time on
// the submission, with a "ctid" submission event. The submission is in the
// review queue already; the result only informs the reviewer and the
// student (身份信息: 有效). A replaced photo makes the job obsolete. The
// same-person check against the roster photo needs a face-comparison model
// the platform does not have yet: it stays 待核验 for the reviewer.
func (s *Service) HandleVerifySubmission(ctx context.Context, j *queue.Job) error {
	var args VerifySubmissionArgs
	if err := j.Decode(&args); err != nil {
		return fmt.Errorf("%w: %v", queue.ErrCancel, err)
	}
	var (
		sub   *sqldb.SubmissionRow
		task  *xiaoxiang.Task
		entry *xiaoxiang.RosterEntry
		att   *sqldb.AttemptRow
	)
	err := s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		if sub, err = tx.FindSubmissionByID(ctx, args.SubmissionID, false); err != nil {
			return err
		}
		if task, err = tx.FindTaskByID(ctx, sub.TaskID); err != nil {
			return err
		}
		if entry, err = tx.FindRosterEntryByID(ctx, sub.RosterEntryID); err != nil {
			return err
		}
		att, err = tx.FindAttemptByID(ctx, args.AttemptID)
		return err
	})
	if xiaoxiang.ErrorCode(err) == xiaoxiang.ENOTFOUND {
		return nil // deleted (the student deleted their data)
	}
	if err != nil {
		return err
	}
	if sub.AttemptID != args.AttemptID || !task.RequireCTID || sub.CTIDResult != "" {
		return nil // obsolete, not required, or already recorded
	}
	res, err := s.verifyCTID(ctx, entry, att)
	switch {
	case errors.Is(err, errNoChannel):
		res = ctid.Result{Outcome: CTIDUnavailable, At: s.now()}
	case errors.Is(err, ctid.ErrInvalidRequest):
		res = ctid.Result{Outcome: CTIDSkipped, At: s.now()}
	case err != nil && j.Attempt < j.MaxAttempts:
		return err // retried with backoff
	case err != nil:
		s.log.Warn("core: ctid verification gave up", slog.Int64("submission_id", sub.ID), slog.String("error", err.Error()))
		res = ctid.Result{Outcome: CTIDUnavailable, At: s.now()}
	}
	return s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		cur, err := tx.FindSubmissionByID(ctx, sub.ID, true)
		if err != nil {
			return err
		}
		if cur.AttemptID != args.AttemptID {
			return nil // replaced while the channel answered
		}
		cur.CTIDResult, cur.CTIDScore, cur.CTIDSerial, cur.CTIDAt = string(res.Outcome), float64(res.Score), res.Serial, res.At
		if cur.CTIDAt.IsZero() {
			cur.CTIDAt = tx.Now()
		}
		if err := tx.UpdateSubmission(ctx, cur); err != nil {
			return err
		}
		return event(ctx, tx, cur, "ctid", cur.Status, cur.Status, 0, string(res.Outcome))
	})
}

var errNoChannel = errors.New("core: no CTID channel configured")

func (s *Service) verifyCTID(ctx context.Context, e *xiaoxiang.RosterEntry, a *sqldb.AttemptRow) (ctid.Result, error) {
	if e.DocKind != string(identity.KindResidentID) || e.DocCipher == "" {
		return ctid.Result{}, fmt.Errorf("%w: roster entry has no mainland resident ID", ctid.ErrInvalidRequest)
	}
	if s.opts.Identity == nil {
		return ctid.Result{}, errNoChannel
	}
	if a.StandardizedKey == "" {
		return ctid.Result{}, fmt.Errorf("%w: no standardized photo", ctid.ErrInvalidRequest)
	}
	number, err := s.OpenDocument(e)
	if err != nil {
		return ctid.Result{}, err
	}
	rc, err := s.bucket.Get(ctx, a.StandardizedKey)
	if err != nil {
		return ctid.Result{}, err
	}
	portrait, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return ctid.Result{}, err
	}
	return s.opts.Identity.Verify(ctx, ctid.ModeNameIDPortrait, ctid.Request{Name: e.Name, IDNumber: number, Portrait: portrait})
}
