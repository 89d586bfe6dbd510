package core

import (
	"context"
	"strings"
	"unicode/utf8"

	"xiaoxiang"
	"xiaoxiang/internal/sqldb"
)

// SearchSchools finds schools with at least one open task by a name keyword
// (fuzzy: the characters in order, so 湖南师大 finds 湖南师范大学), full
// pinyin, pinyin initials or the 5-digit 院校代码. limit <= 0 means 20.
func (s *Service) SearchSchools(ctx context.Context, query string, limit int) ([]*xiaoxiang.School, error) {
	q := strings.TrimSpace(query)
	switch {
	case q == "":
		return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "请输入学校名称关键字或5位院校代码。")
	case utf8.RuneCountInString(q) > 40:
		return nil, xiaoxiang.Errorf(xiaoxiang.EINVALID, "搜索内容过长，请输入学校名称关键字或5位院校代码。")
	}
	if limit <= 0 || limit > 50 {
		limit = 20
	}
	var out []*xiaoxiang.School
	err := s.db.View(ctx, func(tx *sqldb.Tx) (err error) {
		out, err = tx.SearchOpenSchools(ctx, q, s.now(), limit)
		return err
	})
	return out, err
}

// School returns one school.
func (s *Service) School(ctx context.Context, schoolID int64) (*xiaoxiang.School, error) {
	var out *xiaoxiang.School
	err := s.db.View(ctx, func(tx *sqldb.Tx) (err error) {
		out, err = tx.FindSchoolByID(ctx, schoolID)
		return err
	})
	return out, err
}

// CategoryTasks is one education category of a school with its open tasks.
type CategoryTasks struct {
	Category xiaoxiang.Category
	Label    string
	Tasks    []*xiaoxiang.Task
}

// SchoolTasks returns the school's open tasks grouped by category, in
// display order; categories without open tasks are left out.
func (s *Service) SchoolTasks(ctx context.Context, schoolID int64) ([]CategoryTasks, error) {
	var tasks []*xiaoxiang.Task
	err := s.db.View(ctx, func(tx *sqldb.Tx) error {
		if _, err := tx.FindSchoolByID(ctx, schoolID); err != nil {
			return err
		}
		var err error
		tasks, err = tx.FindOpenTasks(ctx, schoolID, s.now())
		return err
	})
	if err != nil {
		return nil, err
	}
	var out []CategoryTasks
	for _, c := range xiaoxiang.Categories {
		ct := CategoryTasks{Category: c, Label: c.Label()}
		for _, t := range tasks {
			if t.Category == c {
				ct.Tasks = append(ct.Tasks, t)
			}
		}
		if len(ct.Tasks) > 0 {
			out = append(out, ct)
		}
	}
	return out, nil
}

// Task returns one task as students may see it (draft tasks are not found).
func (s *Service) Task(ctx context.Context, taskID int64) (*xiaoxiang.Task, error) {
	var t *xiaoxiang.Task
	err := s.db.View(ctx, func(tx *sqldb.Tx) (err error) {
		t, err = visibleTask(ctx, tx, taskID)
		return err
	})
	return t, err
}

func visibleTask(ctx context.Context, tx *sqldb.Tx, taskID int64) (*xiaoxiang.Task, error) {
	t, err := tx.FindTaskByID(ctx, taskID)
	if err != nil {
		return nil, err
	}
	if t.Status == xiaoxiang.TaskDraft {
		return nil, xiaoxiang.Errorf(xiaoxiang.ENOTFOUND, "采集任务不存在。")
	}
	return t, nil
}

// MyTask is one entry of 我的任务: a binding with its task and progress.
type MyTask struct {
	Binding    *xiaoxiang.Binding
	Task       *xiaoxiang.Task
	School     *xiaoxiang.School
	Name       string                // the roster name
	Paid       bool                  // true also for free tasks
	Submission *xiaoxiang.Submission // nil before the first submit
	// Progress is the student-facing stage label: 待支付, 待拍摄, 已上传,
	// 待审核, 已完成, 未通过, 已交付, 待学校审核 (manual entry), 人工录入未通过, 已解绑.
	Progress string
}

// MyTasks lists every binding of the account (active first, newest first).
func (s *Service) MyTasks(ctx context.Context, accountID int64) ([]MyTask, error) {
	var out []MyTask
	err := s.db.View(ctx, func(tx *sqldb.Tx) error {
		if _, err := liveAccount(ctx, tx, accountID); err != nil {
			return err
		}
		var err error
		out, err = myTasks(ctx, tx, accountID)
		return err
	})
	return out, err
}

func myTasks(ctx context.Context, tx *sqldb.Tx, accountID int64) ([]MyTask, error) {
	bs, err := tx.FindBindingsByAccount(ctx, accountID)
	if err != nil {
		return nil, err
	}
	out := make([]MyTask, 0, len(bs))
	schools := map[int64]*xiaoxiang.School{}
	for _, b := range bs {
		mt := MyTask{Binding: b}
		if mt.Task, err = tx.FindTaskByID(ctx, b.TaskID); err != nil {
			return nil, err
		}
		if mt.School = schools[b.SchoolID]; mt.School == nil {
			if mt.School, err = tx.FindSchoolByID(ctx, b.SchoolID); err != nil {
				return nil, err
			}
			schools[b.SchoolID] = mt.School
		}
		e, err := tx.FindRosterEntryByID(ctx, b.RosterEntryID)
		if err != nil {
			return nil, err
		}
		mt.Name = e.Name
		if mt.Paid, _, err = isPaid(ctx, tx, mt.Task, e.ID); err != nil {
			return nil, err
		}
		sub, err := tx.FindSubmissionByEntry(ctx, e.ID, false)
		switch {
		case err == nil:
			mt.Submission = &sub.Submission
		case xiaoxiang.ErrorCode(err) != xiaoxiang.ENOTFOUND:
			return nil, err
		}
		mt.Progress = progressLabel(b, mt.Paid, mt.Submission)
		out = append(out, mt)
	}
	return out, nil
}

func progressLabel(b *xiaoxiang.Binding, paid bool, sub *xiaoxiang.Submission) string {
	switch {
	case b.Status == xiaoxiang.BindingPending:
		return "待学校审核"
	case b.Status == xiaoxiang.BindingRejected:
		return "人工录入未通过"
	case b.Status == xiaoxiang.BindingUnbound:
		return "已解绑"
	case sub != nil:
		return sub.Status.Label()
	case !paid:
		return "待支付"
	}
	return "待拍摄"
}
