package xiaoxiang

import "time"

// Attempt is one photo the student took or picked for a binding: the original upload, its
// automatic quality report and, after 去制作, the standardized photo. Retakes before
// standardization are free and unlimited; each standardization uses one of the day's quota.
type Attempt struct {
	ID          int64
	BindingID   int64
	AccountID   int64
	TaskID      int64
	OriginalKey string // blob key of the uploaded original (as received, after validation)
	Width       int
	Height      int
	Source      string // "camera" or "album"
	// ReportJSON is the quality report (internal/photo.Report) as JSON; Verdict its summary
	// ("pass", "warn", "fail").
	ReportJSON string
	Verdict    string
	// StandardizedKey is the blob key of the standardized JPEG ("" until 去制作 succeeded).
	StandardizedKey string
	StandardizedAt  time.Time
	// ResultJSON is the standardization result (measured spec numbers) as JSON.
	ResultJSON string
	SHA256     string // of the standardized JPEG
	CreatedAt  time.Time
}

// Standardized reports whether the attempt has a standardized photo.
func (a *Attempt) Standardized() bool { return a.StandardizedKey != "" }

// SubmissionStatus is the review lifecycle of a binding's photo.
//
//	uploaded(已上传) → pending(待审核) → approved(已完成) → delivered(已交付)
//	                                  ↘ rejected(未通过) → uploaded (free resubmission)
type SubmissionStatus string

const (
	SubmissionUploaded  SubmissionStatus = "uploaded"
	SubmissionPending   SubmissionStatus = "pending"
	SubmissionApproved  SubmissionStatus = "approved"
	SubmissionRejected  SubmissionStatus = "rejected"
	SubmissionDelivered SubmissionStatus = "delivered"
)

// Label is the Chinese label shown to students and staff.
func (s SubmissionStatus) Label() string {
	switch s {
	case SubmissionUploaded:
		return "已上传"
	case SubmissionPending:
		return "待审核"
	case SubmissionApproved:
		return "已完成"
	case SubmissionRejected:
		return "未通过"
	case SubmissionDelivered:
		return "已交付"
	}
	return string(s)
}

var submissionTransitions = map[SubmissionStatus][]SubmissionStatus{
	SubmissionUploaded: {SubmissionPending},
	SubmissionPending:  {SubmissionApproved, SubmissionRejected},
	SubmissionRejected: {SubmissionUploaded},
	SubmissionApproved: {SubmissionDelivered},
}

// CanTransition reports whether a submission may move from s to next.
func (s SubmissionStatus) CanTransition(next SubmissionStatus) bool {
	for _, n := range submissionTransitions[s] {
		if n == next {
			return true
		}
	}
	return false
}

// Submission is the photo a binding submitted for human review, with its whole history
// in SubmissionEvent rows.
type Submission struct {
	ID                int64
	BindingID         int64
	AccountID         int64
	TaskID            int64
	SchoolID          int64
	AttemptID         int64 // the current photo
	Status            SubmissionStatus
	ReplacementsUsed  int // replacements before review
	ResubmissionsUsed int // free resubmissions after a rejection
	// Review.
	ReviewerID    int64
	ReviewedAt    time.Time
	RejectReasons []string // reason codes (see RejectReason)
	RejectNote    string   // free text from the reviewer, shown to the student
	ClaimedBy     int64    // reviewer holding the lock (0 = unclaimed)
	ClaimExpires  time.Time
	// Automatic identity checks (result + score + serial + time only).
	CTIDResult     string // "", "valid", "mismatch", "no_record", "no_photo", "unavailable", "skipped"
	CTIDScore      float64
	CTIDSerial     string
	CTIDAt         time.Time
	SamePersonDone bool
	SamePerson     bool
	SubmittedAt    time.Time
	DeliveredAt    time.Time
	PackageID      int64
	UpdatedAt      time.Time
}

// CanReplace reports whether the student may still replace the photo before review.
func (s *Submission) CanReplace(t *Task, now time.Time) error {
	switch {
	case s.Status == SubmissionApproved || s.Status == SubmissionDelivered:
		return Errorf(ECONFLICT, "照片已通过审核，不能再更换。")
	case s.Status == SubmissionRejected:
		return Errorf(ECONFLICT, "照片未通过审核，请重新拍摄后再次提交。")
	case s.ClaimedBy != 0 && now.Before(s.ClaimExpires):
		return Errorf(ECONFLICT, "照片正在人工审核中，暂时不能更换。")
	case s.ReplacementsUsed >= t.ReplacementsBeforeReview:
		return Errorf(EQUOTA, "审核前更换照片的次数（%d次）已用完。", t.ReplacementsBeforeReview)
	}
	return nil
}

// CanResubmit reports whether the student may resubmit after a rejection.
func (s *Submission) CanResubmit(t *Task) error {
	switch {
	case s.Status != SubmissionRejected:
		return Errorf(ECONFLICT, "当前状态（%s）不能重新提交。", s.Status.Label())
	case s.ResubmissionsUsed >= t.FreeResubmissions:
		return Errorf(EQUOTA, "免费重新提交的次数（%d次）已用完，请联系客服。", t.FreeResubmissions)
	}
	return nil
}

// SubmissionEvent is one recorded transition or action on a submission: who, when, why.
type SubmissionEvent struct {
	ID           int64
	SubmissionID int64
	Action       string // submit, replace, queue, claim, approve, reject, resubmit, deliver, ctid
	From, To     SubmissionStatus
	ActorKind    string // "student", "staff", "system"
	ActorID      int64
	Reason       string
	CreatedAt    time.Time
}

// RejectReason is one structured rejection reason from the configurable list.
type RejectReason struct {
	Code    string // stable code, e.g. "background"
	Label   string // reviewer-facing short label, e.g. 背景不合格
	Message string // student-facing advice
}

// DefaultRejectReasons is the initial list (operators can change it).
var DefaultRejectReasons = []RejectReason{
	{"blurry", "照片模糊", "照片不清晰，请在光线充足处对焦后重新拍摄。"},
	{"pose", "姿态不正", "请坐正，头部不要倾斜或转动，双眼平视镜头。"},
	{"eyes", "眼部问题", "请睁开双眼，不要佩戴有色眼镜，镜片不能反光，头发不要遮挡眉毛和眼睛。"},
	{"expression", "表情不自然", "请保持自然表情，嘴巴闭合。"},
	{"lighting", "光线问题", "面部光线不均匀或过暗/过亮，请在均匀光线下拍摄，避免阴阳脸。"},
	{"background", "背景/边缘问题", "衣服颜色与背景接近或边缘有黑边，请换深色衣服在纯色背景前重新拍摄。"},
	{"framing", "构图不合格", "请露出完整头顶和双肩，头部位于画面中央。"},
	{"accessory", "饰物/遮挡", "请摘下帽子、耳饰、项链等饰物，露出双耳。"},
	{"not_person", "非本人或翻拍", "照片须为本人近期正面免冠彩色照片，不得翻拍或使用他人照片。"},
	{"edited", "照片经过处理", "照片不得美颜、修图、镜像或旋转，请使用原始照片。"},
	{"other", "其他", "照片不符合要求，请查看审核意见后重新拍摄。"},
}
