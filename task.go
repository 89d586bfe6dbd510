package xiaoxiang

import (
	"strings"
	"time"
	"unicode/utf8"
)

// LinkMode is how a student links to the roster.
type LinkMode string

const (
	LinkByDocument  LinkMode = "document"   // 证件号: real name + document number
	LinkByStudentNo LinkMode = "student_no" // 学号: name + student number
)

// ExportKey names the files in a delivery package.
type ExportKey string

const (
	ExportByDocument  ExportKey = "document"   // {ID number}.jpg
	ExportByStudentNo ExportKey = "student_no" // {student number}.jpg
)

// TaskStatus is the lifecycle of a task as the school manages it; whether students can
// act also depends on the window (see Task.Open).
type TaskStatus string

const (
	TaskDraft  TaskStatus = "draft"
	TaskOpen   TaskStatus = "open"
	TaskClosed TaskStatus = "closed"
)

// Task is one collection task (采集任务) of a school, e.g. 2025年上半年学位申请图像采集.
// Every setting of product.md "Task settings" is here.
type Task struct {
	ID       int64
	SchoolID int64
	Category Category
	Title    string
	Grade    string // 年级/届, e.g. 2025年
	Status   TaskStatus
	OpensAt  time.Time
	ClosesAt time.Time
	FeeFen   int64 // 0 = free
	LinkMode LinkMode
	// AllowManualEntry lets a student not on the roster submit a manual entry for school approval.
	AllowManualEntry bool
	AllowAlbum       bool // photos may be picked from the album (else camera only)
	RequireCTID      bool // 身份信息核验 (CTID) for mainland resident IDs
	SamePersonCheck  bool // compare with the roster photo (学籍照片: 同一人)
	ProfileID        string
	// Limits (defaults 3, 2, 1).
	DailyStandardizeLimit    int
	FreeResubmissions        int
	ReplacementsBeforeReview int
	ExportKey                ExportKey
	Notice                   string // task notice shown to students (plain text)
	CreatedAt                time.Time
	UpdatedAt                time.Time
}

// Task defaults from the seed.
const (
	DefaultDailyStandardizeLimit    = 3
	DefaultFreeResubmissions        = 2
	DefaultReplacementsBeforeReview = 1
	DefaultProfileID                = "chsi-blue"
)

// WindowState says where now is relative to the task's window.
type WindowState string

const (
	WindowNotYet WindowState = "not_yet"
	WindowOpen   WindowState = "open"
	WindowOver   WindowState = "over"
)

// Window returns the state of the task's time window at now.
func (t *Task) Window(now time.Time) WindowState {
	switch {
	case now.Before(t.OpensAt):
		return WindowNotYet
	case !now.Before(t.ClosesAt):
		return WindowOver
	}
	return WindowOpen
}

// Open reports whether students can act on the task at now: status open and inside the window.
func (t *Task) Open(now time.Time) bool {
	return t.Status == TaskOpen && t.Window(now) == WindowOpen
}

// CheckOpen returns an ECLOSED error with a specific Chinese message when students cannot act.
func (t *Task) CheckOpen(now time.Time) error {
	if t.Status != TaskOpen {
		return Errorf(ECLOSED, "该采集任务已关闭，如有疑问请联系学校学籍部门。")
	}
	switch t.Window(now) {
	case WindowNotYet:
		return Errorf(ECLOSED, "该采集任务尚未开始，开始时间：%s。", FormatShanghai(t.OpensAt))
	case WindowOver:
		return Errorf(ECLOSED, "该采集任务已于 %s 截止。", FormatShanghai(t.ClosesAt))
	}
	return nil
}

// Validate checks a task's settings and fills defaults for zero limits.
func (t *Task) Validate() error {
	t.Title = strings.TrimSpace(t.Title)
	switch {
	case t.SchoolID == 0:
		return Errorf(EINVALID, "请选择学校。")
	case !t.Category.Valid():
		return Errorf(EINVALID, "请选择学历类别。")
	case t.Title == "":
		return Errorf(EINVALID, "请填写任务名称。")
	case utf8.RuneCountInString(t.Title) > 60:
		return Errorf(EINVALID, "任务名称不能超过60个字。")
	case t.OpensAt.IsZero() || t.ClosesAt.IsZero():
		return Errorf(EINVALID, "请填写采集开始和截止时间。")
	case !t.ClosesAt.After(t.OpensAt):
		return Errorf(EINVALID, "截止时间必须晚于开始时间。")
	case t.FeeFen < 0 || t.FeeFen > 100000:
		return Errorf(EINVALID, "费用必须在0到1000元之间。")
	case t.LinkMode != LinkByDocument && t.LinkMode != LinkByStudentNo:
		return Errorf(EINVALID, "请选择关联模式（证件号或学号）。")
	case t.ExportKey != "" && t.ExportKey != ExportByDocument && t.ExportKey != ExportByStudentNo:
		return Errorf(EINVALID, "请选择导出文件命名方式。")
	case t.DailyStandardizeLimit < 0 || t.FreeResubmissions < 0 || t.ReplacementsBeforeReview < 0:
		return Errorf(EINVALID, "次数限制不能为负数。")
	}
	if t.Status == "" {
		t.Status = TaskDraft
	}
	if t.ProfileID == "" {
		t.ProfileID = DefaultProfileID
	}
	if t.ExportKey == "" {
		t.ExportKey = ExportByDocument
	}
	if t.DailyStandardizeLimit == 0 {
		t.DailyStandardizeLimit = DefaultDailyStandardizeLimit
	}
	return nil
}
