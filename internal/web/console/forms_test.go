package console_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"xiaoxiang"
	"xiaoxiang/internal/sqldb"
	"xiaoxiang/internal/web/console/consoletest"
)

func TestSchoolTaskForm(t *testing.T) {
	env := consoletest.New(t)
	srv := env.Server()
	sch := env.School("湖南师范大学")
	adm := env.Staff(xiaoxiang.RoleSchoolAdmin, sch.ID)
	c := consoletest.NewClient(t, srv).Login(adm.Staff.Username)
	form := url.Values{"title": {"2026年学位照片采集"}, "category": {"graduate"}, "grade": {"2026届"},
		"opens_at": {"2026-03-01T08:00"}, "closes_at": {"2026-03-31T18:00"}, "fee": {"15"},
		"link_mode": {"student_no"}, "export_key": {"student_no"}, "profile": {"chsi-white"},
		"daily_limit": {"3"}, "resubmissions": {"2"}, "replacements": {"1"},
		"allow_manual": {"1"}, "same_person": {"1"}, "notice": {"请穿深色上衣"}}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("closes_at", "2026-02-01T08:00")
	st, body, _ := c.Post("/school/tasks", bad)
	if st != http.StatusBadRequest || !strings.Contains(body, "截止时间必须晚于开始时间。") {
		t.Fatalf("bad window: %d", st)
	}
	st, _, loc := c.Post("/school/tasks", form)
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/school/tasks/") {
		t.Fatalf("create: %d %s", st, loc)
	}
	var tasks []*xiaoxiang.Task
	env.DB.View(context.Background(), func(tx *sqldb.Tx) error {
		tasks, _ = tx.FindTasksBySchool(context.Background(), sch.ID)
		return nil
	})
	if len(tasks) != 1 {
		t.Fatalf("tasks = %d", len(tasks))
	}
	tk := tasks[0]
	if tk.FeeFen != 1500 || tk.Category != xiaoxiang.CategoryGraduate || tk.LinkMode != xiaoxiang.LinkByStudentNo || tk.ProfileID != "chsi-white" ||
		!tk.AllowManualEntry || tk.AllowAlbum || !tk.SamePersonCheck || tk.Notice != "请穿深色上衣" || tk.Status != xiaoxiang.TaskDraft ||
		tk.OpensAt.Hour() != 0 { // 08:00 Asia/Shanghai is 00:00 UTC
		t.Fatalf("task = %+v", tk)
	}
	if st, _, _ := c.Post(loc+"/status", url.Values{"status": {"open"}}); st != http.StatusSeeOther {
		t.Fatalf("open: %d", st)
	}
	if st, body, _ := c.Get(loc + "/edit"); st != http.StatusOK || !strings.Contains(body, `value="2026-03-01T08:00"`) {
		t.Fatalf("edit form: %d", st)
	}
	if st, body, _ := c.Get("/school"); st != http.StatusOK || !strings.Contains(body, "2026年学位照片采集") {
		t.Fatalf("home: %d", st)
	}
}

func TestOpsStaffAccounts(t *testing.T) {
	env := consoletest.New(t)
	srv := env.Server()
	sch := env.School("湖南师范大学")
	op := env.Staff(xiaoxiang.RoleOperator, 0)
	c := consoletest.NewClient(t, srv).Login(op.Staff.Username)
	st, body, _ := c.Post("/ops/staff", url.Values{"username": {"wenxue-admin"}, "display_name": {"文学院管理员"}, "password": {"short"},
		"role": {"school_admin"}, "school": {"0"}})
	if st != http.StatusBadRequest || !strings.Contains(body, "学校管理员必须选择所属学校。") {
		t.Fatalf("no school: %d", st)
	}
	st, body, _ = c.Post("/ops/staff", url.Values{"username": {"wenxue-admin"}, "display_name": {"文学院管理员"}, "password": {"short"},
		"role": {"school_admin"}, "school": {itoa(sch.ID)}, "colleges": {"文学院"}})
	if st != http.StatusBadRequest || !strings.Contains(body, "密码") {
		t.Fatalf("weak password: %d", st)
	}
	st, _, _ = c.Post("/ops/staff", url.Values{"username": {"wenxue-admin"}, "display_name": {"文学院管理员"}, "password": {"wenxue-pass-2026"},
		"role": {"school_admin"}, "school": {itoa(sch.ID)}, "colleges": {"文学院\n"}})
	if st != http.StatusSeeOther {
		t.Fatalf("create: %d", st)
	}
	var created *xiaoxiang.Staff
	env.DB.View(context.Background(), func(tx *sqldb.Tx) error {
		created, _ = tx.FindStaffByUsername(context.Background(), "wenxue-admin")
		return nil
	})
	if created == nil || created.SchoolID != sch.ID || len(created.Colleges) != 1 || created.Colleges[0] != "文学院" {
		t.Fatalf("created = %+v", created)
	}
	// The new admin logs in; disabling the account ends the session at once.
	u := consoletest.NewClient(t, srv).LoginWith("wenxue-admin", "wenxue-pass-2026")
	if st, _, _ := u.Get("/school"); st != http.StatusOK {
		t.Fatalf("new admin: %d", st)
	}
	st, _, _ = c.Post("/ops/staff/"+itoa(created.ID), url.Values{"display_name": {"文学院管理员"}, "role": {"school_admin"},
		"school": {itoa(sch.ID)}, "colleges": {"文学院"}, "disabled": {"1"}})
	if st != http.StatusSeeOther {
		t.Fatalf("disable: %d", st)
	}
	if st, _, _ := u.Get("/school"); st != http.StatusSeeOther {
		t.Fatalf("disabled admin still in: %d", st)
	}
	// Schools: a bad code is refused with a sentence; a good one is created and audited.
	if st, body, _ := c.Post("/ops/schools", url.Values{"name": {"长沙学院"}, "code": {"123"}}); st != http.StatusBadRequest || !strings.Contains(body, "院校代码应为5位数字") {
		t.Fatalf("bad code: %d", st)
	}
	if st, _, _ := c.Post("/ops/schools", url.Values{"name": {"长沙学院"}, "code": {"11077"}, "pinyin": {"changshaxueyuan"}}); st != http.StatusSeeOther {
		t.Fatalf("create school: %d", st)
	}
	if st, body, _ := c.Get("/ops/audit?action=school_create"); st != http.StatusOK || !strings.Contains(body, "新增学校") {
		t.Fatalf("audit: %d", st)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
