package identity

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// fixedNow is the "current time" for table tests.
var fixedNow = time.Date(2026, 11, 29, 12, 0, 0, 0, chinaTime)

// withCheck appends the GB 11643 check character to 17 digits.
func withCheck(d17 string) string { return d17 + string(checkChar(d17)) }

// wrongCheck returns d17 plus a check char that is not the right one.
func wrongCheck(d17 string) string {
	good := checkChar(d17)
	for _, c := range []byte("0123456789X") {
		if c != good {
			return d17 + string(c)
		}
	}
	panic("unreachable")
}

type vcase struct {
	name string
	kind Kind
	in   string
	want string // normalized on success
	rule Rule   // "" = valid
	msg  string // expected Chinese message (substring) when invalid
}

var validateCases = []vcase{
	{"example", KindResidentID, "11010519491231002X", "11010519491231002X", "", ""},
	{"lowercase x", KindResidentID, "11010519491231002x", "11010519491231002X", "", ""},
	{"full-width", KindResidentID, "１１０１０５１９４９１２３１００２ｘ", "11010519491231002X", "", ""},
	{"inner spaces and nbsp", KindResidentID, " 110105 19491231\u00a0002X\u3000", "11010519491231002X", "", ""},
	{"zero-width space", KindResidentID, "110105\u200b19491231002X", "11010519491231002X", "", ""},
	{"empty", KindResidentID, "  \u3000 ", "", RuleEmpty, "请填写身份证号"},
	{"too short", KindResidentID, "1101051949123100", "", RuleLength, "身份证号应为18位，当前为16位"},
	{"too long", KindResidentID, "11010519491231002X1", "", RuleLength, "当前为19位"},
	{"15 digits", KindResidentID, "110105491231002", "", RuleLength, "15位第一代身份证号已停用"},
	{"letter inside", KindResidentID, "1101051949123100AX", "", RuleChars, "前17位应为数字"},
	{"chinese inside", KindResidentID, "11010519491231002号", "", RuleChars, "前17位应为数字"},
	{"huge input", KindResidentID, strings.Repeat("1", 300), "", RuleLength, "身份证号过长"},
	{"month 13", KindResidentID, withCheck("11010519491331002"), "", RuleDate, "出生日期（第7至14位）不是有效日期"},
	{"day 00", KindResidentID, withCheck("11010519490100002"), "", RuleDate, "不是有效日期"},
	{"year 1899", KindResidentID, withCheck("11010518991231002"), "", RuleDate, "不是有效日期"},
	{"feb 29 leap 1996", KindResidentID, withCheck("11010519960229002"), withCheck("11010519960229002"), "", ""},
	{"feb 29 leap 2000", KindResidentID, withCheck("11010520000229002"), withCheck("11010520000229002"), "", ""},
	{"feb 29 non-leap 1900", KindResidentID, withCheck("11010519000229002"), "", RuleDate, "不是有效日期"},
	{"feb 29 non-leap 2001", KindResidentID, withCheck("11010520010229002"), "", RuleDate, "不是有效日期"},
	{"feb 30", KindResidentID, withCheck("11010520000230002"), "", RuleDate, "不是有效日期"},
	{"apr 31", KindResidentID, withCheck("11010520000431002"), "", RuleDate, "不是有效日期"},
	{"born today", KindResidentID, withCheck("11010520261129002"), withCheck("11010520261129002"), "", ""},
	{"born tomorrow", KindResidentID, withCheck("11010520261130002"), "", RuleFuture, "出生日期晚于今天"},
	{"born 2030", KindResidentID, withCheck("11010520300101002"), "", RuleFuture, "出生日期晚于今天"},
	{"unknown address code ok", KindResidentID, withCheck("00000019900101002"), withCheck("00000019900101002"), "", ""},
	{"permit as resident", KindResidentID, withCheck("81000019900101002"), "", RuleKind, "请将证件类型选择为“港澳台居民居住证”"},
	{"foreign pr as resident", KindResidentID, withCheck("93115619900101002"), "", RuleKind, "外国人永久居留身份证"},
	{"permit hk", KindResidencePermit, withCheck("81000019900101002"), withCheck("81000019900101002"), "", ""},
	{"permit macau", KindResidencePermit, withCheck("82000020010101003"), withCheck("82000020010101003"), "", ""},
	{"permit taiwan", KindResidencePermit, withCheck("83000019951231004"), withCheck("83000019951231004"), "", ""},
	{"permit wrong prefix", KindResidencePermit, "11010519491231002X", "", RulePrefix, "应以810000、820000或830000开头"},
	{"permit bad check", KindResidencePermit, wrongCheck("81000019900101002"), "", RuleCheck, "居住证号码校验位不正确，请核对最后一位"},
	{"foreign 2023", KindForeignPR, withCheck("93115619900101002"), withCheck("93115619900101002"), "", ""},
	{"foreign 2023 bad check", KindForeignPR, wrongCheck("93115619900101002"), "", RuleCheck, "校验位不正确"},
	{"foreign 2023 not 9", KindForeignPR, "11010519491231002X", "", RulePrefix, "应以9开头"},
	{"foreign 2023 bad date", KindForeignPR, withCheck("93115619901301002"), "", RuleDate, "不是有效日期"},
	{"foreign 2017", KindForeignPR, "usa123456789012", "USA123456789012", "", ""},
	{"foreign 2017 bad", KindForeignPR, "US1234567890123", "", RuleChars, "3个字母加12位数字"},
	{"foreign bad length", KindForeignPR, "USA12345", "", RuleLength, "应为18位（2023年版）或15位（2017年版）"},
	{"hkmo H8", KindHKMOPass, "h12345678", "H12345678", "", ""},
	{"hkmo M10", KindHKMOPass, "M1234567801", "M1234567801", "", ""},
	{"hkmo 7 digits", KindHKMOPass, "H1234567", "", RuleLength, "H或M加8位数字"},
	{"hkmo letter", KindHKMOPass, "A12345678", "", RulePrefix, "H或M加8位数字"},
	{"hkmo digits", KindHKMOPass, "H1234567A", "", RuleChars, "H或M加8位数字"},
	{"tw", KindTWPass, "１２３４５６７８", "12345678", "", ""},
	{"tw 9", KindTWPass, "123456789", "", RuleLength, "8位数字"},
	{"tw letter", KindTWPass, "1234567A", "", RuleChars, "8位数字"},
	{"passport", KindPassport, "e12345678", "E12345678", "", ""},
	{"passport 5", KindPassport, "AB123", "AB123", "", ""},
	{"passport 17", KindPassport, strings.Repeat("A", 17), strings.Repeat("A", 17), "", ""},
	{"passport 4", KindPassport, "AB12", "", RuleLength, "5至17位"},
	{"passport 18", KindPassport, strings.Repeat("A", 18), "", RuleLength, "5至17位"},
	{"passport dash", KindPassport, "E1234-5678", "", RuleChars, "只能包含英文字母和数字"},
	{"unknown kind", Kind("driver"), "123", "", RuleKind, "不支持的证件类型"},
}

func TestValidate(t *testing.T) {
	for _, c := range validateCases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ValidateAt(c.kind, c.in, fixedNow)
			if c.rule == "" {
				if err != nil {
					t.Fatalf("want valid, got %v (%s)", err, UserMessage(err))
				}
				if got != c.want {
					t.Fatalf("normalized = %q, want %q", got, c.want)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("want *ValidationError rule %s, got %v", c.rule, err)
			}
			if ve.Rule != c.rule {
				t.Errorf("rule = %s, want %s (%s)", ve.Rule, c.rule, ve.Message())
			}
			if !strings.Contains(ve.Message(), c.msg) {
				t.Errorf("message %q does not contain %q", ve.Message(), c.msg)
			}
			if got != "" {
				t.Errorf("normalized = %q on error", got)
			}
			if n := Normalize(c.in); len(n) >= 4 && strings.Contains(err.Error(), n) {
				t.Errorf("error text leaks the number: %q", err.Error())
			}
		})
	}
}

func TestEveryWrongCheckDigit(t *testing.T) {
	const d17 = "11010519491231002"
	for _, c := range "0123456789X" {
		s := d17 + string(c)
		_, err := ValidateAt(KindResidentID, s, fixedNow)
		if c == 'X' {
			if err != nil {
				t.Fatalf("%c: valid example rejected: %v", c, err)
			}
			continue
		}
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Rule != RuleCheck || ve.Message() != "身份证号校验位不正确，请核对最后一位" {
			t.Errorf("check %c: got %v", c, err)
		}
	}
	// A single changed body digit is always caught by MOD 11-2.
	for i := 0; i < 17; i++ {
		if i >= 6 && i < 14 {
			continue // date digits may fail the date rule first
		}
		b := []byte("11010519491231002X")
		b[i] = '0' + (b[i]-'0'+1)%10
		if _, err := ValidateAt(KindResidentID, string(b), fixedNow); err == nil {
			t.Errorf("digit %d changed: still valid", i)
		}
	}
}

func TestValidateUsesCurrentTime(t *testing.T) {
	tomorrow := time.Now().In(chinaTime).AddDate(0, 0, 1).Format("20060102")
	if _, err := Validate(KindResidentID, withCheck("110105"+tomorrow+"002")); err == nil {
		t.Fatal("birth date tomorrow accepted")
	}
}

func TestDetect(t *testing.T) {
	cases := []struct {
		in   string
		want Kind
		ok   bool
	}{
		{"11010519491231002x", KindResidentID, true},
		{"11010519491231002Y", "", false},
		{withCheck("81000019900101002"), KindResidencePermit, true},
		{withCheck("82000019900101002"), KindResidencePermit, true},
		{withCheck("83000019900101002"), KindResidencePermit, true},
		{withCheck("93115619900101002"), KindForeignPR, true},
		{"USA123456789012", KindForeignPR, true},
		{"H12345678", KindHKMOPass, true},
		{"m1234567801", KindHKMOPass, true},
		{"12345678", KindTWPass, true},
		{"E12345678", KindPassport, true},
		{"1234", "", false},
		{"张三", "", false},
		{"", "", false},
		{strings.Repeat("1", 1000), "", false},
	}
	for _, c := range cases {
		got, ok := Detect(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("Detect(%q) = %q,%v want %q,%v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestMask(t *testing.T) {
	cases := []struct{ in, mask, middle, last4 string }{
		{"11010519491231002x", "**************002X", "1101**********002X", "002X"},
		{"H12345678", "*****5678", "*****5678", "5678"},
		{"ABCD", "****", "****", ""},
		{"", "", "", ""},
	}
	for _, c := range cases {
		if got := Mask(c.in); got != c.mask {
			t.Errorf("Mask(%q) = %q want %q", c.in, got, c.mask)
		}
		if got := MaskMiddle(c.in); got != c.middle {
			t.Errorf("MaskMiddle(%q) = %q want %q", c.in, got, c.middle)
		}
		if got := Last4(c.in); got != c.last4 {
			t.Errorf("Last4(%q) = %q want %q", c.in, got, c.last4)
		}
	}
}

func TestBirthDateAndSex(t *testing.T) {
	d, err := BirthDate("11010519491231002x")
	if err != nil || d.Format("2006-01-02") != "1949-12-31" {
		t.Fatalf("BirthDate = %v, %v", d, err)
	}
	if s, err := SexOf("11010519491231002X"); err != nil || s != SexFemale || s.Label() != "女" {
		t.Fatalf("SexOf = %v, %v", s, err)
	}
	male := withCheck("11010520000101001")
	if s, err := SexOf(male); err != nil || s != SexMale {
		t.Fatalf("SexOf(male) = %v, %v", s, err)
	}
	if s, err := SexOf(withCheck("81000019900101003")); err != nil || s != SexMale {
		t.Fatalf("SexOf(permit) = %v, %v", s, err)
	}
	if d, err := BirthDate(withCheck("93115619900102002")); err != nil || d.Format("20060102") != "19900102" {
		t.Fatalf("BirthDate(foreign) = %v, %v", d, err)
	}
	for _, bad := range []string{"11010519491231002Y", "110105194912310021", "H12345678", ""} {
		if _, err := BirthDate(bad); err == nil {
			t.Errorf("BirthDate(%q) accepted", bad)
		}
		if _, err := SexOf(bad); err == nil {
			t.Errorf("SexOf(%q) accepted", bad)
		}
	}
	if _, err := SexOf(withCheck("93115619900101002")); err == nil {
		t.Error("SexOf(foreign PR) accepted")
	}
}

func TestNormalizeStudentNo(t *testing.T) {
	cases := []struct {
		in, want string
		rule     Rule
	}{
		{" 2023ab01 ", "2023AB01", ""},
		{"２０２３－０１", "2023-01", ""},
		{"2023_01", "2023_01", ""},
		{"", "", RuleEmpty},
		{"2023/01", "", RuleChars},
		{"学号1", "", RuleChars},
		{strings.Repeat("1", 33), "", RuleLength},
		{strings.Repeat("1", 32), strings.Repeat("1", 32), ""},
	}
	for _, c := range cases {
		got, err := NormalizeStudentNo(c.in)
		var ve *ValidationError
		switch {
		case c.rule == "" && (err != nil || got != c.want):
			t.Errorf("NormalizeStudentNo(%q) = %q, %v want %q", c.in, got, err, c.want)
		case c.rule != "" && (!errors.As(err, &ve) || ve.Rule != c.rule || ve.Message() == ""):
			t.Errorf("NormalizeStudentNo(%q) err = %v want rule %s", c.in, err, c.rule)
		}
	}
}

func TestParseKindAndSex(t *testing.T) {
	for in, want := range map[string]Kind{
		"resident_id": KindResidentID, "RESIDENT_ID": KindResidentID, "居民身份证": KindResidentID, " 身份证 ": KindResidentID,
		"回乡证": KindHKMOPass, "台胞证": KindTWPass, "港澳台居民居住证": KindResidencePermit,
		"外国人永久居留身份证": KindForeignPR, "护照": KindPassport, "passport": KindPassport,
	} {
		if got, err := ParseKind(in); err != nil || got != want {
			t.Errorf("ParseKind(%q) = %q, %v want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "驾驶证", "resident"} {
		if _, err := ParseKind(bad); err == nil || UserMessage(err) == "" {
			t.Errorf("ParseKind(%q) accepted", bad)
		}
	}
	for _, k := range Kinds() {
		if k.Label() == "" || !k.Valid() {
			t.Errorf("kind %q has no label", k)
		}
		if got, err := ParseKind(k.Label()); err != nil || got != k {
			t.Errorf("ParseKind(label of %s) = %q, %v", k, got, err)
		}
	}
	for in, want := range map[string]Sex{"男": SexMale, "女": SexFemale, "m": SexMale, "Female": SexFemale} {
		if got, err := ParseSex(in); err != nil || got != want {
			t.Errorf("ParseSex(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseSex("未知"); err == nil {
		t.Error("ParseSex(未知) accepted")
	}
}

func TestNormalizeIdempotent(t *testing.T) {
	for _, c := range validateCases {
		n := Normalize(c.in)
		if Normalize(n) != n {
			t.Errorf("Normalize not idempotent on %q", c.in)
		}
	}
}

func FuzzValidate(f *testing.F) {
	for _, c := range validateCases {
		f.Add(string(c.kind), c.in)
	}
	f.Add("passport", "\xff\xfe")
	f.Fuzz(func(t *testing.T, kind, s string) {
		n, err := ValidateAt(Kind(kind), s, fixedNow)
		if err == nil {
			if Normalize(n) != n {
				t.Fatalf("normalized value not normalized: %q", n)
			}
			if _, ok := Detect(n); !ok {
				t.Fatalf("valid %s %q not detected as any kind", kind, n)
			}
		} else if UserMessage(err) == "" {
			t.Fatalf("error without message: %v", err)
		}
		_ = Mask(s)
		_ = MaskMiddle(s)
		_ = Last4(s)
		_, _ = Detect(s)
		_, _ = BirthDate(s)
		_, _ = SexOf(s)
		_, _ = NormalizeStudentNo(s)
		_, _ = ParseKind(kind)
	})
}
