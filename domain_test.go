package xiaoxiang

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

func TestOrderStatus_CanTransition(t *testing.T) {
	tests := []struct {
		from, to OrderStatus
		ok       bool
	}{
		{OrderCreated, OrderPaid, true},
		{OrderCreated, OrderClosed, true},
		{OrderPaid, OrderRefunding, true},
		{OrderRefunding, OrderRefunded, true},
		{OrderPaid, OrderClosed, false},
		{OrderClosed, OrderPaid, false},
		{OrderRefunded, OrderPaid, false},
		{OrderPaid, OrderPaid, false},
	}
	for _, tt := range tests {
		if got := tt.from.CanTransition(tt.to); got != tt.ok {
			t.Errorf("%s → %s = %v, want %v", tt.from, tt.to, got, tt.ok)
		}
	}
}

func TestSubmissionStatus_CanTransition(t *testing.T) {
	ok := [][2]SubmissionStatus{
		{SubmissionUploaded, SubmissionPending},
		{SubmissionPending, SubmissionApproved},
		{SubmissionPending, SubmissionRejected},
		{SubmissionRejected, SubmissionUploaded},
		{SubmissionApproved, SubmissionDelivered},
	}
	all := []SubmissionStatus{SubmissionUploaded, SubmissionPending, SubmissionApproved, SubmissionRejected, SubmissionDelivered}
	for _, from := range all {
		for _, to := range all {
			want := false
			for _, p := range ok {
				if p[0] == from && p[1] == to {
					want = true
				}
			}
			if got := from.CanTransition(to); got != want {
				t.Errorf("%s → %s = %v, want %v", from, to, got, want)
			}
		}
	}
}

func TestSubmission_Rules(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	task := &Task{ReplacementsBeforeReview: 1, FreeResubmissions: 2}
	s := &Submission{Status: SubmissionPending}
	if err := s.CanReplace(task, now); err != nil {
		t.Fatalf("first replacement refused: %v", err)
	}
	s.ReplacementsUsed = 1
	if ErrorCode(s.CanReplace(task, now)) != EQUOTA {
		t.Errorf("second replacement not refused with quota")
	}
	s = &Submission{Status: SubmissionPending, ClaimedBy: 7, ClaimExpires: now.Add(time.Minute)}
	if ErrorCode(s.CanReplace(task, now)) != ECONFLICT {
		t.Errorf("replacement during review not refused")
	}
	s = &Submission{Status: SubmissionApproved}
	if ErrorCode(s.CanReplace(task, now)) != ECONFLICT {
		t.Errorf("replacement after approval not refused")
	}
	s = &Submission{Status: SubmissionRejected, ResubmissionsUsed: 1}
	if err := s.CanResubmit(task); err != nil {
		t.Errorf("second resubmission refused: %v", err)
	}
	s.ResubmissionsUsed = 2
	if ErrorCode(s.CanResubmit(task)) != EQUOTA {
		t.Errorf("third resubmission not refused")
	}
}

func TestTask_Window(t *testing.T) {
	open := time.Date(2026, 11, 1, 0, 0, 0, 0, Shanghai)
	closes := time.Date(2026, 12, 1, 0, 0, 0, 0, Shanghai)
	task := &Task{Status: TaskOpen, OpensAt: open, ClosesAt: closes}
	if task.CheckOpen(open.Add(-time.Second)) == nil || task.Window(open.Add(-time.Second)) != WindowNotYet {
		t.Error("before the window must be closed")
	}
	if err := task.CheckOpen(open); err != nil {
		t.Errorf("at the opening instant: %v", err)
	}
	if task.CheckOpen(closes) == nil {
		t.Error("at the closing instant must be closed")
	}
	task.Status = TaskClosed
	if ErrorCode(task.CheckOpen(open.Add(time.Hour))) != ECLOSED {
		t.Error("a closed task must be closed inside its window")
	}
}

func TestTask_Validate(t *testing.T) {
	base := func() *Task {
		return &Task{SchoolID: 1, Category: CategoryUndergrad, Title: " 2025年上半年学位申请图像采集 ", LinkMode: LinkByDocument,
			OpensAt: time.Unix(0, 0), ClosesAt: time.Unix(3600, 0), FeeFen: 1500}
	}
	task := base()
	if err := task.Validate(); err != nil {
		t.Fatal(err)
	}
	if task.Title != "2025年上半年学位申请图像采集" || task.DailyStandardizeLimit != 3 || task.ProfileID != "chsi-blue" || task.Status != TaskDraft {
		t.Errorf("defaults not applied: %+v", task)
	}
	bad := []func(*Task){
		func(t *Task) { t.Title = "" },
		func(t *Task) { t.Category = "x" },
		func(t *Task) { t.ClosesAt = t.OpensAt },
		func(t *Task) { t.FeeFen = -1 },
		func(t *Task) { t.LinkMode = "" },
	}
	for i, f := range bad {
		task := base()
		f(task)
		if ErrorCode(task.Validate()) != EINVALID {
			t.Errorf("case %d: not rejected", i)
		}
	}
}

func TestQuotaDay(t *testing.T) {
	// 2026-11-29 15:59:59 UTC is 23:59:59 in Shanghai; one second later is the next day.
	a := time.Date(2026, 11, 29, 15, 59, 59, 0, time.UTC)
	if got := QuotaDay(a); got != "2026-11-29" {
		t.Errorf("QuotaDay = %s", got)
	}
	if got := QuotaDay(a.Add(time.Second)); got != "2026-11-30" {
		t.Errorf("QuotaDay after midnight = %s", got)
	}
	if got := NextQuotaReset(a); !got.Equal(a.Add(time.Second)) {
		t.Errorf("NextQuotaReset = %v", got)
	}
}

func TestErrors(t *testing.T) {
	err := fmt.Errorf("op: %w", WrapError(ENOTFOUND, "未找到。", errors.New("sql: no rows")))
	if ErrorCode(err) != ENOTFOUND || ErrorMessage(err) != "未找到。" {
		t.Errorf("code/message lost through wrapping: %q %q", ErrorCode(err), ErrorMessage(err))
	}
	if ErrorCode(errors.New("boom")) != EINTERNAL || ErrorMessage(errors.New("secret detail")) == "secret detail" {
		t.Error("plain errors must be internal with a generic message")
	}
}
