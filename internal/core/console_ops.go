package core

import (
	"context"
	"encoding/json"
	"errors"
	"regexp"
	"strings"

	"xiaoxiang"
	"xiaoxiang/internal/auth"
	"xiaoxiang/internal/sqldb"
)

// platform is the resource of platform-level actions (operators only).
var platform = auth.Resource{}

func (a *Actor) operator(act auth.Action) error {
	if a == nil || a.Staff == nil {
		return xiaoxiang.Errorf(xiaoxiang.EUNAUTHORIZED, "请先登录。")
	}
	if a.P.Role != auth.RoleOperator || !a.P.Can(act, platform) {
		return errForbidden
	}
	return nil
}

// Schools lists every school (operators).
func (c *Console) Schools(ctx context.Context, a *Actor) ([]*xiaoxiang.School, error) {
	if err := a.operator(auth.ActionManageSchools); err != nil {
		return nil, err
	}
	var out []*xiaoxiang.School
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		out, err = tx.FindSchools(ctx)
		return err
	})
	return out, err
}

// School returns one school the actor may see.
func (c *Console) SchoolByID(ctx context.Context, a *Actor, id int64) (*xiaoxiang.School, error) {
	if err := a.schoolFor(id, auth.ActionView); err != nil {
		return nil, err
	}
	var s *xiaoxiang.School
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		s, err = tx.FindSchoolByID(ctx, id)
		return err
	})
	return s, err
}

var (
	schoolCodeRE  = regexp.MustCompile(`^\d{5}$`)
	schoolIdentRE = regexp.MustCompile(`^\d{10}$`)
	pinyinRE      = regexp.MustCompile(`^[a-z]*$`)
)

// SaveSchool creates (ID 0) or updates a school (operators).
func (c *Console) SaveSchool(ctx context.Context, a *Actor, s *xiaoxiang.School) error {
	if err := a.operator(auth.ActionManageSchools); err != nil {
		return err
	}
	s.Name, s.Code, s.Ident = strings.TrimSpace(s.Name), strings.TrimSpace(s.Code), strings.TrimSpace(s.Ident)
	s.Pinyin, s.Initials = strings.ToLower(strings.TrimSpace(s.Pinyin)), strings.ToLower(strings.TrimSpace(s.Initials))
	switch {
	case s.Name == "":
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "请填写学校名称。")
	case !schoolCodeRE.MatchString(s.Code):
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "院校代码应为5位数字，例如 10542。")
	case s.Ident != "" && !schoolIdentRE.MatchString(s.Ident):
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "学校标识码应为10位数字。")
	case !pinyinRE.MatchString(s.Pinyin) || !pinyinRE.MatchString(s.Initials):
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "拼音和拼音首字母只能包含英文字母。")
	}
	return c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		action := "school_create"
		var err error
		if s.ID == 0 {
			err = tx.CreateSchool(ctx, s)
		} else {
			action = "school_update"
			old, ferr := tx.FindSchoolByID(ctx, s.ID)
			if ferr != nil {
				return ferr
			}
			s.CreatedAt = old.CreatedAt
			err = tx.UpdateSchool(ctx, s)
		}
		if err != nil {
			if strings.Contains(err.Error(), "UNIQUE") || strings.Contains(err.Error(), "23505") {
				return xiaoxiang.WrapError(xiaoxiang.ECONFLICT, "该院校代码已存在。", err)
			}
			return err
		}
		return c.audit(ctx, tx, a, action, obj("school", s.ID), s.ID, 0, "")
	})
}

// StaffList lists staff accounts: all for operators, the school's own for
// a school admin allowed to manage staff.
func (c *Console) StaffList(ctx context.Context, a *Actor, schoolID int64) ([]*xiaoxiang.Staff, error) {
	if a.P.Role != auth.RoleOperator {
		if err := a.schoolFor(a.P.SchoolID, auth.ActionManageStaff); err != nil {
			return nil, err
		}
		schoolID = a.P.SchoolID
	}
	var out []*xiaoxiang.Staff
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		out, err = tx.FindStaff(ctx, sqldb.StaffFilter{SchoolID: schoolID})
		return err
	})
	return out, err
}

// StaffInput is the staff account form.
type StaffInput struct {
	ID          int64 // 0 = new
	Username    string
	DisplayName string
	Password    string // required for new accounts; "" keeps the old one
	Role        xiaoxiang.Role
	SchoolID    int64
	Colleges    []string
	Disabled    bool
	ResetTOTP   bool
}

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,31}$`)

// SaveStaff creates or updates a staff account. Operators manage every
// account; a school admin only reviewers and admins of their own school.
func (c *Console) SaveStaff(ctx context.Context, a *Actor, in StaffInput) (*xiaoxiang.Staff, error) {
	in.Username = strings.ToLower(strings.TrimSpace(in.Username))
	in.DisplayName = strings.TrimSpace(in.DisplayName)
	var cleaned []string
	for _, col := range in.Colleges {
		if col = strings.TrimSpace(col); col != "" {
			cleaned = append(cleaned, col)
		}
	}
	in.Colleges = cleaned
	if a.P.Role != auth.RoleOperator {
		if err := a.schoolFor(a.P.SchoolID, auth.ActionManageStaff); err != nil {
			return nil, err
		}
		if in.Role == xiaoxiang.RoleOperator || in.SchoolID != a.P.SchoolID {
			return nil, errForbidden
		}
	}
	p := auth.Principal{Role: auth.Role(in.Role), SchoolID: in.SchoolID, Colleges: in.Colleges}
	if err := p.Validate(); err != nil {
		switch in.Role {
		case xiaoxiang.RoleSchoolAdmin:
			return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "学校管理员必须选择所属学校。")
		case xiaoxiang.RoleOperator:
			return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "平台运营账号不能属于某个学校或学院。")
		case xiaoxiang.RoleReviewer:
			return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "审核员不能限定学院，只能属于一个学校或全平台。")
		}
		return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "请选择角色。")
	}
	if in.ID == 0 && !usernameRE.MatchString(in.Username) {
		return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "用户名为3–32位小写字母、数字、点、下划线或短横线。")
	}
	var hash string
	if in.Password != "" || in.ID == 0 {
		if err := auth.CheckPasswordPolicy(in.Password); err != nil {
			var pe *auth.PolicyError
			if errors.As(err, &pe) {
				return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "%s。", pe.Message())
			}
			return nil, err
		}
		var err error
		if hash, err = auth.HashPassword(in.Password); err != nil {
			return nil, err
		}
	}
	var st *xiaoxiang.Staff
	err := c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		if in.SchoolID != 0 {
			if _, err := tx.FindSchoolByID(ctx, in.SchoolID); err != nil {
				return xiaoxiang.Errorf(xiaoxiang.EINVALID, "所选学校不存在。")
			}
		}
		action := "staff_create"
		if in.ID == 0 {
			st = &xiaoxiang.Staff{Username: in.Username, DisplayName: in.DisplayName, PasswordHash: hash, Role: in.Role,
				SchoolID: in.SchoolID, Colleges: in.Colleges, Disabled: in.Disabled}
			if err := tx.CreateStaff(ctx, st); err != nil {
				return err
			}
		} else {
			action = "staff_update"
			var err error
			if st, err = tx.FindStaffByID(ctx, in.ID); err != nil {
				return err
			}
			if a.P.Role != auth.RoleOperator && (st.SchoolID != a.P.SchoolID || st.Role == xiaoxiang.RoleOperator) {
				return notVisible("账号")
			}
			st.DisplayName, st.Role, st.SchoolID, st.Colleges, st.Disabled = in.DisplayName, in.Role, in.SchoolID, in.Colleges, in.Disabled
			if hash != "" {
				st.PasswordHash = hash
			}
			if in.ResetTOTP {
				st.TOTPSecret = ""
			}
			if err := tx.UpdateStaff(ctx, st); err != nil {
				return err
			}
			if st.Disabled || hash != "" {
				if err := tx.DeleteStaffSessionsOf(ctx, st.ID); err != nil {
					return err
				}
			}
		}
		detail := "role=" + string(st.Role)
		if st.Disabled {
			detail += " disabled"
		}
		return c.audit(ctx, tx, a, action, obj("staff", st.ID), st.SchoolID, 0, detail)
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// SaveSpecProfile stores a spec profile (operators). Spec must be a JSON
// object or empty (the pipeline's built-in profile of the same id).
func (c *Console) SaveSpecProfile(ctx context.Context, a *Actor, p *xiaoxiang.SpecProfile) error {
	if err := a.operator(auth.ActionManageSettings); err != nil {
		return err
	}
	p.ID, p.Name, p.Spec = strings.TrimSpace(p.ID), strings.TrimSpace(p.Name), strings.TrimSpace(p.Spec)
	if !regexp.MustCompile(`^[a-z0-9-]{2,40}$`).MatchString(p.ID) {
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "规格编号为2–40位小写字母、数字或短横线。")
	}
	if p.Name == "" {
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "请填写规格名称。")
	}
	if p.Spec != "" {
		var m map[string]any
		if err := json.Unmarshal([]byte(p.Spec), &m); err != nil {
			return xiaoxiang.Errorf(xiaoxiang.EINVALID, "规格内容必须是JSON对象：%s。", clip(err.Error(), 80))
		}
	}
	return c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		if err := tx.PutSpecProfile(ctx, p); err != nil {
			return err
		}
		return c.audit(ctx, tx, a, "spec_profile_save", "spec:"+p.ID, 0, 0, "")
	})
}

// RejectReasons lists every rejection reason for the settings page.
func (c *Console) RejectReasons(ctx context.Context, a *Actor) ([]sqldb.RejectReasonRow, error) {
	if err := a.operator(auth.ActionManageSettings); err != nil {
		return nil, err
	}
	var out []sqldb.RejectReasonRow
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		out, err = tx.FindAllRejectReasons(ctx)
		return err
	})
	return out, err
}

// SaveRejectReason adds or changes one rejection reason (operators).
func (c *Console) SaveRejectReason(ctx context.Context, a *Actor, r sqldb.RejectReasonRow) error {
	if err := a.operator(auth.ActionManageSettings); err != nil {
		return err
	}
	r.Code, r.Label, r.Message = strings.TrimSpace(r.Code), strings.TrimSpace(r.Label), strings.TrimSpace(r.Message)
	if !regexp.MustCompile(`^[a-z0-9_]{2,30}$`).MatchString(r.Code) || r.Label == "" || r.Message == "" {
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "请填写原因编号（小写字母、数字、下划线）、名称和给学生的说明。")
	}
	return c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		if err := tx.PutRejectReason(ctx, r.RejectReason, r.Position, r.Active); err != nil {
			return err
		}
		return c.audit(ctx, tx, a, "reject_reason_save", "reason:"+r.Code, 0, 0, "")
	})
}

// AuditQuery is the audit search form.
type AuditQuery struct {
	SchoolID int64
	ActorID  int64
	Action   string
	BeforeID int64
	Limit    int
}

// AuditLog searches the audit log: operators see everything, a school
// admin only their school's entries.
func (c *Console) AuditLog(ctx context.Context, a *Actor, q AuditQuery) ([]*xiaoxiang.AuditEntry, error) {
	if a.P.Role != auth.RoleOperator {
		if err := a.schoolFor(a.P.SchoolID, auth.ActionViewAudit); err != nil {
			return nil, err
		}
		q.SchoolID = a.P.SchoolID
	}
	var out []*xiaoxiang.AuditEntry
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		out, err = tx.FindAuditEntries(ctx, sqldb.AuditFilter{SchoolID: q.SchoolID, ActorID: q.ActorID, Action: strings.TrimSpace(q.Action),
			BeforeID: q.BeforeID, Limit: q.Limit})
		return err
	})
	return out, err
}
