package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/winnow-forensics/winnow/api"
	"github.com/winnow-forensics/winnow/storage/postgres"
	"github.com/winnow-forensics/winnow/triage"
)

const adminDescription = `
Manage the lab service's users and tokens, directly in its database
(WINNOW_PG_URL, WINNOW_PG_SCHEMA), so the first administrator can be made
before anyone can log in.

  winnow admin user create --name N --role R   roles: admin, examiner, reviewer, adjudicator, submitter, auditor
  winnow admin user list
  winnow admin user password --name N          set the password a person logs in to the web UI with:
                                               read from a prompt (not echoed) or the first line of stdin,
                                               never from the command line (shell history)
  winnow admin case member --case C --user N   allow a user on a case (its media and review groups)
  winnow admin token create --user N [--name LABEL] [--expires-days D]
                                               prints the token secret (shown once; only its hash is kept)
  winnow admin bootstrap --name N              create admin user N if missing and print a new token for it

Every action is recorded in the audit log.`

func runAdmin(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintf(e.stderr, "Usage: winnow admin SUBCOMMAND [flags]\n%s\n", adminDescription)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	sub := args[0]
	if len(args) > 1 && (sub == "user" || sub == "token" || sub == "case") {
		sub += " " + args[1]
		args = args[1:]
	}
	fs := newFlagSet(e, "admin "+sub, "[flags]", adminDescription)
	name := fs.String("name", "", "user name (user create, bootstrap) or token label (token create)")
	role := fs.String("role", "", "role of the new user")
	user := fs.String("user", "", "user the token is for")
	days := fs.Int("expires-days", 0, "token lifetime in days (0: no expiry)")
	caseName := fs.String("case", "", "case (case member)")
	if _, err := parseArgs(fs, args[1:]); err != nil {
		return err
	}
	r := &envReader{get: e.getenv}
	url := r.str("WINNOW_PG_URL", "postgres://postgres@127.0.0.1:5432/winnow?sslmode=disable")
	pg, err := postgres.Open(ctx, postgres.Config{URL: url, Schema: r.str("WINNOW_PG_SCHEMA", "")})
	if err != nil {
		return err
	}
	defer pg.Close()
	audit := func(action, target string, d map[string]string) {
		pg.RecordAudit(ctx, &triage.AuditEvent{UserName: "winnow-admin", Action: action, Target: target, Detail: d, Remote: "cli"})
	}
	token := func(u triage.User, label string) error {
		secret, hash := triage.NewTokenSecret()
		t := triage.Token{UserID: u.ID, Name: label, Hash: hash}
		if *days > 0 {
			t.ExpiresAt = time.Now().Add(time.Duration(*days) * 24 * time.Hour)
		}
		if err := pg.CreateToken(ctx, &t); err != nil {
			return err
		}
		audit(triage.AuditTokenCreate, "user/"+u.Name, map[string]string{"token_id": fmt.Sprint(t.ID), "name": label})
		fmt.Fprintln(e.stdout, secret)
		return nil
	}
	switch sub {
	case "user create":
		u := triage.User{Name: *name, Role: triage.Role(*role)}
		if err := pg.CreateUser(ctx, &u); err != nil {
			return err
		}
		audit(triage.AuditUserCreate, "user/"+u.Name, map[string]string{"role": string(u.Role)})
		return json.NewEncoder(e.stdout).Encode(u)
	case "user list":
		us, err := pg.Users(ctx)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(e.stdout)
		for _, u := range us {
			enc.Encode(u)
		}
		return nil
	case "user password":
		u, err := pg.UserByName(ctx, *name)
		if err != nil {
			return err
		}
		pw, err := readPassword(e)
		if err != nil {
			return err
		}
		hash, err := api.HashPassword(pw, api.DefaultPasswordParams)
		if err != nil {
			return err
		}
		if err := pg.SetPassword(ctx, u.ID, hash); err != nil {
			return err
		}
		audit(triage.AuditPassword, "user/"+u.Name, nil)
		fmt.Fprintf(e.stderr, "password set for %s\n", u.Name)
		return nil
	case "case member":
		c, err := pg.Case(ctx, *caseName)
		if err != nil {
			return err
		}
		u, err := pg.UserByName(ctx, *user)
		if err != nil {
			return err
		}
		if err := pg.AddCaseMember(ctx, c.ID, u.ID); err != nil {
			return err
		}
		audit(triage.AuditCaseMember, "case/"+c.Name, map[string]string{"user": u.Name, "op": "add"})
		return nil
	case "token create":
		u, err := pg.UserByName(ctx, *user)
		if err != nil {
			return err
		}
		return token(u, *name)
	case "bootstrap":
		if *name == "" {
			*name = "admin"
		}
		u, err := pg.UserByName(ctx, *name)
		if triage.ErrorCode(err) == triage.ENOTFOUND {
			u = triage.User{Name: *name, Role: triage.RoleAdmin}
			if err = pg.CreateUser(ctx, &u); err == nil {
				audit(triage.AuditUserCreate, "user/"+u.Name, map[string]string{"role": "admin"})
			}
		}
		if err != nil {
			return err
		}
		if u.Role != triage.RoleAdmin {
			return triage.Errorf(triage.ECONFLICT, "user %q exists with role %s, not admin", u.Name, u.Role)
		}
		return token(u, "bootstrap")
	}
	fmt.Fprintf(e.stderr, "winnow admin: unknown subcommand %q\n%s\n", sub, adminDescription)
	return errUsage
}

// readPassword reads a new password: at a terminal, twice at a prompt
// without echo; otherwise the first line of stdin (for scripts: printf
// '%s\n' "$PW" | winnow admin user password --name N).
func readPassword(e *env) (string, error) {
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(e.stderr, "New password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", err
		}
		fmt.Fprint(e.stderr, "Again: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(e.stderr)
		if err != nil {
			return "", err
		}
		if string(a) != string(b) {
			return "", triage.Errorf(triage.EINVALID, "the two passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(io.LimitReader(e.stdin, 4096)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", triage.Errorf(triage.EINVALID, "no password on stdin: pipe it in, or run at a terminal to be prompted")
	}
	return line, nil
}
