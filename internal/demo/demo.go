// Package demo seeds a realistic demo dataset: three schools (湖南师范大学 10542 and two
// fictional ones) with pinyin for search, tasks of every category and state (open,
// free, closed, not yet open, manual entry allowed, linked by student number), a
// roster of a few hundred fake students per school with valid GB 11643 check digits
// (a deterministic generator: the same data every time), and one staff account per
// role. All people in it are invented.
package demo

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/auth"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/identity"
	"xiaoxiang/internal/sqldb"
)

// Options tune the seed. The zero value works.
type Options struct {
	Now func() time.Time
	// RosterSize is the number of students per open task (default 200).
	RosterSize int
}

// Login is a printed demo staff login.
type Login struct {
	Role     xiaoxiang.Role
	Username string
	Password string
	School   string
}

// Student is a roster entry to try the student flow with.
type Student struct {
	Name      string
	DocNumber string // a valid resident ID number (invented)
	StudentNo string
	School    string
	SchoolID  int64
	TaskID    int64
	Task      string
}

// Result is what Seed created, for printing.
type Result struct {
	Schools  []*xiaoxiang.School
	Tasks    []*xiaoxiang.Task
	Staff    []Login
	Try      Student // document-mode task (paid, manual entry allowed)
	TryNo    Student // student-number-mode task (free)
	Students int
}

// Staff passwords of the demo. They are fixed so a restart prints the same logins;
// never use the demo data in production.
var staffLogins = []Login{
	{Role: xiaoxiang.RoleOperator, Username: "operator", Password: "demo-operator-2026"},
	{Role: xiaoxiang.RoleSchoolAdmin, Username: "hunnu-admin", Password: "demo-school-2026", School: "10542"},
	{Role: xiaoxiang.RoleReviewer, Username: "reviewer", Password: "demo-review-2026"},
}

type schoolSpec struct {
	School xiaoxiang.School
	Addr   []string // resident-ID address codes of its students
	Colls  []string // colleges
}

var schoolSpecs = []schoolSpec{
	{School: xiaoxiang.School{Name: "湖南师范大学", Code: "10542", Ident: "4143010542", Pinyin: "hunanshifandaxue", Initials: "hnsfdx",
		SupportPhone: "0731-88872000", SupportHours: "周一至周五 8:30-12:00，14:30-17:30", SupportQQ: "800105420"},
		Addr:  []string{"430102", "430103", "430104", "430105", "430111", "430121", "430202", "430302", "430402", "430502", "430602", "431102", "420106", "360102", "440106"},
		Colls: []string{"文学院", "数学与统计学院", "物理与电子科学学院", "化学化工学院", "教育科学学院", "外国语学院", "商学院", "信息科学与工程学院"}},
	{School: xiaoxiang.School{Name: "江汉理工学院", Code: "19981", Pinyin: "jianghanligongxueyuan", Initials: "jhlgxy",
		SupportPhone: "027-86660000", SupportHours: "工作日 9:00-17:00", SupportQQ: "800199810"},
		Addr:  []string{"420102", "420103", "420104", "420105", "420106", "420111", "420502", "420602", "421002", "421102"},
		Colls: []string{"机械工程学院", "土木工程学院", "电气与自动化学院", "计算机学院", "经济管理学院"}},
	{School: xiaoxiang.School{Name: "湘江职业技术学院", Code: "19982", Pinyin: "xiangjiangzhiyejishuxueyuan", Initials: "xjzyjsxy",
		SupportPhone: "0731-84440000", SupportHours: "工作日 8:00-17:00", SupportQQ: "800199820"},
		Addr:  []string{"430102", "430121", "430181", "430211", "430321", "430421", "430521", "430621", "430721", "431021"},
		Colls: []string{"智能制造学院", "信息工程学院", "护理学院", "商贸学院"}},
}

// SeedIfEmpty seeds the demo data when the database has no school yet; otherwise it
// returns the result describing the existing demo (nil if it is not the demo).
func SeedIfEmpty(ctx context.Context, db *sqldb.DB, svc *core.Service, o Options) (*Result, error) {
	var n int
	err := db.View(ctx, func(tx *sqldb.Tx) error {
		ss, err := tx.FindSchools(ctx)
		n = len(ss)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if n > 0 {
		return Describe(ctx, db, o)
	}
	return Seed(ctx, db, svc, o)
}

// Describe rebuilds the printable result of an already seeded demo database without
// writing (the generator is deterministic). It returns nil when 湖南师范大学 is absent.
func Describe(ctx context.Context, db *sqldb.DB, o Options) (*Result, error) {
	res := &Result{}
	err := db.View(ctx, func(tx *sqldb.Tx) error {
		ss, err := tx.FindSchools(ctx)
		if err != nil {
			return err
		}
		for _, s := range ss {
			res.Schools = append(res.Schools, s)
			ts, err := tx.FindTasksBySchool(ctx, s.ID)
			if err != nil {
				return err
			}
			res.Tasks = append(res.Tasks, ts...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("demo: describe: %w", err)
	}
	slices.SortFunc(res.Tasks, func(a, b *xiaoxiang.Task) int { return cmp.Compare(a.ID, b.ID) })
	var hunnu *xiaoxiang.School
	for _, s := range res.Schools {
		if s.Code == schoolSpecs[0].School.Code {
			hunnu = s
		}
	}
	if hunnu == nil || len(res.Tasks) == 0 {
		return nil, nil
	}
	res.Staff = nil
	for _, l := range staffLogins {
		if l.School != "" {
			l.School = hunnu.Name
		}
		res.Staff = append(res.Staff, l)
	}
	res.Try, res.TryNo = trySomeone(hunnu, res.Tasks)
	return res, nil
}

// trySomeone returns the first generated student of the first document-mode task and
// of the first student-number task of the school (the generator is deterministic).
func trySomeone(s *xiaoxiang.School, tasks []*xiaoxiang.Task) (doc, no Student) {
	i := -1
	for _, t := range tasks {
		if t.SchoolID != s.ID {
			continue
		}
		i++ // the task's index within its school, as in Seed
		if t.Status != xiaoxiang.TaskOpen {
			continue
		}
		p := newPeople(seedFor(0, i)).next(schoolSpecs[0], t)
		st := Student{Name: p.name, DocNumber: p.doc, StudentNo: p.studentNo, School: s.Name, SchoolID: s.ID, TaskID: t.ID, Task: t.Title}
		if t.LinkMode == xiaoxiang.LinkByDocument && doc.Name == "" {
			doc = st
		}
		if t.LinkMode == xiaoxiang.LinkByStudentNo && no.Name == "" {
			no = st
		}
	}
	return doc, no
}

func seedFor(school, task int) uint64 { return uint64(10542*1000 + school*100 + task) }

type taskSpec struct {
	cat                xiaoxiang.Category
	title, grade       string
	opens, closes      int // days from today
	fee                int64
	mode               xiaoxiang.LinkMode
	manual, album      bool
	ctid, same, closed bool
	roster             int // 0 = RosterSize
}

func tasksFor(school int) []taskSpec {
	switch school {
	case 0:
		return []taskSpec{
			{cat: xiaoxiang.CategoryGraduate, title: "2026年上半年学位申请图像采集", grade: "2026年", opens: -10, closes: 30, fee: 1500, mode: xiaoxiang.LinkByDocument, manual: true, album: true, same: true},
			{cat: xiaoxiang.CategoryUndergrad, title: "2026届本科毕业生学历图像采集", grade: "2026届", opens: -5, closes: 45, fee: 1500, mode: xiaoxiang.LinkByDocument, album: false, ctid: true},
			{cat: xiaoxiang.CategoryAdult, title: "2026年成人教育学位申请图像采集", grade: "2026年", opens: -3, closes: 60, fee: 0, mode: xiaoxiang.LinkByStudentNo, album: true},
			{cat: xiaoxiang.CategoryGraduate, title: "2025年下半年学位申请图像采集", grade: "2025年", opens: -200, closes: -60, fee: 1500, mode: xiaoxiang.LinkByDocument, album: true, closed: true, roster: 20},
			{cat: xiaoxiang.CategoryUndergrad, title: "2027届本科毕业生学历图像采集（预备）", grade: "2027届", opens: 20, closes: 80, fee: 1500, mode: xiaoxiang.LinkByDocument, album: true, roster: 20},
		}
	case 1:
		return []taskSpec{
			{cat: xiaoxiang.CategoryUndergrad, title: "2026届毕业生学历图像采集", grade: "2026届", opens: -7, closes: 40, fee: 1500, mode: xiaoxiang.LinkByDocument, album: true},
			{cat: xiaoxiang.CategoryGraduate, title: "2026年研究生学位图像采集", grade: "2026年", opens: -7, closes: 40, fee: 2000, mode: xiaoxiang.LinkByStudentNo, album: true, roster: 100},
		}
	default:
		return []taskSpec{
			{cat: xiaoxiang.CategoryUndergrad, title: "2026届专科毕业生学历图像采集", grade: "2026届", opens: -2, closes: 50, fee: 1200, mode: xiaoxiang.LinkByDocument, manual: true, album: true},
			{cat: xiaoxiang.CategoryAdult, title: "2026年成人高等教育学历图像采集", grade: "2026年", opens: -2, closes: 50, fee: 0, mode: xiaoxiang.LinkByStudentNo, album: true, roster: 100},
		}
	}
}

// Seed writes the demo data (schools, tasks, rosters, staff) in one transaction.
func Seed(ctx context.Context, db *sqldb.DB, svc *core.Service, o Options) (*Result, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RosterSize <= 0 {
		o.RosterSize = 200
	}
	// Day boundaries in Asia/Shanghai so windows read as whole days.
	today := o.Now().In(xiaoxiang.Shanghai)
	day0 := time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, xiaoxiang.Shanghai)
	res := &Result{}
	// Hash the passwords outside the transaction (argon2id is slow on purpose).
	hashes := make([]string, len(staffLogins))
	for i, l := range staffLogins {
		h, err := auth.HashPassword(l.Password)
		if err != nil {
			return nil, fmt.Errorf("demo: hash password: %w", err)
		}
		hashes[i] = h
	}
	err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		for si, spec := range schoolSpecs {
			s := spec.School
			if err := tx.CreateSchool(ctx, &s); err != nil {
				return err
			}
			res.Schools = append(res.Schools, &s)
			for ti, ts := range tasksFor(si) {
				t := &xiaoxiang.Task{SchoolID: s.ID, Category: ts.cat, Title: ts.title, Grade: ts.grade, Status: xiaoxiang.TaskOpen,
					OpensAt: day0.AddDate(0, 0, ts.opens).UTC(), ClosesAt: day0.AddDate(0, 0, ts.closes).Add(-time.Second).UTC(),
					FeeFen: ts.fee, LinkMode: ts.mode, AllowManualEntry: ts.manual, AllowAlbum: ts.album, RequireCTID: ts.ctid,
					SamePersonCheck: ts.same, ProfileID: xiaoxiang.DefaultProfileID,
					FreeResubmissions: xiaoxiang.DefaultFreeResubmissions, ReplacementsBeforeReview: xiaoxiang.DefaultReplacementsBeforeReview,
					Notice: "请在采集时间内完成照片采集，照片用于学籍学历电子注册和毕业（学位）证书。"}
				if ts.closed {
					t.Status = xiaoxiang.TaskClosed
				}
				if ts.mode == xiaoxiang.LinkByStudentNo {
					t.ExportKey = xiaoxiang.ExportByStudentNo
				}
				if err := t.Validate(); err != nil {
					return err
				}
				if err := tx.CreateTask(ctx, t); err != nil {
					return err
				}
				res.Tasks = append(res.Tasks, t)
				n := ts.roster
				if n == 0 {
					n = o.RosterSize
				}
				gen := newPeople(seedFor(si, ti))
				for k := 0; k < n; k++ {
					p := gen.next(spec, t)
					sealed, err := svc.SealDocument(identity.KindResidentID, p.doc)
					if err != nil {
						return fmt.Errorf("demo: seal document: %w", err)
					}
					e := &xiaoxiang.RosterEntry{SchoolID: s.ID, TaskID: t.ID, Name: p.name, DocKind: string(sealed.Kind),
						DocCipher: sealed.Cipher, DocIndex: sealed.Index, DocLast4: sealed.Last4, StudentNo: p.studentNo,
						College: p.college, Major: p.major, Class: p.class, Grade: t.Grade, Gender: p.gender, Source: xiaoxiang.RosterImported}
					if err := tx.CreateRosterEntry(ctx, e); err != nil {
						return err
					}
					res.Students++
				}
			}
		}
		for i, l := range staffLogins {
			st := &xiaoxiang.Staff{Username: l.Username, DisplayName: l.Role.Label(), PasswordHash: hashes[i], Role: l.Role}
			if l.School != "" {
				st.SchoolID = res.Schools[0].ID
				l.School = res.Schools[0].Name
			}
			if err := tx.CreateStaff(ctx, st); err != nil {
				return err
			}
			res.Staff = append(res.Staff, l)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("demo: seed: %w", err)
	}
	res.Try, res.TryNo = trySomeone(res.Schools[0], res.Tasks)
	return res, nil
}

// person is one generated student.
type person struct {
	name, doc, studentNo, gender string
	college, major, class        string
}

// people generates students deterministically from a seed.
type people struct {
	r   *rand.Rand
	seq int
}

func newPeople(seed uint64) *people {
	return &people{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

var (
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "朱", "马", "胡", "郭", "林", "何", "高", "罗",
		"郑", "梁", "谢", "宋", "唐", "许", "邓", "冯", "韩", "曹", "曾", "彭", "肖", "蔡", "潘", "田", "董", "袁", "于", "余", "丁", "欧阳"}
	givenChars = []string{"子", "涵", "欣", "怡", "雨", "轩", "浩", "宇", "梓", "萱", "思", "博", "文", "佳", "一", "诺", "晨", "阳", "俊", "杰",
		"嘉", "琪", "明", "辉", "婷", "静", "雅", "鑫", "磊", "敏", "慧", "颖", "志", "强", "白", "云", "天", "乐", "宁", "远", "清", "秋"}
	majors = []string{"汉语言文学", "数学与应用数学", "物理学", "化学", "教育学", "英语", "会计学", "计算机科学与技术", "软件工程", "护理学", "机械设计制造及其自动化"}
)

func (g *people) next(spec schoolSpec, t *xiaoxiang.Task) person {
	g.seq++
	r := g.r
	name := surnames[r.IntN(len(surnames))] + givenChars[r.IntN(len(givenChars))]
	if r.IntN(3) > 0 {
		name += givenChars[r.IntN(len(givenChars))]
	}
	year := 1998 + r.IntN(9)
	birth := time.Date(year, time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
	seq := 1 + r.IntN(998)
	gender := "F"
	if seq%2 == 1 {
		gender = "M"
	}
	d17 := spec.Addr[r.IntN(len(spec.Addr))] + birth.Format("20060102") + fmt.Sprintf("%03d", seq)
	coll := r.IntN(len(spec.Colls))
	enrol := 2022
	if t.Category == xiaoxiang.CategoryGraduate {
		enrol = 2023
	}
	return person{
		name: name, doc: d17 + string(CheckChar(d17)), gender: gender,
		studentNo: fmt.Sprintf("%d%s%02d%04d", enrol, spec.School.Code[3:], coll+1, g.seq),
		college:   spec.Colls[coll], major: majors[r.IntN(len(majors))], class: fmt.Sprintf("%d级%d班", enrol, 1+r.IntN(6)),
	}
}

// CheckChar computes the GB 11643-1999 check character of 17 digits
// (ISO 7064 MOD 11-2).
func CheckChar(d17 string) byte {
	w := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	s := 0
	for i := 0; i < 17; i++ {
		s += int(d17[i]-'0') * w[i]
	}
	return "10X98765432"[s%11]
}

// Person is one generated demo student: invented name, valid (but fictitious) ID number.
type Person struct {
	Name, DocNumber, StudentNo, Gender string
	College, Major, Class              string
}

// Roster returns the first n students of the roster of the task-th demo task of the
// school-th demo school, exactly as Seed writes them (the generator is deterministic).
// Load tests and crash tests use it to link simulated students to real roster entries.
func Roster(school, task, n int) ([]Person, error) {
	if school < 0 || school >= len(schoolSpecs) {
		return nil, fmt.Errorf("demo: no school %d", school)
	}
	specs := tasksFor(school)
	if task < 0 || task >= len(specs) {
		return nil, fmt.Errorf("demo: school %d has no task %d", school, task)
	}
	t := &xiaoxiang.Task{Category: specs[task].cat}
	gen := newPeople(seedFor(school, task))
	out := make([]Person, 0, n)
	for range n {
		p := gen.next(schoolSpecs[school], t)
		out = append(out, Person{Name: p.name, DocNumber: p.doc, StudentNo: p.studentNo, Gender: p.gender,
			College: p.college, Major: p.major, Class: p.class})
	}
	return out, nil
}
