package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"sync"
	"time"
)

type endpoint struct {
	name   string
	photo  bool
	lat    []time.Duration
	errors int
}

type stats struct {
	mu       sync.Mutex
	eps      map[string]*endpoint
	failed   map[string]int // flow failures by message
	notes    map[string]int
	paidN    int
	pollsSum int
}

func newStats() *stats {
	return &stats{eps: map[string]*endpoint{}, failed: map[string]int{}, notes: map[string]int{}}
}

func (s *stats) record(name string, photo bool, d time.Duration, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.eps[name]
	if e == nil {
		e = &endpoint{name: name, photo: photo}
		s.eps[name] = e
	}
	if d > 0 {
		e.lat = append(e.lat, d)
	}
	if !ok {
		e.errors++
	}
}

func (s *stats) paid(polls int) {
	s.mu.Lock()
	s.paidN++
	s.pollsSum += polls
	s.mu.Unlock()
}

func (s *stats) flowFailed(err error) {
	s.mu.Lock()
	s.failed[err.Error()]++
	s.mu.Unlock()
}

func (s *stats) note(msg string) {
	s.mu.Lock()
	s.notes[msg]++
	s.mu.Unlock()
}

func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.999999) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d.Microseconds())/1000) }

// print writes the report as Markdown tables.
func (s *stats) print(w io.Writer, desc string, c config, elapsed time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(w, "\n%s; %d students, %d with photos; wall %.2f s\n\n", desc, c.students, c.photos, elapsed.Seconds())
	var names []string
	for n := range s.eps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, photo := range []bool{false, true} {
		var all []time.Duration
		total, errs := 0, 0
		rows := 0
		for _, n := range names {
			if s.eps[n].photo == photo {
				rows++
			}
		}
		if rows == 0 {
			continue
		}
		if photo {
			fmt.Fprintln(w, "\nPhoto endpoints (CPU-bound):")
		} else {
			fmt.Fprintln(w, "Non-photo endpoints (sim = the in-process WeChat simulator's pages, the student's browser goes there too):")
		}
		fmt.Fprintln(w, "\n| endpoint | requests | errors | p50 ms | p95 ms | p99 ms | max ms |")
		fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
		for _, n := range names {
			e := s.eps[n]
			if e.photo != photo {
				continue
			}
			l := slices.Clone(e.lat)
			slices.Sort(l)
			all = append(all, l...)
			total += len(l)
			errs += e.errors
			fmt.Fprintf(w, "| %s | %d | %d | %s | %s | %s | %s |\n", n, len(l), e.errors, ms(pct(l, .5)), ms(pct(l, .95)), ms(pct(l, .99)), ms(pct(l, 1)))
		}
		slices.Sort(all)
		fmt.Fprintf(w, "| **all** | %d | %d | %s | %s | %s | %s |\n", total, errs, ms(pct(all, .5)), ms(pct(all, .95)), ms(pct(all, .99)), ms(pct(all, 1)))
		fmt.Fprintf(w, "\nthroughput: %.0f requests/s over the run\n", float64(total)/elapsed.Seconds())
	}
	ok := c.students - sumValues(s.failed)
	fmt.Fprintf(w, "\nstudents finished the flow: %d / %d; payments confirmed: %d (mean %.1f status polls)\n", ok, c.students, s.paidN, float64(s.pollsSum)/float64(max(1, s.paidN)))
	for _, m := range sortedKeys(s.failed) {
		fmt.Fprintf(w, "  flow failure ×%d: %s\n", s.failed[m], m)
	}
	for _, m := range sortedKeys(s.notes) {
		fmt.Fprintf(w, "  note ×%d: %s\n", s.notes[m], m)
	}
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func sortedKeys(m map[string]int) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
