package index

import (
	"math/bits"
	"sync"
	"unsafe"
)

// Multi-index hashing (Norouzi, Punjani and Fleet, "Fast Exact Search in
// Hamming Space with Multi-Index Hashing", 2012/2014), laid out for memory:
//
// A segment's keys are cut into m disjoint bit ranges ("substrings") of nb
// bits each. If two keys are within distance r, the distances of their
// substrings add up to at most r, so for thresholds t_i with
// sum(t_i + 1) >= r + 1 at least one substring i is within t_i (pigeonhole;
// with r = q*m + a the paper's choice is t_i = q for a+1 tables and q-1 for
// the others). A query therefore enumerates, per table, every nb-bit value
// within t_i of its own substring, collects the entries filed under those
// values and checks their full distance.
//
// Each table is a counting-sort directory (offset of every nb-bit value)
// over a packed array of entry positions, log2(n) bits each. The entries
// themselves are stored in table 0's order, so table 0 needs no position
// array and its buckets are contiguous runs of keys. An entry found through
// several tables is reported once: from the first table (in query order)
// whose enumeration covers it, which the query can tell from the entry's
// own bits, so no "seen" set is needed.

// maxTables bounds the number of tables of one segment.
const maxTables = 32

// mih is the table set of one segment.
type mih struct {
	// enumerate disables the fall-back to a scan for costly radii (tests).
	enumerate bool
	m         int
	nb        uint
	lo        [maxTables]uint16 // first bit of each table's substring
	dirs      [maxTables]dir
	pos       [maxTables]packed // pos[0] is unused: keys are in table-0 order
}

// dir maps an nb-bit value k to the half-open range [span(k)) of its
// entries in the table's order. Offsets are stored as a 32-bit base per
// group of 64 buckets plus one byte per bucket relative to it, about 1.1
// bytes a bucket. A group whose entries do not fit in a byte's range (dense
// clusters) is "wide": its base has the top bit set and indexes 64 plain
// 32-bit offsets in wide instead.
type dir struct {
	base []uint32
	rel  []uint8
	wide []uint32
}

const wideGroup = 1 << 31

func (d *dir) off(k uint32) uint32 {
	b := d.base[k>>6]
	if b&wideGroup != 0 {
		return d.wide[(b&^wideGroup)<<6|k&63]
	}
	return b + uint32(d.rel[k])
}

func (d *dir) span(k uint32) (uint32, uint32) { return d.off(k), d.off(k + 1) }

// newDir encodes plain offsets (len(offs) = buckets + 1).
func newDir(offs []uint32) dir {
	b := newDirBuilder(len(offs) - 1)
	for _, o := range offs {
		b.add(o)
	}
	return b.finish()
}

// dirBuilder encodes a dir from its offsets given in order.
type dirBuilder struct {
	d   dir
	buf [64]uint32 // offsets of the current group of 64 buckets
	k   int        // offsets added
}

func newDirBuilder(buckets int) *dirBuilder {
	b := &dirBuilder{d: dir{base: make([]uint32, buckets>>6+1), rel: make([]uint8, buckets+1)}}
	adviseHuge(b.d.rel)
	return b
}

func (b *dirBuilder) add(off uint32) {
	b.buf[b.k&63] = off
	b.k++
	if b.k&63 == 0 {
		b.flush(64)
	}
}

// flush encodes the group holding the last n offsets added.
func (b *dirBuilder) flush(n int) {
	g := (b.k - 1) >> 6
	lo := b.buf[0]
	if b.buf[n-1]-lo <= 0xff {
		b.d.base[g] = lo
		rel := b.d.rel[g<<6 : g<<6+n]
		for i := range rel {
			rel[i] = uint8(b.buf[i] - lo)
		}
		return
	}
	b.d.base[g] = wideGroup | uint32(len(b.d.wide)>>6)
	b.d.wide = append(b.d.wide, b.buf[:]...)
}

func (b *dirBuilder) finish() dir {
	if n := b.k & 63; n > 0 {
		b.flush(n)
	}
	return b.d
}

func (d *dir) bytes() int64 {
	return int64(len(d.base))*4 + int64(len(d.rel)) + int64(cap(d.wide))*4
}

func (x *mih) bytes() int64 {
	n := int64(unsafe.Sizeof(*x))
	for t := 0; t < x.m; t++ {
		n += x.dirs[t].bytes() + int64(len(x.pos[t].b))
	}
	return n
}

// Cost model, in units of one sequential key comparison: a bucket probe
// and a candidate check are random memory accesses. Used both to plan a
// segment's tables and, per query, to fall back to a scan when the radius
// is so large that enumerating buckets would cost more.
const (
	costProbe = 6
	costCand  = 5
	costScan  = 1
)

// minIndexed is the smallest segment that gets tables; smaller ones are
// scanned.
const minIndexed = 2048

// planFunc chooses the table count m and bits per table nb for a segment
// of n keys; m == 0 means no tables (the segment is scanned).
type planFunc func(n int) (m int, nb uint)

// defaultPlan is the planner for keys of w words queried at radius r0
// (the radius only tunes speed and memory; results are exact for any).
func defaultPlan(w, r0 int) planFunc {
	return func(n int) (int, uint) { return plan(w, n, r0) }
}

// plan chooses m and nb for n keys of w words, tuned for radius r0: it
// minimises the cost model over m, with directories of about n to 2n
// buckets (2^nb for nb = bits.Len(n); about 1.1 bytes a bucket), and a
// charge per table for its memory (log2(n) bits a position). With the
// package benchmarks on 256-bit keys at radius 31 this gives 12 tables of
// 20 bits for 1M keys and 11 tables of 23 bits for 10M.
func plan(w, n, r0 int) (m int, nb uint) {
	if n < minIndexed {
		return 0, 0
	}
	maxNB := bits.Len(uint(n))
	best := -1.0
	for tm := 1; tm <= maxTables && tm <= 64*w; tm++ {
		tnb := min(64*w/tm, maxNB, 32)
		if tnb < 1 {
			break
		}
		probes := tableProbes(tm, tnb, r0)
		if probes < 0 {
			continue
		}
		c := float64(probes)*costProbe + float64(probes)*float64(n)/float64(uint64(1)<<tnb)*costCand
		c *= 1 + tableCharge*float64(tm)
		if best < 0 || c < best {
			best, m, nb = c, tm, uint(tnb)
		}
	}
	if best < 0 || best > float64(n)*costScan {
		return 0, 0
	}
	return m, nb
}

// tableCharge is the relative query cost a table must save to be worth
// its memory.
const tableCharge = 0.08

// thresholds returns the per-table search radius for a query at radius r
// over m tables: q for the first a+1 tables and q-1 (or -1: skip) for the
// rest, where r = q*m + a.
func thresholds(m, r int) (tau [maxTables]int) {
	q, a := r/m, r%m
	for t := 0; t < m; t++ {
		tau[t] = q - 1
		if t <= a {
			tau[t] = q
		}
	}
	return tau
}

// tableProbes is the number of buckets a query at radius r visits over m
// tables of nb bits, or -1 if one enumeration would be too long.
func tableProbes(m, nb, r int) int {
	tau := thresholds(m, r)
	p := 0
	for t := 0; t < m; t++ {
		if tau[t] < 0 {
			continue
		}
		if tau[t] >= nb {
			return -1
		}
		b := ballSize(nb, tau[t])
		if b > maxMasks {
			return -1
		}
		p += b
	}
	return p
}

// buildMIH returns a segment holding src's entries with the MIH table set
// that pl chooses (none for small segments), using up to procs goroutines.
func buildMIH(w int, src source, pl planFunc, procs int) *segment {
	n := src.len()
	if int64(n) >= 1<<31 {
		panic("index: more than 2^31 entries in one segment")
	}
	m, nb := pl(n)
	keys := make([]uint64, n*w)
	adviseHuge(keys)
	ids := make([]uint32, n)
	adviseHuge(ids)
	if m == 0 {
		for i := 0; i < n; i++ {
			src.key(i, keys[i*w:(i+1)*w])
			ids[i] = src.id(i)
		}
		return newSegment(w, keys, ids)
	}
	x := &mih{m: m, nb: nb}
	for t := 0; t < m; t++ {
		x.lo[t] = uint16(t * 64 * w / m)
	}

	// Table 0 orders the entries themselves; the other tables order
	// positions, in parallel.
	d0 := sortEntries(w, src, field{uint(x.lo[0]), nb}, keys, ids, procs)
	x.dirs[0] = newDir(d0)
	pw := packedBits(n)
	work := make(chan int, m)
	for t := 1; t < m; t++ {
		work <- t
	}
	close(work)
	var wg sync.WaitGroup
	for range min(max(procs, 1), m-1) {
		wg.Go(func() {
			var o positionOrder
			for t := range work {
				x.pos[t], x.dirs[t] = o.sortPositions(w, keys, field{uint(x.lo[t]), nb}, pw)
			}
		})
	}
	wg.Wait()
	s := newSegment(w, keys, ids)
	s.mih = x
	return s
}

// exactRange is the run of entries whose table-0 bits equal key's.
func (x *mih) exactRange(key []uint64) (int, int) {
	lo, hi := x.dirs[0].span(uint32(bitsAt(key, uint(x.lo[0]), x.nb)))
	return int(lo), int(hi)
}

// nearQuery is one query against one segment.
type nearQuery struct {
	s    *segment
	x    *mih
	keys []uint64
	q    [4]uint64 // the query (first w words)
	ql   []uint64  // q[:w]
	r    int
	tau  [maxTables]int
	qk   [maxTables]uint32 // the query's bits per table
	dst  []Match
	// ruleTables: an entry found through table t is a duplicate if one of
	// tables 0..min(t, ruleTables)-1 covers it; dense queries track the
	// entries checked in a bit set instead (ruleTables 0).
	ruleTables int
}

// scratch holds a query's buffers between queries.
type scratch struct {
	spans []uint32 // bucket ranges [lo, hi) of one table, as pairs
	cands []uint32 // positions to check
	seen  []uint64 // dense queries: positions already checked; zero between queries
}

// denseFactor: when a table's buckets for a query hold more than this many
// times the average, the query is in a dense cluster, where an entry turns
// up in most tables; it then checks each entry once (a bit set of the
// positions seen) instead of once per table.
const denseFactor = 2

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// queryNear appends to dst the live entries of s within distance r of q.
//
// Each table is searched in three passes, each a loop of independent
// memory accesses (directory, then position lists, then keys): the
// accesses are random and mostly cache misses, and separating them lets the
// processor keep many in flight instead of waiting for each chain of
// directory -> position -> key in turn.
func queryNear(s *segment, q []uint64, r int, dst []Match) []Match {
	n := s.len()
	if n == 0 {
		return dst
	}
	x := s.mih
	if x == nil {
		return scanNear(s, q, r, 0, n, dst)
	}
	probes := tableProbes(x.m, int(x.nb), r)
	if probes < 0 || !x.enumerate && float64(probes)*(costProbe+costCand*float64(n)/float64(uint64(1)<<x.nb)) > float64(n)*costScan {
		return scanNear(s, q, r, 0, n, dst)
	}
	c := nearQuery{s: s, x: x, keys: s.keys, r: r, tau: thresholds(x.m, r), dst: dst, ruleTables: maxTables}
	copy(c.q[:], q)
	c.ql = c.q[:len(q)]
	for t := 0; t < x.m; t++ {
		c.qk[t] = uint32(bitsAt(q, uint(x.lo[t]), x.nb))
	}
	sc := scratchPool.Get().(*scratch)
	var seen []uint64 // non-nil once the query is known to be dense
	var marked []uint32
	for t := 0; t < x.m; t++ {
		if c.tau[t] < 0 {
			continue
		}
		ms := flipMasks(int(x.nb), c.tau[t])
		if cap(sc.spans) < 2*len(ms) {
			sc.spans = make([]uint32, 2*len(ms))
		}
		sp := sc.spans[:2*len(ms)]
		d := &x.dirs[t]
		qk := c.qk[t]
		for i, mk := range ms {
			sp[2*i], sp[2*i+1] = d.span(qk ^ mk)
		}
		if seen == nil {
			found := 0
			for i := 0; i < len(sp); i += 2 {
				found += int(sp[i+1] - sp[i])
			}
			if float64(found) > denseFactor*float64(len(ms))*max(1, float64(n)/float64(uint64(1)<<x.nb)) {
				// From here on track the entries checked; those of
				// earlier tables are still told by the rule.
				if len(sc.seen) < (n+63)/64 {
					sc.seen = make([]uint64, (n+63)/64)
				}
				seen = sc.seen
				marked = sc.cands[:0]
				c.ruleTables = t
			}
		}
		if t == 0 {
			// Table 0's buckets are runs of keys.
			for i := 0; i < len(sp); i += 2 {
				c.check(0, sp[i], sp[i+1])
			}
			if seen != nil {
				for i := 0; i < len(sp); i += 2 {
					for p := sp[i]; p < sp[i+1]; p++ {
						seen[p>>6] |= 1 << (p & 63)
						marked = append(marked, p)
					}
				}
			}
			continue
		}
		cands := sc.cands[:0]
		pos := x.pos[t]
		if seen == nil {
			for i := 0; i < len(sp); i += 2 {
				for j := sp[i]; j < sp[i+1]; j++ {
					cands = append(cands, pos.get(int(j)))
				}
			}
			c.checkList(t, cands)
			sc.cands = cands
			continue
		}
		cands = marked
		from := len(cands)
		for i := 0; i < len(sp); i += 2 {
			for j := sp[i]; j < sp[i+1]; j++ {
				p := pos.get(int(j))
				if w, b := &seen[p>>6], uint64(1)<<(p&63); *w&b == 0 {
					*w |= b
					cands = append(cands, p)
				}
			}
		}
		c.checkList(t, cands[from:])
		marked = cands
	}
	for _, p := range marked {
		seen[p>>6] = 0
	}
	if cap(marked) > cap(sc.cands) {
		sc.cands = marked
	}
	scratchPool.Put(sc)
	return c.dst
}

// check checks entries [lo, hi), found through table t.
func (c *nearQuery) check(t int, lo, hi uint32) {
	keys, r := c.keys, c.r
	switch len(c.ql) {
	case 4:
		q0, q1, q2, q3 := c.q[0], c.q[1], c.q[2], c.q[3]
		for p := int(lo); p < int(hi); p++ {
			k := keys[p*4 : p*4+4 : p*4+4]
			d := bits.OnesCount64(k[0]^q0) + bits.OnesCount64(k[1]^q1) +
				bits.OnesCount64(k[2]^q2) + bits.OnesCount64(k[3]^q3)
			if d <= r {
				c.report(t, p, d)
			}
		}
	case 1:
		q0 := c.q[0]
		for p := int(lo); p < int(hi); p++ {
			if d := bits.OnesCount64(keys[p] ^ q0); d <= r {
				c.report(t, p, d)
			}
		}
	default:
		w := len(c.ql)
		for p := int(lo); p < int(hi); p++ {
			if d := distance(keys[p*w:(p+1)*w], c.ql); d <= r {
				c.report(t, p, d)
			}
		}
	}
}

// checkList checks the entries at the given positions, found through
// table t.
func (c *nearQuery) checkList(t int, cands []uint32) {
	keys, r := c.keys, c.r
	switch len(c.ql) {
	case 4:
		q0, q1, q2, q3 := c.q[0], c.q[1], c.q[2], c.q[3]
		for _, p32 := range cands {
			p := int(p32)
			k := keys[p*4 : p*4+4 : p*4+4]
			d := bits.OnesCount64(k[0]^q0) + bits.OnesCount64(k[1]^q1) +
				bits.OnesCount64(k[2]^q2) + bits.OnesCount64(k[3]^q3)
			if d <= r {
				c.report(t, p, d)
			}
		}
	case 1:
		q0 := c.q[0]
		for _, p := range cands {
			if d := bits.OnesCount64(keys[p] ^ q0); d <= r {
				c.report(t, int(p), d)
			}
		}
	default:
		w := len(c.ql)
		for _, p32 := range cands {
			p := int(p32)
			if d := distance(keys[p*w:(p+1)*w], c.ql); d <= r {
				c.report(t, p, d)
			}
		}
	}
}

// report adds entry p, found through table t at distance d, unless an
// earlier table's enumeration also covers it (it was or will be reported
// from there) or it was removed.
func (c *nearQuery) report(t, p, d int) {
	x := c.x
	k := c.s.key(p)
	for u := 0; u < min(t, c.ruleTables); u++ {
		if c.tau[u] >= 0 && bits.OnesCount32(uint32(bitsAt(k, uint(x.lo[u]), x.nb))^c.qk[u]) <= c.tau[u] {
			return
		}
	}
	if c.s.dead.has(p) {
		return
	}
	c.dst = append(c.dst, Match{ID: c.s.ids[p], Distance: d})
}

// scanNear compares q with entries [lo, hi) of s one by one.
func scanNear(s *segment, q []uint64, r, lo, hi int, dst []Match) []Match {
	keys := s.keys
	switch s.w {
	case 4:
		q0, q1, q2, q3 := q[0], q[1], q[2], q[3]
		for p := lo; p < hi; p++ {
			k := keys[p*4 : p*4+4 : p*4+4]
			d := bits.OnesCount64(k[0]^q0) + bits.OnesCount64(k[1]^q1) +
				bits.OnesCount64(k[2]^q2) + bits.OnesCount64(k[3]^q3)
			if d <= r && !s.dead.has(p) {
				dst = append(dst, Match{ID: s.ids[p], Distance: d})
			}
		}
	case 1:
		q0 := q[0]
		for p, k := range keys[lo:hi] {
			if d := bits.OnesCount64(k ^ q0); d <= r && !s.dead.has(lo+p) {
				dst = append(dst, Match{ID: s.ids[lo+p], Distance: d})
			}
		}
	default:
		w := s.w
		for p := lo; p < hi; p++ {
			if d := distance(keys[p*w:(p+1)*w], q); d <= r && !s.dead.has(p) {
				dst = append(dst, Match{ID: s.ids[p], Distance: d})
			}
		}
	}
	return dst
}
