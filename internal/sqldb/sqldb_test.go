package sqldb_test

import (
	"context"
	"testing"

	"xiaoxiang/internal/sqldb"
	"xiaoxiang/internal/sqldb/sqldbtest"
)

func TestMigrate(t *testing.T) {
	db := sqldbtest.Open(t)
	ctx := context.Background()
	v, err := db.SchemaVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ms, _ := sqldb.Migrations(db.Dialect())
	if v != len(ms) {
		t.Fatalf("SchemaVersion = %d, want %d", v, len(ms))
	}
	applied, err := db.Migrate(ctx)
	if err != nil || len(applied) != 0 {
		t.Fatalf("second Migrate = %v, %v; want nothing applied", applied, err)
	}
}

func TestMigrationsSameNumbers(t *testing.T) {
	a, err := sqldb.Migrations(sqldb.SQLite)
	if err != nil {
		t.Fatal(err)
	}
	b, err := sqldb.Migrations(sqldb.Postgres)
	if err != nil {
		t.Fatal(err)
	}
	if len(a) != len(b) {
		t.Fatalf("sqlite has %d migrations, postgres %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Version != b[i].Version || a[i].Name != b[i].Name {
			t.Errorf("migration %d: sqlite %04d_%s, postgres %04d_%s", i, a[i].Version, a[i].Name, b[i].Version, b[i].Name)
		}
	}
}
