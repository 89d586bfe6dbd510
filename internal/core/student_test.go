package core_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/sqldb"
)

func TestLogin(t *testing.T) {
	e := newEnv(t)
	a := must(e.svc.Login(e.ctx, core.LoginInput{OpenID: "o-mini-1", Nickname: "小明"}))(t)
	again := must(e.svc.Login(e.ctx, core.LoginInput{OpenID: "o-mini-1"}))(t)
	if again.ID != a.ID || again.Nickname != "小明" {
		t.Fatalf("second login = %+v, want account %d keeping its nickname", again, a.ID)
	}
	t.Run("joins by unionid", func(t *testing.T) {
		m := must(e.svc.Login(e.ctx, core.LoginInput{OpenID: "o-mini-2", UnionID: "u-2"}))(t)
		h5 := must(e.svc.Login(e.ctx, core.LoginInput{OpenID: "o-h5-2", UnionID: "u-2"}))(t)
		if h5.ID != m.ID || h5.OpenID != "o-h5-2" {
			t.Fatalf("H5 login = %+v, want account %d with the new openid", h5, m.ID)
		}
	})
	t.Run("refuses an empty openid", func(t *testing.T) {
		_, err := e.svc.Login(e.ctx, core.LoginInput{OpenID: "  "})
		wantCode(t, "Login", err, xiaoxiang.EINVALID)
	})
	t.Run("unknown account is not signed in", func(t *testing.T) {
		_, err := e.svc.Account(e.ctx, 9999)
		wantCode(t, "Account", err, xiaoxiang.EUNAUTHORIZED)
	})
}

func TestConsents(t *testing.T) {
	e := newEnv(t)
	a := must(e.svc.Login(e.ctx, core.LoginInput{OpenID: "o-1"}))(t)
	st := must(e.svc.Consents(e.ctx, a.ID))(t)
	if st.Identity || st.Photo || st.Version != xiaoxiang.PrivacyNoticeVersion {
		t.Fatalf("fresh consents = %+v", st)
	}
	e.addStudent(e.task, "丁白云", idDing, "")
	_, err := e.svc.Link(e.ctx, a.ID, e.task.ID, core.LinkInput{Name: "丁白云", DocNumber: idDing})
	wantCode(t, "Link without consent", err, xiaoxiang.EFORBIDDEN)
	for i := 0; i < 2; i++ {
		if err := e.svc.GiveConsent(e.ctx, a.ID, xiaoxiang.ConsentIdentity); err != nil {
			t.Fatal(err)
		}
	}
	st = must(e.svc.Consents(e.ctx, a.ID))(t)
	if !st.Identity || st.Photo {
		t.Fatalf("consents = %+v, want identity only", st)
	}
	wantCode(t, "GiveConsent(bogus)", e.svc.GiveConsent(e.ctx, a.ID, "bogus"), xiaoxiang.EINVALID)
}

func TestSearchSchoolsAndTasks(t *testing.T) {
	e := newEnv(t)
	e.createTask(func(t *xiaoxiang.Task) {
		t.Category = xiaoxiang.CategoryGraduate
		t.Title = "2026年研究生学位图像采集"
	})
	draft := e.createTask(func(t *xiaoxiang.Task) { t.Status = xiaoxiang.TaskDraft; t.Title = "草稿任务" })
	closedSchool := e.createSchool("湖南大学", "10532", "hunandaxue", "hndx")
	_ = closedSchool
	for _, q := range []string{"10542", "湖南师", "师大", "hunanshifan", "hnsfdx"} {
		got := must(e.svc.SearchSchools(e.ctx, q, 0))(t)
		if len(got) != 1 || got[0].ID != e.school.ID {
			t.Errorf("SearchSchools(%q) = %d schools, want 湖南师范大学 only", q, len(got))
		}
	}
	if got := must(e.svc.SearchSchools(e.ctx, "10532", 0))(t); len(got) != 0 {
		t.Errorf("a school without open tasks was found")
	}
	_, err := e.svc.SearchSchools(e.ctx, " ", 0)
	wantCode(t, "empty search", err, xiaoxiang.EINVALID)

	cats := must(e.svc.SchoolTasks(e.ctx, e.school.ID))(t)
	if len(cats) != 2 || cats[0].Category != xiaoxiang.CategoryGraduate || cats[1].Label != "成人教育" || len(cats[1].Tasks) != 1 {
		t.Fatalf("SchoolTasks = %+v, want 研究生 then 成人教育 with one task each", cats)
	}
	_, err = e.svc.Task(e.ctx, draft.ID)
	wantCode(t, "draft task", err, xiaoxiang.ENOTFOUND)
}

func TestLink(t *testing.T) {
	e := newEnv(t, core.Options{LinkFailuresPerDay: 4})
	e.addStudent(e.task, "丁白云", idDing, "")
	a := e.student("o-ding")

	t.Run("refuses a bad check digit with the identity message", func(t *testing.T) {
		bad := idDing[:17] + map[bool]string{true: "1", false: "2"}[idDing[17] != '1']
		_, err := e.svc.Link(e.ctx, a.ID, e.task.ID, core.LinkInput{Name: "丁白云", DocNumber: bad})
		wantCode(t, "Link(bad check digit)", err, xiaoxiang.EINVALID)
		if !strings.Contains(xiaoxiang.ErrorMessage(err), "校验") {
			t.Errorf("message %q does not mention the check character", xiaoxiang.ErrorMessage(err))
		}
	})
	t.Run("answers a wrong name generically, offering manual entry", func(t *testing.T) {
		_, err := e.svc.Link(e.ctx, a.ID, e.task.ID, core.LinkInput{Name: "丁白", DocNumber: idDing})
		wantCode(t, "Link(wrong name)", err, xiaoxiang.ENOTFOUND)
		_, err2 := e.svc.Link(e.ctx, a.ID, e.task.ID, core.LinkInput{Name: "丁白云", DocNumber: idWang})
		if xiaoxiang.ErrorMessage(err) != xiaoxiang.ErrorMessage(err2) {
			t.Errorf("wrong name and unknown number answer differently:\n%s\n%s", xiaoxiang.ErrorMessage(err), xiaoxiang.ErrorMessage(err2))
		}
		if !strings.Contains(xiaoxiang.ErrorMessage(err), "人工录入") || !strings.Contains(xiaoxiang.ErrorMessage(err), "学籍部门") {
			t.Errorf("not-found message lacks the seed's guidance: %s", xiaoxiang.ErrorMessage(err))
		}
	})
	var b *xiaoxiang.Binding
	t.Run("links with name and number (full-width, lower-case x, spaces)", func(t *testing.T) {
		in := " " + strings.ReplaceAll(idDing, "X", "x") + " "
		b = must(e.svc.Link(e.ctx, a.ID, e.task.ID, core.LinkInput{Name: " 丁白云 ", DocNumber: in}))(t)
		if b.Status != xiaoxiang.BindingLinked {
			t.Fatalf("binding status %s", b.Status)
		}
		again := must(e.svc.Link(e.ctx, a.ID, e.task.ID, core.LinkInput{Name: "丁白云", DocNumber: idDing}))(t)
		if again.ID != b.ID {
			t.Fatalf("linking again made binding %d, want %d", again.ID, b.ID)
		}
	})
	t.Run("refuses a second WeChat account with the 解绑 guidance", func(t *testing.T) {
		other := e.student("o-other")
		_, err := e.svc.Link(e.ctx, other.ID, e.task.ID, core.LinkInput{Name: "丁白云", DocNumber: idDing})
		wantCode(t, "Link(other account)", err, xiaoxiang.ECONFLICT)
		if !strings.Contains(xiaoxiang.ErrorMessage(err), "解绑") {
			t.Errorf("message %q lacks 解绑", xiaoxiang.ErrorMessage(err))
		}
		wantCode(t, "Unbind(someone else's)", e.svc.Unbind(e.ctx, other.ID, b.ID), xiaoxiang.ENOTFOUND)
		if err := e.svc.Unbind(e.ctx, a.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		wantCode(t, "Unbind twice", e.svc.Unbind(e.ctx, a.ID, b.ID), xiaoxiang.ECONFLICT)
		nb := must(e.svc.Link(e.ctx, other.ID, e.task.ID, core.LinkInput{Name: "丁白云", DocNumber: idDing}))(t)
		if nb.AccountID != other.ID {
			t.Fatal("the other account was not linked after 解绑")
		}
	})
	t.Run("limits failed lookups per day", func(t *testing.T) {
		c := e.student("o-prober")
		var err error
		for i := 0; i < 4; i++ {
			_, err = e.svc.Link(e.ctx, c.ID, e.task.ID, core.LinkInput{Name: "某人", DocNumber: idLi})
			wantCode(t, "probe", err, xiaoxiang.ENOTFOUND)
		}
		_, err = e.svc.Link(e.ctx, c.ID, e.task.ID, core.LinkInput{Name: "丁白云", DocNumber: idDing})
		wantCode(t, "Link over the limit", err, xiaoxiang.ETOOMANY)
		e.clock.Add(24 * time.Hour)
		_, err = e.svc.Link(e.ctx, c.ID, e.task.ID, core.LinkInput{Name: "某人", DocNumber: idLi})
		wantCode(t, "Link the next day", err, xiaoxiang.ENOTFOUND)
	})
	t.Run("refuses a closed task", func(t *testing.T) {
		e.clock.Add(90 * 24 * time.Hour)
		defer e.clock.Set(start)
		_, err := e.svc.Link(e.ctx, a.ID, e.task.ID, core.LinkInput{Name: "丁白云", DocNumber: idDing})
		wantCode(t, "Link(closed)", err, xiaoxiang.ECLOSED)
	})
}

func TestLinkByStudentNumber(t *testing.T) {
	e := newEnv(t)
	task := e.createTask(func(t *xiaoxiang.Task) { t.LinkMode = xiaoxiang.LinkByStudentNo; t.FeeFen = 0 })
	e.addStudent(task, "王小明", "", "2021001234")
	e.addStudent(task, "李华", "", "2021001235")
	a := e.student("o-wang")
	_, err := e.svc.Link(e.ctx, a.ID, task.ID, core.LinkInput{Name: "王小明", StudentNo: "2021001235"})
	wantCode(t, "Link(name of another student)", err, xiaoxiang.ENOTFOUND)
	b := must(e.svc.Link(e.ctx, a.ID, task.ID, core.LinkInput{Name: "王小明", StudentNo: "２０２１００１２３４"}))(t)
	// The account cannot hold a second student of the same task.
	_, err = e.svc.Link(e.ctx, a.ID, task.ID, core.LinkInput{Name: "李华", StudentNo: "2021001235"})
	wantCode(t, "Link(second student)", err, xiaoxiang.ECONFLICT)
	st := must(e.svc.Status(e.ctx, a.ID, b.ID))(t)
	if !st.Paid || st.Next != "shoot" || st.StudentNo != "2021001234" {
		t.Fatalf("free task status: paid=%v next=%s no=%s", st.Paid, st.Next, st.StudentNo)
	}
}

// TestNoClearDocumentNumbers: the roster stores only sealed numbers, a
// blind index and the last four characters.
func TestNoClearDocumentNumbers(t *testing.T) {
	e := newEnv(t)
	e.linked("o-ding", "丁白云", idDing)
	e.tx(func(tx *sqldb.Tx) error {
		rows, err := tx.Query(e.ctx, `SELECT name, doc_kind, doc_cipher, doc_index, doc_last4 FROM roster_entries`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var cols [5]string
			if err := rows.Scan(&cols[0], &cols[1], &cols[2], &cols[3], &cols[4]); err != nil {
				return err
			}
			for _, c := range cols {
				if strings.Contains(c, idDing[:14]) {
					t.Errorf("roster column holds the clear number")
				}
			}
			if cols[4] != idDing[14:] {
				t.Errorf("doc_last4 = %q", cols[4])
			}
		}
		return rows.Err()
	})
	var entry *xiaoxiang.RosterEntry
	e.tx(func(tx *sqldb.Tx) (err error) { entry, err = tx.FindRosterEntryByID(e.ctx, 1); return err })
	if n := must(e.svc.OpenDocument(entry))(t); n != idDing {
		t.Fatal("OpenDocument does not give the number back")
	}
}

func TestManualEntry(t *testing.T) {
	e := newEnv(t)
	noManual := e.createTask(func(t *xiaoxiang.Task) { t.AllowManualEntry = false; t.Title = "不允许人工录入" })
	a := e.student("o-manual")
	_, err := e.svc.SubmitManualEntry(e.ctx, a.ID, noManual.ID, core.ManualEntryInput{Name: "李华", DocNumber: idLi})
	wantCode(t, "manual entry not allowed", err, xiaoxiang.EFORBIDDEN)
	_, err = e.svc.SubmitManualEntry(e.ctx, a.ID, e.task.ID, core.ManualEntryInput{Name: "李华", DocNumber: "123"})
	wantCode(t, "manual entry bad number", err, xiaoxiang.EINVALID)

	b := must(e.svc.SubmitManualEntry(e.ctx, a.ID, e.task.ID, core.ManualEntryInput{Name: "李华", DocNumber: idLi, College: "文学院", Class: "2102"}))(t)
	if b.Status != xiaoxiang.BindingPending {
		t.Fatalf("manual entry binding %s, want pending", b.Status)
	}
	st := must(e.svc.Status(e.ctx, a.ID, b.ID))(t)
	if st.Next != "manual_pending" || st.Name != "李华" || st.DocLast4 != idLi[14:] {
		t.Fatalf("status of a pending manual entry: %+v", st)
	}
	_, err = e.svc.StartPayment(e.ctx, a.ID, b.ID)
	wantCode(t, "pay before approval", err, xiaoxiang.ECONFLICT)
	tasks := must(e.svc.MyTasks(e.ctx, a.ID))(t)
	if len(tasks) != 1 || tasks[0].Progress != "待学校审核" {
		t.Fatalf("MyTasks = %+v", tasks)
	}

	t.Run("data already on the roster links directly", func(t *testing.T) {
		e.addStudent(e.task, "王小明", idWang, "")
		w := e.student("o-wang")
		b := must(e.svc.SubmitManualEntry(e.ctx, w.ID, e.task.ID, core.ManualEntryInput{Name: "王小明", DocNumber: idWang}))(t)
		if b.Status != xiaoxiang.BindingLinked {
			t.Fatalf("binding %s, want linked", b.Status)
		}
	})
	t.Run("manual entries count against the daily lookup limit", func(t *testing.T) {
		p := e.student("o-manual-prober")
		e.setOptions(func(o *core.Options) { o.LinkFailuresPerDay = 2 })
		defer e.setOptions(func(o *core.Options) { o.LinkFailuresPerDay = 0 })
		for i, doc := range []string{residentID("11010519990307001"), residentID("11010519990307002")} {
			pb := must(e.svc.SubmitManualEntry(e.ctx, p.ID, e.task.ID, core.ManualEntryInput{Name: "某人", DocNumber: doc}))(t)
			if err := e.svc.Unbind(e.ctx, p.ID, pb.ID); err != nil {
				t.Fatalf("unbind %d: %v", i, err)
			}
		}
		_, err := e.svc.SubmitManualEntry(e.ctx, p.ID, e.task.ID, core.ManualEntryInput{Name: "某人", DocNumber: residentID("11010519990307003")})
		wantCode(t, "third manual entry", err, xiaoxiang.ETOOMANY)
	})
	t.Run("unbinding withdraws the manual entry", func(t *testing.T) {
		if err := e.svc.Unbind(e.ctx, a.ID, b.ID); err != nil {
			t.Fatal(err)
		}
		var pending []*xiaoxiang.RosterEntry
		e.tx(func(tx *sqldb.Tx) (err error) {
			pending, err = tx.FindPendingManualEntries(e.ctx, e.task.ID)
			return err
		})
		if len(pending) != 0 {
			t.Fatalf("%d manual entries still pending", len(pending))
		}
	})
}

// TestLinkConcurrent: double taps of one account and a race with another
// account end with exactly one binding, and every loser gets a clear answer.
func TestLinkConcurrent(t *testing.T) {
	e := newEnv(t)
	e.addStudent(e.task, "丁白云", idDing, "")
	a := e.student("o-a")
	o := e.student("o-b")
	type result struct {
		acct int64
		b    *xiaoxiang.Binding
		err  error
	}
	results := make(chan result, 6)
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		acct := a.ID
		if i%3 == 2 {
			acct = o.ID
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := e.svc.Link(e.ctx, acct, e.task.ID, core.LinkInput{Name: "丁白云", DocNumber: idDing})
			results <- result{acct, b, err}
		}()
	}
	wg.Wait()
	close(results)
	winners := map[int64]int64{} // account → binding
	for r := range results {
		switch {
		case r.err == nil:
			if prev, ok := winners[r.acct]; ok && prev != r.b.ID {
				t.Errorf("account %d got two bindings", r.acct)
			}
			winners[r.acct] = r.b.ID
		case xiaoxiang.ErrorCode(r.err) == xiaoxiang.ECONFLICT && strings.Contains(xiaoxiang.ErrorMessage(r.err), "解绑"):
		default:
			t.Errorf("account %d: %v", r.acct, r.err)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("%d accounts hold the roster entry, want 1", len(winners))
	}
}
