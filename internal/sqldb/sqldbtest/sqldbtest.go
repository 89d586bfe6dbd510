// Package sqldbtest opens migrated test databases: a temporary SQLite file,
// or, when XIAOXIANG_TEST_POSTGRES is set, a fresh PostgreSQL schema per test
// (dropped at cleanup), so the same tests run on both.
package sqldbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"xiaoxiang/internal/sqldb"
)

// EnvPostgres names the variable holding the PostgreSQL test URL.
const EnvPostgres = "XIAOXIANG_TEST_POSTGRES"

// Open returns a migrated, empty database that is closed (and on PostgreSQL
// dropped) when the test ends.
func Open(tb testing.TB, opts ...sqldb.Options) *sqldb.DB {
	tb.Helper()
	ctx := context.Background()
	var o sqldb.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	var db *sqldb.DB
	var err error
	if pg := os.Getenv(EnvPostgres); pg != "" {
		schema := "t_" + randomHex(8)
		admin, err := sql.Open("pgx", pg)
		if err != nil {
			tb.Fatalf("sqldbtest: %v", err)
		}
		if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
			admin.Close()
			tb.Fatalf("sqldbtest: create schema: %v", err)
		}
		tb.Cleanup(func() {
			if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
				tb.Errorf("sqldbtest: drop schema: %v", err)
			}
			admin.Close()
		})
		o.SearchPath = schema
		// Tests need no durability: skip the commit fsync wait.
		db, err = sqldb.Open(ctx, withParam(pg, "synchronous_commit", "off"), o)
		if err != nil {
			tb.Fatalf("sqldbtest: %v", err)
		}
	} else {
		db, err = sqldb.Open(ctx, "sqlite:"+filepath.Join(tb.TempDir(), "test.sqlite"), o)
		if err != nil {
			tb.Fatalf("sqldbtest: %v", err)
		}
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatalf("sqldbtest: %v", err)
	}
	return db
}

// Postgres reports whether tests run on PostgreSQL.
func Postgres() bool { return os.Getenv(EnvPostgres) != "" }

func withParam(dsn, k, v string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	q.Set(k, v)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
