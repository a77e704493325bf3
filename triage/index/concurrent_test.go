package index

import (
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"sync/atomic"
	"testing"
)

// Run these under the race detector (go test -race): readers query while
// writers add, remove and compact, and merges run in the background.

const dynBase = 1 << 24 // ids of entries added during the test

// dynHash is the hash of a dynamic entry, derived from its id so that
// readers can check what they are given.
func dynHash(id uint32, near [32]byte) [32]byte {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], id)
	s := sha256.Sum256(b[:])
	// Every other dynamic entry is a near-duplicate of a stable one, so
	// that queries find dynamic entries too.
	if id%2 == 0 {
		h := near
		h[s[0]%32] ^= s[1]
		return h
	}
	return s
}

func TestNear256Concurrent(t *testing.T) {
	stable := clusteredSet256(4000, 40, 20, 51)
	// Small deltas and tables from a few hundred entries: many seals and
	// merges while the readers run.
	x := newNear256With(fixedPlan{m: 8, nb: 9, minN: 256}, 32, stable)
	var stop atomic.Bool
	var wg sync.WaitGroup

	// Writers: each adds its own dynamic entries and removes some of them.
	live := make([]map[uint32][32]byte, 2)
	for w := range live {
		live[w] = map[uint32][32]byte{}
		wg.Go(func() {
			r := newRand(uint64(60 + w))
			var mine []uint32
			for i := 0; i < 3000; i++ {
				id := uint32(dynBase + w*1_000_000 + i)
				h := dynHash(id, stable[r.IntN(len(stable))])
				x.Add(h, id)
				live[w][id] = h
				mine = append(mine, id)
				if r.IntN(3) == 0 {
					j := r.IntN(len(mine))
					victim := mine[j]
					if vh, ok := live[w][victim]; ok {
						if !x.Remove(vh, victim) {
							t.Errorf("Remove of live entry %d failed", victim)
						}
						delete(live[w], victim)
					}
				}
				if i%700 == 699 {
					x.Compact()
				}
			}
		})
	}

	// Readers: every stable entry within the radius must be found exactly
	// once, and whatever dynamic entry is found must be at its true
	// distance.
	var reads atomic.Int64
	var rg sync.WaitGroup
	for rd := 0; rd < 3; rd++ {
		rg.Go(func() {
			r := newRand(uint64(70 + rd))
			var dst []Match
			for !stop.Load() {
				q := flip256(stable[r.IntN(len(stable))], r.IntN(8), r)
				const radius = 16
				dst = x.Query(q, radius, dst[:0])
				seen := map[uint32]int{}
				for _, m := range dst {
					seen[m.ID]++
					var h [32]byte
					switch {
					case m.ID < uint32(len(stable)):
						h = stable[m.ID]
					case m.ID >= dynBase:
						h = dynHash(m.ID, [32]byte{})
						if m.ID%2 == 0 {
							// Near-duplicate: the base is unknown here; the
							// reported distance must at least be within range.
							if m.Distance > radius {
								t.Errorf("dynamic %d at distance %d > %d", m.ID, m.Distance, radius)
							}
							continue
						}
					default:
						t.Errorf("unknown id %d", m.ID)
						continue
					}
					if d := dist256(h, q); d != m.Distance || d > radius {
						t.Errorf("id %d: distance %d, reported %d", m.ID, d, m.Distance)
					}
				}
				for i, h := range stable {
					n := seen[uint32(i)]
					if dist256(h, q) <= radius && n != 1 {
						t.Errorf("stable entry %d found %d times, want once", i, n)
					}
				}
				for id, n := range seen {
					if n != 1 {
						t.Errorf("id %d reported %d times", id, n)
					}
				}
				if reads.Add(1)%50 == 0 && (x.Bytes() <= 0 || x.Len() < len(stable)) {
					t.Errorf("Bytes() = %d, Len() = %d", x.Bytes(), x.Len())
				}
			}
		})
	}
	wg.Wait()
	stop.Store(true)
	rg.Wait()
	mustSettle(t, &x.st)
	t.Logf("%d queries during the updates", reads.Load())

	// Settled: the index equals the reference exactly.
	ref := &model256{}
	for i, h := range stable {
		ref.add(h, uint32(i))
	}
	for w := range live {
		for id, h := range live[w] {
			ref.add(h, id)
		}
	}
	if x.Len() != ref.len() {
		t.Fatalf("Len() = %d, want %d", x.Len(), ref.len())
	}
	r := newRand(80)
	for i := 0; i < 200; i++ {
		q := flip256(stable[r.IntN(len(stable))], r.IntN(20), r)
		if d := diffMatches(ref.query(q, 24), sortedMatches(x.Query(q, 24, nil))); d != "" {
			t.Fatalf("after the updates: %s", d)
		}
	}
}

func TestExactConcurrent(t *testing.T) {
	const n = 5000
	keys := randKeys(n, 16, 90)
	x := BuildExact(16, keys, nil)
	var stop atomic.Bool
	var wg, rg sync.WaitGroup
	for w := 0; w < 2; w++ {
		wg.Go(func() {
			r := newRand(uint64(91 + w))
			for i := 0; i < 3000; i++ {
				k := randKeys(1, 16, uint64(1000*w+i))
				id := uint32(dynBase + 1_000_000*w + i)
				x.Add(k, id)
				if r.IntN(2) == 0 && !x.Remove(k, id) {
					t.Errorf("Remove of a just-added key failed")
				}
				if i%1000 == 999 {
					x.Compact()
				}
			}
		})
	}
	for rd := 0; rd < 3; rd++ {
		rg.Go(func() {
			r := newRand(uint64(95 + rd))
			var dst []uint32
			for !stop.Load() {
				i := r.IntN(n)
				dst = x.Lookup(keys[16*i:16*i+16], dst[:0])
				if len(dst) != 1 || dst[0] != uint32(i) {
					t.Errorf("Lookup(key %d) = %v", i, dst)
				}
			}
		})
	}
	wg.Wait()
	stop.Store(true)
	rg.Wait()
	mustSettle(t, &x.st)
	if want := n + 2*3000 - x.Len(); want < 2500 || want > 3500 {
		t.Errorf("Len() = %d: about 3000 of the 6000 added should have been removed", x.Len())
	}
}
