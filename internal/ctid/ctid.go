// Package ctid verifies a mainland resident's identity against the national
// population database through an authorised CTID channel (公安部第一研究所
// “互联网+”可信身份认证平台, or a vendor backed by it). Two modes exist:
// 0x40 name + ID number, and 0x42 name + ID number + portrait.
//
// Only the Result (outcome, score, channel serial, time) may be stored;
// nothing the channel returns beyond that is kept, and the request data
// (name, number, portrait) is never logged. An automated verdict is never
// the only path: callers route every non-valid outcome and every error to
// manual review.
package ctid

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Mode is the CTID authentication mode.
type Mode int

// Modes offered by the CTID channel.
const (
	ModeNameID         Mode = 0x40 // 两要素: name + ID number
	ModeNameIDPortrait Mode = 0x42 // 两要素+头像: name + ID number + portrait
)

func (m Mode) String() string {
	switch m {
	case ModeNameID:
		return "0x40"
	case ModeNameIDPortrait:
		return "0x42"
	}
	return fmt.Sprintf("0x%02x", int(m))
}

// Outcome is the verdict of one verification.
type Outcome string

// Outcomes. Everything but OutcomeValid sends the student to manual review.
const (
	OutcomeValid        Outcome = "valid"         // identity (and face) confirmed
	OutcomeMismatch     Outcome = "mismatch"      // name and ID number do not belong together
	OutcomeNoRecord     Outcome = "no_record"     // no such ID number on record
	OutcomeNoPhoto      Outcome = "no_photo"      // record has no usable photo (0x42 only)
	OutcomeFaceMismatch Outcome = "face_mismatch" // portrait is not the record's person (0x42 only)
)

// Result is everything we keep about a verification.
type Result struct {
	Outcome Outcome
	Score   int    // face similarity 0–100 for 0x42; 0 for 0x40
	Serial  string // the channel's business serial number (bizSerialNum)
	At      time.Time
}

// UserMessage returns the Chinese explanation shown to the student.
func (r Result) UserMessage() string {
	switch r.Outcome {
	case OutcomeValid:
		return "身份信息核验通过"
	case OutcomeMismatch:
		return "姓名与身份证号不一致，请核对姓名（含曾用名）和证件号码；如仍有疑问，将转人工审核"
	case OutcomeNoRecord:
		return "未查询到该身份证号的登记信息，请核对证件号码，或转人工审核"
	case OutcomeNoPhoto:
		return "公安留底照片缺失或不可用，可通过国家网络身份认证App（网证CTID）更新留底照片，或转人工审核"
	case OutcomeFaceMismatch:
		return "照片与身份证留底照片比对未通过，请重新拍摄正面清晰照片，或转人工审核"
	}
	return "身份核验暂时无法完成，已转人工审核"
}

// Request is the data sent for one verification. It is never stored or logged.
type Request struct {
	Name     string
	IDNumber string // 18-char mainland resident ID (X upper-case)
	Portrait []byte // JPEG, about 640×480 and ≤ ~50 KB; 0x42 only
	// ValidFrom/ValidTo: the ID card's validity (YYYYMMDD; ValidTo may be
	// "长期"); optional.
	ValidFrom, ValidTo string
}

// String never prints the personal data.
func (r Request) String() string {
	return fmt.Sprintf("ctid.Request{portrait:%d bytes}", len(r.Portrait))
}

// GoString never prints the personal data.
func (r Request) GoString() string { return r.String() }

// Errors.
var (
	// ErrUnavailable: the channel is down, busy or refused our credentials;
	// route to manual review and maybe retry later.
	ErrUnavailable = errors.New("ctid: channel unavailable")
	// ErrInvalidRequest: the request cannot be verified by CTID (not a
	// mainland resident ID, missing portrait, …); route to manual review.
	ErrInvalidRequest = errors.New("ctid: invalid request")
)

// Verifier is the boundary the platform uses; Client (the CTID channel)
// implements it, and so can a vendor driver.
type Verifier interface {
	Verify(ctx context.Context, mode Mode, req Request) (Result, error)
}

var idWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

const idCheckChars = "10X98765432"

// ValidMainlandID reports whether s is an 18-character resident ID with a
// correct GB 11643 check character (upper-case X) and a plausible date. It
// guards the paid call; full document validation lives in internal/identity.
func ValidMainlandID(s string) bool {
	if len(s) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		sum += int(c-'0') * idWeights[i]
	}
	if s[17] != idCheckChars[sum%11] {
		return false
	}
	d, err := time.Parse("20060102", s[6:14])
	return err == nil && d.Year() >= 1900
}

func (r Request) check(mode Mode) error {
	switch {
	case mode != ModeNameID && mode != ModeNameIDPortrait:
		return fmt.Errorf("%w: unsupported mode %s", ErrInvalidRequest, mode)
	case r.Name == "" || len([]rune(r.Name)) > 64:
		return fmt.Errorf("%w: name missing or too long", ErrInvalidRequest)
	case !ValidMainlandID(r.IDNumber):
		return fmt.Errorf("%w: not a mainland resident ID number", ErrInvalidRequest)
	case mode == ModeNameIDPortrait && len(r.Portrait) == 0:
		return fmt.Errorf("%w: portrait required for mode 0x42", ErrInvalidRequest)
	case mode == ModeNameIDPortrait && len(r.Portrait) > 200<<10:
		return fmt.Errorf("%w: portrait larger than 200 KB", ErrInvalidRequest)
	case mode == ModeNameIDPortrait && (len(r.Portrait) < 3 || r.Portrait[0] != 0xFF || r.Portrait[1] != 0xD8):
		return fmt.Errorf("%w: portrait is not a JPEG", ErrInvalidRequest)
	}
	return nil
}
