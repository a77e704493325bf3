package matching

import (
	"cmp"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/index"
	"github.com/winnow-forensics/winnow/triage/keypoint"
	"github.com/winnow-forensics/winnow/triage/setfile"
)

// Options configure a Matcher.
type Options struct {
	// PDQRadius is the default PDQ radius (0: 31, Meta's threshold); a set
	// may override it.
	PDQRadius int
	// PHashRadius is the default pHash radius (0: 10); a set may override it.
	PHashRadius int
	// MinPDQQuality: PDQ hashes of lower quality, on either side, are not
	// matched (0: 50, the reference recommendation). Near-flat images give
	// low-quality hashes whose bits are noise.
	MinPDQQuality int
	// Rules say, per set, what counts as a perceptual match: radius and
	// borderline zone per algorithm, and whether dihedral and trimmed
	// hashes are queried. nil means DefaultRules(). A radius of 0 in the
	// rules means the set's own radius, else PDQRadius or PHashRadius.
	Rules *Rules
}

// Matcher matches fingerprints against loaded hash sets: exact lookups of
// MD5, SHA-1 and SHA-256, and exact radius search of PDQ and pHash under
// each set's Rules (dihedral and trimmed hashes, borderline matches that
// count when PDQ and pHash agree on an entry). Each
// set has its own indexes, so sets are added, replaced and removed as
// units, entries can be added to a loaded set without a rebuild, and a
// set's own radius applies to it. A Matcher is safe for concurrent use:
// queries never wait for loads.
type Matcher struct {
	opt Options

	mu   sync.Mutex // serialises changes to the set list
	sets atomicSets // the published list, read without locking
}

// atomicSets publishes an immutable list of loaded sets.
type atomicSets struct{ p atomic.Pointer[[]*loadedSet] }

func (a *atomicSets) load() []*loadedSet   { return *a.p.Load() }
func (a *atomicSets) store(s []*loadedSet) { a.p.Store(&s) }

// loadedSet is a set with its indexes.
type loadedSet struct {
	set                *setfile.Set
	md5, sha1, sha256  *index.Exact
	pdq                *index.Near256
	phash              *index.Near64
	pdqRadius, pRadius int
	rules              SetRules
	minQuality         int // MatcherOptions.MinPDQQuality
	// pdqBorder and pBorder are the largest distances that count for each
	// algorithm in agreement with the other (at least the radius).
	pdqBorder, pBorder int
	// videos are the set's videos (vPDQ frame entries), by entry id.
	videos []videoRun
	// regionPH indexes the pHashes of the entries' regions
	// (triage.Entry.Regions) by position (see region): the set file's
	// fileRegions regions, read from its bytes, then those of the
	// entries added after loading, in regions.
	regionPH    *index.Near64
	fileRegions int
	regionMu    sync.RWMutex // guards regions, which AddEntries appends to
	regions     []entryRegion
	// kpIndex indexes the descriptors of the entries' keypoints
	// (triage.Entry.Keypoints) by position in kps.
	kpIndex *index.Near64
	kpMu    sync.RWMutex // guards kps and addedDescs, which AddEntries appends to
	kps     []entryKeypoint
	// addedDescs are the descriptors of the keypoints of entries added
	// after loading (kps beyond the set's own); the set's are read from
	// the set file.
	addedDescs []uint64
	// added holds entries added after loading (AddEntries), with ids
	// set.Len(), set.Len()+1, ...
	addedMu sync.RWMutex
	added   []triage.Entry
}

// New returns an empty Matcher.
func New(opt Options) *Matcher {
	if opt.PDQRadius == 0 {
		opt.PDQRadius = index.DefaultRadius256
	}
	if opt.PHashRadius == 0 {
		opt.PHashRadius = index.DefaultRadius64
	}
	if opt.MinPDQQuality == 0 {
		opt.MinPDQQuality = 50
	}
	if opt.Rules == nil {
		r := DefaultRules()
		opt.Rules = &r
	}
	m := &Matcher{opt: opt}
	m.sets.store(nil)
	return m
}

// AddSet indexes a set and makes it available to queries. A set with the
// same name is replaced atomically (queries see the old or the new one).
func (m *Matcher) AddSet(s *setfile.Set) {
	sr, named := m.opt.Rules.forSet(s.Meta.Name)
	ls := &loadedSet{set: s, rules: sr, minQuality: m.opt.MinPDQQuality}
	ls.pdqRadius, ls.pdqBorder = resolveRadius(sr.PDQ, named, s.Meta.PDQRadius, m.opt.PDQRadius)
	ls.pRadius, ls.pBorder = resolveRadius(sr.PHash, named, s.Meta.PHashRadius, m.opt.PHashRadius)
	ids, md5s := s.MD5s()
	ls.md5 = index.BuildExact(len(triage.MD5{}), flat(md5s), ids)
	ids, sha1s := s.SHA1s()
	ls.sha1 = index.BuildExact(len(triage.SHA1{}), flat(sha1s), ids)
	ids, sha256s := s.SHA256s()
	ls.sha256 = index.BuildExact(len(triage.SHA256{}), flat(sha256s), ids)

	// PDQ hashes of known low quality are left out of the near index.
	ids, pdqs := s.PDQs()
	keepIDs, keep := ids, *(*[][32]byte)(unsafe.Pointer(&pdqs))
	if m.lowQuality(s, ids) {
		keepIDs, keep = nil, nil
		for i, id := range ids {
			if q := s.PDQQuality(int(id)); q < 0 || q >= m.opt.MinPDQQuality {
				keepIDs, keep = append(keepIDs, id), append(keep, [32]byte(pdqs[i]))
			}
		}
	}
	ls.pdq = index.BuildNear256(keep, keepIDs)
	ids, ph := s.PHashes()
	ls.phash = index.BuildNear64(*(*[]uint64)(unsafe.Pointer(&ph)), ids)
	ls.videos = buildVideos(s, m.opt.MinPDQQuality)
	ls.fileRegions = s.NumRegions()
	phs := make([]uint64, ls.fileRegions)
	pos := make([]uint32, ls.fileRegions)
	for i := range phs {
		phs[i], pos[i] = uint64(s.RegionPHash(i)), uint32(i)
	}
	ls.regionPH = index.BuildNear64(phs, pos)
	nk := s.KeypointCount()
	descs := make([]uint64, nk)
	ls.kps = make([]entryKeypoint, nk)
	for i := range nk {
		id, k := s.Keypoint(i)
		descs[i], ls.kps[i] = k.Desc, entryKeypoint{id, k.X, k.Y, k.Scale, k.Angle}
	}
	ls.kpIndex = index.BuildNear64(descs, nil)

	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.sets.load()
	next := make([]*loadedSet, 0, len(cur)+1)
	for _, o := range cur {
		if o.set.Meta.Name != s.Meta.Name {
			next = append(next, o)
		}
	}
	next = append(next, ls)
	sort.Slice(next, func(i, j int) bool { return next[i].set.Meta.Name < next[j].set.Meta.Name })
	m.sets.store(next)
}

// entryRegion is one region of an entry.
type entryRegion struct {
	entry uint32
	triage.Region
}

// region returns the region at pos in regionPH: one of the set file's,
// decoded from its bytes, or one of an added entry's. The caller holds
// regionMu.
func (ls *loadedSet) region(pos uint32) entryRegion {
	if int(pos) < ls.fileRegions {
		id, r := ls.set.Region(int(pos))
		return entryRegion{id, r}
	}
	return ls.regions[int(pos)-ls.fileRegions]
}

// entryKeypoint is one keypoint of an entry, its descriptor in the index.
type entryKeypoint struct {
	entry              uint32
	x, y, scale, angle uint8
}

// resolveRadius returns the radius (-1: never alone) and the borderline
// limit (-1: none) of one algorithm in a set: the radius of rules written
// for the set, else the set's own, else the default rules', else the
// matcher's default.
func resolveRadius(ar AlgoRule, named bool, setRadius, def int) (radius, border int) {
	radius = ar.Radius
	if !named && setRadius > 0 || radius == 0 {
		radius = cmp.Or(setRadius, def)
	}
	border = radius
	if ar.Borderline > 0 && ar.Borderline > border {
		border = ar.Borderline
	}
	return radius, border
}

func (m *Matcher) lowQuality(s *setfile.Set, ids []uint32) bool {
	for _, id := range ids {
		if q := s.PDQQuality(int(id)); q >= 0 && q < m.opt.MinPDQQuality {
			return true
		}
	}
	return false
}

// flat returns the bytes of a slice of byte arrays without copying.
func flat[H ~[16]byte | ~[20]byte | ~[32]byte](hs []H) []byte {
	if len(hs) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&hs[0])), len(hs)*int(unsafe.Sizeof(hs[0])))
}

// WantsKeypoints reports whether a loaded set carries keypoints that its
// rules match: only then are a query's worth computing
// (hashing.Options.Keypoints).
func (m *Matcher) WantsKeypoints() bool {
	for _, ls := range m.sets.load() {
		if ls.rules.Keypoints > 0 && ls.kpIndex.Len() > 0 {
			return true
		}
	}
	return false
}

// RemoveSet unloads the named set; it reports whether it was loaded.
func (m *Matcher) RemoveSet(name string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	cur := m.sets.load()
	next := slices.DeleteFunc(slices.Clone(cur), func(o *loadedSet) bool { return o.set.Meta.Name == name })
	m.sets.store(next)
	return len(next) != len(cur)
}

// Sets returns the metadata of the loaded sets, by name.
func (m *Matcher) Sets() []triage.SetMeta {
	var out []triage.SetMeta
	for _, ls := range m.sets.load() {
		out = append(out, ls.set.Meta)
	}
	return out
}

// AddEntries adds entries to a loaded set without rebuilding it: they are
// matched from the moment AddEntries returns. An entry without a usable
// hash (a withdrawn entry) keeps its number and matches nothing. It
// returns ENOTFOUND if no set of that name is loaded.
func (m *Matcher) AddEntries(set string, entries []triage.Entry) error {
	var ls *loadedSet
	for _, o := range m.sets.load() {
		if o.set.Meta.Name == set {
			ls = o
		}
	}
	if ls == nil {
		return triage.Errorf(triage.ENOTFOUND, "hash set %q is not loaded", set)
	}
	for _, e := range entries {
		if err := e.Validate(); err != nil && e.HasHash() {
			return err
		}
	}
	ls.addedMu.Lock()
	defer ls.addedMu.Unlock()
	for _, e := range entries {
		id := uint32(ls.set.Len() + len(ls.added))
		e.Kind = e.KindIn(ls.set.Meta.Kind)
		ls.added = append(ls.added, e)
		if !e.HasHash() {
			continue // a withdrawn entry: it keeps its number and matches nothing
		}
		if e.Algos.Has(triage.AlgoMD5) {
			ls.md5.Add(e.MD5[:], id)
		}
		if e.Algos.Has(triage.AlgoSHA1) {
			ls.sha1.Add(e.SHA1[:], id)
		}
		if e.Algos.Has(triage.AlgoSHA256) {
			ls.sha256.Add(e.SHA256[:], id)
		}
		if e.Algos.Has(triage.AlgoPDQ) && (e.PDQQuality < 0 || e.PDQQuality >= m.opt.MinPDQQuality) {
			ls.pdq.Add(e.PDQ, id)
		}
		if e.Algos.Has(triage.AlgoPHash) {
			ls.phash.Add(uint64(e.PHash), id)
		}
		for _, r := range e.Regions {
			ls.regionMu.Lock()
			ls.regions = append(ls.regions, entryRegion{id, r})
			pos := uint32(ls.fileRegions + len(ls.regions) - 1)
			ls.regionMu.Unlock()
			ls.regionPH.Add(uint64(r.PHash), pos)
		}
		for _, k := range e.Keypoints {
			ls.kpMu.Lock()
			ls.kps = append(ls.kps, entryKeypoint{id, k.X, k.Y, k.Scale, k.Angle})
			ls.addedDescs = append(ls.addedDescs, k.Desc)
			pos := uint32(len(ls.kps) - 1)
			ls.kpMu.Unlock()
			ls.kpIndex.Add(k.Desc, pos)
		}
	}
	return nil
}

// KnownExactly reports whether a file of these digests is an entry of a
// loaded set that makes it known (an alert entry, of a category not
// ignorable): Rules.Decide then gives it that verdict whatever else it
// matches, so what is costly to compute only to find more matches (local
// features, hashing.Options.SkipKeypoints) can be left out.
func (m *Matcher) KnownExactly(d triage.Digests) bool {
	var buf []uint32
	for _, ls := range m.sets.load() {
		buf = buf[:0]
		if !d.MD5.IsZero() {
			buf = ls.md5.Lookup(d.MD5[:], buf)
		}
		if !d.SHA1.IsZero() {
			buf = ls.sha1.Lookup(d.SHA1[:], buf)
		}
		if !d.SHA256.IsZero() {
			buf = ls.sha256.Lookup(d.SHA256[:], buf)
		}
		for _, id := range buf {
			if mt := ls.match(id, triage.AlgoSHA256, 0, 0); mt.SetKind != triage.SetKindKnownGood && !mt.Category.Ignorable() {
				return true
			}
		}
	}
	return false
}

// Match returns every entry of every loaded set that fp matches: exact
// digest matches, and the perceptual matches that count under the set's
// rules. A PDQ or pHash match counts within the algorithm's radius, or
// within its borderline zone when the other algorithm matches the same
// entry within its own zone too (Match.Borderline). Every query variant
// the rules allow is tried: the rotations and flips when the dihedral
// hashes were computed, and the derived views (Fingerprint.Views); each
// entry is reported once per algorithm, at its smallest distance. PDQ hashes of low quality, on
// either side, are not matched. Matches are ordered by set, then entry,
// then algorithm.
func (m *Matcher) Match(fp *triage.Fingerprint) []triage.Match {
	var out []triage.Match
	var buf []uint32
	var near []index.Match
	var q queryVariants
	if fp.Perceptual {
		q = m.variants(fp)
	}
	var vq videoQuery
	if len(fp.Frames) > 0 {
		vq = m.videoQuery(fp)
	}
	for _, ls := range m.sets.load() {
		add := func(id uint32, a triage.Algo, dist, dih int) {
			out = append(out, ls.match(id, a, dist, dih))
		}
		if !fp.MD5.IsZero() {
			buf = ls.md5.Lookup(fp.MD5[:], buf[:0])
			for _, id := range buf {
				add(id, triage.AlgoMD5, 0, 0)
			}
		}
		if !fp.SHA1.IsZero() {
			buf = ls.sha1.Lookup(fp.SHA1[:], buf[:0])
			for _, id := range buf {
				add(id, triage.AlgoSHA1, 0, 0)
			}
		}
		if !fp.SHA256.IsZero() {
			buf = ls.sha256.Lookup(fp.SHA256[:], buf[:0])
			for _, id := range buf {
				add(id, triage.AlgoSHA256, 0, 0)
			}
		}
		start := len(out)
		if fp.Perceptual {
			near = ls.matchPerceptual(&q, near, &out)
		}
		if len(fp.Keypoints) > 0 && ls.rules.Keypoints > 0 && ls.kpIndex.Len() > 0 {
			matched := map[uint32]bool{}
			for _, mt := range out[start:] {
				matched[uint32(mt.Entry)] = true
			}
			near = ls.matchKeypoints(fp.Keypoints, near, matched, &out)
		}
		if len(fp.Frames) > 0 {
			near = ls.matchVideo(&vq, near, &out)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Set != b.Set {
			return a.Set < b.Set
		}
		if a.Entry != b.Entry {
			return a.Entry < b.Entry
		}
		return a.Algo < b.Algo
	})
	return out
}

// queryVariants are the perceptual hashes of one fingerprint that may be
// queried: the whole image's and its views', each with its rotations and
// flips when computed.
type queryVariants struct {
	pdq   []pdqVariant
	phash []phashVariant
}

type pdqVariant struct {
	h        triage.PDQ
	dihedral int
	view     triage.ViewKind
}

type phashVariant struct {
	h        triage.PHash
	dihedral int
	view     triage.ViewKind
}

// variants lists fp's query hashes; sets pick the ones their rules allow.
func (m *Matcher) variants(fp *triage.Fingerprint) queryVariants {
	var q queryVariants
	if fp.PDQQuality >= m.opt.MinPDQQuality {
		q.pdq = append(q.pdq, pdqVariant{fp.PDQ, 0, ""})
		if fp.PDQDihedral[1] != (triage.PDQ{}) {
			for d := 1; d < 8; d++ {
				q.pdq = append(q.pdq, pdqVariant{fp.PDQDihedral[d], d, ""})
			}
		}
	}
	q.phash = append(q.phash, phashVariant{fp.PHash, 0, ""})
	if fp.PHashDihedral != ([8]triage.PHash{}) {
		for d := 1; d < 8; d++ {
			q.phash = append(q.phash, phashVariant{fp.PHashDihedral[d], d, ""})
		}
	}
	for _, v := range fp.Views {
		d := 0
		if v.Mirrored {
			d = mirrorDihedral
		}
		if v.PDQQuality >= m.opt.MinPDQQuality {
			q.pdq = append(q.pdq, pdqVariant{v.PDQ, d, v.Kind})
		}
		q.phash = append(q.phash, phashVariant{v.PHash, d, v.Kind})
	}
	return q
}

// mirrorDihedral is the left/right mirror's index in the dihedral order
// (Match.Dihedral of a match through a mirrored view).
const mirrorDihedral = 5

// allows reports whether the set's rules let a query variant count.
func (ls *loadedSet) allows(dihedral int, view triage.ViewKind) bool {
	if dihedral != 0 && !ls.rules.Dihedral {
		return false
	}
	switch view {
	case triage.ViewTrimmed:
		return ls.rules.Trimmed
	case triage.ViewUncropped:
		return ls.rules.Uncropped
	case triage.ViewDeskewed:
		return ls.rules.Deskewed
	case triage.ViewBanded:
		return ls.rules.Banded
	case triage.ViewTile:
		return ls.rules.Tiles
	}
	return view == ""
}

// candidate is an entry near the query: its best distance per algorithm
// (-1: not within reach) and the variant that gave it.
type candidate struct {
	id             uint32
	pdq, ph        int
	pdqDih, phDih  int
	pdqView, pView triage.ViewKind
}

// matchPerceptual appends to out the perceptual matches of q in the set.
//
// PDQ is queried within its radius and pHash within its borderline zone,
// both over every allowed variant. Every entry that can match in
// agreement is within pHash's zone, so the other algorithm's distance of
// each candidate is then computed directly from the entry's own hash,
// which is exact without a wide (slow) PDQ query.
func (ls *loadedSet) matchPerceptual(q *queryVariants, near []index.Match, out *[]triage.Match) []index.Match {
	start := len(*out)
	var cands []candidate
	pos := map[uint32]int{}
	get := func(id uint32) *candidate {
		if i, ok := pos[id]; ok {
			return &cands[i]
		}
		pos[id] = len(cands)
		cands = append(cands, candidate{id: id, pdq: -1, ph: -1})
		return &cands[len(cands)-1]
	}
	if ls.pdqRadius >= 0 {
		for _, v := range q.pdq {
			if !ls.allows(v.dihedral, v.view) {
				continue
			}
			near = ls.pdq.Query(v.h, ls.pdqRadius, near[:0])
			for _, nm := range near {
				if c := get(nm.ID); c.pdq < 0 || nm.Distance < c.pdq {
					c.pdq, c.pdqDih, c.pdqView = nm.Distance, v.dihedral, v.view
				}
			}
		}
	}
	for _, v := range q.phash {
		// Rotated and mirrored pHashes of the whole image are queried
		// within the radius only: seven more searches of the borderline
		// zone would cost more than all the other queries together. (A
		// mirrored view is one search, and agreement is what finds it.)
		r := ls.pBorder
		if v.dihedral != 0 && v.view == "" {
			r = ls.pRadius
		}
		if r >= 0 && ls.allows(v.dihedral, v.view) {
			near = ls.phash.Query(uint64(v.h), r, near[:0])
			for _, nm := range near {
				if c := get(nm.ID); c.ph < 0 || nm.Distance < c.ph {
					c.ph, c.phDih, c.pView = nm.Distance, v.dihedral, v.view
				}
			}
		}
	}
	// PDQ's borderline zone is wider than its query: measure the pHash
	// candidates' PDQ directly. (pHash was queried over its whole zone.)
	widePDQ := ls.pdqBorder > ls.pdqRadius
	for i := range cands {
		c := &cands[i]
		if widePDQ && c.pdq < 0 {
			if h, ok := ls.entryPDQ(c.id); ok {
				for _, v := range q.pdq {
					if d := h.Distance(v.h); ls.allows(v.dihedral, v.view) && d <= ls.pdqBorder && (c.pdq < 0 || d < c.pdq) {
						c.pdq, c.pdqDih, c.pdqView = d, v.dihedral, v.view
					}
				}
			}
		}
		pdqOK := c.pdq >= 0 && c.pdq <= ls.pdqBorder
		phOK := c.ph >= 0 && c.ph <= ls.pBorder
		// A match through a partial view (a band-cut picture, a collage
		// tile) never counts alone: the other algorithm must agree.
		if c.pdq >= 0 && (c.pdq <= ls.pdqRadius && !c.pdqView.Partial() || pdqOK && phOK) {
			mt := ls.match(c.id, triage.AlgoPDQ, c.pdq, c.pdqDih)
			mt.View, mt.Borderline = c.pdqView, c.pdq > ls.pdqRadius
			*out = append(*out, mt)
		}
		if c.ph >= 0 && (c.ph <= ls.pRadius && !c.pView.Partial() && ls.supported(c, q) || pdqOK && phOK) {
			mt := ls.match(c.id, triage.AlgoPHash, c.ph, c.phDih)
			mt.View, mt.Borderline = c.pView, c.ph > ls.pRadius
			*out = append(*out, mt)
		}
	}
	if ls.rules.Regions && ls.pBorder >= 0 && ls.regionPH.Len() > 0 {
		matched := map[uint32]bool{}
		for _, mt := range (*out)[start:] {
			matched[uint32(mt.Entry)] = true
		}
		near = ls.matchRegions(q, near, matched, out)
	}
	return near
}

// matchRegions appends to out the matches of q on the entries' regions
// (triage.Entry.Regions), for entries not matched as a whole (in
// matched). A region match needs agreement: the region's pHash and PDQ
// both within their borderline zones of one query variant each (the
// whole image, its mirror image and its views, not the partial ones:
// a tile of a crop is too little to go on). pHash is searched, PDQ
// measured on the candidates.
func (ls *loadedSet) matchRegions(q *queryVariants, near []index.Match, matched map[uint32]bool, out *[]triage.Match) []index.Match {
	type hit struct {
		pdq, ph         int
		pdqDih, phDih   int
		pdqView, phView triage.ViewKind
	}
	hits := map[uint32]*hit{}
	for _, v := range q.phash {
		if v.dihedral != 0 && v.dihedral != mirrorDihedral || v.view.Partial() || !ls.allows(v.dihedral, v.view) {
			continue
		}
		near = ls.regionPH.Query(uint64(v.h), ls.pBorder, near[:0])
		for _, nm := range near {
			h := hits[nm.ID]
			if h == nil {
				h = &hit{pdq: -1, ph: -1}
				hits[nm.ID] = h
			}
			if h.ph < 0 || nm.Distance < h.ph {
				h.ph, h.phDih, h.phView = nm.Distance, v.dihedral, v.view
			}
		}
	}
	if len(hits) == 0 {
		return near
	}
	ls.regionMu.RLock()
	defer ls.regionMu.RUnlock()
	best := map[uint32]uint32{} // entry -> its best region hit
	for pos, h := range hits {
		r := ls.region(pos)
		if matched[r.entry] || r.PDQQuality < ls.minQuality {
			continue
		}
		for _, v := range q.pdq {
			if v.dihedral != 0 && v.dihedral != mirrorDihedral || v.view.Partial() || !ls.allows(v.dihedral, v.view) {
				continue
			}
			if d := r.PDQ.Distance(v.h); d <= ls.pdqBorder && (h.pdq < 0 || d < h.pdq) {
				h.pdq, h.pdqDih, h.pdqView = d, v.dihedral, v.view
			}
		}
		if h.pdq < 0 {
			continue
		}
		if b, ok := best[r.entry]; !ok || h.pdq+4*h.ph < hits[b].pdq+4*hits[b].ph {
			best[r.entry] = pos
		}
	}
	for entry, pos := range best {
		h, kind := hits[pos], ls.region(pos).Kind
		pm := ls.match(entry, triage.AlgoPDQ, h.pdq, h.pdqDih)
		pm.View, pm.Region, pm.Borderline = h.pdqView, kind, h.pdq > ls.pdqRadius
		hm := ls.match(entry, triage.AlgoPHash, h.ph, h.phDih)
		hm.View, hm.Region, hm.Borderline = h.phView, kind, h.ph > ls.pRadius
		*out = append(*out, pm, hm)
	}
	return near
}

// supported reports whether a pHash match of candidate c may count on its
// own under SetRules.PHashSupport: some PDQ match on the entry, or the
// entry's PDQ within the support distance of an allowed query variant, or
// no usable PDQ on either side to check with.
func (ls *loadedSet) supported(c *candidate, q *queryVariants) bool {
	if ls.rules.PHashSupport <= 0 || c.pdq >= 0 {
		return true
	}
	h, ok := ls.entryPDQ(c.id)
	if !ok {
		return true
	}
	checked := false
	for _, v := range q.pdq {
		if ls.allows(v.dihedral, v.view) {
			if h.Distance(v.h) <= ls.rules.PHashSupport {
				return true
			}
			checked = true
		}
	}
	return !checked
}

// entryPDQ returns the PDQ hash of entry id, if it has one of usable quality.
func (ls *loadedSet) entryPDQ(id uint32) (triage.PDQ, bool) {
	s := ls.set
	if int(id) < s.Len() {
		if !s.HasAlgo(int(id), triage.AlgoPDQ) {
			return triage.PDQ{}, false
		}
		if q := s.PDQQuality(int(id)); q >= 0 && q < ls.minQuality {
			return triage.PDQ{}, false
		}
		return s.PDQ(int(id)), true
	}
	ls.addedMu.RLock()
	e := ls.added[int(id)-s.Len()]
	ls.addedMu.RUnlock()
	ok := e.Algos.Has(triage.AlgoPDQ) && (e.PDQQuality < 0 || e.PDQQuality >= ls.minQuality)
	return e.PDQ, ok
}

// match builds the Match for entry id of the set.
func (ls *loadedSet) match(id uint32, a triage.Algo, dist, dih int) triage.Match {
	s := ls.set
	mt := triage.Match{Set: s.Meta.Name, SetVersion: s.Meta.Version, Entry: int(id), Algo: a, Distance: dist, Dihedral: dih}
	if int(id) < s.Len() {
		mt.SetKind, mt.Category = s.Kind(int(id)), s.Category(int(id))
		mt.EntryID, mt.Series = s.IDAndSeries(int(id))
		return mt
	}
	ls.addedMu.RLock()
	e := ls.added[int(id)-s.Len()]
	ls.addedMu.RUnlock()
	mt.SetKind, mt.Category, mt.EntryID, mt.Series = e.Kind, e.Category, e.ID, e.Series
	return mt
}

// Keypoint search: each query feature (as is and mirrored) looks up the
// known features within seedRadius in the index, which is cheap; an entry
// with at least minSeeds such hits is a candidate, and all its features
// are then paired with all the query's within KeypointRadius by brute
// force (a 64 x 48 comparison) and verified. A search of the index at
// KeypointRadius itself would cost ten times as much on a large set.
const (
	seedRadius = 4
	minSeeds   = 1
	// maxCandidates bounds the entries verified per query, those with the
	// most seed hits first.
	maxCandidates = 64
	// maxFeatureHits: a query feature whose descriptor is near more known
	// features than this says nothing (a flat or repetitive patch) and
	// seeds nothing.
	maxFeatureHits = 256
)

// matchKeypoints appends to out the matches of the query's keypoints on
// the entries' (triage.Entry.Keypoints), for entries not matched
// otherwise (in matched): candidates are found as the constants above
// say, and an entry matches when at least SetRules.Keypoints pairs fit
// one similarity and spread over a fifth of the query (keypoint.Verify,
// keypoint.MinSpread). A match is reported as AlgoKeypoints with the
// number of features that agree as its Distance (and the mirror's
// dihedral when mirrored).
func (ls *loadedSet) matchKeypoints(q []triage.Keypoint, near []index.Match, matched map[uint32]bool, out *[]triage.Match) []index.Match {
	type key struct {
		entry    uint32
		mirrored bool
	}
	seeds := map[key]int{}
	ls.kpMu.RLock()
	defer ls.kpMu.RUnlock()
	for mirrored := range 2 {
		for _, qk := range q {
			d := qk.Desc
			if mirrored == 1 {
				d = keypoint.Mirror(d)
			}
			near = ls.kpIndex.Query(d, seedRadius, near[:0])
			if len(near) > maxFeatureHits {
				continue
			}
			for _, nm := range near {
				if e := ls.kps[nm.ID].entry; !matched[e] {
					seeds[key{e, mirrored == 1}]++
				}
			}
		}
	}
	var cands []key
	for k, n := range seeds {
		if n >= minSeeds {
			cands = append(cands, k)
		}
	}
	slices.SortFunc(cands, func(a, b key) int {
		if c := cmp.Compare(seeds[b], seeds[a]); c != 0 {
			return c
		}
		if c := cmp.Compare(a.entry, b.entry); c != 0 {
			return c
		}
		if a.mirrored == b.mirrored {
			return 0
		} else if a.mirrored {
			return 1
		}
		return -1
	})
	best := map[uint32]keypoint.Fit{}
	var known []triage.Keypoint
	for _, k := range cands[:min(len(cands), maxCandidates)] {
		known = ls.entryKeypoints(k.entry, known[:0])
		fit := keypoint.Verify(keypoint.Pairs(q, known, KeypointRadius, k.mirrored), k.mirrored)
		if fit.Inliers < ls.rules.Keypoints {
			continue
		}
		if b, ok := best[k.entry]; !ok || fit.Inliers > b.Inliers {
			best[k.entry] = fit
		}
	}
	for entry, fit := range best {
		dih := 0
		if fit.Mirrored {
			dih = mirrorDihedral
		}
		*out = append(*out, ls.match(entry, triage.AlgoKeypoints, fit.Inliers, dih))
	}
	return near
}

// entryKeypoints appends entry's keypoints to dst: those of ls.kps (in
// entry order) with their descriptors, read from the set file or, for
// entries added after loading, from addedDescs. The caller holds kpMu.
func (ls *loadedSet) entryKeypoints(entry uint32, dst []triage.Keypoint) []triage.Keypoint {
	nset := ls.set.KeypointCount()
	for i := sort.Search(len(ls.kps), func(i int) bool { return ls.kps[i].entry >= entry }); i < len(ls.kps) && ls.kps[i].entry == entry; i++ {
		ek := ls.kps[i]
		var d uint64
		if i < nset {
			_, k := ls.set.Keypoint(i)
			d = k.Desc
		} else {
			d = ls.addedDescs[i-nset]
		}
		dst = append(dst, triage.Keypoint{X: ek.x, Y: ek.y, Scale: ek.scale, Angle: ek.angle, Desc: d})
	}
	return dst
}
