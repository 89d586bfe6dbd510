package roster

import (
	"strings"

	"xiaoxiang/internal/identity"
)

// Field is a roster column.
type Field string

// Roster fields. The value is a stable code; Label is the Chinese header.
const (
	FieldName      Field = "name"
	FieldDocKind   Field = "doc_kind"
	FieldDocNumber Field = "doc_number"
	FieldStudentNo Field = "student_no"
	FieldExamNo    Field = "exam_no"
	FieldCollege   Field = "college"
	FieldMajor     Field = "major"
	FieldClass     Field = "class"
	FieldGrade     Field = "grade"
	FieldSex       Field = "sex"
	FieldRow       Field = "" // the issue concerns the whole row or file
)

// Fields lists the fields in template order.
var Fields = []Field{FieldName, FieldDocKind, FieldDocNumber, FieldStudentNo, FieldExamNo,
	FieldCollege, FieldMajor, FieldClass, FieldGrade, FieldSex}

var fieldLabels = map[Field]string{
	FieldName: "姓名", FieldDocKind: "证件类型", FieldDocNumber: "证件号码", FieldStudentNo: "学号",
	FieldExamNo: "考生号", FieldCollege: "学院", FieldMajor: "专业", FieldClass: "班级",
	FieldGrade: "年级", FieldSex: "性别",
}

// maxRunes is the longest accepted value per field, in characters.
var maxRunes = map[Field]int{
	FieldName: 50, FieldDocKind: 20, FieldDocNumber: 32, FieldStudentNo: 32, FieldExamNo: 32,
	FieldCollege: 100, FieldMajor: 100, FieldClass: 100, FieldGrade: 20, FieldSex: 10,
}

// Label returns the Chinese column header.
func (f Field) Label() string {
	if f == FieldRow {
		return "整行"
	}
	return fieldLabels[f]
}

// headerSynonyms maps normalised header texts to fields.
var headerSynonyms = map[string]Field{
	"姓名": FieldName, "学生姓名": FieldName, "名字": FieldName, "NAME": FieldName,
	"证件类型": FieldDocKind, "证件种类": FieldDocKind, "证件类别": FieldDocKind, "身份证件类型": FieldDocKind,
	"证件号码": FieldDocNumber, "证件号": FieldDocNumber, "身份证号": FieldDocNumber, "身份证号码": FieldDocNumber,
	"身份证件号": FieldDocNumber, "身份证件号码": FieldDocNumber, "公民身份号码": FieldDocNumber, "身份证": FieldDocNumber,
	"学号": FieldStudentNo, "学生号": FieldStudentNo, "学生编号": FieldStudentNo,
	"考生号": FieldExamNo, "考生编号": FieldExamNo, "高考考生号": FieldExamNo,
	"学院": FieldCollege, "院系": FieldCollege, "系部": FieldCollege, "院(系)": FieldCollege, "所在学院": FieldCollege,
	"系别": FieldCollege, "院部": FieldCollege, "学院名称": FieldCollege,
	"专业": FieldMajor, "专业名称": FieldMajor,
	"班级": FieldClass, "班级名称": FieldClass, "行政班": FieldClass, "班号": FieldClass,
	"年级": FieldGrade, "届别": FieldGrade, "届": FieldGrade, "入学年级": FieldGrade, "年级(届)": FieldGrade,
	"性别": FieldSex,
}

// headerField maps a header cell to a field: it ignores spaces, full-width
// forms, required markers (*) and a trailing note in brackets, e.g.
// "*证件号码（必填）".
func headerField(h string) (Field, bool) {
	n := identity.Normalize(h)
	n = strings.Trim(n, "*")
	if f, ok := headerSynonyms[n]; ok {
		return f, true
	}
	for _, open := range []string{"(", "【", "["} {
		if i := strings.Index(n, open); i > 0 {
			if f, ok := headerSynonyms[strings.Trim(n[:i], "*")]; ok {
				return f, true
			}
		}
	}
	return "", false
}
