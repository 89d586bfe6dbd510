package roster

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// syntheticRoster returns n rows plus the header: unique IDs and 学号, and
// 考生号 repeating every examPeriod rows (so rows ≥ examPeriod are duplicates).
func syntheticRoster(n, examPeriod int) [][]string {
	rows := [][]string{{"姓名", "证件类型", "证件号码", "学号", "考生号", "学院", "专业", "班级", "年级", "性别"}}
	base := time.Date(1998, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		d := base.AddDate(0, 0, i/900).Format("20060102")
		seq := fmt.Sprintf("%03d", i%900+100)
		num := id("430102" + d + seq)
		sex := "女"
		if (seq[2]-'0')%2 == 1 {
			sex = "男"
		}
		rows = append(rows, []string{fmt.Sprintf("学生%d", i), "居民身份证", num, fmt.Sprintf("2023%06d", i),
			fmt.Sprintf("2343010115%04d", i%examPeriod), fmt.Sprintf("第%d学院", i%20), "专业", fmt.Sprintf("%d班", i%300), "2023", sex})
	}
	return rows
}

func streamXLSX(tb testing.TB, rows [][]string) []byte {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	for i, r := range rows {
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, vals); err != nil {
			tb.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// TestParseLargeRoster checks correctness over thousands of rows (duplicate
// detection, line numbers); BenchmarkParse*20000 measures speed.
func TestParseLargeRoster(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	rows := syntheticRoster(3000, 2500)
	for name, data := range map[string][]byte{"csv": csvOf(rows), "xlsx": streamXLSX(t, rows)} {
		start := time.Now()
		res := mustParse(t, data, Options{RequireDocNumber: true})
		el := time.Since(start)
		if len(res.Rows) != 2500 || res.ErrorRows() != 500 || res.DataRows != 3000 {
			t.Fatalf("%s: rows %d errors %d data %d first issue %+v", name, len(res.Rows), res.ErrorRows(), res.DataRows, res.Issues[:1])
		}
		if is := res.Issues[0]; is.Line != 2502 || is.Field != FieldExamNo || is.Message != "考生号与第2行重复" {
			t.Fatalf("%s: first issue %+v", name, is)
		}
		t.Logf("%s: %d bytes, 3000 rows parsed and validated in %v", name, len(data), el)
	}
}

func BenchmarkParseXLSX20000(b *testing.B) {
	data := streamXLSX(b, syntheticRoster(20000, 20000))
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(data), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseCSV20000(b *testing.B) {
	data := csvOf(syntheticRoster(20000, 20000))
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := Parse(bytes.NewReader(data), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
