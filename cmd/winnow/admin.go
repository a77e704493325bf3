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
                                               never from the command line (shell history); it must meet
                                               the password policy; the user's sessions end
  winnow admin user disable --name N           a disabled user cannot log in; sessions end, tokens stop
  winnow admin user enable --name N            working (within 5 s: the API caches a token that long)
  winnow admin case member --case C --user N   allow a user on a case (its media and review groups)
  winnow admin token create --user N [--name LABEL] [--expires-days D]
                                               prints the token secret (shown once; only its hash is kept)
                                               on stdout and its id on stderr
  winnow admin token list [--user N]           tokens with id, user, label, created, expiry and last use
  winnow admin token revoke --id ID            the token stops working (within 5 s)
  winnow admin bootstrap --name N              create admin user N if missing and print a new token for it
  winnow admin migrate                         apply pending schema migrations (run as the owner role)
  winnow admin grant --role R                  give the service's database role R what serve and worker
                                               need, and on the audit log only SELECT and INSERT
                                               (run as the owner role; README: deployment roles)

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
	role := fs.String("role", "", "role of the new user (user create); database role (grant)")
	user := fs.String("user", "", "user the token is for")
	days := fs.Int("expires-days", 0, "token lifetime in days (0: no expiry)")
	caseName := fs.String("case", "", "case (case member)")
	id := fs.Int64("id", 0, "token id (token revoke)")
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
	event := func(action, target string, d map[string]string) *triage.AuditEvent {
		return &triage.AuditEvent{UserName: "winnow-admin", Action: action, Target: target, Detail: d, Remote: "cli"}
	}
	token := func(u triage.User, label string) error {
		secret, hash := triage.NewTokenSecret()
		t := triage.Token{UserID: u.ID, Name: label, Hash: hash}
		if *days > 0 {
			t.ExpiresAt = time.Now().Add(time.Duration(*days) * 24 * time.Hour)
		}
		if err := pg.CreateToken(ctx, &t, func(t triage.Token) []triage.AuditEvent {
			return []triage.AuditEvent{*event(triage.AuditTokenCreate, "user/"+u.Name, map[string]string{"token_id": fmt.Sprint(t.ID), "name": label})}
		}); err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, secret)
		fmt.Fprintf(e.stderr, "token %d for %s\n", t.ID, u.Name)
		return nil
	}
	switch sub {
	case "user create":
		u := triage.User{Name: *name, Role: triage.Role(*role)}
		if err := pg.CreateUser(ctx, &u, event(triage.AuditUserCreate, "user/"+u.Name, map[string]string{"role": string(u.Role)})); err != nil {
			return err
		}
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
		if err := api.CheckPasswordPolicy(pw, u.Name); err != nil {
			return err
		}
		hash, err := api.HashPassword(pw, api.DefaultPasswordParams)
		if err != nil {
			return err
		}
		if err := pg.SetPassword(ctx, u.ID, hash, event(triage.AuditPassword, "user/"+u.Name, map[string]string{"sessions": "ended"})); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "password set for %s; their sessions ended\n", u.Name)
		return nil
	case "user disable", "user enable":
		u, err := pg.UserByName(ctx, *name)
		if err != nil {
			return err
		}
		disable := sub == "user disable"
		action := triage.AuditUserEnable
		if disable {
			action = triage.AuditUserDisable
		}
		if err := pg.SetDisabled(ctx, u.ID, disable, event(action, "user/"+u.Name, nil)); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "%sd %s\n", strings.TrimPrefix(sub, "user "), u.Name)
		return nil
	case "token list":
		var uid int64
		if *user != "" {
			u, err := pg.UserByName(ctx, *user)
			if err != nil {
				return err
			}
			uid = u.ID
		}
		us, err := pg.Users(ctx)
		if err != nil {
			return err
		}
		names := map[int64]string{}
		for _, u := range us {
			names[u.ID] = u.Name
		}
		ts, err := pg.Tokens(ctx, uid)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(e.stdout)
		for _, t := range ts {
			enc.Encode(api.TokenInfoJSON{Token: t, User: names[t.UserID]})
		}
		return nil
	case "token revoke":
		if err := pg.RevokeToken(ctx, *id, event(triage.AuditTokenRevoke, fmt.Sprintf("token/%d", *id), nil)); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "revoked token %d (the API may accept it for up to 5 s more)\n", *id)
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
		if err := pg.AddCaseMember(ctx, c.ID, u.ID, event(triage.AuditCaseMember, "case/"+c.Name, map[string]string{"user": u.Name, "op": "add"})); err != nil {
			return err
		}
		return nil
	case "token create":
		u, err := pg.UserByName(ctx, *user)
		if err != nil {
			return err
		}
		return token(u, *name)
	case "migrate":
		v, err := pg.SchemaVersion(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "schema at version %d\n", v)
		return nil
	case "grant":
		if err := pg.GrantService(ctx, *role); err != nil {
			return err
		}
		fmt.Fprintf(e.stderr, "granted %s the service's privileges; on the audit log SELECT and INSERT only\n", *role)
		return nil
	case "bootstrap":
		if *name == "" {
			*name = "admin"
		}
		u, err := pg.UserByName(ctx, *name)
		if triage.ErrorCode(err) == triage.ENOTFOUND {
			u = triage.User{Name: *name, Role: triage.RoleAdmin}
			err = pg.CreateUser(ctx, &u, event(triage.AuditUserCreate, "user/"+u.Name, map[string]string{"role": "admin"}))
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
