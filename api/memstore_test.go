package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest/memstore"
	"github.com/winnow-forensics/winnow/triage/triagetest/storetest"
)

// Handler tests on in-memory stores (package memstore): the API as the
// lab runs it, without PostgreSQL, MinIO or Redis, in milliseconds. The
// same behaviour on the real services is tested in cmd/winnow.

// imports records the hash-set imports queued.
type imports struct {
	mu  sync.Mutex
	got [][2]int64
}

func (q *imports) EnqueueAnalyze(context.Context, int64) error { return nil }

func (q *imports) EnqueueImport(_ context.Context, setID, rev int64) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.got = append(q.got, [2]int64{setID, rev})
	return nil
}

// memLab is the API server on in-memory stores.
type memLab struct {
	srv      *httptest.Server
	cases    *memstore.Cases
	items    *memstore.Items
	users    *memstore.Users
	audit    *memstore.Audit
	sets     *memstore.Sets
	setFiles *memstore.Evidence
	queue    *imports
}

func newMemLab(t *testing.T, edit func(*Config)) *memLab {
	t.Helper()
	l := &memLab{cases: &memstore.Cases{}, audit: &memstore.Audit{}, setFiles: &memstore.Evidence{}, queue: &imports{}}
	l.items = &memstore.Items{Cases: l.cases, Audit: l.audit}
	l.users = &memstore.Users{Audit: l.audit}
	l.sets = &memstore.Sets{Audit: l.audit}
	cfg := Config{Cases: l.cases, Items: l.items, Users: l.users, Audit: l.audit, Sets: l.sets,
		Evidence: &memstore.Evidence{}, SetFiles: l.setFiles, Enqueuer: l.queue,
		Access:   &memstore.Access{Cases: l.cases, Users: l.users, Items: l.items, Audit: l.audit},
		Sessions: l.users, Wellness: &memstore.Wellness{Audit: l.audit}}
	if edit != nil {
		edit(&cfg)
	}
	l.srv = httptest.NewServer(New(cfg))
	t.Cleanup(l.srv.Close)
	return l
}

// user creates a user and returns a bearer token's secret for them.
func (l *memLab) user(t *testing.T, name string, role triage.Role) string {
	t.Helper()
	ctx := context.Background()
	u := triage.User{Name: name, Role: role}
	if err := l.users.CreateUser(ctx, &u, nil); err != nil {
		t.Fatal(err)
	}
	secret, hash := triage.NewTokenSecret()
	if err := l.users.CreateToken(ctx, &triage.Token{UserID: u.ID, Hash: hash}, nil); err != nil {
		t.Fatal(err)
	}
	return secret
}

// call sends a request with the headers given (a bare value is a bearer
// token's secret) and returns the status and the body, decoded into out
// when out is not nil.
func (l *memLab) call(t *testing.T, method, path string, body []byte, header map[string]string, out any) (int, http.Header) {
	t.Helper()
	req, err := http.NewRequest(method, l.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, b)
		}
	}
	return resp.StatusCode, resp.Header
}

func bearer(secret string) map[string]string {
	return map[string]string{"Authorization": "Bearer " + secret}
}

// auditActions lists the actions of the audit events on target, newest
// first.
func (l *memLab) auditActions(t *testing.T, target string) []string {
	t.Helper()
	evs, err := l.audit.AuditEvents(context.Background(), triage.AuditFilter{Target: target})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		out = append(out, e.Action)
	}
	return out
}

// TestMemSessions: a browser session from login to "log out everywhere":
// wrong passwords are refused and audited, the cookie authenticates,
// changes need the CSRF token, wellness settings and exposure are the
// user's, and ending every session ends this one.
func TestMemSessions(t *testing.T) {
	ctx := context.Background()
	l := newMemLab(t, func(c *Config) { c.Review.InsecureCookies = true })
	l.user(t, "ann", triage.RoleReviewer)
	u, err := l.users.UserByName(ctx, "ann")
	if err != nil {
		t.Fatal(err)
	}
	const password = "correct horse battery"
	hash, err := HashPassword(password, PasswordParams{Memory: 1 << 10, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.users.SetPassword(ctx, u.ID, hash, nil); err != nil {
		t.Fatal(err)
	}
	asJSON := map[string]string{"Content-Type": "application/json"}
	if code, _ := l.call(t, "POST", "/api/v1/login", []byte(`{"name":"ann","password":"wrong horse battery"}`), asJSON, nil); code != http.StatusUnauthorized {
		t.Errorf("login with a wrong password: %d, want 401", code)
	}
	if code, _ := l.call(t, "POST", "/api/v1/login", []byte(`{"name":"ann","password":"`+password+`"}`), map[string]string{"Content-Type": "text/plain"}, nil); code != http.StatusUnsupportedMediaType {
		t.Errorf("login as text/plain: %d, want 415", code)
	}
	var login SessionJSON
	code, h := l.call(t, "POST", "/api/v1/login", []byte(`{"name":"ann","password":"`+password+`"}`), asJSON, &login)
	if code != http.StatusOK || login.CSRFToken == "" || login.User.Name != "ann" {
		t.Fatalf("login: %d %+v", code, login)
	}
	var cookie string
	for _, ck := range (&http.Response{Header: h}).Cookies() {
		if ck.Name == SessionCookie {
			cookie = ck.Name + "=" + ck.Value
		}
	}
	if cookie == "" {
		t.Fatal("login set no session cookie")
	}
	if got := l.auditActions(t, "user/ann"); len(got) != 2 || got[0] != triage.AuditLogin || got[1] != triage.AuditLoginFailed {
		t.Errorf("audit of user/ann %v; want the failed login, then the login", got)
	}
	session := map[string]string{"Cookie": cookie}
	withCSRF := map[string]string{"Cookie": cookie, CSRFHeader: login.CSRFToken, "Content-Type": "application/json"}
	var me SessionJSON
	if code, _ := l.call(t, "GET", "/api/v1/session", nil, session, &me); code != http.StatusOK || me.User.Name != "ann" || me.CSRFToken != login.CSRFToken {
		t.Errorf("session: %d %+v", code, me)
	}

	// Wellness settings: a change needs the CSRF token, is validated,
	// audited, and kept.
	body := []byte(`{"blur": 0, "break_every": 2}`)
	if code, _ := l.call(t, "PUT", "/api/v1/me/settings", body, session, nil); code != http.StatusForbidden {
		t.Errorf("settings without the CSRF token: %d, want 403", code)
	}
	if code, _ := l.call(t, "PUT", "/api/v1/me/settings", []byte(`{"reveal_mode": "peek"}`), withCSRF, nil); code != http.StatusBadRequest {
		t.Errorf("settings with a bad reveal mode: %d, want 400", code)
	}
	var w triage.WellnessSettings
	if code, _ := l.call(t, "PUT", "/api/v1/me/settings", body, withCSRF, &w); code != http.StatusOK || w.Blur != 0 || w.BreakEvery != 2 || w.RevealMode != "click" {
		t.Errorf("settings: %d %+v", code, w)
	}
	if code, _ := l.call(t, "GET", "/api/v1/me/settings", nil, session, &w); code != http.StatusOK || w.Blur != 0 || w.BreakEvery != 2 {
		t.Errorf("settings read back: %d %+v", code, w)
	}
	evs, _ := l.audit.AuditEvents(ctx, triage.AuditFilter{Action: triage.AuditWellness})
	if len(evs) != 1 || evs[0].Detail["blur_off"] != "true" || evs[0].UserName != "ann" {
		t.Errorf("wellness audit events %+v; want one saying the blur was turned off", evs)
	}
	var e triage.Exposure
	if code, _ := l.call(t, "POST", "/api/v1/me/exposure", []byte(`{"revealed": 2}`), withCSRF, &e); code != http.StatusOK || e.Today != 2 || !e.BreakDue {
		t.Errorf("exposure: %d %+v; want 2 today and a break due", code, e)
	}
	if code, _ := l.call(t, "POST", "/api/v1/me/exposure/break", nil, withCSRF, &e); code != http.StatusOK || e.BreakDue || e.SinceBreak != 0 || e.Total != 2 {
		t.Errorf("break: %d %+v", code, e)
	}

	var ended struct {
		N int64 `json:"sessions_ended"`
	}
	if code, _ := l.call(t, "POST", "/api/v1/me/logout-all", nil, withCSRF, &ended); code != http.StatusOK || ended.N != 1 {
		t.Errorf("logout-all: %d %+v; want 1 session ended", code, ended)
	}
	if code, _ := l.call(t, "GET", "/api/v1/session", nil, session, nil); code != http.StatusUnauthorized {
		t.Errorf("the session after logout-all: %d, want 401", code)
	}
}

// TestMemCaseMembers: the case boundary through the API: a reviewer sees
// a case, its items and reveals its media only while a member; an
// administrator adds and removes members, audited.
func TestMemCaseMembers(t *testing.T) {
	ctx := context.Background()
	l := newMemLab(t, nil)
	admin, bob := bearer(l.user(t, "root", triage.RoleAdmin)), bearer(l.user(t, "bob", triage.RoleReviewer))
	it := storetest.ItemFor(storetest.MustExhibit(t, l.cases, "c1", "e1"), "a.jpg", 1)
	if _, err := l.items.CreateItem(ctx, it, nil, nil); err != nil {
		t.Fatal(err)
	}
	reveal := []byte(`{"revealed": 1, "item_id": ` + strconv.FormatInt(it.ID, 10) + `}`)
	sees := func(want int) {
		t.Helper()
		if code, _ := l.call(t, "GET", "/api/v1/cases/c1", nil, bob, nil); code != want {
			t.Errorf("bob reads the case: %d, want %d", code, want)
		}
		if code, _ := l.call(t, "GET", "/api/v1/items/"+strconv.FormatInt(it.ID, 10), nil, bob, nil); code != want {
			t.Errorf("bob reads the item: %d, want %d", code, want)
		}
		if code, _ := l.call(t, "POST", "/api/v1/me/exposure", reveal, bob, nil); code != want {
			t.Errorf("bob reveals the item: %d, want %d", code, want)
		}
	}
	sees(http.StatusNotFound)
	if code, _ := l.call(t, "PUT", "/api/v1/cases/c1/members/bob", nil, bob, nil); code != http.StatusForbidden {
		t.Errorf("bob adds himself: %d, want 403", code)
	}
	if code, _ := l.call(t, "PUT", "/api/v1/cases/c1/members/nobody", nil, admin, nil); code != http.StatusNotFound {
		t.Errorf("adding an unknown user: %d, want 404", code)
	}
	if code, _ := l.call(t, "PUT", "/api/v1/cases/c1/members/bob", nil, admin, nil); code != http.StatusNoContent {
		t.Fatalf("adding bob: %d", code)
	}
	sees(http.StatusOK)
	var ms struct {
		Members []triage.User `json:"members"`
	}
	if code, _ := l.call(t, "GET", "/api/v1/cases/c1/members", nil, admin, &ms); code != http.StatusOK || len(ms.Members) != 1 || ms.Members[0].Name != "bob" {
		t.Errorf("members: %d %+v", code, ms)
	}
	if code, _ := l.call(t, "DELETE", "/api/v1/cases/c1/members/bob", nil, admin, nil); code != http.StatusNoContent {
		t.Fatalf("removing bob: %d", code)
	}
	sees(http.StatusNotFound) // at once, though this server cached the membership
	if code, _ := l.call(t, "DELETE", "/api/v1/cases/c1/members/bob", nil, admin, nil); code != http.StatusNotFound {
		t.Errorf("removing bob twice: %d, want 404", code)
	}
	evs, _ := l.audit.AuditEvents(ctx, triage.AuditFilter{Action: triage.AuditCaseMember})
	if len(evs) != 2 || evs[0].Detail["op"] != "remove" || evs[1].Detail["op"] != "add" || evs[1].Detail["user"] != "bob" || evs[1].UserName != "root" {
		t.Errorf("case member audit events %+v; want bob added, then removed, by root", evs)
	}
	if got := l.auditActions(t, "item/"+strconv.FormatInt(it.ID, 10)); !strings.Contains(strings.Join(got, " "), triage.AuditMediaAccess) {
		t.Errorf("audit of the item %v; want the reveal recorded as a media access", got)
	}
}

// TestMemPushSet: a pushed hash-set file is stored, the set recorded with
// its audit event and its import queued (202); the same file again is
// 200 with nothing new recorded; a bad kind, a file over the limit or a
// role without the permission is refused with nothing stored.
func TestMemPushSet(t *testing.T) {
	ctx := context.Background()
	l := newMemLab(t, func(c *Config) { c.MaxSetBytes = 64 })
	admin, bob := bearer(l.user(t, "root", triage.RoleAdmin)), bearer(l.user(t, "bob", triage.RoleReviewer))
	file := []byte("a compiled hash-set file")
	var st SetJSON
	if code, _ := l.call(t, "PUT", "/api/v1/hashsets/known?version=7&description=d", file, admin, &st); code != http.StatusAccepted ||
		st.State != triage.SetImporting || st.Version != "7" || st.Kind != triage.SetKindAlert || st.Rev != 1 || st.Size != int64(len(file)) {
		t.Fatalf("push: %d %+v", code, st)
	}
	if sum, err := triage.ParseSHA256(st.SHA256); err != nil {
		t.Errorf("sha256 %q: %v", st.SHA256, err)
	} else if _, err := l.setFiles.Stat(ctx, sum); err != nil {
		t.Errorf("the pushed file is not stored: %v", err)
	}
	if len(l.queue.got) != 1 || l.queue.got[0] != [2]int64{st.ID, 1} {
		t.Errorf("imports queued %v", l.queue.got)
	}
	if err := l.sets.ImportSet(ctx, st.ID, 1, triage.SetMeta{}, func(func(triage.Entry) bool) {}, nil); err != nil {
		t.Fatal(err)
	}
	if code, _ := l.call(t, "PUT", "/api/v1/hashsets/known?version=7", file, admin, &st); code != http.StatusOK || st.Rev != 1 || len(l.queue.got) != 1 {
		t.Errorf("the same file again: %d %+v, queued %v", code, st, l.queue.got)
	}
	for _, tc := range []struct {
		name, path string
		body       []byte
		who        map[string]string
		want       int
	}{
		{"bad kind", "/api/v1/hashsets/other?kind=sometimes", []byte("other file"), admin, http.StatusBadRequest},
		{"bad name", "/api/v1/hashsets/..", []byte("other file"), admin, http.StatusBadRequest},
		{"too large", "/api/v1/hashsets/other", bytes.Repeat([]byte("x"), 65), admin, http.StatusRequestEntityTooLarge},
		{"reviewer", "/api/v1/hashsets/other", []byte("other file"), bob, http.StatusForbidden},
	} {
		if code, _ := l.call(t, "PUT", tc.path, tc.body, tc.who, nil); code != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, code, tc.want)
		}
	}
	if sets, _ := l.sets.Sets(ctx); len(sets) != 1 {
		t.Errorf("sets %+v; want only the first", sets)
	}
	if got := l.auditActions(t, "hashset/known"); len(got) != 1 || got[0] != triage.AuditHashSetPush {
		t.Errorf("audit of hashset/known %v; want one push", got)
	}
}
