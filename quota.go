package xiaoxiang

import "time"

// Quota is the state of a binding's daily standardization allowance (每日限3次照片标准化).
// A day is an Asia/Shanghai calendar day (QuotaDay); over the limit the student waits for
// the next day (冷静期).
type Quota struct {
	Day       string // YYYY-MM-DD in Asia/Shanghai
	Limit     int
	Used      int
	ResetsAt  time.Time // next Asia/Shanghai midnight
	Remaining int
}

// NewQuota computes the quota view for used units out of limit on now's day.
func NewQuota(limit, used int, now time.Time) Quota {
	return Quota{Day: QuotaDay(now), Limit: limit, Used: used, ResetsAt: NextQuotaReset(now), Remaining: max(0, limit-used)}
}

// Check returns an EQUOTA error with the reset time when nothing remains.
func (q Quota) Check() error {
	if q.Remaining > 0 {
		return nil
	}
	return Errorf(EQUOTA, "今日照片标准化次数（%d次）已用完，请于 %s 之后再试。", q.Limit, FormatShanghai(q.ResetsAt))
}
