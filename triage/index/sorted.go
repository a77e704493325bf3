package index

import (
	"math/bits"
	"runtime"
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
	// First entry >= key, then first entry > key.
	i := lo + sort.Search(hi-lo, func(j int) bool { return compareKeys(s.key(lo+j), key) >= 0 })
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

// buildSorted returns an exact segment holding src's entries: a counting
// sort on the top bits of the key (one pass to count, one to place each
// entry where it belongs), then a sort of each small bucket.
func buildSorted(w int, src source) *segment {
	n := src.len()
	db := min(max(bits.Len(uint(n))-3, 0), maxSortedDirBits)
	shift := uint(64 - db)
	nk := 1 << db
	d := make([]uint32, nk+1)
	var tmp [8]uint64
	k := tmp[:w]
	// With db == 0 the shift is 64 and every key lands in bucket 0.
	top := func(k []uint64) uint64 { return k[0] >> shift }
	for i := 0; i < n; i++ {
		src.key(i, k)
		d[top(k)+1]++
	}
	for i := 1; i <= nk; i++ {
		d[i] += d[i-1]
	}
	keys := make([]uint64, n*w)
	adviseHuge(keys)
	ids := make([]uint32, n)
	for i := 0; i < n; i++ {
		src.key(i, k)
		b := top(k)
		p := int(d[b])
		d[b]++
		copy(keys[p*w:(p+1)*w], k)
		ids[p] = src.id(i)
	}
	unshift(d)
	s := newSegment(w, keys, ids)

	// Sort the buckets, split between the cores.
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for c := 0; c < workers; c++ {
		from, to := nk*c/workers, nk*(c+1)/workers
		wg.Go(func() {
			for b := from; b < to; b++ {
				sortRun(s, int(d[b]), int(d[b+1]))
			}
		})
	}
	wg.Wait()
	s.srt = &sorted{shift: shift, dir: d}
	return s
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
	for i := lo + 1; i < hi; i++ {
		for j := i; j > lo && compareKeys(s.key(j), s.key(j-1)) < 0; j-- {
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
