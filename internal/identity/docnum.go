package identity

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// MaxInputLen is the longest raw input (in bytes) Validate and Detect look at;
// longer input is rejected as too long without further processing.
const MaxInputLen = 256

// chinaTime is the zone used for "not in the future" (China has no DST).
var chinaTime = time.FixedZone("CST", 8*3600)

// Weights and check characters of ISO 7064 MOD 11-2 as used by GB 11643-1999.
var (
	checkWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	checkChars   = "10X98765432"
)

// Normalize trims s, converts full-width ASCII variants (and the ideographic
// space) to half-width, removes all whitespace and invisible format characters
// (also inside the value), and upper-cases ASCII letters. It is idempotent.
func Normalize(s string) string {
	return upperASCII(stripSpaces(toHalfWidth(s)))
}

// upperASCII upper-cases ASCII letters only, so that Go and JavaScript agree
// (JavaScript's toUpperCase expands some non-ASCII letters).
func upperASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, s)
}

func toHalfWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFEE0
		case r == 0x3000:
			return ' '
		}
		return r
	}, s)
}

func stripSpaces(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func fail(k Kind, r Rule, msg, log string) *ValidationError {
	return &ValidationError{Kind: k, Rule: r, msg: msg, log: log}
}

// Validate normalises s and checks it against the rules of kind k. On success
// it returns the normalised number (lower-case x stored as X).
// The birth date must not be after today in China (UTC+8).
func Validate(k Kind, s string) (string, error) {
	return ValidateAt(k, s, time.Now())
}

// ValidateAt is Validate with an explicit current time.
func ValidateAt(k Kind, s string, now time.Time) (string, error) {
	if !k.Valid() {
		return "", fail(k, RuleKind, "不支持的证件类型", "unknown document kind")
	}
	noun := kindNouns[k]
	if len(s) > MaxInputLen {
		return "", fail(k, RuleLength, noun+"过长，请核对", "input too long")
	}
	n := Normalize(s)
	if n == "" {
		return "", fail(k, RuleEmpty, "请填写"+noun, "empty")
	}
	var err *ValidationError
	switch k {
	case KindResidentID:
		err = validateResident(n, now)
	case KindResidencePermit:
		err = validatePermit(n, now)
	case KindForeignPR:
		err = validateForeignPR(n, now)
	case KindHKMOPass:
		err = validateHKMO(n)
	case KindTWPass:
		err = validateTW(n)
	case KindPassport:
		err = validatePassport(n)
	}
	if err != nil {
		return "", err
	}
	return n, nil
}

// checkGB11643 validates an 18-character number with the GB 11643 layout:
// 17 digits, a YYYYMMDD date at positions 7–14, and the MOD 11-2 check char.
func checkGB11643(k Kind, n string, now time.Time) *ValidationError {
	noun := kindNouns[k]
	if utf8.RuneCountInString(n) != 18 {
		return fail(k, RuleLength, fmt.Sprintf("%s应为18位，当前为%d位", noun, utf8.RuneCountInString(n)),
			fmt.Sprintf("length %d, want 18", utf8.RuneCountInString(n)))
	}
	if !allDigits(n[:17]) || !(isDigit(n[17]) || n[17] == 'X') {
		return fail(k, RuleChars, noun+"前17位应为数字，最后一位为数字或X", "bad characters")
	}
	if _, err := birthDate(n); err != nil {
		return fail(k, RuleDate, noun+"中的出生日期（第7至14位）不是有效日期", "invalid birth date")
	}
	if d, _ := birthDate(n); d.After(today(now)) {
		return fail(k, RuleFuture, noun+"中的出生日期晚于今天，请核对", "birth date in the future")
	}
	if checkChar(n[:17]) != n[17] {
		return fail(k, RuleCheck, noun+"校验位不正确，请核对最后一位", "check character mismatch")
	}
	return nil
}

// checkChar computes the GB 11643 check character of 17 digits.
func checkChar(d17 string) byte {
	s := 0
	for i := 0; i < 17; i++ {
		s += int(d17[i]-'0') * checkWeights[i]
	}
	return checkChars[s%11]
}

func today(now time.Time) time.Time {
	y, m, d := now.In(chinaTime).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// birthDate parses positions 7–14 as a date (UTC midnight). Years before 1900
// are rejected as not plausible.
func birthDate(n string) (time.Time, error) {
	ds := n[6:14]
	if !allDigits(ds) {
		return time.Time{}, fmt.Errorf("birth date not numeric")
	}
	t, err := time.Parse("20060102", ds)
	if err != nil || t.Year() < 1900 {
		return time.Time{}, fmt.Errorf("invalid birth date")
	}
	return t, nil
}

func isPermitPrefix(n string) bool {
	return strings.HasPrefix(n, "810000") || strings.HasPrefix(n, "820000") || strings.HasPrefix(n, "830000")
}

func validateResident(n string, now time.Time) *ValidationError {
	k := KindResidentID
	if len(n) == 15 && allDigits(n) {
		return fail(k, RuleLength, "15位第一代身份证号已停用，请填写18位身份证号", "first-generation 15-digit number")
	}
	if err := checkGB11643(k, n, now); err != nil {
		return err
	}
	if isPermitPrefix(n) {
		return fail(k, RuleKind, "该号码是港澳台居民居住证号码，请将证件类型选择为“港澳台居民居住证”", "number is a residence permit")
	}
	if n[0] == '9' {
		return fail(k, RuleKind, "该号码是外国人永久居留身份证号码，请将证件类型选择为“外国人永久居留身份证”", "number is a foreign permanent resident ID")
	}
	return nil
}

func validatePermit(n string, now time.Time) *ValidationError {
	k := KindResidencePermit
	if err := checkGB11643(k, n, now); err != nil {
		return err
	}
	if !isPermitPrefix(n) {
		return fail(k, RulePrefix, "港澳台居民居住证号码应以810000、820000或830000开头", "address code not 810000/820000/830000")
	}
	return nil
}

func validateForeignPR(n string, now time.Time) *ValidationError {
	k := KindForeignPR
	switch utf8.RuneCountInString(n) {
	case 18:
		if n[0] != '9' {
			return fail(k, RulePrefix, "18位的外国人永久居留身份证号码应以9开头", "2023 edition must start with 9")
		}
		return checkGB11643(k, n, now)
	case 15:
		if !isUpper(n[0]) || !isUpper(n[1]) || !isUpper(n[2]) || !allDigits(n[3:]) {
			return fail(k, RuleChars, "15位的外国人永久居留身份证号码应为3个字母加12位数字", "2017 edition must be 3 letters + 12 digits")
		}
		return nil
	}
	return fail(k, RuleLength, "外国人永久居留身份证号码应为18位（2023年版）或15位（2017年版）", "length not 18 or 15")
}

func validateHKMO(n string) *ValidationError {
	k := KindHKMOPass
	const msg = "港澳居民来往内地通行证号码应为H或M加8位数字（或加10位数字）"
	if len(n) != 9 && len(n) != 11 {
		return fail(k, RuleLength, msg, "length not 9 or 11")
	}
	if n[0] != 'H' && n[0] != 'M' {
		return fail(k, RulePrefix, msg, "must start with H or M")
	}
	if !allDigits(n[1:]) {
		return fail(k, RuleChars, msg, "bad characters")
	}
	return nil
}

func validateTW(n string) *ValidationError {
	k := KindTWPass
	const msg = "台湾居民来往大陆通行证号码应为8位数字"
	if len(n) != 8 {
		return fail(k, RuleLength, msg, "length not 8")
	}
	if !allDigits(n) {
		return fail(k, RuleChars, msg, "bad characters")
	}
	return nil
}

func validatePassport(n string) *ValidationError {
	k := KindPassport
	for i := 0; i < len(n); i++ {
		if !isDigit(n[i]) && !isUpper(n[i]) {
			return fail(k, RuleChars, "护照号码只能包含英文字母和数字", "bad characters")
		}
	}
	if len(n) < 5 || len(n) > 17 {
		return fail(k, RuleLength, "护照号码应为5至17位英文字母或数字", "length not 5..17")
	}
	return nil
}

// Detect guesses the kind of a document number from its shape (after
// Normalize). An 18-character number is a resident ID unless its address code
// is 810000/820000/830000 (residence permit) or it starts with 9 (foreign
// permanent resident ID). Detect does not validate check digits or dates:
// call Validate with the detected kind for a precise message.
func Detect(s string) (Kind, bool) {
	if len(s) > MaxInputLen {
		return "", false
	}
	n := Normalize(s)
	switch {
	case len(n) == 18 && allDigits(n[:17]) && (isDigit(n[17]) || n[17] == 'X'):
		switch {
		case isPermitPrefix(n):
			return KindResidencePermit, true
		case n[0] == '9':
			return KindForeignPR, true
		}
		return KindResidentID, true
	case len(n) == 15 && isUpper(n[0]) && isUpper(n[1]) && isUpper(n[2]) && allDigits(n[3:]):
		return KindForeignPR, true
	case (len(n) == 9 || len(n) == 11) && (n[0] == 'H' || n[0] == 'M') && allDigits(n[1:]):
		return KindHKMOPass, true
	case len(n) == 8 && allDigits(n):
		return KindTWPass, true
	case len(n) >= 5 && len(n) <= 17 && validatePassport(n) == nil:
		return KindPassport, true
	}
	return "", false
}

// Mask normalises s and replaces every character but the last four with '*'
// (e.g. "**************002X"). Values of four characters or fewer are masked
// entirely, so Mask never reveals a whole number.
func Mask(s string) string {
	r := []rune(Normalize(s))
	keep := 4
	if len(r) <= keep {
		keep = 0
	}
	return strings.Repeat("*", len(r)-keep) + string(r[len(r)-keep:])
}

// MaskMiddle keeps the first four and last four characters (e.g.
// "1101**********002X"), for staff screens. Values of twelve characters or
// fewer fall back to Mask.
func MaskMiddle(s string) string {
	r := []rune(Normalize(s))
	if len(r) <= 12 {
		return Mask(s)
	}
	return string(r[:4]) + strings.Repeat("*", len(r)-8) + string(r[len(r)-4:])
}

// Last4 returns the last four characters of the normalised value ("" when the
// value has four characters or fewer, to avoid revealing it whole).
func Last4(s string) string {
	r := []rune(Normalize(s))
	if len(r) <= 4 {
		return ""
	}
	return string(r[len(r)-4:])
}

// Sex is a sex code as stored in rosters.
type Sex string

// Sex codes.
const (
	SexMale   Sex = "M"
	SexFemale Sex = "F"
)

// Label returns 男 or 女 ("" when unknown).
func (s Sex) Label() string {
	switch s {
	case SexMale:
		return "男"
	case SexFemale:
		return "女"
	}
	return ""
}

// ParseSex accepts 男/女, M/F, male/female (any case, full-width too).
func ParseSex(s string) (Sex, error) {
	switch Normalize(s) {
	case "男", "M", "MALE", "男性":
		return SexMale, nil
	case "女", "F", "FEMALE", "女性":
		return SexFemale, nil
	}
	return "", fail("", RuleChars, "性别应填写“男”或“女”", "unknown sex value")
}

// gb11643 validates s as a resident ID or residence permit (any GB 11643
// number not starting with 9) and returns the normalised value.
func gb11643(s string) (string, error) {
	k, ok := Detect(s)
	if !ok || (k != KindResidentID && k != KindResidencePermit) {
		return "", fail(KindResidentID, RuleKind, "不是有效的身份证号或居住证号码", "not a resident ID or residence permit")
	}
	return Validate(k, s)
}

// BirthDate returns the birth date encoded in a valid resident ID, residence
// permit or 2023-edition foreign permanent resident ID (UTC midnight).
func BirthDate(s string) (time.Time, error) {
	k, ok := Detect(s)
	if ok && k == KindForeignPR && len(Normalize(s)) == 18 {
		n, err := Validate(k, s)
		if err != nil {
			return time.Time{}, err
		}
		return birthDate(n)
	}
	n, err := gb11643(s)
	if err != nil {
		return time.Time{}, err
	}
	return birthDate(n)
}

// Sex returns the sex encoded in a valid resident ID or residence permit
// (17th digit odd = male, even = female).
func SexOf(s string) (Sex, error) {
	n, err := gb11643(s)
	if err != nil {
		return "", err
	}
	if (n[16]-'0')%2 == 1 {
		return SexMale, nil
	}
	return SexFemale, nil
}

// NormalizeStudentNo normalises a student number (学号) or exam number (考生号):
// trim, full-width to half-width, remove whitespace, upper-case. It allows
// letters, digits, '-' and '_' and 1–32 characters.
func NormalizeStudentNo(s string) (string, error) {
	if len(s) > MaxInputLen {
		return "", fail("", RuleLength, "学号过长，最多32位", "student number too long")
	}
	n := Normalize(s)
	if n == "" {
		return "", fail("", RuleEmpty, "请填写学号", "empty student number")
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !isDigit(c) && !isUpper(c) && c != '-' && c != '_' {
			return "", fail("", RuleChars, "学号只能包含英文字母、数字、短横线和下划线", "bad characters in student number")
		}
	}
	if len(n) > 32 {
		return "", fail("", RuleLength, "学号过长，最多32位", "student number too long")
	}
	return n, nil
}
