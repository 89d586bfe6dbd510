package sqldb

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"xiaoxiang"
)

const schoolColumns = `s.id, s.name, s.code, s.ident, s.pinyin, s.initials, s.support_phone, s.support_hours, s.support_qq, s.created_at`

func scanSchool(r scanner) (*xiaoxiang.School, error) {
	var s xiaoxiang.School
	err := r.Scan(&s.ID, &s.Name, &s.Code, &s.Ident, &s.Pinyin, &s.Initials, &s.SupportPhone, &s.SupportHours, &s.SupportQQ, tm(&s.CreatedAt))
	return &s, err
}

// CreateSchool inserts s and sets its ID and CreatedAt.
func (tx *Tx) CreateSchool(ctx context.Context, s *xiaoxiang.School) error {
	s.CreatedAt = tx.now
	err := tx.queryRow(ctx, `INSERT INTO schools (name, code, ident, pinyin, initials, support_phone, support_hours, support_qq, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.Name, s.Code, s.Ident, strings.ToLower(s.Pinyin), strings.ToLower(s.Initials), s.SupportPhone, s.SupportHours, s.SupportQQ, s.CreatedAt).Scan(&s.ID)
	if err != nil {
		return fmt.Errorf("sqldb: create school: %w", err)
	}
	return nil
}

// UpdateSchool writes every field of s.
func (tx *Tx) UpdateSchool(ctx context.Context, s *xiaoxiang.School) error {
	_, err := tx.exec(ctx, `UPDATE schools SET name = ?, code = ?, ident = ?, pinyin = ?, initials = ?, support_phone = ?, support_hours = ?, support_qq = ? WHERE id = ?`,
		s.Name, s.Code, s.Ident, strings.ToLower(s.Pinyin), strings.ToLower(s.Initials), s.SupportPhone, s.SupportHours, s.SupportQQ, s.ID)
	if err != nil {
		return fmt.Errorf("sqldb: update school %d: %w", s.ID, err)
	}
	return nil
}

// FindSchoolByID returns one school.
func (tx *Tx) FindSchoolByID(ctx context.Context, id int64) (*xiaoxiang.School, error) {
	s, err := scanSchool(tx.queryRow(ctx, `SELECT `+schoolColumns+` FROM schools s WHERE s.id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find school %d: %w", id, notFound(err, "学校不存在。"))
	}
	return s, nil
}

// FindSchools lists every school by name.
func (tx *Tx) FindSchools(ctx context.Context) ([]*xiaoxiang.School, error) {
	out, err := list(ctx, tx, scanSchool, `SELECT `+schoolColumns+` FROM schools s ORDER BY s.name, s.id`)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find schools: %w", err)
	}
	return out, nil
}

// escapeLike escapes LIKE wildcards; queries use ESCAPE '\'.
func escapeLike(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s)
}

// SearchOpenSchools finds schools that have a task open at now, matching q
// (already trimmed, non-empty) as a 5-digit code, as name characters in
// order (湖南师大 finds 湖南师范大学), or as a substring of the pinyin or
// initials. Exact code matches come first, then name-prefix matches.
func (tx *Tx) SearchOpenSchools(ctx context.Context, q string, now time.Time, limit int) ([]*xiaoxiang.School, error) {
	lower := strings.ToLower(q)
	var fuzzy strings.Builder
	fuzzy.WriteString("%")
	for _, r := range q {
		if unicode.IsSpace(r) {
			continue
		}
		fuzzy.WriteString(escapeLike(string(r)))
		fuzzy.WriteString("%")
	}
	sub := "%" + escapeLike(strings.ReplaceAll(lower, " ", "")) + "%"
	out, err := list(ctx, tx, scanSchool, `SELECT `+schoolColumns+` FROM schools s
		WHERE (s.code = ? OR s.name LIKE ? ESCAPE '\' OR s.pinyin LIKE ? ESCAPE '\' OR s.initials LIKE ? ESCAPE '\')
		  AND EXISTS (SELECT 1 FROM tasks t WHERE t.school_id = s.id AND t.status = 'open' AND t.opens_at <= ? AND t.closes_at > ?)
		ORDER BY CASE WHEN s.code = ? THEN 0 WHEN s.name LIKE ? ESCAPE '\' THEN 1 ELSE 2 END, LENGTH(s.name), s.id
		LIMIT ?`,
		q, fuzzy.String(), sub, sub, now, now, q, escapeLike(q)+"%", limit)
	if err != nil {
		return nil, fmt.Errorf("sqldb: search schools: %w", err)
	}
	return out, nil
}

// PutSpecProfile inserts or replaces a spec profile.
func (tx *Tx) PutSpecProfile(ctx context.Context, p *xiaoxiang.SpecProfile) error {
	p.UpdatedAt = tx.now
	if p.CreatedAt.IsZero() {
		p.CreatedAt = tx.now
	}
	_, err := tx.exec(ctx, `INSERT INTO spec_profiles (id, name, spec, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name, spec = excluded.spec, updated_at = excluded.updated_at`,
		p.ID, p.Name, p.Spec, p.CreatedAt, p.UpdatedAt)
	if err != nil {
		return fmt.Errorf("sqldb: put spec profile %s: %w", p.ID, err)
	}
	return nil
}

func scanProfile(r scanner) (*xiaoxiang.SpecProfile, error) {
	var p xiaoxiang.SpecProfile
	err := r.Scan(&p.ID, &p.Name, &p.Spec, tm(&p.CreatedAt), tm(&p.UpdatedAt))
	return &p, err
}

// FindSpecProfile returns one spec profile.
func (tx *Tx) FindSpecProfile(ctx context.Context, id string) (*xiaoxiang.SpecProfile, error) {
	p, err := scanProfile(tx.queryRow(ctx, `SELECT id, name, spec, created_at, updated_at FROM spec_profiles WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("sqldb: find spec profile %s: %w", id, notFound(err, "照片规格不存在。"))
	}
	return p, nil
}

// FindSpecProfiles lists every spec profile.
func (tx *Tx) FindSpecProfiles(ctx context.Context) ([]*xiaoxiang.SpecProfile, error) {
	out, err := list(ctx, tx, scanProfile, `SELECT id, name, spec, created_at, updated_at FROM spec_profiles ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("sqldb: find spec profiles: %w", err)
	}
	return out, nil
}
