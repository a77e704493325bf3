package series

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// incrementalSeries groups items arriving one at a time in order, as the
// review queue does: identical content joins its member, anything else
// merges the groups of every item it links to. It returns the partition
// as sorted lists of item indexes.
func incrementalSeries(items []Item, order []int, opt Options) [][]int {
	x := NewIndex(opt)
	member := map[triage.SHA256]int64{} // content -> member key
	group := map[int64]int{}            // member key -> group id
	groups := map[int]map[int]bool{}
	next := 0
	for _, i := range order {
		it := items[i]
		if !it.Cluster {
			continue
		}
		if k, ok := member[it.SHA256]; ok && !it.SHA256.IsZero() {
			groups[group[k]][i] = true
			continue
		}
		key := int64(i + 1)
		target := -1
		for _, l := range x.Linked(it) {
			g := group[l]
			switch {
			case target < 0:
				target = g
			case g != target: // merge g into target
				for m, mg := range group {
					if mg == g {
						group[m] = target
					}
				}
				for j := range groups[g] {
					groups[target][j] = true
				}
				delete(groups, g)
			}
		}
		if target < 0 {
			target = next
			next++
			groups[target] = map[int]bool{}
		}
		groups[target][i] = true
		group[key] = target
		if !it.SHA256.IsZero() {
			member[it.SHA256] = key
		}
		x.Add(key, it)
	}
	var out [][]int
	for _, g := range groups {
		var s []int
		for i := range g {
			s = append(s, i)
		}
		slices.Sort(s)
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b []int) int { return a[0] - b[0] })
	return out
}

// TestSeriesIndexAgreesWithSeries checks that the review queue's
// one-at-a-time grouping finds the same series as winnow scan's Group,
// whatever order the items arrive in.
func TestSeriesIndexAgreesWithSeries(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 400
	}
	for seed := range uint64(4) {
		items := clusteredItems(n, 11+seed)
		for i := range items {
			if items[i].SHA256[0]%17 == 0 { // by content: copies share a fingerprint
				items[i].PDQQuality = 30 // low quality: links only by identical content
			}
			if i%23 == 0 {
				items[i].Cluster = false
			}
		}
		want := Group(items, Options{})
		rng := rand.New(rand.NewPCG(seed, 99))
		order := rng.Perm(len(items))
		got := incrementalSeries(items, order, Options{})
		if len(got) != len(want) {
			t.Fatalf("seed %d: %d series one at a time, %d at once", seed, len(got), len(want))
		}
		for i := range want {
			if !slices.Equal(got[i], want[i]) {
				t.Fatalf("seed %d: series %d is %v one at a time, %v at once", seed, i, got[i], want[i])
			}
		}
	}
}

func TestSeriesIndexLinked(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	a, b := randPDQ(rng), randPDQ(rng)
	pb := triage.PHash(rng.Uint64())
	x := NewIndex(Options{})
	x.Add(1, groupImg(1, a, triage.PHash(rng.Uint64())))
	x.Add(2, groupImg(2, b, pb))
	x.Add(2, groupImg(2, b, pb)) // same key again: ignored
	low := groupImg(3, a, 0)
	low.PDQQuality = 10
	x.Add(3, low) // low quality: not held
	if x.Len() != 2 {
		t.Fatalf("Len = %d, want 2", x.Len())
	}
	rot := groupImg(9, randPDQ(rng), triage.PHash(rng.Uint64()))
	rot.PDQ[2] = triagetest.FlipBits(b, rng, 4)
	for _, tc := range []struct {
		name string
		g    Item
		want []int64
	}{
		{"near a", groupImg(5, triagetest.FlipBits(a, rng, 10), triage.PHash(rng.Uint64())), []int64{1}},
		{"far from both", groupImg(6, randPDQ(rng), triage.PHash(rng.Uint64())), nil},
		{"pHash confirms borderline PDQ", groupImg(7, triagetest.FlipBits(b, rng, 50), flip64(rng, pb, 4)), []int64{2}},
		{"pHash with a far PDQ", groupImg(8, triagetest.FlipBits(b, rng, 90), flip64(rng, pb, 4)), nil},
		{"rotation of b", rot, []int64{2}},
		{"low quality near a", low, nil},
	} {
		if got := x.Linked(tc.g); !slices.Equal(got, tc.want) {
			t.Errorf("%s: Linked = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func BenchmarkSeriesIndex(b *testing.B) {
	items := clusteredItems(100_000, 3)
	x := NewIndex(Options{})
	for i := range items {
		x.Add(int64(i), items[i])
	}
	q := clusteredItems(1000, 77)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		x.Linked(q[i%len(q)])
	}
}
