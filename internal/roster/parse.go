package roster

import (
	"bytes"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"xiaoxiang/internal/identity"
)

// Limits bound the work and memory of one import.
type Limits struct {
	MaxFileSize  int64 // bytes of the uploaded file
	MaxRows      int   // non-empty data rows
	MaxCellBytes int   // bytes per cell (raw, before trimming)
	MaxUnzipSize int64 // total uncompressed size of an XLSX
	MaxIssues    int   // issues kept in the report; the rest are counted
}

// DefaultLimits: 20 MB files, 100,000 rows, 500-byte cells, XLSX unzipped up
// to 200 MB, 20,000 issues reported.
var DefaultLimits = Limits{MaxFileSize: 20 << 20, MaxRows: 100_000, MaxCellBytes: 500, MaxUnzipSize: 200 << 20, MaxIssues: 20_000}

// Options configure an import.
type Options struct {
	Limits Limits // zero fields take DefaultLimits
	// RequireDocNumber: every row needs 证件号码 (tasks linked by ID number).
	// RequireStudentNo: every row needs 学号 (tasks linked by student number).
	// With neither, every row needs at least one of the two.
	RequireDocNumber bool
	RequireStudentNo bool
	// Now is the current time for "birth date not in the future" (time.Now when zero).
	Now time.Time
}

func (o Options) withDefaults() Options {
	d := DefaultLimits
	if o.Limits.MaxFileSize <= 0 {
		o.Limits.MaxFileSize = d.MaxFileSize
	}
	if o.Limits.MaxRows <= 0 {
		o.Limits.MaxRows = d.MaxRows
	}
	if o.Limits.MaxCellBytes <= 0 {
		o.Limits.MaxCellBytes = d.MaxCellBytes
	}
	if o.Limits.MaxUnzipSize <= 0 {
		o.Limits.MaxUnzipSize = d.MaxUnzipSize
	}
	if o.Limits.MaxIssues <= 0 {
		o.Limits.MaxIssues = d.MaxIssues
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	return o
}

// Row is one valid roster row, normalised.
type Row struct {
	Line      int           // row number as the school sees it in Excel (header row included)
	Name      string        // trimmed, inner whitespace collapsed
	DocKind   identity.Kind // "" when the row has no document number
	DocNumber string        // identity.Normalize'd and validated; "" when absent
	StudentNo string        // identity.NormalizeStudentNo'd
	ExamNo    string        // 考生号, same normalisation
	College   string
	Major     string
	Class     string
	Grade     string
	Sex       identity.Sex // "" when absent
}

// Severity of an issue: errors drop the row, warnings keep it.
type Severity string

// Severities.
const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
)

// Issue is one finding of the validation report.
type Issue struct {
	Line     int   // row number (as in Excel); 0 for the whole file
	Field    Field // FieldRow for the whole row
	Severity Severity
	Message  string // Chinese, for the school admin; never contains the document number
}

// Result is a parsed roster and its validation report.
type Result struct {
	Format    string   // "xlsx" or "csv"
	Encoding  string   // CSV: "utf-8", "utf-8-bom", "gb18030", "utf-16le", "utf-16be"
	Sheet     string   // XLSX: the sheet read
	Columns   []Field  // recognised columns, in file order
	Ignored   []string // header texts that were not recognised (ignored columns)
	DataRows  int      // non-empty data rows read
	Rows      []Row    // rows without errors, in file order
	Issues    []Issue  // in file order, at most Limits.MaxIssues
	Truncated int      // issues beyond MaxIssues that were not kept
	errRows   int
}

// ErrorRows returns how many data rows have at least one error.
func (r *Result) ErrorRows() int { return r.errRows }

// FileError is a problem with the whole file (wrong format, encoding, columns,
// size). Message is Chinese for the admin; Error is English for logs.
type FileError struct {
	msg string
	log string
}

func (e *FileError) Error() string   { return "roster: " + e.log }
func (e *FileError) Message() string { return e.msg }

func fileErr(msg, log string, args ...any) *FileError {
	return &FileError{msg: msg, log: fmt.Sprintf(log, args...)}
}

// Parse reads a roster file, choosing XLSX or CSV by content (not by name).
func Parse(r io.Reader, opts Options) (*Result, error) {
	opts = opts.withDefaults()
	data, err := readLimited(r, opts.Limits.MaxFileSize)
	if err != nil {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		return parseXLSX(data, opts)
	case bytes.HasPrefix(data, oleMagic):
		return nil, fileErr("不支持旧版Excel（.xls）或加密的Excel文件，请在Excel中另存为“.xlsx”后上传", "OLE compound file (xls or encrypted)")
	}
	return parseCSV(data, opts)
}

var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

func readLimited(r io.Reader, max int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, fmt.Errorf("roster: read file: %w", err)
	}
	if int64(len(data)) > max {
		return nil, fileErr(fmt.Sprintf("文件超过%dMB，请分批导入", max>>20), "file larger than %d bytes", max)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, fileErr("文件是空的", "empty file")
	}
	return data, nil
}

// builder turns header and data rows into a Result. It is shared by the CSV
// and XLSX readers.
type builder struct {
	opts     Options
	res      *Result
	cols     []Field // by column index; "" = ignored
	has      map[Field]bool
	seenDoc  map[string]int
	seenStu  map[string]int
	seenExam map[string]int
	// state of the row being built
	rowErr   bool
	badField map[Field]bool
}

func newBuilder(opts Options, res *Result) *builder {
	return &builder{opts: opts, res: res, has: map[Field]bool{}, badField: map[Field]bool{},
		seenDoc: map[string]int{}, seenStu: map[string]int{}, seenExam: map[string]int{}}
}

// maxHeaderScan is how many non-empty rows may precede the header (a title
// row such as “2025届毕业生名单” is common).
const maxHeaderScan = 5

// tryHeader maps a header row; it returns false when the row does not look
// like a header (fewer than two recognised columns or no 姓名).
func (b *builder) tryHeader(cells []string) (bool, error) {
	cols := make([]Field, len(cells))
	first := map[Field]int{}
	var ignored []string
	n := 0
	for i, c := range cells {
		f, ok := headerField(c)
		if !ok {
			if t := strings.TrimSpace(c); t != "" {
				ignored = append(ignored, truncRunes(t, 30))
			}
			continue
		}
		if j, dup := first[f]; dup {
			return true, fileErr(fmt.Sprintf("表头“%s”出现了两次（第%s列和第%s列），请删除多余的列", f.Label(), colName(j), colName(i)),
				"duplicate column %s", f)
		}
		first[f] = i
		cols[i] = f
		n++
	}
	if n < 2 || !slices.Contains(cols, FieldName) {
		return false, nil
	}
	b.cols = cols
	for _, f := range cols {
		if f != "" {
			b.has[f] = true
			b.res.Columns = append(b.res.Columns, f)
		}
	}
	b.res.Ignored = ignored
	switch {
	case b.opts.RequireDocNumber && !b.has[FieldDocNumber]:
		return true, fileErr("缺少“证件号码”列（本任务按证件号关联）", "missing doc_number column")
	case b.opts.RequireStudentNo && !b.has[FieldStudentNo]:
		return true, fileErr("缺少“学号”列（本任务按学号关联）", "missing student_no column")
	case !b.has[FieldDocNumber] && !b.has[FieldStudentNo]:
		return true, fileErr("缺少“证件号码”或“学号”列", "missing doc_number and student_no columns")
	}
	return true, nil
}

func headerMissingErr() *FileError {
	return fileErr("找不到表头：第一行应为列名，至少包括“姓名”和“证件号码”或“学号”，请使用导入模板", "no header row found")
}

func colName(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

func truncRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n]) + "…"
}

func allEmpty(cells []string) bool {
	for _, c := range cells {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}

func (b *builder) issue(line int, f Field, sev Severity, msg string) {
	if sev == SevError {
		b.rowErr = true
		b.badField[f] = true
	}
	if len(b.res.Issues) >= b.opts.Limits.MaxIssues {
		b.res.Truncated++
		return
	}
	b.res.Issues = append(b.res.Issues, Issue{Line: line, Field: f, Severity: sev, Message: msg})
}

const numericIDMessage = "证件号码被Excel当作数字保存，后几位已丢失；请把该列设为“文本”格式后重新填写"

var sciNotation = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?E\+?[0-9]+$`)

// cleanText trims, converts the ideographic space and collapses runs of
// whitespace into one space.
func cleanText(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) }), " ")
}

// row validates one data row. flags returns the cell flags of column i
// (XLSX only; nil for CSV). It returns a *FileError when the row limit is
// passed.
func (b *builder) row(line int, cells []string, flags func(col int) uint8) error {
	if allEmpty(cells) {
		return nil
	}
	b.res.DataRows++
	if b.res.DataRows > b.opts.Limits.MaxRows {
		return fileErr(fmt.Sprintf("名单超过%d行，请分批导入", b.opts.Limits.MaxRows), "more than %d rows", b.opts.Limits.MaxRows)
	}
	b.rowErr = false
	clear(b.badField)
	vals := map[Field]string{}
	for i, f := range b.cols {
		if f == "" || i >= len(cells) {
			continue
		}
		raw := cells[i]
		var fl uint8
		if flags != nil {
			fl = flags(i)
		}
		if fl&flagFormula != 0 {
			b.issue(line, f, SevError, f.Label()+"是公式，请复制后“选择性粘贴—数值”再导入")
			continue
		}
		if f == FieldDocNumber && fl&flagNumber != 0 && len(strings.TrimSpace(raw)) > 15 {
			b.issue(line, f, SevError, numericIDMessage)
			continue
		}
		if len(raw) > b.opts.Limits.MaxCellBytes {
			b.issue(line, f, SevError, fmt.Sprintf("%s内容过长（超过%d字节）", f.Label(), b.opts.Limits.MaxCellBytes))
			continue
		}
		v := cleanText(raw)
		if v == "" {
			continue
		}
		if strings.ContainsRune(v, utf8.RuneError) {
			b.issue(line, f, SevError, f.Label()+"包含无法识别的字符，可能是文件编码错误，请另存为xlsx或“CSV UTF-8”后重试")
			continue
		}
		if strings.IndexFunc(v, unicode.IsControl) >= 0 {
			b.issue(line, f, SevError, f.Label()+"包含不可见的控制字符，请删除后重试")
			continue
		}
		if strings.ContainsAny(v[:1], "=+-@") {
			b.issue(line, f, SevError, f.Label()+"以“=、+、-、@”开头，可能是公式，请删除开头的符号")
			continue
		}
		if utf8.RuneCountInString(v) > maxRunes[f] {
			b.issue(line, f, SevError, fmt.Sprintf("%s过长，最多%d个字", f.Label(), maxRunes[f]))
			continue
		}
		vals[f] = v
	}
	r := Row{Line: line, Name: vals[FieldName], College: vals[FieldCollege], Major: vals[FieldMajor],
		Class: vals[FieldClass], Grade: vals[FieldGrade]}
	if r.Name == "" && !b.badField[FieldName] {
		b.issue(line, FieldName, SevError, "缺少姓名")
	}
	b.docNumber(line, vals, &r)
	b.studentNumbers(line, vals, &r)
	if v := vals[FieldSex]; v != "" {
		if s, err := identity.ParseSex(v); err != nil {
			b.issue(line, FieldSex, SevError, identity.UserMessage(err))
		} else {
			r.Sex = s
			if r.DocKind == identity.KindResidentID || r.DocKind == identity.KindResidencePermit {
				if ds, err := identity.SexOf(r.DocNumber); err == nil && ds != s {
					b.issue(line, FieldSex, SevWarning, "性别与证件号码不一致（证件号码显示为"+ds.Label()+"），请核对")
				}
			}
		}
	}
	if b.rowErr {
		b.res.errRows++
		return nil
	}
	// Register keys only for rows that are kept, so one bad row does not
	// make its twin look like a duplicate twice.
	if r.DocNumber != "" {
		b.seenDoc[string(r.DocKind)+":"+r.DocNumber] = line
	}
	if r.StudentNo != "" {
		b.seenStu[r.StudentNo] = line
	}
	if r.ExamNo != "" {
		b.seenExam[r.ExamNo] = line
	}
	b.res.Rows = append(b.res.Rows, r)
	return nil
}

func (b *builder) docNumber(line int, vals map[Field]string, r *Row) {
	num := vals[FieldDocNumber]
	kindText := vals[FieldDocKind]
	if num == "" {
		if b.opts.RequireDocNumber && !b.badField[FieldDocNumber] {
			b.issue(line, FieldDocNumber, SevError, "缺少证件号码")
		} else if !b.opts.RequireDocNumber && !b.opts.RequireStudentNo && vals[FieldStudentNo] == "" &&
			!b.badField[FieldDocNumber] && !b.badField[FieldStudentNo] {
			b.issue(line, FieldRow, SevError, "缺少证件号码或学号，至少填写一项")
		}
		return
	}
	if sciNotation.MatchString(identity.Normalize(num)) {
		b.issue(line, FieldDocNumber, SevError, numericIDMessage)
		return
	}
	var kind identity.Kind
	if kindText != "" {
		k, err := identity.ParseKind(kindText)
		if err != nil {
			b.issue(line, FieldDocKind, SevError, "证件类型“"+truncRunes(kindText, 20)+"”无法识别，可填写："+kindChoices())
			return
		}
		kind = k
	} else {
		k, ok := identity.Detect(num)
		if !ok {
			b.issue(line, FieldDocKind, SevError, "无法根据号码判断证件类型，请填写证件类型")
			return
		}
		kind = k
	}
	n, err := identity.ValidateAt(kind, num, b.opts.Now)
	if err != nil {
		b.issue(line, FieldDocNumber, SevError, identity.UserMessage(err))
		return
	}
	if prev, dup := b.seenDoc[string(kind)+":"+n]; dup {
		b.issue(line, FieldDocNumber, SevError, fmt.Sprintf("证件号码与第%d行重复", prev))
		return
	}
	r.DocKind, r.DocNumber = kind, n
}

func kindChoices() string {
	var s []string
	for _, k := range identity.Kinds() {
		s = append(s, k.Label())
	}
	return strings.Join(s, "、")
}

func (b *builder) studentNumbers(line int, vals map[Field]string, r *Row) {
	if v := vals[FieldStudentNo]; v != "" {
		n, err := identity.NormalizeStudentNo(v)
		switch {
		case err != nil:
			b.issue(line, FieldStudentNo, SevError, identity.UserMessage(err))
		case b.seenStu[n] != 0:
			b.issue(line, FieldStudentNo, SevError, fmt.Sprintf("学号与第%d行重复", b.seenStu[n]))
		default:
			r.StudentNo = n
		}
	} else if b.opts.RequireStudentNo && !b.badField[FieldStudentNo] {
		b.issue(line, FieldStudentNo, SevError, "缺少学号")
	}
	if v := vals[FieldExamNo]; v != "" {
		n, err := identity.NormalizeStudentNo(v)
		switch {
		case err != nil:
			b.issue(line, FieldExamNo, SevError, "考生号只能包含英文字母、数字、短横线和下划线，最多32位")
		case b.seenExam[n] != 0:
			b.issue(line, FieldExamNo, SevError, fmt.Sprintf("考生号与第%d行重复", b.seenExam[n]))
		default:
			r.ExamNo = n
		}
	}
}
