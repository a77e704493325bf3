package index

import "sync"

// Builds are radix sorts on one bit field of the keys. A plain counting
// sort over 2^nb buckets writes each entry to a random place in a large
// array, a cache miss per entry; instead both sorts here take two passes:
// the first spreads the entries over at most 4096 groups by the field's top
// bits (few enough output streams to stay in cache), the second orders each
// group, which fits in cache, by the remaining bits, writing the 2^nb-entry
// directory in order.

// maxGroupBits is the number of field bits the first pass sorts on.
const maxGroupBits = 12

// field is a bit field of a key: nb (<= 32) bits from bit lo.
type field struct{ lo, nb uint }

func (f field) of(k []uint64) uint32 { return uint32(bitsAt(k, f.lo, f.nb)) }

// sortEntries stores src's entries into keys and ids ordered by field f
// (stably), using up to procs goroutines, and returns the directory: the
// offset of every field value, 1<<f.nb + 1 entries.
func sortEntries(w int, src source, f field, keys []uint64, ids []uint32, procs int) []uint32 {
	n := src.len()
	procs = max(procs, 1)
	b1 := min(f.nb, maxGroupBits)
	b2 := f.nb - b1
	ng := 1 << b1
	chunk := func(c int) (int, int) { return n * c / procs, n * (c + 1) / procs }

	// Pass 1: each worker counts its share of the input per group, then
	// places it in its own slots of each group.
	counts := make([][]uint32, procs)
	var wg sync.WaitGroup
	for c := range counts {
		counts[c] = make([]uint32, ng)
		wg.Go(func() {
			var tmp [MaxKeyLen / 8]uint64
			k := tmp[:w]
			lo, hi := chunk(c)
			cnt := counts[c]
			for i := lo; i < hi; i++ {
				src.key(i, k)
				cnt[f.of(k)>>b2]++
			}
		})
	}
	wg.Wait()
	groups := make([]uint32, ng+1)
	off := uint32(0)
	for g := 0; g < ng; g++ {
		groups[g] = off
		for c := range counts {
			cnt := counts[c][g]
			counts[c][g] = off
			off += cnt
		}
	}
	groups[ng] = off
	for c := range counts {
		wg.Go(func() {
			var tmp [MaxKeyLen / 8]uint64
			k := tmp[:w]
			lo, hi := chunk(c)
			next := counts[c]
			for i := lo; i < hi; i++ {
				src.key(i, k)
				g := f.of(k) >> b2
				p := int(next[g])
				next[g]++
				copy(keys[p*w:(p+1)*w], k)
				ids[p] = src.id(i)
			}
		})
	}
	wg.Wait()

	// Pass 2: each group by the remaining bits, through a scratch copy.
	d := make([]uint32, 1<<f.nb+1)
	adviseHuge(d)
	d[1<<f.nb] = uint32(n)
	nb2 := 1 << b2
	mask := uint32(nb2 - 1)
	for c := 0; c < procs; c++ {
		wg.Go(func() {
			cnt := make([]uint32, nb2+1)
			var tk []uint64
			var ti []uint32
			for g := ng * c / procs; g < ng*(c+1)/procs; g++ {
				lo, hi := int(groups[g]), int(groups[g+1])
				clear(cnt)
				for p := lo; p < hi; p++ {
					cnt[f.of(keys[p*w:(p+1)*w])&mask+1]++
				}
				for j := 1; j <= nb2; j++ {
					cnt[j] += cnt[j-1]
				}
				for j := 0; j < nb2; j++ {
					d[g<<b2+j] = uint32(lo) + cnt[j]
				}
				if b2 == 0 || hi-lo < 2 {
					continue
				}
				tk = append(tk[:0], keys[lo*w:hi*w]...)
				ti = append(ti[:0], ids[lo:hi]...)
				for i := 0; i < hi-lo; i++ {
					k := tk[i*w : (i+1)*w]
					j := f.of(k) & mask
					p := lo + int(cnt[j])
					cnt[j]++
					copy(keys[p*w:(p+1)*w], k)
					ids[p] = ti[i]
				}
			}
		})
	}
	wg.Wait()
	return d
}

// positionOrder is one build worker's scratch for sortPositions.
type positionOrder struct {
	vals []uint32
	tmp  []uint64
}

// sortPositions returns the positions 0..n-1 of keys (n keys of w words)
// ordered by field f, packed in pw bits each, and their directory.
func (o *positionOrder) sortPositions(w int, keys []uint64, f field, pw uint) (packed, dir) {
	n := len(keys) / w
	if cap(o.vals) < n {
		o.vals = make([]uint32, n)
		o.tmp = make([]uint64, n)
	}
	vals, tmp := o.vals[:n], o.tmp[:n]
	b1 := min(f.nb, maxGroupBits)
	b2 := f.nb - b1
	ng := 1 << b1
	groups := make([]uint32, ng+1)
	for p := range vals {
		v := f.of(keys[p*w : (p+1)*w])
		vals[p] = v
		groups[v>>b2+1]++
	}
	for g := 1; g <= ng; g++ {
		groups[g] += groups[g-1]
	}
	next := append([]uint32(nil), groups[:ng]...)
	for p, v := range vals {
		g := v >> b2
		tmp[next[g]] = uint64(v)<<32 | uint64(p)
		next[g]++
	}
	d := newDirBuilder(1 << f.nb)
	nb2 := 1 << b2
	mask := uint64(nb2 - 1)
	cnt := make([]uint32, nb2+1)
	for g := 0; g < ng; g++ {
		lo, hi := groups[g], groups[g+1]
		clear(cnt)
		for _, e := range tmp[lo:hi] {
			cnt[(e>>32)&mask+1]++
		}
		for j := 1; j <= nb2; j++ {
			cnt[j] += cnt[j-1]
		}
		for j := 0; j < nb2; j++ {
			d.add(lo + cnt[j])
		}
		for _, e := range tmp[lo:hi] {
			j := (e >> 32) & mask
			vals[lo+cnt[j]] = uint32(e)
			cnt[j]++
		}
	}
	d.add(uint32(n))
	return packAll(vals, pw), d.finish()
}

// packAll packs vals in w bits each.
func packAll(vals []uint32, w uint) packed {
	p := newPacked(len(vals), w)
	adviseHuge(p.b)
	var acc uint64
	var nacc uint
	o := 0
	for _, v := range vals {
		acc |= uint64(v) << nacc
		nacc += w
		if nacc >= 32 {
			p.b[o], p.b[o+1], p.b[o+2], p.b[o+3] = byte(acc), byte(acc>>8), byte(acc>>16), byte(acc>>24)
			o += 4
			acc >>= 32
			nacc -= 32
		}
	}
	for ; nacc > 0; nacc -= min(nacc, 8) {
		p.b[o] = byte(acc)
		o++
		acc >>= 8
	}
	return p
}
