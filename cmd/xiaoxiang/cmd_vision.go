package main

import (
	"context"
	"errors"
	"io"
)

// runVision is a placeholder until the vision subcommand lands.
func runVision(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	return errors.New("vision: not implemented yet")
}
