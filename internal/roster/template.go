package roster

import (
	"bytes"
	"encoding/csv"
	"fmt"

	"github.com/xuri/excelize/v2"

	"xiaoxiang/internal/identity"
)

// exampleRow is the sample student in the templates (the GB 11643 example
// number; 17th digit 2 → female).
var exampleRow = []string{"张三", "居民身份证", "11010519491231002X", "2023010101", "23430101150001",
	"文学院", "汉语言文学", "汉语言2301", "2023", "女"}

func templateHeaders() []string {
	h := make([]string, len(Fields))
	for i, f := range Fields {
		h[i] = f.Label()
	}
	return h
}

// TemplateFilename is the suggested download name of Template.
const TemplateFilename = "采集名单导入模板.xlsx"

// Template returns the XLSX import template: sheet “名单” with the headers,
// one example row, text format on the number columns (so Excel does not turn
// 18-digit ID numbers into 1.10105E+17) and a drop-down for 证件类型; sheet
// “填写说明” explains each column.
func Template() ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const sheet = "名单"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return nil, fmt.Errorf("roster: template: %w", err)
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@" text
	if err != nil {
		return nil, fmt.Errorf("roster: template: %w", err)
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, NumFmt: 49,
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return nil, fmt.Errorf("roster: template: %w", err)
	}
	last := colName(len(Fields) - 1)
	steps := []func() error{
		func() error { return f.SetColStyle(sheet, "A:"+last, text) },
		func() error { return f.SetColWidth(sheet, "A", last, 14) },
		func() error { return f.SetColWidth(sheet, "C", "C", 22) },
		func() error { return f.SetColWidth(sheet, "B", "B", 24) },
		func() error { return f.SetSheetRow(sheet, "A1", ptrSlice(templateHeaders())) },
		func() error { return f.SetSheetRow(sheet, "A2", ptrSlice(exampleRow)) },
		func() error { return f.SetCellStyle(sheet, "A1", last+"1", bold) },
		func() error {
			return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
		},
		func() error {
			dv := excelize.NewDataValidation(true)
			dv.SetSqref("B2:B100001")
			var labels []string
			for _, k := range identity.Kinds() {
				labels = append(labels, k.Label())
			}
			if err := dv.SetDropList(labels); err != nil {
				return err
			}
			return f.AddDataValidation(sheet, dv)
		},
		func() error { _, err := f.NewSheet("填写说明"); return err },
		func() error { return f.SetColWidth("填写说明", "A", "A", 12) },
		func() error { return f.SetColWidth("填写说明", "B", "B", 90) },
	}
	for _, s := range steps {
		if err := s(); err != nil {
			return nil, fmt.Errorf("roster: template: %w", err)
		}
	}
	notes := [][]string{
		{"列名", "说明"},
		{"姓名", "必填，与证件上的姓名一致。"},
		{"证件类型", "可选：" + kindChoices() + "。留空时按号码自动判断。"},
		{"证件号码", "按证件号关联的任务必填。身份证号18位，最后一位可以是X。请保持本列为“文本”格式。"},
		{"学号", "按学号关联的任务必填；字母、数字、短横线、下划线，最多32位。"},
		{"考生号", "可选。"},
		{"学院/专业/班级/年级", "可选，用于按学院、班级筛选进度和导出。"},
		{"性别", "可选，填写“男”或“女”。"},
		{"注意", fmt.Sprintf("第一行为列名，请勿修改；从第二行开始每行一名学生，示例行请删除。单元格不要使用公式。最多%d行。", DefaultLimits.MaxRows)},
	}
	for i, n := range notes {
		if err := f.SetSheetRow("填写说明", fmt.Sprintf("A%d", i+1), ptrSlice(n)); err != nil {
			return nil, fmt.Errorf("roster: template: %w", err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, fmt.Errorf("roster: template: write: %w", err)
	}
	return buf.Bytes(), nil
}

func ptrSlice(s []string) *[]any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return &out
}

// TemplateCSV returns the CSV template (UTF-8 with BOM so Excel shows the
// Chinese headers correctly): the header row and the example row.
func TemplateCSV() []byte {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	_ = w.Write(templateHeaders()) // writes to a bytes.Buffer cannot fail
	_ = w.Write(exampleRow)
	w.Flush()
	return buf.Bytes()
}
