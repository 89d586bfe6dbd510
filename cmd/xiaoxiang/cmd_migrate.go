package main

import (
	"context"
	"fmt"
	"io"

	"xiaoxiang/internal/app"
	"xiaoxiang/internal/sqldb"
)

// runMigrate applies the database migrations and exits. It takes the flags of serve
// (--db, --data) and the same environment.
func runMigrate(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	cfg, err := app.Load(args, env, stderr)
	if err != nil {
		return usageError(err)
	}
	db, err := sqldb.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(stdout, "database is up to date (schema version %d)\n", v)
		return nil
	}
	fmt.Fprintf(stdout, "applied migrations %v; schema version %d\n", applied, v)
	return nil
}
