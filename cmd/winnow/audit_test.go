package main

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/winnow-forensics/winnow/storage/postgres"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/auditlog"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// superuser connects to the lab's schema as the test's PostgreSQL
// superuser, who can edit the log with its triggers off: the attacker the
// chain must catch.
func superuser(t *testing.T, env map[string]string) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, env["WINNOW_PG_URL"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	for _, q := range []string{"SET search_path = " + pgx.Identifier{env["WINNOW_PG_SCHEMA"]}.Sanitize(), "SET session_replication_role = replica"} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	return conn
}

// TestAuditChain records events through the service, signs a checkpoint
// and then edits, deletes and truncates the log in the database:
// winnow audit verify names the first bad event each time, and the
// export verifies away from the database.
func TestAuditChain(t *testing.T) {
	ctx := context.Background()
	env := labEnv(t)
	env["WINNOW_AUDIT_KEY"] = filepath.Join(t.TempDir(), "audit.key")
	l := startLab(t, env)
	// Events: users and tokens, a case, uploads (the item and its event
	// in one statement), media reads.
	sub := l.mustToken(t, "robot", triage.RoleSubmitter)
	l.call(t, sub, "PUT", "/api/v1/cases/c1", nil, nil)
	l.call(t, sub, "PUT", "/api/v1/cases/c1/exhibits/e1", nil, nil)
	for i := range 30 {
		if st := l.call(t, sub, "PUT", fmt.Sprintf("/api/v1/cases/c1/exhibits/e1/items?path=f%d.jpg", i), bytes.NewReader(triagetest.PhotoJPEG(64, 64, uint64(i), 80)), nil); st != 201 {
			t.Fatalf("upload: %d", st)
		}
	}
	key, err := readAuditKey(env["WINNOW_AUDIT_KEY"])
	if err != nil {
		t.Fatal(err)
	}
	chains, err := auditlog.Checkpoint(ctx, l.PG, key, time.Now())
	if err != nil || chains == 0 {
		t.Fatalf("checkpoint: %d %v", chains, err)
	}
	l.call(t, sub, "GET", "/api/v1/cases/c1/exhibits/e1/status", nil, nil)
	l.call(t, "", "GET", "/api/v1/audit", nil, nil)
	verify := func(args ...string) (int, string) {
		code, out, errs := runWinnowEnv(t, env, append([]string{"audit", "verify"}, args...)...)
		return code, out + errs
	}
	code, out := verify()
	if code != 0 || strings.Count(out, "events verified, 1 checkpoints") != chains {
		t.Fatalf("intact log: %d %s", code, out)
	}
	t.Logf("intact:\n%s", strings.TrimSpace(out))

	// The edits are made in the longest chain.
	db := superuser(t, env)
	var chain string
	var head int64
	db.QueryRow(ctx, "SELECT chain, seq FROM audit_checkpoints ORDER BY seq DESC LIMIT 1").Scan(&chain, &head)
	if head < 8 {
		t.Fatalf("longest chain %s has %d events", chain, head)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Exec(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	rows, _ := db.Query(ctx, "SELECT * FROM audit_events ORDER BY id")
	backup, err := pgx.CollectRows(rows, pgx.RowToMap)
	if err != nil {
		t.Fatal(err)
	}
	restore := func() {
		exec("DELETE FROM audit_events")
		for _, r := range backup {
			cols, vals, ph := []string{}, []any{}, []string{}
			for k, v := range r {
				cols, vals, ph = append(cols, k), append(vals, v), append(ph, fmt.Sprintf("$%d", len(vals)+1))
			}
			exec("INSERT INTO audit_events ("+strings.Join(cols, ",")+") VALUES ("+strings.Join(ph, ",")+")", vals...)
		}
	}
	in := fmt.Sprintf("chain = '%s' AND ", chain)
	for _, tc := range []struct {
		name, sql, want string
	}{
		{"edited", "UPDATE audit_events SET remote = '203.0.113.9' WHERE " + in + "seq = 4", "seq 4: event"},
		{"edited and rehashed", "UPDATE audit_events SET user_name = 'mallory' WHERE " + in + "seq = 6; UPDATE audit_events SET hash = audit_hash(audit_events) WHERE " + in + "seq = 6",
			"seq 6: event"},
		{"deleted", "DELETE FROM audit_events WHERE " + in + "seq = 5", "seq 5: chain " + chain + ": event seq 5 is missing (deleted)"},
		{"truncated", fmt.Sprintf("DELETE FROM audit_events WHERE %sseq >= %d", in, head-1), fmt.Sprintf("seq %d: chain %s ends at seq %d", head-1, chain, head-2)},
	} {
		exec(tc.sql)
		code, out := verify()
		want := "chain " + chain + ": FAILED at " + tc.want
		if code != 1 || !strings.Contains(out, want) || strings.Count(out, "FAILED") != 1 {
			t.Errorf("%s: exit %d, %s\nwant %s", tc.name, code, out, want)
		}
		if tc.name == "edited and rehashed" && !strings.Contains(out, "the next event holds its original hash") {
			t.Errorf("%s: %s", tc.name, out)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, "FAILED") {
				t.Logf("%s: %s", tc.name, line)
			}
		}
		restore()
		if code, out := verify(); code != 0 {
			t.Fatalf("after restoring: %s", out)
		}
	}

	// The export verifies on its own, with the published key; one changed
	// byte is named.
	dir := t.TempDir()
	exp, pubf := filepath.Join(dir, "audit.jsonl"), filepath.Join(dir, "audit.pub")
	if code, _, errs := runWinnowEnv(t, env, "audit", "export", "--out", exp); code != 0 {
		t.Fatalf("export: %s", errs)
	}
	code, pub, _ := runWinnowEnv(t, env, "audit", "pubkey")
	if code != 0 || os.WriteFile(pubf, []byte(pub), 0o600) != nil {
		t.Fatalf("pubkey: %d", code)
	}
	noKey := map[string]string{}
	code, out2, errs := runWinnowEnv(t, noKey, "audit", "verify", "--file", exp, "--pubkey", pubf)
	if code != 0 {
		t.Fatalf("verify export: %s %s", out2, errs)
	}
	b, _ := os.ReadFile(exp)
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, bytes.Replace(b, []byte(`"path":"f3.jpg"`), []byte(`"path":"f9.jpg"`), 1), 0o600)
	if code, out2, _ := runWinnowEnv(t, noKey, "audit", "verify", "--file", bad, "--pubkey", pubf); code != 1 || !strings.Contains(out2, "was changed") {
		t.Errorf("edited export: %d %s", code, out2)
	}
}

// TestAuditServiceRole runs the store as a service role given only what
// winnow admin grant gives: it records events, and may neither change
// nor delete them, nor move a chain's head.
func TestAuditServiceRole(t *testing.T) {
	ctx := context.Background()
	env := labEnv(t)
	startLab(t, env)
	db := superuser(t, env)
	const role = "winnow_test_service"
	if _, err := db.Exec(ctx, `DO $$ BEGIN CREATE ROLE `+role+` LOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runWinnowEnv(t, env, "admin", "grant", "--role", role); code != 0 {
		t.Fatalf("grant: %s", errs)
	}
	u, err := url.Parse(env["WINNOW_PG_URL"])
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	svc, err := postgres.Open(ctx, postgres.Config{URL: u.String(), Schema: env["WINNOW_PG_SCHEMA"]})
	if err != nil {
		t.Fatalf("open as the service role: %v", err)
	}
	defer svc.Close()
	ev := triage.AuditEvent{UserName: "svc", Action: "test.event", Target: "x"}
	if err := svc.RecordAudit(ctx, &ev); err != nil || ev.Seq == 0 {
		t.Fatalf("record as the service role: %+v %v", ev, err)
	}
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	conn.Exec(ctx, "SET search_path = "+pgx.Identifier{env["WINNOW_PG_SCHEMA"]}.Sanitize())
	for _, q := range []string{
		"UPDATE audit_events SET remote = 'x'",
		"DELETE FROM audit_events",
		"TRUNCATE audit_events",
		"UPDATE audit_heads SET seq = 1",
		"DELETE FROM audit_checkpoints",
		"ALTER TABLE audit_events DISABLE TRIGGER audit_events_chain",
	} {
		if _, err := conn.Exec(ctx, q); err == nil || !strings.Contains(err.Error(), "denied") && !strings.Contains(err.Error(), "must be owner") {
			t.Errorf("%s as the service role: %v", q, err)
		}
	}
	// A forged chain position is overwritten by the trigger.
	if _, err := conn.Exec(ctx, `INSERT INTO audit_events (at, user_name, action, target, seq, prev_hash, hash) VALUES (now(), 'x', 'forged', '', 1, '\x00', '\x00')`); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := runWinnowEnv(t, env, "audit", "verify"); code != 0 {
		t.Errorf("verify after the service role's inserts: %s %s", out, errs)
	}
}
