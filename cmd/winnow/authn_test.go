package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/winnow-forensics/winnow/api"
	"github.com/winnow-forensics/winnow/triage"
)

// TestLabAuthentication: concurrent guessing, spoofed forwarding
// headers, password changes, "log out everywhere", disabled users and
// revoked tokens, on the real service.
func TestLabAuthentication(t *testing.T) {
	vars := labEnv(t)
	l := startLab(t, vars)
	admin := l.Token
	audits := func(action string) []triage.AuditEvent {
		var evs struct{ Events []triage.AuditEvent }
		l.call(t, admin, "GET", "/api/v1/audit?limit=1000&action="+action, nil, &evs)
		return evs.Events
	}
	vicTok := l.mustToken(t, "vic", triage.RoleReviewer)
	const pw = "correct horse battery staple"
	l.setPassword(t, "vic", pw)

	// The policy: common and repetitive passwords are refused.
	for _, bad := range []string{"aaaaaaaaaaaa", "password1234"} {
		e := &env{stdin: strings.NewReader(bad + "\n"), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, getenv: l.getenv}
		if code := run(context.Background(), e, []string{"admin", "user", "password", "--name", "vic"}); code == 0 {
			t.Errorf("password %q accepted", bad)
		}
	}

	// Login takes JSON only (a form post from another site is refused).
	resp, err := http.Post(l.URL+"/api/v1/login", "text/plain", strings.NewReader(fmt.Sprintf(`{"name":"vic","password":%q}`, pw)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 415 {
		t.Errorf("text/plain login: %d, want 415", resp.StatusCode)
	}

	// 60 concurrent wrong guesses: 5 are checked, the rest refused; the
	// right password is refused while the lock holds; the lockout is
	// audited. Another name from another address is not affected.
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, st := l.login(t, "vic", "wrong guess number one")
			mu.Lock()
			codes[st]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if codes[401] != 5 || codes[429] != 55 {
		t.Errorf("60 concurrent guesses: %v, want 5 checked (401) and 55 refused (429)", codes)
	}
	if _, _, st := l.login(t, "vic", pw); st != 429 {
		t.Errorf("right password during the lock: %d, want 429", st)
	}
	if n := len(audits(triage.AuditLoginFailed)); n != 5 {
		t.Errorf("%d failed logins audited, want 5", n)
	}
	if ev := audits(triage.AuditLockout); len(ev) == 0 || ev[0].Target != "user/vic" || ev[0].Detail["counter"] != "name and address" {
		t.Errorf("lockout events: %+v", ev)
	}

	// X-Forwarded-For from a client that is not a trusted proxy is ignored.
	req, _ := http.NewRequest("GET", l.URL+"/api/v1/me/exposure", nil)
	req.Header.Set("Authorization", "Bearer "+vicTok)
	req.Header.Set("X-Forwarded-For", "203.0.113.66")
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
	}
	req, _ = http.NewRequest("POST", l.URL+"/api/v1/me/logout-all", nil)
	req.Header.Set("Authorization", "Bearer "+vicTok)
	req.Header.Set("X-Forwarded-For", "203.0.113.66")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Fatalf("logout-all: %v", err)
	}
	if ev := audits(triage.AuditLogoutAll); len(ev) != 1 || ev[0].Remote != "127.0.0.1" {
		t.Errorf("spoofed X-Forwarded-For reached the audit log: %+v", ev)
	}

	// A password change ends every session of the user.
	alice := l.mustToken(t, "alice", triage.RoleReviewer)
	const apw = "lanterns over the quiet harbour"
	l.setPassword(t, "alice", apw)
	ck1, csrf1, st1 := l.login(t, "alice", apw)
	ck2, _, st2 := l.login(t, "alice", apw)
	if st1 != 200 || st2 != 200 {
		t.Fatalf("logins: %d %d", st1, st2)
	}
	const npw = "seven copper kettles singing"
	body := fmt.Sprintf(`{"current":%q,"new":%q}`, apw, npw)
	req, _ = http.NewRequest("POST", l.URL+"/api/v1/me/password", strings.NewReader(body))
	req.AddCookie(&http.Cookie{Name: ck1.Name, Value: ck1.Value})
	req.Header.Set(api.CSRFHeader, csrf1)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 204 {
		t.Fatalf("change password: %v %v", resp, err)
	}
	for i, ck := range []*http.Cookie{ck1, ck2} {
		if r := l.cookieCall(t, ck, "", "GET", "/api/v1/session"); r.StatusCode != 401 {
			t.Errorf("session %d after the password change: %d, want 401", i+1, r.StatusCode)
		}
	}
	// "Log out everywhere" ends the other browsers' sessions.
	ck3, csrf3, _ := l.login(t, "alice", npw)
	ck4, _, _ := l.login(t, "alice", npw)
	if r := l.cookieCall(t, ck3, csrf3, "POST", "/api/v1/me/logout-all"); r.StatusCode != 200 {
		t.Errorf("logout-all: %d", r.StatusCode)
	}
	if r := l.cookieCall(t, ck4, "", "GET", "/api/v1/session"); r.StatusCode != 401 {
		t.Errorf("the other browser after logout-all: %d, want 401", r.StatusCode)
	}

	// Disabling a user stops their token and sessions at once.
	ck5, _, _ := l.login(t, "alice", npw)
	if st := l.call(t, alice, "GET", "/api/v1/me", nil, nil); st != 200 {
		t.Fatalf("alice: %d", st)
	}
	if st := l.call(t, admin, "PATCH", "/api/v1/users/alice", strings.NewReader(`{"disabled":true}`), nil); st != 200 {
		t.Fatalf("disable: %d", st)
	}
	if st := l.call(t, alice, "GET", "/api/v1/me", nil, nil); st != 401 {
		t.Errorf("token of a disabled user, right after: %d, want 401", st)
	}
	if r := l.cookieCall(t, ck5, "", "GET", "/api/v1/session"); r.StatusCode != 401 {
		t.Errorf("session of a disabled user: %d", r.StatusCode)
	}
	if _, _, st := l.login(t, "alice", npw); st != 401 {
		t.Errorf("login of a disabled user: %d", st)
	}

	// Tokens: listed with their last use, revoked at once.
	var ts struct{ Tokens []api.TokenInfoJSON }
	if st := l.call(t, admin, "GET", "/api/v1/tokens?user=vic", nil, &ts); st != 200 || len(ts.Tokens) != 1 || ts.Tokens[0].LastUsed.IsZero() {
		t.Fatalf("token list: %d %+v", st, ts)
	}
	if st := l.call(t, admin, "DELETE", fmt.Sprint("/api/v1/tokens/", ts.Tokens[0].ID), nil, nil); st != 204 {
		t.Fatalf("revoke: %d", st)
	}
	if st := l.call(t, vicTok, "GET", "/api/v1/me", nil, nil); st != 401 {
		t.Errorf("revoked token, right after: %d, want 401", st)
	}
	code, _, errs := runWinnowEnv(t, vars, "admin", "token", "create", "--user", "vic")
	if code != 0 || !strings.Contains(errs, "token ") {
		t.Errorf("token create prints no id: %s", errs)
	}
	if code, out, _ := runWinnowEnv(t, vars, "admin", "token", "list", "--user", "vic"); code != 0 || strings.Count(out, "\n") != 1 {
		t.Errorf("token list: %s", out)
	}
}
