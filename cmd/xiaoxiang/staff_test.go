package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"xiaoxiang/internal/auth"
	"xiaoxiang/internal/sqldb"
)

func TestStaffAdd(t *testing.T) {
	ctx := context.Background()
	dbURL := "sqlite:" + filepath.Join(t.TempDir(), "x.db")
	env := func(pw string) func(string) string {
		return func(k string) string {
			if k == "XIAOXIANG_NEW_PASSWORD" {
				return pw
			}
			return ""
		}
	}
	var out, errb bytes.Buffer
	err := run(ctx, []string{"staff", "add", "--username", "root", "--role", "operator", "--db", dbURL}, env("correct-horse-9"), &out, &errb)
	if err != nil {
		t.Fatalf("staff add: %v (%s)", err, errb.String())
	}
	if !strings.Contains(out.String(), "root") {
		t.Errorf("output: %q", out.String())
	}
	db, err := sqldb.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(ctx, func(tx *sqldb.Tx) error {
		st, err := tx.FindStaffByUsername(ctx, "root")
		if err != nil {
			return err
		}
		if st.Role != "operator" || st.SchoolID != 0 {
			t.Errorf("staff = %+v", st)
		}
		if ok, _ := auth.VerifyPassword("correct-horse-9", st.PasswordHash); !ok {
			t.Error("the stored hash does not verify the password")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name string
		args []string
		pw   string
		want string
	}{
		{"taken", []string{"--username", "root", "--role", "operator"}, "correct-horse-9", "taken"},
		{"weak password", []string{"--username", "alice", "--role", "operator"}, "123", "password"},
		{"unknown role", []string{"--username", "alice", "--role", "boss"}, "correct-horse-9", "role"},
		{"school admin without school", []string{"--username", "alice", "--role", "school_admin"}, "correct-horse-9", "--school"},
		{"unknown school", []string{"--username", "alice", "--role", "school_admin", "--school", "99999"}, "correct-horse-9", "no school"},
		{"bad username", []string{"--username", "a b", "--role", "operator"}, "correct-horse-9", "username"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"staff", "add"}, tt.args...)
			args = append(args, "--db", dbURL)
			err := run(ctx, args, env(tt.pw), &out, &errb)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tt.want)
			}
		})
	}
}
