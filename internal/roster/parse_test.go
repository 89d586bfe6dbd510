package roster

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"xiaoxiang/internal/identity"
)

var now = time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)

// xlsxOf builds an XLSX whose first sheet holds rows; cells starting with
// "=" in formulaCells positions ("B3") are written as formulas.
func xlsxOf(t testing.TB, rows [][]string, formulas map[string]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		if err := f.SetSheetRow("Sheet1", fmt.Sprintf("A%d", i+1), ptrSlice(r)); err != nil {
			t.Fatal(err)
		}
	}
	for cell, fm := range formulas {
		if err := f.SetCellFormula("Sheet1", cell, fm); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func csvOf(rows [][]string) []byte {
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			if i > 0 {
				b.WriteByte(',')
			}
			if strings.ContainsAny(c, ",\"\n") {
				c = `"` + strings.ReplaceAll(c, `"`, `""`) + `"`
			}
			b.WriteString(c)
		}
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

func mustParse(t *testing.T, data []byte, opts Options) *Result {
	t.Helper()
	if opts.Now.IsZero() {
		opts.Now = now
	}
	res, err := Parse(bytes.NewReader(data), opts)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return res
}

func fileError(t *testing.T, data []byte, opts Options, want string) {
	t.Helper()
	_, err := Parse(bytes.NewReader(data), opts)
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("want FileError containing %q, got %v", want, err)
	}
	if !strings.Contains(fe.Message(), want) {
		t.Fatalf("message %q does not contain %q", fe.Message(), want)
	}
}

func id(d17 string) string {
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	s := 0
	for i := range 17 {
		s += int(d17[i]-'0') * w[i]
	}
	return d17 + string("10X98765432"[s%11])
}

func TestTemplatesRoundTrip(t *testing.T) {
	x, err := Template()
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"xlsx": x, "csv": TemplateCSV()} {
		res := mustParse(t, data, Options{RequireDocNumber: true})
		if len(res.Issues) != 0 || len(res.Rows) != 1 || res.Format != name {
			t.Fatalf("%s: issues %+v rows %d format %s", name, res.Issues, len(res.Rows), res.Format)
		}
		r := res.Rows[0]
		want := Row{Line: 2, Name: "张三", DocKind: identity.KindResidentID, DocNumber: "11010519491231002X",
			StudentNo: "2023010101", ExamNo: "23430101150001", College: "文学院", Major: "汉语言文学",
			Class: "汉语言2301", Grade: "2023", Sex: identity.SexFemale}
		if r != want {
			t.Fatalf("%s: row %+v want %+v", name, r, want)
		}
		if len(res.Columns) != len(Fields) {
			t.Fatalf("%s: columns %v", name, res.Columns)
		}
	}
	if !bytes.HasPrefix(TemplateCSV(), []byte("\uFEFF姓名,证件类型")) {
		t.Fatal("CSV template lacks BOM or headers")
	}
}

func TestRowIssues(t *testing.T) {
	good := id("11010520000101001") // male
	header := []string{"姓名", "证件类型", "证件号码", "学号", "考生号", "学院", "性别"}
	cases := []struct {
		name  string
		row   []string
		opts  Options
		field Field
		sev   Severity
		msg   string
	}{
		{"bad check digit", []string{"李四", "身份证", good[:17] + "0", "", "", "", ""}, Options{}, FieldDocNumber, SevError, "身份证号校验位不正确，请核对最后一位"},
		{"missing name", []string{"", "", good, "", "", "", ""}, Options{}, FieldName, SevError, "缺少姓名"},
		{"missing both keys", []string{"李四", "", "", "", "", "", ""}, Options{}, FieldRow, SevError, "缺少证件号码或学号"},
		{"missing doc when required", []string{"李四", "", "", "S1", "", "", ""}, Options{RequireDocNumber: true}, FieldDocNumber, SevError, "缺少证件号码"},
		{"missing 学号 when required", []string{"李四", "", good, "", "", "", ""}, Options{RequireStudentNo: true}, FieldStudentNo, SevError, "缺少学号"},
		{"unknown kind", []string{"李四", "驾驶证", good, "", "", "", ""}, Options{}, FieldDocKind, SevError, "证件类型“驾驶证”无法识别"},
		{"undetectable", []string{"李四", "", "12", "", "", "", ""}, Options{}, FieldDocKind, SevError, "无法根据号码判断证件类型"},
		{"future birth", []string{"李四", "", id("11010520300101001"), "", "", "", ""}, Options{}, FieldDocNumber, SevError, "晚于今天"},
		{"scientific notation", []string{"李四", "", "1.10105E+17", "", "", "", ""}, Options{}, FieldDocNumber, SevError, "被Excel当作数字保存"},
		{"bad 学号", []string{"李四", "", good, "S/1", "", "", ""}, Options{}, FieldStudentNo, SevError, "学号只能包含"},
		{"bad 考生号", []string{"李四", "", good, "", "考1", "", ""}, Options{}, FieldExamNo, SevError, "考生号只能包含"},
		{"formula text", []string{"李四", "", good, "", "", "=HYPERLINK(\"x\")", ""}, Options{}, FieldCollege, SevError, "可能是公式"},
		{"at sign", []string{"李四", "", good, "", "", "@SUM(A1)", ""}, Options{}, FieldCollege, SevError, "可能是公式"},
		{"plus sign", []string{"+86张", "", good, "", "", "", ""}, Options{}, FieldName, SevError, "可能是公式"},
		{"long college", []string{"李四", "", good, "", "", strings.Repeat("院", 101), ""}, Options{}, FieldCollege, SevError, "学院过长"},
		{"huge cell", []string{"李四", "", good, "", "", strings.Repeat("x", 600), ""}, Options{}, FieldCollege, SevError, "超过500字节"},
		{"control char", []string{"李\x07四", "", good, "", "", "", ""}, Options{}, FieldName, SevError, "控制字符"},
		{"bad sex", []string{"李四", "", good, "", "", "", "未知"}, Options{}, FieldSex, SevError, "性别应填写"},
		{"sex mismatch", []string{"李四", "", good, "", "", "", "女"}, Options{}, FieldSex, SevWarning, "性别与证件号码不一致（证件号码显示为男）"},
		{"permit typed as resident", []string{"李四", "居民身份证", id("81000019990101001"), "", "", "", ""}, Options{}, FieldDocNumber, SevError, "港澳台居民居住证"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := mustParse(t, csvOf([][]string{header, c.row}), c.opts)
			if len(res.Issues) != 1 {
				t.Fatalf("issues: %+v", res.Issues)
			}
			is := res.Issues[0]
			if is.Line != 2 || is.Field != c.field || is.Severity != c.sev || !strings.Contains(is.Message, c.msg) {
				t.Fatalf("issue %+v, want field %q sev %s msg %q", is, c.field, c.sev, c.msg)
			}
			if n := identity.Normalize(c.row[2]); len(n) > 6 && strings.Contains(is.Message, n) {
				t.Fatal("message leaks the document number")
			}
			wantRows := 0
			if c.sev == SevWarning {
				wantRows = 1
			}
			if len(res.Rows) != wantRows || res.ErrorRows() != 1-wantRows {
				t.Fatalf("rows %d errorRows %d", len(res.Rows), res.ErrorRows())
			}
		})
	}
}

func TestDuplicatesAndFlexibleHeaders(t *testing.T) {
	a, b := id("11010520000101001"), id("11010520000202002")
	data := csvOf([][]string{
		{"2025届毕业生名单"}, // title row above the header
		{},
		{"院系", "学号", " 身份证号 ", "*学生姓名", "备注", "班级（行政班）"},
		{"文学院", "S001", a, "甲", "x", "1班"},
		{"文学院", "s001", b, "乙", "", "1班"},                              // 学号 duplicate after normalisation
		{"理学院", "S003", strings.ToLower(a[:17]) + a[17:], "丙", "", ""}, // ID duplicate
		{"理学院", "S004", fullWidth(b), "丁", "", ""},                     // b again; row 5 was dropped so no duplicate
		{"", "", "", "", "", ""},
	})
	res := mustParse(t, data, Options{})
	if res.Columns[0] != FieldCollege || res.Columns[3] != FieldName || len(res.Ignored) != 1 || res.Ignored[0] != "备注" {
		t.Fatalf("columns %v ignored %v", res.Columns, res.Ignored)
	}
	want := []Issue{
		{Line: 5, Field: FieldStudentNo, Severity: SevError, Message: "学号与第4行重复"},
		{Line: 6, Field: FieldDocNumber, Severity: SevError, Message: "证件号码与第4行重复"},
	}
	if fmt.Sprint(res.Issues) != fmt.Sprint(want) {
		t.Fatalf("issues %+v\nwant %+v", res.Issues, want)
	}
	// Row 5 was dropped, so row 7 (same ID as row 5) is not a duplicate.
	if len(res.Rows) != 2 || res.Rows[0].Line != 4 || res.Rows[1].Line != 7 || res.Rows[1].DocNumber != b {
		t.Fatalf("rows %+v", res.Rows)
	}
	if res.DataRows != 4 {
		t.Fatalf("DataRows = %d", res.DataRows)
	}
}

func fullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if r > ' ' && r < 0x7f {
			return r + 0xFEE0
		}
		return r
	}, s)
}

func TestEncodings(t *testing.T) {
	rows := [][]string{{"姓名", "证件号码", "学院"}, {"王五", id("11010520000101001"), "外国语学院"}}
	plain := csvOf(rows)
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(plain)
	if err != nil {
		t.Fatal(err)
	}
	u16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes(
		[]byte(strings.ReplaceAll(string(plain), ",", "\t")))
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		data []byte
		enc  string
	}{
		"utf-8":      {plain, "utf-8"},
		"utf-8-bom":  {append([]byte("\xEF\xBB\xBF"), plain...), "utf-8-bom"},
		"gbk":        {gbk, "gb18030"},
		"utf-16 tsv": {u16, "utf-16le"},
		"semicolon":  {[]byte(strings.ReplaceAll(string(plain), ",", ";")), "utf-8"},
	} {
		res := mustParse(t, c.data, Options{})
		if res.Encoding != c.enc || len(res.Rows) != 1 || res.Rows[0].Name != "王五" || res.Rows[0].College != "外国语学院" {
			t.Errorf("%s: encoding %s rows %+v issues %+v", name, res.Encoding, res.Rows, res.Issues)
		}
	}
}

func TestFileErrors(t *testing.T) {
	good := id("11010520000101001")
	ok := csvOf([][]string{{"姓名", "证件号码"}, {"甲", good}})
	many := [][]string{{"姓名", "学号"}}
	for i := range 11 {
		many = append(many, []string{"甲", fmt.Sprintf("S%d", i)})
	}
	cases := []struct {
		name string
		data []byte
		opts Options
		msg  string
	}{
		{"empty", nil, Options{}, "文件是空的"},
		{"blank", []byte(" \r\n\t "), Options{}, "文件是空的"},
		{"no header", csvOf([][]string{{"a", "b"}, {"1", "2"}}), Options{}, "找不到表头"},
		{"only header-like title", csvOf([][]string{{"名单"}, {"x"}, {"y"}, {"z"}, {"w"}, {"姓名", "学号"}}), Options{}, "找不到表头"},
		{"no key column", csvOf([][]string{{"姓名", "学院"}, {"甲", "文"}}), Options{}, "缺少“证件号码”或“学号”列"},
		{"doc column required", csvOf([][]string{{"姓名", "学号"}, {"甲", "S1"}}), Options{RequireDocNumber: true}, "缺少“证件号码”列"},
		{"student column required", ok, Options{RequireStudentNo: true}, "缺少“学号”列"},
		{"duplicate column", csvOf([][]string{{"姓名", "身份证号", "证件号码"}, {"甲", good, good}}), Options{}, "表头“证件号码”出现了两次（第B列和第C列）"},
		{"too big", ok, Options{Limits: Limits{MaxFileSize: 10}}, "文件超过"},
		{"too many rows", csvOf(many), Options{Limits: Limits{MaxRows: 10}}, "名单超过10行"},
		{"undecodable", []byte("\x81\x30姓名,学号\r\n\xFF\xFF,1\r\n"), Options{}, "文件编码无法识别"},
		{"binary", []byte("姓名,学号\x00\x01\x02"), Options{}, "不是有效的CSV文件"},
		{"broken quotes", []byte("姓名,学号\n\"甲,S1\n乙\",\"S\"2\"\n"), Options{}, "CSV格式错误"},
		{"not an xlsx", []byte("PK\x03\x04 this is not a zip"), Options{}, "无法读取该Excel文件"},
		{"old xls", append(append([]byte(nil), oleMagic...), make([]byte, 100)...), Options{}, "不支持旧版Excel"},
		{"xlsx unzip limit", xlsxOf(t, [][]string{{"姓名", "学号"}, {"甲", "S1"}}, nil), Options{Limits: Limits{MaxUnzipSize: 1000}}, "解压后超过"},
		{"xlsx no header", xlsxOf(t, [][]string{{"a", "b"}, {"1", "2"}}, nil), Options{}, "找不到表头"},
		{"xlsx empty sheet", xlsxOf(t, nil, nil), Options{}, "找不到表头"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { fileError(t, c.data, c.opts, c.msg) })
	}
}

func TestXLSXFormulasAndNumbers(t *testing.T) {
	good := id("11010520000101001")
	data := xlsxOf(t, [][]string{
		{"姓名", "证件号码", "学号", "学院"},
		{"甲", good, "S1", ""},
		{"乙", id("11010520000202002"), "S2", ""},
		{"丙", "", "S3", "理学院"},
	}, map[string]string{"D2": "=\"文\"&\"学院\"", "B4": "=1+1"})
	res := mustParse(t, data, Options{})
	want := []Issue{
		{Line: 2, Field: FieldCollege, Severity: SevError, Message: "学院是公式，请复制后“选择性粘贴—数值”再导入"},
		{Line: 4, Field: FieldDocNumber, Severity: SevError, Message: "证件号码是公式，请复制后“选择性粘贴—数值”再导入"},
	}
	if fmt.Sprint(res.Issues) != fmt.Sprint(want) {
		t.Fatalf("issues %+v", res.Issues)
	}
	if len(res.Rows) != 1 || res.Rows[0].Name != "乙" || res.Sheet != "Sheet1" {
		t.Fatalf("rows %+v", res.Rows)
	}

	// A numeric 学号 cell and an ID number stored as a number.
	f := excelize.NewFile()
	defer f.Close()
	_ = f.SetSheetRow("Sheet1", "A1", &[]any{"姓名", "证件号码", "学号"})
	_ = f.SetSheetRow("Sheet1", "A2", &[]any{"甲", 110105200001010010.0, 2023010101})
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	res = mustParse(t, buf.Bytes(), Options{})
	if len(res.Issues) != 1 || res.Issues[0].Field != FieldDocNumber || res.Issues[0].Message != numericIDMessage {
		t.Fatalf("numeric ID: issues %+v", res.Issues)
	}
}

func TestIssueCap(t *testing.T) {
	rows := [][]string{{"姓名", "学号"}}
	for range 50 {
		rows = append(rows, []string{"", "S/1"})
	}
	res := mustParse(t, csvOf(rows), Options{Limits: Limits{MaxIssues: 10}})
	if len(res.Issues) != 10 || res.Truncated != 90 || res.ErrorRows() != 50 {
		t.Fatalf("issues %d truncated %d errorRows %d", len(res.Issues), res.Truncated, res.ErrorRows())
	}
}

func FuzzParse(f *testing.F) {
	f.Add(TemplateCSV())
	f.Add([]byte("姓名,证件号码\n甲,11010519491231002X\n"))
	f.Add([]byte("PK\x03\x04"))
	if x, err := Template(); err == nil {
		f.Add(x)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res, err := Parse(bytes.NewReader(data), Options{Now: now, Limits: Limits{MaxRows: 1000}})
		if err == nil && res == nil {
			t.Fatal("nil result without error")
		}
	})
}
