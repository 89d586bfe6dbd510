package wechat

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// FieldKind is a subscription-template keyword type; the data key is the
// kind followed by a number ("thing1", "phrase2", "time3").
type FieldKind string

// Keyword kinds and their value rules (WeChat answers 47003 when broken).
const (
	Thing           FieldKind = "thing"            // ≤20 characters
	Number          FieldKind = "number"           // ≤32 digits (may have a decimal point)
	Letter          FieldKind = "letter"           // ≤32 letters
	Symbol          FieldKind = "symbol"           // ≤5 symbols
	CharacterString FieldKind = "character_string" // ≤32 letters, digits, symbols
	Time            FieldKind = "time"             // "15:01" or "2019年10月1日 15:01"
	Date            FieldKind = "date"             // "2019年10月1日" (optionally with time)
	Amount          FieldKind = "amount"           // currency symbol + ≤10 digits, "¥15.00"
	PhoneNumber     FieldKind = "phone_number"     // ≤17 digits and symbols
	CarNumber       FieldKind = "car_number"       // ≤8 characters
	Name            FieldKind = "name"             // ≤10 汉字 or ≤20 letters
	Phrase          FieldKind = "phrase"           // ≤5 汉字
)

var keyRE = regexp.MustCompile(`^([a-z_]+?)(\d+)$`)

// KindOf returns the kind of a data key ("thing12" → Thing).
func KindOf(key string) (FieldKind, error) {
	m := keyRE.FindStringSubmatch(key)
	if m == nil {
		return "", fmt.Errorf("data key %q is not kind+number", key)
	}
	k := FieldKind(m[1])
	if _, ok := fieldRules[k]; !ok {
		return "", fmt.Errorf("data key %q has unknown kind %q", key, k)
	}
	return k, nil
}

var (
	numberRE  = regexp.MustCompile(`^[0-9]{1,32}(\.[0-9]+)?$`)
	letterRE  = regexp.MustCompile(`^[A-Za-z]{1,32}$`)
	charStrRE = regexp.MustCompile(`^[\x21-\x7e]{1,32}$`)
	timeRE    = regexp.MustCompile(`^(\d{4}年\d{1,2}月\d{1,2}日 )?([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?$`)
	dateRE    = regexp.MustCompile(`^\d{4}年\d{1,2}月\d{1,2}日( ([01]?\d|2[0-3]):[0-5]\d)?$`)
	amountRE  = regexp.MustCompile(`^[¥￥$]?[0-9]{1,10}(\.[0-9]{1,2})?元?$`)
	phoneRE   = regexp.MustCompile(`^[0-9+\-() ]{1,17}$`)
	latinRE   = regexp.MustCompile(`^[A-Za-z .·]{1,20}$`)
)

func allHan(s string) bool {
	for _, r := range s {
		if !unicode.Is(unicode.Han, r) {
			return false
		}
	}
	return true
}

var fieldRules = map[FieldKind]func(string) error{
	Thing: func(v string) error { return maxRunes(v, 20) },
	Number: func(v string) error {
		return matchRE(numberRE, v, "must be ≤32 digits")
	},
	Letter:          func(v string) error { return matchRE(letterRE, v, "must be ≤32 letters") },
	Symbol:          func(v string) error { return maxRunes(v, 5) },
	CharacterString: func(v string) error { return matchRE(charStrRE, v, "must be ≤32 ASCII letters, digits or symbols") },
	Time:            func(v string) error { return matchRE(timeRE, v, `must look like "15:01" or "2019年10月1日 15:01"`) },
	Date:            func(v string) error { return matchRE(dateRE, v, `must look like "2019年10月1日"`) },
	Amount:          func(v string) error { return matchRE(amountRE, v, `must look like "¥15.00"`) },
	PhoneNumber:     func(v string) error { return matchRE(phoneRE, v, "must be ≤17 digits or symbols") },
	CarNumber:       func(v string) error { return maxRunes(v, 8) },
	Name: func(v string) error {
		if (allHan(v) && utf8.RuneCountInString(v) <= 10 && v != "") || latinRE.MatchString(v) {
			return nil
		}
		return errors.New("must be ≤10 汉字 or ≤20 letters")
	},
	Phrase: func(v string) error {
		if v != "" && allHan(v) && utf8.RuneCountInString(v) <= 5 {
			return nil
		}
		return errors.New("must be ≤5 汉字")
	},
}

func maxRunes(v string, n int) error {
	if v == "" {
		return errors.New("is empty")
	}
	if c := utf8.RuneCountInString(v); c > n {
		return fmt.Errorf("has %d characters, limit %d", c, n)
	}
	return nil
}

func matchRE(re *regexp.Regexp, v, msg string) error {
	if !re.MatchString(v) {
		return errors.New(msg)
	}
	return nil
}

// CheckField checks value against the rule of the kind of key.
func CheckField(key, value string) error {
	k, err := KindOf(key)
	if err != nil {
		return err
	}
	if err := fieldRules[k](value); err != nil {
		return fmt.Errorf("data.%s %w", key, err)
	}
	return nil
}

// Fit shortens a thing/symbol/car_number/name/phrase value to the kind's
// limit (a thing ends with "…" when cut); other kinds are returned unchanged
// and must be formatted by the caller (FormatTime, FormatDate, FormatAmount).
func Fit(key, value string) string {
	k, err := KindOf(key)
	if err != nil {
		return value
	}
	value = strings.TrimSpace(value)
	limit := map[FieldKind]int{Thing: 20, Symbol: 5, CarNumber: 8, Name: 10, Phrase: 5}[k]
	if limit == 0 || utf8.RuneCountInString(value) <= limit {
		return value
	}
	r := []rune(value)
	if k == Thing {
		return string(r[:limit-1]) + "…"
	}
	return string(r[:limit])
}

// Message is a subscription message. Data maps keys ("thing1") to values.
type Message struct {
	ToUser     string // mini-program openid
	TemplateID string
	Page       string // in-app page (may carry a query)
	Data       map[string]string
	Lang       string // zh_CN (default), en_US, zh_HK, zh_TW
}

// Validate checks the message locally (the same rules WeChat enforces).
func (m Message) Validate() error {
	if m.ToUser == "" || m.TemplateID == "" {
		return errors.New("touser and template_id are required")
	}
	if len(m.Data) == 0 {
		return errors.New("data is empty")
	}
	keys := make([]string, 0, len(m.Data))
	for k := range m.Data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var errs []error
	for _, k := range keys {
		if err := CheckField(k, m.Data[k]); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// SendSubscribe sends a subscription message from the mini-program. It
// checks the field rules first (47003 locally), refreshes the access token
// once on 40001/42001, and returns *Error with CodeNoSubscription (43101)
// when the user has no credit left: fall back to the in-app notice list.
func (c *Client) SendSubscribe(ctx context.Context, m Message) error {
	if err := m.Validate(); err != nil {
		return &Error{Op: "subscribe/send", Code: CodeFieldInvalid, Msg: err.Error() + " (checked locally)"}
	}
	state := c.cfg.MiniprogramState
	if state == "" {
		state = "formal"
	}
	lang := m.Lang
	if lang == "" {
		lang = "zh_CN"
	}
	data := make(map[string]map[string]string, len(m.Data))
	for k, v := range m.Data {
		data[k] = map[string]string{"value": v}
	}
	body := map[string]any{
		"touser": m.ToUser, "template_id": m.TemplateID, "data": data, "miniprogram_state": state, "lang": lang,
	}
	if m.Page != "" {
		body["page"] = m.Page
	}
	return c.withToken(ctx, "subscribe/send", "/cgi-bin/message/subscribe/send", body, nil)
}

// Credits counts one-time subscription credits per template for one user:
// each "accept" in wx.requestSubscribeMessage allows exactly one message.
// It is a value the caller persists (e.g. as JSON next to the account).
type Credits map[string]int

// Accept adds the results of one wx.requestSubscribeMessage call
// ({templateID: "accept"|"reject"|"ban"|"filter"}); only "accept" counts.
// "ban" (the user turned the template off) clears the template's credits.
func (c Credits) Accept(results map[string]string) {
	for tmpl, r := range results {
		switch r {
		case "accept":
			c[tmpl]++
		case "ban":
			delete(c, tmpl)
		}
	}
}

// Take uses one credit for tmpl and reports whether one was available.
func (c Credits) Take(tmpl string) bool {
	if c[tmpl] <= 0 {
		return false
	}
	c[tmpl]--
	if c[tmpl] == 0 {
		delete(c, tmpl)
	}
	return true
}

// Return gives back a credit taken for a send that failed for a reason
// other than 43101 (which means WeChat has no credit either).
func (c Credits) Return(tmpl string) { c[tmpl]++ }

// FormatAmount formats fen as an amount value ("¥15.00").
func FormatAmount(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	return fmt.Sprintf("%s¥%d.%02d", sign, fen/100, fen%100)
}

// FormatDate formats t (convert it to Asia/Shanghai first) as "2025年3月1日".
func FormatDate(t time.Time) string {
	y, m, d := t.Date()
	return fmt.Sprintf("%d年%d月%d日", y, int(m), d)
}

// FormatTime formats t as "2025年3月1日 15:04".
func FormatTime(t time.Time) string {
	return FormatDate(t) + " " + t.Format("15:04")
}
