// Package storetest holds the conformance suites of the storage contracts in
// package triage, run against every implementation (storage/postgres,
// storage/minio and the in-memory doubles of package memstore), like
// Perkeep's storagetest: TestEvidenceStore, TestStores (cases, items,
// users, audit, sets), TestAccessStores (case boundary, sessions,
// wellness) and TestReviewStore (the review queue). It lives apart from
// triagetest because it imports triage, and triage's own tests import
// triagetest.
package storetest

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/auditlog"
)

// Stores is one backend's implementation of the metadata interfaces.
type Stores struct {
	Cases triage.CaseStore
	Items triage.ItemStore
	Users triage.UserStore
	Audit triage.AuditStore
	Sets  triage.SetStore
}

// TestStores runs the metadata contract against stores that open returns,
// fresh and empty for each subtest.
func TestStores(t *testing.T, open func(t *testing.T) Stores) {
	t.Run("Cases", func(t *testing.T) { testCases(t, open(t)) })
	t.Run("ItemsIdempotent", func(t *testing.T) { testItemsIdempotent(t, open(t)) })
	t.Run("ItemLifecycle", func(t *testing.T) { testItemLifecycle(t, open(t)) })
	t.Run("FinishOnce", func(t *testing.T) { testFinishOnce(t, open(t)) })
	t.Run("Lease", func(t *testing.T) { testLease(t, open(t)) })
	t.Run("ItemsFilter", func(t *testing.T) { testItemsFilter(t, open(t)) })
	t.Run("Users", func(t *testing.T) { testUsers(t, open(t)) })
	t.Run("Audit", func(t *testing.T) { testAudit(t, open(t)) })
	t.Run("Sets", func(t *testing.T) { testSets(t, open(t)) })
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := triage.ErrorCode(err); got != code {
		t.Fatalf("error %v: code %q, want %q", err, got, code)
	}
}

// MustExhibit creates case c and exhibit e and returns the exhibit.
func MustExhibit(t testing.TB, cs triage.CaseStore, c, e string) triage.Exhibit {
	t.Helper()
	ctx := context.Background()
	cc := triage.Case{Name: c}
	if _, err := cs.EnsureCase(ctx, &cc); err != nil {
		t.Fatalf("EnsureCase: %v", err)
	}
	ex := triage.Exhibit{CaseID: cc.ID, Name: e}
	if _, err := cs.EnsureExhibit(ctx, &ex); err != nil {
		t.Fatalf("EnsureExhibit: %v", err)
	}
	return ex
}

// ItemFor returns an unsaved item of exhibit ex whose digests derive from n.
func ItemFor(ex triage.Exhibit, path string, n int) *triage.Item {
	it := &triage.Item{ExhibitID: ex.ID, Path: path, Size: int64(n)}
	it.SHA256[0], it.SHA256[1], it.SHA256[2] = byte(n), byte(n>>8), 0xaa
	it.MD5[0], it.SHA1[0] = byte(n), byte(n)
	return it
}

func testCases(t *testing.T, s Stores) {
	ctx := context.Background()
	c := triage.Case{Name: "2026-0001", Title: "Test case"}
	if err := s.Cases.CreateCase(ctx, &c); err != nil {
		t.Fatalf("CreateCase: %v", err)
	}
	if c.ID == 0 || c.CreatedAt.IsZero() {
		t.Fatalf("CreateCase did not set ID and CreatedAt: %+v", c)
	}
	wantCode(t, s.Cases.CreateCase(ctx, &triage.Case{Name: "2026-0001"}), triage.ECONFLICT)
	wantCode(t, s.Cases.CreateCase(ctx, &triage.Case{Name: "../x"}), triage.EINVALID)
	again := triage.Case{Name: "2026-0001"}
	created, err := s.Cases.EnsureCase(ctx, &again)
	if err != nil || created || again.ID != c.ID || again.Title != "Test case" {
		t.Fatalf("EnsureCase existing = %v, %v, %+v; want the existing case", created, err, again)
	}
	got, err := s.Cases.Case(ctx, "2026-0001")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c.ID, got.ID); diff != "" {
		t.Errorf("Case (-want +got):\n%s", diff)
	}
	_, err = s.Cases.Case(ctx, "nope")
	wantCode(t, err, triage.ENOTFOUND)

	_, err = s.Cases.EnsureExhibit(ctx, &triage.Exhibit{CaseID: 999999, Name: "phone"})
	wantCode(t, err, triage.ENOTFOUND)
	var wg sync.WaitGroup
	var createdN atomic.Int32
	ids := make([]int64, 8)
	for i := range ids {
		wg.Go(func() {
			e := triage.Exhibit{CaseID: c.ID, Name: "phone"}
			cr, err := s.Cases.EnsureExhibit(ctx, &e)
			if err != nil {
				t.Errorf("concurrent EnsureExhibit: %v", err)
			}
			if cr {
				createdN.Add(1)
			}
			ids[i] = e.ID
		})
	}
	wg.Wait()
	if createdN.Load() != 1 {
		t.Errorf("concurrent EnsureExhibit created %d exhibits, want 1", createdN.Load())
	}
	for _, id := range ids {
		if id != ids[0] {
			t.Errorf("concurrent EnsureExhibit ids %v differ", ids)
		}
	}
	exs, err := s.Cases.Exhibits(ctx, c.ID)
	if err != nil || len(exs) != 1 || exs[0].Name != "phone" {
		t.Errorf("Exhibits = %+v, %v", exs, err)
	}
	cases, err := s.Cases.Cases(ctx)
	if err != nil || len(cases) != 1 {
		t.Errorf("Cases = %+v, %v", cases, err)
	}
}

func testItemsIdempotent(t *testing.T, s Stores) {
	ctx := context.Background()
	ex := MustExhibit(t, s.Cases, "c1", "e1")
	it := ItemFor(ex, "dcim/a.jpg", 1)
	created, err := s.Items.CreateItem(ctx, it, nil, nil)
	if err != nil || !created || it.ID == 0 || it.State != triage.StateReceived || it.CaseID != ex.CaseID {
		t.Fatalf("CreateItem = %v, %v, %+v", created, err, it)
	}
	again := ItemFor(ex, "dcim/a.jpg", 1)
	created, err = s.Items.CreateItem(ctx, again, nil, nil)
	if err != nil || created || again.ID != it.ID {
		t.Fatalf("CreateItem again = %v, %v, id %d; want the existing item %d", created, err, again.ID, it.ID)
	}
	other := ItemFor(ex, "dcim/b.jpg", 1)
	if created, err := s.Items.CreateItem(ctx, other, nil, nil); err != nil || !created || other.ID == it.ID {
		t.Fatalf("same content at another path = %v, %v; want a new item", created, err)
	}
	_, err = s.Items.CreateItem(ctx, ItemFor(triage.Exhibit{ID: 987654}, "x", 2), nil, nil)
	wantCode(t, err, triage.ENOTFOUND)

	// The upload's audit event commits with the item, and only when the
	// item is created.
	ev := triage.AuditEvent{Action: triage.AuditUpload, UserName: "u", Remote: "192.0.2.1", Detail: map[string]string{"path": "dcim/c.jpg"}}
	withEv := ItemFor(ex, "dcim/c.jpg", 1)
	if created, err := s.Items.CreateItem(ctx, withEv, &ev, nil); err != nil || !created || ev.ID == 0 || ev.Target != fmt.Sprintf("item/%d", withEv.ID) || ev.At.IsZero() {
		t.Fatalf("CreateItem with audit = %v, %v, event %+v", created, err, ev)
	}
	evs, err := s.Audit.AuditEvents(ctx, triage.AuditFilter{Target: ev.Target})
	if err != nil || len(evs) != 1 || evs[0].ID != ev.ID || evs[0].Action != triage.AuditUpload || evs[0].Detail["path"] != "dcim/c.jpg" || evs[0].Remote != "192.0.2.1" {
		t.Fatalf("audit events of %s = %+v, %v", ev.Target, evs, err)
	}
	again2 := triage.AuditEvent{Action: triage.AuditUpload}
	if created, err := s.Items.CreateItem(ctx, ItemFor(ex, "dcim/c.jpg", 1), &again2, nil); err != nil || created || again2.ID != 0 {
		t.Fatalf("CreateItem again with audit = %v, %v, event %+v", created, err, again2)
	}
	failed := triage.AuditEvent{Action: triage.AuditUpload}
	if _, err := s.Items.CreateItem(ctx, ItemFor(triage.Exhibit{ID: 987654}, "y", 3), &failed, nil); triage.ErrorCode(err) != triage.ENOTFOUND || failed.ID != 0 {
		t.Fatalf("CreateItem in a missing exhibit with audit = %v, event %+v", err, failed)
	}
	if evs, err := s.Audit.AuditEvents(ctx, triage.AuditFilter{Action: triage.AuditUpload}); err != nil || len(evs) != 1 {
		t.Fatalf("upload audit events = %+v, %v; want only the created item's", evs, err)
	}
	_, err = s.Items.CreateItem(ctx, &triage.Item{ExhibitID: ex.ID, Path: "x"}, nil, nil)
	wantCode(t, err, triage.EINVALID)
	_, err = s.Items.Item(ctx, 123456789)
	wantCode(t, err, triage.ENOTFOUND)
	if d, err := s.Items.DigestsOf(ctx, it.SHA256); err != nil || d != it.Digests {
		t.Errorf("DigestsOf = %+v, %v; want %+v", d, err, it.Digests)
	}
	_, err = s.Items.DigestsOf(ctx, triage.SHA256{9, 9})
	wantCode(t, err, triage.ENOTFOUND)

	// Concurrent uploads of the same file give one item.
	var wg sync.WaitGroup
	var n atomic.Int32
	for range 8 {
		wg.Go(func() {
			if cr, err := s.Items.CreateItem(ctx, ItemFor(ex, "dup.bin", 7), nil, nil); err != nil {
				t.Errorf("concurrent CreateItem: %v", err)
			} else if cr {
				n.Add(1)
			}
		})
	}
	wg.Wait()
	if n.Load() != 1 {
		t.Errorf("concurrent CreateItem created %d items, want 1", n.Load())
	}
}

func testItemLifecycle(t *testing.T, s Stores) {
	ctx := context.Background()
	ex := MustExhibit(t, s.Cases, "c1", "e1")
	it := ItemFor(ex, "a.jpg", 1)
	if _, err := s.Items.CreateItem(ctx, it, nil, nil); err != nil {
		t.Fatal(err)
	}
	claimed, err := s.Items.ClaimItem(ctx, it.ID, time.Minute)
	if err != nil || claimed.State != triage.StateProcessing || claimed.Attempts != 1 {
		t.Fatalf("ClaimItem = %+v, %v", claimed, err)
	}
	fp := &triage.Fingerprint{Size: 1, Type: triage.MediaType{MIME: triage.MIMEJPEG, Kind: triage.KindImage},
		Width: 640, Height: 480, Perceptual: true, Partial: true, PDQ: triage.PDQ{1, 2, 3}, PDQQuality: 90, PHash: 0x1234, DHash: 0x5678,
		Regions:   []triage.Region{{Kind: triage.RegionCentre, PDQ: triage.PDQ{4, 31: 5}, PDQQuality: 80, PHash: 1 << 63}},
		Keypoints: []triage.Keypoint{{X: 12, Y: 34, Scale: 56, Angle: 78, Desc: 1<<63 | 9}, {X: 255, Y: 200, Scale: 1, Angle: 255, Desc: 7}}}
	cat := triage.MustParseCategory("vic-us:1")
	m := triage.Match{Set: "known", SetVersion: "1", SetKind: triage.SetKindAlert, Entry: 3, EntryID: "m-3",
		Algo: triage.AlgoPDQ, Distance: 12, Category: cat, Series: "s1"}
	// A match through the centre region of a known image (a crop of it).
	rm := triage.Match{Set: "known", SetVersion: "1", SetKind: triage.SetKindAlert, Entry: 4, Algo: triage.AlgoPDQ, Distance: 40,
		Region: triage.RegionCentre, Borderline: true}
	dec := triage.Decision{Verdict: triage.VerdictVariant, Category: cat, Matches: []triage.Match{m}, Reason: "pdq distance 12 in known"}
	fin, err := s.Items.FinishItem(ctx, it.ID, triage.ItemResult{Fingerprint: fp, Decision: dec, Matches: []triage.Match{m, rm},
		EXIF: map[string]string{"Make": "Test"}, ThumbnailKey: "thumbnails/x.jpg"})
	if err != nil || !fin {
		t.Fatalf("FinishItem = %v, %v", fin, err)
	}
	got, err := s.Items.Item(ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := *it
	want.State, want.Verdict, want.Reason, want.Category = triage.StateDone, triage.VerdictVariant, dec.Reason, cat
	want.MIME, want.Kind, want.Width, want.Height, want.Perceptual, want.Partial = triage.MIMEJPEG, "image", 640, 480, true, true
	want.PDQ, want.PDQQuality, want.PHash, want.DHash, want.Regions, want.Keypoints = fp.PDQ, 90, 0x1234, 0x5678, fp.Regions, fp.Keypoints
	want.EXIF, want.ThumbnailKey, want.Attempts = map[string]string{"Make": "Test"}, "thumbnails/x.jpg", 1
	if diff := cmp.Diff(want, got, cmp.FilterPath(func(p cmp.Path) bool {
		return p.Last().String() == ".FinishedAt" || p.Last().String() == ".ReceivedAt"
	}, cmp.Ignore())); diff != "" {
		t.Errorf("item after FinishItem (-want +got):\n%s", diff)
	}
	if got.FinishedAt.IsZero() {
		t.Errorf("FinishedAt not set")
	}
	ms, err := s.Items.Matches(ctx, it.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]triage.MatchRecord{{ItemID: it.ID, Match: m}, {ItemID: it.ID, Match: rm}}, ms); diff != "" {
		t.Errorf("Matches (-want +got):\n%s", diff)
	}
	_, err = s.Items.ClaimItem(ctx, it.ID, time.Minute)
	wantCode(t, err, triage.ECONFLICT)
	fin, err = s.Items.FinishItem(ctx, it.ID, triage.ItemResult{Decision: triage.Decision{Verdict: triage.VerdictNew}})
	if err != nil || fin {
		t.Errorf("second FinishItem = %v, %v; want false, nil", fin, err)
	}

	bad := ItemFor(ex, "b.jpg", 2)
	s.Items.CreateItem(ctx, bad, nil, nil)
	s.Items.ClaimItem(ctx, bad.ID, time.Minute)
	if _, err := s.Items.FinishItem(ctx, bad.ID, triage.ItemResult{Err: triage.Errorf(triage.EINVALID, "truncated JPEG")}); err != nil {
		t.Fatal(err)
	}
	got, _ = s.Items.Item(ctx, bad.ID)
	if got.State != triage.StateFailed || got.Verdict != triage.VerdictError || got.Error != "truncated JPEG" || got.ErrorCode != triage.EINVALID {
		t.Errorf("failed item = %+v", got)
	}

	st, err := s.Items.ExhibitStatus(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Items != 2 || st.Done != 2 || st.Progress != 1 || st.States[triage.StateDone] != 1 || st.States[triage.StateFailed] != 1 ||
		st.Verdicts[triage.VerdictVariant] != 1 || st.Verdicts[triage.VerdictError] != 1 || st.Bytes != 3 {
		t.Errorf("ExhibitStatus = %+v", st)
	}
}

// testLease: a claim's lease is renewed by the attempt that holds it,
// and by no other: a later claim fences the earlier attempt off, and a
// final item has no lease to renew. A lease run out shows as stuck.
func testLease(t *testing.T, s Stores) {
	ctx := context.Background()
	ex := MustExhibit(t, s.Cases, "c1", "e1")
	it := ItemFor(ex, "a.jpg", 1)
	s.Items.CreateItem(ctx, it, nil, nil)
	first, err := s.Items.ClaimItem(ctx, it.ID, -time.Second) // run out at once
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Items.ExhibitStatus(ctx, ex.ID); st.Stuck != 1 || st.Retried != 0 {
		t.Errorf("status with the lease run out = %+v, want 1 stuck", st)
	}
	if stuck, retried, err := s.Items.ItemHealth(ctx); err != nil || stuck != 1 || retried != 0 {
		t.Errorf("ItemHealth = %d, %d, %v; want 1 stuck", stuck, retried, err)
	}
	if err := s.Items.ExtendLease(ctx, it.ID, first.Attempts, time.Minute); err != nil {
		t.Fatalf("ExtendLease by the holder: %v", err)
	}
	if st, _ := s.Items.ExhibitStatus(ctx, ex.ID); st.Stuck != 0 {
		t.Errorf("status after the renewal = %+v, want none stuck", st)
	}
	second, err := s.Items.ClaimItem(ctx, it.ID, time.Minute)
	if err != nil || second.Attempts != first.Attempts+1 {
		t.Fatalf("second claim = %+v, %v", second, err)
	}
	wantCode(t, s.Items.ExtendLease(ctx, it.ID, first.Attempts, time.Minute), triage.ECONFLICT)
	if err := s.Items.ExtendLease(ctx, it.ID, second.Attempts, time.Minute); err != nil {
		t.Fatalf("ExtendLease by the new holder: %v", err)
	}
	if st, _ := s.Items.ExhibitStatus(ctx, ex.ID); st.Retried != 1 {
		t.Errorf("status on the second attempt = %+v, want 1 retried", st)
	}
	if _, err := s.Items.FinishItem(ctx, it.ID, triage.ItemResult{Decision: triage.Decision{Verdict: triage.VerdictNew}}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, s.Items.ExtendLease(ctx, it.ID, second.Attempts, time.Minute), triage.ECONFLICT)
}

func testFinishOnce(t *testing.T, s Stores) {
	ctx := context.Background()
	ex := MustExhibit(t, s.Cases, "c1", "e1")
	it := ItemFor(ex, "a.jpg", 1)
	s.Items.CreateItem(ctx, it, nil, nil)
	stuck, err := s.Items.StuckItems(ctx, -time.Hour, 10)
	if err != nil || len(stuck) != 1 || stuck[0] != it.ID {
		t.Errorf("StuckItems (received) = %v, %v", stuck, err)
	}
	if stuck, _ := s.Items.StuckItems(ctx, time.Hour, 10); len(stuck) != 0 {
		t.Errorf("StuckItems within grace = %v, want none", stuck)
	}
	s.Items.ClaimItem(ctx, it.ID, -time.Second) // lease already run out
	if stuck, _ := s.Items.StuckItems(ctx, time.Hour, 10); len(stuck) != 1 {
		t.Errorf("StuckItems (lease out) = %v, want the item", stuck)
	}
	s.Items.ClaimItem(ctx, it.ID, time.Hour)
	if stuck, _ := s.Items.StuckItems(ctx, time.Hour, 10); len(stuck) != 0 {
		t.Errorf("StuckItems (leased) = %v, want none", stuck)
	}
	var wg sync.WaitGroup
	var n atomic.Int32
	for range 8 {
		wg.Go(func() {
			fin, err := s.Items.FinishItem(ctx, it.ID, triage.ItemResult{Decision: triage.Decision{Verdict: triage.VerdictNew}})
			if err != nil {
				t.Errorf("FinishItem: %v", err)
			}
			if fin {
				n.Add(1)
			}
		})
	}
	wg.Wait()
	if n.Load() != 1 {
		t.Errorf("8 concurrent FinishItem finished the item %d times, want 1", n.Load())
	}
}

func testItemsFilter(t *testing.T, s Stores) {
	ctx := context.Background()
	ex := MustExhibit(t, s.Cases, "c1", "e1")
	var ids []int64
	for i := range 25 {
		it := ItemFor(ex, fmt.Sprintf("f%02d", i), i+1)
		s.Items.CreateItem(ctx, it, nil, nil)
		ids = append(ids, it.ID)
		if i%5 == 0 {
			s.Items.ClaimItem(ctx, it.ID, time.Minute)
			s.Items.FinishItem(ctx, it.ID, triage.ItemResult{Decision: triage.Decision{Verdict: triage.VerdictNew}})
		}
	}
	var got []int64
	for after := int64(0); ; {
		page, err := s.Items.Items(ctx, triage.ItemFilter{ExhibitID: ex.ID, After: after, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for _, it := range page {
			got = append(got, it.ID)
		}
		after = page[len(page)-1].ID
	}
	if diff := cmp.Diff(ids, got); diff != "" {
		t.Errorf("paged Items (-want +got):\n%s", diff)
	}
	done, _ := s.Items.Items(ctx, triage.ItemFilter{ExhibitID: ex.ID, State: triage.StateDone})
	news, _ := s.Items.Items(ctx, triage.ItemFilter{ExhibitID: ex.ID, Verdict: triage.VerdictNew})
	if len(done) != 5 || len(news) != 5 {
		t.Errorf("filters: %d done, %d new; want 5 and 5", len(done), len(news))
	}
}

func testUsers(t *testing.T, s Stores) {
	ctx := context.Background()
	// Creations commit with their audit events: an event that cannot be
	// recorded (a NUL byte in its action) takes the creation back.
	unrecordable := triage.AuditEvent{Action: "user.create\x00"}
	if err := s.Users.CreateUser(ctx, &triage.User{Name: "alice", Role: triage.RoleExaminer}, &unrecordable); err == nil {
		t.Fatal("CreateUser with an event that cannot be recorded succeeded")
	}
	u := triage.User{Name: "alice", Role: triage.RoleExaminer}
	created := triage.AuditEvent{Action: triage.AuditUserCreate, Target: "user/alice"}
	if err := s.Users.CreateUser(ctx, &u, &created); err != nil || u.ID == 0 || created.Seq == 0 {
		t.Fatalf("CreateUser = %v, %+v, event %+v", err, u, created)
	}
	wantCode(t, s.Users.CreateUser(ctx, &triage.User{Name: "alice", Role: triage.RoleAdmin}, nil), triage.ECONFLICT)
	wantCode(t, s.Users.CreateUser(ctx, &triage.User{Name: "bob", Role: "root"}, nil), triage.EINVALID)
	secret, hash := triage.NewTokenSecret()
	lost := triage.Token{UserID: u.ID, Name: "lost", Hash: triage.HashTokenSecret("lost")}
	if err := s.Users.CreateToken(ctx, &lost, func(triage.Token) []triage.AuditEvent { return []triage.AuditEvent{unrecordable} }); err == nil {
		t.Fatal("CreateToken with an event that cannot be recorded succeeded")
	}
	_, _, err := s.Users.Authenticate(ctx, lost.Hash)
	wantCode(t, err, triage.EUNAUTHORIZED)
	tok := triage.Token{UserID: u.ID, Name: "laptop", Hash: hash}
	var tokenEvent triage.AuditEvent
	if err := s.Users.CreateToken(ctx, &tok, func(t triage.Token) []triage.AuditEvent {
		tokenEvent = triage.AuditEvent{Action: triage.AuditTokenCreate, Target: "user/alice", Detail: map[string]string{"token_id": fmt.Sprint(t.ID)}}
		return []triage.AuditEvent{tokenEvent}
	}); err != nil {
		t.Fatal(err)
	}
	if evs, err := s.Audit.AuditEvents(ctx, triage.AuditFilter{Action: triage.AuditTokenCreate}); err != nil || len(evs) != 1 ||
		evs[0].Detail["token_id"] != fmt.Sprint(tok.ID) || tok.ID == 0 {
		t.Errorf("token creation events = %+v, %v; want one naming token %d", evs, err, tok.ID)
	}
	gu, gt, err := s.Users.Authenticate(ctx, triage.HashTokenSecret(secret))
	if err != nil || gu.ID != u.ID || gu.Role != triage.RoleExaminer || gt.ID != tok.ID {
		t.Fatalf("Authenticate = %+v, %+v, %v", gu, gt, err)
	}
	_, _, err = s.Users.Authenticate(ctx, triage.HashTokenSecret(secret+"x"))
	wantCode(t, err, triage.EUNAUTHORIZED)
	_, h2 := triage.NewTokenSecret()
	expired := triage.Token{UserID: u.ID, Hash: h2, ExpiresAt: time.Now().Add(-time.Minute)}
	s.Users.CreateToken(ctx, &expired, nil)
	_, _, err = s.Users.Authenticate(ctx, h2)
	wantCode(t, err, triage.EUNAUTHORIZED)
	// The action and its audit event commit together: an event that cannot
	// be recorded (a NUL byte in its action) takes the revocation back.
	if err := s.Users.RevokeToken(ctx, tok.ID, &triage.AuditEvent{Action: "token.revoke\x00"}); err == nil {
		t.Fatal("RevokeToken with an event that cannot be recorded succeeded")
	}
	if _, _, err := s.Users.Authenticate(ctx, hash); err != nil {
		t.Fatalf("the token was revoked without its audit event: %v", err)
	}
	ev := triage.AuditEvent{Action: triage.AuditTokenRevoke, Target: fmt.Sprint("token/", tok.ID)}
	if err := s.Users.RevokeToken(ctx, tok.ID, &ev); err != nil || ev.Seq == 0 {
		t.Fatalf("RevokeToken = %v, event %+v", err, ev)
	}
	_, _, err = s.Users.Authenticate(ctx, hash)
	wantCode(t, err, triage.EUNAUTHORIZED)
	wantCode(t, s.Users.RevokeToken(ctx, tok.ID, nil), triage.ENOTFOUND)
	if us, err := s.Users.Users(ctx); err != nil || len(us) != 1 {
		t.Errorf("Users = %+v, %v", us, err)
	}
}

func testAudit(t *testing.T, s Stores) {
	ctx := context.Background()
	for i := range 5 {
		e := triage.AuditEvent{UserName: "alice", Action: triage.AuditUpload, Target: fmt.Sprintf("item/%d", i%2), Detail: map[string]string{"n": fmt.Sprint(i)}}
		if err := s.Audit.RecordAudit(ctx, &e); err != nil || e.ID == 0 {
			t.Fatalf("RecordAudit = %v", err)
		}
	}
	evs, err := s.Audit.AuditEvents(ctx, triage.AuditFilter{Target: "item/0"})
	if err != nil || len(evs) != 3 || evs[0].Detail["n"] != "4" {
		t.Errorf("AuditEvents = %+v, %v; want 3 newest first", evs, err)
	}
	page, _ := s.Audit.AuditEvents(ctx, triage.AuditFilter{Limit: 2})
	next, _ := s.Audit.AuditEvents(ctx, triage.AuditFilter{Limit: 10, Before: page[1].ID})
	if len(page) != 2 || len(next) != 3 {
		t.Errorf("audit pages %d + %d, want 2 + 3", len(page), len(next))
	}
	// Every event is in a chain, in order, with hashes auditlog verifies
	// (the store computes them itself), and a signed checkpoint pins the
	// head; names that are not UTF-8 are recorded.
	e := triage.AuditEvent{UserName: "bad\xff", Action: triage.AuditLoginFailed, Target: "user/bad\xff", Remote: "198.51.100.1"}
	if err := s.Audit.RecordAudit(ctx, &e); err != nil || e.Seq == 0 || e.Hash != auditlog.Hash(&e) {
		t.Fatalf("RecordAudit = %+v, %v", e, err)
	}
	_, key, _ := ed25519.GenerateKey(nil)
	if n, err := auditlog.Checkpoint(ctx, s.Audit, key, time.Now()); err != nil || n == 0 {
		t.Fatalf("Checkpoint = %d, %v", n, err)
	}
	reports, err := auditlog.VerifyStore(ctx, s.Audit, key.Public().(ed25519.PublicKey))
	var events int64
	for _, r := range reports {
		events += r.Events
		if r.Problem != nil || r.Checkpoints != 1 || r.Unsigned != 0 {
			t.Errorf("chain %s: %+v", r.Chain, r)
		}
	}
	if err != nil || events != 6 {
		t.Errorf("VerifyStore: %d events, %v; want 6", events, err)
	}
}

func testSets(t *testing.T, s Stores) {
	ctx := context.Background()
	st := triage.StoredSet{Name: "known", Version: "1", Kind: triage.SetKindAlert, SHA256: triage.SHA256{1}, Size: 100}
	// Changes of sets commit with their audit events (triage.AuditOf):
	// one that cannot be recorded takes the change back.
	unrecordable := func(triage.StoredSet) []triage.AuditEvent { return []triage.AuditEvent{{Action: "hashset.push\x00"}} }
	if _, err := s.Sets.PutSet(ctx, &triage.StoredSet{Name: "known", Kind: triage.SetKindAlert, SHA256: triage.SHA256{1}}, unrecordable); err == nil {
		t.Fatal("PutSet with an event that cannot be recorded succeeded")
	}
	_, err := s.Sets.Set(ctx, "known")
	wantCode(t, err, triage.ENOTFOUND)
	pushes := 0
	pushed := func(st triage.StoredSet) []triage.AuditEvent {
		pushes++
		return []triage.AuditEvent{{Action: triage.AuditHashSetPush, Target: "hashset/" + st.Name, Detail: map[string]string{"rev": fmt.Sprint(st.Rev)}}}
	}
	created, err := s.Sets.PutSet(ctx, &st, pushed)
	if err != nil || !created || st.State != triage.SetImporting || st.Rev != 1 || !st.Enabled || pushes != 1 {
		t.Fatalf("PutSet = %v, %v, %+v, %d events", created, err, st, pushes)
	}
	same := triage.StoredSet{Name: "known", Version: "1", Kind: triage.SetKindAlert, SHA256: triage.SHA256{1}, Size: 100}
	if created, err := s.Sets.PutSet(ctx, &same, pushed); err != nil || created || same.ID != st.ID || pushes != 1 {
		t.Errorf("PutSet same file = %v, %v, %d events; want the existing set and no event", created, err, pushes)
	}
	_, err = s.Sets.AddSetEntries(ctx, "known", []triage.Entry{entry(1)}, nil)
	wantCode(t, err, triage.ECONFLICT)
	if stuck, _ := s.Sets.StuckSets(ctx, -time.Hour); len(stuck) != 1 {
		t.Errorf("StuckSets = %v, want the importing set", stuck)
	}
	// A mixed set (an NSRL entry among alert ones) with a custom scheme
	// that the store has never heard of: kinds, categories and the
	// scheme's definition come back as stored.
	custom := triage.Scheme{Name: "storetest-custom", Labels: map[string]string{"Q": "Q", "OK": "fine"},
		Ints: map[int]string{1: "Q", 2: "OK"}, Ignorable: map[string]bool{"OK": true}}
	base := []triage.Entry{entry(1), entry(2), entry(3)}
	base[1].Kind = triage.SetKindKnownGood
	base[1].Category = triage.Category{}
	base[2].Kind, base[2].Category = triage.SetKindAlert, triage.Category{Scheme: custom.Name, Code: "Q"}
	meta := triage.SetMeta{Name: "known", Version: "1", Kind: triage.SetKindMixed, Schemes: []triage.Scheme{custom}}
	wantCode(t, s.Sets.ImportSet(ctx, st.ID, st.Rev+1, meta, slicesSeq(base), nil), triage.ECONFLICT)
	if err := s.Sets.ImportSet(ctx, st.ID, st.Rev, meta, slicesSeq(base), nil); err != nil {
		t.Fatal(err)
	}
	got, _ := s.Sets.Set(ctx, "known")
	if got.State != triage.SetReady || got.BaseEntries != 3 || got.Entries != 3 || got.Kind != triage.SetKindMixed {
		t.Errorf("after import: %+v", got)
	}
	if diff := cmp.Diff([]triage.Scheme{custom}, got.Schemes); diff != "" {
		t.Errorf("stored schemes (-want +got):\n%s", diff)
	}
	stored, err := s.Sets.SetEntries(ctx, st.ID, 0, 3)
	if err != nil {
		t.Fatal(err)
	}
	base[0].Kind = triage.SetKindAlert // the store records the kind each entry has in its set
	if diff := cmp.Diff(base, stored); diff != "" {
		t.Errorf("SetEntries of the import (-want +got):\n%s", diff)
	}
	if _, err := s.Sets.AddSetEntries(ctx, "known", []triage.Entry{entry(4)}, func(int64) []triage.AuditEvent {
		return []triage.AuditEvent{{Action: "hashset.entry\x00"}}
	}); err == nil {
		t.Fatal("AddSetEntries with an event that cannot be recorded succeeded")
	}
	var entriesEvent triage.AuditEvent
	// Entries with regions and keypoints (promoted from review, or built
	// from media) keep them.
	withRegion := entry(5)
	withRegion.Regions = []triage.Region{{Kind: triage.RegionCentre, PDQ: triage.PDQ{9, 31: 1}, PDQQuality: 77, PHash: 0xfedc_ba98_7654_3210}}
	withRegion.Keypoints = []triage.Keypoint{{X: 1, Y: 2, Scale: 3, Angle: 4, Desc: 0x0123_4567_89ab_cdef}}
	n, err := s.Sets.AddSetEntries(ctx, "known", []triage.Entry{entry(4), withRegion}, func(n int64) []triage.AuditEvent {
		entriesEvent = triage.AuditEvent{Action: triage.AuditHashSetEntry, Target: "hashset/known", Detail: map[string]string{"entries": fmt.Sprint(n)}}
		return []triage.AuditEvent{entriesEvent}
	})
	if err != nil || n != 5 || entriesEvent.Detail["entries"] != "5" {
		t.Fatalf("AddSetEntries = %d, %v, event %+v", n, err, entriesEvent)
	}
	es, err := s.Sets.SetEntries(ctx, st.ID, 3, 5)
	if err != nil {
		t.Fatal(err)
	}
	added := []triage.Entry{entry(4), withRegion}
	added[0].Kind, added[1].Kind = triage.SetKindAlert, triage.SetKindAlert // not said: alert in a mixed set
	if diff := cmp.Diff(added, es); diff != "" {
		t.Errorf("SetEntries (-want +got):\n%s", diff)
	}
	off, r := false, 20
	if _, err := s.Sets.UpdateSet(ctx, "known", triage.SetUpdate{Enabled: &off}, unrecordable); err == nil {
		t.Fatal("UpdateSet with an event that cannot be recorded succeeded")
	}
	if got, _ := s.Sets.Set(ctx, "known"); !got.Enabled {
		t.Error("UpdateSet whose event was not recorded disabled the set")
	}
	up, err := s.Sets.UpdateSet(ctx, "known", triage.SetUpdate{Enabled: &off, PDQRadius: &r}, nil)
	if err != nil || up.Enabled || up.PDQRadius != 20 || up.Rev != st.Rev+1 {
		t.Errorf("UpdateSet = %+v, %v", up, err)
	}
	bad := 500
	_, err = s.Sets.UpdateSet(ctx, "known", triage.SetUpdate{PDQRadius: &bad}, nil)
	wantCode(t, err, triage.EINVALID)
	_, err = s.Sets.UpdateSet(ctx, "nope", triage.SetUpdate{Enabled: &off}, nil)
	wantCode(t, err, triage.ENOTFOUND)
	// A new file under the same name replaces the set.
	v2 := triage.StoredSet{Name: "known", Version: "2", Kind: triage.SetKindAlert, SHA256: triage.SHA256{2}, Size: 200}
	if created, err := s.Sets.PutSet(ctx, &v2, nil); err != nil || !created || v2.ID != st.ID || v2.Rev <= up.Rev || v2.Entries != 0 {
		t.Errorf("PutSet new version = %v, %v, %+v", created, err, v2)
	}
	sets, _ := s.Sets.Sets(ctx)
	if len(sets) != 1 {
		t.Errorf("Sets = %+v", sets)
	}
}

func entry(n int) triage.Entry {
	e := triage.NewEntry()
	e.MD5[0], e.MD5[1] = 0x5e, byte(n)
	e.PDQ[0], e.PDQ[1] = 0x70, byte(n)
	e.PDQQuality = 100
	e.Algos = triage.AlgoSet(triage.AlgoMD5 | triage.AlgoPDQ)
	e.ID = fmt.Sprintf("id-%d", n)
	e.Category = triage.MustParseCategory("vic-us:1")
	e.Series = "series-a"
	return e
}

func slicesSeq(es []triage.Entry) func(yield func(triage.Entry) bool) {
	return func(yield func(triage.Entry) bool) {
		for _, e := range es {
			if !yield(e) {
				return
			}
		}
	}
}
