// Command load simulates many students doing the student flow concurrently over real
// HTTP against the real server binary (dev mode: the in-process WeChat / WeChat Pay
// simulator), and reports throughput, latency percentiles per endpoint and errors.
//
//	go run ./bench/load -students 200 -db sqlite
//	go run ./bench/load -students 200 -db postgres            # a fresh database, dropped afterwards
//	go run ./bench/load -students 200 -photos 10              # also 10 uploads + checks + standardizations
//	go run ./bench/load -url http://127.0.0.1:8080 -students 50   # a server started with serve --dev --demo
//
// Each student: WeChat-simulator OAuth login, home, school search, categories, task
// list, task entry, identity consent, link (a distinct demo roster entry), my binding,
// pay page, create order, the simulator's payment sheet and confirmation, polling of the
// payment status until the server has the notification, guide, my tasks, status page.
// With -photos N, the first N students also give the photo consent, upload the portrait
// (quality check), standardize and submit; these CPU-bound endpoints are reported in a
// separate table. Every loop is bounded in count and time; only loopback is used.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

type config struct {
	students, photos int
	db, url, bin     string
	pgAdmin          string
	models, portrait string
	ramp, deadline   time.Duration
	keep             bool
	logLevel         string
	think            time.Duration
	tmp              string
	cpuprofile       string
	goroutines       string
}

func main() {
	var c config
	flag.IntVar(&c.students, "students", 200, "concurrent simulated students (≤ 600: the demo's paid rosters)")
	flag.IntVar(&c.photos, "photos", 0, "how many of the students also upload, check, standardize and submit a photo")
	flag.StringVar(&c.db, "db", "sqlite", "database of the started server: sqlite or postgres")
	flag.StringVar(&c.url, "url", "", "use this running server (serve --dev --demo, fresh demo data) instead of starting one")
	flag.StringVar(&c.bin, "bin", "", "server binary (default: go build ./cmd/xiaoxiang into a temp dir)")
	flag.StringVar(&c.pgAdmin, "pg", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "PostgreSQL URL used to create and drop the bench database")
	flag.StringVar(&c.models, "models", "models", "models directory for the started server")
	flag.StringVar(&c.portrait, "portrait", "", "portrait JPEG for -photos (default: the dev portrait or .cache/fixtures/pigo_sample.jpg)")
	flag.DurationVar(&c.ramp, "ramp", time.Second, "students start spread evenly over this duration")
	flag.DurationVar(&c.deadline, "timeout", 5*time.Minute, "the whole run stops after this")
	flag.BoolVar(&c.keep, "keep", false, "keep the temp data dir (server log in it)")
	flag.StringVar(&c.logLevel, "log-level", "info", "log level of the started server")
	flag.DurationVar(&c.think, "think", 0, "mean think time between a student's pages (uniform 0.5–1.5×; 0 = none, a burst)")
	flag.StringVar(&c.cpuprofile, "cpuprofile", "", "run the app in this process and write a CPU profile (server + clients) here")
	flag.StringVar(&c.goroutines, "goroutines", "", "with -cpuprofile: write a goroutine dump taken 2 s after the ramp here")
	flag.StringVar(&c.tmp, "tmp", "", "parent of the temp data dir (default $TMPDIR; /dev/shm takes fsync out of the picture)")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	if c.students < 1 {
		return errors.New("-students must be ≥ 1")
	}
	if c.photos > c.students {
		c.photos = c.students
	}
	assigned, err := assign(c.students)
	if err != nil {
		return err
	}
	var portrait []byte
	if c.photos > 0 {
		if portrait, err = readPortrait(c.portrait); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.deadline)
	defer cancel()

	var srvPID func() int
	base := strings.TrimRight(c.url, "/")
	desc := "server at " + base
	if base == "" {
		start := startServer
		if c.cpuprofile != "" {
			start = startInProcess
		}
		srv, err := start(ctx, c)
		if err != nil {
			return err
		}
		defer srv.stop()
		base = srv.base
		if srv.cmd != nil {
			srvPID = func() int { return srv.cmd.Process.Pid }
		}
		desc = fmt.Sprintf("server %s, db %s, GOMAXPROCS of the host %d", filepath.Base(srv.bin), c.db, runtime.NumCPU())
		if srv.try != "" && srv.try != assigned[0].p.name+"|"+assigned[0].p.doc && assigned[0].task.schoolCode == "10542" {
			fmt.Fprintln(os.Stderr, "load: warning: the demo's generator differs from bench/load/roster.go; links will fail")
		}
	}

	var pid int
	if srvPID != nil {
		pid = srvPID()
	}
	cpu0, load0 := procCPU(pid), loadAvg()
	stats := newStats()
	tr := &http.Transport{MaxIdleConns: 2 * c.students, MaxIdleConnsPerHost: 2 * c.students, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	fmt.Fprintf(os.Stderr, "load: %d students (%d with photos, think %s) against %s\n", c.students, c.photos, c.think, base)
	start := time.Now()
	var wg sync.WaitGroup
	for i, a := range assigned {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if c.ramp > 0 && c.students > 1 {
				d := c.ramp * time.Duration(i) / time.Duration(c.students)
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return
				}
			}
			s := newStudent(ctx, base, tr, stats, i, c.think)
			if err := s.run(a, i < c.photos, portrait); err != nil {
				stats.flowFailed(err)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	if pid != 0 {
		cpu := procCPU(pid) - cpu0
		desc += fmt.Sprintf("; server process CPU %.2f s (%.2f cores over the run)", cpu.Seconds(), cpu.Seconds()/elapsed.Seconds())
	}
	desc += fmt.Sprintf("; load average %s → %s (other engineers share the 2 cores)", load0, loadAvg())
	stats.print(os.Stdout, desc, c, elapsed)
	if ctx.Err() != nil {
		return fmt.Errorf("stopped by -timeout %s", c.deadline)
	}
	return nil
}

func readPortrait(p string) ([]byte, error) {
	cands := []string{p}
	if p == "" {
		cands = []string{filepath.Join("..", "shared", "testdata", "portraits", "hivision_test3.jpg"), filepath.Join(".cache", "fixtures", "pigo_sample.jpg")}
	}
	for _, c := range cands {
		if b, err := os.ReadFile(c); err == nil {
			return b, nil
		}
	}
	return nil, fmt.Errorf("no portrait (tried %v): pass -portrait", cands)
}

// server is a started server process.
type server struct {
	cmd     *exec.Cmd
	base    string
	bin     string
	try     string // name|doc of the demo's printed "try" student (compared, never logged)
	dir     string
	keep    bool
	dropDB  func()
	exited  chan struct{}
	logFile *os.File
	stopFn  func() // in-process app
}

var (
	runningRE = regexp.MustCompile(`running at (http://\S+)`)
	tryRE     = regexp.MustCompile(`姓名 (\S+)\s+身份证号 (\S+)`)
)

func startServer(ctx context.Context, c config) (*server, error) {
	dir, err := os.MkdirTemp(c.tmp, "xiaoxiang-load-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, keep: c.keep, exited: make(chan struct{})}
	ok := false
	defer func() {
		if !ok {
			s.stop()
		}
	}()
	s.bin = c.bin
	if s.bin == "" {
		s.bin = filepath.Join(dir, "xiaoxiang")
		build := exec.CommandContext(ctx, "go", "build", "-o", s.bin, "./cmd/xiaoxiang")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		fmt.Fprintln(os.Stderr, "load: go build ./cmd/xiaoxiang")
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("build: %w", err)
		}
	}
	models, err := filepath.Abs(c.models)
	if err != nil {
		return nil, err
	}
	args := []string{"serve", "--dev", "--demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--models", models}
	switch c.db {
	case "sqlite":
	case "postgres":
		dbURL, drop, err := createPostgresDB(ctx, c.pgAdmin)
		if err != nil {
			return nil, err
		}
		s.dropDB = drop
		args = append(args, "--db", dbURL)
	default:
		return nil, fmt.Errorf("-db %q: want sqlite or postgres", c.db)
	}
	if s.logFile, err = os.Create(filepath.Join(dir, "server.log")); err != nil {
		return nil, err
	}
	s.cmd = exec.Command(s.bin, args...)
	s.cmd.Env = append(os.Environ(), "XIAOXIANG_LOG_LEVEL="+c.logLevel)
	s.cmd.Stderr = s.logFile
	out, err := s.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { s.cmd.Wait(); close(s.exited) }()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			if m := tryRE.FindStringSubmatch(line); m != nil {
				s.try = m[1] + "|" + m[2]
			}
			if m := runningRE.FindStringSubmatch(line); m != nil && !sent {
				sent = true
				go func() {
					// The demo lines follow the URL line; give them a moment.
					time.Sleep(200 * time.Millisecond)
					found <- m[1]
				}()
			}
		}
		io.Copy(io.Discard, out)
	}()
	select {
	case s.base = <-found:
	case <-s.exited:
		return nil, fmt.Errorf("server exited early; log in %s", s.logFile.Name())
	case <-time.After(90 * time.Second):
		return nil, errors.New("server did not start in 90 s")
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	ok = true
	return s, nil
}

// stop ends the server with SIGTERM (SIGKILL after 20 s), drops the bench database
// and removes the temp dir.
func (s *server) stop() {
	if s.stopFn != nil {
		s.stopFn()
	}
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(20 * time.Second):
			s.cmd.Process.Kill()
			<-s.exited
		}
	}
	if s.logFile != nil {
		s.logFile.Close()
	}
	if s.dropDB != nil {
		s.dropDB()
	}
	if s.keep {
		fmt.Fprintln(os.Stderr, "load: kept", s.dir)
	} else {
		os.RemoveAll(s.dir)
	}
}

// createPostgresDB creates a fresh database for one run and returns its URL and a
// function that drops it.
func createPostgresDB(ctx context.Context, admin string) (string, func(), error) {
	db, err := sql.Open("pgx", admin)
	if err != nil {
		return "", nil, err
	}
	name := fmt.Sprintf("xiaoxiang_load_%d_%d", os.Getpid(), time.Now().Unix()%100000)
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		db.Close()
		return "", nil, fmt.Errorf("postgres: create database: %w", err)
	}
	u, err := url.Parse(admin)
	if err != nil {
		db.Close()
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := db.ExecContext(dctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintln(os.Stderr, "load: drop database:", err)
		}
		db.Close()
	}
	return u.String(), drop, nil
}
