// Package sqldb is the only package that writes SQL. It speaks SQLite (the
// embedded default, through the pure-Go modernc.org/sqlite driver) and
// PostgreSQL (through pgx's database/sql driver) with the same hand-written
// queries; every difference between the two lives in dialect.go.
//
// All reads and writes go through a *Tx: DB.InTx runs a read-write
// transaction (on SQLite the single writer connection, BEGIN IMMEDIATE), and
// DB.View runs a read-only one (on SQLite a pool of reader connections).
// Times are stored in UTC. Not found is an *xiaoxiang.Error with code
// ENOTFOUND, never (nil, nil).
package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	_ "modernc.org/sqlite"             // registers "sqlite"
)

// DB is an open database: a writer and a reader pool (the same pool on
// PostgreSQL).
type DB struct {
	write   *sql.DB
	read    *sql.DB
	dialect Dialect
	now     func() time.Time
	// Prepared-statement caches of the two SQLite pools (nil on PostgreSQL).
	writeStmts, readStmts *stmtCache
}

// Options tune Open. The zero value works.
type Options struct {
	// Now is the clock used for created_at/updated_at stamps (default time.Now).
	Now func() time.Time
	// Readers is the size of the SQLite reader pool (default max(4, NumCPU)).
	Readers int
	// SearchPath, for PostgreSQL, sets the schema every connection uses.
	SearchPath string
}

// Open opens the database at dsn: "sqlite:/path/db.sqlite", a plain file
// path, or "postgres://…" / "postgresql://…". It does not migrate.
func Open(ctx context.Context, dsn string, opts ...Options) (*DB, error) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	var db *DB
	var err error
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err = openPostgres(dsn, o)
	default:
		db, err = openSQLite(strings.TrimPrefix(dsn, "sqlite:"), o)
	}
	if err != nil {
		return nil, err
	}
	if err := db.write.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqldb: open: ping: %w", err)
	}
	if err := db.read.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqldb: open: ping reader: %w", err)
	}
	return db, nil
}

func openSQLite(path string, o Options) (*DB, error) {
	if path == "" {
		return nil, fmt.Errorf("sqldb: open: empty sqlite path")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqldb: open: sqlite path must not contain ? or #")
	}
	pragmas := []string{"journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(on)", "busy_timeout(10000)"}
	dsn := func(lock string, extra ...string) string {
		q := url.Values{}
		for _, p := range append(pragmas, extra...) {
			q.Add("_pragma", p)
		}
		q.Set("_txlock", lock)
		q.Set("_time_format", "sqlite")
		return "file:" + path + "?" + q.Encode()
	}
	write, err := sql.Open("sqlite", dsn("immediate"))
	if err != nil {
		return nil, fmt.Errorf("sqldb: open sqlite: %w", err)
	}
	// One writer connection: SQLite allows one writer at a time, so writers
	// queue in Go instead of spinning on SQLITE_BUSY.
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	read, err := sql.Open("sqlite", dsn("deferred", "query_only(on)"))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqldb: open sqlite: %w", err)
	}
	n := o.Readers
	if n <= 0 {
		n = max(4, runtime.NumCPU())
	}
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	db := &DB{write: write, read: read, dialect: SQLite, now: o.Now, writeStmts: newStmtCache(write), readStmts: newStmtCache(read)}
	// Create the file and switch it to WAL before readers (query_only) open it.
	if _, err := write.Exec("SELECT 1"); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqldb: open sqlite: %w", err)
	}
	return db, nil
}

func openPostgres(dsn string, o Options) (*DB, error) {
	if o.SearchPath != "" {
		u, err := url.Parse(dsn)
		if err != nil {
			return nil, fmt.Errorf("sqldb: open postgres: bad url")
		}
		q := u.Query()
		q.Set("search_path", o.SearchPath)
		u.RawQuery = q.Encode()
		dsn = u.String()
	}
	pool, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqldb: open postgres: %w", err)
	}
	pool.SetMaxOpenConns(20)
	pool.SetMaxIdleConns(10)
	pool.SetConnMaxIdleTime(5 * time.Minute)
	return &DB{write: pool, read: pool, dialect: Postgres, now: o.Now}, nil
}

// Close closes every connection.
func (db *DB) Close() error {
	db.writeStmts.close()
	db.readStmts.close()
	err := db.write.Close()
	if db.read != db.write {
		if e := db.read.Close(); err == nil {
			err = e
		}
	}
	db.writeStmts.wait()
	db.readStmts.wait()
	return err
}

// Dialect reports which database this is.
func (db *DB) Dialect() Dialect { return db.dialect }

// Now returns the current time of the DB's clock, in UTC, truncated to
// microseconds (what both databases store).
func (db *DB) Now() time.Time { return db.now().UTC().Truncate(time.Microsecond) }

// SetNow replaces the clock (tests).
func (db *DB) SetNow(now func() time.Time) { db.now = now }
