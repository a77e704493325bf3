package index

import (
	"encoding/binary"
	"fmt"
	"runtime"
)

// Entries an Exact index appends to its open delta segment before sealing
// it; lookups scan the delta, so it stays small.
const exactDeltaCap = 128

// MaxKeyLen is the longest key an Exact index takes.
const MaxKeyLen = 64

// Exact maps fixed-length byte keys (MD5, SHA-1, SHA-256 digests) to the
// ids of the entries added under them; several entries may share a key.
// Keys are kept sorted in one array with a directory on their leading bits
// (no per-entry pointers), so an index costs the key bytes rounded up to 8,
// plus 4 bytes of id and about a byte of directory and tombstones an entry.
// It is safe for concurrent use; see the package comment for the
// concurrency contract.
type Exact struct {
	keyLen int
	st     store
}

// NewExact returns an empty index for keys of keyLen bytes (1 to
// MaxKeyLen). It panics if keyLen is out of range.
func NewExact(keyLen int) *Exact { return BuildExact(keyLen, nil, nil) }

// BuildExact returns an index holding, for every i, the key
// keys[i*keyLen:(i+1)*keyLen] with id ids[i] (with nil ids, the keys are
// numbered 0, 1, 2...), built in one pass. It panics if keyLen is out of
// range or len(keys) is not keyLen times the number of ids. The index
// keeps no reference to keys or ids.
func BuildExact(keyLen int, keys []byte, ids []uint32) *Exact {
	if keyLen < 1 || keyLen > MaxKeyLen {
		panic(fmt.Sprintf("index: key length %d out of range", keyLen))
	}
	if len(keys)%keyLen != 0 || (ids != nil && len(keys) != keyLen*len(ids)) {
		panic("index: BuildExact: len(keys) != keyLen*len(ids)")
	}
	x := &Exact{keyLen: keyLen}
	w := (keyLen + 7) / 8
	x.st.init(w, exactDeltaCap, func(src source, procs int) *segment { return buildSorted(w, src, procs) },
		buildSorted(w, srcBytes{keyLen, keys, ids}, runtime.GOMAXPROCS(0)))
	return x
}

type srcBytes struct {
	keyLen int
	b      []byte
	ids    []uint32
}

func (s srcBytes) len() int { return len(s.b) / s.keyLen }
func (s srcBytes) key(i int, dst []uint64) {
	wordsBE(s.b[i*s.keyLen:(i+1)*s.keyLen], dst)
}
func (s srcBytes) id(i int) uint32 {
	if s.ids == nil {
		return uint32(i)
	}
	return s.ids[i]
}

// wordsBE loads key as big-endian words, zero padded, so that comparing
// words compares bytes.
func wordsBE(key []byte, dst []uint64) {
	for i := range dst {
		if len(key) >= 8 {
			dst[i] = binary.BigEndian.Uint64(key)
			key = key[8:]
			continue
		}
		var b [8]byte
		copy(b[:], key)
		dst[i] = binary.BigEndian.Uint64(b[:])
		key = nil
	}
}

func (x *Exact) words(key []byte, buf *[MaxKeyLen / 8]uint64) []uint64 {
	if len(key) != x.keyLen {
		panic(fmt.Sprintf("index: key of %d bytes in an index of %d-byte keys", len(key), x.keyLen))
	}
	k := buf[:x.st.w]
	wordsBE(key, k)
	return k
}

// KeyLen returns the key length in bytes.
func (x *Exact) KeyLen() int { return x.keyLen }

// Add adds an entry; it is visible to lookups that start after Add returns.
// It panics if len(key) != KeyLen().
func (x *Exact) Add(key []byte, id uint32) {
	var buf [MaxKeyLen / 8]uint64
	x.st.add(x.words(key, &buf), id)
}

// Remove removes one entry with this key and id and reports whether there
// was one. It panics if len(key) != KeyLen().
func (x *Exact) Remove(key []byte, id uint32) bool {
	var buf [MaxKeyLen / 8]uint64
	return x.st.remove(x.words(key, &buf), id)
}

// Lookup appends to dst the ids of the entries with this key, in no
// particular order, and returns the extended slice. It panics if
// len(key) != KeyLen().
func (x *Exact) Lookup(key []byte, dst []uint32) []uint32 {
	var buf [MaxKeyLen / 8]uint64
	k := x.words(key, &buf)
	s := x.st.load()
	for _, g := range s.segs {
		dst = lookupExact(g, k, dst)
	}
	return lookupExact(s.delta, k, dst)
}

func lookupExact(g *segment, k []uint64, dst []uint32) []uint32 {
	if g.srt != nil {
		lo, hi := g.srt.equalRange(g, k)
		anyDead := g.anyDead.Load()
		for i := lo; i < hi; i++ {
			if !anyDead || !g.dead.has(i) {
				dst = append(dst, g.ids[i])
			}
		}
		return dst
	}
	for i := 0; i < g.len(); i++ {
		if equalKey(g.key(i), k) && !g.dead.has(i) {
			dst = append(dst, g.ids[i])
		}
	}
	return dst
}

// Len returns the number of entries.
func (x *Exact) Len() int { return int(x.st.live.Load()) }

// Bytes returns the memory the index holds, keys included.
func (x *Exact) Bytes() int64 { return x.st.bytes() }

// Compact merges all entries into one sorted segment and returns when it
// is in place. Lookups, adds and removes may run meanwhile.
func (x *Exact) Compact() { x.st.compact() }
