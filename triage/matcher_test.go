package triage

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
)

func buildSet(t testing.TB, meta SetMeta, es []Entry) *HashSet {
	t.Helper()
	b := NewHashSetBuilder(meta)
	for _, e := range es {
		if _, err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	s, err := ParseHashSet(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func flipBits(h PDQ, rng *rand.Rand, n int) PDQ {
	for _, k := range rng.Perm(256)[:n] {
		h[k/8] ^= 1 << (k % 8)
	}
	return h
}

// TestMatcherAgainstBruteForce checks exact and near matches against a
// scan of every entry, with per-set radius overrides and the quality rule.
func TestMatcherAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	es := testEntries(2000, 9)
	setA := buildSet(t, SetMeta{Name: "A", Version: "1", Kind: SetKindAlert}, es[:1000])
	setB := buildSet(t, SetMeta{Name: "B", Version: "2", Kind: SetKindKnownGood, PDQRadius: 12, PHashRadius: 4}, es[1000:])
	// Plain radius rules: the matcher's default radii, no borderline zones.
	plain := Rules{Default: SetRules{PDQ: AlgoRule{Certain: -1}, PHash: AlgoRule{Certain: -1}}}
	m := NewMatcher(MatcherOptions{Rules: &plain})
	m.AddSet(setA)
	m.AddSet(setB)

	brute := func(fp *Fingerprint) map[string]int {
		want := map[string]int{}
		for si, s := range []*HashSet{setA, setB} {
			pr, phr := 31, 10
			if si == 1 {
				pr, phr = 12, 4
			}
			for i := 0; i < s.Len(); i++ {
				e := s.Entry(i)
				key := func(a Algo) string { return fmt.Sprintf("%s/%d/%s", s.Meta.Name, i, a) }
				if e.Algos.Has(AlgoMD5) && e.MD5 == fp.MD5 {
					want[key(AlgoMD5)] = 0
				}
				if e.Algos.Has(AlgoSHA256) && e.SHA256 == fp.SHA256 {
					want[key(AlgoSHA256)] = 0
				}
				if fp.Perceptual && fp.PDQQuality >= 50 && e.Algos.Has(AlgoPDQ) && (e.PDQQuality < 0 || e.PDQQuality >= 50) {
					if d := e.PDQ.Distance(fp.PDQ); d <= pr {
						want[key(AlgoPDQ)] = d
					}
				}
				if fp.Perceptual && e.Algos.Has(AlgoPHash) {
					if d := e.PHash.Distance(fp.PHash); d <= phr {
						want[key(AlgoPHash)] = d
					}
				}
			}
		}
		return want
	}
	for q := 0; q < 300; q++ {
		e := es[rng.IntN(len(es))]
		fp := Fingerprint{Digests: Digests{MD5: e.MD5, SHA256: e.SHA256}, Perceptual: true, PDQQuality: 50 + rng.IntN(51)}
		fp.PDQ = flipBits(e.PDQ, rng, rng.IntN(40))
		fp.PHash = e.PHash ^ PHash(1)<<rng.IntN(64)
		if q%10 == 0 {
			fp.PDQQuality = 30 // too low: no PDQ matches
		}
		if q%7 == 0 {
			fp.MD5, fp.SHA256 = MD5{}, SHA256{} // not computed
		}
		got := map[string]int{}
		for _, mt := range m.Match(&fp) {
			got[fmt.Sprintf("%s/%d/%s", mt.Set, mt.Entry, mt.Algo)] = mt.Distance
			if want := (map[string]*HashSet{"A": setA, "B": setB})[mt.Set].Category(mt.Entry); mt.Category != want {
				t.Fatalf("match category %v, want %v", mt.Category, want)
			}
		}
		want := brute(&fp)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("query %d:\n got  %v\n want %v", q, got, want)
		}
	}
}

func TestMatcherSetsAndAdds(t *testing.T) {
	es := testEntries(40, 11)
	m := NewMatcher(MatcherOptions{})
	m.AddSet(buildSet(t, SetMeta{Name: "S", Version: "1", Kind: SetKindAlert}, es[:20]))
	fp := Fingerprint{Digests: Digests{MD5: es[30].MD5}}
	if len(m.Match(&fp)) != 0 {
		t.Fatal("match before add")
	}
	extra := es[30]
	extra.ID = "new-record"
	if err := m.AddEntries("S", []Entry{extra}); err != nil {
		t.Fatal(err)
	}
	got := m.Match(&fp)
	if len(got) != 1 || got[0].EntryID != "new-record" || got[0].Entry != 20 {
		t.Fatalf("after AddEntries: %+v", got)
	}
	if err := m.AddEntries("nope", []Entry{extra}); ErrorCode(err) != ENOTFOUND {
		t.Errorf("AddEntries to a missing set: %v", err)
	}
	// Replacing a set by name swaps it whole.
	m.AddSet(buildSet(t, SetMeta{Name: "S", Version: "2", Kind: SetKindAlert}, es[20:]))
	if got := m.Match(&fp); len(got) != 1 || got[0].SetVersion != "2" {
		t.Fatalf("after replace: %+v", got)
	}
	if len(m.Sets()) != 1 || !m.RemoveSet("S") || m.RemoveSet("S") || len(m.Match(&fp)) != 0 {
		t.Fatal("RemoveSet")
	}
}

// TestMatcherConcurrent queries while entries are added (run with -race).
func TestMatcherConcurrent(t *testing.T) {
	es := testEntries(400, 12)
	m := NewMatcher(MatcherOptions{})
	m.AddSet(buildSet(t, SetMeta{Name: "C", Kind: SetKindAlert}, es[:100]))
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; i < 500; i++ {
				e := es[(i*7+w)%len(es)]
				fp := Fingerprint{Digests: Digests{MD5: e.MD5, SHA256: e.SHA256}, PDQ: e.PDQ, PDQQuality: 100, Perceptual: true, PHash: e.PHash}
				m.Match(&fp)
			}
		})
	}
	for i := 100; i < 400; i += 10 {
		if err := m.AddEntries("C", es[i:i+10]); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	for _, e := range es[100:] {
		fp := Fingerprint{Digests: Digests{MD5: e.MD5, SHA256: e.SHA256}}
		if e.Algos&AlgoSet(AlgoMD5|AlgoSHA256) != 0 && len(m.Match(&fp)) == 0 {
			t.Fatalf("entry %d added concurrently is not matched", e.Pos)
		}
	}
}
