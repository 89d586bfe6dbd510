package main

import (
	"context"
	"errors"
	"io"
)

// runPhoto is a placeholder until the photo subcommand lands.
func runPhoto(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	return errors.New("photo: not implemented yet")
}
