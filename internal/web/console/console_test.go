package console_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/web/console/consoletest"
)

func TestLoginLogoutAndCSRF(t *testing.T) {
	env := consoletest.New(t)
	srv := env.Server()
	sch := env.School("湖南师范大学")
	adm := env.Staff(xiaoxiang.RoleSchoolAdmin, sch.ID)

	anon := consoletest.NewClient(t, srv)
	st, _, loc := anon.Get("/school")
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/staff/login?next=") {
		t.Fatalf("anonymous /school: %d %s", st, loc)
	}
	// A login post without the page's token is refused.
	st, body, _ := anon.Post("/staff/login", url.Values{"username": {adm.Staff.Username}, "password": {consoletest.Password}})
	if st != http.StatusForbidden || !strings.Contains(body, "登录页面已过期") {
		t.Fatalf("login without token: %d", st)
	}
	// Wrong password: a clear Chinese sentence.
	_, page, _ := anon.Get("/staff/login")
	tok := strings.SplitN(strings.SplitN(page, `name="token" value="`, 2)[1], `"`, 2)[0]
	st, body, _ = anon.Post("/staff/login", url.Values{"token": {tok}, "username": {adm.Staff.Username}, "password": {"wrong-pass-1"}})
	if st != http.StatusUnauthorized || !strings.Contains(body, "用户名或密码错误。") {
		t.Fatalf("wrong password: %d", st)
	}

	c := consoletest.NewClient(t, srv).Login(adm.Staff.Username)
	st, body, _ = c.Get("/school")
	if st != http.StatusOK || !strings.Contains(body, "湖南师范大学") {
		t.Fatalf("/school: %d", st)
	}
	// A POST with a wrong CSRF token is refused.
	good := c.CSRF
	c.CSRF = "forged"
	st, body, _ = c.Post("/school/support", url.Values{"csrf": {"forged"}, "phone": {"123"}})
	if st != http.StatusForbidden || !strings.Contains(body, "页面已过期") {
		t.Fatalf("forged csrf: %d", st)
	}
	c.CSRF = good
	if st, _, _ := c.Post("/school/support", url.Values{"phone": {"0731-1234"}}); st != http.StatusSeeOther {
		t.Fatalf("support with csrf: %d", st)
	}
	// A school admin cannot open the operator console.
	if st, body, _ := c.Get("/ops"); st != http.StatusForbidden || !strings.Contains(body, "不能使用此功能") {
		t.Fatalf("/ops as school admin: %d", st)
	}
	// Logout ends the session server-side.
	if st, _, _ := c.Post("/staff/logout", nil); st != http.StatusSeeOther {
		t.Fatalf("logout: %d", st)
	}
	if st, _, _ := c.Get("/school"); st != http.StatusSeeOther {
		t.Fatalf("after logout: %d", st)
	}
}

// TestRouteScopes calls every console route as every kind of user: the
// owner school's admin may, another school's admin and reviewer get not
// found/forbidden for school A's data, anonymous users are sent to login.
func TestRouteScopes(t *testing.T) {
	env := consoletest.New(t)
	srv := env.Server()
	a := env.School("甲大学")
	b := env.School("乙大学")
	task := env.Task(a.ID, xiaoxiang.LinkByDocument)
	st := env.Student(task, "丁白云", "文学院", "1班")
	sub := env.Submit(st, "pass")
	admA := env.Staff(xiaoxiang.RoleSchoolAdmin, a.ID)
	admB := env.Staff(xiaoxiang.RoleSchoolAdmin, b.ID)
	revB := env.Staff(xiaoxiang.RoleReviewer, b.ID)
	op := env.Staff(xiaoxiang.RoleOperator, 0)
	pkg, err := env.Console.CreatePackage(context.Background(), admA, task.ID, core.PackageFilter{})
	if err != nil {
		t.Fatal(err)
	}

	type route struct {
		method, path string
		form         url.Values
	}
	id := func(n int64) string { return fmt.Sprint(n) }
	schoolRoutes := []route{
		{"GET", "/school/tasks/" + id(task.ID), nil},
		{"GET", "/school/tasks/" + id(task.ID) + "/edit", nil},
		{"POST", "/school/tasks/" + id(task.ID), url.Values{"title": {"x"}}},
		{"POST", "/school/tasks/" + id(task.ID) + "/status", url.Values{"status": {"closed"}}},
		{"GET", "/school/tasks/" + id(task.ID) + "/roster", nil},
		{"POST", "/school/tasks/" + id(task.ID) + "/roster", nil},
		{"POST", "/school/tasks/" + id(task.ID) + "/photos", nil},
		{"GET", "/school/tasks/" + id(task.ID) + "/students", nil},
		{"GET", "/school/tasks/" + id(task.ID) + "/students.csv", nil},
		{"POST", "/school/roster/" + id(st.Entry.ID) + "/reveal", nil},
		{"GET", "/school/tasks/" + id(task.ID) + "/manual", nil},
		{"POST", "/school/manual/" + id(st.Entry.ID), url.Values{"decision": {"approve"}}},
		{"GET", "/school/tasks/" + id(task.ID) + "/export", nil},
		{"POST", "/school/tasks/" + id(task.ID) + "/export", nil},
		{"GET", "/school/packages/" + id(pkg.ID), nil},
		{"POST", "/school/packages/" + id(pkg.ID) + "/delivered", nil},
		{"POST", "/school/roster/" + id(st.Entry.ID) + "/refund", url.Values{"reason": {"重复缴费"}}},
	}
	reviewRoutes := []route{
		{"GET", "/review/" + id(sub.ID), nil},
		{"POST", "/review/" + id(sub.ID) + "/approve", nil},
		{"POST", "/review/" + id(sub.ID) + "/reject", url.Values{"reason": {"blurry"}}},
		{"POST", "/review/" + id(sub.ID) + "/claim", nil},
		{"GET", "/review/" + id(sub.ID) + "/photo/standardized", nil},
		{"POST", "/review/" + id(sub.ID) + "/reveal", nil},
	}
	opsRoutes := []route{
		{"GET", "/ops", nil}, {"GET", "/ops/schools/new", nil}, {"POST", "/ops/schools", url.Values{"name": {"x"}, "code": {"99999"}}},
		{"GET", "/ops/schools/" + id(a.ID), nil}, {"POST", "/ops/schools/" + id(a.ID), url.Values{"name": {"x"}}},
		{"GET", "/ops/staff", nil}, {"GET", "/ops/staff/new", nil}, {"POST", "/ops/staff", nil},
		{"GET", "/ops/staff/" + id(admA.Staff.ID), nil}, {"POST", "/ops/staff/" + id(admA.Staff.ID), nil},
		{"GET", "/ops/specs", nil}, {"POST", "/ops/specs", nil}, {"GET", "/ops/settings", nil},
		{"POST", "/ops/settings/reasons", nil}, {"GET", "/ops/audit", nil},
		{"GET", "/ops/refunds", nil}, {"POST", "/ops/refunds/1", url.Values{"decision": {"approve"}}},
	}
	call := func(c *consoletest.Client, r route) (int, string) {
		if r.method == "GET" {
			s, body, _ := c.Get(r.path)
			return s, body
		}
		s, body, _ := c.Post(r.path, r.form)
		return s, body
	}
	denied := func(s int) bool { return s == http.StatusNotFound || s == http.StatusForbidden }

	anon := consoletest.NewClient(t, srv)
	for _, r := range append(append(append([]route{}, schoolRoutes...), reviewRoutes...), opsRoutes...) {
		s, _ := call(anon, r)
		if (r.method == "GET" && s != http.StatusSeeOther) || (r.method == "POST" && s != http.StatusUnauthorized) {
			t.Errorf("anonymous %s %s: %d", r.method, r.path, s)
		}
	}
	otherAdmin := consoletest.NewClient(t, srv).Login(admB.Staff.Username)
	otherReviewer := consoletest.NewClient(t, srv).Login(revB.Staff.Username)
	for _, r := range schoolRoutes {
		if s, body := call(otherAdmin, r); !denied(s) || strings.Contains(body, st.Entry.Name) {
			t.Errorf("school B admin %s %s: %d", r.method, r.path, s)
		}
		if s, _ := call(otherReviewer, r); s != http.StatusForbidden {
			t.Errorf("reviewer %s %s: %d", r.method, r.path, s)
		}
	}
	for _, r := range reviewRoutes {
		for _, c := range []*consoletest.Client{otherAdmin, otherReviewer} {
			if s, body := call(c, r); !denied(s) || strings.Contains(body, st.Entry.Name) {
				t.Errorf("school B %s %s: %d", r.method, r.path, s)
			}
		}
	}
	for _, r := range opsRoutes {
		for _, c := range []*consoletest.Client{otherAdmin, otherReviewer} {
			if s, _ := call(c, r); s != http.StatusForbidden {
				t.Errorf("non-operator %s %s: %d", r.method, r.path, s)
			}
		}
	}
	// Queues and lists never show school A's student to school B.
	for _, c := range []*consoletest.Client{otherAdmin, otherReviewer} {
		for _, p := range []string{"/review", "/school", "/review/stats"} {
			if _, body, _ := c.Get(p); strings.Contains(body, st.Entry.Name) {
				t.Errorf("%s shows school A's student to school B", p)
			}
		}
	}
	// The owners can.
	own := consoletest.NewClient(t, srv).Login(admA.Staff.Username)
	for _, p := range []string{"/school/tasks/" + id(task.ID), "/school/tasks/" + id(task.ID) + "/students", "/review/" + id(sub.ID)} {
		if s, _, _ := own.Get(p); s != http.StatusOK {
			t.Errorf("owner GET %s: %d", p, s)
		}
	}
	if st2, body, _ := own.Post("/review/"+id(sub.ID)+"/reveal", nil); st2 != http.StatusOK || !strings.Contains(body, st.Doc) {
		t.Errorf("owner reveal: %d", st2)
	}
	if n := len(env.Audit("reveal_document")); n != 1 {
		t.Errorf("reveals audited: %d, want 1", n)
	}
	opc := consoletest.NewClient(t, srv).Login(op.Staff.Username)
	for _, r := range opsRoutes {
		if r.method != "GET" {
			continue
		}
		if s, _ := call(opc, r); s != http.StatusOK {
			t.Errorf("operator %s: %d", r.path, s)
		}
	}
}
