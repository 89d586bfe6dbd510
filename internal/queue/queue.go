// Package queue is a small persistent job queue over sqldb's jobs table.
// Jobs are inserted with InsertTx in the same transaction as the change that
// causes them, so a committed change always has its side effect queued and a
// rolled-back one never does. A Client runs registered handlers: workers
// claim batches of due jobs (PostgreSQL: FOR UPDATE SKIP LOCKED, so several
// worker processes share the table; SQLite: the single writer), retry
// failures with exponential backoff and discard a job after MaxAttempts.
// Stop waits for running jobs. Kinds are stable dotted names
// ("submission.verify", "blob.delete") that never change once shipped.
package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"xiaoxiang/internal/sqldb"
)

// DefaultMaxAttempts is used when InsertOpts.MaxAttempts is 0.
const DefaultMaxAttempts = 10

// InsertOpts tune one insert. The zero value runs the job now, at most
// DefaultMaxAttempts times, with no uniqueness.
type InsertOpts struct {
	// UniqueKey makes the insert a no-op when a job with the same key was
	// ever inserted ("never twice"), e.g. "review_result:submission:42:3".
	UniqueKey   string
	RunAt       time.Time
	MaxAttempts int
}

// InsertTx queues a job of kind with args (marshalled to JSON) inside tx.
// It returns the job id and false (id 0) when UniqueKey was used before.
func InsertTx(ctx context.Context, tx *sqldb.Tx, kind string, args any, opts InsertOpts) (int64, bool, error) {
	if kind == "" {
		return 0, false, errors.New("queue: insert: empty kind")
	}
	b, err := json.Marshal(args)
	if err != nil {
		return 0, false, fmt.Errorf("queue: insert %s: %w", kind, err)
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	j := &sqldb.Job{Kind: kind, Args: string(b), UniqueKey: opts.UniqueKey, RunAt: opts.RunAt, MaxAttempts: opts.MaxAttempts}
	ok, err := tx.InsertJob(ctx, j)
	if err != nil {
		return 0, false, fmt.Errorf("queue: insert %s: %w", kind, err)
	}
	return j.ID, ok, nil
}

// Job is what a handler gets.
type Job struct {
	ID          int64
	Kind        string
	Args        json.RawMessage
	Attempt     int // 1 for the first run
	MaxAttempts int
}

// Decode unmarshals the job's args into v.
func (j *Job) Decode(v any) error {
	if err := json.Unmarshal(j.Args, v); err != nil {
		return fmt.Errorf("queue: job %d (%s): decode args: %w", j.ID, j.Kind, err)
	}
	return nil
}

// Handler runs one job. Returning nil completes it; an error retries it
// later (or discards it after MaxAttempts); an error wrapping ErrCancel
// discards it at once.
type Handler func(ctx context.Context, j *Job) error

// ErrCancel marks a failure that retrying cannot fix (wrap it: fmt.Errorf("…: %w", queue.ErrCancel)).
var ErrCancel = errors.New("queue: cancel job")

// Config tunes a Client. The zero value works.
type Config struct {
	Now          func() time.Time
	Logger       *slog.Logger
	Workers      int           // jobs run at the same time (default 2)
	PollInterval time.Duration // how often to look for due jobs (default 1s)
	Lease        time.Duration // a claimed job is retried if not finished by then (default 5m)
	JobTimeout   time.Duration // context deadline of one run (default 1m)
	// Backoff returns the delay before retry number attempt (1-based);
	// default: 2^attempt seconds, capped at 1h.
	Backoff func(attempt int) time.Duration
}

// Client runs jobs.
type Client struct {
	db       *sqldb.DB
	cfg      Config
	log      *slog.Logger
	handlers map[string]Handler

	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	running sync.WaitGroup
	// jobs is the parent context of running jobs; Stop cancels it when its
	// own context ends before the jobs finish.
	jobs       context.Context
	cancelJobs context.CancelFunc
}

// New returns a Client over db. Register handlers before Start.
func New(db *sqldb.DB, cfg Config) *Client {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 2
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = time.Second
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 5 * time.Minute
	}
	if cfg.JobTimeout <= 0 {
		cfg.JobTimeout = time.Minute
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultBackoff
	}
	jobs, cancelJobs := context.WithCancel(context.Background())
	return &Client{db: db, cfg: cfg, log: cfg.Logger, handlers: map[string]Handler{}, jobs: jobs, cancelJobs: cancelJobs}
}

// DefaultBackoff is 2^attempt seconds, capped at one hour.
func DefaultBackoff(attempt int) time.Duration {
	d := time.Duration(math.Pow(2, float64(min(attempt, 12)))) * time.Second
	return min(d, time.Hour)
}

// Handle registers the handler of kind.
func (c *Client) Handle(kind string, h Handler) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.handlers[kind] = h
}

func (c *Client) kinds() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.handlers))
	for k := range c.handlers {
		out = append(out, k)
	}
	return out
}

// Start runs the poll loop in a goroutine until Stop.
func (c *Client) Start(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cancel != nil {
		return errors.New("queue: already started")
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	c.cancel = cancel
	c.done = make(chan struct{})
	go c.loop(ctx)
	return nil
}

func (c *Client) loop(ctx context.Context) {
	defer close(c.done)
	t := time.NewTicker(c.cfg.PollInterval)
	defer t.Stop()
	for {
		if _, err := c.work(ctx, true); err != nil && ctx.Err() == nil {
			c.log.Error("queue: claim", slog.String("error", err.Error()))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Stop stops claiming and waits for running jobs to finish (or for ctx to
// end; running jobs then see their context cancelled).
func (c *Client) Stop(ctx context.Context) error {
	c.mu.Lock()
	cancel, done := c.cancel, c.done
	c.mu.Unlock()
	if cancel == nil {
		return nil
	}
	// Stop claiming first; running jobs keep their own contexts.
	cancel()
	finished := make(chan struct{})
	go func() {
		<-done
		c.running.Wait()
		close(finished)
	}()
	select {
	case <-finished:
		return nil
	case <-ctx.Done():
		c.cancelJobs()
		return fmt.Errorf("queue: stop: %w", ctx.Err())
	}
}

// RunOnce claims one batch of due jobs, runs them and waits for them (tests
// and the `worker --once` command). It returns how many jobs ran.
func (c *Client) RunOnce(ctx context.Context) (int, error) {
	n, err := c.work(ctx, false)
	c.running.Wait()
	return n, err
}

// work claims up to Workers jobs and runs them; when async it returns
// without waiting for them.
func (c *Client) work(ctx context.Context, async bool) (int, error) {
	kinds := c.kinds()
	if len(kinds) == 0 {
		return 0, nil
	}
	var jobs []*sqldb.Job
	err := c.db.InTx(ctx, func(tx *sqldb.Tx) (err error) {
		jobs, err = tx.ClaimJobs(ctx, kinds, c.cfg.Now().UTC(), c.cfg.Lease, c.cfg.Workers)
		return err
	})
	if err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for _, j := range jobs {
		c.running.Add(1)
		wg.Add(1)
		go func(j *sqldb.Job) {
			defer c.running.Done()
			defer wg.Done()
			c.run(j)
		}(j)
	}
	if async {
		// Claim the next batch only when this one is done: at most Workers
		// jobs run at once.
		wg.Wait()
	}
	return len(jobs), nil
}

func (c *Client) run(sj *sqldb.Job) {
	c.mu.Lock()
	h := c.handlers[sj.Kind]
	c.mu.Unlock()
	j := &Job{ID: sj.ID, Kind: sj.Kind, Args: json.RawMessage(sj.Args), Attempt: sj.Attempts, MaxAttempts: sj.MaxAttempts}
	ctx, cancel := context.WithTimeout(c.jobs, c.cfg.JobTimeout)
	defer cancel()
	start := time.Now()
	err := safeRun(ctx, h, j)
	// Record the outcome even if the job's context expired.
	rctx, rcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer rcancel()
	var rerr error
	switch {
	case err == nil:
		rerr = c.db.InTx(rctx, func(tx *sqldb.Tx) error { return tx.CompleteJob(rctx, j.ID) })
	case errors.Is(err, ErrCancel) || j.Attempt >= j.MaxAttempts:
		c.log.Warn("queue: job discarded", slog.Int64("job_id", j.ID), slog.String("job_kind", j.Kind), slog.Int("attempt", j.Attempt), slog.String("error", err.Error()))
		rerr = c.db.InTx(rctx, func(tx *sqldb.Tx) error { return tx.DiscardJob(rctx, j.ID, truncate(err.Error())) })
	default:
		next := c.cfg.Now().UTC().Add(c.cfg.Backoff(j.Attempt))
		c.log.Info("queue: job failed, will retry", slog.Int64("job_id", j.ID), slog.String("job_kind", j.Kind), slog.Int("attempt", j.Attempt), slog.String("error", err.Error()))
		rerr = c.db.InTx(rctx, func(tx *sqldb.Tx) error { return tx.RetryJob(rctx, j.ID, truncate(err.Error()), next) })
	}
	if rerr != nil {
		c.log.Error("queue: record job outcome", slog.Int64("job_id", j.ID), slog.String("error", rerr.Error()))
	}
	c.log.Debug("queue: job ran", slog.Int64("job_id", j.ID), slog.String("job_kind", j.Kind), slog.Int64("duration_ms", time.Since(start).Milliseconds()))
}

func safeRun(ctx context.Context, h Handler, j *Job) (err error) {
	if h == nil {
		return fmt.Errorf("no handler for kind %q: %w", j.Kind, ErrCancel)
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return h(ctx, j)
}

func truncate(s string) string {
	if len(s) > 2000 {
		return s[:2000]
	}
	return s
}
