package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"xiaoxiang/internal/demo"
)

// The demo roster is generated deterministically by internal/demo (a PCG seeded per
// school and task). Its generator is unexported, so this file mirrors it: the same
// seeds, the same draws in the same order. internal/demo's package comment promises
// "the same data every time"; if the generator changes, links answer 404 and the run
// reports them as errors (main also checks the first person against the one the
// server prints as the demo's "try" student, without logging either).

// demoTask is an open, paid, document-mode demo task with a full roster (200).
type demoTask struct {
	schoolIdx, taskIdx int    // positions in internal/demo's schoolSpecs / tasksFor
	schoolCode         string // 5-digit code students search for
	category           string // URL segment of the category page
	title              string
	graduate           bool // enrolment year 2023 instead of 2022
	addr, colls        []string
	rosterSize         int
}

var demoTasks = []demoTask{
	{0, 0, "10542", "graduate", "2026年上半年学位申请图像采集", true,
		[]string{"430102", "430103", "430104", "430105", "430111", "430121", "430202", "430302", "430402", "430502", "430602", "431102", "420106", "360102", "440106"},
		[]string{"文学院", "数学与统计学院", "物理与电子科学学院", "化学化工学院", "教育科学学院", "外国语学院", "商学院", "信息科学与工程学院"}, 200},
	{1, 0, "19981", "undergrad", "2026届毕业生学历图像采集", false,
		[]string{"420102", "420103", "420104", "420105", "420106", "420111", "420502", "420602", "421002", "421102"},
		[]string{"机械工程学院", "土木工程学院", "电气与自动化学院", "计算机学院", "经济管理学院"}, 200},
	{2, 0, "19982", "undergrad", "2026届专科毕业生学历图像采集", false,
		[]string{"430102", "430121", "430181", "430211", "430321", "430421", "430521", "430621", "430721", "431021"},
		[]string{"智能制造学院", "信息工程学院", "护理学院", "商贸学院"}, 200},
}

var (
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "朱", "马", "胡", "郭", "林", "何", "高", "罗",
		"郑", "梁", "谢", "宋", "唐", "许", "邓", "冯", "韩", "曹", "曾", "彭", "肖", "蔡", "潘", "田", "董", "袁", "于", "余", "丁", "欧阳"}
	givenChars = []string{"子", "涵", "欣", "怡", "雨", "轩", "浩", "宇", "梓", "萱", "思", "博", "文", "佳", "一", "诺", "晨", "阳", "俊", "杰",
		"嘉", "琪", "明", "辉", "婷", "静", "雅", "鑫", "磊", "敏", "慧", "颖", "志", "强", "白", "云", "天", "乐", "宁", "远", "清", "秋"}
	nMajors = 11 // len(internal/demo.majors): only the number of draws matters here
)

// person is a generated roster entry (never logged).
type person struct {
	name, doc string
}

// rosterOf returns the first n people of a demo task's roster.
func rosterOf(t demoTask, n int) []person {
	seed := uint64(10542*1000 + t.schoolIdx*100 + t.taskIdx)
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]person, 0, n)
	for range n {
		name := surnames[r.IntN(len(surnames))] + givenChars[r.IntN(len(givenChars))]
		if r.IntN(3) > 0 {
			name += givenChars[r.IntN(len(givenChars))]
		}
		year := 1998 + r.IntN(9)
		birth := time.Date(year, time.Month(1+r.IntN(12)), 1+r.IntN(28), 0, 0, 0, 0, time.UTC)
		seq := 1 + r.IntN(998)
		d17 := t.addr[r.IntN(len(t.addr))] + birth.Format("20060102") + fmt.Sprintf("%03d", seq)
		_ = r.IntN(len(t.colls)) // college
		_ = r.IntN(nMajors)      // major
		_ = r.IntN(6)            // class
		out = append(out, person{name: name, doc: d17 + string(demo.CheckChar(d17))})
	}
	return out
}

// assignment is the roster entry and task a simulated student links to.
type assignment struct {
	task demoTask
	p    person
}

// assign gives n students distinct roster entries, round-robin over the three schools.
func assign(n int) ([]assignment, error) {
	capacity := 0
	rosters := make([][]person, len(demoTasks))
	for i, t := range demoTasks {
		capacity += t.rosterSize
		rosters[i] = rosterOf(t, t.rosterSize)
	}
	if n > capacity {
		return nil, fmt.Errorf("at most %d students (the demo's paid document-mode rosters)", capacity)
	}
	out := make([]assignment, 0, n)
	next := make([]int, len(demoTasks))
	for i := 0; len(out) < n; i++ {
		k := i % len(demoTasks)
		if next[k] >= len(rosters[k]) {
			continue
		}
		out = append(out, assignment{task: demoTasks[k], p: rosters[k][next[k]]})
		next[k]++
	}
	return out, nil
}
