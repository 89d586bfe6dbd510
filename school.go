package xiaoxiang

import "time"

// School is a tenant: one university or college.
type School struct {
	ID       int64
	Name     string // official name, e.g. 湖南师范大学
	Code     string // 5-digit 院校代码, e.g. 10542
	Ident    string // 10-digit 学校标识码 (optional), e.g. 4143010542
	Pinyin   string // full pinyin without tones or spaces, lower case, for search: hunanshifandaxue
	Initials string // pinyin initials, lower case: hnsfdx
	// Support contacts shown on the help page.
	SupportPhone string
	SupportHours string
	SupportQQ    string
	CreatedAt    time.Time
}

// Category is the education category a task belongs to.
type Category string

const (
	CategoryUndergrad Category = "undergrad" // 普通本专科
	CategoryGraduate  Category = "graduate"  // 研究生
	CategoryAdult     Category = "adult"     // 成人教育
)

// Categories lists the categories in display order.
var Categories = []Category{CategoryUndergrad, CategoryGraduate, CategoryAdult}

// Label is the Chinese name of the category.
func (c Category) Label() string {
	switch c {
	case CategoryUndergrad:
		return "普通本专科"
	case CategoryGraduate:
		return "研究生"
	case CategoryAdult:
		return "成人教育"
	}
	return string(c)
}

// Valid reports whether c is a known category.
func (c Category) Valid() bool {
	return c == CategoryUndergrad || c == CategoryGraduate || c == CategoryAdult
}
