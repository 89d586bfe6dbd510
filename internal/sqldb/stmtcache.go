package sqldb

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStmts bounds the statement cache of one pool (queries are hand-written
// constants, so the real number is the number of distinct queries, about 200).
const maxCachedStmts = 512

// stmtCache keeps prepared statements of one SQLite pool. Parsing SQL is a large part
// of a short SQLite transaction's CPU time; database/sql keeps a statement prepared on
// each connection it ran on (Stmt → per-connection statements), so a cached *sql.Stmt
// used through Tx.StmtContext is parsed once per connection, not once per call.
// PostgreSQL needs none of this: pgx caches prepared statements per connection itself.
type stmtCache struct {
	pool *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt
	busy map[string]bool // being prepared
	wg   sync.WaitGroup
	done bool
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}, busy: map[string]bool{}}
}

// get returns the cached statement of q, or nil. On a miss it prepares q in the
// background: preparing on the pool needs a free connection, and the caller may hold
// the only writer connection inside its transaction, so it must not wait for it here.
func (c *stmtCache) get(q string) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[q]; ok {
		return st
	}
	if c.done || c.busy[q] || len(c.m)+len(c.busy) >= maxCachedStmts {
		return nil
	}
	c.busy[q] = true
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		st, err := c.pool.PrepareContext(context.Background(), q)
		c.mu.Lock()
		defer c.mu.Unlock()
		delete(c.busy, q)
		switch {
		case err != nil:
			// Not cached; the query keeps running unprepared (its error, if any, is
			// reported by the direct execution).
		case c.done:
			st.Close()
		default:
			c.m[q] = st
		}
	}()
	return nil
}

// close closes every cached statement and waits for background prepares; call it
// before closing the pool... or after: a prepare waiting for a connection fails once
// the pool is closed.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.done = true
	for q, st := range c.m {
		st.Close()
		delete(c.m, q)
	}
	c.mu.Unlock()
}

// wait waits for the background prepares (after the pool is closed they end at once).
func (c *stmtCache) wait() {
	if c != nil {
		c.wg.Wait()
	}
}
