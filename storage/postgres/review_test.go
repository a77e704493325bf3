package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/winnow-forensics/winnow/storage/postgres"
	"github.com/winnow-forensics/winnow/storage/servicetest"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/triagetest"
	"github.com/winnow-forensics/winnow/workers"
)

// clock is an injectable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// reviewFixture is a store on a fresh schema with a clock, users and a
// local set.
type reviewFixture struct {
	pg    servicetest.Postgres
	s     *postgres.Store
	clock *clock
	h     *hashing.Hasher
	users map[string]triage.User
}

func mustReview(t testing.TB) *reviewFixture {
	t.Helper()
	pg := servicetest.MustPostgres(t)
	c := &clock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	s, err := postgres.Open(context.Background(), postgres.Config{URL: pg.URL, Schema: pg.Schema, Now: c.now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	f := &reviewFixture{pg: pg, s: s, clock: c, h: hashing.New(workers.HasherOptions()), users: map[string]triage.User{}}
	for name, role := range map[string]triage.Role{"ann": triage.RoleReviewer, "bob": triage.RoleReviewer, "cy": triage.RoleReviewer,
		"judge": triage.RoleAdjudicator, "root": triage.RoleAdmin, "outsider": triage.RoleReviewer} {
		u := triage.User{Name: name, Role: role}
		if err := s.CreateUser(context.Background(), &u, nil); err != nil {
			t.Fatal(err)
		}
		f.users[name] = u
	}
	st := triage.StoredSet{Name: "local", Kind: triage.SetKindAlert, SHA256: triage.SHA256{1}, Size: 1}
	if err := s.EnsureLocalSet(context.Background(), &st); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *reviewFixture) viewer(name string) triage.Viewer { return triage.ViewerOf(f.users[name]) }

// item records and finishes one item of a case as the workers do; verdict
// variant gives it a suggested category.
func (f *reviewFixture) item(t *testing.T, caseName, exhibit, path string, img []byte, verdict triage.Verdict) triage.Item {
	t.Helper()
	return f.itemWith(t, caseName, exhibit, path, img, verdict, map[string]string{"Make": "Cam", "Model": "M", "GPSLatitude": "1.5", "GPSLongitude": "2.5"})
}

// itemWith is item with the EXIF summary the worker would have read.
func (f *reviewFixture) itemWith(t *testing.T, caseName, exhibit, path string, img []byte, verdict triage.Verdict, exif map[string]string) triage.Item {
	t.Helper()
	fp := f.h.HashBytes(context.Background(), img)
	d := triage.Decision{Verdict: verdict, Reason: "test"}
	if verdict == triage.VerdictVariant {
		d.Category = triage.MustParseCategory("caid:B")
	}
	return f.finished(t, caseName, exhibit, path, triage.ItemResult{Fingerprint: &fp, Decision: d, EXIF: exif})
}

// finished records an item of the case's exhibit at path that a worker
// finished with res.
func (f *reviewFixture) finished(t *testing.T, caseName, exhibit, path string, res triage.ItemResult) triage.Item {
	t.Helper()
	ctx := context.Background()
	c := triage.Case{Name: caseName}
	if _, err := f.s.EnsureCase(ctx, &c); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"ann", "bob", "cy", "judge"} {
		if err := f.s.AddCaseMember(ctx, c.ID, f.users[n].ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	e := triage.Exhibit{CaseID: c.ID, Name: exhibit}
	if _, err := f.s.EnsureExhibit(ctx, &e); err != nil {
		t.Fatal(err)
	}
	fp := res.Fingerprint
	it := triage.Item{ExhibitID: e.ID, Path: path, Size: fp.Size, Digests: fp.Digests}
	if _, err := f.s.CreateItem(ctx, &it, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.ClaimItem(ctx, it.ID, time.Minute); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a repeated task does nothing more
		if _, err := f.s.FinishItem(ctx, it.ID, res); err != nil {
			t.Fatal(err)
		}
	}
	return it
}

func (f *reviewFixture) group(t *testing.T, v triage.Viewer, itemID int64) triage.ReviewGroupDetail {
	t.Helper()
	view, err := f.s.ReviewItem(context.Background(), v, itemID)
	if err != nil {
		t.Fatal(err)
	}
	if view.GroupID == 0 {
		t.Fatalf("item %d is not in review", itemID)
	}
	g, err := f.s.ReviewGroup(context.Background(), v, view.GroupID)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestReviewGrouping(t *testing.T) {
	f := mustReview(t)
	a := triagetest.PhotoJPEG(640, 480, 1, 90)
	i1 := f.item(t, "case-a", "phone", "DCIM/a.jpg", a, triage.VerdictNew)
	i2 := f.item(t, "case-a", "laptop", "copy/a.jpg", a, triage.VerdictNew)                                          // same content: stacked
	i3 := f.item(t, "case-b", "disk", "x/a-small.jpg", triagetest.PhotoJPEG(640, 480, 1, 50), triage.VerdictVariant) // near-duplicate
	i4 := f.item(t, "case-a", "phone", "DCIM/b.jpg", triagetest.PhotoJPEG(500, 400, 2, 90), triage.VerdictNew)       // unrelated
	v := f.viewer("ann")
	g1 := f.group(t, v, i1.ID)
	if g2 := f.group(t, v, i2.ID); g2.ID != g1.ID {
		t.Errorf("identical content in groups %d and %d", g1.ID, g2.ID)
	}
	if g3 := f.group(t, v, i3.ID); g3.ID != g1.ID {
		t.Errorf("near-duplicate in group %d, original in %d", g3.ID, g1.ID)
	}
	if g4 := f.group(t, v, i4.ID); g4.ID == g1.ID {
		t.Errorf("unrelated image grouped with the series")
	}
	if len(g1.MemberList) != 2 || len(g1.MemberList[0].Items) != 2 || len(g1.MemberList[1].Items) != 1 {
		t.Fatalf("group %+v", g1)
	}
	if m := g1.MemberList[1]; m.Lane != triage.LaneVariant || m.Suggested.String() != "caid:B" {
		t.Errorf("variant member %+v", m)
	}
	if g1.Features.Exhibits != 3 || g1.Features.Cases != 2 || g1.Features.CameraOriginal != 2 || g1.Features.GPS != 2 {
		t.Errorf("features %+v", g1.Features)
	}
	if got := g1.Lanes; len(got) != 2 || got[0] != triage.LaneNew || got[1] != triage.LaneVariant {
		t.Errorf("lanes %v", got)
	}
	q, _, err := f.s.ReviewQueue(context.Background(), v, triage.QueueQuery{})
	if err != nil || len(q) != 2 {
		t.Fatalf("queue: %v %v", q, err)
	}
	// The item view: siblings in the folder, and where else it appeared.
	view, err := f.s.ReviewItem(context.Background(), v, i1.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(view.Siblings) != 1 || view.Siblings[0].ItemID != i4.ID {
		t.Errorf("siblings %+v", view.Siblings)
	}
	if len(view.Elsewhere) != 2 || view.Elsewhere[0].ItemID != i2.ID || view.Elsewhere[0].Relation != "same" ||
		view.Elsewhere[1].ItemID != i3.ID || view.Elsewhere[1].Relation != "near" {
		t.Errorf("elsewhere %+v", view.Elsewhere)
	}
	// A user allowed on no case sees nothing.
	out := f.viewer("outsider")
	if q, _, _ := f.s.ReviewQueue(context.Background(), out, triage.QueueQuery{}); len(q) != 0 {
		t.Errorf("outsider sees %d groups", len(q))
	}
	if _, err := f.s.ReviewItem(context.Background(), out, i1.ID); triage.ErrorCode(err) != triage.ENOTFOUND {
		t.Errorf("outsider item view: %v", err)
	}
}

// synthetic returns the fingerprint of an image whose PDQ hash is pdq,
// for grouping tests that need exact distances.
func synthetic(n byte, pdq triage.PDQ) triage.Fingerprint {
	fp := triage.Fingerprint{Size: 1000, Type: triage.MediaType{MIME: "image/jpeg", Kind: triage.KindImage},
		Width: 800, Height: 600, Perceptual: true, PDQ: pdq, PDQQuality: 100, PHash: triage.PHash(uint64(n) * 0x9e3779b97f4a7c15)}
	fp.SHA256[0], fp.MD5[0], fp.SHA1[0] = n, n, n
	fp.PDQDihedral[0] = pdq
	return fp
}

// flip returns h with bits from..to-1 inverted.
func flip(h triage.PDQ, from, to int) triage.PDQ {
	for b := from; b < to; b++ {
		h[b/8] ^= 1 << (b % 8)
	}
	return h
}

// finish records and finishes an item with a given fingerprint.
func (f *reviewFixture) finish(t *testing.T, caseName, path string, fp triage.Fingerprint) triage.Item {
	t.Helper()
	ctx := context.Background()
	c := triage.Case{Name: caseName}
	f.s.EnsureCase(ctx, &c)
	f.s.AddCaseMember(ctx, c.ID, f.users["ann"].ID, nil)
	e := triage.Exhibit{CaseID: c.ID, Name: "e"}
	f.s.EnsureExhibit(ctx, &e)
	it := triage.Item{ExhibitID: e.ID, Path: path, Size: fp.Size, Digests: fp.Digests}
	if _, err := f.s.CreateItem(ctx, &it, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.FinishItem(ctx, it.ID, triage.ItemResult{Fingerprint: &fp, Decision: triage.Decision{Verdict: triage.VerdictNew}}); err != nil {
		t.Fatal(err)
	}
	return it
}

// TestReviewGroupMerge: an item that links two groups merges them into
// the older one, and a live claim on the younger one moves with it.
func TestReviewGroupMerge(t *testing.T) {
	f := mustReview(t)
	ctx := context.Background()
	var a triage.PDQ
	for i := range a {
		a[i] = byte(i*37 + 11)
	}
	b := flip(a, 0, 50)   // 50 bits from a: not linked
	mid := flip(a, 0, 25) // 25 from both
	i1 := f.finish(t, "c", "a.jpg", synthetic(1, a))
	i2 := f.finish(t, "c", "b.jpg", synthetic(2, b))
	ann := f.viewer("ann")
	g1, g2 := f.group(t, ann, i1.ID), f.group(t, ann, i2.ID)
	if g1.ID == g2.ID {
		t.Fatalf("items 50 bits apart grouped together")
	}
	if _, err := f.s.ClaimGroup(ctx, ann, g2.ID, time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	i3 := f.finish(t, "c", "mid.jpg", synthetic(3, mid))
	g := f.group(t, ann, i3.ID)
	if g.ID != g1.ID || len(g.MemberList) != 3 || g.ClaimedBy != "ann" {
		t.Errorf("merged group %d (want %d), %d members, claimed by %q", g.ID, g1.ID, len(g.MemberList), g.ClaimedBy)
	}
	if _, err := f.s.ReviewGroup(ctx, ann, g2.ID); triage.ErrorCode(err) != triage.ENOTFOUND {
		t.Errorf("merged-away group: %v", err)
	}
	if _, err := f.s.ExtendClaim(ctx, ann, g2.ID, time.Minute); triage.ErrorCode(err) != triage.ECONFLICT {
		t.Errorf("heartbeat on the merged-away group: %v", err)
	}
	// The merged-away group is as visible as the group it went into (the
	// API then says where it went), and no more.
	for _, tc := range []struct {
		who  string
		want bool
	}{{"ann", true}, {"root", true}, {"outsider", false}} {
		if ok, err := f.s.CanSeeReviewGroup(ctx, f.viewer(tc.who), g2.ID); err != nil || ok != tc.want {
			t.Errorf("%s sees the merged-away group: %t, %v; want %t", tc.who, ok, err, tc.want)
		}
	}
	// Another worker process (a second store) catches its index up from
	// the database: an item near b joins the merged group there too.
	s2, err := postgres.Open(ctx, postgres.Config{URL: f.pg.URL, Schema: f.pg.Schema, Now: f.clock.now})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	f2 := *f
	f2.s = s2
	i4 := f2.finish(t, "c", "b2.jpg", synthetic(4, flip(b, 60, 70)))
	if g4 := f.group(t, ann, i4.ID); g4.ID != g1.ID {
		t.Errorf("second process put a near-duplicate into group %d, want %d", g4.ID, g1.ID)
	}
}

func TestReviewClaimRace(t *testing.T) {
	f := mustReview(t)
	ctx := context.Background()
	it := f.item(t, "c", "e", "a.jpg", triagetest.PhotoJPEG(320, 240, 3, 90), triage.VerdictNew)
	g := f.group(t, f.viewer("ann"), it.ID)
	for round := range 20 {
		var wins atomic.Int32
		var wg sync.WaitGroup
		var conflicts atomic.Int32
		for _, name := range []string{"ann", "bob"} {
			wg.Go(func() {
				_, err := f.s.ClaimGroup(ctx, f.viewer(name), g.ID, time.Minute, nil)
				switch triage.ErrorCode(err) {
				case "":
					wins.Add(1)
				case triage.ECONFLICT:
					conflicts.Add(1)
				default:
					t.Errorf("claim: %v", err)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 || conflicts.Load() != 1 {
			t.Fatalf("round %d: %d wins, %d conflicts; want exactly one winner", round, wins.Load(), conflicts.Load())
		}
		// Whoever won releases for the next round.
		for _, name := range []string{"ann", "bob"} {
			f.s.ReleaseGroup(ctx, f.viewer(name), g.ID)
		}
	}
}

func TestReviewLease(t *testing.T) {
	f := mustReview(t)
	ctx := context.Background()
	it := f.item(t, "c", "e", "a.jpg", triagetest.PhotoJPEG(320, 240, 3, 90), triage.VerdictNew)
	ann, bob := f.viewer("ann"), f.viewer("bob")
	g := f.group(t, ann, it.ID)
	c, err := f.s.ClaimGroup(ctx, ann, g.ID, 5*time.Minute, nil)
	if err != nil || !c.LeaseExpires.Equal(f.clock.now().Add(5*time.Minute)) {
		t.Fatalf("claim: %+v %v", c, err)
	}
	if _, err := f.s.ClaimGroup(ctx, bob, g.ID, 5*time.Minute, nil); triage.ErrorCode(err) != triage.ECONFLICT {
		t.Errorf("bob claims a held group: %v", err)
	}
	f.clock.advance(4 * time.Minute)
	if _, err := f.s.ExtendClaim(ctx, ann, g.ID, 5*time.Minute); err != nil {
		t.Errorf("heartbeat: %v", err)
	}
	f.clock.advance(4 * time.Minute) // 8 minutes in: alive thanks to the heartbeat
	if _, err := f.s.ClaimGroup(ctx, bob, g.ID, 5*time.Minute, nil); triage.ErrorCode(err) != triage.ECONFLICT {
		t.Errorf("bob claims after a heartbeat: %v", err)
	}
	if got, _ := f.s.ReviewGroup(ctx, bob, g.ID); got.ClaimedBy != "ann" {
		t.Errorf("claimed by %q, want ann", got.ClaimedBy)
	}
	f.clock.advance(2 * time.Minute) // lease ran out
	if got, _ := f.s.ReviewGroup(ctx, bob, g.ID); got.ClaimedBy != "" {
		t.Errorf("expired claim still shown: %q", got.ClaimedBy)
	}
	if _, err := f.s.ExtendClaim(ctx, ann, g.ID, 5*time.Minute); triage.ErrorCode(err) != triage.ECONFLICT {
		t.Errorf("heartbeat after expiry: %v", err)
	}
	if _, err := f.s.Decide(ctx, triage.DecideRequest{GroupID: g.ID, Reviewer: f.users["ann"], Required: 1, LocalSet: "local",
		Vote: triage.Vote{Category: triage.MustParseCategory("caid:A")}}); triage.ErrorCode(err) != triage.ECONFLICT {
		t.Errorf("decision after expiry: %v", err)
	}
	if _, err := f.s.ClaimGroup(ctx, bob, g.ID, 5*time.Minute, nil); err != nil {
		t.Errorf("bob claims an expired group: %v", err)
	}
	if err := f.s.ReleaseGroup(ctx, ann, g.ID); triage.ErrorCode(err) != triage.ECONFLICT {
		t.Errorf("ann releases bob's claim: %v", err)
	}
	if err := f.s.ReleaseGroup(ctx, f.viewer("root"), g.ID); err != nil {
		t.Errorf("admin releases bob's claim: %v", err)
	}
}

func (f *reviewFixture) decide(t *testing.T, who string, groupID int64, cat string, required int, adjudicate bool) (triage.DecideResult, error) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.s.ClaimGroup(ctx, f.viewer(who), groupID, time.Minute, nil); err != nil {
		t.Fatalf("%s claims: %v", who, err)
	}
	defer f.s.ReleaseGroup(ctx, f.viewer(who), groupID)
	return f.s.Decide(ctx, triage.DecideRequest{GroupID: groupID, Reviewer: f.users[who], Required: required, LocalSet: "local",
		Adjudicate: adjudicate, Vote: triage.Vote{Category: triage.MustParseCategory(cat), Series: "s1", Tags: []string{"room"},
			Flags: triage.ReviewFlags{VictimLead: true}}})
}

func TestReviewVotesAndAdjudication(t *testing.T) {
	f := mustReview(t)
	ctx := context.Background()
	it := f.item(t, "c", "e", "a.jpg", triagetest.PhotoJPEG(320, 240, 3, 90), triage.VerdictNew)
	g := f.group(t, f.viewer("ann"), it.ID)
	res, err := f.decide(t, "ann", g.ID, "caid:A", 3, false)
	if err != nil || len(res.Outcomes) != 1 || res.Outcomes[0].Status != triage.MemberPending || res.Outcomes[0].Needed != 2 {
		t.Fatalf("first vote: %+v %v", res, err)
	}
	// Ann cannot vote twice on the same content.
	sum := g.MemberList[0].SHA256
	f.s.ClaimGroup(ctx, f.viewer("ann"), g.ID, time.Minute, nil)
	_, err = f.s.Decide(ctx, triage.DecideRequest{GroupID: g.ID, Reviewer: f.users["ann"], Required: 3, LocalSet: "local",
		Members: []triage.SHA256{sum}, Vote: triage.Vote{Category: triage.MustParseCategory("caid:A")}})
	if triage.ErrorCode(err) != triage.ECONFLICT {
		t.Errorf("second vote: %v, want conflict", err)
	}
	f.s.ReleaseGroup(ctx, f.viewer("ann"), g.ID)
	// Ann's queue no longer offers the group; Bob's does.
	if q, _, _ := f.s.ReviewQueue(ctx, f.viewer("ann"), triage.QueueQuery{}); len(q) != 1 || q[0].Pending != 0 || len(q[0].Lanes) != 0 {
		t.Errorf("ann's queue %+v", q)
	}
	if q, _, _ := f.s.ReviewQueue(ctx, f.viewer("bob"), triage.QueueQuery{}); len(q) != 1 || q[0].Pending != 1 {
		t.Errorf("bob's queue %+v", q)
	}
	// Bob disagrees: adjudication.
	res, err = f.decide(t, "bob", g.ID, "caid:B", 3, false)
	if err != nil || res.Outcomes[0].Status != triage.MemberAdjudication {
		t.Fatalf("disagreeing vote: %+v %v", res, err)
	}
	if _, err := f.decide(t, "cy", g.ID, "caid:B", 3, false); triage.ErrorCode(err) != triage.ECONFLICT {
		t.Errorf("vote on a member in adjudication: %v", err)
	}
	if q, _, _ := f.s.ReviewQueue(ctx, f.viewer("judge"), triage.QueueQuery{}); len(q) != 1 || len(q[0].Lanes) != 1 || q[0].Lanes[0] != triage.LaneAdjudication {
		t.Errorf("judge's queue %+v", q)
	}
	if _, err := f.decide(t, "cy", g.ID, "caid:B", 3, true); triage.ErrorCode(err) != triage.EFORBIDDEN {
		t.Errorf("reviewer adjudicates: %v", err)
	}
	res, err = f.decide(t, "judge", g.ID, "caid:B", 3, true)
	if err != nil || res.Outcomes[0].Status != triage.MemberConfirmed || res.Outcomes[0].Entry != 0 || res.Version != 1 {
		t.Fatalf("adjudication: %+v %v", res, err)
	}
	votes, _ := f.s.MemberVotes(ctx, f.viewer("judge"), g.MemberList[0].ID)
	if len(votes) != 2 {
		t.Errorf("votes %+v", votes)
	}
	if _, err := f.s.MemberVotes(ctx, f.viewer("outsider"), g.MemberList[0].ID); triage.ErrorCode(err) != triage.ENOTFOUND {
		t.Errorf("outsider reads votes: %v", err)
	}
	// Promoted with provenance.
	st, _ := f.s.Set(ctx, "local")
	es, err := f.s.SetEntries(ctx, st.ID, 0, st.Entries)
	if err != nil || len(es) != 1 {
		t.Fatalf("local set entries: %v %v", es, err)
	}
	e := es[0]
	if e.SHA256 != sum || e.MD5 != it.MD5 || e.Category.String() != "caid:B" || !e.Algos.Has(triage.AlgoPDQ) ||
		e.Extra["review_cases"] != "" || e.Name != "" || e.Extra["review_member"] == "" || e.Extra["review_reviewers"] != "ann,bob" ||
		e.Extra["review_adjudicator"] != "judge" || e.Extra["review_version"] != "1" {
		t.Errorf("entry %+v", e)
	}
	vs, _ := f.s.LocalSetVersions(ctx, "local")
	if len(vs) != 1 || vs[0].From != 0 || vs[0].To != 1 || vs[0].By != "judge" {
		t.Errorf("versions %+v", vs)
	}
	ds, err := f.s.CaseDecisions(ctx, it.CaseID)
	if err != nil || len(ds) != 1 || ds[0].Decision.Category.String() != "caid:B" || len(ds[0].Items) != 1 {
		t.Errorf("case decisions %+v %v", ds, err)
	}
}

func TestReviewSingleVoteConfirms(t *testing.T) {
	f := mustReview(t)
	it := f.item(t, "c", "e", "a.jpg", triagetest.PhotoJPEG(320, 240, 3, 90), triage.VerdictNew)
	it2 := f.item(t, "c", "e", "b.jpg", triagetest.PhotoJPEG(320, 240, 3, 70), triage.VerdictNew)
	g := f.group(t, f.viewer("ann"), it.ID)
	if len(g.MemberList) != 2 || f.group(t, f.viewer("ann"), it2.ID).ID != g.ID {
		t.Fatalf("group %+v", g)
	}
	res, err := f.decide(t, "ann", g.ID, "vic-us:1", 1, false)
	if err != nil || len(res.Outcomes) != 2 || res.Version != 1 || res.Outcomes[1].Entry != 1 {
		t.Fatalf("decide group: %+v %v", res, err)
	}
	g = f.group(t, f.viewer("ann"), it.ID)
	if g.Confirmed != 2 || g.MemberList[0].Decision == nil || g.MemberList[0].Decision.Category.String() != "vic-us:1" {
		t.Errorf("after decision %+v", g)
	}
}

// benchItems finishes n items with random, unrelated PDQ hashes (plus
// one near copy of every tenth), so the queue holds about n groups.
func benchItems(b *testing.B, f *reviewFixture, n int, seed uint64, verdict triage.Verdict) time.Duration {
	ctx := context.Background()
	c := triage.Case{Name: "bench"}
	f.s.EnsureCase(ctx, &c)
	f.s.AddCaseMember(ctx, c.ID, f.users["ann"].ID, nil)
	e := triage.Exhibit{CaseID: c.ID, Name: "e"}
	f.s.EnsureExhibit(ctx, &e)
	rng := rand.New(rand.NewPCG(seed, 1))
	var spent time.Duration
	var prev triage.PDQ
	for i := range n {
		var pdq triage.PDQ
		for k := range pdq {
			pdq[k] = byte(rng.Uint32())
		}
		if i%10 == 9 {
			pdq = flip(prev, 0, 8)
		}
		prev = pdq
		fp := triage.Fingerprint{Size: 1000, Type: triage.MediaType{MIME: "image/jpeg", Kind: triage.KindImage},
			Width: 800, Height: 600, Perceptual: true, PDQ: pdq, PDQQuality: 100, PHash: triage.PHash(rng.Uint64())}
		fp.PDQDihedral[0] = pdq
		for k := range fp.SHA256 {
			fp.SHA256[k] = byte(rng.Uint32())
		}
		it := triage.Item{ExhibitID: e.ID, Path: fmt.Sprintf("p%d.jpg", i), Size: fp.Size, Digests: fp.Digests}
		if _, err := f.s.CreateItem(ctx, &it, nil, nil); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if _, err := f.s.FinishItem(ctx, it.ID, triage.ItemResult{Fingerprint: &fp, Decision: triage.Decision{Verdict: verdict}}); err != nil {
			b.Fatal(err)
		}
		spent += time.Since(start)
	}
	return spent
}

// BenchmarkFinishItemReview measures FinishItem of a new image, grouping
// for review included (lock, index catch-up, link search, inserts), on
// top of 2000 items already in review.
func BenchmarkFinishItemReview(b *testing.B) {
	f := mustReview(b)
	benchItems(b, f, 2000, 1, triage.VerdictNew)
	for _, v := range []triage.Verdict{triage.VerdictNew, triage.VerdictIgnorable} { // ignorable: not grouped, the baseline
		b.Run(string(v), func(b *testing.B) {
			spent := benchItems(b, f, b.N, uint64(b.N)+7, v)
			b.ReportMetric(float64(spent.Microseconds())/float64(b.N)/1000, "ms/item")
		})
	}
}

// BenchmarkReviewQueue measures a page of 50 groups of a queue of about
// 1800 groups as a reviewer sees it, counted and scored.
func BenchmarkReviewQueue(b *testing.B) {
	f := mustReview(b)
	benchItems(b, f, 2000, 1, triage.VerdictNew)
	v := f.viewer("ann")
	w := triage.DefaultPriorityWeights()
	if _, err := f.s.RescoreGroups(context.Background(), func(p triage.PriorityFeatures) float64 { return w.Score(p, time.Now()).Total },
		time.Now().Add(-time.Hour), 5000); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		gs, total, err := f.s.ReviewQueue(context.Background(), v, triage.QueueQuery{Lane: triage.LaneNew, Limit: 50, Count: true})
		if err != nil || len(gs) != 50 || total < 1000 {
			b.Fatalf("%d groups of %d, %v", len(gs), total, err)
		}
		for i := range gs {
			gs[i].Priority = w.Score(gs[i].Features, time.Now())
		}
	}
}

// TestReviewGroupsVideos: in the lab's queue as in winnow scan's series
// (issue 14), a re-encoded video, a clip of it and a still it shows join
// one group whatever order they arrive in, an unrelated video stays alone,
// and a video's matches keep the timestamps and frame shares the worker
// found.
func TestReviewGroupsVideos(t *testing.T) {
	f := mustReview(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(14, 14))
	random := func() triage.PDQ {
		var h triage.PDQ
		for i := range h {
			h[i] = byte(rng.Uint32())
		}
		return h
	}
	img := triagetest.PhotoJPEG(640, 480, 3, 90)
	still := f.h.HashBytes(ctx, img)
	var frames []triage.PDQ
	for range 20 {
		frames = append(frames, random())
	}
	frames[10] = still.PDQ
	reencoded := make([]triage.PDQ, len(frames))
	for i, h := range frames {
		h[0] ^= 3
		h[17] ^= 0x20
		reencoded[i] = h
	}
	var unrelated []triage.PDQ
	for range 20 {
		unrelated = append(unrelated, random())
	}
	video := func(hs []triage.PDQ, ms []triage.Match) triage.ItemResult {
		fp := &triage.Fingerprint{Type: triage.MediaType{MIME: "video/mp4", Kind: triage.KindVideo}, Size: int64(1000 + rng.IntN(1000))}
		for i := range fp.SHA256 {
			fp.SHA256[i], fp.MD5[i%16], fp.SHA1[i%20] = byte(rng.Uint32()), byte(rng.Uint32()), byte(rng.Uint32())
		}
		for i, h := range hs {
			fp.Frames = append(fp.Frames, triage.FrameHash{Frame: i * 30, Quality: 100, PDQ: h, Timestamp: float64(i)})
		}
		return triage.ItemResult{Fingerprint: fp, Decision: triage.Decision{Verdict: triage.VerdictNew, Reason: "test"}, Matches: ms}
	}
	matches := []triage.Match{
		{Set: "known", SetVersion: "1", SetKind: triage.SetKindAlert, Entry: 4, Algo: triage.AlgoPDQ, Distance: 6,
			Category: triage.MustParseCategory("caid:B"), Timestamps: []float64{10, 12.5}, View: "trim", Borderline: true},
		{Set: "videos", SetVersion: "2", SetKind: triage.SetKindAlert, Entry: 0, Algo: triage.AlgoVPDQ,
			Category: triage.MustParseCategory("caid:B"), QueryPercent: 90, TargetPercent: 85.5},
	}
	clip := f.finished(t, "V", "phone", "DCIM/clip.mp4", video(frames[3:8], nil))
	stillItem := f.item(t, "V", "phone", "DCIM/still.jpg", img, triage.VerdictNew)
	source := f.finished(t, "V", "laptop", "videos/source.mp4", video(frames, matches))
	copyItem := f.finished(t, "V", "laptop", "videos/copy.mp4", video(reencoded, nil))
	other := f.finished(t, "V", "laptop", "videos/other.mp4", video(unrelated, nil))
	v := f.viewer("ann")
	g := f.group(t, v, source.ID)
	for name, it := range map[string]triage.Item{"clip": clip, "still": stillItem, "re-encode": copyItem} {
		if got := f.group(t, v, it.ID); got.ID != g.ID {
			t.Errorf("the %s is in group %d, the source video in %d", name, got.ID, g.ID)
		}
	}
	if got := f.group(t, v, other.ID); got.ID == g.ID {
		t.Error("an unrelated video joined the group")
	}
	got, err := f.s.Matches(ctx, source.ID)
	if err != nil || len(got) != 2 {
		t.Fatalf("Matches = %+v, %v", got, err)
	}
	for i := range got {
		if diff := cmp.Diff(matches[i], got[i].Match); diff != "" {
			t.Errorf("match %d as stored (-want +got):\n%s", i, diff)
		}
	}
}
