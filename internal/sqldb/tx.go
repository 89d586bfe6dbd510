package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"xiaoxiang"
)

// Tx is a transaction. Every store method is a method of Tx, so the same
// code runs inside InTx (read-write) and View (read-only).
type Tx struct {
	tx    *sql.Tx
	db    *DB
	now   time.Time
	stmts *stmtCache // nil: no statement cache (PostgreSQL)
}

// Now is the time the transaction started (UTC, microseconds): every stamp
// written by one transaction is the same instant.
func (tx *Tx) Now() time.Time { return tx.now }

// Dialect reports the database dialect.
func (tx *Tx) Dialect() Dialect { return tx.db.dialect }

// InTx runs fn in a read-write transaction and commits if fn returns nil.
// On SQLite it holds the single writer (BEGIN IMMEDIATE), so transactions are
// serialized; on PostgreSQL rows are locked with FOR UPDATE where the store
// methods say so.
func (db *DB) InTx(ctx context.Context, fn func(*Tx) error) error {
	return db.run(ctx, db.write, db.writeStmts, nil, fn)
}

// View runs fn in a read-only transaction (on SQLite on a reader connection,
// which sees a consistent snapshot while the writer works).
func (db *DB) View(ctx context.Context, fn func(*Tx) error) error {
	return db.run(ctx, db.read, db.readStmts, &sql.TxOptions{ReadOnly: db.dialect == Postgres}, fn)
}

func (db *DB) run(ctx context.Context, pool *sql.DB, stmts *stmtCache, opts *sql.TxOptions, fn func(*Tx) error) (err error) {
	stx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("sqldb: begin: %w", err)
	}
	tx := &Tx{tx: stx, db: db, now: db.Now(), stmts: stmts}
	defer func() {
		if p := recover(); p != nil {
			stx.Rollback()
			panic(p)
		}
		if err != nil {
			stx.Rollback()
		}
	}()
	if err = fn(tx); err != nil {
		return err
	}
	if err = stx.Commit(); err != nil {
		return fmt.Errorf("sqldb: commit: %w", err)
	}
	return nil
}

func (tx *Tx) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	q, a := tx.db.dialect.rebind(query), convertArgs(tx.db.dialect, args)
	if st := tx.stmts.get(q); st != nil {
		return tx.tx.StmtContext(ctx, st).ExecContext(ctx, a...)
	}
	return tx.tx.ExecContext(ctx, q, a...)
}

func (tx *Tx) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	q, a := tx.db.dialect.rebind(query), convertArgs(tx.db.dialect, args)
	if st := tx.stmts.get(q); st != nil {
		return tx.tx.StmtContext(ctx, st).QueryContext(ctx, a...)
	}
	return tx.tx.QueryContext(ctx, q, a...)
}

func (tx *Tx) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	q, a := tx.db.dialect.rebind(query), convertArgs(tx.db.dialect, args)
	if st := tx.stmts.get(q); st != nil {
		return tx.tx.StmtContext(ctx, st).QueryRowContext(ctx, a...)
	}
	return tx.tx.QueryRowContext(ctx, q, a...)
}

// Exec runs a statement written with ? placeholders (for packages such as
// queue that own a table but not a dialect).
func (tx *Tx) Exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.exec(ctx, query, args...)
}

// Query runs a query written with ? placeholders.
func (tx *Tx) Query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.query(ctx, query, args...)
}

// QueryRow runs a single-row query written with ? placeholders.
func (tx *Tx) QueryRow(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.queryRow(ctx, query, args...)
}

// notFound turns sql.ErrNoRows into an ENOTFOUND domain error with msg.
func notFound(err error, msg string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return xiaoxiang.WrapError(xiaoxiang.ENOTFOUND, msg, err)
	}
	return err
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// list runs query and scans every row with scan.
func list[T any](ctx context.Context, tx *Tx, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := tx.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
