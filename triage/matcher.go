package triage

import (
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/winnow-forensics/winnow/triage/index"
)

// Match is one hash-set entry that a fingerprint matched, with full
// provenance: which set (name, version, kind), which entry, on which
// algorithm, at what distance, and the entry's category.
type Match struct {
	Set        string
	SetVersion string
	SetKind    string // KindAlert or KindKnownGood
	// Entry is the entry's index in its set; EntryID the source's own
	// record id (VICS MediaID and the like).
	Entry    int
	EntryID  string
	Algo     Algo
	Distance int // 0 for the cryptographic digests
	// Dihedral is the transform of the query that matched (0 = as is,
	// 1-7 = rot90, rot180, rot270, flipx, flipy, flipp, flipm); PDQ only.
	Dihedral int
	Category Category
	Series   string
}

// MatcherOptions configure a Matcher.
type MatcherOptions struct {
	// PDQRadius is the default PDQ radius (0: 31, Meta's threshold); a set
	// may override it.
	PDQRadius int
	// PHashRadius is the default pHash radius (0: 10); a set may override it.
	PHashRadius int
	// MinPDQQuality: PDQ hashes of lower quality, on either side, are not
	// matched (0: 50, the reference recommendation). Near-flat images give
	// low-quality hashes whose bits are noise.
	MinPDQQuality int
}

// Matcher matches fingerprints against loaded hash sets: exact lookups of
// MD5, SHA-1 and SHA-256, and exact radius search of PDQ and pHash. Each
// set has its own indexes, so sets are added, replaced and removed as
// units, entries can be added to a loaded set without a rebuild, and a
// set's own radius applies to it. A Matcher is safe for concurrent use:
// queries never wait for loads.
type Matcher struct {
	opt MatcherOptions

	mu   sync.Mutex // serialises changes to the set list
	sets atomicSets // the published list, read without locking
}

// atomicSets publishes an immutable list of loaded sets.
type atomicSets struct{ p atomic.Pointer[[]*loadedSet] }

func (a *atomicSets) load() []*loadedSet   { return *a.p.Load() }
func (a *atomicSets) store(s []*loadedSet) { a.p.Store(&s) }

// loadedSet is a set with its indexes.
type loadedSet struct {
	set                *HashSet
	md5, sha1, sha256  *index.Exact
	pdq                *index.Near256
	phash              *index.Near64
	pdqRadius, pRadius int
	// added holds entries added after loading (AddEntries), with ids
	// set.Len(), set.Len()+1, ...
	addedMu sync.RWMutex
	added   []Entry
}

// NewMatcher returns an empty Matcher.
func NewMatcher(opt MatcherOptions) *Matcher {
	if opt.PDQRadius == 0 {
		opt.PDQRadius = index.DefaultRadius256
	}
	if opt.PHashRadius == 0 {
		opt.PHashRadius = index.DefaultRadius64
	}
	if opt.MinPDQQuality == 0 {
		opt.MinPDQQuality = 50
	}
	m := &Matcher{opt: opt}
	m.sets.store(nil)
	return m
}

// AddSet indexes a set and makes it available to queries. A set with the
// same name is replaced atomically (queries see the old or the new one).
func (m *Matcher) AddSet(s *HashSet) {
	ls := &loadedSet{set: s, pdqRadius: m.opt.PDQRadius, pRadius: m.opt.PHashRadius}
	if s.Meta.PDQRadius > 0 {
		ls.pdqRadius = s.Meta.PDQRadius
	}
	if s.Meta.PHashRadius > 0 {
		ls.pRadius = s.Meta.PHashRadius
	}
	ids, md5s := s.MD5s()
	ls.md5 = index.BuildExact(len(MD5{}), flat(md5s), ids)
	ids, sha1s := s.SHA1s()
	ls.sha1 = index.BuildExact(len(SHA1{}), flat(sha1s), ids)
	ids, sha256s := s.SHA256s()
	ls.sha256 = index.BuildExact(len(SHA256{}), flat(sha256s), ids)

	// PDQ hashes of known low quality are left out of the near index.
	ids, pdqs := s.PDQs()
	keepIDs, keep := ids, *(*[][32]byte)(unsafe.Pointer(&pdqs))
	if m.lowQuality(s, ids) {
		keepIDs, keep = nil, nil
		for i, id := range ids {
			if q := s.pdqQuality(int(id)); q < 0 || q >= m.opt.MinPDQQuality {
				keepIDs, keep = append(keepIDs, id), append(keep, [32]byte(pdqs[i]))
			}
		}
	}
	ls.pdq = index.BuildNear256(keep, keepIDs)
	ids, ph := s.PHashes()
	ls.phash = index.BuildNear64(*(*[]uint64)(unsafe.Pointer(&ph)), ids)

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

func (m *Matcher) lowQuality(s *HashSet, ids []uint32) bool {
	for _, id := range ids {
		if q := s.pdqQuality(int(id)); q >= 0 && q < m.opt.MinPDQQuality {
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
func (m *Matcher) Sets() []SetMeta {
	var out []SetMeta
	for _, ls := range m.sets.load() {
		out = append(out, ls.set.Meta)
	}
	return out
}

// AddEntries adds entries to a loaded set without rebuilding it: they are
// matched from the moment AddEntries returns. It returns ENOTFOUND if no
// set of that name is loaded.
func (m *Matcher) AddEntries(set string, entries []Entry) error {
	var ls *loadedSet
	for _, o := range m.sets.load() {
		if o.set.Meta.Name == set {
			ls = o
		}
	}
	if ls == nil {
		return Errorf(ENOTFOUND, "hash set %q is not loaded", set)
	}
	for _, e := range entries {
		if err := e.Validate(); err != nil {
			return err
		}
	}
	ls.addedMu.Lock()
	defer ls.addedMu.Unlock()
	for _, e := range entries {
		id := uint32(ls.set.Len() + len(ls.added))
		ls.added = append(ls.added, e)
		if e.Algos.Has(AlgoMD5) {
			ls.md5.Add(e.MD5[:], id)
		}
		if e.Algos.Has(AlgoSHA1) {
			ls.sha1.Add(e.SHA1[:], id)
		}
		if e.Algos.Has(AlgoSHA256) {
			ls.sha256.Add(e.SHA256[:], id)
		}
		if e.Algos.Has(AlgoPDQ) && (e.PDQQuality < 0 || e.PDQQuality >= m.opt.MinPDQQuality) {
			ls.pdq.Add(e.PDQ, id)
		}
		if e.Algos.Has(AlgoPHash) {
			ls.phash.Add(uint64(e.PHash), id)
		}
	}
	return nil
}

// Match returns every entry of every loaded set that fp matches: exact
// digest matches and perceptual matches within each set's radius (PDQ
// only when fp's quality is high enough; with PDQDihedral computed, every
// rotation and flip of the query is tried). Matches are ordered by set,
// then entry, then algorithm.
func (m *Matcher) Match(fp *Fingerprint) []Match {
	var out []Match
	var buf []uint32
	var near []index.Match
	for _, ls := range m.sets.load() {
		add := func(id uint32, a Algo, dist, dih int) {
			out = append(out, ls.match(id, a, dist, dih))
		}
		if !fp.MD5.IsZero() {
			buf = ls.md5.Lookup(fp.MD5[:], buf[:0])
			for _, id := range buf {
				add(id, AlgoMD5, 0, 0)
			}
		}
		if !fp.SHA1.IsZero() {
			buf = ls.sha1.Lookup(fp.SHA1[:], buf[:0])
			for _, id := range buf {
				add(id, AlgoSHA1, 0, 0)
			}
		}
		if !fp.SHA256.IsZero() {
			buf = ls.sha256.Lookup(fp.SHA256[:], buf[:0])
			for _, id := range buf {
				add(id, AlgoSHA256, 0, 0)
			}
		}
		if fp.Perceptual && fp.PDQQuality >= m.opt.MinPDQQuality {
			queries := []PDQ{fp.PDQ}
			if fp.PDQDihedral[1] != (PDQ{}) {
				queries = fp.PDQDihedral[:]
			}
			best := map[uint32]index.Match{}
			bestDih := map[uint32]int{}
			for d, q := range queries {
				near = ls.pdq.Query(q, ls.pdqRadius, near[:0])
				for _, nm := range near {
					if b, ok := best[nm.ID]; !ok || nm.Distance < b.Distance {
						best[nm.ID], bestDih[nm.ID] = nm, d
					}
				}
			}
			for id, nm := range best {
				add(id, AlgoPDQ, nm.Distance, bestDih[id])
			}
		}
		if fp.Perceptual {
			near = ls.phash.Query(uint64(fp.PHash), ls.pRadius, near[:0])
			for _, nm := range near {
				add(nm.ID, AlgoPHash, nm.Distance, 0)
			}
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

// match builds the Match for entry id of the set.
func (ls *loadedSet) match(id uint32, a Algo, dist, dih int) Match {
	s := ls.set
	mt := Match{Set: s.Meta.Name, SetVersion: s.Meta.Version, SetKind: s.Meta.Kind, Entry: int(id), Algo: a, Distance: dist, Dihedral: dih}
	if int(id) < s.Len() {
		mt.Category = s.Category(int(id))
		mt.EntryID, mt.Series = s.idAndSeries(int(id))
		return mt
	}
	ls.addedMu.RLock()
	e := ls.added[int(id)-s.Len()]
	ls.addedMu.RUnlock()
	mt.Category, mt.EntryID, mt.Series = e.Category, e.ID, e.Series
	return mt
}
