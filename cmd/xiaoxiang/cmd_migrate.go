package main

import (
	"context"
	"errors"
	"io"
)

// runMigrate is a placeholder until the migrate subcommand lands.
func runMigrate(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	return errors.New("migrate: not implemented yet")
}
