package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/storage/postgres"
	"github.com/winnow-forensics/winnow/storage/servicetest"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest/storetest"
)

// TestReviewStore runs the review suite; Another opens a second store on
// the same schema, as another worker process does (its series index
// catches up from the database).
func TestReviewStore(t *testing.T) {
	storetest.TestReviewStore(t, func(t *testing.T, now func() time.Time) storetest.ReviewStores {
		pg := servicetest.MustPostgres(t)
		open := func(t *testing.T) storetest.ReviewStores {
			s, err := postgres.Open(context.Background(), postgres.Config{URL: pg.URL, Schema: pg.Schema, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(s.Close)
			return storetest.ReviewStores{Cases: s, Items: s, Users: s, Audit: s, Sets: s, Access: s, Reviews: s}
		}
		stores := open(t)
		stores.Another = open
		return stores
	})
}

// reviewFixture is a store on a fresh schema with a reviewer (ann, on
// every case the benchmarks make) and a local set.
type reviewFixture struct {
	s     *postgres.Store
	users map[string]triage.User
}

func mustReview(t testing.TB) *reviewFixture {
	t.Helper()
	pg := servicetest.MustPostgres(t)
	s, err := postgres.Open(context.Background(), postgres.Config{URL: pg.URL, Schema: pg.Schema})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	f := &reviewFixture{s: s, users: map[string]triage.User{}}
	ann := triage.User{Name: "ann", Role: triage.RoleReviewer}
	if err := s.CreateUser(context.Background(), &ann, nil); err != nil {
		t.Fatal(err)
	}
	f.users["ann"] = ann
	st := triage.StoredSet{Name: "local", Kind: triage.SetKindAlert, SHA256: triage.SHA256{1}, Size: 1}
	if err := s.EnsureLocalSet(context.Background(), &st); err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *reviewFixture) viewer(name string) triage.Viewer { return triage.ViewerOf(f.users[name]) }

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
			pdq = storetest.Flip(prev, 0, 8)
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
