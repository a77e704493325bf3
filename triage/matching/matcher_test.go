package matching

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/setfile"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

func buildSet(t testing.TB, meta triage.SetMeta, es []triage.Entry) *setfile.Set {
	t.Helper()
	b := setfile.NewBuilder(meta)
	for _, e := range es {
		if _, err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	s, err := setfile.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestMatcherAgainstBruteForce checks exact and near matches against a
// scan of every entry, with per-set radius overrides and the quality rule.
func TestMatcherAgainstBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	es := triagetest.Entries(2000, 9)
	setA := buildSet(t, triage.SetMeta{Name: "A", Version: "1", Kind: triage.SetKindAlert}, es[:1000])
	setB := buildSet(t, triage.SetMeta{Name: "B", Version: "2", Kind: triage.SetKindKnownGood, PDQRadius: 12, PHashRadius: 4}, es[1000:])
	// Plain radius rules: the matcher's default radii, no borderline zones.
	plain := Rules{Default: SetRules{PDQ: AlgoRule{Certain: -1}, PHash: AlgoRule{Certain: -1}}}
	m := New(Options{Rules: &plain})
	m.AddSet(setA)
	m.AddSet(setB)

	brute := func(fp *triage.Fingerprint) map[string]int {
		want := map[string]int{}
		for si, s := range []*setfile.Set{setA, setB} {
			pr, phr := 31, 10
			if si == 1 {
				pr, phr = 12, 4
			}
			for i := 0; i < s.Len(); i++ {
				e := s.Entry(i)
				key := func(a triage.Algo) string { return fmt.Sprintf("%s/%d/%s", s.Meta.Name, i, a) }
				if e.Algos.Has(triage.AlgoMD5) && e.MD5 == fp.MD5 {
					want[key(triage.AlgoMD5)] = 0
				}
				if e.Algos.Has(triage.AlgoSHA256) && e.SHA256 == fp.SHA256 {
					want[key(triage.AlgoSHA256)] = 0
				}
				if fp.Perceptual && fp.PDQQuality >= 50 && e.Algos.Has(triage.AlgoPDQ) && (e.PDQQuality < 0 || e.PDQQuality >= 50) {
					if d := e.PDQ.Distance(fp.PDQ); d <= pr {
						want[key(triage.AlgoPDQ)] = d
					}
				}
				if fp.Perceptual && e.Algos.Has(triage.AlgoPHash) {
					if d := e.PHash.Distance(fp.PHash); d <= phr {
						want[key(triage.AlgoPHash)] = d
					}
				}
			}
		}
		return want
	}
	for q := 0; q < 300; q++ {
		e := es[rng.IntN(len(es))]
		fp := triage.Fingerprint{Digests: triage.Digests{MD5: e.MD5, SHA256: e.SHA256}, Perceptual: true, PDQQuality: 50 + rng.IntN(51)}
		fp.PDQ = triagetest.FlipBits(e.PDQ, rng, rng.IntN(40))
		fp.PHash = e.PHash ^ triage.PHash(1)<<rng.IntN(64)
		if q%10 == 0 {
			fp.PDQQuality = 30 // too low: no PDQ matches
		}
		if q%7 == 0 {
			fp.MD5, fp.SHA256 = triage.MD5{}, triage.SHA256{} // not computed
		}
		got := map[string]int{}
		for _, mt := range m.Match(&fp) {
			got[fmt.Sprintf("%s/%d/%s", mt.Set, mt.Entry, mt.Algo)] = mt.Distance
			if want := (map[string]*setfile.Set{"A": setA, "B": setB})[mt.Set].Category(mt.Entry); mt.Category != want {
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
	es := triagetest.Entries(40, 11)
	m := New(Options{})
	m.AddSet(buildSet(t, triage.SetMeta{Name: "S", Version: "1", Kind: triage.SetKindAlert}, es[:20]))
	fp := triage.Fingerprint{Digests: triage.Digests{MD5: es[30].MD5}}
	if len(m.Match(&fp)) != 0 {
		t.Fatal("match before add")
	}
	extra := es[30]
	extra.ID = "new-record"
	if err := m.AddEntries("S", []triage.Entry{extra}); err != nil {
		t.Fatal(err)
	}
	got := m.Match(&fp)
	if len(got) != 1 || got[0].EntryID != "new-record" || got[0].Entry != 20 {
		t.Fatalf("after AddEntries: %+v", got)
	}
	if err := m.AddEntries("nope", []triage.Entry{extra}); triage.ErrorCode(err) != triage.ENOTFOUND {
		t.Errorf("AddEntries to a missing set: %v", err)
	}
	// Replacing a set by name swaps it whole.
	m.AddSet(buildSet(t, triage.SetMeta{Name: "S", Version: "2", Kind: triage.SetKindAlert}, es[20:]))
	if got := m.Match(&fp); len(got) != 1 || got[0].SetVersion != "2" {
		t.Fatalf("after replace: %+v", got)
	}
	if len(m.Sets()) != 1 || !m.RemoveSet("S") || m.RemoveSet("S") || len(m.Match(&fp)) != 0 {
		t.Fatal("RemoveSet")
	}
}

// TestMatcherConcurrent queries while entries are added (run with -race).
func TestMatcherConcurrent(t *testing.T) {
	es := triagetest.Entries(400, 12)
	m := New(Options{})
	m.AddSet(buildSet(t, triage.SetMeta{Name: "C", Kind: triage.SetKindAlert}, es[:100]))
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; i < 500; i++ {
				e := es[(i*7+w)%len(es)]
				fp := triage.Fingerprint{Digests: triage.Digests{MD5: e.MD5, SHA256: e.SHA256}, PDQ: e.PDQ, PDQQuality: 100, Perceptual: true, PHash: e.PHash}
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
		fp := triage.Fingerprint{Digests: triage.Digests{MD5: e.MD5, SHA256: e.SHA256}}
		if e.Algos&triage.AlgoSet(triage.AlgoMD5|triage.AlgoSHA256) != 0 && len(m.Match(&fp)) == 0 {
			t.Fatalf("entry %d added concurrently is not matched", e.Pos)
		}
	}
}

// TestMatchEntryOrderColumns matches every entry of a set written before
// the digest columns were sorted (see package setfile's
// TestHashSetEntryOrderColumns) through its MD5.
func TestMatchEntryOrderColumns(t *testing.T) {
	s, err := setfile.ReadFile(filepath.Join("..", "setfile", "testdata", "set-entry-order.wset"))
	if err != nil {
		t.Fatal(err)
	}
	m := New(Options{})
	m.AddSet(s)
	for i, e := range triagetest.Entries(120, 9) {
		if !e.Algos.Has(triage.AlgoMD5) {
			continue
		}
		fp := triage.Fingerprint{Digests: triage.Digests{MD5: e.MD5}}
		if ms := m.Match(&fp); len(ms) != 1 || ms[0].Entry != i {
			t.Fatalf("MD5 of entry %d: matches %+v", i, ms)
		}
	}
}

// TestKnownExactly checks that a file's digests make it known exactly
// when an alert entry of a category not ignorable has one of them, in a
// loaded set or among entries added since, and not for a known-good
// set's entries, an ignorable category or digests no entry has.
func TestKnownExactly(t *testing.T) {
	es := triagetest.Entries(400, 11)
	m := New(Options{})
	m.AddSet(buildSet(t, triage.SetMeta{Name: "alert", Kind: triage.SetKindAlert}, es[:200]))
	m.AddSet(buildSet(t, triage.SetMeta{Name: "good", Kind: triage.SetKindKnownGood}, es[200:300]))
	added := slices.Clone(es[300:])
	for i := range added {
		added[i].Kind = triage.SetKindAlert
	}
	if err := m.AddEntries("alert", added); err != nil {
		t.Fatal(err)
	}
	known := 0
	for i, e := range es {
		exact := e.Algos&triage.AlgosCrypto != 0
		want := exact && (i < 200 || i >= 300) && !e.Category.Ignorable()
		// Each digest alone says it (a file hashed with all three).
		for _, a := range []triage.Algo{triage.AlgoMD5, triage.AlgoSHA1, triage.AlgoSHA256} {
			if !e.Algos.Has(a) {
				continue
			}
			var d triage.Digests
			switch a {
			case triage.AlgoMD5:
				d.MD5 = e.MD5
			case triage.AlgoSHA1:
				d.SHA1 = e.SHA1
			default:
				d.SHA256 = e.SHA256
			}
			if got := m.KnownExactly(d); got != want {
				t.Errorf("entry %d (%s, category %s) by %s: KnownExactly = %v, want %v", i, e.Kind, e.Category, a, got, want)
			}
		}
		if want {
			known++
		}
	}
	if known == 0 {
		t.Fatal("no entry is known exactly: the test checks nothing")
	}
	if m.KnownExactly(triage.Digests{}) || m.KnownExactly(triage.Digests{SHA256: triage.SHA256{1, 2, 3}}) {
		t.Error("digests no entry has are known")
	}
}
