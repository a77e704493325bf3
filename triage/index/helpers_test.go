package index

import (
	"cmp"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"slices"
	"testing"
)

// Test data: uniformly random hashes, and clustered ones (a few hundred
// centres, each member at a random distance 0..spread from its centre),
// which is what real hash sets look like: series of near-identical images.

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x5eed)) }

func randHash256(r *rand.Rand) (h [32]byte) {
	for i := 0; i < 32; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8; j++ {
			h[i+j] = byte(v >> (8 * j))
		}
	}
	return h
}

// flip256 returns h with k distinct random bits flipped.
func flip256(h [32]byte, k int, r *rand.Rand) [32]byte {
	var done [4]uint64
	for k > 0 {
		b := r.IntN(256)
		if done[b/64]&(1<<(b%64)) != 0 {
			continue
		}
		done[b/64] |= 1 << (b % 64)
		h[b/8] ^= 1 << (b % 8)
		k--
	}
	return h
}

func flip64(h uint64, k int, r *rand.Rand) uint64 {
	var done uint64
	for k > 0 {
		b := r.IntN(64)
		if done&(1<<b) != 0 {
			continue
		}
		done |= 1 << b
		h ^= 1 << b
		k--
	}
	return h
}

func randomSet256(n int, seed uint64) [][32]byte {
	r := newRand(seed)
	hs := make([][32]byte, n)
	for i := range hs {
		hs[i] = randHash256(r)
	}
	return hs
}

func clusteredSet256(n, centres, spread int, seed uint64) [][32]byte {
	r := newRand(seed)
	cs := randomSet256(centres, seed+1)
	hs := make([][32]byte, n)
	for i := range hs {
		hs[i] = flip256(cs[r.IntN(centres)], r.IntN(spread+1), r)
	}
	return hs
}

func randomSet64(n int, seed uint64) []uint64 {
	r := newRand(seed)
	hs := make([]uint64, n)
	for i := range hs {
		hs[i] = r.Uint64()
	}
	return hs
}

func clusteredSet64(n, centres, spread int, seed uint64) []uint64 {
	r := newRand(seed)
	cs := randomSet64(centres, seed+1)
	hs := make([]uint64, n)
	for i := range hs {
		hs[i] = flip64(cs[r.IntN(centres)], r.IntN(spread+1), r)
	}
	return hs
}

// queries256 mixes near-duplicates of set members (0..40 bits flipped),
// exact members and fresh random hashes.
func queries256(set [][32]byte, n int, seed uint64) [][32]byte {
	r := newRand(seed)
	qs := make([][32]byte, n)
	for i := range qs {
		switch {
		case len(set) == 0 || i%4 == 3:
			qs[i] = randHash256(r)
		case i%4 == 2:
			qs[i] = set[r.IntN(len(set))]
		default:
			qs[i] = flip256(set[r.IntN(len(set))], r.IntN(41), r)
		}
	}
	return qs
}

func queries64(set []uint64, n int, seed uint64) []uint64 {
	r := newRand(seed)
	qs := make([]uint64, n)
	for i := range qs {
		switch {
		case len(set) == 0 || i%4 == 3:
			qs[i] = r.Uint64()
		case i%4 == 2:
			qs[i] = set[r.IntN(len(set))]
		default:
			qs[i] = flip64(set[r.IntN(len(set))], r.IntN(21), r)
		}
	}
	return qs
}

func dist256(a, b [32]byte) int {
	var x, y [4]uint64
	words256(&a, x[:])
	words256(&b, y[:])
	return bits.OnesCount64(x[0]^y[0]) + bits.OnesCount64(x[1]^y[1]) +
		bits.OnesCount64(x[2]^y[2]) + bits.OnesCount64(x[3]^y[3])
}

// model256 is the reference: a multiset of (hash, id) searched by brute
// force.
type model256 struct {
	h   [][32]byte
	ids []uint32
	ok  []bool
}

func (m *model256) add(h [32]byte, id uint32) {
	m.h, m.ids, m.ok = append(m.h, h), append(m.ids, id), append(m.ok, true)
}

func (m *model256) remove(h [32]byte, id uint32) bool {
	for i := range m.h {
		if m.ok[i] && m.ids[i] == id && m.h[i] == h {
			m.ok[i] = false
			return true
		}
	}
	return false
}

func (m *model256) query(q [32]byte, r int) []Match {
	var out []Match
	for i, h := range m.h {
		if d := dist256(h, q); m.ok[i] && d <= r {
			out = append(out, Match{ID: m.ids[i], Distance: d})
		}
	}
	return sortedMatches(out)
}

// within filters matches (sorted) to those at distance <= r.
func within(all []Match, r int) []Match {
	var out []Match
	for _, x := range all {
		if x.Distance <= r {
			out = append(out, x)
		}
	}
	return out
}

func (m *model256) len() int {
	n := 0
	for _, ok := range m.ok {
		if ok {
			n++
		}
	}
	return n
}

type model64 struct {
	h   []uint64
	ids []uint32
	ok  []bool
}

func (m *model64) add(h uint64, id uint32) {
	m.h, m.ids, m.ok = append(m.h, h), append(m.ids, id), append(m.ok, true)
}

func (m *model64) remove(h uint64, id uint32) bool {
	for i := range m.h {
		if m.ok[i] && m.ids[i] == id && m.h[i] == h {
			m.ok[i] = false
			return true
		}
	}
	return false
}

func (m *model64) query(q uint64, r int) []Match {
	var out []Match
	for i, h := range m.h {
		if d := bits.OnesCount64(h ^ q); m.ok[i] && d <= r {
			out = append(out, Match{ID: m.ids[i], Distance: d})
		}
	}
	return sortedMatches(out)
}

func sortedMatches(m []Match) []Match {
	slices.SortFunc(m, func(a, b Match) int {
		return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Distance, b.Distance))
	})
	return m
}

// diffMatches describes how got differs from want (both sorted), or "".
func diffMatches(want, got []Match) string {
	if slices.Equal(want, got) {
		return ""
	}
	var missing, extra []Match
	i, j := 0, 0
	for i < len(want) || j < len(got) {
		switch {
		case j == len(got) || i < len(want) && cmpMatch(want[i], got[j]) < 0:
			missing = append(missing, want[i])
			i++
		case i == len(want) || cmpMatch(want[i], got[j]) > 0:
			extra = append(extra, got[j])
			j++
		default:
			i++
			j++
		}
	}
	return fmt.Sprintf("want %d matches, got %d; missing %v; extra %v", len(want), len(got), head(missing), head(extra))
}

func cmpMatch(a, b Match) int {
	return cmp.Or(cmp.Compare(a.ID, b.ID), cmp.Compare(a.Distance, b.Distance))
}

func head(m []Match) []Match {
	if len(m) > 5 {
		return m[:5]
	}
	return m
}

// fixedPlan forces a table layout (for segments of at least minN keys) and,
// with enumerate, bucket enumeration at every radius it can, so that tests
// exercise the tables rather than the cost model's scan fall-back.
type fixedPlan struct {
	m, nb     int
	minN      int
	enumerate bool
}

func (p fixedPlan) String() string { return fmt.Sprintf("m=%d,nb=%d", p.m, p.nb) }

func (p fixedPlan) build(w int) func(source, int) *segment {
	return func(src source, procs int) *segment {
		s := buildMIH(w, src, func(n int) (int, uint) {
			if n < p.minN {
				return 0, 0
			}
			return p.m, uint(p.nb)
		}, procs)
		if s.mih != nil {
			s.mih.enumerate = p.enumerate
		}
		return s
	}
}

// newNear256With returns an index using plan p and a delta of deltaCap.
func newNear256With(p fixedPlan, deltaCap int, hashes [][32]byte) *Near256 {
	x := &Near256{}
	b := p.build(4)
	x.st.init(4, deltaCap, b, b(src256{hashes, nil}, 2))
	return x
}

func newNear64With(p fixedPlan, deltaCap int, hashes []uint64) *Near64 {
	x := &Near64{}
	b := p.build(1)
	x.st.init(1, deltaCap, b, b(src64{hashes, nil}, 2))
	return x
}

// quick reports whether the property tests should run a sample only
// (-short, or under the race detector).
func quick() bool { return raceEnabled || testing.Short() }

// sample returns every k-th element of xs (all of them unless quick()).
func sample[T any](xs []T, k int) []T {
	if !quick() {
		return xs
	}
	var out []T
	for i := 0; i < len(xs); i += k {
		out = append(out, xs[i])
	}
	return out
}

func mustSettle(tb testing.TB, st *store) {
	tb.Helper()
	st.waitIdle()
}
