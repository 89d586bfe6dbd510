// Command xiaoxiang is the whole platform in one binary: the web server, the
// database migrations, the demo data and the photo tools.
//
//	xiaoxiang serve [--dev] [--demo] [--addr :8080] [--models DIR]
//	xiaoxiang migrate
//	xiaoxiang demo
//	xiaoxiang staff add --username NAME --role operator|school_admin|reviewer [--school CODE]
//	xiaoxiang vision analyze PHOTO [--json] [--debug-png OUT]
//	xiaoxiang photo check PHOTO [--json] [--profile NAME]
//	xiaoxiang photo standardize PHOTO -o OUT.jpg [--profile NAME] [--json]
//
// Each subcommand lives in its own file (cmd_*.go) as a run function with the
// signature of command.run; main only picks one and maps its error to an exit code.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// command is one subcommand.
type command struct {
	name  string
	usage string
	run   func(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error
}

// commands lists every subcommand in the order `xiaoxiang help` prints them.
func commands() []command {
	return []command{
		{"serve", "serve the web app (student, school, review, ops, API)", runServe},
		{"migrate", "apply database migrations and exit", runMigrate},
		{"demo", "seed the demo dataset into the database", runDemo},
		{"staff", "staff add: create a staff account (the first operator of a new installation)", runStaff},
		{"vision", "vision analyze PHOTO: faces, mesh, pose, mask", runVision},
		{"photo", "photo check|standardize PHOTO: quality checks and CHSI standardization", runPhoto},
	}
}

// exitError carries a specific process exit code (e.g. 2 when a photo fails its checks).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.err != nil && ee.err.Error() != "" {
				fmt.Fprintln(os.Stderr, "xiaoxiang:", ee.err)
			}
			os.Exit(ee.code)
		}
		fmt.Fprintln(os.Stderr, "xiaoxiang:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], env, stdout, stderr)
		}
	}
	usage(stderr)
	return &exitError{code: 2, err: fmt.Errorf("unknown command %q", args[0])}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: xiaoxiang <command> [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.usage)
	}
}
