package xiaoxiang

import (
	"errors"
	"fmt"
)

// Error codes. Each surface maps them to a status in one table (HTTP: see internal/web).
const (
	ENOTFOUND     = "not_found"    // the thing does not exist (or is not visible to the caller)
	EINVALID      = "invalid"      // bad input; Message says which field and why
	ECONFLICT     = "conflict"     // state does not allow it (already linked, already paid, locked)
	EFORBIDDEN    = "forbidden"    // authenticated but not allowed (other school's data)
	EUNAUTHORIZED = "unauthorized" // not logged in / session expired
	EQUOTA        = "quota"        // a limit is used up (daily standardizations, resubmissions)
	ECLOSED       = "closed"       // task closed or outside its window
	EUNPAID       = "unpaid"       // the step needs a paid order
	EUNAVAILABLE  = "unavailable"  // an upstream (WeChat, CTID) is down; try later
	ETOOMANY      = "too_many"     // rate limited
	EINTERNAL     = "internal"     // a bug or an unexpected failure; never shown in detail
)

// Error is a domain error: a code for machines and a safe Chinese message for people.
// The cause (if any) is for logs only.
type Error struct {
	Code    string
	Message string // safe to show to the user, in Chinese
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Cause)
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Cause }

// Errorf returns a domain error with a formatted Chinese message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WrapError returns a domain error that keeps cause for the logs.
func WrapError(code, message string, cause error) *Error {
	return &Error{Code: code, Message: message, Cause: cause}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL for any
// other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-safe message of err: the *Error's message, or a generic
// Chinese sentence for anything else (internal details never reach users).
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) && e.Message != "" {
		return e.Message
	}
	return "系统繁忙，请稍后再试。"
}
