package series

import (
	"runtime"
	"sync"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/index"
	"github.com/winnow-forensics/winnow/triage/pdq"
	"github.com/winnow-forensics/winnow/triage/vpdq"
)

// Item is what grouping looks at of one item.
type Item struct {
	// SHA256 identifies the content; the zero value (nothing was read)
	// stacks with nothing.
	SHA256 triage.SHA256
	// Cluster marks the items that take part in near-duplicate series (a
	// scan clusters its new and variant items).
	Cluster bool
	// Perceptual reports whether PDQ, PDQQuality and PHash are valid.
	Perceptual bool
	// PDQ holds the item's PDQ hash in PDQ[0] and, when computed, the
	// hashes of its rotations and flips in PDQ[1:] (Fingerprint.PDQDihedral
	// order); they are zero when not computed.
	PDQ        [8]triage.PDQ
	PDQQuality int
	PHash      triage.PHash
	// Frames are a video's informative frames (vpdq.Informative: black,
	// flat and repeated frames dropped), by which it links to other
	// videos and to stills.
	Frames []triage.PDQ
}

// ItemOf returns the Item of a fingerprint.
func ItemOf(fp *triage.Fingerprint, cluster bool) Item {
	g := Item{SHA256: fp.SHA256, Cluster: cluster, Perceptual: fp.Perceptual, PDQQuality: fp.PDQQuality, PHash: fp.PHash}
	if fp.Perceptual {
		g.PDQ = fp.PDQDihedral
		g.PDQ[0] = fp.PDQ
	}
	flt := vpdq.Filter{MinQuality: vpdq.MinQuality, NearDuplicate: vpdq.NearDuplicate}
	for _, f := range fp.Frames {
		if flt.Keep(f.Quality, pdq.Hash(f.PDQ)) {
			g.Frames = append(g.Frames, f.PDQ)
		}
	}
	return g
}

// Stacks groups the items whose contents are identical: the indexes of
// items sharing a non-zero SHA-256, each stack in index order, stacks in
// the order of their first item. Only stacks of two or more are returned.
func Stacks(items []Item) [][]int {
	first := make(map[triage.SHA256]int, len(items))
	var stacks [][]int
	stackOf := map[int]int{} // first item -> its stack
	for i, it := range items {
		if it.SHA256.IsZero() {
			continue
		}
		f, ok := first[it.SHA256]
		if !ok {
			first[it.SHA256] = i
			continue
		}
		s, ok := stackOf[f]
		if !ok {
			s = len(stacks)
			stackOf[f] = s
			stacks = append(stacks, []int{f})
		}
		stacks[s] = append(stacks[s], i)
	}
	return stacks
}

// Options set the thresholds of near-duplicate clustering. A zero
// field means its default.
type Options struct {
	// PDQRadius links two items when some rotation or flip of one has a
	// PDQ hash within this distance of the other's (default 31, Meta's
	// match threshold; unrelated images are about 128 apart).
	PDQRadius int
	// PHashRadius and PHashPDQRadius link two items whose pHashes are
	// within PHashRadius when their PDQ hashes (any rotation or flip) are
	// within PHashPDQRadius: a close pHash confirms a borderline PDQ, as
	// with crops and heavy edits (defaults 8 and 70). A pHash alone never
	// links: 64 bits give too many chance collisions across a seizure.
	PHashRadius    int
	PHashPDQRadius int
	// MinPDQQuality: items whose PDQ quality is lower (near-flat images,
	// whose bits are noise) are linked only to identical copies (default 50).
	MinPDQQuality int
	// VideoShare links two videos when this share of either's informative
	// frames is within PDQRadius of some frame of the other (default 0.8,
	// vPDQ's query threshold): re-encodes, and a clip with its source.
	VideoShare float64
}

// DefaultOptions are the thresholds used where a field is zero.
var DefaultOptions = Options{PDQRadius: 31, PHashRadius: 8, PHashPDQRadius: 70, MinPDQQuality: 50, VideoShare: 0.8}

func (o Options) withDefaults() Options {
	d := DefaultOptions
	if o.PDQRadius > 0 {
		d.PDQRadius = o.PDQRadius
	}
	if o.PHashRadius > 0 {
		d.PHashRadius = o.PHashRadius
	}
	if o.PHashPDQRadius > 0 {
		d.PHashPDQRadius = o.PHashPDQRadius
	}
	if o.MinPDQQuality > 0 {
		d.MinPDQQuality = o.MinPDQQuality
	}
	if o.VideoShare > 0 {
		d.VideoShare = o.VideoShare
	}
	return d
}

// Group clusters the items marked Cluster into near-duplicate series by
// single linkage: two items are in one series when a chain of links joins
// them, a link being identical content (same SHA-256) or a perceptual
// match under opt. Every Cluster item is in exactly one series (alone if
// nothing links to it). Each series lists item indexes in order; series
// are in the order of their first item, so the result does not depend on
// timing or map order.
//
// The perceptual links come from the matching index (index.Near256 and
// Near64) over the eight rotations and flips of one item per distinct
// content, so the cost grows with the number of items times
// the index's query cost, not with the number of pairs.
func Group(items []Item, opt Options) [][]int {
	opt = opt.withDefaults()
	uf := newUnionFind(len(items))
	// One representative per distinct content.
	first := map[triage.SHA256]int{}
	var reps, videos []int
	for i, it := range items {
		if !it.Cluster {
			continue
		}
		if !it.SHA256.IsZero() {
			if f, ok := first[it.SHA256]; ok {
				uf.union(f, i)
				continue
			}
			first[it.SHA256] = i
		}
		if it.Perceptual && it.PDQQuality >= opt.MinPDQQuality {
			reps = append(reps, i)
		}
		if len(it.Frames) > 0 {
			videos = append(videos, i)
		}
	}
	linkNear(items, reps, opt, uf)
	linkVideos(items, videos, reps, opt, uf)

	byRoot := map[int]int{}
	var out [][]int
	for i, it := range items {
		if !it.Cluster {
			continue
		}
		r := uf.find(i)
		s, ok := byRoot[r]
		if !ok {
			s = len(out)
			byRoot[r] = s
			out = append(out, nil)
		}
		out[s] = append(out[s], i)
	}
	return out
}

// linkNear unions the representatives that match perceptually.
func linkNear(items []Item, reps []int, opt Options, uf *unionFind) {
	if len(reps) < 2 {
		return
	}
	// Index every rotation and flip of every representative (id = rep
	// position * 8 + transform) and query each with its own hash once: if
	// b is a rotated copy of a, b's hash is near that rotation of a.
	pdqs := make([][32]byte, 0, 8*len(reps))
	ids := make([]uint32, 0, 8*len(reps))
	phs := make([]uint64, len(reps))
	for k, i := range reps {
		for d, q := range items[i].PDQ {
			if d == 0 || !q.IsZero() {
				pdqs, ids = append(pdqs, q), append(ids, uint32(k*8+d))
			}
		}
		phs[k] = uint64(items[i].PHash)
	}
	pdqIdx := index.BuildNear256(pdqs, ids)
	phIdx := index.BuildNear64(phs, nil)

	var mu sync.Mutex
	var wg sync.WaitGroup
	workers := min(runtime.GOMAXPROCS(0), len(reps))
	for w := range workers {
		wg.Go(func() {
			var hits []index.Match
			var links []int // pairs of rep positions
			for k := w; k < len(reps); k += workers {
				it := &items[reps[k]]
				hits = pdqIdx.Query(it.PDQ[0], opt.PDQRadius, hits[:0])
				for _, h := range hits {
					if j := int(h.ID / 8); j != k {
						links = append(links, k, j)
					}
				}
				hits = phIdx.Query(uint64(it.PHash), opt.PHashRadius, hits[:0])
				for _, h := range hits {
					if j := int(h.ID); j != k && minPDQDistance(&items[reps[j]], it.PDQ[0]) <= opt.PHashPDQRadius {
						links = append(links, k, j)
					}
				}
				if len(links) >= 1024 || k+workers >= len(reps) {
					mu.Lock()
					for p := 0; p+1 < len(links); p += 2 {
						uf.union(reps[links[p]], reps[links[p+1]])
					}
					mu.Unlock()
					links = links[:0]
				}
			}
		})
	}
	wg.Wait()
}

// linkVideos unions each video with the videos that share most of its
// informative frames (opt.VideoShare of either's) and with the stills
// (image representatives, any rotation or flip) that one of its frames
// shows. Every frame of every video is indexed once; each video queries
// its own frames.
func linkVideos(items []Item, videos, reps []int, opt Options, uf *unionFind) {
	if len(videos) == 0 {
		return
	}
	var frames [][32]byte
	var ids []uint32
	for k, i := range videos {
		for _, f := range items[i].Frames {
			frames, ids = append(frames, f), append(ids, uint32(k))
		}
	}
	frameIdx := index.BuildNear256(frames, ids)
	var stills [][32]byte
	var stillIDs []uint32
	for k, i := range reps {
		for d, q := range items[i].PDQ {
			if d == 0 || !q.IsZero() {
				stills, stillIDs = append(stills, q), append(stillIDs, uint32(k))
			}
		}
	}
	stillIdx := index.BuildNear256(stills, stillIDs)
	var hits []index.Match
	for k, i := range videos {
		fs := items[i].Frames
		shared := map[int]int{} // other video -> frames of this one it has
		for _, f := range fs {
			seen := map[int]bool{}
			hits = frameIdx.Query(f, opt.PDQRadius, hits[:0])
			for _, h := range hits {
				if j := int(h.ID); j != k && !seen[j] {
					seen[j] = true
					shared[j]++
				}
			}
			hits = stillIdx.Query(f, opt.PDQRadius, hits[:0])
			for _, h := range hits {
				uf.union(i, reps[h.ID])
			}
		}
		for j, n := range shared {
			if float64(n) >= opt.VideoShare*float64(len(fs)) {
				uf.union(i, videos[j])
			}
		}
	}
}

// minPDQDistance is the smallest distance from any rotation or flip of it
// to h.
func minPDQDistance(it *Item, h triage.PDQ) int {
	best := it.PDQ[0].Distance(h)
	for _, q := range it.PDQ[1:] {
		if !q.IsZero() {
			best = min(best, q.Distance(h))
		}
	}
	return best
}

// unionFind is a disjoint-set forest with path halving and union by size.
type unionFind struct{ parent, size []int }

func newUnionFind(n int) *unionFind {
	u := &unionFind{parent: make([]int, n), size: make([]int, n)}
	for i := range u.parent {
		u.parent[i], u.size[i] = i, 1
	}
	return u
}

func (u *unionFind) find(i int) int {
	for u.parent[i] != i {
		u.parent[i] = u.parent[u.parent[i]]
		i = u.parent[i]
	}
	return i
}

func (u *unionFind) union(a, b int) {
	ra, rb := u.find(a), u.find(b)
	if ra == rb {
		return
	}
	if u.size[ra] < u.size[rb] {
		ra, rb = rb, ra
	}
	u.parent[rb] = ra
	u.size[ra] += u.size[rb]
}
