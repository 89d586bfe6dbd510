package sqldb

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

func openCacheTestDB(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(context.Background(), "sqlite:"+filepath.Join(tb.TempDir(), "t.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.write.Exec(`CREATE TABLE kv (k TEXT PRIMARY KEY, v INTEGER NOT NULL)`); err != nil {
		tb.Fatal(err)
	}
	return db
}

func (c *stmtCache) cached(q string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.m[q]
	return ok
}

func TestStmtCache_PreparesOnceAndStaysCorrect(t *testing.T) {
	db := openCacheTestDB(t)
	ctx := context.Background()
	const ins = `INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = kv.v + excluded.v`
	const sel = `SELECT v FROM kv WHERE k = ?`
	for i := 0; i < 50; i++ {
		if err := db.InTx(ctx, func(tx *Tx) error {
			_, err := tx.exec(ctx, ins, "a", 1)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		var v int
		if err := db.View(ctx, func(tx *Tx) error { return tx.queryRow(ctx, sel, "a").Scan(&v) }); err != nil {
			t.Fatal(err)
		}
		if v != i+1 {
			t.Fatalf("after %d increments v = %d", i+1, v)
		}
		if db.writeStmts.cached(ins) && db.readStmts.cached(sel) {
			break
		}
		time.Sleep(5 * time.Millisecond) // background prepares need a free connection
	}
	if !db.writeStmts.cached(ins) || !db.readStmts.cached(sel) {
		t.Fatal("statements were never cached")
	}
	// A schema change after caching: SQLite re-prepares transparently.
	if err := db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.exec(ctx, `ALTER TABLE kv ADD COLUMN note TEXT`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	var v int
	if err := db.InTx(ctx, func(tx *Tx) error {
		if _, err := tx.exec(ctx, ins, "a", 100); err != nil {
			return err
		}
		return tx.queryRow(ctx, sel, "a").Scan(&v)
	}); err != nil || v < 101 {
		t.Fatalf("after schema change: v=%d err=%v", v, err)
	}
}

func BenchmarkStmtCache(b *testing.B) {
	db := openCacheTestDB(b)
	ctx := context.Background()
	// A query of the size the stores run (joins, many columns).
	const sel = `SELECT a.v FROM kv a JOIN kv b ON b.k = a.k LEFT JOIN kv c ON c.k = a.k AND c.v = b.v
		WHERE a.k = ? AND a.v >= ? AND a.v < ? AND (b.v IS NULL OR b.v > -1) AND coalesce(c.v, 0) >= 0
		AND a.k NOT IN ('x','y','z') AND length(a.k) < 100 AND a.v BETWEEN 0 AND 1000000
		ORDER BY a.v, b.v, c.v LIMIT 1`
	db.write.Exec(`INSERT INTO kv (k, v) VALUES ('a', 1)`)
	run := func(b *testing.B, cache *stmtCache) {
		db.readStmts = cache
		for range 20 { // warm: let the background prepare land
			db.View(ctx, func(tx *Tx) error { var v int; return tx.queryRow(ctx, sel, "a", 0, 10).Scan(&v) })
			time.Sleep(time.Millisecond)
		}
		if cache != nil && !cache.cached(sel) {
			b.Fatal("not cached after warm-up")
		}
		b.ResetTimer()
		for range b.N {
			if err := db.View(ctx, func(tx *Tx) error { var v int; return tx.queryRow(ctx, sel, "a", 0, 10).Scan(&v) }); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("uncached", func(b *testing.B) { run(b, nil) })
	b.Run("cached", func(b *testing.B) { run(b, newStmtCache(db.read)) })
}
