package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

// AccessStores is one backend's implementation of the case boundary,
// sessions and wellness, with the stores they rest on.
type AccessStores struct {
	Cases    triage.CaseStore
	Items    triage.ItemStore
	Users    triage.UserStore
	Audit    triage.AuditStore
	Access   triage.AccessStore
	Sessions triage.SessionStore
	Wellness triage.WellnessStore
}

// Clock is a time source a suite moves on by hand.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock at 09:00 UTC on 1 March 2026.
func NewClock() *Clock { return &Clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestAccessStores runs the contract of the access, session and wellness
// stores against stores that open returns, fresh and empty for each
// subtest, reading the time from now.
func TestAccessStores(t *testing.T, open func(t *testing.T, now func() time.Time) AccessStores) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, AccessStores, *Clock)
	}{
		{"CaseMembers", testCaseMembers},
		{"Evidence", testEvidenceAccess},
		{"Sessions", testSessions},
		{"Wellness", testWellness},
		{"RevealOnce", testRevealOnce},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewClock()
			tc.run(t, open(t, c.Now), c)
		})
	}
}

// badEvent is an audit event no store can record: the action it goes
// with must not happen.
func badEvent() *triage.AuditEvent { return &triage.AuditEvent{Action: "bad\x00action"} }

// mustUsers creates users with the roles given, by name.
func mustUsers(t *testing.T, s triage.UserStore, roles map[string]triage.Role) map[string]triage.User {
	t.Helper()
	out := map[string]triage.User{}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range roles {
			if !yield(n) {
				return
			}
		}
	}) {
		u := triage.User{Name: name, Role: roles[name]}
		if err := s.CreateUser(context.Background(), &u, nil); err != nil {
			t.Fatal(err)
		}
		out[name] = u
	}
	return out
}

func names(us []triage.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Name)
	}
	return out
}

func testCaseMembers(t *testing.T, s AccessStores, _ *Clock) {
	ctx := context.Background()
	us := mustUsers(t, s.Users, map[string]triage.Role{"ann": triage.RoleReviewer, "bob": triage.RoleReviewer, "root": triage.RoleAdmin, "aud": triage.RoleAuditor})
	c1 := MustExhibit(t, s.Cases, "c1", "e").CaseID
	c2 := MustExhibit(t, s.Cases, "c2", "e").CaseID
	add := triage.AuditEvent{Action: triage.AuditCaseMember, Target: "case/c1", UserName: "root", Detail: map[string]string{"added": "ann"}}
	if err := s.Access.AddCaseMember(ctx, c1, us["ann"].ID, &add); err != nil || add.ID == 0 {
		t.Fatalf("AddCaseMember = %v, event %+v", err, add)
	}
	for _, err := range []error{
		s.Access.AddCaseMember(ctx, c1, us["ann"].ID, nil), // twice: not an error
		s.Access.AddCaseMember(ctx, c1, us["bob"].ID, nil),
		s.Access.AddCaseMember(ctx, c2, us["bob"].ID, nil),
	} {
		if err != nil {
			t.Fatalf("AddCaseMember: %v", err)
		}
	}
	wantCode(t, s.Access.AddCaseMember(ctx, 987654, us["ann"].ID, nil), triage.ENOTFOUND)
	wantCode(t, s.Access.AddCaseMember(ctx, c1, 987654, nil), triage.ENOTFOUND)
	// A change whose audit event cannot be recorded is not made.
	if err := s.Access.AddCaseMember(ctx, c2, us["ann"].ID, badEvent()); err == nil {
		t.Error("AddCaseMember with an event that cannot be recorded succeeded")
	}
	for _, tc := range []struct {
		who  string
		c    int64
		want bool
	}{{"ann", c1, true}, {"ann", c2, false}, {"bob", c2, true}, {"root", c2, true}, {"aud", c1, true}} {
		if ok, err := s.Access.CanSeeCase(ctx, triage.ViewerOf(us[tc.who]), tc.c); err != nil || ok != tc.want {
			t.Errorf("%s sees case %d: %t, %v; want %t", tc.who, tc.c, ok, err, tc.want)
		}
	}
	if ids, err := s.Access.MemberCases(ctx, us["bob"].ID); err != nil || !slices.Equal(ids, []int64{c1, c2}) {
		t.Errorf("MemberCases(bob) = %v, %v; want [%d %d]", ids, err, c1, c2)
	}
	if ids, err := s.Access.MemberCases(ctx, us["root"].ID); err != nil || len(ids) != 0 {
		t.Errorf("MemberCases(root) = %v, %v; want none (admins see every case without being members)", ids, err)
	}
	if ms, err := s.Access.CaseMembers(ctx, c1); err != nil || !slices.Equal(names(ms), []string{"ann", "bob"}) {
		t.Errorf("CaseMembers(c1) = %v, %v; want ann, bob", names(ms), err)
	}

	if err := s.Access.RemoveCaseMember(ctx, c1, us["bob"].ID, badEvent()); err == nil {
		t.Error("RemoveCaseMember with an event that cannot be recorded succeeded")
	}
	if ok, _ := s.Access.CanSeeCase(ctx, triage.ViewerOf(us["bob"]), c1); !ok {
		t.Error("a removal whose audit event failed took effect")
	}
	rm := triage.AuditEvent{Action: triage.AuditCaseMember, Target: "case/c1", Detail: map[string]string{"removed": "bob"}}
	if err := s.Access.RemoveCaseMember(ctx, c1, us["bob"].ID, &rm); err != nil || rm.ID == 0 {
		t.Fatalf("RemoveCaseMember = %v, event %+v", err, rm)
	}
	wantCode(t, s.Access.RemoveCaseMember(ctx, c1, us["bob"].ID, nil), triage.ENOTFOUND)
	if ok, _ := s.Access.CanSeeCase(ctx, triage.ViewerOf(us["bob"]), c1); ok {
		t.Error("bob still sees the case he was removed from")
	}
	evs, err := s.Audit.AuditEvents(ctx, triage.AuditFilter{Target: "case/c1"})
	if err != nil || len(evs) != 2 || evs[0].Detail["removed"] != "bob" || evs[1].Detail["added"] != "ann" {
		t.Errorf("audit events of case/c1 = %+v, %v; want the removal and the addition", evs, err)
	}
}

func testEvidenceAccess(t *testing.T, s AccessStores, _ *Clock) {
	ctx := context.Background()
	us := mustUsers(t, s.Users, map[string]triage.Role{"ann": triage.RoleReviewer, "bob": triage.RoleReviewer, "root": triage.RoleAdmin})
	e1, e2 := MustExhibit(t, s.Cases, "c1", "e"), MustExhibit(t, s.Cases, "c2", "e")
	if err := s.Access.AddCaseMember(ctx, e1.CaseID, us["ann"].ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Access.AddCaseMember(ctx, e2.CaseID, us["bob"].ID, nil); err != nil {
		t.Fatal(err)
	}
	it := ItemFor(e1, "a.jpg", 1)
	if _, err := s.Items.CreateItem(ctx, it, nil, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		who  string
		sum  triage.SHA256
		want bool
	}{{"ann", it.SHA256, true}, {"bob", it.SHA256, false}, {"root", it.SHA256, true}, {"ann", triage.SHA256{7, 7}, false}, {"root", triage.SHA256{7, 7}, false}} {
		if ok, err := s.Access.CanSeeEvidence(ctx, triage.ViewerOf(us[tc.who]), tc.sum); err != nil || ok != tc.want {
			t.Errorf("%s sees content %s: %t, %v; want %t", tc.who, tc.sum, ok, err, tc.want)
		}
	}
	// The same content in bob's case: now he may see it too.
	if _, err := s.Items.CreateItem(ctx, ItemFor(e2, "copy.jpg", 1), nil, nil); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.Access.CanSeeEvidence(ctx, triage.ViewerOf(us["bob"]), it.SHA256); err != nil || !ok {
		t.Errorf("bob sees content in his case: %t, %v", ok, err)
	}
}

func testSessions(t *testing.T, s AccessStores, c *Clock) {
	ctx := context.Background()
	us := mustUsers(t, s.Users, map[string]triage.Role{"ann": triage.RoleReviewer, "bob": triage.RoleReviewer})
	ann := us["ann"]
	if u, h, err := s.Sessions.PasswordHash(ctx, "ann"); err != nil || u.ID != ann.ID || h != "" {
		t.Errorf("PasswordHash before a password = %+v, %q, %v; want ann, no hash", u, h, err)
	}
	if err := s.Sessions.SetPassword(ctx, ann.ID, "$argon2id$x", nil); err != nil {
		t.Fatal(err)
	}
	if u, h, err := s.Sessions.PasswordHash(ctx, "ann"); err != nil || u.ID != ann.ID || u.Role != triage.RoleReviewer || h != "$argon2id$x" {
		t.Errorf("PasswordHash = %+v, %q, %v", u, h, err)
	}
	_, _, err := s.Sessions.PasswordHash(ctx, "nobody")
	wantCode(t, err, triage.ENOTFOUND)
	wantCode(t, s.Sessions.SetPassword(ctx, 987654, "$argon2id$y", nil), triage.ENOTFOUND)
	if err := s.Sessions.SetPassword(ctx, ann.ID, "$argon2id$lost", badEvent()); err == nil {
		t.Error("SetPassword with an event that cannot be recorded succeeded")
	}
	if _, h, _ := s.Sessions.PasswordHash(ctx, "ann"); h != "$argon2id$x" {
		t.Errorf("a password change whose audit event failed took effect: %q", h)
	}

	now := c.Now()
	session := func(userID int64, b byte) triage.Session {
		return triage.Session{UserID: userID, Hash: triage.SHA256{b}, CSRF: "tok", IdleUntil: now.Add(30 * time.Minute), ExpiresAt: now.Add(time.Hour)}
	}
	// The login's audit event commits with the session: one that cannot
	// be recorded leaves no session.
	lost := session(ann.ID, 8)
	if err := s.Sessions.CreateSession(ctx, &lost, badEvent()); err == nil {
		t.Fatal("CreateSession with an event that cannot be recorded succeeded")
	}
	if _, _, err := s.Sessions.TouchSession(ctx, lost.Hash, time.Minute); err == nil {
		t.Error("a session whose login event was not recorded works")
	}
	ss := session(ann.ID, 9)
	login := triage.AuditEvent{Action: triage.AuditLogin, Target: "user/ann"}
	if err := s.Sessions.CreateSession(ctx, &ss, &login); err != nil || login.Seq == 0 || ss.ID == 0 || !ss.CreatedAt.Equal(now) {
		t.Fatalf("CreateSession = %v, session %+v, event %+v", err, ss, login)
	}
	c.Advance(20 * time.Minute)
	if u, got, err := s.Sessions.TouchSession(ctx, ss.Hash, 30*time.Minute); err != nil || u.Name != "ann" || got.CSRF != "tok" ||
		got.ID != ss.ID || got.UserID != ann.ID || !got.IdleUntil.Equal(c.Now().Add(30*time.Minute)) || !got.ExpiresAt.Equal(ss.ExpiresAt) {
		t.Errorf("TouchSession = %+v, %+v, %v", u, got, err)
	}
	// The idle expiry never passes the fixed one.
	c.Advance(20 * time.Minute)
	if _, got, err := s.Sessions.TouchSession(ctx, ss.Hash, 30*time.Minute); err != nil || !got.IdleUntil.Equal(ss.ExpiresAt) {
		t.Errorf("TouchSession near the end = %+v, %v; want idle until %v", got, err, ss.ExpiresAt)
	}
	c.Advance(21 * time.Minute) // an hour and a minute since login
	_, _, err = s.Sessions.TouchSession(ctx, ss.Hash, 30*time.Minute)
	wantCode(t, err, triage.EUNAUTHORIZED)

	now = c.Now()
	idle := session(ann.ID, 10)
	if err := s.Sessions.CreateSession(ctx, &idle, nil); err != nil {
		t.Fatal(err)
	}
	c.Advance(31 * time.Minute) // idle for 31 minutes
	_, _, err = s.Sessions.TouchSession(ctx, idle.Hash, 30*time.Minute)
	wantCode(t, err, triage.EUNAUTHORIZED)

	// Logging out; every session of a user; a new password or a disabled
	// user ends them.
	now = c.Now()
	a1, a2, b1 := session(ann.ID, 11), session(ann.ID, 12), session(us["bob"].ID, 13)
	for _, x := range []*triage.Session{&a1, &a2, &b1} {
		if err := s.Sessions.CreateSession(ctx, x, nil); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sessions.DeleteSession(ctx, a1.Hash); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Sessions.TouchSession(ctx, a1.Hash, time.Minute)
	wantCode(t, err, triage.EUNAUTHORIZED)
	if n, err := s.Sessions.DeleteSessions(ctx, ann.ID); err != nil || n != 1 {
		t.Errorf("DeleteSessions = %d, %v; want ann's one live session", n, err)
	}
	_, _, err = s.Sessions.TouchSession(ctx, a2.Hash, time.Minute)
	wantCode(t, err, triage.EUNAUTHORIZED)
	a3 := session(ann.ID, 14)
	if err := s.Sessions.CreateSession(ctx, &a3, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Sessions.SetPassword(ctx, ann.ID, "$argon2id$z", nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Sessions.TouchSession(ctx, a3.Hash, time.Minute)
	wantCode(t, err, triage.EUNAUTHORIZED)
	if _, _, err := s.Sessions.TouchSession(ctx, b1.Hash, time.Minute); err != nil {
		t.Errorf("bob's session after ann's changes: %v", err)
	}
	if err := s.Users.SetDisabled(ctx, us["bob"].ID, true, nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Sessions.TouchSession(ctx, b1.Hash, time.Minute)
	wantCode(t, err, triage.EUNAUTHORIZED)
	if err := s.Users.SetDisabled(ctx, us["bob"].ID, false, nil); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Sessions.TouchSession(ctx, b1.Hash, time.Minute)
	wantCode(t, err, triage.EUNAUTHORIZED) // ended, not suspended
}

func testWellness(t *testing.T, s AccessStores, c *Clock) {
	ctx := context.Background()
	ann := mustUsers(t, s.Users, map[string]triage.Role{"ann": triage.RoleReviewer})["ann"]
	w, err := s.Wellness.WellnessSettings(ctx, ann.ID)
	if err != nil || w != triage.DefaultWellnessSettings() {
		t.Errorf("WellnessSettings before any = %+v, %v; want the defaults", w, err)
	}
	if e, err := s.Wellness.Exposure(ctx, ann.ID); err != nil || e != (triage.Exposure{}) {
		t.Errorf("Exposure before any = %+v, %v", e, err)
	}
	bad := w
	bad.RevealMode = "peek"
	wantCode(t, s.Wellness.SaveWellnessSettings(ctx, ann.ID, bad, nil), triage.EINVALID)
	w.Blur, w.RevealMode, w.BreakEvery, w.BreakMinutes = 8, "hold", 3, 10
	if err := s.Wellness.SaveWellnessSettings(ctx, ann.ID, w, badEvent()); err == nil {
		t.Error("SaveWellnessSettings with an event that cannot be recorded succeeded")
	}
	if got, _ := s.Wellness.WellnessSettings(ctx, ann.ID); got != triage.DefaultWellnessSettings() {
		t.Errorf("settings whose audit event failed were saved: %+v", got)
	}
	saved := triage.AuditEvent{Action: triage.AuditWellness, Target: "user/ann"}
	if err := s.Wellness.SaveWellnessSettings(ctx, ann.ID, w, &saved); err != nil || saved.ID == 0 {
		t.Fatalf("SaveWellnessSettings = %v, event %+v", err, saved)
	}
	if got, _ := s.Wellness.WellnessSettings(ctx, ann.ID); got != w {
		t.Errorf("saved %+v, read %+v", w, got)
	}

	e, err := s.Wellness.AddExposure(ctx, ann.ID, 2, 0)
	if err != nil || e.Today != 2 || e.Total != 2 || e.SinceBreak != 2 || e.BreakDue {
		t.Errorf("AddExposure(2) = %+v, %v", e, err)
	}
	if e, _ = s.Wellness.AddExposure(ctx, ann.ID, 1, 0); !e.BreakDue || e.SinceBreak != 3 {
		t.Errorf("AddExposure to BreakEvery = %+v; want a break due", e)
	}
	_, err = s.Wellness.AddExposure(ctx, ann.ID, -1, 0)
	wantCode(t, err, triage.EINVALID)
	_, err = s.Wellness.AddExposure(ctx, ann.ID, 10001, 0)
	wantCode(t, err, triage.EINVALID)
	c.Advance(time.Minute)
	if e, _ = s.Wellness.TakeBreak(ctx, ann.ID); e.BreakDue || e.SinceBreak != 0 || e.Total != 3 || e.Today != 3 || !e.LastBreak.Equal(c.Now()) {
		t.Errorf("after a break %+v", e)
	}
	// Time since the break calls for the next one, once something was
	// revealed.
	c.Advance(11 * time.Minute)
	if e, _ = s.Wellness.Exposure(ctx, ann.ID); e.BreakDue {
		t.Errorf("break due with nothing revealed since the last: %+v", e)
	}
	if e, _ = s.Wellness.AddExposure(ctx, ann.ID, 1, 0); !e.BreakDue || e.SinceBreak != 1 {
		t.Errorf("after %d minutes: %+v; want a break due", w.BreakMinutes+1, e)
	}
	// A new day starts a new count; the total goes on.
	c.Advance(24 * time.Hour)
	if e, _ = s.Wellness.AddExposure(ctx, ann.ID, 5, 0); e.Today != 5 || e.Total != 9 {
		t.Errorf("the next day: %+v; want today 5 of 9", e)
	}
}

// testRevealOnce: one reveal counts once: the same item revealed again (a
// tile toggled, a second tab) before the next break is not counted again.
func testRevealOnce(t *testing.T, s AccessStores, c *Clock) {
	ctx := context.Background()
	ann := mustUsers(t, s.Users, map[string]triage.Role{"ann": triage.RoleReviewer})["ann"]
	ex := MustExhibit(t, s.Cases, "w", "phone")
	it, other := ItemFor(ex, "a.jpg", 1), ItemFor(ex, "b.jpg", 2)
	for _, x := range []*triage.Item{it, other} {
		if _, err := s.Items.CreateItem(ctx, x, nil, nil); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		if e, err := s.Wellness.AddExposure(ctx, ann.ID, 1, it.ID); err != nil || e.Total != 1 || e.SinceBreak != 1 {
			t.Errorf("AddExposure of one item = %+v, %v; want it counted once", e, err)
		}
	}
	_, err := s.Wellness.AddExposure(ctx, ann.ID, 2, it.ID)
	wantCode(t, err, triage.EINVALID)
	if e, _ := s.Wellness.AddExposure(ctx, ann.ID, 1, other.ID); e.Total != 2 {
		t.Errorf("another item: %+v; want it counted", e)
	}
	c.Advance(time.Minute)
	if _, err := s.Wellness.TakeBreak(ctx, ann.ID); err != nil {
		t.Fatal(err)
	}
	// After a break, revealing the item again is a new exposure.
	c.Advance(time.Minute)
	if e, _ := s.Wellness.AddExposure(ctx, ann.ID, 1, it.ID); e.SinceBreak != 1 || e.Total != 3 {
		t.Errorf("the item again after a break: %+v; want it counted", e)
	}
	if e, _ := s.Wellness.AddExposure(ctx, ann.ID, 1, it.ID); e.SinceBreak != 1 || e.Total != 3 {
		t.Errorf("and once more: %+v; want it not counted", e)
	}
}
