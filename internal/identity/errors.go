package identity

import "errors"

// Rule names the validation rule that failed.
type Rule string

// Validation rules.
const (
	RuleEmpty  Rule = "empty"  // nothing entered
	RuleKind   Rule = "kind"   // unknown document kind, or the number belongs to another kind
	RuleLength Rule = "length" // wrong number of characters
	RuleChars  Rule = "chars"  // characters not allowed at some position
	RulePrefix Rule = "prefix" // wrong leading characters (e.g. residence permit address code)
	RuleDate   Rule = "date"   // birth date is not a real calendar date
	RuleFuture Rule = "future" // birth date is after today
	RuleCheck  Rule = "check"  // check character mismatch
)

// ValidationError reports which rule a document number failed. Error returns
// an English text for logs; Message returns the Chinese text for end users.
// Neither contains the number itself.
type ValidationError struct {
	Kind Kind
	Rule Rule
	msg  string
	log  string
}

// Error implements error with an English, PII-free description.
func (e *ValidationError) Error() string {
	if e.Kind == "" {
		return "identity: " + e.log
	}
	return "identity: " + string(e.Kind) + ": " + e.log
}

// Message returns the Chinese message to show to the user.
func (e *ValidationError) Message() string { return e.msg }

// UserMessage returns the Chinese message of a *ValidationError inside err, or a
// generic Chinese message for any other non-nil error, or "" for nil.
func UserMessage(err error) string {
	if err == nil {
		return ""
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.msg
	}
	return "证件号码无法校验，请核对后重试"
}
