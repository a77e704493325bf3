package series

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// randPDQ returns a random hash.
func randPDQ(rng *rand.Rand) triage.PDQ {
	var h triage.PDQ
	for i := range h {
		h[i] = byte(rng.Uint32())
	}
	return h
}

func flip64(rng *rand.Rand, h triage.PHash, n int) triage.PHash {
	for _, b := range rng.Perm(64)[:n] {
		h ^= 1 << b
	}
	return h
}

func shaOf(n int) triage.SHA256 { return triage.SHA256{byte(n), byte(n >> 8), 1} }

// groupImg returns a clusterable item with the given hashes.
func groupImg(content int, pdq triage.PDQ, ph triage.PHash) Item {
	return Item{SHA256: shaOf(content), Cluster: true, Perceptual: true, PDQ: [8]triage.PDQ{pdq}, PDQQuality: 100, PHash: ph}
}

func TestStacks(t *testing.T) {
	items := []Item{{SHA256: shaOf(1)}, {SHA256: shaOf(2)}, {SHA256: shaOf(1)}, {}, {}, {SHA256: shaOf(2)}, {SHA256: shaOf(1)}, {SHA256: shaOf(3)}}
	want := [][]int{{0, 2, 6}, {1, 5}}
	if diff := cmp.Diff(want, Stacks(items)); diff != "" {
		t.Errorf("stacks (-want +got):\n%s", diff)
	}
}

func TestSeries(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	a, b, c := randPDQ(rng), randPDQ(rng), randPDQ(rng)
	pa, pb := triage.PHash(rng.Uint64()), triage.PHash(rng.Uint64())

	mid := triagetest.FlipBits(a, rng, 20)
	far := triagetest.FlipBits(mid, rng, 25)
	rotated := groupImg(20, triagetest.FlipBits(c, rng, 3), triage.PHash(rng.Uint64()))
	// Item 11 is c rotated: its rot90 hash (PDQ[1]) is close to c.
	viaRotation := groupImg(11, randPDQ(rng), triage.PHash(rng.Uint64()))
	viaRotation.PDQ[1] = triagetest.FlipBits(c, rng, 5)

	items := []Item{
		0: groupImg(1, a, pa),
		1: groupImg(2, mid, flip64(rng, pa, 3)),         // near a by PDQ
		2: groupImg(3, far, triage.PHash(rng.Uint64())), // near 1, far from 0: chained
		3: groupImg(1, a, pa),                           // identical to 0
		4: groupImg(4, b, pb),
		5: groupImg(5, triagetest.FlipBits(b, rng, 50), flip64(rng, pb, 5)),                             // PDQ borderline, pHash confirms
		6: groupImg(6, triagetest.FlipBits(b, rng, 50), flip64(rng, pb, 20)),                            // PDQ borderline, pHash disagrees
		7: {SHA256: shaOf(7), Cluster: true},                                                            // not an image
		8: {SHA256: shaOf(7), Cluster: true},                                                            // its copy
		9: {SHA256: shaOf(9), Cluster: false, Perceptual: true, PDQ: [8]triage.PDQ{a}, PDQQuality: 100}, // not clustered
		10: func() Item { // low quality: only identical copies link
			g := groupImg(10, triagetest.FlipBits(a, rng, 2), pa)
			g.PDQQuality = 20
			return g
		}(),
		11: viaRotation,
		12: groupImg(12, c, triage.PHash(rng.Uint64())),
		13: rotated,
	}
	if d := a.Distance(far); d <= 31 {
		t.Fatalf("test setup: item 2 is %d from item 0, want it linked only through item 1", d)
	}
	got := Group(items, Options{})
	want := [][]int{{0, 1, 2, 3}, {4, 5}, {6}, {7, 8}, {10}, {11, 12, 13}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("series (-want +got):\n%s", diff)
	}
}

// TestSeriesMatchesBruteForce compares Group with a brute-force single
// linkage over clustered random hashes.
func TestSeriesMatchesBruteForce(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 600
	}
	items := clusteredItems(n, 7)
	opt := DefaultOptions
	uf := newUnionFind(n)
	for i := range items {
		for j := i + 1; j < n; j++ {
			a, b := &items[i], &items[j]
			d := min(minPDQDistance(a, b.PDQ[0]), minPDQDistance(b, a.PDQ[0]))
			if a.SHA256 == b.SHA256 || d <= opt.PDQRadius || a.PHash.Distance(b.PHash) <= opt.PHashRadius && d <= opt.PHashPDQRadius {
				uf.union(i, j)
			}
		}
	}
	want := map[[2]int]bool{}
	for i := range items {
		want[[2]int{uf.find(i), 0}] = true
	}
	got := Group(items, opt)
	if len(got) != len(want) {
		t.Fatalf("%d series, brute force finds %d", len(got), len(want))
	}
	for _, s := range got {
		r := uf.find(s[0])
		for _, i := range s {
			if uf.find(i) != r {
				t.Fatalf("series %v mixes brute-force components", s)
			}
		}
	}
}

// clusteredItems makes n items in clusters of near copies (a few bits to
// 40 bits from their centre, some rotated), with exact duplicates.
func clusteredItems(n int, seed uint64) []Item {
	rng := rand.New(rand.NewPCG(seed, seed+1))
	items := make([]Item, 0, n)
	for len(items) < n {
		centre, ph := randPDQ(rng), triage.PHash(rng.Uint64())
		size := 1 + rng.IntN(6)
		for range size {
			it := groupImg(len(items), triagetest.FlipBits(centre, rng, rng.IntN(40)), flip64(rng, ph, rng.IntN(12)))
			if rng.IntN(4) == 0 { // stored rotated: only its dihedral hash is near
				it.PDQ[3] = it.PDQ[0]
				it.PDQ[0] = randPDQ(rng)
			}
			if rng.IntN(10) == 0 && len(items) > 0 {
				it = items[len(items)-1]
			}
			items = append(items, it)
		}
	}
	return items[:n]
}

func BenchmarkSeries(b *testing.B) {
	for _, n := range []int{10_000, 100_000} {
		items := clusteredItems(n, 3)
		for i := range items { // all eight dihedral hashes, as a scan computes them
			for d := 1; d < 8; d++ {
				if items[i].PDQ[d].IsZero() {
					items[i].PDQ[d] = triagetest.FlipBits(items[i].PDQ[0], rand.New(rand.NewPCG(uint64(i), uint64(d))), 128)
				}
			}
		}
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			for b.Loop() {
				Group(items, Options{})
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/float64(n), "µs/item")
		})
	}
}
