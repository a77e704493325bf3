package index

import (
	"fmt"
	"testing"
)

// Layouts the property tests force, besides the default planner: one big
// table, tables that straddle 64-bit words (m=3, 5, 7), the refined
// pigeonhole with unequal thresholds, and tiny directories (many entries a
// bucket).
var layouts256 = []fixedPlan{
	{m: 1, nb: 12}, {m: 3, nb: 11}, {m: 5, nb: 14}, {m: 7, nb: 9},
	{m: 8, nb: 12}, {m: 11, nb: 10}, {m: 16, nb: 8}, {m: 32, nb: 5},
}

var layouts64 = []fixedPlan{
	{m: 1, nb: 14}, {m: 2, nb: 12}, {m: 3, nb: 14}, {m: 4, nb: 16}, {m: 5, nb: 9}, {m: 8, nb: 6},
}

func TestNear256MatchesBruteForce(t *testing.T) {
	sets := []struct {
		name   string
		hashes [][32]byte
	}{
		{"empty", nil},
		{"one", randomSet256(1, 1)},
		{"random-3000", randomSet256(3000, 2)},
		{"clustered-3000", clusteredSet256(3000, 30, 40, 3)},
		// Every hash three times (the same images in several sets).
		{"duplicates", append(append(randomSet256(700, 4), randomSet256(700, 4)...), randomSet256(700, 4)...)},
		// Near-constant hashes: everything in a few buckets.
		{"degenerate", clusteredSet256(1200, 1, 3, 5)},
	}
	radii := []int{-1, 256, 257, 1000}
	for r := 0; r <= 64; r++ {
		radii = append(radii, r)
	}
	for _, set := range sets {
		ref := &model256{}
		for i, h := range set.hashes {
			ref.add(h, uint32(i))
		}
		qs := queries256(set.hashes, 16, 7)
		indexes := map[string]*Near256{"default": BuildNear256(set.hashes, nil)}
		for _, p := range sample(layouts256, 3) {
			p.enumerate = true
			indexes[p.String()] = newNear256With(p, 64, set.hashes)
		}
		all := make([][]Match, len(qs))
		for i, q := range qs {
			all[i] = ref.query(q, 256)
		}
		for name, x := range indexes {
			t.Run(set.name+"/"+name, func(t *testing.T) {
				if got, want := x.Len(), len(set.hashes); got != want {
					t.Fatalf("Len() = %d, want %d", got, want)
				}
				for qi, q := range qs {
					for _, r := range sample(radii, 5) {
						want := within(all[qi], r)
						got := sortedMatches(x.Query(q, r, nil))
						if d := diffMatches(want, got); d != "" {
							t.Fatalf("query %d radius %d: %s", qi, r, d)
						}
					}
				}
			})
		}
	}
}

func TestNear64MatchesBruteForce(t *testing.T) {
	sets := []struct {
		name   string
		hashes []uint64
	}{
		{"empty", nil},
		{"one", randomSet64(1, 1)},
		{"random-5000", randomSet64(5000, 2)},
		{"clustered-5000", clusteredSet64(5000, 40, 12, 3)},
		{"duplicates", append(append(randomSet64(900, 4), randomSet64(900, 4)...), randomSet64(900, 4)...)},
	}
	radii := []int{-1, 64, 65}
	for r := 0; r <= 20; r++ {
		radii = append(radii, r)
	}
	for _, set := range sets {
		ref := &model64{}
		for i, h := range set.hashes {
			ref.add(h, uint32(i))
		}
		qs := queries64(set.hashes, 24, 8)
		indexes := map[string]*Near64{"default": BuildNear64(set.hashes, nil)}
		for _, p := range sample(layouts64, 3) {
			p.enumerate = true
			indexes[p.String()] = newNear64With(p, 64, set.hashes)
		}
		all := make([][]Match, len(qs))
		for i, q := range qs {
			all[i] = ref.query(q, 64)
		}
		for name, x := range indexes {
			t.Run(set.name+"/"+name, func(t *testing.T) {
				for qi, q := range qs {
					for _, r := range sample(radii, 4) {
						want := within(all[qi], r)
						got := sortedMatches(x.Query(q, r, nil))
						if d := diffMatches(want, got); d != "" {
							t.Fatalf("query %d (%016x) radius %d: %s", qi, q, r, d)
						}
					}
				}
			})
		}
	}
}

// TestNear256DefaultPlanLarge checks the planner's own layout on a set big
// enough to get many tables, with random and clustered data.
func TestNear256DefaultPlanLarge(t *testing.T) {
	if quick() {
		t.Skip("large set: skipped with -short and -race")
	}
	for _, c := range []struct {
		name string
		set  [][32]byte
	}{
		{"random", randomSet256(200_000, 11)},
		{"clustered", clusteredSet256(200_000, 300, 40, 12)},
	} {
		t.Run(c.name, func(t *testing.T) {
			x := BuildNear256(c.set, nil)
			if s := x.st.load().segs[0]; s.mih == nil || s.mih.m < 4 {
				t.Fatalf("expected an MIH segment with several tables, got %+v", s.mih)
			}
			ref := &model256{}
			for i, h := range c.set {
				ref.add(h, uint32(i))
			}
			for qi, q := range queries256(c.set, 12, 13) {
				for _, r := range []int{0, 1, 8, 16, 24, 31, 32, 40, 48, 64} {
					if d := diffMatches(ref.query(q, r), sortedMatches(x.Query(q, r, nil))); d != "" {
						t.Fatalf("query %d radius %d: %s", qi, r, d)
					}
				}
			}
		})
	}
}

// TestNear256Updates interleaves adds, removes, queries and compactions
// (with merges running in the background) and checks every query against
// the reference model.
func TestNear256Updates(t *testing.T) {
	for _, p := range []fixedPlan{{m: 8, nb: 7, minN: 32, enumerate: true}, {m: 11, nb: 9, minN: 100}} {
		t.Run(p.String(), func(t *testing.T) {
			r := newRand(21)
			base := clusteredSet256(300, 10, 30, 22)
			x := newNear256With(p, 16, base)
			ref := &model256{}
			for i, h := range base {
				ref.add(h, uint32(i))
			}
			next := uint32(len(base))
			steps := 3000
			if quick() {
				steps = 600
			}
			for step := 0; step < steps; step++ {
				switch op := r.IntN(20); {
				case op < 8: // add a near-duplicate, an exact duplicate or a new hash
					var h [32]byte
					switch r.IntN(3) {
					case 0:
						h = randHash256(r)
					default:
						h = flip256(ref.h[r.IntN(len(ref.h))], r.IntN(6), r)
					}
					id := next
					if r.IntN(10) == 0 { // same hash and id twice
						i := r.IntN(len(ref.h))
						h, id = ref.h[i], ref.ids[i]
					} else {
						next++
					}
					x.Add(h, id)
					ref.add(h, id)
				case op < 12: // remove a present entry, or an absent one
					i := r.IntN(len(ref.h))
					h, id := ref.h[i], ref.ids[i]
					if r.IntN(4) == 0 {
						id += 1 << 30
					}
					if got, want := x.Remove(h, id), ref.remove(h, id); got != want {
						t.Fatalf("step %d: Remove = %v, want %v", step, got, want)
					}
				case op < 19:
					q := flip256(ref.h[r.IntN(len(ref.h))], r.IntN(40), r)
					rad := r.IntN(48)
					if d := diffMatches(ref.query(q, rad), sortedMatches(x.Query(q, rad, nil))); d != "" {
						t.Fatalf("step %d radius %d: %s", step, rad, d)
					}
				default:
					if r.IntN(10) == 0 {
						x.Compact()
					}
				}
				if got, want := x.Len(), ref.len(); got != want {
					t.Fatalf("step %d: Len() = %d, want %d", step, got, want)
				}
			}
			x.Compact()
			s := x.st.load()
			if len(s.segs) > 1 || s.delta.len() != 0 {
				t.Errorf("after Compact: %d segments and %d delta entries, want 1 and 0", len(s.segs), s.delta.len())
			}
			for i := 0; i < 50; i++ {
				q := flip256(ref.h[r.IntN(len(ref.h))], r.IntN(40), r)
				if d := diffMatches(ref.query(q, 31), sortedMatches(x.Query(q, 31, nil))); d != "" {
					t.Fatalf("after Compact: %s", d)
				}
			}
			mustSettle(t, &x.st)
		})
	}
}

func TestNear64Updates(t *testing.T) {
	r := newRand(31)
	x := newNear64With(fixedPlan{m: 4, nb: 8, minN: 32, enumerate: true}, 16, nil)
	ref := &model64{}
	steps := 3000
	if quick() {
		steps = 600
	}
	for step := 0; step < steps; step++ {
		switch op := r.IntN(10); {
		case op < 5 || len(ref.h) == 0:
			h := r.Uint64()
			if len(ref.h) > 0 && r.IntN(2) == 0 {
				h = flip64(ref.h[r.IntN(len(ref.h))], r.IntN(8), r)
			}
			x.Add(h, uint32(step))
			ref.add(h, uint32(step))
		case op < 7:
			i := r.IntN(len(ref.h))
			if got, want := x.Remove(ref.h[i], ref.ids[i]), ref.remove(ref.h[i], ref.ids[i]); got != want {
				t.Fatalf("step %d: Remove = %v, want %v", step, got, want)
			}
		default:
			q := flip64(ref.h[r.IntN(len(ref.h))], r.IntN(16), r)
			rad := r.IntN(21)
			if d := diffMatches(ref.query(q, rad), sortedMatches(x.Query(q, rad, nil))); d != "" {
				t.Fatalf("step %d radius %d: %s", step, rad, d)
			}
		}
	}
	mustSettle(t, &x.st)
}

// TestNear256RemoveAll removes every entry: segments that become mostly
// tombstones are rebuilt and, once empty, dropped.
func TestNear256RemoveAll(t *testing.T) {
	set := randomSet256(5000, 41)
	x := BuildNear256(set, nil)
	for i, h := range set {
		if !x.Remove(h, uint32(i)) {
			t.Fatalf("Remove(%d) = false", i)
		}
		if x.Remove(h, uint32(i)) {
			t.Fatalf("second Remove(%d) = true", i)
		}
	}
	mustSettle(t, &x.st)
	if n := x.Len(); n != 0 {
		t.Fatalf("Len() = %d, want 0", n)
	}
	for _, q := range set[:20] {
		if m := x.Query(q, 256, nil); len(m) != 0 {
			t.Fatalf("query after removing everything: %v", m)
		}
	}
	if n := len(x.st.load().segs); n != 0 {
		t.Errorf("%d segments left, want 0", n)
	}
}

func TestThresholdsCoverRadius(t *testing.T) {
	// The pigeonhole condition: sum(tau_i + 1) >= r + 1 for every m, r.
	for m := 1; m <= maxTables; m++ {
		for r := 0; r <= 300; r++ {
			tau := thresholds(m, r)
			sum := 0
			for i := 0; i < m; i++ {
				sum += tau[i] + 1
			}
			if sum < r+1 {
				t.Fatalf("m=%d r=%d: sum(tau+1) = %d < r+1", m, r, sum)
			}
		}
	}
}

func TestFlipMasks(t *testing.T) {
	for nb := 1; nb <= 16; nb++ {
		for r := 0; r <= nb+1; r++ {
			ms := flipMasks(nb, r)
			if len(ms) != ballSize(nb, r) {
				t.Fatalf("nb=%d r=%d: %d masks, want %d", nb, r, len(ms), ballSize(nb, r))
			}
			seen := map[uint32]bool{}
			for _, m := range ms {
				if m>>nb != 0 || seen[m] || popcount([]uint64{uint64(m)}) > r {
					t.Fatalf("nb=%d r=%d: bad or repeated mask %b", nb, r, m)
				}
				seen[m] = true
			}
		}
	}
}

func TestBuildNear256PanicsOnLengthMismatch(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("no panic")
		}
	}()
	BuildNear256(make([][32]byte, 3), []uint32{1, 2})
}

func ExampleNear256() {
	var a, b [32]byte
	b[0] = 0x0f // 4 bits from a
	x := BuildNear256([][32]byte{a, b}, []uint32{10, 20})
	x.Add(a, 30) // the same hash again, for another entry
	m := sortedMatches(x.Query(a, 3, nil))
	fmt.Println(m)
	m = sortedMatches(x.Query(a, DefaultRadius256, nil))
	fmt.Println(m)
	// Output:
	// [{10 0} {30 0}]
	// [{10 0} {20 4} {30 0}]
}
