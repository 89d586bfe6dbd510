package identity

import (
	"fmt"
	"strings"
)

// Kind is a document kind. Its value is a stable code usable in a database
// column and in HTML forms.
type Kind string

// Document kinds.
const (
	KindResidentID      Kind = "resident_id"      // 居民身份证 (GB 11643-1999)
	KindResidencePermit Kind = "residence_permit" // 港澳台居民居住证
	KindForeignPR       Kind = "foreign_pr"       // 外国人永久居留身份证
	KindHKMOPass        Kind = "hkmo_pass"        // 港澳居民来往内地通行证
	KindTWPass          Kind = "tw_pass"          // 台湾居民来往大陆通行证
	KindPassport        Kind = "passport"         // 护照
)

var kinds = []Kind{KindResidentID, KindResidencePermit, KindForeignPR, KindHKMOPass, KindTWPass, KindPassport}

var kindLabels = map[Kind]string{
	KindResidentID:      "居民身份证",
	KindResidencePermit: "港澳台居民居住证",
	KindForeignPR:       "外国人永久居留身份证",
	KindHKMOPass:        "港澳居民来往内地通行证",
	KindTWPass:          "台湾居民来往大陆通行证",
	KindPassport:        "护照",
}

// noun is how messages refer to the number of each kind.
var kindNouns = map[Kind]string{
	KindResidentID:      "身份证号",
	KindResidencePermit: "居住证号码",
	KindForeignPR:       "永久居留身份证号码",
	KindHKMOPass:        "通行证号码",
	KindTWPass:          "通行证号码",
	KindPassport:        "护照号码",
}

// Kinds returns all document kinds in display order (resident ID first).
func Kinds() []Kind { return append([]Kind(nil), kinds...) }

// Valid reports whether k is a known kind.
func (k Kind) Valid() bool { _, ok := kindLabels[k]; return ok }

// Label returns the Chinese name of the kind, or "" for an unknown kind.
func (k Kind) Label() string { return kindLabels[k] }

// String returns the stable code.
func (k Kind) String() string { return string(k) }

// kindSynonyms maps Chinese labels and common colloquial names (as found in
// school rosters) to kinds. Keys are normalised with normalizeLabel.
var kindSynonyms = map[string]Kind{
	"居民身份证": KindResidentID, "身份证": KindResidentID, "二代身份证": KindResidentID,
	"中国居民身份证": KindResidentID, "大陆居民身份证": KindResidentID, "身份证号": KindResidentID,
	"港澳台居民居住证": KindResidencePermit, "居住证": KindResidencePermit, "港澳居民居住证": KindResidencePermit,
	"台湾居民居住证": KindResidencePermit, "港澳台居住证": KindResidencePermit,
	"外国人永久居留身份证": KindForeignPR, "外国人永久居留证": KindForeignPR, "永久居留身份证": KindForeignPR,
	"永久居留证": KindForeignPR, "外国人居留证": KindForeignPR,
	"港澳居民来往内地通行证": KindHKMOPass, "回乡证": KindHKMOPass, "港澳通行证": KindHKMOPass,
	"港澳居民通行证":     KindHKMOPass,
	"台湾居民来往大陆通行证": KindTWPass, "台胞证": KindTWPass, "台湾通行证": KindTWPass,
	"台湾居民通行证": KindTWPass,
	"护照":      KindPassport, "外国护照": KindPassport, "PASSPORT": KindPassport,
}

func normalizeLabel(s string) string { return Normalize(s) }

// ParseKind accepts a stable code ("resident_id", case-insensitive), a Chinese
// label ("居民身份证") or a common synonym ("身份证", "回乡证", "台胞证").
func ParseKind(s string) (Kind, error) {
	n := normalizeLabel(s)
	if n == "" {
		return "", &ValidationError{Rule: RuleKind, msg: "请选择证件类型", log: "empty document kind"}
	}
	if k := Kind(strings.ToLower(n)); k.Valid() {
		return k, nil
	}
	if k, ok := kindSynonyms[n]; ok {
		return k, nil
	}
	return "", &ValidationError{Rule: RuleKind, msg: "不支持的证件类型", log: fmt.Sprintf("unknown document kind %q", truncate(n, 40))}
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
