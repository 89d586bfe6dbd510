package sqldb_test

import (
	"context"
	"path/filepath"
	"sync"
	"testing"

	"xiaoxiang"
	"xiaoxiang/internal/sqldb"
	"xiaoxiang/internal/sqldb/sqldbtest"
)

func pragma(t *testing.T, db *sqldb.DB, write bool, name string) string {
	t.Helper()
	var v string
	run := db.View
	if write {
		run = db.InTx
	}
	if err := run(context.Background(), func(tx *sqldb.Tx) error { return tx.QueryRow(context.Background(), "PRAGMA "+name).Scan(&v) }); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestOpenSQLitePragmas(t *testing.T) {
	if sqldbtest.Postgres() {
		t.Skip("SQLite only")
	}
	dir := t.TempDir()
	for _, dsn := range []string{"sqlite:" + filepath.Join(dir, "a.sqlite"), filepath.Join(dir, "b.sqlite")} {
		db, err := sqldb.Open(context.Background(), dsn)
		if err != nil {
			t.Fatalf("Open(%q): %v", dsn, err)
		}
		defer db.Close()
		if db.Dialect() != sqldb.SQLite {
			t.Fatalf("dialect %v", db.Dialect())
		}
		for _, write := range []bool{true, false} {
			if v := pragma(t, db, write, "journal_mode"); v != "wal" {
				t.Errorf("%s write=%v: journal_mode %s", dsn, write, v)
			}
			if v := pragma(t, db, write, "synchronous"); v != "2" { // FULL
				t.Errorf("%s write=%v: synchronous %s", dsn, write, v)
			}
			if v := pragma(t, db, write, "foreign_keys"); v != "1" {
				t.Errorf("%s write=%v: foreign_keys %s", dsn, write, v)
			}
		}
		// The reader pool cannot write.
		err = db.View(context.Background(), func(tx *sqldb.Tx) error {
			_, err := tx.Exec(context.Background(), "CREATE TABLE x (a INTEGER)")
			return err
		})
		if err == nil {
			t.Errorf("%s: a read transaction wrote", dsn)
		}
	}
	if _, err := sqldb.Open(context.Background(), "sqlite:"); err == nil {
		t.Error("Open(sqlite:) with no path succeeded")
	}
}

// TestSQLiteTwoProcessesShareQuota: two DB handles on one file (as two
// processes would be) race for the last quota units; BEGIN IMMEDIATE with a
// busy timeout serializes them, so exactly the limit is taken.
func TestSQLiteTwoProcessesShareQuota(t *testing.T) {
	if sqldbtest.Postgres() {
		t.Skip("SQLite only")
	}
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "shared.sqlite")
	db1, err := sqldb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db1.Close()
	if _, err := db1.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := mustFixture(t, db1, 7)
	db2, err := sqldb.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	for i := 0; i < 10; i++ {
		db := db1
		if i%2 == 1 {
			db = db2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := db.InTx(ctx, func(tx *sqldb.Tx) error {
				_, ok, err := tx.TakeQuota(ctx, f.entry.ID, xiaoxiang.QuotaDay(t0), 3)
				if ok {
					mu.Lock()
					won++
					mu.Unlock()
				}
				return err
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if won != 3 {
		t.Fatalf("%d units taken across two handles, want 3", won)
	}
}
