package core

import (
	"context"
	"fmt"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/queue"
	"xiaoxiang/internal/sqldb"
)

// JobVerifySubmission is the job kind that runs the automatic identity
// checks (CTID 身份信息核验, 学籍照片 same-person) of a submitted photo. The
// checks are advisory: the submission goes to human review at once and the
// job only records results on it.
const JobVerifySubmission = "submission.verify"

// VerifySubmissionArgs are the args of JobVerifySubmission.
type VerifySubmissionArgs struct {
	SubmissionID int64 `json:"submission_id"`
	AttemptID    int64 `json:"attempt_id"`
}

// Submit submits a standardized attempt for review: the first submission,
// a replacement before review (limit Task.ReplacementsBeforeReview) or a
// free resubmission after a rejection (limit Task.FreeResubmissions).
// Approved photos are locked. Every transition is recorded as a
// submission event (who, when, why). Submitting the attempt that is
// already under review is a no-op.
func (s *Service) Submit(ctx context.Context, accountID, attemptID int64) (*xiaoxiang.Submission, error) {
	var out *xiaoxiang.Submission
	err := s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		a, b, err := ownAttempt(ctx, tx, accountID, attemptID)
		if err != nil {
			return err
		}
		if !a.Standardized() {
			return xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "请先完成照片制作（标准化）后再提交。")
		}
		pc, err := s.photoAllowed(ctx, tx, accountID, b)
		if err != nil {
			return err
		}
		now := tx.Now()
		sub, err := tx.FindSubmissionByEntry(ctx, b.RosterEntryID, true)
		switch {
		case xiaoxiang.ErrorCode(err) == xiaoxiang.ENOTFOUND:
			sub = &sqldb.SubmissionRow{Submission: xiaoxiang.Submission{BindingID: b.ID, AccountID: accountID, TaskID: b.TaskID,
				SchoolID: b.SchoolID, AttemptID: a.ID, Status: xiaoxiang.SubmissionUploaded, SubmittedAt: now}, RosterEntryID: b.RosterEntryID}
			if err := tx.CreateSubmission(ctx, sub); err != nil {
				return err
			}
			if err := event(ctx, tx, sub, "submit", "", xiaoxiang.SubmissionUploaded, accountID, ""); err != nil {
				return err
			}
		case err != nil:
			return err
		case sub.AttemptID == a.ID && sub.Status != xiaoxiang.SubmissionRejected:
			out = &sub.Submission
			return nil
		case sub.Status == xiaoxiang.SubmissionUploaded || sub.Status == xiaoxiang.SubmissionPending:
			if err := sub.CanReplace(pc.task, now); err != nil {
				return err
			}
			from := sub.Status
			sub.ReplacementsUsed++
			resetForNewPhoto(sub, b, a, now)
			if err := event(ctx, tx, sub, "replace", from, xiaoxiang.SubmissionUploaded, accountID,
				fmt.Sprintf("审核前更换照片（第%d次）", sub.ReplacementsUsed)); err != nil {
				return err
			}
		case sub.Status == xiaoxiang.SubmissionRejected:
			if err := sub.CanResubmit(pc.task); err != nil {
				return err
			}
			sub.ResubmissionsUsed++
			resetForNewPhoto(sub, b, a, now)
			if err := event(ctx, tx, sub, "resubmit", xiaoxiang.SubmissionRejected, xiaoxiang.SubmissionUploaded, accountID,
				fmt.Sprintf("未通过后免费重新提交（第%d次）", sub.ResubmissionsUsed)); err != nil {
				return err
			}
		default:
			return xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "照片已通过审核，不能再更换。")
		}
		// Queue for human review at once; automatic checks run beside it.
		sub.Status = xiaoxiang.SubmissionPending
		if err := tx.UpdateSubmission(ctx, sub); err != nil {
			return err
		}
		if err := event(ctx, tx, sub, "queue", xiaoxiang.SubmissionUploaded, xiaoxiang.SubmissionPending, 0, "进入人工审核队列"); err != nil {
			return err
		}
		if pc.task.RequireCTID || pc.task.SamePersonCheck {
			_, _, err := queue.InsertTx(ctx, tx, JobVerifySubmission, VerifySubmissionArgs{SubmissionID: sub.ID, AttemptID: a.ID},
				queue.InsertOpts{UniqueKey: fmt.Sprintf("verify:%d:%d", sub.ID, a.ID), MaxAttempts: 5})
			if err != nil {
				return err
			}
		}
		out = &sub.Submission
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// resetForNewPhoto points sub at attempt a of binding b and clears what
// belonged to the previous photo (review, claim, automatic checks).
func resetForNewPhoto(sub *sqldb.SubmissionRow, b *xiaoxiang.Binding, a *sqldb.AttemptRow, now time.Time) {
	sub.BindingID, sub.AccountID, sub.AttemptID = b.ID, b.AccountID, a.ID
	sub.Status = xiaoxiang.SubmissionUploaded
	sub.SubmittedAt = now
	sub.ReviewerID, sub.ReviewedAt = 0, time.Time{}
	sub.RejectReasons, sub.RejectNote = nil, ""
	sub.ClaimedBy, sub.ClaimExpires = 0, time.Time{}
	sub.CTIDResult, sub.CTIDScore, sub.CTIDSerial, sub.CTIDAt = "", 0, "", time.Time{}
	sub.SamePersonDone, sub.SamePerson = false, false
}

// event records one submission transition by a student (actorID > 0) or the
// system (actorID 0).
func event(ctx context.Context, tx *sqldb.Tx, sub *sqldb.SubmissionRow, action string, from, to xiaoxiang.SubmissionStatus, actorID int64, reason string) error {
	kind := "student"
	if actorID == 0 {
		kind = "system"
	}
	return tx.CreateSubmissionEvent(ctx, &xiaoxiang.SubmissionEvent{SubmissionID: sub.ID, Action: action, From: from, To: to,
		ActorKind: kind, ActorID: actorID, Reason: reason})
}
