package console_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/apptest"
	"xiaoxiang/internal/web/console/consoletest"
	"xiaoxiang/internal/wechat/wechatfake"
)

// TestFullCycle runs the whole app (apptest: demo data, WeChat and WeChat Pay
// simulators, the real photo pipeline, the job queue) and the "done" cycle:
// the student submits through the API → the demo reviewer rejects with a
// reason → the student sees it and resubmits → the reviewer approves → the
// demo school admin exports the zip (built by the queue), downloads it and
// marks it delivered → the student sees 已交付. Every demo staff login reaches
// its console.
func TestFullCycle(t *testing.T) {
	if testing.Short() {
		t.Skip("full cycle skipped in -short mode")
	}
	_, portrait := apptest.Portrait(t)
	a := apptest.New(t)
	try := a.Demo.Try
	logins := map[xiaoxiang.Role]*consoletest.Client{}
	for _, l := range a.Demo.Staff {
		c := consoletest.NewURLClient(t, a.URL).LoginWith(l.Username, l.Password)
		st, body, loc := c.Get("/staff")
		if st != http.StatusSeeOther {
			t.Fatalf("%s: /staff %d", l.Username, st)
		}
		if st, body, _ = c.Get(loc); st != http.StatusOK || !strings.Contains(body, "肖像 · 工作台") {
			t.Fatalf("demo login %s (%s) does not reach %s: %d", l.Username, l.Role, loc, st)
		}
		logins[l.Role] = c
	}
	rev, adm := logins[xiaoxiang.RoleReviewer], logins[xiaoxiang.RoleSchoolAdmin]
	if rev == nil || adm == nil || logins[xiaoxiang.RoleOperator] == nil {
		t.Fatalf("demo staff = %+v", a.Demo.Staff)
	}

	// Student: consent, link, pay, upload, standardize, submit.
	api := a.APILogin("cycle-student")
	var cs struct{ Version string }
	api.Do("GET", "/api/v1/me/consents", nil, &cs)
	for _, k := range []string{"identity", "photo"} {
		api.Do("POST", "/api/v1/me/consents", map[string]string{"kind": k, "version": cs.Version}, nil)
	}
	var b struct{ ID int64 }
	if st := api.Do("POST", fmt.Sprintf("/api/v1/tasks/%d/link", try.TaskID), map[string]string{"name": try.Name, "doc_kind": "resident_id", "doc_number": try.DocNumber}, &b); st != 200 {
		t.Fatalf("link: %d", st)
	}
	var pay struct {
		Params struct{ Package string }
	}
	if st := api.Do("POST", fmt.Sprintf("/api/v1/bindings/%d/order", b.ID), nil, &pay); st == 200 {
		if _, err := a.Sim.Pay(strings.TrimPrefix(pay.Params.Package, "prepay_id="), wechatfake.NotifyMode{}); err != nil {
			t.Fatal(err)
		}
	}
	type statusView struct {
		Next       string
		Submission *struct {
			Status        string
			RejectReasons []string `json:"reject_reasons"`
		}
		RejectMessages []string `json:"reject_messages"`
		Steps          []struct {
			Label   string
			Done    bool
			Current bool
		}
	}
	status := func() statusView {
		var s statusView
		api.Do("GET", fmt.Sprintf("/api/v1/bindings/%d", b.ID), nil, &s)
		return s
	}
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for !ok() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	submit := func() {
		t.Helper()
		var at struct{ ID int64 }
		if st := api.UploadPhoto(b.ID, portrait, &at); st != 201 {
			t.Fatalf("upload: %d", st)
		}
		if st := api.Do("POST", fmt.Sprintf("/api/v1/attempts/%d/standardize", at.ID), nil, nil); st != 200 {
			t.Fatalf("standardize: %d", st)
		}
		if st := api.Do("POST", fmt.Sprintf("/api/v1/attempts/%d/submit", at.ID), nil, nil); st != 200 {
			t.Fatalf("submit: %d", st)
		}
	}
	waitFor("payment", func() bool { return status().Next != "pay" })
	submit()
	// The queue's verification job moves it to 待审核; the reviewer claims it.
	itemRE := regexp.MustCompile(`^/review/(\d+)`)
	claim := func() string {
		t.Helper()
		var loc string
		waitFor("the photo in the review queue", func() bool {
			_, _, loc = rev.Post("/review/next", url.Values{"school": {fmt.Sprint(try.SchoolID)}})
			return itemRE.MatchString(loc)
		})
		_, body, _ := rev.Get(loc)
		if !strings.Contains(body, try.Name) {
			t.Fatalf("claimed item is not the student's: %s", loc)
		}
		return itemRE.FindString(loc)
	}
	item := claim()
	if st, _, _ := rev.Post(item+"/reject", url.Values{"reason": {"background"}, "note": {"请换深色上衣重拍"}}); st != http.StatusSeeOther {
		t.Fatalf("reject: %d", st)
	}
	s := status()
	if s.Submission == nil || s.Submission.Status != "rejected" || len(s.Submission.RejectReasons) == 0 || s.Submission.RejectReasons[0] != "background" ||
		len(s.RejectMessages) == 0 || !strings.Contains(s.RejectMessages[0], "衣服颜色与背景接近") {
		t.Fatalf("student status after rejection: %+v", s)
	}
	var ns struct {
		Notifications []struct{ Title, Body string }
	}
	api.Do("GET", "/api/v1/me/notifications", nil, &ns)
	if len(ns.Notifications) == 0 || ns.Notifications[0].Title != "照片审核未通过" || !strings.Contains(ns.Notifications[0].Body, "请换深色上衣重拍") {
		t.Fatalf("student notifications: %+v", ns)
	}
	// Resubmit; approve.
	submit()
	item = claim()
	if st, _, _ := rev.Post(item+"/approve", nil); st != http.StatusSeeOther {
		t.Fatalf("approve: %d", st)
	}
	if s := status(); s.Submission == nil || s.Submission.Status != "approved" {
		t.Fatalf("after approval: %+v", s)
	}
	// The school exports; the app's queue builds the package.
	_, loc, _ := func() (int, string, string) {
		st, _, loc := adm.Post(fmt.Sprintf("/school/tasks/%d/export", try.TaskID), nil)
		return st, loc, ""
	}()
	if !strings.HasPrefix(loc, "/school/packages/") {
		t.Fatalf("export: %q", loc)
	}
	var page string
	waitFor("the package", func() bool {
		_, page, _ = adm.Get(loc)
		return strings.Contains(page, `id="delivered"`)
	})
	link := regexp.MustCompile(`href="(/dl/[^"]+)" data-file>[^<]*part01\.zip`).FindStringSubmatch(page)
	if link == nil {
		t.Fatalf("no part link on %s", page)
	}
	resp, err := http.Get(a.URL + strings.ReplaceAll(link[1], "&amp;", "&"))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("download: %v %v", err, resp)
	}
	zb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	zr, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range zr.File {
		found = found || f.Name == try.DocNumber+".jpg"
	}
	if !found {
		t.Fatalf("zip lacks %s…jpg", try.DocNumber[:6])
	}
	if st, _, _ := adm.Post(loc+"/delivered", nil); st != http.StatusSeeOther {
		t.Fatalf("mark delivered: %d", st)
	}
	s = status()
	if s.Submission == nil || s.Submission.Status != "delivered" {
		t.Fatalf("student status after delivery: %+v", s)
	}
	last := s.Steps[len(s.Steps)-1]
	if last.Label != "已交付" || !last.Done {
		t.Fatalf("student steps: %+v", s.Steps)
	}
}
