package index

import "testing"

// FuzzNearOps runs a program of adds, removes, queries and compactions,
// decoded from the input, against a Near256 or Near64 index with a layout
// the input also chooses, and checks every query and removal against a
// brute-force model. Hashes are near-duplicates of a few bases, so queries
// find many entries, and tiny deltas and tables make seals, merges and
// rebuilds frequent.
//
//	go test -run '^$' -fuzz FuzzNearOps -fuzztime 2m ./triage/index/
func FuzzNearOps(f *testing.F) {
	f.Add([]byte{0, 4, 10, 0, 1, 2, 0, 3, 4, 6, 0, 2, 40, 9, 6, 1, 3, 200})
	f.Add([]byte{1, 3, 12, 0, 7, 3, 9, 9, 9, 0, 7, 0, 4, 0, 0, 6, 7, 0, 10, 9, 6, 7, 1, 21})
	f.Add([]byte{0, 16, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 6, 0, 0, 31, 9, 6, 0, 0, 255})
	f.Add([]byte{1, 1, 32, 3, 5, 5, 3, 5, 5, 3, 5, 5, 4, 1, 0, 6, 5, 2, 64, 7, 5, 2, 65})
	prog := make([]byte, 0, 600)
	for i := 0; i < 150; i++ {
		prog = append(prog, byte(i%10), byte(i*7), byte(i*13), byte(i*31))
	}
	f.Add(append([]byte{0, 6, 11}, prog...))
	f.Add(append([]byte{1, 4, 16}, prog...))

	f.Fuzz(fuzzNearOps)
}

func fuzzNearOps(t *testing.T, data []byte) {
	{
		if len(data) < 3 || len(data) > 4000 {
			return
		}
		wide := data[0]%2 == 0 // 256-bit, else 64-bit
		nbits := 64
		if wide {
			nbits = 256
		}
		m := 1 + int(data[1])%min(16, nbits)
		nb := 1 + int(data[2])%min(nbits/m, 16)
		p := fixedPlan{m: m, nb: nb, minN: 8, enumerate: data[1]&0x80 == 0}
		data = data[3:]
		next := func() int {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return int(b)
		}

		var bases [4][32]byte
		r := newRand(uint64(m*100 + nb))
		for i := range bases {
			bases[i] = randHash256(r)
		}
		hash := func() [32]byte {
			h := bases[next()%len(bases)]
			for k := next() % 12; k > 0; k-- {
				b := next() % nbits
				h[b/8] ^= 1 << (b % 8)
			}
			return h
		}
		to64 := func(h [32]byte) uint64 {
			var v uint64
			for i := 0; i < 8; i++ {
				v |= uint64(h[i]) << (8 * i)
			}
			return v
		}

		var x256 *Near256
		var x64 *Near64
		var st *store
		if wide {
			x256 = newNear256With(p, 4, nil)
			st = &x256.st
		} else {
			x64 = newNear64With(p, 4, nil)
			st = &x64.st
		}
		defer st.waitIdle()
		// The model keeps 64-bit hashes in the first 8 bytes of a [32]byte
		// (the rest zero), so its distances are theirs.
		ref := &model256{}
		query := func(h [32]byte, radius int) []Match {
			if wide {
				return sortedMatches(x256.Query(h, radius, nil))
			}
			return sortedMatches(x64.Query(to64(h), radius, nil))
		}
		canon := func(h [32]byte) [32]byte { // the model's form of a hash
			if wide {
				return h
			}
			var c [32]byte
			copy(c[:8], h[:8])
			return c
		}

		nextID := uint32(0)
		for len(data) > 0 {
			switch op := next() % 10; {
			case op < 4: // add: a new id, or an existing (hash, id) again
				h := canon(hash())
				id := nextID
				if op == 3 && len(ref.h) > 0 {
					i := next() % len(ref.h)
					h, id = ref.h[i], ref.ids[i]
				} else {
					nextID++
				}
				if wide {
					x256.Add(h, id)
				} else {
					x64.Add(to64(h), id)
				}
				ref.add(h, id)
			case op < 6: // remove an entry, or a missing one
				if len(ref.h) == 0 {
					continue
				}
				i := (next()<<8 | next()) % len(ref.h)
				h, id := ref.h[i], ref.ids[i]
				if op == 5 {
					id += 1 << 20
				}
				var got bool
				if wide {
					got = x256.Remove(h, id)
				} else {
					got = x64.Remove(to64(h), id)
				}
				if want := ref.remove(h, id); got != want {
					t.Fatalf("Remove = %v, want %v", got, want)
				}
			case op < 9:
				q := canon(hash())
				radius := next()%(nbits+10) - 2
				want := ref.query(q, radius)
				if d := diffMatches(want, query(q, radius)); d != "" {
					t.Fatalf("layout %v, %d entries, radius %d: %s", p, ref.len(), radius, d)
				}
			default:
				if wide {
					x256.Compact()
				} else {
					x64.Compact()
				}
			}
		}
		st.waitIdle()
		for _, b := range bases {
			q := canon(b)
			for _, radius := range []int{0, 5, 12, nbits} {
				if d := diffMatches(ref.query(q, radius), query(q, radius)); d != "" {
					t.Fatalf("at the end, radius %d: %s", radius, d)
				}
			}
		}
		if got, want := st.live.Load(), int64(ref.len()); got != want {
			t.Fatalf("Len = %d, want %d", got, want)
		}
	}
}
