package core

import (
	"context"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/sqldb"
)

// Step is one stage of the progress bar 已上传 → 待审核 → 已完成 → 已交付.
type Step struct {
	Label   string
	Done    bool
	Current bool
}

// StatusView is the step-12 page.
type StatusView struct {
	Binding    *xiaoxiang.Binding
	Task       *xiaoxiang.Task
	SchoolName string
	Category   string // label, e.g. 成人教育
	Name       string
	StudentNo  string
	DocLast4   string // 证件号(后4位)
	Grade      string // 年级/届
	TaskTitle  string
	Paid       bool
	Order      *xiaoxiang.Order // the paid order, else the latest one; nil if none
	Submission *xiaoxiang.Submission
	// Attempt is the photo under review (or the latest attempt before the
	// first submission); nil if none.
	Attempt        *xiaoxiang.Attempt
	Steps          []Step
	ShowSamePerson bool   // task has the same-person check
	SamePerson     string // 同一人 / 非同一人 / 待核验
	ShowIdentity   bool   // task requires CTID
	IdentityResult string // 有效 / 无效 / 待核验 / 暂不可用 / 不适用
	RejectReasons  []xiaoxiang.RejectReason
	RejectNote     string
	CanReplace     bool
	CanResubmit    bool
	// ReplacementsLeft and ResubmissionsLeft count what the rules still allow.
	ReplacementsLeft  int
	ResubmissionsLeft int
	Quota             xiaoxiang.Quota
	// Next is the student's next step: pay, shoot, submit, wait, done,
	// support (free resubmissions used up), manual_pending,
	// manual_rejected, unbound, closed.
	Next string
}

// Status returns the status page of one of the account's bindings.
func (s *Service) Status(ctx context.Context, accountID, bindingID int64) (*StatusView, error) {
	now := s.now()
	v := &StatusView{}
	err := s.db.View(ctx, func(tx *sqldb.Tx) error {
		b, err := ownBinding(ctx, tx, accountID, bindingID)
		if err != nil {
			return err
		}
		v.Binding = b
		t, err := tx.FindTaskByID(ctx, b.TaskID)
		if err != nil {
			return err
		}
		v.Task, v.TaskTitle, v.Category = t, t.Title, t.Category.Label()
		school, err := tx.FindSchoolByID(ctx, b.SchoolID)
		if err != nil {
			return err
		}
		v.SchoolName = school.Name
		e, err := tx.FindRosterEntryByID(ctx, b.RosterEntryID)
		if err != nil {
			return err
		}
		v.Name, v.StudentNo, v.DocLast4, v.Grade = e.Name, e.StudentNo, e.DocLast4, e.Grade
		if v.Grade == "" {
			v.Grade = t.Grade
		}
		paid, po, err := isPaid(ctx, tx, t, e.ID)
		if err != nil {
			return err
		}
		v.Paid = paid
		if po != nil {
			v.Order = &po.Order
		} else if os, err := tx.FindOrdersByBinding(ctx, b.ID); err != nil {
			return err
		} else if len(os) > 0 {
			v.Order = &os[0].Order
		}
		sub, err := tx.FindSubmissionByEntry(ctx, e.ID, false)
		switch {
		case err == nil:
			v.Submission = &sub.Submission
			if a, err := tx.FindAttemptByID(ctx, sub.AttemptID); err == nil {
				v.Attempt = &a.Attempt
			} else {
				return err
			}
		case xiaoxiang.ErrorCode(err) != xiaoxiang.ENOTFOUND:
			return err
		default:
			as, err := tx.FindAttemptsByBinding(ctx, b.ID)
			if err != nil {
				return err
			}
			if len(as) > 0 {
				v.Attempt = &as[0].Attempt
			}
		}
		if v.Quota, err = quota(ctx, tx, t, e.ID, now); err != nil {
			return err
		}
		if sub != nil && sub.Status == xiaoxiang.SubmissionRejected {
			catalogue, err := tx.FindRejectReasons(ctx)
			if err != nil {
				return err
			}
			v.RejectReasons = reasons(catalogue, sub.RejectReasons)
			v.RejectNote = sub.RejectNote
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	t, sub := v.Task, v.Submission
	v.Steps = steps(sub)
	v.ShowSamePerson, v.ShowIdentity = t.SamePersonCheck, t.RequireCTID
	if sub != nil {
		v.SamePerson = samePersonLabel(sub)
		v.IdentityResult = ctidLabel(sub.CTIDResult)
		v.ReplacementsLeft = max(0, t.ReplacementsBeforeReview-sub.ReplacementsUsed)
		v.ResubmissionsLeft = max(0, t.FreeResubmissions-sub.ResubmissionsUsed)
		v.CanReplace = (sub.Status == xiaoxiang.SubmissionUploaded || sub.Status == xiaoxiang.SubmissionPending) && sub.CanReplace(t, now) == nil
		v.CanResubmit = sub.CanResubmit(t) == nil
	} else {
		v.SamePerson, v.IdentityResult = "待核验", "待核验"
		v.ReplacementsLeft, v.ResubmissionsLeft = t.ReplacementsBeforeReview, t.FreeResubmissions
	}
	v.Next = nextStep(v, now)
	return v, nil
}

func steps(sub *xiaoxiang.Submission) []Step {
	st := []Step{{Label: "已上传"}, {Label: "待审核"}, {Label: "已完成"}, {Label: "已交付"}}
	if sub == nil {
		return st
	}
	cur := 0
	switch sub.Status {
	case xiaoxiang.SubmissionUploaded:
		cur = 0
	case xiaoxiang.SubmissionPending:
		cur = 1
	case xiaoxiang.SubmissionApproved:
		cur = 2
	case xiaoxiang.SubmissionRejected:
		cur = 2
		st[2].Label = "未通过"
	case xiaoxiang.SubmissionDelivered:
		cur = 3
	}
	for i := range st {
		st[i].Done = i < cur || (i == cur && (sub.Status == xiaoxiang.SubmissionApproved || sub.Status == xiaoxiang.SubmissionDelivered || i == 0))
		st[i].Current = i == cur
	}
	return st
}

func samePersonLabel(sub *xiaoxiang.Submission) string {
	switch {
	case !sub.SamePersonDone:
		return "待核验"
	case sub.SamePerson:
		return "同一人"
	}
	return "非同一人"
}

func ctidLabel(r string) string {
	switch r {
	case "valid":
		return "有效"
	case "mismatch", "no_record", "no_photo", "face_mismatch":
		return "无效"
	case "unavailable":
		return "暂不可用"
	case "skipped":
		return "不适用"
	}
	return "待核验"
}

// reasons maps reason codes to the catalogue (unknown codes keep their code).
func reasons(catalogue []xiaoxiang.RejectReason, codes []string) []xiaoxiang.RejectReason {
	out := make([]xiaoxiang.RejectReason, 0, len(codes))
	for _, c := range codes {
		r := xiaoxiang.RejectReason{Code: c, Label: c, Message: "照片不符合要求，请查看审核意见后重新拍摄。"}
		for _, x := range catalogue {
			if x.Code == c {
				r = x
				break
			}
		}
		out = append(out, r)
	}
	return out
}

func nextStep(v *StatusView, now time.Time) string {
	sub := v.Submission
	switch {
	case v.Binding.Status == xiaoxiang.BindingPending:
		return "manual_pending"
	case v.Binding.Status == xiaoxiang.BindingRejected:
		return "manual_rejected"
	case v.Binding.Status == xiaoxiang.BindingUnbound:
		return "unbound"
	case sub != nil && (sub.Status == xiaoxiang.SubmissionApproved || sub.Status == xiaoxiang.SubmissionDelivered):
		return "done"
	case !v.Task.Open(now):
		return "closed"
	case !v.Paid:
		return "pay"
	case sub == nil && v.Attempt != nil && v.Attempt.Standardized():
		return "submit"
	case sub == nil:
		return "shoot"
	case sub.Status == xiaoxiang.SubmissionRejected && v.CanResubmit:
		return "shoot"
	case sub.Status == xiaoxiang.SubmissionRejected:
		return "support"
	}
	return "wait"
}
