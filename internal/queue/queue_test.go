package queue_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"xiaoxiang/internal/queue"
	"xiaoxiang/internal/sqldb"
	"xiaoxiang/internal/sqldb/sqldbtest"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type sendArgs struct {
	To string `json:"to"`
}

func setup(t *testing.T) (*sqldb.DB, *clock) {
	clk := &clock{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)}
	return sqldbtest.Open(t, sqldb.Options{Now: clk.Now}), clk
}

func insert(t *testing.T, db *sqldb.DB, kind string, args any, opts queue.InsertOpts) (int64, bool) {
	t.Helper()
	var id int64
	var ok bool
	err := db.InTx(context.Background(), func(tx *sqldb.Tx) (err error) {
		id, ok, err = queue.InsertTx(context.Background(), tx, kind, args, opts)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id, ok
}

func job(t *testing.T, db *sqldb.DB, id int64) *sqldb.Job {
	t.Helper()
	var j *sqldb.Job
	if err := db.View(context.Background(), func(tx *sqldb.Tx) (err error) { j, err = tx.FindJobByID(context.Background(), id); return err }); err != nil {
		t.Fatal(err)
	}
	return j
}

func TestInsertTxIsTransactional(t *testing.T) {
	db, _ := setup(t)
	ctx := context.Background()
	boom := errors.New("boom")
	err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, _, err := queue.InsertTx(ctx, tx, "message.send", sendArgs{To: "a"}, queue.InsertOpts{}); err != nil {
			return err
		}
		return boom // the change that caused the job failed
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	var jobs []*sqldb.Job
	db.View(ctx, func(tx *sqldb.Tx) (err error) { jobs, err = tx.FindJobs(ctx, "", 10); return err })
	if len(jobs) != 0 {
		t.Fatalf("a rolled-back transaction left %d jobs", len(jobs))
	}
}

func TestUniqueKeyNeverTwice(t *testing.T) {
	db, _ := setup(t)
	id, ok := insert(t, db, "message.send", sendArgs{To: "a"}, queue.InsertOpts{UniqueKey: "review:42"})
	if !ok || id == 0 {
		t.Fatal("first insert refused")
	}
	c := queue.New(db, queue.Config{})
	c.Handle("message.send", func(ctx context.Context, j *queue.Job) error { return nil })
	if n, err := c.RunOnce(context.Background()); n != 1 || err != nil {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	// Even after the job completed, the key cannot be used again.
	if _, ok := insert(t, db, "message.send", sendArgs{To: "b"}, queue.InsertOpts{UniqueKey: "review:42"}); ok {
		t.Fatal("a second job with the same unique key was inserted")
	}
}

func TestRetryBackoffAndDiscard(t *testing.T) {
	db, clk := setup(t)
	ctx := context.Background()
	id, _ := insert(t, db, "flaky", sendArgs{To: "x"}, queue.InsertOpts{MaxAttempts: 3})
	var calls atomic.Int32
	c := queue.New(db, queue.Config{Now: clk.Now})
	c.Handle("flaky", func(ctx context.Context, j *queue.Job) error {
		calls.Add(1)
		var a sendArgs
		if err := j.Decode(&a); err != nil || a.To != "x" {
			t.Errorf("args = %+v, %v", a, err)
		}
		return fmt.Errorf("upstream down (attempt %d)", j.Attempt)
	})
	for attempt := 1; attempt <= 3; attempt++ {
		if n, err := c.RunOnce(ctx); n != 1 || err != nil {
			t.Fatalf("attempt %d: RunOnce = %d, %v", attempt, n, err)
		}
		j := job(t, db, id)
		if attempt < 3 {
			wantAt := clk.Now().Add(queue.DefaultBackoff(attempt))
			if j.State != sqldb.JobAvailable || !j.RunAt.Equal(wantAt) || j.Attempts != attempt {
				t.Fatalf("after attempt %d: %+v, want available at %v", attempt, j, wantAt)
			}
			// Not due yet: nothing runs.
			if n, _ := c.RunOnce(ctx); n != 0 {
				t.Fatalf("a job ran before its backoff")
			}
			clk.Add(queue.DefaultBackoff(attempt))
		} else if j.State != sqldb.JobDiscarded || j.LastError != "upstream down (attempt 3)" {
			t.Fatalf("after max attempts: %+v", j)
		}
	}
	if calls.Load() != 3 {
		t.Fatalf("handler ran %d times, want 3", calls.Load())
	}
}

func TestCancelAndPanic(t *testing.T) {
	db, _ := setup(t)
	ctx := context.Background()
	cancelID, _ := insert(t, db, "bad", struct{}{}, queue.InsertOpts{})
	panicID, _ := insert(t, db, "panics", struct{}{}, queue.InsertOpts{MaxAttempts: 1})
	orphanID, _ := insert(t, db, "unknown.kind", struct{}{}, queue.InsertOpts{})
	c := queue.New(db, queue.Config{Workers: 4})
	c.Handle("bad", func(ctx context.Context, j *queue.Job) error { return fmt.Errorf("bad args: %w", queue.ErrCancel) })
	c.Handle("panics", func(ctx context.Context, j *queue.Job) error { panic("boom") })
	if n, err := c.RunOnce(ctx); n != 2 || err != nil {
		t.Fatalf("RunOnce = %d, %v (jobs of kinds without a handler are not claimed)", n, err)
	}
	if j := job(t, db, cancelID); j.State != sqldb.JobDiscarded {
		t.Errorf("cancelled job: %s", j.State)
	}
	if j := job(t, db, panicID); j.State != sqldb.JobDiscarded || j.LastError != "panic: boom" {
		t.Errorf("panicking job: %s %q", j.State, j.LastError)
	}
	if j := job(t, db, orphanID); j.State != sqldb.JobAvailable {
		t.Errorf("job without handler: %s", j.State)
	}
}

// TestLeaseExpiry: a job whose worker died (claimed, never finished) is
// claimed again after its lease.
func TestLeaseExpiry(t *testing.T) {
	db, clk := setup(t)
	ctx := context.Background()
	id, _ := insert(t, db, "work", struct{}{}, queue.InsertOpts{})
	err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		js, err := tx.ClaimJobs(ctx, []string{"work"}, clk.Now(), time.Minute, 10)
		if len(js) != 1 {
			t.Fatalf("claimed %d", len(js))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	c := queue.New(db, queue.Config{Now: clk.Now, Lease: time.Minute})
	c.Handle("work", func(ctx context.Context, j *queue.Job) error { return nil })
	if n, _ := c.RunOnce(ctx); n != 0 {
		t.Fatal("a leased job was claimed twice")
	}
	clk.Add(2 * time.Minute)
	if n, _ := c.RunOnce(ctx); n != 1 {
		t.Fatal("an expired lease was not reclaimed")
	}
	if j := job(t, db, id); j.State != sqldb.JobCompleted || j.Attempts != 2 {
		t.Fatalf("job %+v", j)
	}
}

// TestConcurrentWorkersRunEachJobOnce: several clients (as several worker
// processes would) share the table; every job runs exactly once.
func TestConcurrentWorkersRunEachJobOnce(t *testing.T) {
	db, _ := setup(t)
	ctx := context.Background()
	const jobs = 30
	for i := 0; i < jobs; i++ {
		insert(t, db, "count", sendArgs{To: fmt.Sprint(i)}, queue.InsertOpts{})
	}
	var mu sync.Mutex
	runs := map[string]int{}
	var clients []*queue.Client
	for w := 0; w < 3; w++ {
		c := queue.New(db, queue.Config{Workers: 3, PollInterval: 5 * time.Millisecond})
		c.Handle("count", func(ctx context.Context, j *queue.Job) error {
			var a sendArgs
			j.Decode(&a)
			mu.Lock()
			runs[a.To]++
			mu.Unlock()
			time.Sleep(2 * time.Millisecond)
			return nil
		})
		if err := c.Start(ctx); err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(runs)
		mu.Unlock()
		if n == jobs || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, c := range clients {
		if err := c.Stop(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if len(runs) != jobs {
		t.Fatalf("%d of %d jobs ran", len(runs), jobs)
	}
	for k, n := range runs {
		if n != 1 {
			t.Errorf("job %s ran %d times", k, n)
		}
	}
}

// TestStopWaitsForRunningJobs: Stop returns only after the running job
// finished, and the job is recorded completed.
func TestStopWaitsForRunningJobs(t *testing.T) {
	db, _ := setup(t)
	ctx := context.Background()
	id, _ := insert(t, db, "slow", struct{}{}, queue.InsertOpts{})
	started := make(chan struct{})
	var finished atomic.Bool
	c := queue.New(db, queue.Config{PollInterval: 5 * time.Millisecond})
	c.Handle("slow", func(ctx context.Context, j *queue.Job) error {
		close(started)
		time.Sleep(200 * time.Millisecond)
		finished.Store(true)
		return nil
	})
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	<-started
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if !finished.Load() {
		t.Fatal("Stop returned before the running job finished")
	}
	if j := job(t, db, id); j.State != sqldb.JobCompleted {
		t.Fatalf("job state %s after Stop", j.State)
	}
}

// TestStopDeadlineCancelsJobs: when Stop's context ends first, running jobs
// see their context cancelled, and the job is retried later.
func TestStopDeadlineCancelsJobs(t *testing.T) {
	db, _ := setup(t)
	id, _ := insert(t, db, "stuck", struct{}{}, queue.InsertOpts{})
	started := make(chan struct{})
	c := queue.New(db, queue.Config{PollInterval: 5 * time.Millisecond})
	c.Handle("stuck", func(ctx context.Context, j *queue.Job) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	})
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.Stop(ctx); err == nil {
		t.Fatal("Stop returned nil although a job was still running at its deadline")
	}
	deadline := time.Now().Add(5 * time.Second)
	for job(t, db, id).State != sqldb.JobAvailable {
		if time.Now().After(deadline) {
			t.Fatalf("cancelled job not rescheduled: %+v", job(t, db, id))
		}
		time.Sleep(10 * time.Millisecond)
	}
}
