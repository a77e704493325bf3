package index

import (
	"math/bits"
	"slices"
	"sort"
	"sync"
	"unsafe"
)

// sorted is the index of an exact segment: keys in lexicographic order
// (words are loaded big-endian, so word order is byte order) and a
// directory of the first entry for every value of the top bits of word 0.
// Digests are uniformly distributed, so buckets hold a handful of keys and
// a lookup costs two cache misses and a short binary search.
type sorted struct {
	shift uint     // 64 - directory bits
	dir   []uint32 // 1<<bits + 1 offsets
}

func (x *sorted) bytes() int64 { return int64(len(x.dir))*4 + int64(unsafe.Sizeof(*x)) }

// equalRange returns the run of entries of s equal to key.
func (x *sorted) equalRange(s *segment, key []uint64) (int, int) {
	b := key[0] >> x.shift
	lo, hi := int(x.dir[b]), int(x.dir[b+1])
	// First entry >= key (buckets hold a few keys: a linear scan unless
	// the keys are not digests), then first entry > key.
	i := lo
	if hi-lo > 16 {
		i += sort.Search(hi-lo, func(j int) bool { return compareKeys(s.key(lo+j), key) >= 0 })
	} else {
		for i < hi && compareKeys(s.key(i), key) < 0 {
			i++
		}
	}
	j := i
	for j < hi && equalKey(s.key(j), key) {
		j++
	}
	return i, j
}

func compareKeys(a, b []uint64) int {
	for i, x := range a {
		if x != b[i] {
			if x < b[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

// maxSortedDirBits caps the directory at 16M buckets (64 MiB).
const maxSortedDirBits = 24

// buildSorted returns an exact segment holding src's entries: a radix sort
// on the top bits of the key (see radix.go), which also gives the
// directory, then an insertion sort of each (tiny) bucket; up to procs
// goroutines.
func buildSorted(w int, src source, procs int) *segment {
	n := src.len()
	if int64(n) >= 1<<32-1 {
		panic("index: more than 2^32-2 entries in one segment")
	}
	procs = max(procs, 1)
	db := uint(min(max(bits.Len(uint(n))-3, 0), maxSortedDirBits))
	f := field{64 - db, db}
	if db == 0 {
		f = field{0, 0}
	}
	keys := make([]uint64, n*w)
	adviseHuge(keys)
	ids := make([]uint32, n)
	adviseHuge(ids)
	if d, ok := copySorted(w, src, f, keys, ids, procs); ok {
		s := newSegment(w, keys, ids)
		s.srt = &sorted{shift: 64 - db, dir: d}
		return s
	}
	d := sortEntries(w, src, f, keys, ids, procs)
	s := newSegment(w, keys, ids)
	var wg sync.WaitGroup
	nk := 1 << db
	for c := 0; c < procs; c++ {
		wg.Go(func() {
			for b := nk * c / procs; b < nk*(c+1)/procs; b++ {
				sortRun(s, int(d[b]), int(d[b+1]))
			}
		})
	}
	wg.Wait()
	// With db == 0 the shift is 64 and every key lands in bucket 0.
	s.srt = &sorted{shift: 64 - db, dir: d}
	return s
}

// copySorted is the build of input already in key order (compiled hash
// sets store their digest columns sorted): the entries are copied and the
// directory written in one sequential pass, split between procs
// goroutines, with no sort. It gives up, returning false, when a key is
// out of order (for unsorted input, almost at once); keys and ids are then
// overwritten by the sort.
func copySorted(w int, src source, f field, keys []uint64, ids []uint32, procs int) ([]uint32, bool) {
	n := src.len()
	d := make([]uint32, 1<<f.nb+1)
	if n < 1<<16 {
		procs = 1
	}
	// Piece c writes the directory entries of the buckets after its
	// predecessor's last entry, up to its own last entry's: ranges that do
	// not overlap when the pieces' last keys are in order, which is
	// checked first (and a piece stops at a key past its last one's
	// bucket), so that unsorted input cannot make two pieces write one
	// entry.
	last := make([]uint64, procs*w)
	for c := range procs {
		if n == 0 {
			break
		}
		src.key(n*(c+1)/procs-1, last[c*w:(c+1)*w])
		if c > 0 && compareKeys(last[(c-1)*w:c*w], last[c*w:(c+1)*w]) > 0 {
			return nil, false
		}
	}
	sorted := make([]bool, procs)
	var wg sync.WaitGroup
	for c := range procs {
		wg.Go(func() {
			lo, hi := n*c/procs, n*(c+1)/procs
			top := int(f.of(last[c*w : (c+1)*w]))
			var tmp [MaxKeyLen / 8]uint64
			prev := tmp[:w]
			b := 0
			if lo > 0 {
				copy(prev, last[(c-1)*w:c*w])
				b = int(f.of(prev)) + 1
			}
			for i := lo; i < hi; i++ {
				k := keys[i*w : (i+1)*w : (i+1)*w]
				src.key(i, k)
				if i > lo {
					prev = keys[(i-1)*w : i*w]
				}
				if i > 0 && compareKeys(prev, k) > 0 {
					return
				}
				ids[i] = src.id(i)
				v := int(f.of(k))
				if v > top {
					return // past the piece's last key: out of order
				}
				for ; b <= v; b++ {
					d[b] = uint32(i)
				}
			}
			if c == procs-1 {
				for ; b < len(d); b++ {
					d[b] = uint32(n)
				}
			}
			sorted[c] = true
		})
	}
	wg.Wait()
	if slices.Contains(sorted, false) {
		return nil, false
	}
	return d, true
}

// sortRun sorts entries [lo, hi) of s by key (ids follow their keys).
func sortRun(s *segment, lo, hi int) {
	if hi-lo < 2 {
		return
	}
	if hi-lo > 24 {
		sort.Sort(runSorter{s, lo, hi - lo})
		return
	}
	keys, w := s.keys, s.w
	for i := lo + 1; i < hi; i++ {
		for j := i; j > lo; j-- {
			a, b := keys[j*w:(j+1)*w], keys[(j-1)*w:j*w]
			x := 0
			for x < w && a[x] == b[x] {
				x++
			}
			if x == w || a[x] > b[x] {
				break
			}
			swapEntries(s, j, j-1)
		}
	}
}

func swapEntries(s *segment, i, j int) {
	w := s.w
	a, b := s.keys[i*w:(i+1)*w], s.keys[j*w:(j+1)*w]
	for x := range a {
		a[x], b[x] = b[x], a[x]
	}
	s.ids[i], s.ids[j] = s.ids[j], s.ids[i]
}

// runSorter sorts a bucket too large for insertion sort (hostile or
// non-uniform keys) in O(n log n).
type runSorter struct {
	s     *segment
	lo, n int
}

func (r runSorter) Len() int { return r.n }

func (r runSorter) Less(i, j int) bool {
	return compareKeys(r.s.key(r.lo+i), r.s.key(r.lo+j)) < 0
}

func (r runSorter) Swap(i, j int) { swapEntries(r.s, r.lo+i, r.lo+j) }
