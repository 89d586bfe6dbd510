package core_test

import (
	"net/http/httptest"
	"strconv"
	"testing"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/ctid"
	"xiaoxiang/internal/ctid/ctidfake"
	"xiaoxiang/internal/queue"
	"xiaoxiang/internal/sqldb"
)

// withCTID wires the service to the CTID channel simulator.
func withCTID(t *testing.T, e *env) {
	t.Helper()
	sim := ctidfake.New(ctidfake.Options{}) // wall clock: the client signs with real time
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := ctid.New(sim.Config(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	e.setOptions(func(o *core.Options) { o.Identity = c })
}

func (e *env) runJobs(kind string, h queue.Handler) int {
	e.t.Helper()
	q := queue.New(e.db, queue.Config{Now: e.clock.Now, Workers: 4})
	q.Handle(kind, h)
	n, err := q.RunOnce(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

func TestVerifySubmissionCTID(t *testing.T) {
	e := newEnv(t)
	e.tx(func(tx *sqldb.Tx) error { e.task.RequireCTID = true; return tx.UpdateTask(e.ctx, e.task) })
	withCTID(t, e)
	idMismatch := residentID("11010519990307990")
	idDown := residentID("11010519990307993")
	cases := []struct {
		openid, name, doc string
		want, label       string
	}{
		{"o-ding", "丁白云", idDing, "valid", "有效"},
		{"o-mis", "张三", idMismatch, "mismatch", "无效"},
	}
	var bindings []*xiaoxiang.Binding
	var accounts []*xiaoxiang.Account
	for _, c := range cases {
		a, b := e.linked(c.openid, c.name, c.doc)
		must(e.svc.Submit(e.ctx, a.ID, e.photo(a, b, 1).ID))(t)
		accounts, bindings = append(accounts, a), append(bindings, b)
	}
	if n := e.runJobs(core.JobVerifySubmission, e.svc.HandleVerifySubmission); n != 2 {
		t.Fatalf("ran %d verify jobs, want 2", n)
	}
	for i, c := range cases {
		st := must(e.svc.Status(e.ctx, accounts[i].ID, bindings[i].ID))(t)
		if st.Submission.CTIDResult != c.want || st.IdentityResult != c.label || st.Submission.CTIDSerial == "" || st.Submission.Status != xiaoxiang.SubmissionPending {
			t.Errorf("%s: ctid %q (%s) serial %q status %s; want %s (%s), still pending review", c.name, st.Submission.CTIDResult, st.IdentityResult,
				st.Submission.CTIDSerial, st.Submission.Status, c.want, c.label)
		}
		if evs := events(e, st.Submission.ID); evs[len(evs)-1] != "ctid:pending>pending" {
			t.Errorf("%s: last event %v", c.name, evs)
		}
	}

	t.Run("channel down: retried, then unavailable", func(t *testing.T) {
		a, b := e.linked("o-down", "李四", idDown)
		sub := must(e.svc.Submit(e.ctx, a.ID, e.photo(a, b, 1).ID))(t)
		args := []byte(`{"submission_id":` + itoa(sub.ID) + `,"attempt_id":` + itoa(sub.AttemptID) + `}`)
		if err := e.svc.HandleVerifySubmission(e.ctx, &queue.Job{Kind: core.JobVerifySubmission, Args: args, Attempt: 1, MaxAttempts: 5}); err == nil {
			t.Fatal("an unavailable channel completed the job on its first attempt")
		}
		if err := e.svc.HandleVerifySubmission(e.ctx, &queue.Job{Kind: core.JobVerifySubmission, Args: args, Attempt: 5, MaxAttempts: 5}); err != nil {
			t.Fatal(err)
		}
		st := must(e.svc.Status(e.ctx, a.ID, b.ID))(t)
		if st.IdentityResult != "暂不可用" || st.Submission.Status != xiaoxiang.SubmissionPending {
			t.Fatalf("after giving up: %s, %s", st.IdentityResult, st.Submission.Status)
		}
	})
	t.Run("a replaced photo makes the job obsolete", func(t *testing.T) {
		a, b := e.linked("o-rep", "王五", residentID("11010519990307555"))
		first := must(e.svc.Submit(e.ctx, a.ID, e.photo(a, b, 1).ID))(t)
		old := []byte(`{"submission_id":` + itoa(first.ID) + `,"attempt_id":` + itoa(first.AttemptID) + `}`)
		must(e.svc.Submit(e.ctx, a.ID, e.photo(a, b, 2).ID))(t)
		if err := e.svc.HandleVerifySubmission(e.ctx, &queue.Job{Args: old, Attempt: 1, MaxAttempts: 5}); err != nil {
			t.Fatal(err)
		}
		if st := must(e.svc.Status(e.ctx, a.ID, b.ID))(t); st.Submission.CTIDResult != "" {
			t.Fatalf("obsolete job recorded %q", st.Submission.CTIDResult)
		}
	})
	t.Run("no channel configured: unavailable at once", func(t *testing.T) {
		e.setOptions(func(o *core.Options) { o.Identity = nil })
		a, b := e.linked("o-nochan", "赵六", residentID("11010519990307666"))
		sub := must(e.svc.Submit(e.ctx, a.ID, e.photo(a, b, 1).ID))(t)
		args := []byte(`{"submission_id":` + itoa(sub.ID) + `,"attempt_id":` + itoa(sub.AttemptID) + `}`)
		if err := e.svc.HandleVerifySubmission(e.ctx, &queue.Job{Args: args, Attempt: 1, MaxAttempts: 5}); err != nil {
			t.Fatal(err)
		}
		if st := must(e.svc.Status(e.ctx, a.ID, b.ID))(t); st.Submission.CTIDResult != core.CTIDUnavailable {
			t.Fatalf("ctid %q", st.Submission.CTIDResult)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
