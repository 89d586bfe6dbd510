package main

import (
	"context"
	"errors"
	"io"
)

// runDemo is a placeholder until the demo subcommand lands.
func runDemo(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	return errors.New("demo: not implemented yet")
}
