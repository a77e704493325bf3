package index

import (
	"encoding/binary"
	"math/bits"
	"sync"
	"sync/atomic"
)

// bitsAt returns the nb (<= 32) bits of the key h starting at bit lo, where
// bit i is bit i%64 of word i/64.
func bitsAt(h []uint64, lo, nb uint) uint64 {
	wi, sh := lo>>6, lo&63
	v := h[wi] >> sh
	if sh+nb > 64 {
		v |= h[wi+1] << (64 - sh)
	}
	return v & (1<<nb - 1)
}

// distance is the Hamming distance between two keys of equal length.
func distance(a, b []uint64) int {
	n := 0
	for i, x := range a {
		n += bits.OnesCount64(x ^ b[i])
	}
	return n
}

// equalKey reports whether two keys are equal.
func equalKey(a, b []uint64) bool {
	for i, x := range a {
		if x != b[i] {
			return false
		}
	}
	return true
}

// packedBits is the number of bits a position below n needs.
func packedBits(n int) uint {
	return uint(max(bits.Len(uint(max(n-1, 0))), 1))
}

// packed is an array of unsigned integers of w (<= 32) bits each, packed
// back to back, with padding so that every element can be read with one
// 8-byte load.
type packed struct {
	b    []byte
	w    uint
	mask uint64
}

func newPacked(n int, w uint) packed {
	return packed{b: make([]byte, (uint(n)*w+7)/8+8), w: w, mask: 1<<w - 1}
}

func (p packed) get(i int) uint32 {
	o := uint(i) * p.w
	return uint32(binary.LittleEndian.Uint64(p.b[o>>3:]) >> (o & 7) & p.mask)
}

// set stores v at i; concurrent sets on one array are not allowed.
func (p packed) set(i int, v uint32) {
	o := uint(i) * p.w
	x := binary.LittleEndian.Uint64(p.b[o>>3:])
	x = x&^(p.mask<<(o&7)) | uint64(v)<<(o&7)
	binary.LittleEndian.PutUint64(p.b[o>>3:], x)
}

// bitset is a set of positions that readers test with atomic loads while
// one writer (holding the index's lock) adds to it.
type bitset []atomic.Uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (s bitset) has(i int) bool { return s[i>>6].Load()&(1<<(uint(i)&63)) != 0 }

func (s bitset) add(i int) { s[i>>6].Or(1 << (uint(i) & 63)) }

// snapshot copies the set as plain words.
func (s bitset) snapshot() []uint64 {
	c := make([]uint64, len(s))
	for i := range s {
		c[i] = s[i].Load()
	}
	return c
}

// maxMasks bounds the length of a cached flip-mask list (4M masks, 16 MiB).
const maxMasks = 1 << 22

// masks holds, per (bits, radius), every bits-wide value with at most radius
// bits set, in order of popcount. Lists are built on first use and then
// only read.
var masks struct {
	mu    sync.Mutex
	lists [33][33]atomic.Pointer[[]uint32]
}

// ballSize is the number of nb-bit values within radius of a given one.
func ballSize(nb, radius int) int {
	if radius >= nb {
		return 1 << nb
	}
	n, c := 0, 1
	for k := 0; k <= radius; k++ {
		n += c
		c = c * (nb - k) / (k + 1)
	}
	return n
}

// flipMasks returns the list for (nb, radius); the caller checks that it is
// at most maxMasks long.
func flipMasks(nb, radius int) []uint32 {
	if radius > nb {
		radius = nb
	}
	if p := masks.lists[nb][radius].Load(); p != nil {
		return *p
	}
	masks.mu.Lock()
	defer masks.mu.Unlock()
	if p := masks.lists[nb][radius].Load(); p != nil {
		return *p
	}
	l := make([]uint32, 0, ballSize(nb, radius))
	for k := 0; k <= radius; k++ {
		l = appendCombinations(l, nb, k)
	}
	masks.lists[nb][radius].Store(&l)
	return l
}

// appendCombinations appends every nb-bit value with exactly k bits set.
func appendCombinations(l []uint32, nb, k int) []uint32 {
	if k == 0 {
		return append(l, 0)
	}
	var rec func(v uint32, from, left int)
	rec = func(v uint32, from, left int) {
		if left == 0 {
			l = append(l, v)
			return
		}
		for i := from; i <= nb-left; i++ {
			rec(v|1<<uint(i), i+1, left-1)
		}
	}
	rec(0, 0, k)
	return l
}
