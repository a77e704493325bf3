package series

import (
	"slices"
	"sync"

	"github.com/winnow-forensics/winnow/triage/index"
)

// Index is Group one item at a time, for a queue that grows: it
// holds one Item per distinct content under a caller's key, and
// Linked returns the keys of the held items that the new item links to
// by the same rules as Group (PDQ of any rotation or flip within
// PDQRadius, or pHash within PHashRadius confirmed by PDQ within
// PHashPDQRadius; items under MinPDQQuality link to nothing here: only
// identical content, which the caller stacks by SHA-256). A caller that
// merges the groups of every linked key with the new item's ends up with
// exactly the series Group would find for all the items at once, in any
// order of arrival (single linkage does not depend on order); a test
// checks this. Videos link as in Group too: to the held videos that share
// VideoShare of either's informative frames, and to the held stills one
// of their frames shows (and a new still to the held videos that show
// it).
//
// It is safe for concurrent use.
type Index struct {
	opt Options

	mu    sync.Mutex
	pdq   *index.Near256 // id = position*8 + transform
	ph    *index.Near64  // id = position
	items []seriesEntry
	keys  map[int64]bool
	// frames holds every informative frame of every held video, id =
	// position of the video in items.
	frames *index.Near256
}

type seriesEntry struct {
	key  int64
	item Item
}

// NewIndex returns an empty index with opt's thresholds.
func NewIndex(opt Options) *Index {
	return &Index{opt: opt.withDefaults(), pdq: index.NewNear256(), ph: index.NewNear64(), frames: index.NewNear256(),
		keys: map[int64]bool{}}
}

// Options returns the thresholds in use (defaults filled in).
func (x *Index) Options() Options { return x.opt }

// Len returns how many items the index holds.
func (x *Index) Len() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.items)
}

// linkable reports whether g takes part in perceptual links as a still.
func (x *Index) linkable(g *Item) bool {
	return g.Perceptual && g.PDQQuality >= x.opt.MinPDQQuality
}

// Add holds g under key. Items that cannot link perceptually (neither a
// linkable still nor a video with informative frames), and keys already
// held, are ignored.
func (x *Index) Add(key int64, g Item) {
	still := x.linkable(&g)
	if !still && len(g.Frames) == 0 {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.keys[key] {
		return
	}
	x.keys[key] = true
	pos := uint32(len(x.items))
	x.items = append(x.items, seriesEntry{key, g})
	for _, f := range g.Frames {
		x.frames.Add(f, pos)
	}
	if !still {
		return
	}
	for d, q := range g.PDQ {
		if d == 0 || !q.IsZero() {
			x.pdq.Add(q, pos*8+uint32(d))
		}
	}
	x.ph.Add(uint64(g.PHash), pos)
}

// Linked returns the keys of the held items that g links to, each once,
// in the order they were added.
func (x *Index) Linked(g Item) []int64 {
	still := x.linkable(&g)
	if !still && len(g.Frames) == 0 {
		return nil
	}
	x.mu.Lock()
	items := x.items
	x.mu.Unlock()
	found := map[uint32]bool{}
	var hits []index.Match
	if still {
		hits = x.linkStill(g, items, found, hits)
	}
	x.linkVideo(g, items, found, hits)
	pos := make([]uint32, 0, len(found))
	for p := range found {
		pos = append(pos, p)
	}
	slices.Sort(pos)
	out := make([]int64, len(pos))
	for i, p := range pos {
		out[i] = items[p].key
	}
	return out
}

// linkStill adds to found the held items a still g links to: stills by
// PDQ (any rotation or flip, either way round) or pHash confirmed by PDQ,
// and videos with a frame that shows g or a rotation or flip of it.
func (x *Index) linkStill(g Item, items []seriesEntry, found map[uint32]bool, hits []index.Match) []index.Match {
	// Some rotation or flip of a held still near g's hash.
	hits = x.pdq.Query(g.PDQ[0], x.opt.PDQRadius, hits[:0])
	for _, h := range hits {
		found[h.ID/8] = true
	}
	for d, q := range g.PDQ {
		if d > 0 && q.IsZero() {
			continue
		}
		// Some rotation or flip of g near a held still's own hash.
		if d > 0 {
			hits = x.pdq.Query(q, x.opt.PDQRadius, hits[:0])
			for _, h := range hits {
				if h.ID%8 == 0 {
					found[h.ID/8] = true
				}
			}
		}
		// A frame of a held video near g, as it is or rotated or flipped.
		hits = x.frames.Query(q, x.opt.PDQRadius, hits[:0])
		for _, h := range hits {
			found[h.ID] = true
		}
	}
	// A close pHash confirmed by a borderline PDQ, either way round.
	hits = x.ph.Query(uint64(g.PHash), x.opt.PHashRadius, hits[:0])
	for _, h := range hits {
		if int(h.ID) >= len(items) || found[h.ID] {
			continue
		}
		m := &items[h.ID].item
		if minPDQDistance(m, g.PDQ[0]) <= x.opt.PHashPDQRadius || minPDQDistance(&g, m.PDQ[0]) <= x.opt.PHashPDQRadius {
			found[h.ID] = true
		}
	}
	return hits
}

// linkVideo adds to found the held items a video g links to: the stills
// one of its frames shows (any rotation or flip), and the videos sharing
// VideoShare of g's informative frames or of theirs.
func (x *Index) linkVideo(g Item, items []seriesEntry, found map[uint32]bool, hits []index.Match) {
	if len(g.Frames) == 0 {
		return
	}
	shared := map[uint32]int{} // held video -> frames of g it has
	for _, f := range g.Frames {
		hits = x.pdq.Query(f, x.opt.PDQRadius, hits[:0])
		for _, h := range hits {
			found[h.ID/8] = true
		}
		seen := map[uint32]bool{}
		hits = x.frames.Query(f, x.opt.PDQRadius, hits[:0])
		for _, h := range hits {
			if !seen[h.ID] {
				seen[h.ID] = true
				shared[h.ID]++
			}
		}
	}
	var mine *index.Near256
	for p, n := range shared {
		if found[p] {
			continue
		}
		if float64(n) >= x.opt.VideoShare*float64(len(g.Frames)) {
			found[p] = true
			continue
		}
		// The other way round: the share of the held video's frames that
		// some frame of g shows (a clip held, its source arriving).
		if mine == nil {
			fs := make([][32]byte, len(g.Frames))
			for i, f := range g.Frames {
				fs[i] = f
			}
			mine = index.BuildNear256(fs, nil)
		}
		fs := items[p].item.Frames
		k := 0
		for _, f := range fs {
			if hits = mine.Query(f, x.opt.PDQRadius, hits[:0]); len(hits) > 0 {
				k++
			}
		}
		if float64(k) >= x.opt.VideoShare*float64(len(fs)) {
			found[p] = true
		}
	}
}
