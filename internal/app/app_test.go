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
	acc, err := a.Core.Login(ctx, core.LoginInput{OpenID: "o-ctid-wiring"})
	if err != nil {
		t.Fatal(err)
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
