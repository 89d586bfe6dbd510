package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"xiaoxiang/internal/app"
)

// runDemo migrates the database and seeds the demo data (schools, tasks, rosters,
// staff) if it holds no school yet, then prints how to log in. It takes the flags of
// serve; --dev generates (and keeps) throwaway keys like `serve --dev`.
func runDemo(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	cfg, err := app.Load(args, env, stderr)
	if err != nil {
		return usageError(err)
	}
	cfg.Demo = true
	ln, err := quietListener()
	if err != nil {
		return err
	}
	a, err := app.New(ctx, cfg, app.Options{Log: newLogger(cfg, stderr), Listener: ln})
	if err != nil {
		return err
	}
	defer a.Stop(context.Background())
	if a.Demo == nil {
		return errors.New("demo: the database already holds other data; use an empty database")
	}
	fmt.Fprintf(stdout, "demo data ready: %d schools, %d tasks, %d roster entries\n", len(a.Demo.Schools), len(a.Demo.Tasks), a.Demo.Students)
	base := cfg.BaseURL
	if base == "" {
		base = "http://localhost" + cfg.Addr
	}
	printDemo(stdout, base, a.Demo)
	return nil
}
