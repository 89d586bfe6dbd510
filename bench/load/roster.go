package main

import (
	"fmt"

	"xiaoxiang/internal/demo"
)

// The demo roster is generated deterministically by internal/demo; demo.Roster returns
// exactly the entries Seed writes, so simulated students link to real roster rows.

// demoTask is an open, paid, document-mode demo task with a full roster (200).
type demoTask struct {
	schoolIdx, taskIdx int    // positions in internal/demo's schoolSpecs / tasksFor
	schoolCode         string // 5-digit code students search for
	category           string // URL segment of the category page
	title              string
	graduate           bool // enrolment year 2023 instead of 2022
	rosterSize         int
}

var demoTasks = []demoTask{
	{0, 0, "10542", "graduate", "2026年上半年学位申请图像采集", true, 200},
	{1, 0, "19981", "undergrad", "2026届毕业生学历图像采集", false, 200},
	{2, 0, "19982", "undergrad", "2026届专科毕业生学历图像采集", false, 200},
}

// person is a generated roster entry (never logged).
type person struct {
	name, doc string
}

// rosterOf returns the first n people of a demo task's roster (internal/demo.Roster).
func rosterOf(t demoTask, n int) ([]person, error) {
	ps, err := demo.Roster(t.schoolIdx, t.taskIdx, n)
	if err != nil {
		return nil, err
	}
	out := make([]person, len(ps))
	for i, p := range ps {
		out[i] = person{name: p.Name, doc: p.DocNumber}
	}
	return out, nil
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
		r, err := rosterOf(t, t.rosterSize)
		if err != nil {
			return nil, err
		}
		rosters[i] = r
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
