package sqldb

import (
	"context"
	"fmt"
	"strings"
	"time"

	"xiaoxiang"
)

const staffColumns = `s.id, s.username, s.display_name, s.password_hash, s.role, s.school_id, s.colleges, s.totp_secret, s.disabled, s.created_at, s.last_login_at`

func scanStaff(r scanner) (*xiaoxiang.Staff, error) {
	var s xiaoxiang.Staff
	var colleges string
	err := r.Scan(&s.ID, &s.Username, &s.DisplayName, &s.PasswordHash, &s.Role, nint{&s.SchoolID}, &colleges, &s.TOTPSecret, &s.Disabled, tm(&s.CreatedAt), tm(&s.LastLoginAt))
	if colleges != "" {
		s.Colleges = strings.Split(colleges, "\n")
	}
	return &s, err
}

// CreateStaff inserts s.
func (tx *Tx) CreateStaff(ctx context.Context, s *xiaoxiang.Staff) error {
	s.CreatedAt = tx.now
	err := tx.queryRow(ctx, `INSERT INTO staff (username, display_name, password_hash, role, school_id, colleges, totp_secret, disabled, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.Username, s.DisplayName, s.PasswordHash, s.Role, nullInt(s.SchoolID), strings.Join(s.Colleges, "\n"), s.TOTPSecret, s.Disabled, s.CreatedAt).Scan(&s.ID)
	if err != nil {
		if isUniqueViolation(err) {
			return xiaoxiang.WrapError(xiaoxiang.ECONFLICT, "用户名已存在。", err)
		}
		return fmt.Errorf("sqldb: create staff: %w", err)
	}
	return nil
}

// UpdateStaff writes every mutable field of s.
func (tx *Tx) UpdateStaff(ctx context.Context, s *xiaoxiang.Staff) error {
	_, err := tx.exec(ctx, `UPDATE staff SET display_name = ?, password_hash = ?, role = ?, school_id = ?, colleges = ?, totp_secret = ?, disabled = ?, last_login_at = ?
		WHERE id = ?`, s.DisplayName, s.PasswordHash, s.Role, nullInt(s.SchoolID), strings.Join(s.Colleges, "\n"), s.TOTPSecret, s.Disabled, s.LastLoginAt, s.ID)
	if err != nil {
		return fmt.Errorf("sqldb: update staff %d: %w", s.ID, err)
	}
	return nil
}

// FindStaffByID returns one staff member.
func (tx *Tx) FindStaffByID(ctx context.Context, id int64) (*xiaoxiang.Staff, error) {
	s, err := scanStaff(tx.queryRow(ctx, `SELECT `+staffColumns+` FROM staff s WHERE s.id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find staff %d: %w", id, notFound(err, "用户不存在。"))
	}
	return s, nil
}

// FindStaffByUsername returns one staff member.
func (tx *Tx) FindStaffByUsername(ctx context.Context, username string) (*xiaoxiang.Staff, error) {
	s, err := scanStaff(tx.queryRow(ctx, `SELECT `+staffColumns+` FROM staff s WHERE s.username = ?`, username))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find staff by username: %w", notFound(err, "用户名或密码错误。"))
	}
	return s, nil
}

// StaffSession is a console login. ID is the SHA-256 (hex) of the session
// token; the token itself is never stored.
type StaffSession struct {
	ID         string
	StaffID    int64
	CreatedAt  time.Time
	ExpiresAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string
}

// CreateStaffSession inserts a session.
func (tx *Tx) CreateStaffSession(ctx context.Context, s *StaffSession) error {
	s.CreatedAt, s.LastSeenAt = tx.now, tx.now
	_, err := tx.exec(ctx, `INSERT INTO staff_sessions (id, staff_id, created_at, expires_at, last_seen_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		s.ID, s.StaffID, s.CreatedAt, s.ExpiresAt, s.LastSeenAt, s.IP, s.UserAgent)
	if err != nil {
		return fmt.Errorf("sqldb: create staff session: %w", err)
	}
	return nil
}

// FindStaffSession returns a session that has not expired at now.
func (tx *Tx) FindStaffSession(ctx context.Context, id string, now time.Time) (*StaffSession, error) {
	var s StaffSession
	err := tx.queryRow(ctx, `SELECT id, staff_id, created_at, expires_at, last_seen_at, ip, user_agent FROM staff_sessions WHERE id = ? AND expires_at > ?`, id, now).
		Scan(&s.ID, &s.StaffID, tm(&s.CreatedAt), tm(&s.ExpiresAt), tm(&s.LastSeenAt), &s.IP, &s.UserAgent)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find staff session: %w", notFound(err, "登录已过期，请重新登录。"))
	}
	return &s, nil
}

// TouchStaffSession updates last_seen_at and expires_at.
func (tx *Tx) TouchStaffSession(ctx context.Context, id string, expires time.Time) error {
	if _, err := tx.exec(ctx, `UPDATE staff_sessions SET last_seen_at = ?, expires_at = ? WHERE id = ?`, tx.now, expires, id); err != nil {
		return fmt.Errorf("sqldb: touch staff session: %w", err)
	}
	return nil
}

// DeleteStaffSession removes a session (logout).
func (tx *Tx) DeleteStaffSession(ctx context.Context, id string) error {
	if _, err := tx.exec(ctx, `DELETE FROM staff_sessions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("sqldb: delete staff session: %w", err)
	}
	return nil
}

// DeleteExpiredStaffSessions removes sessions expired before now.
func (tx *Tx) DeleteExpiredStaffSessions(ctx context.Context, now time.Time) (int64, error) {
	res, err := tx.exec(ctx, `DELETE FROM staff_sessions WHERE expires_at <= ?`, now)
	if err != nil {
		return 0, fmt.Errorf("sqldb: delete expired staff sessions: %w", err)
	}
	return res.RowsAffected()
}
