package auth

import "testing"

func TestCanTenantIsolation(t *testing.T) {
	op := Principal{Role: RoleOperator}
	admin := Principal{Role: RoleSchoolAdmin, SchoolID: 1}
	collegeAdmin := Principal{Role: RoleSchoolAdmin, SchoolID: 1, Colleges: []string{"文学院"}}
	rev := Principal{Role: RoleReviewer, SchoolID: 1}
	platformRev := Principal{Role: RoleReviewer}
	s1 := Resource{SchoolID: 1}
	s1lit := Resource{SchoolID: 1, College: "文学院"}
	s1sci := Resource{SchoolID: 1, College: "理学院"}
	s2 := Resource{SchoolID: 2}
	s2lit := Resource{SchoolID: 2, College: "文学院"}
	platform := Resource{}
	cases := []struct {
		name string
		p    Principal
		a    Action
		r    Resource
		want bool
	}{
		{"operator any school", op, ActionExport, s2, true},
		{"operator platform", op, ActionManageSettings, platform, true},
		{"admin own school export", admin, ActionExport, s1, true},
		{"admin own school reveal", admin, ActionRevealDocument, s1sci, true},
		{"admin other school", admin, ActionView, s2, false},
		{"admin other school same college name", admin, ActionExport, s2lit, false},
		{"admin platform settings", admin, ActionManageSettings, s1, false},
		{"admin manage schools", admin, ActionManageSchools, platform, false},
		{"admin platform resource", admin, ActionView, platform, false},
		{"admin staff own school", admin, ActionManageStaff, s1, true},
		{"college admin own college", collegeAdmin, ActionExport, s1lit, true},
		{"college admin other college", collegeAdmin, ActionExport, s1sci, false},
		{"college admin view task", collegeAdmin, ActionView, s1, true},
		{"college admin export whole school", collegeAdmin, ActionExport, s1, false},
		{"college admin manage task", collegeAdmin, ActionManageTask, s1lit, false},
		{"college admin refund", collegeAdmin, ActionRefund, s1lit, false},
		{"college admin other school", collegeAdmin, ActionView, s2lit, false},
		{"reviewer review own", rev, ActionReview, s1sci, true},
		{"reviewer export", rev, ActionExport, s1, false},
		{"reviewer other school", rev, ActionReview, s2, false},
		{"platform reviewer any school", platformRev, ActionReview, s2, true},
		{"platform reviewer no roster", platformRev, ActionManageRoster, s2, false},
		{"platform reviewer platform", platformRev, ActionView, platform, false},
		{"unknown role", Principal{Role: "root"}, ActionView, s1, false},
		{"admin without school", Principal{Role: RoleSchoolAdmin}, ActionView, platform, false},
		{"operator with school is invalid", Principal{Role: RoleOperator, SchoolID: 1}, ActionView, s1, false},
		{"empty action", op, "", s1, false},
		{"unknown action admin", admin, Action("drop_tables"), s1, false},
	}
	for _, c := range cases {
		if got := c.p.Can(c.a, c.r); got != c.want {
			t.Errorf("%s: Can = %v want %v", c.name, got, c.want)
		}
	}
}

func TestListScope(t *testing.T) {
	if s := (Principal{Role: RoleOperator}).ListScope(); !s.AllSchools {
		t.Error("operator not all schools")
	}
	if s := (Principal{Role: RoleReviewer}).ListScope(); !s.AllSchools {
		t.Error("platform reviewer not all schools")
	}
	s := (Principal{Role: RoleSchoolAdmin, SchoolID: 7, Colleges: []string{"a"}}).ListScope()
	if s.AllSchools || s.SchoolID != 7 || len(s.Colleges) != 1 {
		t.Errorf("admin scope %+v", s)
	}
	if s := (Principal{Role: "x"}).ListScope(); s.AllSchools || s.SchoolID != -1 {
		t.Errorf("invalid scope %+v", s)
	}
}
