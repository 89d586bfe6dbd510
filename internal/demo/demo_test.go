package demo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/demo"
	"xiaoxiang/internal/identity"
	"xiaoxiang/internal/sqldb"
	"xiaoxiang/internal/sqldb/sqldbtest"
)

func TestCheckChar(t *testing.T) {
	// The example from GB 11643-1999 and the integrations notes.
	if c := demo.CheckChar("11010519491231002"); c != 'X' {
		t.Fatalf("CheckChar = %c, want X", c)
	}
}

func TestSeed(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	db := sqldbtest.Open(t, sqldb.Options{Now: func() time.Time { return now }})
	keys, err := identity.NewKeyring(1, map[uint32][]byte{1: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	svc := core.New(db, nil, keys, nil, core.Options{Now: func() time.Time { return now }})
	res, err := demo.SeedIfEmpty(ctx, db, svc, demo.Options{Now: func() time.Time { return now }, RosterSize: 30})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Schools) != 3 || res.Schools[0].Code != "10542" || res.Schools[0].Initials != "hnsfdx" {
		t.Fatalf("schools: %+v", res.Schools)
	}
	var free, closed, notYet, manual, byNo int
	cats := map[xiaoxiang.Category]bool{}
	for _, task := range res.Tasks {
		cats[task.Category] = true
		switch {
		case task.Status == xiaoxiang.TaskClosed:
			closed++
		case task.Window(now) == xiaoxiang.WindowNotYet:
			notYet++
		case task.Window(now) != xiaoxiang.WindowOpen:
			t.Errorf("task %q is open but its window is over", task.Title)
		}
		if task.FeeFen == 0 {
			free++
		}
		if task.AllowManualEntry {
			manual++
		}
		if task.LinkMode == xiaoxiang.LinkByStudentNo {
			byNo++
		}
	}
	if len(cats) != 3 || free == 0 || closed == 0 || notYet == 0 || manual == 0 || byNo == 0 {
		t.Fatalf("task mix: cats=%d free=%d closed=%d notYet=%d manual=%d byNo=%d", len(cats), free, closed, notYet, manual, byNo)
	}
	if len(res.Staff) != 3 {
		t.Fatalf("staff: %+v", res.Staff)
	}
	// The printed student is valid and on the roster: linking with it works.
	if _, err := identity.ValidateAt(identity.KindResidentID, res.Try.DocNumber, now); err != nil {
		t.Fatalf("printed ID number is invalid: %v", err)
	}
	acc, err := svc.Login(ctx, core.LoginInput{OpenID: "o-demo-test"})
	if err != nil {
		t.Fatal(err)
	}
	svc.GiveConsent(ctx, acc.ID, xiaoxiang.ConsentIdentity)
	if _, err := svc.Link(ctx, acc.ID, res.Try.TaskID, core.LinkInput{Name: res.Try.Name, DocNumber: res.Try.DocNumber}); err != nil {
		t.Fatalf("link the printed student: %v", err)
	}
	if _, err := svc.Link(ctx, acc.ID, res.TryNo.TaskID, core.LinkInput{Name: res.TryNo.Name, StudentNo: res.TryNo.StudentNo}); err != nil {
		t.Fatalf("link the printed student by number: %v", err)
	}
	// Seeding again does nothing and describes the same demo (the generator is deterministic).
	again, err := demo.SeedIfEmpty(ctx, db, svc, demo.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if again.Try != res.Try || again.TryNo != res.TryNo || len(again.Tasks) != len(res.Tasks) {
		t.Fatalf("describe: %+v vs %+v", again.Try, res.Try)
	}
}

func TestRoster_MatchesSeed(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	db := sqldbtest.Open(t, sqldb.Options{Now: func() time.Time { return now }})
	keys, err := identity.NewKeyring(1, map[uint32][]byte{1: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	svc := core.New(db, nil, keys, nil, core.Options{Now: func() time.Time { return now }})
	res, err := demo.SeedIfEmpty(ctx, db, svc, demo.Options{Now: func() time.Time { return now }, RosterSize: 30})
	if err != nil {
		t.Fatal(err)
	}
	people, err := demo.Roster(0, 0, 30)
	if err != nil {
		t.Fatal(err)
	}
	if people[0].Name != res.Try.Name || people[0].DocNumber != res.Try.DocNumber {
		t.Fatal("demo.Roster's first student differs from the one Seed printed")
	}
	// Every generated student links to the first task (distinct accounts).
	for i, p := range people[:5] {
		acc, err := svc.Login(ctx, core.LoginInput{OpenID: fmt.Sprintf("o-roster-%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		svc.GiveConsent(ctx, acc.ID, xiaoxiang.ConsentIdentity)
		if _, err := svc.Link(ctx, acc.ID, res.Tasks[0].ID, core.LinkInput{Name: p.Name, DocNumber: p.DocNumber}); err != nil {
			t.Fatalf("student %d does not link: %v", i, err)
		}
	}
	if _, err := demo.Roster(9, 0, 1); err == nil {
		t.Error("unknown school accepted")
	}
}
