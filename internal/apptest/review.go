package apptest

import (
	"context"

	"xiaoxiang"
	"xiaoxiang/internal/auth"
	"xiaoxiang/internal/core"
	"xiaoxiang/internal/sqldb"
)

// Staff returns the console actor of a demo staff member (e.g. "reviewer").
func (a *App) Staff(username string) *core.Actor {
	a.tb.Helper()
	var st *xiaoxiang.Staff
	err := a.DB.View(context.Background(), func(tx *sqldb.Tx) error {
		var err error
		st, err = tx.FindStaffByUsername(context.Background(), username)
		return err
	})
	if err != nil {
		a.tb.Fatalf("apptest: staff %s: %v", username, err)
	}
	return &core.Actor{Staff: st, IP: "127.0.0.1",
		P: auth.Principal{StaffID: st.ID, Role: auth.Role(st.Role), SchoolID: st.SchoolID, Colleges: st.Colleges}}
}

// ReviewFirst decides the oldest pending submission of the task as the demo reviewer
// (approve, or reject with reason codes and a note) and returns its id.
func (a *App) ReviewFirst(taskID int64, d core.Decision) int64 {
	a.tb.Helper()
	ctx := context.Background()
	actor := a.Staff("reviewer")
	items, _, err := a.Console.ReviewQueue(ctx, actor, core.QueueFilter{TaskID: taskID})
	if err != nil || len(items) == 0 {
		a.tb.Fatalf("apptest: review queue of task %d: %v (%d items)", taskID, err, len(items))
	}
	id := items[0].SubmissionID
	if err := a.Console.Decide(ctx, actor, id, d); err != nil {
		a.tb.Fatalf("apptest: decide submission %d: %v", id, err)
	}
	return id
}
