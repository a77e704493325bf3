package index

import (
	"encoding/binary"
	"runtime"
)

// Match is an index entry within the search radius of a query.
type Match struct {
	ID       uint32 // the id the entry was added with
	Distance int    // Hamming distance from the query
}

// Default search radii, and the radii the tables are tuned for (any radius
// gives exact results; these are just the fast path).
const (
	// DefaultRadius256 is the PDQ match threshold used by Meta's tools.
	DefaultRadius256 = 31
	// DefaultRadius64 is a usual pHash match threshold.
	DefaultRadius64 = 10
)

// Entries a Near index appends to its open delta segment before sealing
// it; queries scan the delta, so it stays small.
const nearDeltaCap = 1024

// Near256 finds the 256-bit hashes (PDQ) within a Hamming radius of a
// query, exactly. It is safe for concurrent use; see the package comment
// for the concurrency contract.
type Near256 struct{ st store }

// NewNear256 returns an empty index.
func NewNear256() *Near256 { return BuildNear256(nil, nil) }

// BuildNear256 returns an index holding hashes[i] with id ids[i], built in
// one pass (much faster than adding them one by one). A nil ids numbers the
// hashes 0, 1, 2... It panics if ids is not nil and its length differs from
// hashes'. The index keeps no reference to either slice.
func BuildNear256(hashes [][32]byte, ids []uint32) *Near256 {
	if ids != nil && len(ids) != len(hashes) {
		panic("index: BuildNear256: len(ids) != len(hashes)")
	}
	x := &Near256{}
	x.st.init(4, nearDeltaCap, build256, build256(src256{hashes, ids}, runtime.GOMAXPROCS(0)))
	return x
}

var plan256 = defaultPlan(4, DefaultRadius256)

func build256(src source, procs int) *segment { return buildMIH(4, src, plan256, procs) }

type src256 struct {
	h   [][32]byte
	ids []uint32
}

func (s src256) len() int                { return len(s.h) }
func (s src256) key(i int, dst []uint64) { words256(&s.h[i], dst) }
func (s src256) id(i int) uint32 {
	if s.ids == nil {
		return uint32(i)
	}
	return s.ids[i]
}

// words256 loads a hash as 4 words. The bit order only has to be the same
// everywhere: Hamming distance does not depend on it.
func words256(h *[32]byte, dst []uint64) {
	dst[0] = binary.LittleEndian.Uint64(h[0:])
	dst[1] = binary.LittleEndian.Uint64(h[8:])
	dst[2] = binary.LittleEndian.Uint64(h[16:])
	dst[3] = binary.LittleEndian.Uint64(h[24:])
}

// Add adds an entry. Entries are a multiset: adding the same hash and id
// twice makes two entries. The entry is visible to queries that start after
// Add returns; Add takes microseconds (sealing and merging segments happens
// in the background).
func (x *Near256) Add(h [32]byte, id uint32) {
	var k [4]uint64
	words256(&h, k[:])
	x.st.add(k[:], id)
}

// Remove removes one entry with this hash and id and reports whether there
// was one.
func (x *Near256) Remove(h [32]byte, id uint32) bool {
	var k [4]uint64
	words256(&h, k[:])
	return x.st.remove(k[:], id)
}

// Query appends to dst every entry within Hamming distance radius of h
// (distance <= radius), in no particular order, and returns the extended
// slice. A negative radius matches nothing; a radius of 256 or more matches
// everything.
func (x *Near256) Query(h [32]byte, radius int, dst []Match) []Match {
	if radius < 0 {
		return dst
	}
	radius = min(radius, 256)
	var k [4]uint64
	words256(&h, k[:])
	s := x.st.load()
	for _, g := range s.segs {
		dst = queryNear(g, k[:], radius, dst)
	}
	return queryNear(s.delta, k[:], radius, dst)
}

// Len returns the number of entries.
func (x *Near256) Len() int { return int(x.st.live.Load()) }

// Bytes returns the memory the index holds, hashes included (32 bytes an
// entry) and garbage of replaced segments excluded.
func (x *Near256) Bytes() int64 { return x.st.bytes() }

// Compact merges all entries into one freshly built segment and returns
// when it is in place; call it after adding many entries one by one.
// Queries, adds and removes may run meanwhile.
func (x *Near256) Compact() { x.st.compact() }

// Near64 is Near256 for 64-bit hashes (pHash, dHash).
type Near64 struct{ st store }

// NewNear64 returns an empty index.
func NewNear64() *Near64 { return BuildNear64(nil, nil) }

// BuildNear64 is BuildNear256 for 64-bit hashes.
func BuildNear64(hashes []uint64, ids []uint32) *Near64 {
	if ids != nil && len(ids) != len(hashes) {
		panic("index: BuildNear64: len(ids) != len(hashes)")
	}
	x := &Near64{}
	x.st.init(1, nearDeltaCap, build64, build64(src64{hashes, ids}, runtime.GOMAXPROCS(0)))
	return x
}

var plan64 = defaultPlan(1, DefaultRadius64)

func build64(src source, procs int) *segment { return buildMIH(1, src, plan64, procs) }

type src64 struct {
	h   []uint64
	ids []uint32
}

func (s src64) len() int                { return len(s.h) }
func (s src64) key(i int, dst []uint64) { dst[0] = s.h[i] }
func (s src64) id(i int) uint32 {
	if s.ids == nil {
		return uint32(i)
	}
	return s.ids[i]
}

// Add adds an entry (see Near256.Add).
func (x *Near64) Add(h uint64, id uint32) { x.st.add([]uint64{h}, id) }

// Remove removes one entry with this hash and id and reports whether there
// was one.
func (x *Near64) Remove(h uint64, id uint32) bool { return x.st.remove([]uint64{h}, id) }

// Query appends to dst every entry within Hamming distance radius of h, in
// no particular order (see Near256.Query).
func (x *Near64) Query(h uint64, radius int, dst []Match) []Match {
	if radius < 0 {
		return dst
	}
	radius = min(radius, 64)
	k := [1]uint64{h}
	s := x.st.load()
	for _, g := range s.segs {
		dst = queryNear(g, k[:], radius, dst)
	}
	return queryNear(s.delta, k[:], radius, dst)
}

// Len returns the number of entries.
func (x *Near64) Len() int { return int(x.st.live.Load()) }

// Bytes returns the memory the index holds, hashes included (8 bytes an
// entry).
func (x *Near64) Bytes() int64 { return x.st.bytes() }

// Compact merges all entries into one segment (see Near256.Compact).
func (x *Near64) Compact() { x.st.compact() }
