package sqldb

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
var migrationFiles embed.FS

// Migration is one numbered schema change.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// Migrations returns the migrations of the dialect in order.
func Migrations(d Dialect) ([]Migration, error) {
	dir := "migrations/" + d.String()
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, fmt.Errorf("sqldb: migrations: %w", err)
	}
	var out []Migration
	for _, e := range entries {
		name := e.Name()
		num, rest, ok := strings.Cut(strings.TrimSuffix(name, ".sql"), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || len(num) != 4 {
			return nil, fmt.Errorf("sqldb: migrations: bad file name %s", name)
		}
		b, err := fs.ReadFile(migrationFiles, path.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("sqldb: migrations: %w", err)
		}
		out = append(out, Migration{Version: v, Name: rest, SQL: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := range out {
		if out[i].Version != i+1 {
			return nil, fmt.Errorf("sqldb: migrations: %s: version %d, want %d (no gaps)", d, out[i].Version, i+1)
		}
	}
	return out, nil
}

// Migrate applies every migration not yet recorded in schema_migrations,
// each in its own transaction. It returns the versions applied.
func (db *DB) Migrate(ctx context.Context) ([]int, error) {
	ms, err := Migrations(db.dialect)
	if err != nil {
		return nil, err
	}
	if _, err := db.write.ExecContext(ctx, db.dialect.schemaMigrationsDDL()); err != nil {
		return nil, fmt.Errorf("sqldb: migrate: %w", err)
	}
	var applied []int
	for _, m := range ms {
		err := db.InTx(ctx, func(tx *Tx) error {
			// Serialize concurrent migrators (several serve processes starting at once).
			if lock := db.dialect.migrationLock(); lock != "" {
				if _, err := tx.tx.ExecContext(ctx, lock); err != nil {
					return err
				}
			}
			var n int
			if err := tx.queryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.Version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := tx.tx.ExecContext(ctx, m.SQL); err != nil {
				return err
			}
			if _, err := tx.exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`, m.Version, m.Name, tx.now); err != nil {
				return err
			}
			applied = append(applied, m.Version)
			return nil
		})
		if err != nil {
			return applied, fmt.Errorf("sqldb: migrate %04d_%s: %w", m.Version, m.Name, err)
		}
	}
	return applied, nil
}

// SchemaVersion returns the highest applied migration (0 for none).
func (db *DB) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := db.View(ctx, func(tx *Tx) error {
		return tx.queryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	})
	if err != nil {
		return 0, fmt.Errorf("sqldb: schema version: %w", err)
	}
	return v, nil
}
