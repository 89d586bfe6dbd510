package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"
	"unicode/utf8"
	"xiaoxiang/internal/queue"

	"xiaoxiang"
	"xiaoxiang/internal/sqldb"
)

// SubscribeSender sends one WeChat subscription message (internal/wechat's
// Client.SendSubscribe behind an adapter in internal/app: it resolves the
// account's openid and fills the template's data keys).
type SubscribeSender interface {
	SendSubscribe(ctx context.Context, m SubscribeMessage) error
}

// SubscribeTemplate says how one notification kind becomes a WeChat
// subscription message: the template id, the mini-program page, and the
// data keys for the title, the body and the time (e.g. "thing1",
// "thing2", "time3"; empty keys are left out).
type SubscribeTemplate struct {
	TemplateID string
	Page       string
	TitleKey   string
	BodyKey    string
	TimeKey    string
}

// SubscribeMessage is a notification ready for WeChat.
type SubscribeMessage struct {
	AccountID  int64
	TemplateID string
	Page       string
	Data       map[string]string
}

// NotifyResult counts one run of the notification worker.
type NotifyResult struct {
	Sent      int
	NoCredit  int // in-app only: the student holds no subscription credit
	Retried   int
	Discarded int
}

// notifyLease is how long a worker holds a claimed notification job.
const notifyLease = 2 * time.Minute

// RunNotifyJobs claims due notification jobs (up to limit) and sends them.
// A message is sent at most once: before calling WeChat the job is marked
// "sending" in its own committed transaction together with spending the
// credit, so a worker that dies mid-send leaves a job that is discarded, not
// re-sent. A failed send (WeChat said no, or the network failed before an
// answer) is retried with exponential backoff and the credit is given back.
func (c *Console) RunNotifyJobs(ctx context.Context, limit int) (NotifyResult, error) {
	var res NotifyResult
	var jobs []*sqldb.Job
	now := c.now()
	err := c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		var err error
		jobs, err = tx.ClaimJobs(ctx, []string{JobNotify}, now, notifyLease, limit)
		return err
	})
	if err != nil {
		return res, err
	}
	for _, j := range jobs {
		if err := c.runNotifyJob(ctx, j, &res); err != nil {
			return res, err
		}
	}
	return res, nil
}

const sendingNote = "sending"

// notify outcomes.
const (
	outcomeSent = iota
	outcomeNoCredit
	outcomeDiscard
)

// sendNotification runs one JobNotify job that is already claimed (state
// running, attempts counted). lastError is the job's last_error before this
// run. It returns the outcome, or the send error (the caller retries).
func (c *Console) sendNotification(ctx context.Context, jobID int64, lastError string, raw []byte) (int, error) {
	var args NotifyArgs
	if err := json.Unmarshal(raw, &args); err != nil {
		return outcomeDiscard, nil
	}
	if lastError == sendingNote {
		// A previous worker died between "sending" and the outcome: WeChat
		// may have delivered it, so never send again.
		return outcomeDiscard, nil
	}
	var n *xiaoxiang.Notification
	var tpl SubscribeTemplate
	send := false
	err := c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		var err error
		if n, err = findNotification(ctx, tx, args.NotificationID); err != nil {
			return err
		}
		t, ok := c.opts.Templates[n.Kind]
		if c.opts.Sender == nil || !ok {
			return nil
		}
		tpl = t
		if send, err = tx.TakeSubscriptionCredit(ctx, n.AccountID, n.Kind); err != nil || !send {
			return err
		}
		return tx.MarkJobRunningNote(ctx, jobID, sendingNote)
	})
	if err != nil {
		if xiaoxiang.ErrorCode(err) == xiaoxiang.ENOTFOUND {
			return outcomeDiscard, nil
		}
		return 0, err
	}
	if !send {
		return outcomeNoCredit, nil
	}
	sendErr := c.opts.Sender.SendSubscribe(ctx, subscribeMessage(n, tpl))
	if sendErr == nil {
		return outcomeSent, nil
	}
	// WeChat did not take it: give the credit back; the job retries (the
	// retry overwrites the "sending" note).
	if err := c.s.db.InTx(ctx, func(tx *sqldb.Tx) error { return tx.AddSubscriptionCredit(ctx, n.AccountID, n.Kind) }); err != nil {
		return 0, err
	}
	return 0, sendErr
}

// NotifyJobHandler runs JobNotify jobs for internal/queue:
// client.Handle(core.JobNotify, console.NotifyJobHandler).
func (c *Console) NotifyJobHandler(ctx context.Context, j *queue.Job) error {
	var last string
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		sj, err := tx.FindJobByID(ctx, j.ID)
		if err == nil {
			last = sj.LastError
		}
		return err
	})
	if err != nil {
		return err
	}
	out, err := c.sendNotification(ctx, j.ID, last, j.Args)
	switch {
	case err != nil && errors.Is(err, ErrPermanent):
		return fmt.Errorf("core: notify: %w: %w", err, queue.ErrCancel)
	case err != nil:
		return err
	case out == outcomeDiscard:
		return fmt.Errorf("core: notify: not sent (interrupted or gone): %w", queue.ErrCancel)
	}
	return nil
}

// PackageJobHandler builds JobPackage jobs for internal/queue:
// client.Handle(core.JobPackage, console.PackageJobHandler). Give the queue
// a JobTimeout long enough for the largest package (minutes).
func (c *Console) PackageJobHandler(ctx context.Context, j *queue.Job) error {
	return c.runPackageJob(ctx, j.ID, j.Attempt, j.MaxAttempts)
}

func (c *Console) runNotifyJob(ctx context.Context, j *sqldb.Job, res *NotifyResult) error {
	out, sendErr := c.sendNotification(ctx, j.ID, j.LastError, []byte(j.Args))
	return c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		if sendErr == nil {
			switch out {
			case outcomeSent:
				res.Sent++
			case outcomeNoCredit:
				res.NoCredit++
			case outcomeDiscard:
				res.Discarded++
				return tx.DiscardJob(ctx, j.ID, "not sent: interrupted while sending or notification gone")
			}
			return tx.CompleteJob(ctx, j.ID)
		}
		c.s.log.Warn("notification send failed", slog.Int64("job_id", j.ID), slog.Int("attempt", j.Attempts), slog.String("error", sendErr.Error()))
		msg := clip(sendErr.Error(), 300)
		if j.Attempts >= j.MaxAttempts || errors.Is(sendErr, ErrPermanent) {
			res.Discarded++
			return tx.DiscardJob(ctx, j.ID, msg)
		}
		res.Retried++
		return tx.RetryJob(ctx, j.ID, msg, c.now().Add(notifyBackoff(j.Attempts)))
	})
}

// ErrPermanent marks a send error that retrying cannot fix (e.g. the user
// refused the template); a sender wraps it.
var ErrPermanent = errors.New("core: permanent send failure")

// backoff is 2^attempt seconds (capped at one hour) with ±20 % jitter.
func notifyBackoff(attempt int) time.Duration {
	d := time.Duration(1<<min(attempt, 12)) * time.Second
	if d > time.Hour {
		d = time.Hour
	}
	j := 0.8 + 0.4*rand.Float64()
	return time.Duration(float64(d) * j)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

func subscribeMessage(n *xiaoxiang.Notification, t SubscribeTemplate) SubscribeMessage {
	data := map[string]string{}
	if t.TitleKey != "" {
		data[t.TitleKey] = fitRunes(n.Title, 20)
	}
	if t.BodyKey != "" {
		data[t.BodyKey] = fitRunes(n.Body, 20)
	}
	if t.TimeKey != "" {
		s := n.CreatedAt.In(xiaoxiang.Shanghai)
		data[t.TimeKey] = fmt.Sprintf("%d年%d月%d日 %02d:%02d", s.Year(), s.Month(), s.Day(), s.Hour(), s.Minute())
	}
	page := t.Page
	if page == "" {
		page = n.Link
	}
	return SubscribeMessage{AccountID: n.AccountID, TemplateID: t.TemplateID, Page: page, Data: data}
}

// fitRunes cuts s to n characters, ending with "…" when cut (WeChat "thing"
// values are at most 20 characters).
func fitRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// findNotification loads one notification by id.
func findNotification(ctx context.Context, tx *sqldb.Tx, id int64) (*xiaoxiang.Notification, error) {
	return tx.FindNotificationByID(ctx, id)
}

// RunWorker runs the console's background work until ctx is done, polling
// every interval: notification and package jobs (for deployments that do not
// register NotifyJobHandler/PackageJobHandler on internal/queue) and, hourly,
// the 48-hour deadline reminders.
func (c *Console) RunWorker(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	var lastDeadline time.Time
	for {
		if _, err := c.RunNotifyJobs(ctx, 20); err != nil && ctx.Err() == nil {
			c.s.log.Error("notification jobs", slog.String("error", err.Error()))
		}
		if _, err := c.RunPackageJobs(ctx, 1); err != nil && ctx.Err() == nil {
			c.s.log.Error("package jobs", slog.String("error", err.Error()))
		}
		if time.Since(lastDeadline) >= time.Hour {
			if _, err := c.NotifyDeadlines(ctx, 48*time.Hour); err != nil && ctx.Err() == nil {
				c.s.log.Error("deadline reminders", slog.String("error", err.Error()))
			}
			lastDeadline = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// NotifyDeadlines reminds every linked student whose task closes within
// `within` and who has not submitted a photo that is in review or approved
// (not yet shot, not submitted, or rejected and not resubmitted). Each
// binding is reminded once: the reminder itself is the record. The app runs
// it periodically (RunWorker does, hourly).
func (c *Console) NotifyDeadlines(ctx context.Context, within time.Duration) (int, error) {
	total := 0
	for {
		n := 0
		err := c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
			rs, err := tx.FindDeadlineReminders(ctx, tx.Now(), tx.Now().Add(within), 500)
			if err != nil {
				return err
			}
			for _, r := range rs {
				err := Notify(ctx, tx, &xiaoxiang.Notification{AccountID: r.AccountID, Kind: NotifyDeadline, Title: "采集即将截止",
					Body: fmt.Sprintf("“%s”将于 %s 截止，您还没有完成照片提交，请尽快完成。", r.TaskTitle, xiaoxiang.FormatShanghai(r.ClosesAt)),
					Link: fmt.Sprintf("/my/%d/status", r.BindingID)})
				if err != nil {
					return err
				}
			}
			n = len(rs)
			return nil
		})
		total += n
		if err != nil || n < 500 {
			return total, err
		}
	}
}

// AccountSender adapts a WeChat send function to SubscribeSender: it looks
// up the account's openid (deleted accounts are never messaged) and calls
// send. Wrap errors WeChat will repeat (no subscription, user refused) with
// ErrPermanent so the job is not retried.
func (s *Service) AccountSender(send func(ctx context.Context, openID string, m SubscribeMessage) error) SubscribeSender {
	return accountSender{s: s, send: send}
}

type accountSender struct {
	s    *Service
	send func(ctx context.Context, openID string, m SubscribeMessage) error
}

func (a accountSender) SendSubscribe(ctx context.Context, m SubscribeMessage) error {
	var acc *xiaoxiang.Account
	err := a.s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		acc, err = tx.FindAccountByID(ctx, m.AccountID)
		return err
	})
	if err != nil {
		return fmt.Errorf("core: send subscription message: %w: %w", err, ErrPermanent)
	}
	if !acc.DeletedAt.IsZero() || acc.OpenID == "" {
		return fmt.Errorf("core: send subscription message: account %d has no openid: %w", acc.ID, ErrPermanent)
	}
	return a.send(ctx, acc.OpenID, m)
}
