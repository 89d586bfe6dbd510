package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"

	"xiaoxiang/internal/app"
)

// startInProcess runs the app inside this process (same code as `serve`, minus the
// process boundary) so that -cpuprofile can profile the server side.
func startInProcess(ctx context.Context, c config) (*server, error) {
	dir, err := os.MkdirTemp(c.tmp, "xiaoxiang-load-")
	if err != nil {
		return nil, err
	}
	s := &server{dir: dir, keep: c.keep, exited: make(chan struct{}), bin: "in-process app"}
	models, err := filepath.Abs(c.models)
	if err != nil {
		return nil, err
	}
	args := []string{"--dev", "--demo", "--addr", "127.0.0.1:0", "--data", filepath.Join(dir, "data"), "--models", models}
	if c.db == "postgres" {
		dbURL, drop, err := createPostgresDB(ctx, c.pgAdmin)
		if err != nil {
			return nil, err
		}
		s.dropDB = drop
		args = append(args, "--db", dbURL)
	}
	cfg, err := app.Load(args, func(string) string { return "" }, io.Discard)
	if err != nil {
		return nil, err
	}
	if s.logFile, err = os.Create(filepath.Join(dir, "server.log")); err != nil {
		return nil, err
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.logLevel))
	a, err := app.New(context.Background(), cfg, app.Options{Log: slog.New(slog.NewTextHandler(s.logFile, &slog.HandlerOptions{Level: level}))})
	if err != nil {
		if c.goroutines != "" {
			// One goroutine dump in the middle of the run: where requests wait.
			go func() {
				time.Sleep(c.ramp + 2*time.Second)
				if f, err := os.Create(c.goroutines); err == nil {
					pprof.Lookup("goroutine").WriteTo(f, 1)
					f.Close()
				}
			}()
		}
		s.stopFn = func() {}
		s.stop()
		return nil, err
	}
	a.Start()
	s.base = a.BaseURL
	var prof *os.File
	if c.cpuprofile != "" {
		if prof, err = os.Create(c.cpuprofile); err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(prof); err != nil {
			return nil, err
		}
	}
	if c.goroutines != "" {
		// One goroutine dump in the middle of the run: where requests wait.
		go func() {
			time.Sleep(c.ramp + 2*time.Second)
			if f, err := os.Create(c.goroutines); err == nil {
				pprof.Lookup("goroutine").WriteTo(f, 1)
				f.Close()
			}
		}()
	}
	s.stopFn = func() {
		if prof != nil {
			pprof.StopCPUProfile()
			prof.Close()
			fmt.Fprintln(os.Stderr, "load: CPU profile (server and clients) in", c.cpuprofile)
		}
		sctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		if err := a.Stop(sctx); err != nil {
			fmt.Fprintln(os.Stderr, "load: stop:", err)
		}
	}
	return s, nil
}
