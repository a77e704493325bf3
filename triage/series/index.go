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
// checks this.
//
// It is safe for concurrent use.
type Index struct {
	opt Options

	mu    sync.Mutex
	pdq   *index.Near256 // id = position*8 + transform
	ph    *index.Near64  // id = position
	items []seriesEntry
	keys  map[int64]bool
}

type seriesEntry struct {
	key  int64
	item Item
}

// NewIndex returns an empty index with opt's thresholds.
func NewIndex(opt Options) *Index {
	return &Index{opt: opt.withDefaults(), pdq: index.NewNear256(), ph: index.NewNear64(), keys: map[int64]bool{}}
}

// Options returns the thresholds in use (defaults filled in).
func (x *Index) Options() Options { return x.opt }

// Len returns how many items the index holds.
func (x *Index) Len() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return len(x.items)
}

// linkable reports whether g takes part in perceptual links.
func (x *Index) linkable(g *Item) bool {
	return g.Perceptual && g.PDQQuality >= x.opt.MinPDQQuality
}

// Add holds g under key. Items that cannot link perceptually, and keys
// already held, are ignored.
func (x *Index) Add(key int64, g Item) {
	if !x.linkable(&g) {
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
	if !x.linkable(&g) {
		return nil
	}
	x.mu.Lock()
	items := x.items
	x.mu.Unlock()
	found := map[uint32]bool{}
	var hits []index.Match
	// Some rotation or flip of a held item near g's hash.
	hits = x.pdq.Query(g.PDQ[0], x.opt.PDQRadius, hits[:0])
	for _, h := range hits {
		found[h.ID/8] = true
	}
	// Some rotation or flip of g near a held item's own hash.
	for _, q := range g.PDQ[1:] {
		if q.IsZero() {
			continue
		}
		hits = x.pdq.Query(q, x.opt.PDQRadius, hits[:0])
		for _, h := range hits {
			if h.ID%8 == 0 {
				found[h.ID/8] = true
			}
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
