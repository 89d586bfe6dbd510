package app_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/apptest"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/demo"
	"xiaoxiang/internal/wechat/wechatfake"
)

// TestApp_CTIDVerificationRunsInDev proves the wiring: in dev mode a submission to a
// task that requires CTID is verified by the background job against the in-process
// CTID simulator (over real HTTP), and the status page shows the result.
func TestApp_CTIDVerificationRunsInDev(t *testing.T) {
	a := apptest.New(t)
	ctx := context.Background()
	var task *xiaoxiang.Task
	taskIdx := -1
	for _, tk := range a.Demo.Tasks {
		if tk.SchoolID == a.Demo.Schools[0].ID {
			taskIdx++
			if tk.RequireCTID && tk.Open(time.Now()) {
				task = tk
				break
			}
		}
	}
	if task == nil {
		t.Fatal("the demo has no open task that requires CTID")
	}
	people, err := demo.Roster(0, taskIdx, 20)
	if err != nil {
		t.Fatal(err)
	}
	// The simulator answers by the ID's sequence code (990–994 are failure cases): pick a valid one.
	var p demo.Person
	for _, q := range people {
		if !strings.HasPrefix(q.DocNumber[14:17], "99") {
			p = q
			break
		}
	}
	acc, b := submitAs(t, a, "o-ctid-wiring", task, p, nil)
	waitFor(t, "CTID result", func() bool {
		st, err := a.Core.Status(ctx, acc.ID, b.ID)
		return err == nil && st.ShowIdentity && st.IdentityResult == "有效"
	})
	if a.CTIDSim.Requests() == 0 {
		t.Error("the CTID simulator saw no request")
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// submitAs logs a student in, links p to task, pays through the simulator, uploads the
// test portrait, standardizes and submits it. before runs after login (e.g. to subscribe).
func submitAs(t *testing.T, a *apptest.App, openID string, task *xiaoxiang.Task, p demo.Person, before func(acc *xiaoxiang.Account)) (*xiaoxiang.Account, *xiaoxiang.Binding) {
	t.Helper()
	ctx := context.Background()
	acc, err := a.Core.Login(ctx, core.LoginInput{OpenID: openID})
	if err != nil {
		t.Fatal(err)
	}
	if before != nil {
		before(acc)
	}
	for _, k := range []xiaoxiang.ConsentKind{xiaoxiang.ConsentIdentity, xiaoxiang.ConsentPhoto} {
		if err := a.Core.GiveConsent(ctx, acc.ID, k); err != nil {
			t.Fatal(err)
		}
	}
	b, err := a.Core.Link(ctx, acc.ID, task.ID, core.LinkInput{Name: p.Name, DocNumber: p.DocNumber})
	if err != nil {
		t.Fatalf("link: %v", err)
	}
	ps, err := a.Core.StartPayment(ctx, acc.ID, b.ID)
	if err != nil || ps.Params == nil {
		t.Fatalf("start payment: %v", err)
	}
	if _, err := a.Sim.Pay(strings.TrimPrefix(ps.Params.Package, "prepay_id="), wechatfake.NotifyMode{}); err != nil {
		t.Fatalf("simulated payment: %v", err)
	}
	waitFor(t, "order paid", func() bool {
		o, err := a.Core.RefreshPayment(ctx, acc.ID, b.ID)
		return err == nil && o.Status == xiaoxiang.OrderPaid
	})
	_, portrait := apptest.Portrait(t)
	av, err := a.Core.Upload(ctx, acc.ID, b.ID, core.UploadInput{Data: bytes.NewReader(portrait), Source: "camera"})
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	if _, err := a.Core.Standardize(ctx, acc.ID, av.Attempt.ID); err != nil {
		t.Fatalf("standardize: %v", err)
	}
	if _, err := a.Core.Submit(ctx, acc.ID, av.Attempt.ID); err != nil {
		t.Fatalf("submit: %v", err)
	}
	return acc, b
}

// TestApp_ReviewResultSentAsSubscriptionMessage proves the notification wiring: a
// student who accepted review-result messages gets exactly one WeChat subscription
// message (at the simulator) when the reviewer rejects, and the in-app notice.
func TestApp_ReviewResultSentAsSubscriptionMessage(t *testing.T) {
	a := apptest.New(t)
	ctx := context.Background()
	task := a.Demo.Tasks[0]
	if task.ID != a.Demo.Try.TaskID {
		t.Fatal("the demo's first task is not the printed one")
	}
	people, err := demo.Roster(0, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	openID := "o-subscriber-000000000000000" // 28 characters, like a real openid
	acc, _ := submitAs(t, a, openID, task, people[2], func(acc *xiaoxiang.Account) {
		if err := a.Core.Subscribe(ctx, acc.ID, []string{"review_result"}); err != nil {
			t.Fatal(err)
		}
	})
	a.ReviewFirst(task.ID, core.Decision{Reasons: []string{"background"}, Note: "衣服颜色与背景太接近"})
	waitFor(t, "the WeChat message", func() bool {
		for _, m := range a.Sim.Sent() {
			if m.ToUser == openID {
				return true
			}
		}
		return false
	})
	time.Sleep(300 * time.Millisecond) // a second (duplicate) send would show up by now
	n := 0
	for _, m := range a.Sim.Sent() {
		if m.ToUser == openID {
			n++
			if m.TemplateID != "sim-tpl-review_result" || m.Data["thing1"] == "" {
				t.Errorf("message = %+v", m)
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d messages sent, want exactly 1", n)
	}
	ns, err := a.Core.Notifications(ctx, acc.ID, 0)
	if err != nil || len(ns) == 0 {
		t.Fatalf("in-app notices: %v (%d)", err, len(ns))
	}
}

// TestApp_LoginKeepsWeChatNickname: the H5 login uses snsapi_userinfo, reads the
// nickname through sns/userinfo (seed step 2: 获取微信昵称，授权登录) and greets with it.
func TestApp_LoginKeepsWeChatNickname(t *testing.T) {
	a := apptest.New(t)
	c := a.Client()
	c.LoginStudent("林小雨")
	home := c.Get("/")
	if home.Status != 200 || !strings.Contains(home.Body, "林小雨，您好") {
		t.Fatalf("home after login: %d, greeting missing", home.Status)
	}
}
