package storetest

import (
	"context"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/keypoint"
	"github.com/winnow-forensics/winnow/triage/pipeline"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// ReviewStores is one backend's review store, with the stores the review
// queue rests on: items enter review as FinishItem records them, the
// case boundary decides what a viewer sees, and confirmed content is
// promoted into a local hash set.
type ReviewStores struct {
	Cases   triage.CaseStore
	Items   triage.ItemStore
	Users   triage.UserStore
	Audit   triage.AuditStore
	Sets    triage.SetStore
	Access  triage.AccessStore
	Reviews triage.ReviewStore
	// Another, when not nil, opens a second store on the same data, as
	// another process of the backend would (nil: the backend has one).
	Another func(t *testing.T) ReviewStores
}

// TestReviewStore runs the review queue's contract (grouping, merges,
// claims and leases, votes, adjudication, promotion, notes kept in their
// case, undo, overturn, the tile grid, decisions committed with their
// audit events) against stores that open returns, fresh and empty for
// each subtest, reading the time from now.
func TestReviewStore(t *testing.T, open func(t *testing.T, now func() time.Time) ReviewStores) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, *reviewFixture)
	}{
		{"Grouping", testReviewGrouping},
		{"GroupMerge", testReviewGroupMerge},
		{"ClaimRace", testReviewClaimRace},
		{"Lease", testReviewLease},
		{"VotesAndAdjudication", testReviewVotesAndAdjudication},
		{"SingleVoteConfirms", testReviewSingleVoteConfirms},
		{"GroupsVideos", testReviewGroupsVideos},
		{"NotesStayInTheirCase", testReviewNotesStayInTheirCase},
		{"Undo", testReviewUndo},
		{"Overturn", testReviewOverturn},
		{"Tiles", testReviewTiles},
		{"DecisionCommitsWithItsAudit", testDecisionCommitsWithItsAudit},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := NewClock()
			tc.run(t, newReviewFixture(t, open(t, c.Now), c))
		})
	}
}

// reviewFixture is a review store with a clock, users and a local set.
type reviewFixture struct {
	s     ReviewStores
	clock *Clock
	h     *hashing.Hasher
	users map[string]triage.User
}

func newReviewFixture(t *testing.T, s ReviewStores, c *Clock) *reviewFixture {
	t.Helper()
	f := &reviewFixture{s: s, clock: c, h: hashing.New(pipeline.Profile(hashing.Options{Regions: true, Keypoints: keypoint.Query})), users: map[string]triage.User{}}
	for name, role := range map[string]triage.Role{"ann": triage.RoleReviewer, "bob": triage.RoleReviewer, "cy": triage.RoleReviewer,
		"judge": triage.RoleAdjudicator, "root": triage.RoleAdmin, "outsider": triage.RoleReviewer} {
		u := triage.User{Name: name, Role: role}
		if err := s.Users.CreateUser(context.Background(), &u, nil); err != nil {
			t.Fatal(err)
		}
		f.users[name] = u
	}
	st := triage.StoredSet{Name: "local", Kind: triage.SetKindAlert, SHA256: triage.SHA256{1}, Size: 1}
	if err := s.Reviews.EnsureLocalSet(context.Background(), &st); err != nil {
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
	if _, err := f.s.Cases.EnsureCase(ctx, &c); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"ann", "bob", "cy", "judge"} {
		if err := f.s.Access.AddCaseMember(ctx, c.ID, f.users[n].ID, nil); err != nil {
			t.Fatal(err)
		}
	}
	e := triage.Exhibit{CaseID: c.ID, Name: exhibit}
	if _, err := f.s.Cases.EnsureExhibit(ctx, &e); err != nil {
		t.Fatal(err)
	}
	fp := res.Fingerprint
	it := triage.Item{ExhibitID: e.ID, Path: path, Size: fp.Size, Digests: fp.Digests}
	if _, err := f.s.Items.CreateItem(ctx, &it, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Items.ClaimItem(ctx, it.ID, time.Minute); err != nil {
		t.Fatal(err)
	}
	for range 2 { // a repeated task does nothing more
		if _, err := f.s.Items.FinishItem(ctx, it.ID, res); err != nil {
			t.Fatal(err)
		}
	}
	return it
}

func (f *reviewFixture) group(t *testing.T, v triage.Viewer, itemID int64) triage.ReviewGroupDetail {
	t.Helper()
	view, err := f.s.Reviews.ReviewItem(context.Background(), v, itemID)
	if err != nil {
		t.Fatal(err)
	}
	if view.GroupID == 0 {
		t.Fatalf("item %d is not in review", itemID)
	}
	g, err := f.s.Reviews.ReviewGroup(context.Background(), v, view.GroupID)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func testReviewGrouping(t *testing.T, f *reviewFixture) {
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
	q, _, err := f.s.Reviews.ReviewQueue(context.Background(), v, triage.QueueQuery{})
	if err != nil || len(q) != 2 {
		t.Fatalf("queue: %v %v", q, err)
	}
	// The item view: siblings in the folder, and where else it appeared.
	view, err := f.s.Reviews.ReviewItem(context.Background(), v, i1.ID)
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
	if q, _, _ := f.s.Reviews.ReviewQueue(context.Background(), out, triage.QueueQuery{}); len(q) != 0 {
		t.Errorf("outsider sees %d groups", len(q))
	}
	if _, err := f.s.Reviews.ReviewItem(context.Background(), out, i1.ID); triage.ErrorCode(err) != triage.ENOTFOUND {
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

// Flip returns h with bits from..to-1 inverted: a PDQ hash at a chosen
// distance from h.
func Flip(h triage.PDQ, from, to int) triage.PDQ {
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
	f.s.Cases.EnsureCase(ctx, &c)
	f.s.Access.AddCaseMember(ctx, c.ID, f.users["ann"].ID, nil)
	e := triage.Exhibit{CaseID: c.ID, Name: "e"}
	f.s.Cases.EnsureExhibit(ctx, &e)
	it := triage.Item{ExhibitID: e.ID, Path: path, Size: fp.Size, Digests: fp.Digests}
	if _, err := f.s.Items.CreateItem(ctx, &it, nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Items.FinishItem(ctx, it.ID, triage.ItemResult{Fingerprint: &fp, Decision: triage.Decision{Verdict: triage.VerdictNew}}); err != nil {
		t.Fatal(err)
	}
	return it
}

// testReviewGroupMerge: an item that links two groups merges them into
// the older one, and a live claim on the younger one moves with it.
func testReviewGroupMerge(t *testing.T, f *reviewFixture) {
	ctx := context.Background()
	var a triage.PDQ
	for i := range a {
		a[i] = byte(i*37 + 11)
	}
	b := Flip(a, 0, 50)   // 50 bits from a: not linked
	mid := Flip(a, 0, 25) // 25 from both
	i1 := f.finish(t, "c", "a.jpg", synthetic(1, a))
	i2 := f.finish(t, "c", "b.jpg", synthetic(2, b))
	ann := f.viewer("ann")
	g1, g2 := f.group(t, ann, i1.ID), f.group(t, ann, i2.ID)
	if g1.ID == g2.ID {
		t.Fatalf("items 50 bits apart grouped together")
	}
	if _, err := f.s.Reviews.ClaimGroup(ctx, ann, g2.ID, time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	i3 := f.finish(t, "c", "mid.jpg", synthetic(3, mid))
	g := f.group(t, ann, i3.ID)
	if g.ID != g1.ID || len(g.MemberList) != 3 || g.ClaimedBy != "ann" {
		t.Errorf("merged group %d (want %d), %d members, claimed by %q", g.ID, g1.ID, len(g.MemberList), g.ClaimedBy)
	}
	if _, err := f.s.Reviews.ReviewGroup(ctx, ann, g2.ID); triage.ErrorCode(err) != triage.ENOTFOUND {
		t.Errorf("merged-away group: %v", err)
	}
	if _, err := f.s.Reviews.ExtendClaim(ctx, ann, g2.ID, time.Minute); triage.ErrorCode(err) != triage.ECONFLICT {
		t.Errorf("heartbeat on the merged-away group: %v", err)
	}
	// The merged-away group is as visible as the group it went into (the
	// API then says where it went), and no more.
	for _, tc := range []struct {
		who  string
		want bool
	}{{"ann", true}, {"root", true}, {"outsider", false}} {
		if ok, err := f.s.Access.CanSeeReviewGroup(ctx, f.viewer(tc.who), g2.ID); err != nil || ok != tc.want {
			t.Errorf("%s sees the merged-away group: %t, %v; want %t", tc.who, ok, err, tc.want)
		}
	}
	// An item near b joins the merged group, also when another worker
	// process (a second store on the same data, where the backend has
	// processes) finishes it and must catch its index up first.
	f2 := *f
	if f.s.Another != nil {
		f2.s = f.s.Another(t)
	}
	i4 := f2.finish(t, "c", "b2.jpg", synthetic(4, Flip(b, 60, 70)))
	if g4 := f.group(t, ann, i4.ID); g4.ID != g1.ID {
		t.Errorf("a near-duplicate of the merged-away group's member went into group %d, want %d", g4.ID, g1.ID)
	}
}

func testReviewClaimRace(t *testing.T, f *reviewFixture) {
	ctx := context.Background()
	img := triagetest.PhotoJPEG(320, 240, 3, 90)
	it := f.item(t, "c", "e", "a.jpg", img, triage.VerdictNew)
	if got, err := f.s.Items.Item(ctx, it.ID); err != nil || len(got.Regions) != 1 || got.Regions[0].Kind != triage.RegionCentre {
		t.Fatalf("item's regions %+v, %v; want the centre", got.Regions, err)
	}
	g := f.group(t, f.viewer("ann"), it.ID)
	for round := range 20 {
		var wins atomic.Int32
		var wg sync.WaitGroup
		var conflicts atomic.Int32
		for _, name := range []string{"ann", "bob"} {
			wg.Go(func() {
				_, err := f.s.Reviews.ClaimGroup(ctx, f.viewer(name), g.ID, time.Minute, nil)
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
			f.s.Reviews.ReleaseGroup(ctx, f.viewer(name), g.ID)
		}
	}
}

func testReviewLease(t *testing.T, f *reviewFixture) {
	ctx := context.Background()
	it := f.item(t, "c", "e", "a.jpg", triagetest.PhotoJPEG(320, 240, 3, 90), triage.VerdictNew)
	ann, bob := f.viewer("ann"), f.viewer("bob")
	g := f.group(t, ann, it.ID)
	c, err := f.s.Reviews.ClaimGroup(ctx, ann, g.ID, 5*time.Minute, nil)
	if err != nil || !c.LeaseExpires.Equal(f.clock.Now().Add(5*time.Minute)) {
		t.Fatalf("claim: %+v %v", c, err)
	}
	if _, err := f.s.Reviews.ClaimGroup(ctx, bob, g.ID, 5*time.Minute, nil); triage.ErrorCode(err) != triage.ECONFLICT {
		t.Errorf("bob claims a held group: %v", err)
	}
	f.clock.Advance(4 * time.Minute)
	if _, err := f.s.Reviews.ExtendClaim(ctx, ann, g.ID, 5*time.Minute); err != nil {
		t.Errorf("heartbeat: %v", err)
	}
	f.clock.Advance(4 * time.Minute) // 8 minutes in: alive thanks to the heartbeat
	if _, err := f.s.Reviews.ClaimGroup(ctx, bob, g.ID, 5*time.Minute, nil); triage.ErrorCode(err) != triage.ECONFLICT {
		t.Errorf("bob claims after a heartbeat: %v", err)
	}
	if got, _ := f.s.Reviews.ReviewGroup(ctx, bob, g.ID); got.ClaimedBy != "ann" {
		t.Errorf("claimed by %q, want ann", got.ClaimedBy)
	}
	f.clock.Advance(2 * time.Minute) // lease ran out
	if got, _ := f.s.Reviews.ReviewGroup(ctx, bob, g.ID); got.ClaimedBy != "" {
		t.Errorf("expired claim still shown: %q", got.ClaimedBy)
	}
	if _, err := f.s.Reviews.ExtendClaim(ctx, ann, g.ID, 5*time.Minute); triage.ErrorCode(err) != triage.ECONFLICT {
		t.Errorf("heartbeat after expiry: %v", err)
	}
	if _, err := f.s.Reviews.Decide(ctx, triage.DecideRequest{GroupID: g.ID, Reviewer: f.users["ann"], Required: 1, LocalSet: "local",
		Vote: triage.Vote{Category: triage.MustParseCategory("caid:A")}}); triage.ErrorCode(err) != triage.ECONFLICT {
		t.Errorf("decision after expiry: %v", err)
	}
	if _, err := f.s.Reviews.ClaimGroup(ctx, bob, g.ID, 5*time.Minute, nil); err != nil {
		t.Errorf("bob claims an expired group: %v", err)
	}
	if err := f.s.Reviews.ReleaseGroup(ctx, ann, g.ID); triage.ErrorCode(err) != triage.ECONFLICT {
		t.Errorf("ann releases bob's claim: %v", err)
	}
	if err := f.s.Reviews.ReleaseGroup(ctx, f.viewer("root"), g.ID); err != nil {
		t.Errorf("admin releases bob's claim: %v", err)
	}
}

func (f *reviewFixture) decide(t *testing.T, who string, groupID int64, cat string, required int, adjudicate bool) (triage.DecideResult, error) {
	t.Helper()
	ctx := context.Background()
	if _, err := f.s.Reviews.ClaimGroup(ctx, f.viewer(who), groupID, time.Minute, nil); err != nil {
		t.Fatalf("%s claims: %v", who, err)
	}
	defer f.s.Reviews.ReleaseGroup(ctx, f.viewer(who), groupID)
	return f.s.Reviews.Decide(ctx, triage.DecideRequest{GroupID: groupID, Reviewer: f.users[who], Required: required, LocalSet: "local",
		Adjudicate: adjudicate, Vote: triage.Vote{Category: triage.MustParseCategory(cat), Series: "s1", Tags: []string{"room"},
			Flags: triage.ReviewFlags{VictimLead: true}}})
}

func testReviewVotesAndAdjudication(t *testing.T, f *reviewFixture) {
	ctx := context.Background()
	img := triagetest.PhotoJPEG(320, 240, 3, 90)
	it := f.item(t, "c", "e", "a.jpg", img, triage.VerdictNew)
	got, err := f.s.Items.Item(ctx, it.ID)
	if err != nil || len(got.Regions) != 1 || got.Regions[0].Kind != triage.RegionCentre {
		t.Fatalf("item's regions %+v, %v; want the centre", got.Regions, err)
	}
	if fp := f.h.HashBytes(ctx, img); len(fp.Keypoints) == 0 || !reflect.DeepEqual(got.Keypoints, fp.Keypoints) {
		t.Fatalf("item's keypoints %+v, want %+v", got.Keypoints, fp.Keypoints)
	}
	g := f.group(t, f.viewer("ann"), it.ID)
	res, err := f.decide(t, "ann", g.ID, "caid:A", 3, false)
	if err != nil || len(res.Outcomes) != 1 || res.Outcomes[0].Status != triage.MemberPending || res.Outcomes[0].Needed != 2 {
		t.Fatalf("first vote: %+v %v", res, err)
	}
	// Ann cannot vote twice on the same content.
	sum := g.MemberList[0].SHA256
	f.s.Reviews.ClaimGroup(ctx, f.viewer("ann"), g.ID, time.Minute, nil)
	_, err = f.s.Reviews.Decide(ctx, triage.DecideRequest{GroupID: g.ID, Reviewer: f.users["ann"], Required: 3, LocalSet: "local",
		Members: []triage.SHA256{sum}, Vote: triage.Vote{Category: triage.MustParseCategory("caid:A")}})
	if triage.ErrorCode(err) != triage.ECONFLICT {
		t.Errorf("second vote: %v, want conflict", err)
	}
	f.s.Reviews.ReleaseGroup(ctx, f.viewer("ann"), g.ID)
	// Ann's queue no longer offers the group; Bob's does.
	if q, _, _ := f.s.Reviews.ReviewQueue(ctx, f.viewer("ann"), triage.QueueQuery{}); len(q) != 1 || q[0].Pending != 0 || len(q[0].Lanes) != 0 {
		t.Errorf("ann's queue %+v", q)
	}
	if q, _, _ := f.s.Reviews.ReviewQueue(ctx, f.viewer("bob"), triage.QueueQuery{}); len(q) != 1 || q[0].Pending != 1 {
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
	if q, _, _ := f.s.Reviews.ReviewQueue(ctx, f.viewer("judge"), triage.QueueQuery{}); len(q) != 1 || len(q[0].Lanes) != 1 || q[0].Lanes[0] != triage.LaneAdjudication {
		t.Errorf("judge's queue %+v", q)
	}
	if _, err := f.decide(t, "cy", g.ID, "caid:B", 3, true); triage.ErrorCode(err) != triage.EFORBIDDEN {
		t.Errorf("reviewer adjudicates: %v", err)
	}
	res, err = f.decide(t, "judge", g.ID, "caid:B", 3, true)
	if err != nil || res.Outcomes[0].Status != triage.MemberConfirmed || res.Outcomes[0].Entry != 0 || res.Version != 1 {
		t.Fatalf("adjudication: %+v %v", res, err)
	}
	votes, _ := f.s.Reviews.MemberVotes(ctx, f.viewer("judge"), g.MemberList[0].ID)
	if len(votes) != 2 {
		t.Errorf("votes %+v", votes)
	}
	if _, err := f.s.Reviews.MemberVotes(ctx, f.viewer("outsider"), g.MemberList[0].ID); triage.ErrorCode(err) != triage.ENOTFOUND {
		t.Errorf("outsider reads votes: %v", err)
	}
	// Promoted with provenance.
	st, _ := f.s.Sets.Set(ctx, "local")
	es, err := f.s.Sets.SetEntries(ctx, st.ID, 0, st.Entries)
	if err != nil || len(es) != 1 {
		t.Fatalf("local set entries: %v %v", es, err)
	}
	e := es[0]
	if e.SHA256 != sum || e.MD5 != it.MD5 || e.Category.String() != "caid:B" || !e.Algos.Has(triage.AlgoPDQ) ||
		e.Extra["review_cases"] != "" || e.Name != "" || e.Extra["review_member"] == "" || e.Extra["review_reviewers"] != "ann,bob" ||
		e.Extra["review_adjudicator"] != "judge" || e.Extra["review_version"] != "1" {
		t.Errorf("entry %+v", e)
	}
	// With the item's regions, so that crops of it match.
	if fp := f.h.HashBytes(ctx, img); len(e.Regions) != 1 || !reflect.DeepEqual(e.Regions, fp.Regions) {
		t.Errorf("entry's regions %+v, want %+v", e.Regions, fp.Regions)
	}
	// And with its local features, so that heavily cropped copies do.
	if len(e.Keypoints) == 0 || !reflect.DeepEqual(e.Keypoints, got.Keypoints) {
		t.Errorf("entry's keypoints %+v, want the item's %+v", e.Keypoints, got.Keypoints)
	}
	vs, _ := f.s.Reviews.LocalSetVersions(ctx, "local")
	if len(vs) != 1 || vs[0].From != 0 || vs[0].To != 1 || vs[0].By != "judge" {
		t.Errorf("versions %+v", vs)
	}
	ds, err := f.s.Reviews.CaseDecisions(ctx, it.CaseID)
	if err != nil || len(ds) != 1 || ds[0].Decision.Category.String() != "caid:B" || len(ds[0].Items) != 1 {
		t.Errorf("case decisions %+v %v", ds, err)
	}
}

func testReviewSingleVoteConfirms(t *testing.T, f *reviewFixture) {
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

// testReviewGroupsVideos: in the lab's queue as in winnow scan's series
// (issue 14), a re-encoded video, a clip of it and a still it shows join
// one group whatever order they arrive in, an unrelated video stays alone,
// and a video's matches keep the timestamps and frame shares the worker
// found.
func testReviewGroupsVideos(t *testing.T, f *reviewFixture) {
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
	got, err := f.s.Items.Matches(ctx, source.ID)
	if err != nil || len(got) != 2 {
		t.Fatalf("Matches = %+v, %v", got, err)
	}
	for i := range got {
		if diff := cmp.Diff(matches[i], got[i].Match); diff != "" {
			t.Errorf("match %d as stored (-want +got):\n%s", i, diff)
		}
	}
}

// vote records who's decision with text, claiming the group first.
func (f *reviewFixture) vote(t *testing.T, who string, groupID int64, cat, caseName, notes string, required int) (triage.DecideResult, error) {
	t.Helper()
	return f.s.Reviews.Decide(context.Background(), triage.DecideRequest{GroupID: groupID, Reviewer: f.users[who], Required: required, LocalSet: "local",
		Case: caseName, Claim: true, Lease: time.Minute,
		Vote: triage.Vote{Category: triage.MustParseCategory(cat), Notes: notes, Series: notes + "-series", Tags: []string{"t-" + caseName}}})
}

func (f *reviewFixture) caseID(t *testing.T, name string) int64 {
	t.Helper()
	c, err := f.s.Cases.Case(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// testReviewNotesStayInTheirCase is issue 11's defect 9: a note written in
// case A never shows in case B's export, its decision view or the local
// set; only the category crosses.
func testReviewNotesStayInTheirCase(t *testing.T, f *reviewFixture) {
	ctx := context.Background()
	img := triagetest.PhotoJPEG(320, 240, 5, 90)
	itA := f.item(t, "A", "phone", "DCIM/a.jpg", img, triage.VerdictNew)
	f.item(t, "B", "laptop", "pics/b.jpg", img, triage.VerdictNew)
	g := f.group(t, f.viewer("ann"), itA.ID)
	// Ann may see both cases: text without a case is refused.
	if _, err := f.vote(t, "ann", g.ID, "vic-us:1", "", "informant 7", 2); triage.ErrorCode(err) != triage.EINVALID {
		t.Fatalf("vote with notes and no case: %v", err)
	}
	if _, err := f.vote(t, "ann", g.ID, "vic-us:1", "C", "informant 7", 2); triage.ErrorCode(err) != triage.EINVALID {
		t.Fatalf("vote with notes for a case the content is not in: %v", err)
	}
	if _, err := f.vote(t, "ann", g.ID, "vic-us:1", "A", "informant 7", 2); err != nil {
		t.Fatal(err)
	}
	f.s.Reviews.ReleaseGroup(ctx, f.viewer("ann"), g.ID)
	res, err := f.vote(t, "bob", g.ID, "vic-us:1", "B", "seen in B", 2)
	if err != nil || res.Outcomes[0].Status != triage.MemberConfirmed {
		t.Fatalf("second vote: %+v %v", res, err)
	}
	for name, want := range map[string]string{"A": "informant 7", "B": "seen in B"} {
		ds, err := f.s.Reviews.CaseDecisions(ctx, f.caseID(t, name))
		if err != nil || len(ds) != 1 {
			t.Fatalf("case %s decisions: %+v %v", name, ds, err)
		}
		n := ds[0].Notes()
		if len(ds[0].Decision.Notes) != 1 || n.Notes != want || n.Series != want+"-series" || !slices.Equal(n.Tags, []string{"t-" + name}) ||
			ds[0].Decision.Category.String() != "vic-us:1" {
			t.Errorf("case %s export notes %+v", name, ds[0].Decision.Notes)
		}
	}
	// A reviewer of case B only sees B's notes on the decision.
	bee := triage.User{Name: "bee", Role: triage.RoleReviewer}
	if err := f.s.Users.CreateUser(ctx, &bee, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.s.Access.AddCaseMember(ctx, f.caseID(t, "B"), bee.ID, nil); err != nil {
		t.Fatal(err)
	}
	gb, err := f.s.Reviews.ReviewGroup(ctx, triage.ViewerOf(bee), g.ID)
	if err != nil {
		t.Fatal(err)
	}
	d := gb.MemberList[0].Decision
	if d == nil || len(d.Notes) != 1 || d.Notes[0].Case != "B" {
		t.Errorf("bee sees notes %+v", d)
	}
	votes, err := f.s.Reviews.MemberVotes(ctx, triage.ViewerOf(f.users["root"]), gb.MemberList[0].ID)
	if err != nil || len(votes) != 2 || votes[0].Notes != "informant 7" {
		t.Errorf("root reads votes %+v %v", votes, err)
	}
	// Bee reads both votes, without the text written in case A.
	votes, err = f.s.Reviews.MemberVotes(ctx, triage.ViewerOf(bee), gb.MemberList[0].ID)
	if err != nil || len(votes) != 2 || votes[0].Notes != "" || votes[0].Series != "" || len(votes[0].Tags) != 0 || votes[0].Case != "" ||
		votes[0].Category.String() != "vic-us:1" || votes[1].Notes != "seen in B" || votes[1].Case != "B" {
		t.Errorf("bee reads votes %+v %v; want case A's text left out", votes, err)
	}
	// The local set carries the category and nothing written in a case.
	st, _ := f.s.Sets.Set(ctx, "local")
	es, _ := f.s.Sets.SetEntries(ctx, st.ID, 0, st.Entries)
	if len(es) != 1 || es[0].Series != "" || len(es[0].Tags) != 0 || es[0].Extra["Comments"] != "" || es[0].Name != "" ||
		es[0].Category.String() != "vic-us:1" {
		t.Errorf("local set entry %+v", es)
	}
}

// testReviewUndo is defect 10's correction window: a reviewer takes back
// their own decision while they hold the group; the promoted entry is
// withdrawn in a new version; after release the window is closed.
func testReviewUndo(t *testing.T, f *reviewFixture) {
	ctx := context.Background()
	it := f.item(t, "c", "e", "a.jpg", triagetest.PhotoJPEG(320, 240, 7, 90), triage.VerdictNew)
	g := f.group(t, f.viewer("ann"), it.ID)
	sum := g.MemberList[0].SHA256
	res, err := f.vote(t, "ann", g.ID, "vic-us:1", "", "oops", 1)
	if err != nil || res.Outcomes[0].Status != triage.MemberConfirmed || res.Outcomes[0].Entry != 0 || res.Version != 1 {
		t.Fatalf("decide: %+v %v", res, err)
	}
	if _, err := f.s.Reviews.Undo(ctx, triage.UndoRequest{GroupID: g.ID, Reviewer: f.users["bob"], Required: 1, LocalSet: "local"}); triage.ErrorCode(err) != triage.ECONFLICT {
		t.Errorf("bob undoes ann's decision: %v", err)
	}
	f.clock.Advance(time.Second)
	u, err := f.s.Reviews.Undo(ctx, triage.UndoRequest{GroupID: g.ID, Reviewer: f.users["ann"], Members: []triage.SHA256{sum}, Required: 1, LocalSet: "local"})
	if err != nil || len(u.Outcomes) != 1 || u.Outcomes[0].Status != triage.MemberPending || u.Version != 2 || !slices.Equal(u.Withdrawn, []int64{0}) {
		t.Fatalf("undo: %+v %v", u, err)
	}
	st, _ := f.s.Sets.Set(ctx, "local")
	es, _ := f.s.Sets.SetEntries(ctx, st.ID, 0, st.Entries)
	if len(es) != 1 || es[0].HasHash() || len(es[0].Regions) != 0 || len(es[0].Keypoints) != 0 || st.Rev < 2 {
		t.Errorf("after undo: rev %d entries %+v", st.Rev, es)
	}
	g = f.group(t, f.viewer("ann"), it.ID)
	if m := g.MemberList[0]; m.Status != triage.MemberPending || m.Decision != nil || m.MyVote != nil || g.Pending != 1 {
		t.Errorf("member after undo %+v", m)
	}
	// Decide again, correctly.
	res, err = f.vote(t, "ann", g.ID, "vic-us:2", "", "", 1)
	if err != nil || res.Outcomes[0].Entry != 1 || res.Version != 3 {
		t.Fatalf("decide again: %+v %v", res, err)
	}
	vs, _ := f.s.Reviews.LocalSetVersions(ctx, "local")
	if len(vs) != 3 || vs[1].Withdrawn != 1 || vs[1].From != vs[1].To {
		t.Errorf("versions %+v", vs)
	}
	// Released: the window is closed, even for a new claim.
	if err := f.s.Reviews.ReleaseGroup(ctx, f.viewer("ann"), g.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Second)
	if _, err := f.s.Reviews.ClaimGroup(ctx, f.viewer("ann"), g.ID, time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Reviews.Undo(ctx, triage.UndoRequest{GroupID: g.ID, Reviewer: f.users["ann"], Required: 1, LocalSet: "local"}); triage.ErrorCode(err) != triage.ECONFLICT {
		t.Errorf("undo after release: %v", err)
	}
	f.s.Reviews.ReleaseGroup(ctx, f.viewer("ann"), g.ID)

	// Undoing the vote that caused a disagreement brings the member back.
	it2 := f.item(t, "c", "e", "b.jpg", triagetest.PhotoJPEG(320, 240, 8, 90), triage.VerdictNew)
	g2 := f.group(t, f.viewer("ann"), it2.ID)
	f.vote(t, "ann", g2.ID, "vic-us:1", "", "", 2)
	f.s.Reviews.ReleaseGroup(ctx, f.viewer("ann"), g2.ID)
	if res, err := f.vote(t, "bob", g2.ID, "vic-us:3", "", "", 2); err != nil || res.Outcomes[0].Status != triage.MemberAdjudication {
		t.Fatalf("disagreement: %+v %v", res, err)
	}
	u, err = f.s.Reviews.Undo(ctx, triage.UndoRequest{GroupID: g2.ID, Reviewer: f.users["bob"], Required: 2, LocalSet: "local"})
	if err != nil || u.Outcomes[0].Status != triage.MemberPending || u.Outcomes[0].Needed != 1 || u.Version != 0 {
		t.Errorf("undo the disagreeing vote: %+v %v", u, err)
	}
}

// testReviewOverturn: an adjudicator replaces a confirmed category with a
// reason; the old entry is withdrawn and a new one promoted in one version.
func testReviewOverturn(t *testing.T, f *reviewFixture) {
	ctx := context.Background()
	it := f.item(t, "c", "e", "a.jpg", triagetest.PhotoJPEG(320, 240, 9, 90), triage.VerdictNew)
	g := f.group(t, f.viewer("ann"), it.ID)
	if _, err := f.vote(t, "ann", g.ID, "vic-us:1", "", "", 1); err != nil {
		t.Fatal(err)
	}
	f.s.Reviews.ReleaseGroup(ctx, f.viewer("ann"), g.ID)
	m := g.MemberList[0]
	req := triage.OverturnRequest{MemberID: m.ID, Adjudicator: f.users["judge"], Category: triage.MustParseCategory("vic-us:3"),
		Reason: "benign: holiday photo", LocalSet: "local"}
	for _, tc := range []struct {
		mutate func(r *triage.OverturnRequest)
		code   string
	}{
		{func(r *triage.OverturnRequest) { r.Adjudicator = f.users["ann"] }, triage.EFORBIDDEN},
		{func(r *triage.OverturnRequest) { r.Reason = " " }, triage.EINVALID},
		{func(r *triage.OverturnRequest) { r.Category = triage.MustParseCategory("vic-us:1") }, triage.ECONFLICT},
		{func(r *triage.OverturnRequest) { r.MemberID = 1 << 40 }, triage.ENOTFOUND},
	} {
		r := req
		tc.mutate(&r)
		if _, err := f.s.Reviews.Overturn(ctx, r); triage.ErrorCode(err) != tc.code {
			t.Errorf("overturn %+v: %v, want %s", r, err, tc.code)
		}
	}
	res, err := f.s.Reviews.Overturn(ctx, req)
	if err != nil || res.Previous != "vic-us:1" || res.Withdrawn != 0 || res.Entry != 1 || res.Version != 2 {
		t.Fatalf("overturn: %+v %v", res, err)
	}
	st, _ := f.s.Sets.Set(ctx, "local")
	es, _ := f.s.Sets.SetEntries(ctx, st.ID, 0, st.Entries)
	if len(es) != 2 || es[0].HasHash() || len(es[0].Regions) != 0 || len(es[0].Keypoints) != 0 ||
		!es[1].HasHash() || len(es[1].Regions) != 1 || len(es[1].Keypoints) == 0 || es[1].Category.String() != "vic-us:3" || es[1].SHA256 != m.SHA256 {
		t.Errorf("entries after overturn %+v", es)
	}
	g = f.group(t, f.viewer("ann"), it.ID)
	d := g.MemberList[0].Decision
	if d == nil || d.Category.String() != "vic-us:3" || d.Overturn == nil || d.Overturn.By != "judge" || d.Overturn.Previous.String() != "vic-us:1" ||
		d.Overturn.Reason != "benign: holiday photo" {
		t.Errorf("decision after overturn %+v", d)
	}
	vs, _ := f.s.Reviews.LocalSetVersions(ctx, "local")
	if len(vs) != 2 || vs[0].Withdrawn != 1 || vs[0].To-vs[0].From != 1 || vs[0].By != "judge" {
		t.Errorf("versions %+v", vs)
	}
}

// testReviewTiles: the grid's filters, sorts, paging and visibility.
func testReviewTiles(t *testing.T, f *reviewFixture) {
	ctx := context.Background()
	canon := map[string]string{"Make": "Canon", "Model": "EOS 5D", "SerialNumber": "0123456789", "DateTimeOriginal": "2024:05:01 10:00:00",
		"GPSLatitude": "48.85", "GPSLongitude": "2.35"}
	phone := map[string]string{"Make": "Apple", "Model": "iPhone 12", "Software": "17.1.2", "DateTimeOriginal": "2023:01:01 10:00:00"}
	a1 := f.itemWith(t, "A", "phone", "DCIM/100/img1.jpg", triagetest.PhotoJPEG(640, 480, 11, 90), triage.VerdictNew, canon)
	f.itemWith(t, "A", "phone", "DCIM/100/img2.jpg", triagetest.PhotoJPEG(320, 240, 12, 90), triage.VerdictNew, phone)
	b1 := f.itemWith(t, "B", "disk", "Users/x/Pictures/holiday.jpg", triagetest.PhotoJPEG(400, 300, 13, 90), triage.VerdictVariant, canon)
	f.itemWith(t, "B", "disk", "Users/x/other.jpg", triagetest.PhotoJPEG(480, 360, 14, 90), triage.VerdictNew, nil)
	if n, err := f.s.Reviews.RescoreGroups(ctx, func(p triage.PriorityFeatures) float64 { return float64(p.MaxPixels) }, f.clock.Now().Add(-time.Hour), 100); err != nil || n != 4 {
		t.Fatalf("rescore: %d %v", n, err)
	}
	if n, _ := f.s.Reviews.RescoreGroups(ctx, func(triage.PriorityFeatures) float64 { return 0 }, f.clock.Now().Add(-time.Hour), 100); n != 0 {
		t.Errorf("second rescore scored %d unchanged groups", n)
	}
	paths := func(v triage.Viewer, q triage.TileQuery) []string {
		t.Helper()
		if q.Limit == 0 {
			q.Limit = 100
		}
		p, err := f.s.Reviews.ReviewTiles(ctx, v, q)
		if err != nil {
			t.Fatalf("tiles %+v: %v", q, err)
		}
		var out []string
		for _, tl := range p.Tiles {
			out = append(out, tl.Item.Path)
		}
		return out
	}
	root := f.viewer("root")
	for _, tc := range []struct {
		name string
		q    triage.TileQuery
		want []string
	}{
		{"priority (pixels here)", triage.TileQuery{}, []string{"DCIM/100/img1.jpg", "Users/x/other.jpg", "Users/x/Pictures/holiday.jpg", "DCIM/100/img2.jpg"}},
		{"path", triage.TileQuery{Sort: triage.SortPath}, []string{"DCIM/100/img1.jpg", "DCIM/100/img2.jpg", "Users/x/Pictures/holiday.jpg", "Users/x/other.jpg"}},
		{"path desc, paged", triage.TileQuery{Sort: triage.SortPath, Desc: true, Offset: 1, Limit: 2}, []string{"Users/x/Pictures/holiday.jpg", "DCIM/100/img2.jpg"}},
		{"date", triage.TileQuery{Sort: triage.SortDate}, []string{"DCIM/100/img2.jpg", "DCIM/100/img1.jpg", "Users/x/Pictures/holiday.jpg", "Users/x/other.jpg"}},
		{"case", triage.TileQuery{Case: "B", Sort: triage.SortPath}, []string{"Users/x/Pictures/holiday.jpg", "Users/x/other.jpg"}},
		{"exhibit", triage.TileQuery{Exhibit: "phone", Sort: triage.SortPath}, []string{"DCIM/100/img1.jpg", "DCIM/100/img2.jpg"}},
		{"path substring, any case", triage.TileQuery{Path: "HOLIDAY"}, []string{"Users/x/Pictures/holiday.jpg"}},
		{"path wildcard is literal", triage.TileQuery{Path: "%"}, nil},
		{"serial", triage.TileQuery{Serial: "0123456789", Sort: triage.SortPath}, []string{"DCIM/100/img1.jpg", "Users/x/Pictures/holiday.jpg"}},
		{"device", triage.TileQuery{Device: "model:apple/iphone 12/17.1.2"}, []string{"DCIM/100/img2.jpg"}},
		{"make and model", triage.TileQuery{Make: "canon", Model: "eos 5d", Sort: triage.SortPath}, []string{"DCIM/100/img1.jpg", "Users/x/Pictures/holiday.jpg"}},
		{"gps", triage.TileQuery{GPS: "yes", Sort: triage.SortPath}, []string{"DCIM/100/img1.jpg", "Users/x/Pictures/holiday.jpg"}},
		{"no gps", triage.TileQuery{GPS: "no", Sort: triage.SortPath}, []string{"DCIM/100/img2.jpg", "Users/x/other.jpg"}},
		{"date range", triage.TileQuery{From: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Sort: triage.SortPath},
			[]string{"DCIM/100/img1.jpg", "Users/x/Pictures/holiday.jpg"}},
		{"lane variant", triage.TileQuery{Lane: triage.LaneVariant}, []string{"Users/x/Pictures/holiday.jpg"}},
		{"kind video", triage.TileQuery{Kind: "video"}, nil},
	} {
		if got := paths(root, tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	// Keyset paging walks every sort in the same order as one page.
	for _, sort := range []string{triage.SortPriority, triage.SortDate, triage.SortPath, triage.SortSize} {
		for _, desc := range []bool{false, true} {
			want := paths(root, triage.TileQuery{Sort: sort, Desc: desc})
			var got []string
			q := triage.TileQuery{Sort: sort, Desc: desc, Limit: 1}
			for range 10 {
				p, err := f.s.Reviews.ReviewTiles(ctx, root, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Tiles) == 0 {
					break
				}
				got = append(got, p.Tiles[0].Item.Path)
				k := p.Tiles[0].Key()
				q.After = &k
			}
			if !slices.Equal(got, want) {
				t.Errorf("keyset %s desc %v: %q, want %q", sort, desc, got, want)
			}
		}
	}
	// The group queue pages by the stored priority too.
	gs, total, err := f.s.Reviews.ReviewQueue(ctx, root, triage.QueueQuery{Lane: triage.LaneNew, Offset: 1, Limit: 2, Count: true})
	if err != nil || total != 3 || len(gs) != 2 || gs[0].Features.MaxPixels < gs[1].Features.MaxPixels || gs[0].Features.MaxPixels != 480*360 {
		t.Errorf("queue page: %d of %d %v", len(gs), total, err)
	}
	// Sizes: the largest first.
	p, _ := f.s.Reviews.ReviewTiles(ctx, root, triage.TileQuery{Sort: triage.SortSize, Desc: true, Limit: 10, Count: true})
	if p.Total != 4 || len(p.Tiles) != 4 || p.Tiles[0].Size < p.Tiles[3].Size || p.Tiles[0].Items != 1 || p.Tiles[0].Item.Case == "" {
		t.Errorf("size sort %+v", p)
	}
	if got := paths(root, triage.TileQuery{MinSize: p.Tiles[1].Size, MaxSize: p.Tiles[0].Size}); len(got) != 2 {
		t.Errorf("size range: %q", got)
	}
	// Visibility: an outsider sees nothing; a case-B reviewer only B.
	if got := paths(f.viewer("outsider"), triage.TileQuery{}); len(got) != 0 {
		t.Errorf("outsider sees %q", got)
	}
	bee := triage.User{Name: "bee", Role: triage.RoleReviewer}
	f.s.Users.CreateUser(ctx, &bee, nil)
	f.s.Access.AddCaseMember(ctx, f.caseID(t, "B"), bee.ID, nil)
	if got := paths(triage.ViewerOf(bee), triage.TileQuery{Serial: "0123456789"}); !slices.Equal(got, []string{"Users/x/Pictures/holiday.jpg"}) {
		t.Errorf("bee's serial filter: %q", got)
	}
	if _, err := f.s.Reviews.ReviewTiles(ctx, triage.ViewerOf(bee), triage.TileQuery{Lane: triage.LaneAdjudication, Limit: 10}); triage.ErrorCode(err) != triage.EFORBIDDEN {
		t.Errorf("reviewer asks for adjudication: %v", err)
	}
	// States: after ann's vote the tile is "voted" for her and "todo" for bob.
	g := f.group(t, f.viewer("ann"), a1.ID)
	if _, err := f.vote(t, "ann", g.ID, "vic-us:2", "A", "n", 2); err != nil {
		t.Fatal(err)
	}
	if got := paths(f.viewer("ann"), triage.TileQuery{State: triage.StateVoted}); !slices.Equal(got, []string{"DCIM/100/img1.jpg"}) {
		t.Errorf("ann voted: %q", got)
	}
	if got := paths(f.viewer("ann"), triage.TileQuery{State: triage.StateTodo}); len(got) != 3 || slices.Contains(got, "DCIM/100/img1.jpg") {
		t.Errorf("ann todo: %q", got)
	}
	if got := paths(f.viewer("bob"), triage.TileQuery{State: triage.StateTodo}); len(got) != 4 {
		t.Errorf("bob todo: %q", got)
	}
	if got := paths(f.viewer("ann"), triage.TileQuery{Category: "vic-us:2"}); !slices.Equal(got, []string{"DCIM/100/img1.jpg"}) {
		t.Errorf("ann's category filter: %q", got)
	}
	if got := paths(f.viewer("bob"), triage.TileQuery{Series: "N-SERIES"}); !slices.Equal(got, []string{"DCIM/100/img1.jpg"}) {
		t.Errorf("series filter: %q", got)
	}
	if got := paths(triage.ViewerOf(bee), triage.TileQuery{Series: "n-series"}); len(got) != 0 {
		t.Errorf("bee finds case A's series name: %q", got)
	}
	// Device links in the item view: the camera's items in both cases.
	view, err := f.s.Reviews.ReviewItem(ctx, root, b1.ID)
	if err != nil || len(view.Devices) != 1 || view.Devices[0].Items != 2 || len(view.Devices[0].Exhibits) != 2 ||
		view.Devices[0].Device != "serial:canon/0123456789" {
		t.Errorf("device links %+v %v", view.Devices, err)
	}
	view, _ = f.s.Reviews.ReviewItem(ctx, triage.ViewerOf(bee), b1.ID)
	if len(view.Devices) != 1 || view.Devices[0].Items != 1 {
		t.Errorf("bee's device links %+v", view.Devices)
	}
}

// testDecisionCommitsWithItsAudit: a decision, its promotion into the local
// set and their audit events commit together (issue 12): when the events
// cannot be recorded the decision does not happen, and when they are, they
// describe what the decision did.
func testDecisionCommitsWithItsAudit(t *testing.T, f *reviewFixture) {
	ctx := context.Background()
	it := f.item(t, "A", "phone", "DCIM/a.jpg", triagetest.PhotoJPEG(320, 240, 7, 90), triage.VerdictNew)
	g := f.group(t, f.viewer("ann"), it.ID)
	req := triage.DecideRequest{GroupID: g.ID, Reviewer: f.users["ann"], Required: 1, LocalSet: "local", Claim: true, Lease: time.Minute,
		Vote: triage.Vote{Category: triage.MustParseCategory("vic-us:1")}}
	req.Audit = func(triage.DecideResult) []triage.AuditEvent {
		return []triage.AuditEvent{{Action: "review.decision\x00"}}
	}
	if _, err := f.s.Reviews.Decide(ctx, req); err == nil {
		t.Fatal("a decision whose audit event cannot be recorded was made")
	}
	req.Audit = func(res triage.DecideResult) []triage.AuditEvent {
		return []triage.AuditEvent{
			{Action: triage.AuditDecision, Target: "review/group/x", Detail: map[string]string{"status": string(res.Outcomes[0].Status)}},
			{Action: triage.AuditPromote, Target: "hashset/local", Detail: map[string]string{"version": strconv.Itoa(res.Version)}},
		}
	}
	res, err := f.s.Reviews.Decide(ctx, req)
	if err != nil || len(res.Outcomes) != 1 || res.Outcomes[0].Status != triage.MemberConfirmed || res.Version != 1 {
		t.Fatalf("Decide = %+v, %v; want the member confirmed in local-set version 1 (the failed decision left nothing)", res, err)
	}
	evs, err := f.s.Audit.AuditEvents(ctx, triage.AuditFilter{Target: "review/group/x"})
	if err != nil || len(evs) != 1 || evs[0].Detail["status"] != string(triage.MemberConfirmed) {
		t.Errorf("decision events = %+v, %v", evs, err)
	}
	evs, err = f.s.Audit.AuditEvents(ctx, triage.AuditFilter{Target: "hashset/local", Action: triage.AuditPromote})
	if err != nil || len(evs) != 1 || evs[0].Detail["version"] != "1" {
		t.Errorf("promotion events = %+v, %v", evs, err)
	}
}
