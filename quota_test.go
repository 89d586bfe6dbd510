package xiaoxiang

import (
	"testing"
	"time"
)

func TestQuota(t *testing.T) {
	// 23:30 in Shanghai on 10 March is 15:30 UTC.
	now := time.Date(2026, 3, 10, 15, 30, 0, 0, time.UTC)
	q := NewQuota(3, 1, now)
	if q.Day != "2026-03-10" || q.Remaining != 2 || !q.ResetsAt.Equal(time.Date(2026, 3, 10, 16, 0, 0, 0, time.UTC)) {
		t.Fatalf("NewQuota = %+v", q)
	}
	if err := q.Check(); err != nil {
		t.Fatalf("Check with units left: %v", err)
	}
	q = NewQuota(3, 4, now)
	if q.Remaining != 0 {
		t.Fatalf("Remaining = %d, want 0 when over the limit", q.Remaining)
	}
	err := q.Check()
	if ErrorCode(err) != EQUOTA || ErrorMessage(err) != "今日照片标准化次数（3次）已用完，请于 2026-03-11 00:00 之后再试。" {
		t.Fatalf("Check = %v", err)
	}
	// 00:00 in Shanghai is a new day even though it is still 10 March in UTC.
	if d := NewQuota(3, 0, time.Date(2026, 3, 10, 16, 0, 0, 0, time.UTC)).Day; d != "2026-03-11" {
		t.Fatalf("day at Shanghai midnight = %s", d)
	}
}
