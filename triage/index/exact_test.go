package index

import (
	"bytes"
	"fmt"
	"math/bits"
	"slices"
	"testing"
)

// exactModel is the reference for Exact: a list of (key, id) searched by
// comparison.
type exactModel struct {
	keys [][]byte
	ids  []uint32
	ok   []bool
}

func (m *exactModel) add(k []byte, id uint32) {
	m.keys, m.ids, m.ok = append(m.keys, slices.Clone(k)), append(m.ids, id), append(m.ok, true)
}

func (m *exactModel) remove(k []byte, id uint32) bool {
	for i := range m.keys {
		if m.ok[i] && m.ids[i] == id && bytes.Equal(m.keys[i], k) {
			m.ok[i] = false
			return true
		}
	}
	return false
}

func (m *exactModel) lookup(k []byte) []uint32 {
	var out []uint32
	for i := range m.keys {
		if m.ok[i] && bytes.Equal(m.keys[i], k) {
			out = append(out, m.ids[i])
		}
	}
	slices.Sort(out)
	return out
}

func randKeys(n, keyLen int, seed uint64) []byte {
	r := newRand(seed)
	b := make([]byte, n*keyLen)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func sortedIDs(ids []uint32) []uint32 { slices.Sort(ids); return ids }

func TestExactMatchesModel(t *testing.T) {
	for _, keyLen := range []int{1, 5, 16, 20, 32, 64} {
		for _, n := range []int{0, 1, 100, 5000} {
			t.Run(fmt.Sprintf("len=%d/n=%d", keyLen, n), func(t *testing.T) {
				keys := randKeys(n, keyLen, uint64(keyLen*1000+n))
				// Repeat some keys (one digest in several sets).
				for i := 0; i+3 < n; i += 7 {
					copy(keys[(i+3)*keyLen:(i+4)*keyLen], keys[i*keyLen:(i+1)*keyLen])
				}
				x := BuildExact(keyLen, keys, nil)
				ref := &exactModel{}
				for i := 0; i < n; i++ {
					ref.add(keys[i*keyLen:(i+1)*keyLen], uint32(i))
				}
				if x.Len() != n || x.KeyLen() != keyLen {
					t.Fatalf("Len() = %d, KeyLen() = %d", x.Len(), x.KeyLen())
				}
				probes := randKeys(50, keyLen, 99)
				for i := 0; i < n; i += max(1, n/200) {
					probes = append(probes, keys[i*keyLen:(i+1)*keyLen]...)
				}
				for i := 0; i < len(probes); i += keyLen {
					k := probes[i : i+keyLen]
					if got, want := sortedIDs(x.Lookup(k, nil)), ref.lookup(k); !slices.Equal(got, want) {
						t.Fatalf("Lookup(%x) = %v, want %v", k, got, want)
					}
				}
			})
		}
	}
}

// TestExactLarge covers both radix passes (directories of more than 12
// bits) and parallel builds.
func TestExactLarge(t *testing.T) {
	for _, keyLen := range []int{16, 20} {
		const n = 200_000
		keys := randKeys(n, keyLen, 7)
		for _, procs := range []int{1, 3} {
			x := &Exact{keyLen: keyLen}
			w := (keyLen + 7) / 8
			x.st.init(w, exactDeltaCap, nil, buildSorted(w, srcBytes{keyLen, keys, nil}, procs))
			s := x.st.load().segs[0]
			for i := 1; i < n; i++ {
				if compareKeys(s.key(i-1), s.key(i)) > 0 {
					t.Fatalf("len %d, procs %d: entries %d and %d out of order", keyLen, procs, i-1, i)
				}
			}
			for i := 0; i < n; i++ {
				if got := x.Lookup(keys[i*keyLen:(i+1)*keyLen], nil); len(got) != 1 || got[0] != uint32(i) {
					t.Fatalf("len %d, procs %d: Lookup(key %d) = %v", keyLen, procs, i, got)
				}
			}
			for i, k := 0, randKeys(1000, keyLen, 8); i < 1000; i++ {
				if got := x.Lookup(k[i*keyLen:(i+1)*keyLen], nil); len(got) != 0 {
					t.Fatalf("random key found: %v", got)
				}
			}
		}
	}
}

// TestExactSkewedKeys: keys sharing their leading bytes (not digests) all
// land in one directory bucket; lookups must stay correct (and the build
// must not go quadratic).
func TestExactSkewedKeys(t *testing.T) {
	const n = 70000
	keys := make([]byte, 16*n)
	for i := 0; i < n; i++ {
		keys[16*i+15] = byte(i)
		keys[16*i+14] = byte(i >> 8)
	}
	x := BuildExact(16, keys, nil)
	for _, i := range []int{0, 1, 255, 256, n - 1} {
		got := sortedIDs(x.Lookup(keys[16*i:16*i+16], nil))
		var want []uint32
		for j := i % 65536; j < n; j += 65536 {
			want = append(want, uint32(j))
		}
		if !slices.Equal(got, want) {
			t.Errorf("Lookup(key %d) = %v, want %v", i, got, want)
		}
	}
}

func TestExactUpdates(t *testing.T) {
	r := newRand(3)
	const keyLen = 20
	x := NewExact(keyLen)
	ref := &exactModel{}
	pool := randKeys(400, keyLen, 4) // few keys: many duplicates
	key := func() []byte { i := r.IntN(400); return pool[i*keyLen : (i+1)*keyLen] }
	for step := 0; step < 6000; step++ {
		switch op := r.IntN(10); {
		case op < 5:
			k, id := key(), uint32(r.IntN(50))
			x.Add(k, id)
			ref.add(k, id)
		case op < 7:
			k, id := key(), uint32(r.IntN(50))
			if got, want := x.Remove(k, id), ref.remove(k, id); got != want {
				t.Fatalf("step %d: Remove = %v, want %v", step, got, want)
			}
		case op < 9:
			k := key()
			if got, want := sortedIDs(x.Lookup(k, nil)), ref.lookup(k); !slices.Equal(got, want) {
				t.Fatalf("step %d: Lookup = %v, want %v", step, got, want)
			}
		default:
			if r.IntN(20) == 0 {
				x.Compact()
			}
		}
	}
	x.Compact()
	for i := 0; i < 400; i++ {
		k := pool[i*keyLen : (i+1)*keyLen]
		if got, want := sortedIDs(x.Lookup(k, nil)), ref.lookup(k); !slices.Equal(got, want) {
			t.Fatalf("after Compact: Lookup = %v, want %v", got, want)
		}
	}
	mustSettle(t, &x.st)
}

func TestExactPanicsOnWrongKeyLength(t *testing.T) {
	for name, f := range map[string]func(){
		"Add":      func() { NewExact(16).Add(make([]byte, 15), 1) },
		"Lookup":   func() { NewExact(16).Lookup(make([]byte, 17), nil) },
		"NewExact": func() { NewExact(0) },
		"Build":    func() { BuildExact(16, make([]byte, 33), nil) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}

func ExampleExact() {
	md5s := []byte("0123456789abcdefFEDCBA9876543210") // two 16-byte keys
	x := BuildExact(16, md5s, []uint32{7, 9})
	x.Add(md5s[:16], 11) // the same digest in another set
	fmt.Println(sortedIDs(x.Lookup(md5s[:16], nil)), x.Lookup([]byte("not in the index"), nil))
	// Output: [7 11] []
}

// TestExactSortedInput: input already in key order (compiled sets store
// their digest columns sorted) takes the build's no-sort path; input out
// of order only at its very end must fall back to the sort. Both must
// answer like the model, duplicates and empty directory buckets included.
func TestExactSortedInput(t *testing.T) {
	for _, keyLen := range []int{3, 16, 20, 32} {
		for _, n := range []int{1, 2, 100, 20000, 70000} { // 70000: in parallel pieces
			keys := randKeys(n, keyLen, uint64(n+keyLen))
			for i := 0; i+1 < n; i += 5 {
				copy(keys[(i+1)*keyLen:(i+2)*keyLen], keys[i*keyLen:(i+1)*keyLen])
			}
			order := make([]int, n)
			for i := range order {
				order[i] = i
			}
			slices.SortStableFunc(order, func(a, b int) int {
				return bytes.Compare(keys[a*keyLen:(a+1)*keyLen], keys[b*keyLen:(b+1)*keyLen])
			})
			sortedKeys := make([]byte, 0, len(keys))
			ids := make([]uint32, n)
			for j, i := range order {
				sortedKeys = append(sortedKeys, keys[i*keyLen:(i+1)*keyLen]...)
				ids[j] = uint32(i)
			}
			// The same input with its last two keys swapped: out of order
			// only at the end.
			late := slices.Clone(sortedKeys)
			lateIDs := slices.Clone(ids)
			if n >= 2 && !bytes.Equal(late[(n-2)*keyLen:(n-1)*keyLen], late[(n-1)*keyLen:]) {
				a := slices.Clone(late[(n-2)*keyLen : (n-1)*keyLen])
				copy(late[(n-2)*keyLen:], late[(n-1)*keyLen:])
				copy(late[(n-1)*keyLen:], a)
				lateIDs[n-2], lateIDs[n-1] = lateIDs[n-1], lateIDs[n-2]
			}
			ref := map[string][]uint32{}
			for i := 0; i < n; i++ {
				k := string(keys[i*keyLen : (i+1)*keyLen])
				ref[k] = append(ref[k], uint32(i))
			}
			w := (keyLen + 7) / 8
			db := uint(min(max(bits.Len(uint(n))-3, 0), maxSortedDirBits))
			f := field{64 - db, db}
			if db == 0 {
				f = field{0, 0}
			}
			if _, ok := copySorted(w, srcBytes{keyLen, sortedKeys, ids}, f, make([]uint64, n*w), make([]uint32, n), 3); !ok {
				t.Fatalf("len %d n %d: sorted input not taken as sorted", keyLen, n)
			}
			if _, ok := copySorted(w, srcBytes{keyLen, late, lateIDs}, f, make([]uint64, n*w), make([]uint32, n), 3); ok && !slices.Equal(late, sortedKeys) {
				t.Fatalf("len %d n %d: input out of order taken as sorted", keyLen, n)
			}
			for name, x := range map[string]*Exact{"sorted": BuildExact(keyLen, sortedKeys, ids), "late": BuildExact(keyLen, late, lateIDs)} {
				probes := append(randKeys(20, keyLen, 5), keys...)
				for i := 0; i < len(probes); i += keyLen {
					k := probes[i : i+keyLen]
					if got, want := sortedIDs(x.Lookup(k, nil)), ref[string(k)]; !slices.Equal(got, want) {
						t.Fatalf("len %d n %d %s: Lookup(%x) = %v, want %v", keyLen, n, name, k, got, want)
					}
				}
			}
		}
	}
}
