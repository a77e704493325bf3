package report

import (
	"cmp"
	"image"
	"slices"
	"strings"
	"sync"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/series"
)

// Builder collects the items of a scan, in any order, and makes the
// Report. It is safe for concurrent use.
type Builder struct {
	// ThumbBytes bounds the memory thumbnails may hold (0: 128 MiB, some
	// 10,000 thumbnails of 128 pixels); items added once it is full keep no
	// thumbnail. Thumbnails are kept as pixels and encoded only if the HTML
	// report shows them.
	ThumbBytes int

	mu         sync.Mutex
	items      []pending
	thumbBytes int
}

type pending struct {
	item  Item
	key   string
	sha   triage.SHA256
	near  *series.Item // kept for items that are clustered only
	thumb *image.Gray
}

// Add adds an item. key orders the report: items are sorted by key, then
// by path. group carries its hashes for grouping (its Cluster field is
// ignored: see Clusters). thumb is a thumbnail for the HTML report, or nil;
// only those of items that Clusters are kept.
func (b *Builder) Add(it Item, key string, group series.Item, thumb *image.Gray) {
	b.mu.Lock()
	defer b.mu.Unlock()
	limit := b.ThumbBytes
	if limit == 0 {
		limit = 128 << 20
	}
	p := pending{item: it, key: key, sha: group.SHA256}
	if Clusters(&it) {
		p.near = &group
		if thumb != nil && b.thumbBytes+len(thumb.Pix) <= limit {
			p.thumb = thumb
			b.thumbBytes += len(thumb.Pix)
		}
	}
	b.items = append(b.items, p)
}

// Len returns the number of items added.
func (b *Builder) Len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.items)
}

// Clusters reports whether an item takes part in near-duplicate series:
// new and variant images and videos do. Other new files (documents,
// archives, unknown data) are listed, not grouped.
func Clusters(it *Item) bool {
	media := it.Kind == triage.KindImage.String() || it.Kind == triage.KindVideo.String()
	return media && (it.Verdict == triage.VerdictNew || it.Verdict == triage.VerdictVariant)
}

// Build sorts the items, numbers them from 1, stacks identical files,
// clusters new and variant media into series with opt, and fills in
// r.Items, Duplicates, Groups and Counts (items, bytes, verdicts, groups,
// duplicates). It returns the thumbnails by item id. The Builder is empty
// afterwards.
func (b *Builder) Build(r *Report, opt series.Options) map[int]*image.Gray {
	b.mu.Lock()
	ps := b.items
	b.items, b.thumbBytes = nil, 0
	b.mu.Unlock()

	slices.SortStableFunc(ps, func(x, y pending) int {
		return cmp.Or(strings.Compare(x.key, y.key), strings.Compare(x.item.Path, y.item.Path))
	})
	thumbs := map[int]*image.Gray{}
	groups := make([]series.Item, len(ps))
	r.Items = make([]Item, len(ps))
	verdicts := map[string]int{}
	for _, v := range triage.Verdicts {
		verdicts[string(v)] = 0
	}
	var bytes int64
	for i := range ps {
		it := ps[i].item
		it.ID = i + 1
		r.Items[i] = it
		if ps[i].near != nil {
			groups[i] = *ps[i].near
			groups[i].Cluster = true
		}
		groups[i].SHA256 = ps[i].sha
		if ps[i].thumb != nil {
			thumbs[it.ID] = ps[i].thumb
		}
		verdicts[string(it.Verdict)]++
		bytes += it.Size
		if len(it.AlsoKnownGood) > 0 {
			r.Counts.AlsoKnownGood++
		}
	}

	r.Duplicates = []Stack{}
	dupItems := 0
	for k, s := range series.Stacks(groups) {
		st := Stack{ID: k + 1, Size: r.Items[s[0]].Size}
		st.SHA256 = string(r.Items[s[0]].SHA256)
		for _, i := range s {
			st.Items = append(st.Items, i+1)
			r.Items[i].Stack = st.ID
		}
		dupItems += len(s)
		r.Duplicates = append(r.Duplicates, st)
	}

	r.Groups = []Group{}
	for k, s := range series.Group(groups, opt) {
		g := Group{ID: k + 1, Size: len(s), Verdicts: map[string]int{}, Representative: s[0] + 1}
		best := -1
		contents := map[triage.SHA256]bool{}
		for _, i := range s {
			it := &r.Items[i]
			it.Group = g.ID
			g.Items = append(g.Items, it.ID)
			g.Verdicts[string(it.Verdict)]++
			if px := it.Width * it.Height; px > best {
				best, g.Representative = px, it.ID
			}
			contents[groups[i].SHA256] = true
		}
		g.Distinct = len(contents)
		r.Groups = append(r.Groups, g)
	}
	r.Counts.Items, r.Counts.Bytes, r.Counts.Verdicts = len(r.Items), bytes, verdicts
	r.Counts.Groups, r.Counts.Duplicates, r.Counts.DuplicateItems = len(r.Groups), len(r.Duplicates), dupItems
	return thumbs
}
