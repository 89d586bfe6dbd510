package xiaoxiang

import "time"

// Shanghai is Asia/Shanghai (UTC+8, no DST since 1991). Quota days are its calendar days.
// A fixed zone is used so the binary needs no tzdata.
var Shanghai = time.FixedZone("CST", 8*3600)

// QuotaDay returns the Asia/Shanghai calendar day of t as YYYY-MM-DD.
func QuotaDay(t time.Time) string { return t.In(Shanghai).Format("2006-01-02") }

// NextQuotaReset returns the next Asia/Shanghai midnight after t.
func NextQuotaReset(t time.Time) time.Time {
	s := t.In(Shanghai)
	return time.Date(s.Year(), s.Month(), s.Day()+1, 0, 0, 0, 0, Shanghai)
}

// FormatShanghai formats t for Chinese users: 2006-01-02 15:04 in Asia/Shanghai.
func FormatShanghai(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(Shanghai).Format("2006-01-02 15:04")
}
