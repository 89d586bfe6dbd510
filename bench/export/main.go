// Command export measures the console's export path end to end: a 20,000-row
// roster import through core.Console.ImportRoster (XLSX/CSV parse, sealing,
// upsert), then a delivery package of 20,000 approved photos built by
// core.Console (database query, ID-number decryption, internal/delivery
// streaming into the disk bucket), with peak heap sampled every 20 ms.
//
//	go run ./bench/export -n 20000 [-dsn postgres://…] [-dir /tmp/x]
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/auth"
	"xiaoxiang/internal/blob"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/identity"
	"xiaoxiang/internal/sqldb"
)

func main() {
	n := flag.Int("n", 20000, "students / approved photos")
	dir := flag.String("dir", "", "work directory (default: a temp dir, removed)")
	dsn := flag.String("dsn", "", "database (default: SQLite in the work dir)")
	partMB := flag.Int64("part-mb", 200, "zip part size in MiB")
	flag.Parse()
	if err := run(*n, *dir, *dsn, *partMB<<20); err != nil {
		log.Fatal(err)
	}
}

// docNumber returns the i-th distinct valid resident ID number.
func docNumber(i int) string {
	birth := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i/900)
	d17 := fmt.Sprintf("110105%s%03d", birth.Format("20060102"), i%900+100)
	w := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for k := range 17 {
		sum += int(d17[k]-'0') * w[k]
	}
	return d17 + string("10X98765432"[sum%11])
}

func photo(seed int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 480, 640))
	for y := range 640 {
		for x := range 480 {
			v := uint8((x*7 + y*3 + seed*31) % 256)
			img.Set(x, y, color.RGBA{100 + v/4, 197 - v/8, 255 - v/5, 255})
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 90})
	return b.Bytes()
}

type peak struct{ heap, sys atomic.Uint64 }

func (p *peak) sample(stop <-chan struct{}) {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	var ms runtime.MemStats
	for {
		runtime.ReadMemStats(&ms)
		if ms.HeapInuse > p.heap.Load() {
			p.heap.Store(ms.HeapInuse)
		}
		if ms.Sys > p.sys.Load() {
			p.sys.Store(ms.Sys)
		}
		select {
		case <-stop:
			return
		case <-t.C:
		}
	}
}

func mib(b uint64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }

func run(n int, dir, dsn string, partBytes int64) error {
	ctx := context.Background()
	if dir == "" {
		d, err := os.MkdirTemp("", "xx-bench-export-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	}
	if dsn == "" {
		dsn = "sqlite:" + filepath.Join(dir, "db.sqlite")
	}
	db, err := sqldb.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	bucket, err := blob.NewDisk(filepath.Join(dir, "blobs"))
	if err != nil {
		return err
	}
	keys, err := identity.NewKeyring(1, map[uint32][]byte{1: bytes.Repeat([]byte{9}, 32)})
	if err != nil {
		return err
	}
	svc := core.New(db, bucket, keys, nil, core.Options{})
	con := core.NewConsole(svc, core.ConsoleOptions{PartBytes: partBytes})

	// School, task, admin.
	sch := &xiaoxiang.School{Name: "基准测试大学", Code: "19999"}
	now := time.Now().UTC()
	task := &xiaoxiang.Task{Category: xiaoxiang.CategoryUndergrad, Title: "基准导出任务", Status: xiaoxiang.TaskOpen,
		OpensAt: now.Add(-time.Hour), ClosesAt: now.Add(720 * time.Hour), LinkMode: xiaoxiang.LinkByDocument, ExportKey: xiaoxiang.ExportByDocument,
		FreeResubmissions: 2, ReplacementsBeforeReview: 1}
	hash, _ := auth.HashPassword("bench-pass-2026")
	adm := &xiaoxiang.Staff{Username: "bench-admin", PasswordHash: hash, Role: xiaoxiang.RoleSchoolAdmin}
	err = db.InTx(ctx, func(tx *sqldb.Tx) error {
		if err := tx.CreateSchool(ctx, sch); err != nil {
			return err
		}
		task.SchoolID, adm.SchoolID = sch.ID, sch.ID
		if err := tx.CreateTask(ctx, task); err != nil {
			return err
		}
		return tx.CreateStaff(ctx, adm)
	})
	if err != nil {
		return err
	}
	actor := &core.Actor{Staff: adm, P: auth.Principal{StaffID: adm.ID, Role: auth.RoleSchoolAdmin, SchoolID: sch.ID}}

	// 1. Roster import of n rows (CSV) through the console use case.
	var csv strings.Builder
	csv.WriteString("姓名,证件类型,证件号码,学号,学院,专业,班级\n")
	colleges := []string{"文学院", "理学院", "商学院", "法学院", "工学院"}
	for i := range n {
		fmt.Fprintf(&csv, "学生%d,居民身份证,%s,2026%06d,%s,专业%d,%d班\n", i, docNumber(i), i, colleges[i%5], i%20, i%40)
	}
	var pk peak
	stop := make(chan struct{})
	go pk.sample(stop)
	t0 := time.Now()
	rep, err := con.ImportRoster(ctx, actor, task.ID, strings.NewReader(csv.String()))
	close(stop)
	if err != nil {
		return err
	}
	fmt.Printf("roster import: %d rows (%d created, %d error rows) in %v, peak heap %s\n",
		rep.Parsed.DataRows, rep.Created, rep.Parsed.ErrorRows(), time.Since(t0).Round(time.Millisecond), mib(pk.heap.Load()))
	t0 = time.Now()
	rep, err = con.ImportRoster(ctx, actor, task.ID, strings.NewReader(csv.String()))
	if err != nil {
		return err
	}
	fmt.Printf("roster re-import (upsert): %d updated in %v\n", rep.Updated, time.Since(t0).Round(time.Millisecond))

	// 2. n approved submissions over 8 distinct photos.
	var photoKeys, sums []string
	var photoBytes int64
	for i := range 8 {
		b := photo(i)
		k := fmt.Sprintf("standardized/bench/%d.jpg", i)
		if err := bucket.Put(ctx, k, bytes.NewReader(b)); err != nil {
			return err
		}
		s := sha256.Sum256(b)
		photoKeys, sums = append(photoKeys, k), append(sums, hex.EncodeToString(s[:]))
		photoBytes += int64(len(b))
	}
	t0 = time.Now()
	err = db.InTx(ctx, func(tx *sqldb.Tx) error {
		rows, _, err := tx.FindStudents(ctx, sqldb.StudentFilter{ProgressFilter: sqldb.ProgressFilter{TaskID: task.ID}, Limit: -1})
		if err != nil {
			return err
		}
		for i, r := range rows {
			acc := &xiaoxiang.Account{OpenID: fmt.Sprintf("bench-%d", i)}
			if err := tx.CreateAccount(ctx, acc); err != nil {
				return err
			}
			b := &xiaoxiang.Binding{AccountID: acc.ID, RosterEntryID: r.EntryID, TaskID: task.ID, SchoolID: sch.ID, Status: xiaoxiang.BindingLinked}
			if err := tx.CreateBinding(ctx, b); err != nil {
				return err
			}
			a := &sqldb.AttemptRow{Attempt: xiaoxiang.Attempt{BindingID: b.ID, AccountID: acc.ID, TaskID: task.ID, Source: "camera", Verdict: "pass"}, RosterEntryID: r.EntryID}
			if err := tx.CreateAttempt(ctx, a); err != nil {
				return err
			}
			a.StandardizedKey, a.SHA256 = photoKeys[i%8], sums[i%8]
			if _, err := tx.SetAttemptStandardized(ctx, a); err != nil {
				return err
			}
			s := &sqldb.SubmissionRow{Submission: xiaoxiang.Submission{BindingID: b.ID, AccountID: acc.ID, TaskID: task.ID, SchoolID: sch.ID,
				AttemptID: a.ID, Status: xiaoxiang.SubmissionApproved, ReviewerID: adm.ID, ReviewedAt: now}, RosterEntryID: r.EntryID}
			if err := tx.CreateSubmission(ctx, s); err != nil {
				return err
			}
			if err := tx.UpdateSubmission(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Printf("fixtures: %d approved submissions in %v\n", n, time.Since(t0).Round(time.Millisecond))

	// Dashboard queries on the full task.
	t0 = time.Now()
	pv, err := con.Progress(ctx, actor, task.ID, "college", "", "")
	if err != nil {
		return err
	}
	fmt.Printf("progress by college (%d groups, %d students): %v\n", len(pv.Groups), pv.Total.Roster, time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	if _, _, err := con.Students(ctx, actor, task.ID, core.StudentQuery{College: "文学院", Stage: "approved", Limit: 100}); err != nil {
		return err
	}
	fmt.Printf("drill-down page (文学院, approved, 100 rows + count): %v\n", time.Since(t0).Round(time.Millisecond))
	t0 = time.Now()
	var csvOut bytes.Buffer
	rowsOut, err := con.ExportStudentsCSV(ctx, actor, task.ID, core.StudentQuery{}, &csvOut)
	if err != nil {
		return err
	}
	fmt.Printf("progress CSV export: %d rows, %s in %v\n", rowsOut, mib(uint64(csvOut.Len())), time.Since(t0).Round(time.Millisecond))

	t0 = time.Now()
	if _, total, err := con.ReviewQueue(ctx, actor, core.QueueFilter{Status: xiaoxiang.SubmissionApproved, Limit: 50, Offset: n / 2}); err != nil || total != n {
		return fmt.Errorf("review queue: %d %v", total, err)
	}
	fmt.Printf("review queue page (status filter, %d rows, page in the middle): %v\n", n, time.Since(t0).Round(time.Millisecond))

	// Claiming from a queue of n pending photos (then back to approved).
	if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE submissions SET status = 'pending'`)
		return err
	}); err != nil {
		return err
	}
	t0 = time.Now()
	const claims = 20
	for range claims {
		id, err := con.ClaimNext(ctx, actor, core.QueueFilter{}, nil)
		if err != nil || id == 0 {
			return fmt.Errorf("claim: %d %v", id, err)
		}
		if err := con.Release(ctx, actor, id); err != nil {
			return err
		}
	}
	fmt.Printf("claim next from %d pending: %v per claim\n", n, (time.Since(t0) / claims).Round(time.Microsecond))
	if err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE submissions SET status = 'approved', claimed_by = NULL, claim_expires = NULL`)
		return err
	}); err != nil {
		return err
	}

	// 3. The export package, as the school console builds it.
	runtime.GC()
	pk = peak{}
	stop = make(chan struct{})
	go pk.sample(stop)
	t0 = time.Now()
	p, err := con.CreatePackage(ctx, actor, task.ID, core.PackageFilter{})
	if err != nil {
		return err
	}
	if _, err := con.RunPackageJobs(ctx, 1); err != nil {
		return err
	}
	el := time.Since(t0)
	close(stop)
	p, err = con.Package(ctx, actor, p.ID)
	if err != nil {
		return err
	}
	if p.State != core.PackageReady {
		return fmt.Errorf("package state %s: %s", p.State, p.Error)
	}
	fmt.Printf("export: %d photos, %d parts, %s in %v (%.0f photos/s, %.0f MiB/s), peak heap %s, peak Sys %s\n",
		p.Count, len(p.Parts), mib(uint64(p.Bytes)), el.Round(time.Millisecond), float64(p.Count)/el.Seconds(),
		float64(p.Bytes)/(1<<20)/el.Seconds(), mib(pk.heap.Load()), mib(pk.sys.Load()))
	t0 = time.Now()
	nd, err := con.MarkDelivered(ctx, actor, p.ID)
	if err != nil {
		return err
	}
	fmt.Printf("mark delivered: %d submissions (events, notifications, jobs) in %v\n", nd, time.Since(t0).Round(time.Millisecond))
	_ = photoBytes
	return nil
}
