package core

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/auth"
	"xiaoxiang/internal/identity"
	"xiaoxiang/internal/roster"
	"xiaoxiang/internal/sqldb"
)

// taskFor loads a task and checks the actor may take act on it (another
// school's task reads as not found).
func (c *Console) taskFor(ctx context.Context, tx *sqldb.Tx, a *Actor, taskID int64, act auth.Action) (*xiaoxiang.Task, error) {
	t, err := tx.FindTaskByID(ctx, taskID)
	if err != nil {
		if xiaoxiang.ErrorCode(err) == xiaoxiang.ENOTFOUND {
			return nil, notVisible("采集任务")
		}
		return nil, err
	}
	if err := a.can(act, auth.Resource{SchoolID: t.SchoolID}, "采集任务"); err != nil {
		return nil, err
	}
	return t, nil
}

// schoolFor checks the actor may take act on the school.
func (a *Actor) schoolFor(schoolID int64, act auth.Action) error {
	return a.can(act, auth.Resource{SchoolID: schoolID}, "学校")
}

// MySchool returns the actor's school (school admins and school reviewers).
func (c *Console) MySchool(ctx context.Context, a *Actor) (*xiaoxiang.School, error) {
	if a.P.SchoolID == 0 {
		return nil, xiaoxiang.Errorf(xiaoxiang.EFORBIDDEN, "平台账号不属于任何学校，请在运营后台选择学校。")
	}
	var s *xiaoxiang.School
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		s, err = tx.FindSchoolByID(ctx, a.P.SchoolID)
		return err
	})
	return s, err
}

// Tasks lists a school's tasks.
func (c *Console) Tasks(ctx context.Context, a *Actor, schoolID int64) ([]*xiaoxiang.Task, error) {
	if err := a.schoolFor(schoolID, auth.ActionView); err != nil {
		return nil, err
	}
	var out []*xiaoxiang.Task
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		out, err = tx.FindTasksBySchool(ctx, schoolID)
		return err
	})
	return out, err
}

// Task returns one task the actor may see.
func (c *Console) Task(ctx context.Context, a *Actor, taskID int64) (*xiaoxiang.Task, error) {
	var t *xiaoxiang.Task
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		t, err = c.taskFor(ctx, tx, a, taskID, auth.ActionView)
		return err
	})
	return t, err
}

// SaveTask creates (ID 0) or updates a task with every setting; the
// settings are validated by Task.Validate and the change is audited.
func (c *Console) SaveTask(ctx context.Context, a *Actor, t *xiaoxiang.Task) error {
	if err := a.can(auth.ActionManageTask, auth.Resource{SchoolID: t.SchoolID}, "学校"); err != nil {
		return err
	}
	return c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.FindSpecProfile(ctx, t.ProfileID); err != nil && t.ProfileID != "" {
			return xiaoxiang.Errorf(xiaoxiang.EINVALID, "请选择有效的照片规格。")
		}
		action := "task_create"
		if t.ID == 0 {
			if err := tx.CreateTask(ctx, t); err != nil {
				return err
			}
		} else {
			old, err := c.taskFor(ctx, tx, a, t.ID, auth.ActionManageTask)
			if err != nil {
				return err
			}
			if old.SchoolID != t.SchoolID {
				return notVisible("采集任务")
			}
			action = "task_update"
			if err := tx.UpdateTask(ctx, t); err != nil {
				return err
			}
		}
		return c.audit(ctx, tx, a, action, obj("task", t.ID), t.SchoolID, 0, "status="+string(t.Status))
	})
}

// SetTaskStatus opens, closes or drafts a task.
func (c *Console) SetTaskStatus(ctx context.Context, a *Actor, taskID int64, st xiaoxiang.TaskStatus) error {
	if st != xiaoxiang.TaskOpen && st != xiaoxiang.TaskClosed && st != xiaoxiang.TaskDraft {
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "任务状态无效。")
	}
	return c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		t, err := c.taskFor(ctx, tx, a, taskID, auth.ActionManageTask)
		if err != nil {
			return err
		}
		t.Status = st
		if err := tx.UpdateTask(ctx, t); err != nil {
			return err
		}
		return c.audit(ctx, tx, a, "task_status", obj("task", t.ID), t.SchoolID, 0, "status="+string(st))
	})
}

// ImportReport is the result of a roster import.
type ImportReport struct {
	Parsed   *roster.Result
	Created  int
	Updated  int
	Duration time.Duration
}

// ImportRoster parses an XLSX or CSV roster (internal/roster) and upserts
// its valid rows into the task's roster: a row whose document number (by
// blind index) or student number is already on the roster updates that
// entry, any other row creates one. Rows with errors are left out and
// listed in the report. The whole import is one transaction.
func (c *Console) ImportRoster(ctx context.Context, a *Actor, taskID int64, file io.Reader) (*ImportReport, error) {
	start := time.Now()
	var t *xiaoxiang.Task
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		t, err = c.taskFor(ctx, tx, a, taskID, auth.ActionView)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !a.P.Can(auth.ActionManageRoster, auth.Resource{SchoolID: t.SchoolID, College: firstCollege(a)}) {
		return nil, errForbidden
	}
	res, err := roster.Parse(file, roster.Options{RequireDocNumber: t.LinkMode == xiaoxiang.LinkByDocument || t.ExportKey == xiaoxiang.ExportByDocument,
		RequireStudentNo: t.LinkMode == xiaoxiang.LinkByStudentNo || t.ExportKey == xiaoxiang.ExportByStudentNo, Now: c.now()})
	if err != nil {
		var fe *roster.FileError
		if errors.As(err, &fe) {
			return nil, xiaoxiang.WrapError(xiaoxiang.EINVALID, fe.Message(), err)
		}
		return nil, err
	}
	rep := &ImportReport{Parsed: res}
	// Seal outside the transaction (CPU work), then write in one go.
	type sealed struct {
		row roster.Row
		doc SealedDocument
	}
	rows := make([]sealed, 0, len(res.Rows))
	for _, r := range res.Rows {
		if len(a.P.Colleges) > 0 && !containsStr(a.P.Colleges, r.College) {
			res.Issues = append(res.Issues, roster.Issue{Line: r.Line, Field: roster.FieldCollege, Severity: roster.SevError,
				Message: "该学院不在您的管理范围内"})
			continue
		}
		s := sealed{row: r}
		if r.DocNumber != "" {
			if s.doc, err = c.sealDocument(r.DocKind, r.DocNumber); err != nil {
				res.Issues = append(res.Issues, roster.Issue{Line: r.Line, Field: roster.FieldDocNumber, Severity: roster.SevError,
					Message: xiaoxiang.ErrorMessage(err)})
				continue
			}
		}
		rows = append(rows, s)
	}
	err = c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		rep.Created, rep.Updated = 0, 0
		keys, err := tx.FindRosterKeys(ctx, t.ID)
		if err != nil {
			return err
		}
		for _, s := range rows {
			e := &xiaoxiang.RosterEntry{SchoolID: t.SchoolID, TaskID: t.ID, Name: s.row.Name, DocKind: string(s.doc.Kind),
				DocCipher: s.doc.Cipher, DocIndex: s.doc.Index, DocLast4: s.doc.Last4, StudentNo: s.row.StudentNo, ExamNo: s.row.ExamNo,
				College: s.row.College, Major: s.row.Major, Class: s.row.Class, Grade: s.row.Grade, Gender: string(s.row.Sex),
				Source: xiaoxiang.RosterImported}
			id := int64(0)
			if e.DocIndex != "" {
				id = keys.ByDocIndex[e.DocIndex]
			}
			if id == 0 && e.StudentNo != "" {
				id = keys.ByStudentNo[e.StudentNo]
			}
			if id != 0 {
				e.ID = id
				if err := tx.UpdateRosterEntry(ctx, e); err != nil {
					return err
				}
				rep.Updated++
				continue
			}
			if err := tx.CreateRosterEntry(ctx, e); err != nil {
				return err
			}
			if e.DocIndex != "" {
				keys.ByDocIndex[e.DocIndex] = e.ID
			}
			if e.StudentNo != "" {
				keys.ByStudentNo[e.StudentNo] = e.ID
			}
			rep.Created++
		}
		return c.audit(ctx, tx, a, "roster_import", obj("task", t.ID), t.SchoolID, rep.Created+rep.Updated,
			fmt.Sprintf("created=%d updated=%d error_rows=%d", rep.Created, rep.Updated, res.ErrorRows()))
	})
	if err != nil {
		return nil, err
	}
	rep.Duration = time.Since(start)
	return rep, nil
}

func firstCollege(a *Actor) string {
	if len(a.P.Colleges) > 0 {
		return a.P.Colleges[0]
	}
	return ""
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// RosterTemplate returns the downloadable XLSX template.
func (c *Console) RosterTemplate() ([]byte, error) { return roster.Template() }

// ManualEntries lists the task's manual entries awaiting approval.
func (c *Console) ManualEntries(ctx context.Context, a *Actor, taskID int64) ([]EntryView, error) {
	var out []EntryView
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		t, err := c.taskFor(ctx, tx, a, taskID, auth.ActionView)
		if err != nil {
			return err
		}
		es, err := tx.FindPendingManualEntries(ctx, t.ID)
		if err != nil {
			return err
		}
		for _, e := range es {
			if a.P.Can(auth.ActionApproveManual, auth.Resource{SchoolID: e.SchoolID, College: e.College}) {
				out = append(out, entryView(e))
			}
		}
		return nil
	})
	return out, err
}

// DecideManualEntry approves or rejects a student's manual entry; the
// student's pending binding becomes linked (or rejected) and the student is
// notified in the same transaction.
func (c *Console) DecideManualEntry(ctx context.Context, a *Actor, entryID int64, approve bool, note string) error {
	note = strings.TrimSpace(note)
	if !approve && note == "" {
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "请填写不通过的原因，学生会看到这条说明。")
	}
	return c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		e, err := tx.FindRosterEntryByID(ctx, entryID)
		if err != nil {
			if xiaoxiang.ErrorCode(err) == xiaoxiang.ENOTFOUND {
				return notVisible("人工录入记录")
			}
			return err
		}
		if err := a.can(auth.ActionApproveManual, auth.Resource{SchoolID: e.SchoolID, College: e.College}, "人工录入记录"); err != nil {
			return err
		}
		if e.Source != xiaoxiang.RosterManual || e.Manual != xiaoxiang.ManualPending {
			return xiaoxiang.Errorf(xiaoxiang.ECONFLICT, "该记录已处理。")
		}
		st, bst, title := xiaoxiang.ManualApproved, xiaoxiang.BindingLinked, "人工录入已通过"
		if !approve {
			st, bst, title = xiaoxiang.ManualRejected, xiaoxiang.BindingRejected, "人工录入未通过"
		}
		if err := tx.SetManualStatus(ctx, e.ID, st, note); err != nil {
			return err
		}
		b, err := tx.FindActiveBindingByEntry(ctx, e.ID)
		if err == nil {
			if _, err := tx.SetBindingStatus(ctx, b.ID, xiaoxiang.BindingPending, bst); err != nil {
				return err
			}
			body := "学校已确认您的信息，请继续完成缴费和拍照。"
			if !approve {
				body = "学校未通过您的人工录入：" + note
			}
			if err := Notify(ctx, tx, &xiaoxiang.Notification{AccountID: b.AccountID, Kind: NotifyManualEntry, Title: title, Body: body,
				Link: fmt.Sprintf("/my/%d", b.ID)}); err != nil {
				return err
			}
		} else if xiaoxiang.ErrorCode(err) != xiaoxiang.ENOTFOUND {
			return err
		}
		return c.audit(ctx, tx, a, "manual_"+string(st), obj("roster", e.ID), e.SchoolID, 1, "")
	})
}

// ProgressView is the dashboard of one task.
type ProgressView struct {
	Task    *xiaoxiang.Task
	GroupBy string
	College string
	Major   string
	Groups  []*sqldb.ProgressGroup
	Total   sqldb.ProgressGroup
}

// Progress counts the task's roster by stage grouped by college (or, with
// a college given, by major or class), within the actor's college scope.
func (c *Console) Progress(ctx context.Context, a *Actor, taskID int64, groupBy, college, major string) (*ProgressView, error) {
	v := &ProgressView{GroupBy: groupBy, College: college, Major: major}
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		if v.Task, err = c.taskFor(ctx, tx, a, taskID, auth.ActionView); err != nil {
			return err
		}
		v.Groups, err = tx.FindProgressGroups(ctx, sqldb.ProgressFilter{TaskID: taskID, Colleges: a.P.Colleges, GroupBy: groupBy, College: college, Major: major})
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, g := range v.Groups {
		v.Total.Roster += g.Roster
		v.Total.Linked += g.Linked
		v.Total.Paid += g.Paid
		v.Total.Submitted += g.Submitted
		v.Total.Pending += g.Pending
		v.Total.Approved += g.Approved
		v.Total.Rejected += g.Rejected
		v.Total.Delivered += g.Delivered
	}
	return v, nil
}

// StudentQuery is the drill-down filter.
type StudentQuery struct {
	College, Major, Class, Stage string
	Limit, Offset                int
}

// Students lists the task's students with their stage (document numbers
// masked), within the actor's college scope.
func (c *Console) Students(ctx context.Context, a *Actor, taskID int64, q StudentQuery) ([]*sqldb.StudentRow, int, error) {
	var out []*sqldb.StudentRow
	var total int
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		if _, err := c.taskFor(ctx, tx, a, taskID, auth.ActionView); err != nil {
			return err
		}
		var err error
		out, total, err = tx.FindStudents(ctx, sqldb.StudentFilter{ProgressFilter: sqldb.ProgressFilter{TaskID: taskID, Colleges: a.P.Colleges,
			College: q.College, Major: q.Major}, Class: q.Class, Stage: q.Stage, Limit: q.Limit, Offset: q.Offset})
		return err
	})
	return out, total, err
}

// ExportStudentsCSV writes the drill-down list as CSV (UTF-8 with BOM, ID
// numbers masked) and audits the export with its row count.
func (c *Console) ExportStudentsCSV(ctx context.Context, a *Actor, taskID int64, q StudentQuery, w io.Writer) (int, error) {
	q.Limit = -1
	rows, _, err := c.Students(ctx, a, taskID, q)
	if err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	cw := csv.NewWriter(&buf)
	cw.Write([]string{"姓名", "证件号(后4位)", "学号", "学院", "专业", "班级", "进度", "审核时间"})
	for _, r := range rows {
		cw.Write([]string{csvSafe(r.Name), "****" + r.DocLast4, csvSafe(r.StudentNo), csvSafe(r.College), csvSafe(r.Major), csvSafe(r.Class),
			r.Stage(), xiaoxiang.FormatShanghai(r.ReviewedAt)})
	}
	cw.Flush()
	var schoolID int64
	err = c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		t, err := tx.FindTaskByID(ctx, taskID)
		if err != nil {
			return err
		}
		schoolID = t.SchoolID
		return c.audit(ctx, tx, a, "export_progress", obj("task", taskID), schoolID, len(rows),
			fmt.Sprintf("college=%q class=%q stage=%q", q.College, q.Class, q.Stage))
	})
	if err != nil {
		return 0, err
	}
	_, err = w.Write(buf.Bytes())
	return len(rows), err
}

// csvSafe defuses spreadsheet formulas in exported text.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// RevealDocument returns a roster entry's full document number for staff
// allowed to see it; every reveal is audited (who, when, which entry).
func (c *Console) RevealDocument(ctx context.Context, a *Actor, entryID int64) (string, error) {
	var e *xiaoxiang.RosterEntry
	err := c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		var err error
		e, err = tx.FindRosterEntryByID(ctx, entryID)
		if err != nil {
			if xiaoxiang.ErrorCode(err) == xiaoxiang.ENOTFOUND {
				return notVisible("名单记录")
			}
			return err
		}
		if err := a.can(auth.ActionRevealDocument, auth.Resource{SchoolID: e.SchoolID, College: e.College}, "名单记录"); err != nil {
			return err
		}
		return c.audit(ctx, tx, a, "reveal_document", obj("roster", e.ID), e.SchoolID, 1, "")
	})
	if err != nil {
		return "", err
	}
	n, err := c.openDocument(e)
	if err != nil {
		return "", err
	}
	if n == "" {
		return "", xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "该记录没有证件号。")
	}
	return n, nil
}

// SupportInput is the school's support contacts.
type SupportInput struct {
	Phone, Hours, QQ string
}

// SaveSupport updates the school's support contacts shown to students.
func (c *Console) SaveSupport(ctx context.Context, a *Actor, schoolID int64, in SupportInput) error {
	if err := a.schoolFor(schoolID, auth.ActionManageTask); err != nil {
		return err
	}
	if len(in.Phone) > 40 || len(in.Hours) > 100 || len(in.QQ) > 40 {
		return xiaoxiang.Errorf(xiaoxiang.EINVALID, "联系方式太长。")
	}
	return c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		s, err := tx.FindSchoolByID(ctx, schoolID)
		if err != nil {
			return err
		}
		s.SupportPhone, s.SupportHours, s.SupportQQ = strings.TrimSpace(in.Phone), strings.TrimSpace(in.Hours), strings.TrimSpace(in.QQ)
		if err := tx.UpdateSchool(ctx, s); err != nil {
			return err
		}
		return c.audit(ctx, tx, a, "school_support", obj("school", s.ID), s.ID, 0, "")
	})
}

// SpecProfiles lists the spec profiles (for the task form).
func (c *Console) SpecProfiles(ctx context.Context) ([]*xiaoxiang.SpecProfile, error) {
	var out []*xiaoxiang.SpecProfile
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		out, err = tx.FindSpecProfiles(ctx)
		return err
	})
	return out, err
}

// Colleges lists the colleges on the task's roster the actor may see.
func (c *Console) Colleges(ctx context.Context, a *Actor, taskID int64) ([]string, error) {
	var out []string
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		if _, err := c.taskFor(ctx, tx, a, taskID, auth.ActionView); err != nil {
			return err
		}
		all, err := tx.FindDistinctColleges(ctx, taskID)
		for _, x := range all {
			if len(a.P.Colleges) == 0 || containsStr(a.P.Colleges, x) {
				out = append(out, x)
			}
		}
		return err
	})
	return out, err
}

// PhotoImportReport is the result of a roster-photo zip import.
type PhotoImportReport struct {
	Matched   int
	Unmatched []string // file names whose key is on no roster entry (masked)
	Skipped   []roster.Skipped
}

// ImportRosterPhotos reads a zip of roster photos named {ID number}.jpg or
// {学号}.jpg (internal/roster.OpenPhotoZip) and attaches each one to the
// task's roster entry with that document number (by blind index) or
// student number, for the same-person check and the reviewer's side-by-side
// view. Photos are stored one at a time.
func (c *Console) ImportRosterPhotos(ctx context.Context, a *Actor, taskID int64, r io.ReaderAt, size int64) (*PhotoImportReport, error) {
	var t *xiaoxiang.Task
	var keys *sqldb.RosterKeys
	err := c.s.db.View(ctx, func(tx *sqldb.Tx) error {
		var err error
		if t, err = c.taskFor(ctx, tx, a, taskID, auth.ActionView); err != nil {
			return err
		}
		keys, err = tx.FindRosterKeys(ctx, t.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !a.P.Can(auth.ActionManageRoster, auth.Resource{SchoolID: t.SchoolID, College: firstCollege(a)}) || len(a.P.Colleges) > 0 {
		return nil, errForbidden
	}
	z, err := roster.OpenPhotoZip(r, size, roster.PhotoLimits{})
	if err != nil {
		var fe *roster.FileError
		if errors.As(err, &fe) {
			return nil, xiaoxiang.WrapError(xiaoxiang.EINVALID, fe.Message()+"。", err)
		}
		return nil, err
	}
	rep := &PhotoImportReport{}
	matched := map[int64]string{}
	for ph, err := range z.Photos() {
		if err != nil {
			var fe *roster.FileError
			if errors.As(err, &fe) {
				return nil, xiaoxiang.WrapError(xiaoxiang.EINVALID, fe.Message()+"。", err)
			}
			return nil, err
		}
		id := keys.ByStudentNo[ph.Key]
		if id == 0 {
			for _, k := range identity.Kinds() {
				if id = keys.ByDocIndex[c.s.keys.BlindIndex(k, ph.Key)]; id != 0 {
					break
				}
			}
		}
		if id == 0 {
			rep.Unmatched = append(rep.Unmatched, identity.Mask(ph.Key))
			continue
		}
		ext := ".jpg"
		if ph.Format == "png" {
			ext = ".png"
		}
		key := fmt.Sprintf("roster-photos/%d/%d%s", t.ID, id, ext)
		if err := c.s.bucket.Put(ctx, key, bytes.NewReader(ph.Data)); err != nil {
			return nil, err
		}
		matched[id] = key
	}
	rep.Skipped = z.Skipped()
	err = c.s.db.InTx(ctx, func(tx *sqldb.Tx) error {
		for id, key := range matched {
			if err := tx.SetRosterPhoto(ctx, id, key); err != nil {
				return err
			}
		}
		return c.audit(ctx, tx, a, "roster_photos_import", obj("task", t.ID), t.SchoolID, len(matched),
			fmt.Sprintf("unmatched=%d skipped=%d", len(rep.Unmatched), len(rep.Skipped)))
	})
	if err != nil {
		return nil, err
	}
	rep.Matched = len(matched)
	return rep, nil
}
