package sqldb_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"xiaoxiang"
	"xiaoxiang/internal/sqldb"
)

var t0 = time.Date(2026, 3, 1, 1, 2, 3, 456789000, time.UTC)

// fixture creates a school, an open task, one roster entry, an account and a
// linked binding.
type fixture struct {
	school  *xiaoxiang.School
	task    *xiaoxiang.Task
	entry   *xiaoxiang.RosterEntry
	account *xiaoxiang.Account
	binding *xiaoxiang.Binding
}

func mustFixture(t *testing.T, db *sqldb.DB, n int) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{}
	err := db.InTx(ctx, func(tx *sqldb.Tx) error {
		f.school = &xiaoxiang.School{Name: fmt.Sprintf("湖南师范大学%d", n), Code: fmt.Sprintf("1054%d", n), Pinyin: "hunanshifandaxue", Initials: "hnsfdx"}
		if err := tx.CreateSchool(ctx, f.school); err != nil {
			return err
		}
		f.task = &xiaoxiang.Task{SchoolID: f.school.ID, Category: xiaoxiang.CategoryAdult, Title: "2025年上半年学位申请图像采集",
			Status: xiaoxiang.TaskOpen, OpensAt: t0.Add(-24 * time.Hour), ClosesAt: t0.Add(30 * 24 * time.Hour), FeeFen: 2000,
			LinkMode: xiaoxiang.LinkByDocument, FreeResubmissions: 2, ReplacementsBeforeReview: 1}
		if err := tx.CreateTask(ctx, f.task); err != nil {
			return err
		}
		f.entry = &xiaoxiang.RosterEntry{SchoolID: f.school.ID, TaskID: f.task.ID, Name: "丁白云", DocKind: "resident_id",
			DocCipher: "v1.1.x", DocIndex: fmt.Sprintf("idx%d", n), DocLast4: "0304", StudentNo: fmt.Sprintf("S%d", n)}
		if err := tx.CreateRosterEntry(ctx, f.entry); err != nil {
			return err
		}
		f.account = &xiaoxiang.Account{OpenID: fmt.Sprintf("o-%d", n), Nickname: "云"}
		if err := tx.CreateAccount(ctx, f.account); err != nil {
			return err
		}
		f.binding = &xiaoxiang.Binding{AccountID: f.account.ID, RosterEntryID: f.entry.ID, TaskID: f.task.ID, SchoolID: f.school.ID, Status: xiaoxiang.BindingLinked}
		return tx.CreateBinding(ctx, f.binding)
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}
