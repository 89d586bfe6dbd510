package main

import (
	"context"
	"errors"
	"io"
)

// runServe is a placeholder until the serve subcommand lands.
func runServe(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	return errors.New("serve: not implemented yet")
}
