package sqldb

import (
	"context"
	"fmt"

	"xiaoxiang"
)

// CreateAuditEntry appends to the audit log (append-only: the schema refuses
// UPDATE and DELETE). Detail must never contain ID numbers, names or secrets.
func (tx *Tx) CreateAuditEntry(ctx context.Context, e *xiaoxiang.AuditEntry) error {
	e.CreatedAt = tx.now
	err := tx.queryRow(ctx, `INSERT INTO audit_log (actor_kind, actor_id, action, object, school_id, count, detail, ip, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		e.ActorKind, e.ActorID, e.Action, e.Object, e.SchoolID, e.Count, e.Detail, e.IP, e.CreatedAt).Scan(&e.ID)
	if err != nil {
		return fmt.Errorf("sqldb: create audit entry: %w", err)
	}
	return nil
}

// AuditFilter selects audit entries; zero fields do not filter.
type AuditFilter struct {
	SchoolID  int64
	ActorKind string
	ActorID   int64
	Action    string
	BeforeID  int64 // page backwards: entries with id < BeforeID
	Limit     int   // default 100
}

// FindAuditEntries lists audit entries, newest first.
func (tx *Tx) FindAuditEntries(ctx context.Context, f AuditFilter) ([]*xiaoxiang.AuditEntry, error) {
	q := `SELECT id, actor_kind, actor_id, action, object, school_id, count, detail, ip, created_at FROM audit_log WHERE 1 = 1`
	var args []any
	if f.SchoolID != 0 {
		q += ` AND school_id = ?`
		args = append(args, f.SchoolID)
	}
	if f.ActorKind != "" {
		q += ` AND actor_kind = ?`
		args = append(args, f.ActorKind)
	}
	if f.ActorID != 0 {
		q += ` AND actor_id = ?`
		args = append(args, f.ActorID)
	}
	if f.Action != "" {
		q += ` AND action = ?`
		args = append(args, f.Action)
	}
	if f.BeforeID != 0 {
		q += ` AND id < ?`
		args = append(args, f.BeforeID)
	}
	if f.Limit <= 0 {
		f.Limit = 100
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, f.Limit)
	out, err := list(ctx, tx, func(r scanner) (*xiaoxiang.AuditEntry, error) {
		var e xiaoxiang.AuditEntry
		err := r.Scan(&e.ID, &e.ActorKind, &e.ActorID, &e.Action, &e.Object, &e.SchoolID, &e.Count, &e.Detail, &e.IP, tm(&e.CreatedAt))
		return &e, err
	}, q, args...)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find audit entries: %w", err)
	}
	return out, nil
}
