package core

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/auth"
	"xiaoxiang/internal/delivery"
	"xiaoxiang/internal/sqldb"
)

// JobPackage is the job kind that builds a delivery package. The job's id
// is the package id; the package's description lives next to its files in
// the bucket (packages/{id}/package.json).
const JobPackage = "delivery.build"

// PackageFilter selects the photos of a delivery package.
type PackageFilter struct {
	College string
	Class   string
	// IncludeDelivered re-exports photos that were already delivered.
	IncludeDelivered bool
	// PhotosOnly keeps the manifests out of the zip parts (some registrar
	// systems reject zips with any other file); the separate manifests stay.
	PhotosOnly bool `json:",omitempty"`
}

// PackageArgs are the arguments of a JobPackage job.
type PackageArgs struct {
	TaskID   int64         `json:"task_id"`
	SchoolID int64         `json:"school_id"`
	StaffID  int64         `json:"staff_id"`
	Colleges []string      `json:"colleges,omitempty"` // the creator's college scope
	Filter   PackageFilter `json:"filter"`
}

// Package states.
const (
	PackageBuilding  = "building"
	PackageReady     = "ready"
	PackageFailed    = "failed"
	PackageDelivered = "delivered"
)

// Package is a delivery package: zip parts of standardized photos named by
// the task's export key, plus manifests.
type Package struct {
	ID          int64
	Args        PackageArgs
	State       string
	Count       int
	Bytes       int64
	Parts       []PackageFile
	Manifests   []PackageFile
	Skipped     []string // why some approved photos are not in it (no key, missing file)
	Submissions []int64  `json:",omitempty"`
	CreatedAt   time.Time
	ReadyAt     time.Time
	DeliveredAt time.Time
	Error       string
}

// StateLabel is the Chinese state.
func (p *Package) StateLabel() string {
	switch p.State {
	case PackageBuilding:
		return "生成中"
	case PackageReady:
		return "可下载"
	case PackageFailed:
		return "生成失败"
	case PackageDelivered:
		return "已交付"
	}
	return p.State
}

// PackageFile is one downloadable file of a package.
type PackageFile struct {
	Name   string // file name shown and used for download
	Key    string // blob key
	Size   int64
	Files  int    // photos in a zip part
	SHA256 string // of a whole zip part
}

func packagePrefix(id int64) string { return "packages/" + strconv.FormatInt(id, 10) + "/" }

// CreatePackage enqueues the build of a delivery package of the task's
// approved photos in the filter. A college-scoped admin must pick one of
// their colleges. The export is audited when requested and when built.
func (c *Console) CreatePackage(ctx context.Context, a *Actor, taskID int64, f PackageFilter) (*Package, error) {
	f.College, f.Class = strings.TrimSpace(f.College), strings.TrimSpace(f.Class)
	var p *Package
	err := c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		t, err := c.taskFor(ctx, tx, a, taskID, auth.ActionView)
		if err != nil {
			return err
		}
		if err := a.can(auth.ActionExport, auth.Resource{SchoolID: t.SchoolID, College: f.College}, "采集任务"); err != nil {
			if len(a.P.Colleges) > 0 && f.College == "" {
				return xiaoxiang.Errorf(xiaoxiang.EINVALID, "请选择要导出的学院。")
			}
			return err
		}
		args := PackageArgs{TaskID: t.ID, SchoolID: t.SchoolID, StaffID: a.Staff.ID, Colleges: a.P.Colleges, Filter: f}
		b, _ := json.Marshal(args)
		j := &sqldb.Job{Kind: JobPackage, Args: string(b), MaxAttempts: 3}
		if _, err := tx.InsertJob(ctx, j); err != nil {
			return err
		}
		p = &Package{ID: j.ID, Args: args, State: PackageBuilding, CreatedAt: tx.Now()}
		detail := fmt.Sprintf("college=%q class=%q", f.College, f.Class)
		return c.audit(ctx, tx, a, "export_request", obj("package", j.ID), t.SchoolID, 0, detail)
	})
	if err != nil {
		return nil, err
	}
	if err := c.putPackage(ctx, p); err != nil {
		return nil, err
	}
	return p, nil
}

func (c *Console) putPackage(ctx context.Context, p *Package) error {
	b, err := json.Marshal(p)
	if err != nil {
		return err
	}
	return c.s.bucket.Put(ctx, packagePrefix(p.ID)+"package.json", bytes.NewReader(b))
}

func (c *Console) loadPackage(ctx context.Context, id int64) (*Package, error) {
	r, err := c.s.bucket.Get(ctx, packagePrefix(id)+"package.json")
	if err != nil {
		return nil, xiaoxiang.WrapError(xiaoxiang.ENOTFOUND, "导出包不存在。", err)
	}
	defer r.Close()
	var p Package
	if err := json.NewDecoder(r).Decode(&p); err != nil {
		return nil, fmt.Errorf("core: package %d: %w", id, err)
	}
	return &p, nil
}

// Package returns one package the actor may see.
func (c *Console) Package(ctx context.Context, a *Actor, id int64) (*Package, error) {
	p, err := c.loadPackage(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := a.can(auth.ActionExport, auth.Resource{SchoolID: p.Args.SchoolID, College: p.Args.Filter.College}, "导出包"); err != nil {
		return nil, err
	}
	p.Submissions = nil
	return p, nil
}

// Packages lists the task's packages, newest first.
func (c *Console) Packages(ctx context.Context, a *Actor, taskID int64) ([]*Package, error) {
	var jobs []*sqldb.Job
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		if _, err := c.taskFor(ctx, tx, a, taskID, auth.ActionView); err != nil {
			return err
		}
		var err error
		jobs, err = tx.FindJobs(ctx, JobPackage, 500)
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []*Package
	for _, j := range jobs {
		var args PackageArgs
		if json.Unmarshal([]byte(j.Args), &args) != nil || args.TaskID != taskID {
			continue
		}
		if !a.P.Can(auth.ActionExport, auth.Resource{SchoolID: args.SchoolID, College: args.Filter.College}) {
			continue
		}
		p, err := c.loadPackage(ctx, j.ID)
		if err != nil {
			continue
		}
		p.Submissions = nil
		out = append(out, p)
	}
	return out, nil
}

// RunPackageJobs builds up to limit queued packages (tests and tools; the
// app runs PackageJobHandler on its queue).
func (c *Console) RunPackageJobs(ctx context.Context, limit int) (int, error) {
	var jobs []*sqldb.Job
	err := c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		var err error
		jobs, err = tx.ClaimJobs(ctx, []string{JobPackage}, c.now(), 30*time.Minute, limit)
		return err
	})
	if err != nil {
		return 0, err
	}
	for _, j := range jobs {
		berr := c.runPackageJob(ctx, j.ID, j.Attempts, j.MaxAttempts)
		err := c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
			switch {
			case berr == nil:
				return tx.CompleteJob(ctx, j.ID)
			case j.Attempts >= j.MaxAttempts:
				return tx.DiscardJob(ctx, j.ID, clip(berr.Error(), 300))
			}
			return tx.RetryJob(ctx, j.ID, clip(berr.Error(), 300), c.now().Add(notifyBackoff(j.Attempts+4)))
		})
		if err != nil {
			return 0, err
		}
	}
	return len(jobs), nil
}

// runPackageJob builds one package and audits the export; after the last
// failed attempt the package is marked failed.
func (c *Console) runPackageJob(ctx context.Context, id int64, attempt, maxAttempts int) error {
	p, err := c.loadPackage(ctx, id)
	if err != nil {
		return err
	}
	if p.State != PackageBuilding {
		return nil
	}
	if err := c.buildPackage(ctx, p); err != nil {
		c.s.log.Error("build package", slog.Int64("package_id", id), slog.String("error", err.Error()))
		if attempt >= maxAttempts {
			p.State, p.Error = PackageFailed, "生成失败，请重新导出。"
			_ = c.putPackage(ctx, p)
		}
		return err
	}
	return c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		a := &Actor{Staff: &xiaoxiang.Staff{ID: p.Args.StaffID}}
		return c.audit(ctx, tx, a, "export_package", obj("package", p.ID), p.Args.SchoolID, p.Count,
			fmt.Sprintf("task=%d parts=%d bytes=%d", p.Args.TaskID, len(p.Parts), p.Bytes))
	})
}

// buildPackage streams the photos through internal/delivery into zip parts
// and manifests in the bucket (one photo in memory at a time).
func (c *Console) buildPackage(ctx context.Context, p *Package) error {
	p.Parts, p.Manifests, p.Skipped, p.Submissions, p.Count, p.Bytes = nil, nil, nil, nil, 0, 0
	prefix := packagePrefix(p.ID)
	create := func(name string) (io.WriteCloser, error) {
		pr, pw := io.Pipe()
		f := &bucketFile{pw: pw, done: make(chan error, 1)}
		go func() {
			err := c.s.bucket.Put(ctx, prefix+name, pr)
			pr.CloseWithError(err)
			f.done <- err
		}()
		return f, nil
	}
	var res *delivery.Result
	// One read transaction streams the rows: memory stays flat for any
	// task size (one row and one photo at a time).
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		task, err := tx.FindTaskByID(ctx, p.Args.TaskID)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		entries := func(yield func(delivery.Entry, error) bool) {
			stop := errors.New("stop")
			err := tx.EachDeliverable(ctx, sqldb.DeliverableFilter{TaskID: p.Args.TaskID, Colleges: p.Args.Colleges,
				College: p.Args.Filter.College, Class: p.Args.Filter.Class, IncludeDelivered: p.Args.Filter.IncludeDelivered},
				func(d *sqldb.Deliverable) error {
					key := d.StudentNo
					if task.ExportKey == xiaoxiang.ExportByDocument {
						n, err := c.openDocument(&xiaoxiang.RosterEntry{ID: d.EntryID, DocKind: d.DocKind, DocCipher: d.DocCipher})
						if err != nil {
							return err
						}
						key = n
					}
					switch {
					case key == "" || d.StandardizedKey == "":
						p.Skipped = append(p.Skipped, fmt.Sprintf("名单记录 %d（%s）：缺少命名所需的证件号/学号或照片文件", d.EntryID, d.College))
						return nil
					case seen[strings.ToUpper(key)]:
						p.Skipped = append(p.Skipped, fmt.Sprintf("名单记录 %d（%s）：与另一名学生的文件名重复，请核对名单", d.EntryID, d.College))
						return nil
					}
					seen[strings.ToUpper(key)] = true
					p.Submissions = append(p.Submissions, d.SubmissionID)
					stdKey := d.StandardizedKey
					e := delivery.Entry{Name: d.Name, Key: key, College: d.College, Major: d.Major, Class: d.Class,
						Status: d.Status.Label(), ReviewedAt: d.ReviewedAt,
						Open: func() (io.ReadCloser, error) { return c.s.bucket.Get(ctx, stdKey) }}
					if !yield(e, nil) {
						return stop
					}
					return nil
				})
			if err != nil && err != stop {
				yield(delivery.Entry{}, err)
			}
		}
		res, err = delivery.Export(ctx, entries, delivery.Options{Task: safeName(task.Title) + "_" + strconv.FormatInt(p.ID, 10),
			MaxPartBytes: c.opts.PartBytes, PhotosOnly: p.Args.Filter.PhotosOnly}, create)
		return err
	})
	if err != nil {
		if res != nil {
			for _, f := range res.Files() {
				_ = c.s.bucket.Delete(ctx, prefix+f)
			}
		}
		return err
	}
	for _, part := range res.Parts {
		p.Parts = append(p.Parts, PackageFile{Name: part.Name, Key: prefix + part.Name, Size: part.Size, Files: part.Entries, SHA256: part.SHA256})
		p.Bytes += part.Size
	}
	for _, m := range res.Manifests {
		info, err := c.s.bucket.Stat(ctx, prefix+m)
		if err != nil {
			return err
		}
		p.Manifests = append(p.Manifests, PackageFile{Name: m, Key: prefix + m, Size: info.Size})
	}
	p.Count = res.Entries
	p.State, p.ReadyAt, p.Error = PackageReady, c.now(), ""
	return c.putPackage(ctx, p)
}

// bucketFile streams one output file of an export into the bucket; Close
// waits until the object is stored.
type bucketFile struct {
	pw   *io.PipeWriter
	done chan error
}

func (f *bucketFile) Write(b []byte) (int, error) { return f.pw.Write(b) }

func (f *bucketFile) Close() error {
	f.pw.Close()
	return <-f.done
}

// safeName keeps a title usable as a file name.
func safeName(s string) string { return delivery.SafeName(s, "export") }

// DownloadLink returns an expiring link path for one file of a package
// (a zip part or a manifest), valid for LinkTTL.
func (c *Console) DownloadLink(ctx context.Context, a *Actor, pkgID int64, file string) (string, time.Time, error) {
	p, err := c.Package(ctx, a, pkgID)
	if err != nil {
		return "", time.Time{}, err
	}
	if p.State != PackageReady && p.State != PackageDelivered {
		return "", time.Time{}, xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "导出包尚未生成完成，请稍后刷新。")
	}
	if _, ok := p.file(file); !ok {
		return "", time.Time{}, xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "文件不存在。")
	}
	exp := c.now().Add(c.opts.LinkTTL).Truncate(time.Second)
	payload := fmt.Sprintf("%d|%s|%d|%d", pkgID, file, exp.Unix(), a.Staff.ID)
	tok := base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + c.linkMAC(payload)
	return "/dl/" + tok, exp, nil
}

func (c *Console) linkMAC(payload string) string {
	m := hmac.New(sha256.New, c.opts.LinkKey)
	m.Write([]byte("download\x00" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (p *Package) file(name string) (PackageFile, bool) {
	for _, f := range append(append([]PackageFile(nil), p.Parts...), p.Manifests...) {
		if f.Name == name {
			return f, true
		}
	}
	return PackageFile{}, false
}

// Download is an opened package file.
type Download struct {
	Name string
	Size int64
	Body io.ReadCloser
}

// OpenDownload checks an expiring link token and opens its file; each
// download is audited under the staff member who made the link.
func (c *Console) OpenDownload(ctx context.Context, token, ip string) (*Download, error) {
	bad := xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "下载链接无效或已过期，请回到导出页面重新获取。")
	enc, sig, ok := strings.Cut(token, ".")
	if !ok {
		return nil, bad
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !hmac.Equal([]byte(sig), []byte(c.linkMAC(string(raw)))) {
		return nil, bad
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 4 {
		return nil, bad
	}
	id, _ := strconv.ParseInt(parts[0], 10, 64)
	exp, _ := strconv.ParseInt(parts[2], 10, 64)
	staffID, _ := strconv.ParseInt(parts[3], 10, 64)
	if c.now().Unix() >= exp {
		return nil, bad
	}
	p, err := c.loadPackage(ctx, id)
	if err != nil {
		return nil, bad
	}
	f, ok := p.file(parts[1])
	if !ok {
		return nil, bad
	}
	body, err := c.s.bucket.Get(ctx, f.Key)
	if err != nil {
		return nil, xiaoxiang.WrapError(xiaoxiang.ENOTFOUND, "文件已过期删除，请重新导出。", err)
	}
	err = c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		a := &Actor{Staff: &xiaoxiang.Staff{ID: staffID}, IP: ip}
		return c.audit(ctx, tx, a, "download_package", obj("package", id), p.Args.SchoolID, f.Files, f.Name)
	})
	if err != nil {
		body.Close()
		return nil, err
	}
	return &Download{Name: f.Name, Size: f.Size, Body: body}, nil
}

// MarkDelivered records that the registrar received the package: its
// approved photos move to 已交付 (with events, notifications and jobs in the
// same transaction).
func (c *Console) MarkDelivered(ctx context.Context, a *Actor, pkgID int64) (int, error) {
	p, err := c.loadPackage(ctx, pkgID)
	if err != nil {
		return 0, err
	}
	if err := a.can(auth.ActionExport, auth.Resource{SchoolID: p.Args.SchoolID, College: p.Args.Filter.College}, "导出包"); err != nil {
		return 0, err
	}
	if p.State != PackageReady {
		return 0, xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "只有已生成且未交付的导出包可以标记为已交付。")
	}
	n := 0
	err = c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		n = 0
		task, err := tx.FindTaskByID(ctx, p.Args.TaskID)
		if err != nil {
			return err
		}
		for _, id := range p.Submissions {
			sub, err := tx.FindSubmissionByID(ctx, id, true)
			if err != nil {
				return err
			}
			if sub.Status != xiaoxiang.SubmissionApproved {
				continue
			}
			sub.Status, sub.DeliveredAt, sub.PackageID = xiaoxiang.SubmissionDelivered, tx.Now(), pkgID
			if err := tx.UpdateSubmission(ctx, sub); err != nil {
				return err
			}
			if err := tx.CreateSubmissionEvent(ctx, &xiaoxiang.SubmissionEvent{SubmissionID: id, Action: "deliver",
				From: xiaoxiang.SubmissionApproved, To: xiaoxiang.SubmissionDelivered, ActorKind: "staff", ActorID: a.Staff.ID,
				Reason: obj("package", pkgID)}); err != nil {
				return err
			}
			if err := Notify(ctx, tx, &xiaoxiang.Notification{AccountID: sub.AccountID, Kind: NotifyDelivered,
				Title: "照片已交付学校", Body: fmt.Sprintf("您在“%s”的照片已交付学校学籍部门。", task.Title),
				Link: fmt.Sprintf("/my/%d/status", sub.BindingID)}); err != nil {
				return err
			}
			n++
		}
		return c.audit(ctx, tx, a, "deliver_package", obj("package", pkgID), p.Args.SchoolID, n, "")
	})
	if err != nil {
		return 0, err
	}
	p.State, p.DeliveredAt = PackageDelivered, c.now()
	return n, c.putPackage(ctx, p)
}
