package index

import (
	"sync/atomic"
	"unsafe"
)

// A segment is a batch of entries: keys of w 64-bit words each, one id per
// key, a tombstone per entry, and optionally an index over the keys (an
// MIH table set for near indexes, a sorted order for exact ones). Keys and
// ids never change once readers can see them; the only mutations are
// tombstones (atomic bits) and, for the open delta segment, appends past
// the published length.
type segment struct {
	w    int
	fill atomic.Int64 // entries readers may look at: keys[:fill*w], ids[:fill]
	keys []uint64
	ids  []uint32
	dead bitset
	// anyDead is set (before the first tombstone) once an entry is
	// removed: lookups skip the tombstone check until then.
	anyDead atomic.Bool

	// Guarded by the owning store's mutex.
	ndead   int
	removed []uint32 // positions killed, in order (replayed by merges)

	mih *mih    // near segments with tables
	srt *sorted // exact segments in key order
}

// newSegment returns a segment over keys and ids with every entry visible.
func newSegment(w int, keys []uint64, ids []uint32) *segment {
	s := &segment{w: w, keys: keys, ids: ids, dead: newBitset(len(ids))}
	s.fill.Store(int64(len(ids)))
	return s
}

// newDelta returns an empty appendable segment for up to n entries.
func newDelta(w, n int) *segment {
	return &segment{w: w, keys: make([]uint64, n*w), ids: make([]uint32, n), dead: newBitset(n)}
}

func (s *segment) len() int { return int(s.fill.Load()) }

func (s *segment) key(i int) []uint64 { return s.keys[i*s.w : (i+1)*s.w : (i+1)*s.w] }

// live is the number of entries not removed; callers hold the store's lock.
func (s *segment) live() int { return s.len() - s.ndead }

// kill marks entry i removed; callers hold the store's lock.
func (s *segment) kill(i int) {
	s.anyDead.Store(true)
	s.dead.add(i)
	s.ndead++
	s.removed = append(s.removed, uint32(i))
}

// findLive returns the position of a live entry with this key and id, or -1.
func (s *segment) findLive(key []uint64, id uint32) int {
	lo, hi := 0, s.len()
	switch {
	case s.mih != nil:
		lo, hi = s.mih.exactRange(key)
	case s.srt != nil:
		lo, hi = s.srt.equalRange(s, key)
	}
	for i := lo; i < hi; i++ {
		if s.ids[i] == id && equalKey(s.key(i), key) && !s.dead.has(i) {
			return i
		}
	}
	return -1
}

// bytes is the memory the segment holds.
func (s *segment) bytes() int64 {
	n := int64(cap(s.keys))*8 + int64(cap(s.ids))*4 + int64(len(s.dead))*8 +
		int64(cap(s.removed))*4 + int64(unsafe.Sizeof(*s))
	if s.mih != nil {
		n += s.mih.bytes()
	}
	if s.srt != nil {
		n += s.srt.bytes()
	}
	return n
}

// source is where a build reads its entries from.
type source interface {
	len() int
	key(i int, dst []uint64)
	id(i int) uint32
}

// wordSource is a source over keys already split into words.
type wordSource struct {
	w    int
	keys []uint64
	ids  []uint32
}

func (s wordSource) len() int                { return len(s.ids) }
func (s wordSource) key(i int, dst []uint64) { copy(dst, s.keys[i*s.w:(i+1)*s.w]) }
func (s wordSource) id(i int) uint32         { return s.ids[i] }
