package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"

	"xiaoxiang/internal/app"
	"xiaoxiang/internal/demo"
)

// runServe serves the web app until ctx is cancelled (SIGINT/SIGTERM), then drains
// requests and jobs.
func runServe(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	cfg, err := app.Load(args, env, stderr)
	if err != nil {
		return usageError(err)
	}
	log := newLogger(cfg, stderr)
	a, err := app.New(ctx, cfg, app.Options{Log: log})
	if err != nil {
		return err
	}
	log.Info("config", "settings", strings.ReplaceAll(a.Config.Dump(), "\n", " "))
	a.Start()
	printWelcome(stdout, a)
	<-ctx.Done()
	log.Info("shutting down", "timeout", cfg.Shutdown.String())
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Shutdown)
	defer cancel()
	return a.Stop(sctx)
}

func newLogger(cfg app.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.LogLevel)) // validated by Config.Validate
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// printWelcome tells a developer where the app is and how to log in.
func printWelcome(w io.Writer, a *app.App) {
	fmt.Fprintf(w, "\nxiaoxiang 肖像采集 is running at %s\n", a.BaseURL)
	if a.Config.Dev {
		fmt.Fprintln(w, "  dev mode: WeChat login and WeChat Pay go to the in-process simulator at "+a.BaseURL+"/_sim/wechat/")
	}
	if a.Demo != nil {
		printDemo(w, a.BaseURL, a.Demo)
	}
	fmt.Fprintln(w)
}

func printDemo(w io.Writer, base string, d *demo.Result) {
	fmt.Fprintf(w, "\nStudent (phone-sized browser window recommended): open %s/ → 微信授权登录 → 允许 (any simulated WeChat user)\n", base)
	if d.Try.Name != "" {
		fmt.Fprintf(w, "  search 湖南师范大学 or 10542 → %s → 姓名 %s  身份证号 %s\n", d.Try.Task, d.Try.Name, d.Try.DocNumber)
	}
	if d.TryNo.Name != "" {
		fmt.Fprintf(w, "  free task by student number → %s → 姓名 %s  学号 %s\n", d.TryNo.Task, d.TryNo.Name, d.TryNo.StudentNo)
	}
	fmt.Fprintln(w, "  payment opens the simulator's 微信支付 sheet; the page waits for the server-side confirmation.")
	fmt.Fprintf(w, "Staff: open %s/staff/login (demo passwords, never for production):\n", base)
	for _, l := range d.Staff {
		school := ""
		if l.School != "" {
			school = " (" + l.School + ")"
		}
		fmt.Fprintf(w, "  %s%s: %s / %s\n", l.Role.Label(), school, l.Username, l.Password)
	}
	fmt.Fprintf(w, "Demo data: %d schools, %d tasks (all people are invented).\n", len(d.Schools), len(d.Tasks))
}

// usageError marks flag errors (exit code 2).
func usageError(err error) error { return &exitError{code: 2, err: err} }

// quietListener listens on a loopback port for commands that build the app without serving.
func quietListener() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
