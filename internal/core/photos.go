package core

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/blob"
	"xiaoxiang/internal/sqldb"
)

// UploadInput is one photo taken or picked in step 9.
type UploadInput struct {
	Data   io.Reader
	Source string // "camera" or "album"
}

// AttemptView is an attempt with today's quota for the page.
type AttemptView struct {
	Attempt *xiaoxiang.Attempt
	Quota   xiaoxiang.Quota
}

// photoContext is what every photo use case checks first.
type photoContext struct {
	binding *xiaoxiang.Binding
	task    *xiaoxiang.Task
	profile *xiaoxiang.SpecProfile
	sub     *sqldb.SubmissionRow // nil before the first submit
}

// photoAllowed checks that the account may work on photos of binding b now:
// linked, photo consent given, task open, fee paid, photo not locked.
func (s *Service) photoAllowed(ctx context.Context, tx *sqldb.Tx, accountID int64, b *xiaoxiang.Binding) (*photoContext, error) {
	if err := checkLinked(b); err != nil {
		return nil, err
	}
	if err := requireConsent(ctx, tx, accountID, xiaoxiang.ConsentPhoto); err != nil {
		return nil, err
	}
	t, err := tx.FindTaskByID(ctx, b.TaskID)
	if err != nil {
		return nil, err
	}
	if err := t.CheckOpen(s.now()); err != nil {
		return nil, err
	}
	paid, _, err := isPaid(ctx, tx, t, b.RosterEntryID)
	if err != nil {
		return nil, err
	}
	if !paid {
		return nil, xiaoxiang.Errorf(xiaoxiang.EUNPAID, "请先支付采集费用（%s元），支付成功后才能拍摄照片。", yuan(t.FeeFen))
	}
	pc := &photoContext{binding: b, task: t}
	sub, err := tx.FindSubmissionByEntry(ctx, b.RosterEntryID, false)
	switch {
	case err == nil:
		pc.sub = sub
		if sub.Status == xiaoxiang.SubmissionApproved || sub.Status == xiaoxiang.SubmissionDelivered {
			return nil, xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "照片已通过审核，不能再更换。")
		}
	case xiaoxiang.ErrorCode(err) != xiaoxiang.ENOTFOUND:
		return nil, err
	}
	if pc.profile, err = tx.FindSpecProfile(ctx, t.ProfileID); err != nil {
		return nil, err
	}
	return pc, nil
}

// Upload stores the original (durably, before the database commit), runs
// the quality check and records the attempt. Retakes are free.
func (s *Service) Upload(ctx context.Context, accountID, bindingID int64, in UploadInput) (*AttemptView, error) {
	if in.Source == "" {
		in.Source = "camera"
	}
	if in.Source != "camera" && in.Source != "album" {
		return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "照片来源只能是拍摄或相册。")
	}
	if in.Data == nil {
		return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "请拍摄或选择一张照片。")
	}
	var pc *photoContext
	err := s.db.View(ctx, func(tx *sqldb.Tx) error {
		b, err := ownBinding(ctx, tx, accountID, bindingID)
		if err != nil {
			return err
		}
		pc, err = s.photoAllowed(ctx, tx, accountID, b)
		return err
	})
	if err != nil {
		return nil, err
	}
	if in.Source == "album" && !pc.task.AllowAlbum {
		return nil, xiaoxiang.Errorf(xiaoxiang.EFORBIDDEN, "该采集任务要求现场拍摄，不能从相册选择照片。")
	}
	data, err := io.ReadAll(io.LimitReader(in.Data, s.opts.MaxUploadBytes+1))
	if err != nil {
		return nil, xiaoxiang.WrapError(xiaoxiang.EINVALID, "照片上传中断，请重新上传。", err)
	}
	switch {
	case len(data) == 0:
		return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "请拍摄或选择一张照片。")
	case int64(len(data)) > s.opts.MaxUploadBytes:
		return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "照片文件过大（不能超过%s），请重新拍摄或选择。", sizeLabel(s.opts.MaxUploadBytes))
	}
	report, err := s.checker.Check(ctx, data, pc.profile)
	if err != nil {
		return nil, photoError(err, "照片检测失败，请稍后重试。")
	}
	key := fmt.Sprintf("originals/%d/%d/%s", pc.task.ID, pc.binding.RosterEntryID, randomName())
	// The original is on stable storage before the attempt row commits: a
	// committed attempt never points at a missing file.
	if err := s.bucket.Put(ctx, key, bytes.NewReader(data)); err != nil {
		return nil, xiaoxiang.WrapError(xiaoxiang.EINTERNAL, "照片保存失败，请稍后重试。", err)
	}
	a := &sqldb.AttemptRow{Attempt: xiaoxiang.Attempt{BindingID: pc.binding.ID, AccountID: accountID, TaskID: pc.task.ID,
		OriginalKey: key, Width: report.Width, Height: report.Height, Source: in.Source,
		ReportJSON: string(report.Report), Verdict: report.Verdict}, RosterEntryID: pc.binding.RosterEntryID}
	var q xiaoxiang.Quota
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		// The binding may have been unbound while the check ran.
		b, err := ownBinding(ctx, tx, accountID, bindingID)
		if err != nil {
			return err
		}
		if err := checkLinked(b); err != nil {
			return err
		}
		if err := tx.CreateAttempt(ctx, a); err != nil {
			return err
		}
		q, err = quota(ctx, tx, pc.task, b.RosterEntryID, tx.Now())
		return err
	})
	if err != nil {
		s.deleteBlob(ctx, key)
		return nil, err
	}
	return &AttemptView{Attempt: &a.Attempt, Quota: q}, nil
}

// photoError keeps a checker's domain error (the photo's fault) and wraps
// anything else as internal with msg.
func photoError(err error, msg string) error {
	var de *xiaoxiang.Error
	if errors.As(err, &de) {
		return err
	}
	return xiaoxiang.WrapError(xiaoxiang.EINTERNAL, msg, err)
}

func sizeLabel(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%dMB", n>>20)
	}
	return fmt.Sprintf("%dKB", n>>10)
}

func randomName() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Service) deleteBlob(ctx context.Context, key string) {
	if err := s.bucket.Delete(context.WithoutCancel(ctx), key); err != nil && !errors.Is(err, blob.ErrNotFound) {
		s.log.Error("core: delete blob", slog.String("key", key), slog.String("error", err.Error()))
	}
}

func quota(ctx context.Context, tx *sqldb.Tx, t *xiaoxiang.Task, entryID int64, now time.Time) (xiaoxiang.Quota, error) {
	used, err := tx.QuotaUsed(ctx, entryID, xiaoxiang.QuotaDay(now))
	if err != nil {
		return xiaoxiang.Quota{}, err
	}
	return xiaoxiang.NewQuota(t.DailyStandardizeLimit, used, now), nil
}

// ownAttempt returns the account's attempt and its binding.
func ownAttempt(ctx context.Context, tx *sqldb.Tx, accountID, attemptID int64) (*sqldb.AttemptRow, *xiaoxiang.Binding, error) {
	if _, err := liveAccount(ctx, tx, accountID); err != nil {
		return nil, nil, err
	}
	a, err := tx.FindAttemptByID(ctx, attemptID)
	if err != nil {
		return nil, nil, err
	}
	if a.AccountID != accountID {
		return nil, nil, xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "照片不存在。")
	}
	b, err := tx.FindBindingByID(ctx, a.BindingID)
	if err != nil {
		return nil, nil, err
	}
	return a, b, nil
}

// standardizeClaim bounds how long a standardization holds its attempt (a
// crashed request's claim expires).
const standardizeClaim = 2 * time.Minute

// Standardize (去制作) uses one unit of today's quota atomically and stores
// the standardized photo; the unit is given back if standardization fails.
// Standardizing an attempt that already is costs nothing.
func (s *Service) Standardize(ctx context.Context, accountID, attemptID int64) (*AttemptView, error) {
	var (
		a   *sqldb.AttemptRow
		pc  *photoContext
		day string
	)
	err := s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		var b *xiaoxiang.Binding
		var err error
		if a, b, err = ownAttempt(ctx, tx, accountID, attemptID); err != nil {
			return err
		}
		if pc, err = s.photoAllowed(ctx, tx, accountID, b); err != nil {
			return err
		}
		if a.Standardized() {
			return nil
		}
		if a.OriginalKey == "" {
			return xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "原始照片已删除，请重新拍摄。")
		}
		// Hold the attempt while the pipeline runs: a double tap gets a
		// "please wait" instead of a second quota unit.
		claimed, err := tx.ClaimAttemptStandardize(ctx, a.ID, tx.Now().Add(standardizeClaim))
		if err != nil {
			return err
		}
		if !claimed {
			return xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "这张照片正在制作中，请稍候刷新查看。")
		}
		day = xiaoxiang.QuotaDay(tx.Now())
		used, ok, err := tx.TakeQuota(ctx, b.RosterEntryID, day, pc.task.DailyStandardizeLimit)
		if err != nil {
			return err
		}
		if !ok {
			return xiaoxiang.NewQuota(pc.task.DailyStandardizeLimit, used, tx.Now()).Check()
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if day == "" { // already standardized
		return s.attemptView(ctx, accountID, attemptID)
	}
	refund := func() {
		rctx := context.WithoutCancel(ctx)
		err := s.db.InTx(rctx, func(tx *sqldb.Tx) error {
			if err := tx.ReleaseAttemptStandardize(rctx, a.ID); err != nil {
				return err
			}
			return tx.RefundQuota(rctx, a.RosterEntryID, day)
		})
		if err != nil {
			s.log.Error("core: refund quota", slog.Int64("attempt_id", a.ID), slog.String("error", err.Error()))
		}
	}
	res, err := s.standardize(ctx, a, pc.profile)
	if err != nil {
		refund()
		return nil, err
	}
	key := fmt.Sprintf("standardized/%d/%d/%d-%s.jpg", a.TaskID, a.RosterEntryID, a.ID, randomName())
	if err := s.bucket.Put(ctx, key, bytes.NewReader(res.JPEG)); err != nil {
		refund()
		return nil, xiaoxiang.WrapError(xiaoxiang.EINTERNAL, "照片保存失败，本次不计入今日次数，请稍后重试。", err)
	}
	sum := sha256.Sum256(res.JPEG)
	a.StandardizedKey, a.ResultJSON, a.SHA256 = key, string(res.Result), hex.EncodeToString(sum[:])
	var changed bool
	err = s.db.InTx(ctx, func(tx *sqldb.Tx) (err error) {
		changed, err = tx.SetAttemptStandardized(ctx, a)
		return err
	})
	if err != nil || !changed {
		// A concurrent request standardized the same attempt first: this
		// one costs nothing.
		s.deleteBlob(ctx, key)
		refund()
		if err != nil {
			return nil, err
		}
	}
	return s.attemptView(ctx, accountID, attemptID)
}

func (s *Service) standardize(ctx context.Context, a *sqldb.AttemptRow, profile *xiaoxiang.SpecProfile) (*StandardizeResult, error) {
	rc, err := s.bucket.Get(ctx, a.OriginalKey)
	if err != nil {
		return nil, xiaoxiang.WrapError(xiaoxiang.EINTERNAL, "读取原始照片失败，本次不计入今日次数，请稍后重试。", err)
	}
	data, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, xiaoxiang.WrapError(xiaoxiang.EINTERNAL, "读取原始照片失败，本次不计入今日次数，请稍后重试。", err)
	}
	res, err := s.checker.Standardize(ctx, data, profile)
	if err != nil {
		return nil, photoError(err, "照片制作失败，本次不计入今日次数，请稍后重试。")
	}
	if len(res.JPEG) == 0 {
		return nil, xiaoxiang.Errorf(xiaoxiang.EINTERNAL, "照片制作失败，本次不计入今日次数，请稍后重试。")
	}
	return res, nil
}

func (s *Service) attemptView(ctx context.Context, accountID, attemptID int64) (*AttemptView, error) {
	var v *AttemptView
	err := s.db.View(ctx, func(tx *sqldb.Tx) error {
		a, b, err := ownAttempt(ctx, tx, accountID, attemptID)
		if err != nil {
			return err
		}
		t, err := tx.FindTaskByID(ctx, b.TaskID)
		if err != nil {
			return err
		}
		q, err := quota(ctx, tx, t, a.RosterEntryID, s.now())
		if err != nil {
			return err
		}
		v = &AttemptView{Attempt: &a.Attempt, Quota: q}
		return nil
	})
	return v, err
}

// Attempt returns one of the account's attempts.
func (s *Service) Attempt(ctx context.Context, accountID, attemptID int64) (*AttemptView, error) {
	return s.attemptView(ctx, accountID, attemptID)
}

// QuotaToday returns the binding's standardization quota for today.
func (s *Service) QuotaToday(ctx context.Context, accountID, bindingID int64) (xiaoxiang.Quota, error) {
	var q xiaoxiang.Quota
	err := s.db.View(ctx, func(tx *sqldb.Tx) error {
		b, err := ownBinding(ctx, tx, accountID, bindingID)
		if err != nil {
			return err
		}
		t, err := tx.FindTaskByID(ctx, b.TaskID)
		if err != nil {
			return err
		}
		q, err = quota(ctx, tx, t, b.RosterEntryID, s.now())
		return err
	})
	return q, err
}

// PhotoKind selects the original or the standardized photo of an attempt.
type PhotoKind string

// Photo kinds.
const (
	PhotoOriginal     PhotoKind = "original"
	PhotoStandardized PhotoKind = "standardized"
)

// OpenPhoto opens a photo of the account's attempt; the caller closes it.
func (s *Service) OpenPhoto(ctx context.Context, accountID, attemptID int64, kind PhotoKind) (io.ReadCloser, error) {
	var key string
	err := s.db.View(ctx, func(tx *sqldb.Tx) error {
		a, _, err := ownAttempt(ctx, tx, accountID, attemptID)
		if err != nil {
			return err
		}
		switch kind {
		case PhotoOriginal:
			key = a.OriginalKey
		case PhotoStandardized:
			key = a.StandardizedKey
		default:
			return xiaoxiang.Errorf(xiaoxiang.EINVALID, "未知的照片类型。")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if key == "" {
		return nil, xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "照片不存在。")
	}
	rc, err := s.bucket.Get(ctx, key)
	if errors.Is(err, blob.ErrNotFound) {
		return nil, xiaoxiang.WrapError(xiaoxiang.ENOTFOUND, "照片不存在。", err)
	}
	return rc, err
}
