package core

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"xiaoxiang"
	"xiaoxiang/internal/auth"
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
	Name  string // file name shown and used for download
	Key   string // blob key
	Size  int64
	Files int // photos in a zip part
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

// manifestHeader is the manifest's columns (CSV and XLSX).
var manifestHeader = []string{"序号", "文件名", "姓名", "学号", "学院", "专业", "班级", "状态", "审核时间", "SHA256", "分卷"}

// buildPackage streams the photos into zip parts in the bucket (one photo
// in memory at a time), then writes the manifests.
func (c *Console) buildPackage(ctx context.Context, p *Package) error {
	var task *xiaoxiang.Task
	var rows []*sqldb.Deliverable
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		if task, err = tx.FindTaskByID(ctx, p.Args.TaskID); err != nil {
			return err
		}
		rows, err = tx.FindDeliverables(ctx, sqldb.DeliverableFilter{TaskID: p.Args.TaskID, Colleges: p.Args.Colleges,
			College: p.Args.Filter.College, Class: p.Args.Filter.Class, IncludeDelivered: p.Args.Filter.IncludeDelivered})
		return err
	})
	if err != nil {
		return err
	}
	p.Parts, p.Skipped, p.Submissions, p.Count, p.Bytes = nil, nil, nil, 0, 0
	type entry struct {
		row  *sqldb.Deliverable
		name string
		sum  string
		part int
	}
	var done []entry
	used := map[string]int{}
	var part *zipPart
	closePart := func() error {
		if part == nil {
			return nil
		}
		f, err := part.close()
		if err != nil {
			return err
		}
		p.Parts = append(p.Parts, f)
		p.Bytes += f.Size
		part = nil
		return nil
	}
	defer func() {
		if part != nil {
			part.abort()
		}
	}()
	for _, d := range rows {
		key := d.StudentNo
		if task.ExportKey == xiaoxiang.ExportByDocument {
			entry := &xiaoxiang.RosterEntry{ID: d.EntryID, DocKind: d.DocKind, DocCipher: d.DocCipher}
			if key, err = c.openDocument(entry); err != nil {
				return err
			}
		}
		if key == "" || d.StandardizedKey == "" {
			p.Skipped = append(p.Skipped, fmt.Sprintf("名单记录 %d：缺少命名所需的证件号/学号或照片文件", d.EntryID))
			continue
		}
		name := key + ".jpg"
		if n := used[key]; n > 0 {
			name = fmt.Sprintf("%s_%d.jpg", key, n+1)
			p.Skipped = append(p.Skipped, fmt.Sprintf("文件名 %s 重复，第二张命名为 %s", key+".jpg", name))
		}
		used[key]++
		if part == nil {
			part = c.newZipPart(ctx, fmt.Sprintf("%s/part-%02d.zip", strings.TrimSuffix(packagePrefix(p.ID), "/"), len(p.Parts)+1),
				fmt.Sprintf("%s_%d_%02d.zip", safeName(task.Title), p.ID, len(p.Parts)+1))
		}
		sum, err := part.add(ctx, c.s.bucket, d.StandardizedKey, name, d.ReviewedAt)
		if err != nil {
			return fmt.Errorf("core: package %d: add %d: %w", p.ID, d.SubmissionID, err)
		}
		done = append(done, entry{row: d, name: name, sum: sum, part: len(p.Parts) + 1})
		p.Submissions = append(p.Submissions, d.SubmissionID)
		p.Count++
		if part.written >= c.opts.PartBytes {
			if err := closePart(); err != nil {
				return err
			}
		}
	}
	if err := closePart(); err != nil {
		return err
	}
	// Manifests: CSV (UTF-8 with BOM for Excel) and XLSX (streamed rows).
	var cbuf bytes.Buffer
	cbuf.WriteString("\ufeff")
	cw := csv.NewWriter(&cbuf)
	xf := excelize.NewFile()
	defer xf.Close()
	sw, err := xf.NewStreamWriter("Sheet1")
	if err != nil {
		return err
	}
	row := func(i int, vals []string) error {
		if err := cw.Write(vals); err != nil {
			return err
		}
		cells := make([]any, len(vals))
		for k, v := range vals {
			cells[k] = v
		}
		ax, _ := excelize.CoordinatesToCellName(1, i)
		return sw.SetRow(ax, cells)
	}
	if err := row(1, manifestHeader); err != nil {
		return err
	}
	for i, e := range done {
		d := e.row
		vals := []string{strconv.Itoa(i + 1), e.name, d.Name, d.StudentNo, d.College, d.Major, d.Class,
			d.Status.Label(), xiaoxiang.FormatShanghai(d.ReviewedAt), e.sum, strconv.Itoa(e.part)}
		if err := row(i+2, vals); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := sw.Flush(); err != nil {
		return err
	}
	base := safeName(task.Title) + "_" + strconv.FormatInt(p.ID, 10)
	csvKey := packagePrefix(p.ID) + "manifest.csv"
	if err := c.s.bucket.Put(ctx, csvKey, bytes.NewReader(cbuf.Bytes())); err != nil {
		return err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(xf.Write(pw)) }()
	xlsxKey := packagePrefix(p.ID) + "manifest.xlsx"
	if err := c.s.bucket.Put(ctx, xlsxKey, pr); err != nil {
		pr.CloseWithError(err)
		return err
	}
	xi, err := c.s.bucket.Stat(ctx, xlsxKey)
	if err != nil {
		return err
	}
	p.Manifests = []PackageFile{
		{Name: base + "_清单.csv", Key: csvKey, Size: int64(cbuf.Len())},
		{Name: base + "_清单.xlsx", Key: xlsxKey, Size: xi.Size},
	}
	p.State, p.ReadyAt, p.Error = PackageReady, c.now(), ""
	return c.putPackage(ctx, p)
}

// safeName keeps a title usable as a file name.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '/', '\\', ':', '*', '?', '"', '<', '>', '|', ' ':
			return '_'
		}
		if r < 0x20 {
			return -1
		}
		return r
	}, s)
}

// zipPart streams one zip file into the bucket through a pipe.
type zipPart struct {
	key, name string
	pw        *io.PipeWriter
	zw        *zip.Writer
	cw        *countWriter
	done      chan error
	files     int
	written   int64
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	return n, err
}

func (c *Console) newZipPart(ctx context.Context, key, name string) *zipPart {
	pr, pw := io.Pipe()
	zp := &zipPart{key: key, name: name, pw: pw, done: make(chan error, 1)}
	zp.cw = &countWriter{w: pw}
	zp.zw = zip.NewWriter(zp.cw)
	go func() {
		err := c.s.bucket.Put(ctx, key, pr)
		pr.CloseWithError(err)
		zp.done <- err
	}()
	return zp
}

// add copies one photo from the bucket into the zip (stored, not
// compressed: JPEGs do not shrink) and returns its SHA-256.
func (zp *zipPart) add(ctx context.Context, b interface {
	Get(ctx context.Context, key string) (io.ReadCloser, error)
}, src, name string, mod time.Time) (string, error) {
	r, err := b.Get(ctx, src)
	if err != nil {
		return "", err
	}
	defer r.Close()
	hdr := &zip.FileHeader{Name: name, Method: zip.Store, Modified: mod.In(xiaoxiang.Shanghai)}
	w, err := zp.zw.CreateHeader(hdr)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, h), r)
	if err != nil {
		return "", err
	}
	zp.files++
	// The zip writer buffers its output, so count what went in: the data
	// plus the local and central headers (about 100 bytes and the name twice).
	zp.written += n + 100 + 2*int64(len(name))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func (zp *zipPart) close() (PackageFile, error) {
	err := zp.zw.Close()
	zp.pw.CloseWithError(err)
	if perr := <-zp.done; err == nil {
		err = perr
	}
	return PackageFile{Name: zp.name, Key: zp.key, Size: zp.cw.n, Files: zp.files}, err
}

func (zp *zipPart) abort() {
	zp.pw.CloseWithError(fmt.Errorf("core: package build aborted"))
	<-zp.done
}

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
