package api

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

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
	*memstore.Lab
	srv      *httptest.Server
	setFiles *memstore.Evidence
	queue    *imports
}

func newMemLab(t *testing.T, edit func(*Config)) *memLab {
	t.Helper()
	l := &memLab{Lab: memstore.New(nil), setFiles: &memstore.Evidence{}, queue: &imports{}}
	cfg := Config{Cases: l.Cases, Items: l.Items, Users: l.Users, Audit: l.Audit, Sets: l.Sets, Evidence: &memstore.Evidence{},
		SetFiles: l.setFiles, Enqueuer: l.queue, Access: l.Access, Reviews: l.Reviews, Sessions: l.Users, Wellness: l.Wellness}
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
	if err := l.Users.CreateUser(ctx, &u, nil); err != nil {
		t.Fatal(err)
	}
	secret, hash := triage.NewTokenSecret()
	if err := l.Users.CreateToken(ctx, &triage.Token{UserID: u.ID, Hash: hash}, nil); err != nil {
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
	evs, err := l.Audit.AuditEvents(context.Background(), triage.AuditFilter{Target: target})
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
	u, err := l.Users.UserByName(ctx, "ann")
	if err != nil {
		t.Fatal(err)
	}
	const password = "correct horse battery"
	hash, err := HashPassword(password, PasswordParams{Memory: 1 << 10, Time: 1, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Users.SetPassword(ctx, u.ID, hash, nil); err != nil {
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
	evs, _ := l.Audit.AuditEvents(ctx, triage.AuditFilter{Action: triage.AuditWellness})
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
	it := storetest.ItemFor(storetest.MustExhibit(t, l.Cases, "c1", "e1"), "a.jpg", 1)
	if _, err := l.Items.CreateItem(ctx, it, nil, nil); err != nil {
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
	evs, _ := l.Audit.AuditEvents(ctx, triage.AuditFilter{Action: triage.AuditCaseMember})
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
	if err := l.Sets.ImportSet(ctx, st.ID, 1, triage.SetMeta{}, func(func(triage.Entry) bool) {}, nil); err != nil {
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
	if sets, _ := l.Sets.Sets(ctx); len(sets) != 1 {
		t.Errorf("sets %+v; want only the first", sets)
	}
	if got := l.auditActions(t, "hashset/known"); len(got) != 1 || got[0] != triage.AuditHashSetPush {
		t.Errorf("audit of hashset/known %v; want one push", got)
	}
}

// finishedPhoto records an image in the exhibit and finishes it as a
// worker would, new material: it enters the review queue.
func (l *memLab) finishedPhoto(t *testing.T, ex triage.Exhibit, path string, n byte) triage.Item {
	t.Helper()
	ctx := context.Background()
	fp := triage.Fingerprint{Size: 1000 + int64(n), Type: triage.MediaType{MIME: triage.MIMEJPEG, Kind: triage.KindImage},
		Width: 800, Height: 600, Perceptual: true, PDQQuality: 100, PHash: triage.PHash(uint64(n) * 0x9e3779b97f4a7c15)}
	for i := range fp.PDQ {
		fp.PDQ[i] = byte(int(n)*31 + i*7)
	}
	fp.PDQDihedral[0] = fp.PDQ
	fp.SHA256[0], fp.MD5[0], fp.SHA1[0] = n, n, n
	it := triage.Item{ExhibitID: ex.ID, Path: path, Size: fp.Size, Digests: fp.Digests}
	if _, err := l.Items.CreateItem(ctx, &it, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Items.ClaimItem(ctx, it.ID, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Items.FinishItem(ctx, it.ID, triage.ItemResult{Fingerprint: &fp, Decision: triage.Decision{Verdict: triage.VerdictNew}}); err != nil {
		t.Fatal(err)
	}
	return it
}

// TestMemReview: the review queue through the API, with two agreeing
// votes required: a group only members of its case see, claims, an undo,
// a disagreement, the adjudicator's decision promoted into the local set,
// an overturn, the tiles and the item view, with their audit events.
func TestMemReview(t *testing.T) {
	ctx := context.Background()
	l := newMemLab(t, func(c *Config) { c.Review.RequiredVotes = 2 })
	tokens := map[string]map[string]string{}
	for name, role := range map[string]triage.Role{"ann": triage.RoleReviewer, "bob": triage.RoleReviewer,
		"judge": triage.RoleAdjudicator, "eve": triage.RoleReviewer} {
		tokens[name] = bearer(l.user(t, name, role))
		tokens[name]["Content-Type"] = "application/json"
	}
	ex := storetest.MustExhibit(t, l.Cases, "A", "phone")
	for _, name := range []string{"ann", "bob", "judge"} {
		u, _ := l.Users.UserByName(ctx, name)
		if err := l.Access.AddCaseMember(ctx, ex.CaseID, u.ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	it := l.finishedPhoto(t, ex, "DCIM/a.jpg", 1)
	l.finishedPhoto(t, ex, "DCIM/other.jpg", 90) // unrelated: a group of its own

	var q struct {
		Total  int         `json:"total"`
		Groups []GroupJSON `json:"groups"`
	}
	if code, _ := l.call(t, "GET", "/api/v1/review/queue", nil, tokens["ann"], &q); code != http.StatusOK || q.Total != 2 || len(q.Groups) != 2 {
		t.Fatalf("ann's queue: %d %+v", code, q)
	}
	if code, _ := l.call(t, "GET", "/api/v1/review/queue", nil, tokens["eve"], &q); code != http.StatusOK || q.Total != 0 {
		t.Errorf("eve's queue (no case): %d %+v", code, q)
	}
	var view struct {
		GroupID int64       `json:"group_id"`
		Member  *MemberJSON `json:"member"`
	}
	itemPath := "/api/v1/review/items/" + strconv.FormatInt(it.ID, 10)
	if code, _ := l.call(t, "GET", itemPath, nil, tokens["ann"], &view); code != http.StatusOK || view.GroupID == 0 || view.Member == nil {
		t.Fatalf("item view: %d %+v", code, view)
	}
	group := "/api/v1/review/groups/" + strconv.FormatInt(view.GroupID, 10)
	if code, _ := l.call(t, "GET", group, nil, tokens["eve"], nil); code != http.StatusNotFound {
		t.Errorf("eve reads the group: %d, want 404", code)
	}

	vote := func(who, category string, adjudicate bool) (int, []OutcomeJSON, int) {
		t.Helper()
		body, _ := json.Marshal(DecisionBody{Category: category, Claim: true, Adjudicate: adjudicate,
			Members: []string{view.Member.SHA256}})
		var res struct {
			Outcomes []OutcomeJSON `json:"outcomes"`
			Version  int           `json:"version"`
		}
		code, _ := l.call(t, "POST", group+"/decision", body, tokens[who], &res)
		return code, res.Outcomes, res.Version
	}
	if code, os, _ := vote("ann", "vic-us:1", false); code != http.StatusOK || len(os) != 1 || os[0].Status != triage.MemberPending || os[0].Needed != 1 {
		t.Fatalf("ann's vote: %d %+v", code, os)
	}
	// Ann takes her vote back while she holds the group, and votes again.
	var undo struct {
		Outcomes []OutcomeJSON `json:"outcomes"`
	}
	if code, _ := l.call(t, "POST", group+"/undo", []byte(`{}`), tokens["ann"], &undo); code != http.StatusOK || len(undo.Outcomes) != 1 ||
		undo.Outcomes[0].Status != triage.MemberPending || undo.Outcomes[0].Needed != 2 {
		t.Errorf("ann's undo: %d %+v", code, undo)
	}
	if code, _ := l.call(t, "POST", group+"/undo", []byte(`{}`), tokens["ann"], nil); code != http.StatusConflict {
		t.Errorf("undo with nothing left to undo: %d, want 409", code)
	}
	if code, os, _ := vote("ann", "vic-us:1", false); code != http.StatusOK || os[0].Needed != 1 {
		t.Fatalf("ann's vote again: %d %+v", code, os)
	}
	if code, _, _ := vote("bob", "vic-us:2", false); code != http.StatusConflict {
		t.Errorf("bob votes while ann holds the group: %d, want 409", code)
	}
	if code, _ := l.call(t, "POST", group+"/release", nil, tokens["ann"], nil); code != http.StatusNoContent {
		t.Fatalf("ann releases: %d", code)
	}
	if code, os, _ := vote("bob", "vic-us:2", false); code != http.StatusOK || os[0].Status != triage.MemberAdjudication {
		t.Fatalf("bob disagrees: %d %+v", code, os)
	}
	l.call(t, "POST", group+"/release", nil, tokens["bob"], nil)
	if code, _ := l.call(t, "GET", "/api/v1/review/queue?lane=adjudication", nil, tokens["ann"], nil); code != http.StatusForbidden {
		t.Errorf("a reviewer asks for the adjudication lane: %d, want 403", code)
	}
	if code, _ := l.call(t, "GET", "/api/v1/review/queue?lane=adjudication", nil, tokens["judge"], &q); code != http.StatusOK || q.Total != 1 {
		t.Errorf("the adjudication lane: %d %+v", code, q)
	}
	if code, os, version := vote("judge", "vic-us:2", true); code != http.StatusOK || os[0].Status != triage.MemberConfirmed || os[0].Entry != 0 || version != 1 {
		t.Fatalf("adjudication: %d %+v version %d", code, os, version)
	}
	var local struct {
		Entries  int64                    `json:"entries"`
		Versions []triage.LocalSetVersion `json:"versions"`
	}
	if code, _ := l.call(t, "GET", "/api/v1/review/localset", nil, tokens["ann"], &local); code != http.StatusOK || local.Entries != 1 ||
		len(local.Versions) != 1 || local.Versions[0].By != "judge" {
		t.Errorf("local set: %d %+v", code, local)
	}
	var votes struct {
		Votes []VoteJSON `json:"votes"`
	}
	member := "/api/v1/review/members/" + strconv.FormatInt(view.Member.ID, 10)
	if code, _ := l.call(t, "GET", member+"/votes", nil, tokens["judge"], &votes); code != http.StatusOK || len(votes.Votes) != 2 ||
		votes.Votes[0].Category != "vic-us:1" || votes.Votes[1].Category != "vic-us:2" {
		t.Errorf("votes: %d %+v", code, votes)
	}
	if code, _ := l.call(t, "GET", member+"/votes", nil, tokens["ann"], nil); code != http.StatusForbidden {
		t.Errorf("a reviewer reads the votes: %d, want 403", code)
	}
	var over triage.OverturnResult
	if code, _ := l.call(t, "POST", member+"/overturn", []byte(`{"category": "vic-us:3", "reason": "benign: a holiday photo"}`),
		tokens["judge"], &over); code != http.StatusOK || over.Previous != "vic-us:2" || over.Withdrawn != 0 || over.Entry != 1 || over.Version != 2 {
		t.Errorf("overturn: %d %+v", code, over)
	}
	if code, _ := l.call(t, "GET", itemPath, nil, tokens["bob"], &view); code != http.StatusOK || view.Member.Decision == nil ||
		view.Member.Decision.Category != "vic-us:3" || view.Member.Decision.Previous != "vic-us:2" {
		t.Errorf("the item view after the overturn: %d %+v", code, view.Member)
	}
	var tiles struct {
		Tiles []TileJSON `json:"tiles"`
		Total int        `json:"total"`
	}
	if code, _ := l.call(t, "GET", "/api/v1/review/tiles?state=todo&count=1", nil, tokens["ann"], &tiles); code != http.StatusOK ||
		tiles.Total != 1 || len(tiles.Tiles) != 1 || tiles.Tiles[0].Item.Path != "DCIM/other.jpg" {
		t.Errorf("ann's tiles to do: %d %+v", code, tiles)
	}
	var actions []string
	evs, _ := l.Audit.AuditEvents(ctx, triage.AuditFilter{Limit: 100})
	for _, e := range slices.Backward(evs) {
		actions = append(actions, e.Action)
	}
	want := []string{triage.AuditDecision, triage.AuditReviewUndo, triage.AuditDecision, triage.AuditDecision, triage.AuditAdjudicate, triage.AuditPromote, triage.AuditOverturn, triage.AuditWithdraw,
		triage.AuditPromote}
	var got []string
	for _, a := range actions {
		if slices.Contains(want, a) {
			got = append(got, a)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("audit actions %v; want %v in that order", actions, want)
	}
}
