package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"xiaoxiang"
	"xiaoxiang/internal/app"
	"xiaoxiang/internal/auth"
	"xiaoxiang/internal/sqldb"
)

// runStaff manages staff accounts from the command line. Its one job today is the
// bootstrap a fresh installation needs: the first operator account (everything else is
// done in the /ops console by that operator).
//
//	xiaoxiang staff add --username admin --role operator [--name 平台运营] [--school 10542] [--db …]
//
// The password is read from XIAOXIANG_NEW_PASSWORD or, when unset, from the first line
// of standard input; it is never a flag (flags end up in shell history and ps output).
func runStaff(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprintln(stderr, "usage: xiaoxiang staff add --username NAME --role operator|school_admin|reviewer [--school CODE] [--name DISPLAY] [serve flags: --db, --data, --config]")
		return usageError(errors.New("staff: want a subcommand: add"))
	}
	fs := flag.NewFlagSet("staff add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	username := fs.String("username", "", "login name (3–32 letters, digits, . _ -)")
	role := fs.String("role", "", "operator, school_admin or reviewer")
	school := fs.String("school", "", "5-digit school code (school_admin, or a school-scoped reviewer)")
	name := fs.String("name", "", "display name (default: the role's Chinese name)")
	// --db, --data and --config are passed on to the app configuration.
	fs.String("db", "", "database URL (as serve)")
	fs.String("data", "", "data directory (as serve)")
	fs.String("config", "", "config file (as serve)")
	if err := fs.Parse(args[1:]); err != nil {
		return usageError(err)
	}
	var appArgs []string
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "db" || f.Name == "data" || f.Name == "config" {
			appArgs = append(appArgs, "--"+f.Name, f.Value.String())
		}
	})
	st := &xiaoxiang.Staff{Username: strings.TrimSpace(*username), Role: xiaoxiang.Role(*role), DisplayName: strings.TrimSpace(*name)}
	if err := validUsername(st.Username); err != nil {
		return usageError(err)
	}
	switch st.Role {
	case xiaoxiang.RoleOperator:
		if *school != "" {
			return usageError(errors.New("staff: an operator is platform-wide: drop --school"))
		}
	case xiaoxiang.RoleSchoolAdmin:
		if *school == "" {
			return usageError(errors.New("staff: a school_admin needs --school CODE"))
		}
	case xiaoxiang.RoleReviewer:
	default:
		return usageError(fmt.Errorf("staff: unknown role %q (operator, school_admin, reviewer)", *role))
	}
	if st.DisplayName == "" {
		st.DisplayName = st.Role.Label()
	}
	pw := env("XIAOXIANG_NEW_PASSWORD")
	if pw == "" {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return usageError(errors.New("staff: give the password in XIAOXIANG_NEW_PASSWORD or on standard input"))
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if err := auth.CheckPasswordPolicy(pw); err != nil {
		return usageError(fmt.Errorf("staff: password: %s", xiaoxiang.ErrorMessage(err)))
	}
	hash, err := auth.HashPassword(pw)
	if err != nil {
		return err
	}
	st.PasswordHash = hash

	cfg, err := app.Load(appArgs, env, stderr)
	if err != nil {
		return usageError(err)
	}
	db, err := sqldb.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	err = db.InTx(ctx, func(tx *sqldb.Tx) error {
		if *school != "" {
			schools, err := tx.FindSchools(ctx)
			if err != nil {
				return err
			}
			for _, s := range schools {
				if s.Code == *school {
					st.SchoolID = s.ID
				}
			}
			if st.SchoolID == 0 {
				return fmt.Errorf("staff: no school with code %s (create it in /ops first)", *school)
			}
		}
		if _, err := tx.FindStaffByUsername(ctx, st.Username); err == nil {
			return fmt.Errorf("staff: username %q is taken", st.Username)
		}
		if err := tx.CreateStaff(ctx, st); err != nil {
			return err
		}
		return tx.CreateAuditEntry(ctx, &xiaoxiang.AuditEntry{ActorKind: "system", Action: "staff_create", Object: fmt.Sprintf("staff:%d", st.ID),
			SchoolID: st.SchoolID, Count: 1, Detail: "created from the command line, role " + string(st.Role)})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created %s %q (id %d); log in at /staff/login\n", st.Role.Label(), st.Username, st.ID)
	return nil
}

func validUsername(s string) error {
	if len(s) < 3 || len(s) > 32 {
		return errors.New("staff: --username must be 3–32 characters")
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return errors.New("staff: --username may use letters, digits, . _ - only")
		}
	}
	return nil
}
