package core

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"xiaoxiang"
	"xiaoxiang/internal/auth"
	"xiaoxiang/internal/sqldb"
)

// QueueFilter is the review queue's filter form.
type QueueFilter struct {
	SchoolID int64
	TaskID   int64
	Status   xiaoxiang.SubmissionStatus // default pending
	// MinAgeHours keeps submissions waiting at least this long.
	MinAgeHours int
	Limit       int
	Offset      int
}

func (f QueueFilter) sql(a *Actor, now time.Time) sqldb.ReviewFilter {
	rf := sqldb.ReviewFilter{Scope: a.scope(), SchoolID: f.SchoolID, TaskID: f.TaskID, Status: f.Status, Limit: f.Limit, Offset: f.Offset}
	if f.MinAgeHours > 0 {
		rf.SubmittedBefore = now.Add(-time.Duration(f.MinAgeHours) * time.Hour)
	}
	return rf
}

func (a *Actor) canReviewAnything() error {
	if a == nil || a.Staff == nil {
		return xiaoxiang.Errorf(xiaoxiang.EUNAUTHORIZED, "请先登录。")
	}
	sid := a.P.SchoolID
	if sid == 0 {
		sid = 1 // any school: platform-wide principals
	}
	if !a.P.Can(auth.ActionReview, auth.Resource{SchoolID: sid}) && a.P.Role != auth.RoleSchoolAdmin {
		return errForbidden
	}
	return nil
}

// ReviewQueue lists the submissions in the actor's scope and filter, oldest
// first, with the total count.
func (c *Console) ReviewQueue(ctx context.Context, a *Actor, f QueueFilter) ([]*sqldb.QueueItem, int, error) {
	if err := a.canReviewAnything(); err != nil {
		return nil, 0, err
	}
	var items []*sqldb.QueueItem
	var total int
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		items, total, err = tx.FindReviewQueue(ctx, f.sql(a, c.now()))
		return err
	})
	return items, total, err
}

// ClaimNext gives the actor the review lock on the oldest pending photo in
// the filter (or the one the actor already holds) and returns its id; 0
// means the queue is empty. exclude lists ids the reviewer skipped.
func (c *Console) ClaimNext(ctx context.Context, a *Actor, f QueueFilter, exclude []int64) (int64, error) {
	if err := a.canReviewAnything(); err != nil {
		return 0, err
	}
	var id int64
	err := c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		now := tx.Now()
		for range 5 {
			next, err := tx.NextClaimable(ctx, f.sql(a, now), a.Staff.ID, now, exclude)
			if err != nil || next == 0 {
				return err
			}
			ok, err := c.claimTx(ctx, tx, a, next)
			if err != nil {
				return err
			}
			if ok {
				id = next
				return nil
			}
			exclude = append(exclude, next)
		}
		return nil
	})
	return id, err
}

// Claim takes the review lock on one photo. Another reviewer's unexpired
// lock gives ECONFLICT.
func (c *Console) Claim(ctx context.Context, a *Actor, submissionID int64) error {
	return c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		sub, entry, err := c.loadForReview(ctx, tx, a, submissionID, true)
		if err != nil {
			return err
		}
		if err := a.can(auth.ActionReview, auth.Resource{SchoolID: sub.SchoolID, College: entry.College}, "照片"); err != nil {
			return err
		}
		if sub.Status != xiaoxiang.SubmissionPending {
			return xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "该照片当前状态为%s，不在待审核队列中。", sub.Status.Label())
		}
		ok, err := c.claimTx(ctx, tx, a, submissionID)
		if err != nil {
			return err
		}
		if !ok {
			return errClaimedByOther
		}
		return nil
	})
}

var errClaimedByOther = xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "该照片正在由其他审核员审核，请处理下一张。")

func (c *Console) claimTx(ctx context.Context, tx *sqldb.Tx, a *Actor, id int64) (bool, error) {
	now := tx.Now()
	ok, err := tx.ClaimSubmission(ctx, id, a.Staff.ID, now.Add(c.opts.ClaimTTL), now)
	if err != nil || !ok {
		return ok, err
	}
	err = tx.CreateSubmissionEvent(ctx, &xiaoxiang.SubmissionEvent{SubmissionID: id, Action: "claim",
		From: xiaoxiang.SubmissionPending, To: xiaoxiang.SubmissionPending, ActorKind: "staff", ActorID: a.Staff.ID})
	return err == nil, err
}

// Release drops the actor's lock on a photo (the reviewer skipped it).
func (c *Console) Release(ctx context.Context, a *Actor, submissionID int64) error {
	return c.s.db.InTx(ctx, func(tx *sqldb.Tx) error { return tx.ReleaseSubmission(ctx, submissionID, a.Staff.ID) })
}

func (c *Console) loadForReview(ctx context.Context, tx *sqldb.Tx, a *Actor, id int64, lock bool) (*sqldb.SubmissionRow, *xiaoxiang.RosterEntry, error) {
	sub, err := tx.FindSubmissionByID(ctx, id, lock)
	if err != nil {
		if xiaoxiang.ErrorCode(err) == xiaoxiang.ENOTFOUND {
			return nil, nil, notVisible("照片")
		}
		return nil, nil, err
	}
	entry, err := tx.FindRosterEntryByID(ctx, sub.RosterEntryID)
	if err != nil {
		return nil, nil, err
	}
	if err := a.can(auth.ActionView, auth.Resource{SchoolID: sub.SchoolID, College: entry.College}, "照片"); err != nil {
		return nil, nil, err
	}
	return sub, entry, nil
}

// ReviewView is everything the side-by-side review page shows.
type ReviewView struct {
	Item       *sqldb.QueueItem
	Submission *sqldb.SubmissionRow
	Attempt    *sqldb.AttemptRow
	Task       *xiaoxiang.Task
	Entry      EntryView
	Events     []*xiaoxiang.SubmissionEvent
	Reasons    []xiaoxiang.RejectReason
	// ClaimedByMe: the actor holds the lock; ClaimedByOther: someone else
	// does (the page then offers only "next").
	ClaimedByMe    bool
	ClaimedByOther bool
	CanDecide      bool
	// Clean: the automatic checks passed and no identity check failed, so
	// batch approval may take it.
	Clean bool
	// Checks are the automatic quality items of the original; Verify the
	// spec checks of the standardized file; Overlay the measured lines to
	// draw on the standardized photo (nil when not measured).
	Checks  []ReviewCheck
	Verify  []ReviewCheck
	Overlay *Overlay
}

// ReviewCheck is one automatic check item (internal/photo.Check as JSON).
type ReviewCheck struct {
	ID      string  `json:"id"`
	Name    string  `json:"name"`
	Value   float64 `json:"value"`
	Unit    string  `json:"unit"`
	Range   string  `json:"range"`
	Verdict string  `json:"verdict"`
	Message string  `json:"message"`
}

// Overlay is what the review page draws over the standardized photo: the
// measured head top, eye line and face width, in output pixels.
type Overlay struct {
	W            int     `json:"width"`
	H            int     `json:"height"`
	HeadTop      float64 `json:"head_top"`
	EyeLine      float64 `json:"eye_line"`
	FaceWidth    float64 `json:"face_width"`
	CentreOffset float64 `json:"centre_offset"`
}

// FaceLeft is the x of the face's left edge.
func (o *Overlay) FaceLeft() float64 { return float64(o.W)/2 + o.CentreOffset - o.FaceWidth/2 }

func parseReport(v *ReviewView) {
	var rep struct {
		Checks []ReviewCheck `json:"checks"`
	}
	if json.Unmarshal([]byte(v.Attempt.ReportJSON), &rep) == nil {
		v.Checks = rep.Checks
	}
	var res struct {
		Output *Overlay      `json:"output"`
		Verify []ReviewCheck `json:"verify"`
	}
	if json.Unmarshal([]byte(v.Attempt.ResultJSON), &res) == nil {
		v.Verify = res.Verify
		if res.Output != nil && res.Output.W > 0 && res.Output.H > 0 && res.Output.FaceWidth > 0 {
			v.Overlay = res.Output
		}
	}
}

// EntryView is a roster entry as staff see it: the document number masked.
type EntryView struct {
	ID        int64
	Name      string
	DocKind   string
	DocMasked string // e.g. ****1234
	StudentNo string
	College   string
	Major     string
	Class     string
	Grade     string
	HasPhoto  bool
	Source    xiaoxiang.RosterSource
}

func entryView(e *xiaoxiang.RosterEntry) EntryView {
	m := ""
	if e.DocLast4 != "" {
		m = "****" + e.DocLast4
	}
	return EntryView{ID: e.ID, Name: e.Name, DocKind: e.DocKind, DocMasked: m, StudentNo: e.StudentNo, College: e.College,
		Major: e.Major, Class: e.Class, Grade: e.Grade, HasPhoto: e.HasPhoto, Source: e.Source}
}

// Review returns the review page of one photo.
func (c *Console) Review(ctx context.Context, a *Actor, submissionID int64) (*ReviewView, error) {
	v := &ReviewView{}
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		sub, entry, err := c.loadForReview(ctx, tx, a, submissionID, false)
		if err != nil {
			return err
		}
		v.Submission, v.Entry = sub, entryView(entry)
		if v.Item, err = tx.FindQueueItem(ctx, submissionID); err != nil {
			return err
		}
		if v.Attempt, err = tx.FindAttemptByID(ctx, sub.AttemptID); err != nil {
			return err
		}
		if v.Task, err = tx.FindTaskByID(ctx, sub.TaskID); err != nil {
			return err
		}
		if v.Events, err = tx.FindSubmissionEvents(ctx, sub.ID); err != nil {
			return err
		}
		if v.Reasons, err = tx.FindRejectReasons(ctx); err != nil {
			return err
		}
		now := tx.Now()
		held := sub.ClaimedBy != 0 && now.Before(sub.ClaimExpires)
		v.ClaimedByMe = held && sub.ClaimedBy == a.Staff.ID
		v.ClaimedByOther = held && sub.ClaimedBy != a.Staff.ID
		v.CanDecide = sub.Status == xiaoxiang.SubmissionPending && !v.ClaimedByOther &&
			a.P.Can(auth.ActionReview, auth.Resource{SchoolID: sub.SchoolID, College: entry.College})
		v.Clean = clean(v.Item)
		parseReport(v)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// clean reports whether a photo may be approved in a batch: the automatic
// checks passed and no identity check failed.
func clean(it *sqldb.QueueItem) bool {
	if it.Verdict != "pass" {
		return false
	}
	switch it.CTIDResult {
	case "mismatch", "no_record", "no_photo":
		return false
	}
	return !it.SamePersonDone || it.SamePerson
}

// ReviewPhoto kinds.
const (
	ReviewPhotoStandardized = "standardized"
	ReviewPhotoOriginal     = "original"
	ReviewPhotoRoster       = "roster"
)

// OpenReviewPhoto opens the standardized photo, the original or the roster
// photo of a submission the actor may see; the caller closes it.
func (c *Console) OpenReviewPhoto(ctx context.Context, a *Actor, submissionID int64, kind string) (io.ReadCloser, error) {
	var key string
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		sub, entry, err := c.loadForReview(ctx, tx, a, submissionID, false)
		if err != nil {
			return err
		}
		switch kind {
		case ReviewPhotoRoster:
			key = entry.PhotoKey
		case ReviewPhotoOriginal, ReviewPhotoStandardized:
			at, err := tx.FindAttemptByID(ctx, sub.AttemptID)
			if err != nil {
				return err
			}
			key = at.StandardizedKey
			if kind == ReviewPhotoOriginal {
				key = at.OriginalKey
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if key == "" {
		return nil, xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "照片不存在或已按保存期限删除。")
	}
	r, err := c.s.bucket.Get(ctx, key)
	if err != nil {
		return nil, xiaoxiang.WrapError(xiaoxiang.ENOTFOUND, "照片不存在或已按保存期限删除。", err)
	}
	return r, nil
}

// Decision is a reviewer's verdict on one photo.
type Decision struct {
	Approve bool
	Reasons []string // reason codes, required to reject
	Note    string   // free text for the student (optional, ≤ 200 characters)
}

// Decide approves or rejects a pending photo. The reviewer must hold the
// lock or the photo must be unlocked (another reviewer's lock gives
// ECONFLICT). The transition, its submission_events row, the student's
// notification, the WeChat job and the audit entry commit together.
func (c *Console) Decide(ctx context.Context, a *Actor, submissionID int64, d Decision) error {
	d.Note = strings.TrimSpace(d.Note)
	if !d.Approve && len(d.Reasons) == 0 {
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "请至少选择一条不通过原因。")
	}
	if utf8.RuneCountInString(d.Note) > 200 {
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "审核意见不能超过200个字。")
	}
	return c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		return c.decideTx(ctx, tx, a, submissionID, d)
	})
}

func (c *Console) decideTx(ctx context.Context, tx *sqldb.Tx, a *Actor, submissionID int64, d Decision) error {
	sub, entry, err := c.loadForReview(ctx, tx, a, submissionID, true)
	if err != nil {
		return err
	}
	if err := a.can(auth.ActionReview, auth.Resource{SchoolID: sub.SchoolID, College: entry.College}, "照片"); err != nil {
		return err
	}
	if sub.Status != xiaoxiang.SubmissionPending {
		return xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "该照片已处理（当前状态：%s），请刷新后处理下一张。", sub.Status.Label())
	}
	now := tx.Now()
	if sub.ClaimedBy != 0 && sub.ClaimedBy != a.Staff.ID && now.Before(sub.ClaimExpires) {
		return errClaimedByOther
	}
	var reasons []xiaoxiang.RejectReason
	if !d.Approve {
		all, err := tx.FindRejectReasons(ctx)
		if err != nil {
			return err
		}
		for _, code := range d.Reasons {
			i := slices.IndexFunc(all, func(r xiaoxiang.RejectReason) bool { return r.Code == code })
			if i < 0 {
				return xiaoxiang.Errorf(xiaoxiang.EINVALID, "不通过原因无效，请刷新页面后重新选择。")
			}
			if !slices.ContainsFunc(reasons, func(r xiaoxiang.RejectReason) bool { return r.Code == code }) {
				reasons = append(reasons, all[i])
			}
		}
	}
	to := xiaoxiang.SubmissionApproved
	if !d.Approve {
		to = xiaoxiang.SubmissionRejected
	}
	if !sub.Status.CanTransition(to) {
		return xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "当前状态不能审核。")
	}
	from := sub.Status
	sub.Status = to
	sub.ReviewerID, sub.ReviewedAt = a.Staff.ID, now
	sub.ClaimedBy, sub.ClaimExpires = 0, time.Time{}
	sub.RejectReasons, sub.RejectNote = nil, ""
	codes := make([]string, len(reasons))
	for i, r := range reasons {
		codes[i] = r.Code
	}
	if !d.Approve {
		sub.RejectReasons, sub.RejectNote = codes, d.Note
	}
	if err := tx.UpdateSubmission(ctx, sub); err != nil {
		return err
	}
	action := "approve"
	if !d.Approve {
		action = "reject"
	}
	if err := tx.CreateSubmissionEvent(ctx, &xiaoxiang.SubmissionEvent{SubmissionID: sub.ID, Action: action, From: from, To: to,
		ActorKind: "staff", ActorID: a.Staff.ID, Reason: strings.Join(codes, ",")}); err != nil {
		return err
	}
	task, err := tx.FindTaskByID(ctx, sub.TaskID)
	if err != nil {
		return err
	}
	n := &xiaoxiang.Notification{AccountID: sub.AccountID, Kind: NotifyReviewResult, Link: fmt.Sprintf("/my/%d/status", sub.BindingID)}
	if d.Approve {
		n.Title = "照片审核通过"
		n.Body = fmt.Sprintf("您在“%s”提交的照片已通过审核，学校将统一报送。", task.Title)
	} else {
		n.Title = "照片审核未通过"
		var b strings.Builder
		fmt.Fprintf(&b, "您在“%s”提交的照片未通过审核：", task.Title)
		for i, r := range reasons {
			if i > 0 {
				b.WriteString("；")
			}
			b.WriteString(r.Message)
		}
		if d.Note != "" {
			b.WriteString(" 审核意见：")
			b.WriteString(d.Note)
		}
		left := task.FreeResubmissions - sub.ResubmissionsUsed
		if left > 0 {
			fmt.Fprintf(&b, " 请按要求重新拍摄后再次提交（还可免费重新提交%d次）。", left)
		} else {
			b.WriteString(" 免费重新提交次数已用完，请联系客服。")
		}
		n.Body = b.String()
	}
	if err := Notify(ctx, tx, n); err != nil {
		return err
	}
	return c.audit(ctx, tx, a, "review_"+action, obj("submission", sub.ID), sub.SchoolID, 1, strings.Join(codes, ","))
}

// BatchResult counts a batch approval.
type BatchResult struct {
	Approved int
	Skipped  int // not clean, not pending, or locked by someone else
}

// BatchApprove approves the clean photos among ids (automatic checks passed,
// no identity check failed, not locked by another reviewer) in one
// transaction; the others are skipped and stay in the queue.
func (c *Console) BatchApprove(ctx context.Context, a *Actor, ids []int64) (BatchResult, error) {
	var res BatchResult
	if len(ids) > 500 {
		return res, xiaoxiang.Errorf(xiaoxiang.EINVALID, "一次最多批量通过500张照片。")
	}
	err := c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		res = BatchResult{}
		for _, id := range ids {
			it, err := tx.FindQueueItem(ctx, id)
			if err != nil {
				if xiaoxiang.ErrorCode(err) == xiaoxiang.ENOTFOUND {
					res.Skipped++
					continue
				}
				return err
			}
			if !clean(it) || it.Status != xiaoxiang.SubmissionPending {
				res.Skipped++
				continue
			}
			err = c.decideTx(ctx, tx, a, id, Decision{Approve: true})
			switch xiaoxiang.ErrorCode(err) {
			case "":
				res.Approved++
			case xiaoxiang.ECONFLICT:
				res.Skipped++
			default:
				return err
			}
		}
		return c.audit(ctx, tx, a, "review_batch_approve", "", a.P.SchoolID, res.Approved, "skipped="+strconv.Itoa(res.Skipped))
	})
	return res, err
}

// ReviewStats is the throughput page.
type ReviewStats struct {
	Since     time.Time
	Reviewers []*ReviewerRate
	Pending   int
}

// ReviewerRate is one reviewer's decisions and pace.
type ReviewerRate struct {
	*sqldb.ReviewerStats
	Total     int
	PerMinute float64 // decisions per minute between the first and the last
}

// Stats returns decisions per reviewer since since, in the actor's scope.
func (c *Console) Stats(ctx context.Context, a *Actor, since time.Time) (*ReviewStats, error) {
	if err := a.canReviewAnything(); err != nil {
		return nil, err
	}
	st := &ReviewStats{Since: since}
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		rows, err := tx.FindReviewerStats(ctx, a.scope(), since)
		if err != nil {
			return err
		}
		for _, r := range rows {
			rr := &ReviewerRate{ReviewerStats: r, Total: r.Approved + r.Rejected}
			if span := r.Last.Sub(r.First).Minutes(); span > 0 && rr.Total > 1 {
				rr.PerMinute = float64(rr.Total-1) / span
			}
			st.Reviewers = append(st.Reviewers, rr)
		}
		_, st.Pending, err = tx.FindReviewQueue(ctx, sqldb.ReviewFilter{Scope: a.scope(), Limit: 1})
		return err
	})
	return st, err
}

// ReviewSchools lists the schools in the actor's scope (for the queue filter).
func (c *Console) ReviewSchools(ctx context.Context, a *Actor) ([]*xiaoxiang.School, error) {
	if err := a.canReviewAnything(); err != nil {
		return nil, err
	}
	var out []*xiaoxiang.School
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		if a.P.SchoolID != 0 {
			s, err := tx.FindSchoolByID(ctx, a.P.SchoolID)
			out = []*xiaoxiang.School{s}
			return err
		}
		var err error
		out, err = tx.FindSchools(ctx)
		return err
	})
	return out, err
}
