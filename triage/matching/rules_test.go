package matching

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/setfile"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// pdqAt returns a copy of h with n bits flipped (the first n bits).
func pdqAt(h triage.PDQ, n int) triage.PDQ {
	for k := range n {
		h[k/8] ^= 1 << (k % 8)
	}
	return h
}

func phashAt(h triage.PHash, n int) triage.PHash {
	for k := range n {
		h ^= 1 << k
	}
	return h
}

// agreementSet is one alert set of two entries with PDQ and pHash.
func agreementSet(t testing.TB, meta triage.SetMeta) (*setfile.Set, []triage.Entry) {
	t.Helper()
	rng := rand.New(rand.NewPCG(5, 5))
	var es []triage.Entry
	for i := range 2 {
		e := triage.NewEntry()
		e.Algos = triage.AlgoSet(triage.AlgoPDQ | triage.AlgoPHash)
		for k := range e.PDQ {
			e.PDQ[k] = byte(rng.Uint32())
		}
		e.PHash = triage.PHash(rng.Uint64())
		e.PDQQuality = 100
		e.ID = fmt.Sprintf("e%d", i)
		es = append(es, e)
	}
	return buildSet(t, meta, es), es
}

type matchKey struct {
	Algo       string
	Distance   int
	Dihedral   int
	View       triage.ViewKind
	Borderline bool
}

func keys(ms []triage.Match) []matchKey {
	var out []matchKey
	for _, m := range ms {
		out = append(out, matchKey{m.Algo.String(), m.Distance, m.Dihedral, m.View, m.Borderline})
	}
	return out
}

// TestMatcherRules checks what counts as a perceptual match under the
// default rules and variations of them.
func TestMatcherRules(t *testing.T) {
	set, es := agreementSet(t, triage.SetMeta{Name: "S", Kind: triage.SetKindAlert})
	e := es[0]
	fpAt := func(pdq, ph int) triage.Fingerprint {
		return triage.Fingerprint{Perceptual: true, PDQ: pdqAt(e.PDQ, pdq), PDQQuality: 100, PHash: phashAt(e.PHash, ph)}
	}
	withView := func(fp triage.Fingerprint, kind triage.ViewKind, pdq, ph int) triage.Fingerprint {
		fp.Views = append(fp.Views, triage.View{Kind: kind, PDQ: pdqAt(e.PDQ, pdq), PDQQuality: 100, PHash: phashAt(e.PHash, ph)})
		return fp
	}
	mirrored := func(fp triage.Fingerprint) triage.Fingerprint {
		for d := range 8 {
			fp.PDQDihedral[d] = pdqAt(e.PDQ, 120) // far
			fp.PHashDihedral[d] = phashAt(e.PHash, 40)
		}
		fp.PDQDihedral[5], fp.PHashDihedral[5] = pdqAt(e.PDQ, 6), phashAt(e.PHash, 2)
		fp.PDQ, fp.PHash = fp.PDQDihedral[0], fp.PHashDihedral[0]
		return fp
	}
	withMirror := func(fp triage.Fingerprint, pdq, ph int) triage.Fingerprint {
		fp.Views = append(fp.Views, triage.View{Kind: triage.ViewUncropped, Mirrored: true, PDQ: pdqAt(e.PDQ, pdq), PDQQuality: 100, PHash: phashAt(e.PHash, ph)})
		return fp
	}
	def := DefaultRules()
	noParts := DefaultRules()
	noParts.Default.Banded, noParts.Default.Tiles = false, false
	noViews := DefaultRules()
	noViews.Default.Trimmed, noViews.Default.Uncropped, noViews.Default.Dihedral = false, false, false
	noBorder := DefaultRules()
	noBorder.Default.PDQ.Borderline, noBorder.Default.PHash.Borderline = 0, 0
	loneOK := DefaultRules()
	loneOK.Default.PHashSupport = 0
	lowQuality := func(fp triage.Fingerprint) triage.Fingerprint {
		fp.PDQQuality = 20
		return fp
	}
	setRadius := DefaultRules()
	setRadius.Sets = map[string]SetRules{"S": {PDQ: AlgoRule{Radius: 12, Certain: -1}, PHash: AlgoRule{Radius: -1, Certain: -1}}}

	tests := []struct {
		name  string
		rules Rules
		fp    triage.Fingerprint
		want  []matchKey
	}{
		{"pdq within radius", def, fpAt(20, 40), []matchKey{{"pdq", 20, 0, "", false}}},
		{"both within radius", def, fpAt(20, 5), []matchKey{{"pdq", 20, 0, "", false}, {"phash", 5, 0, "", false}}},
		{"phash alone", def, fpAt(60, 8), []matchKey{{"phash", 8, 0, "", false}}},
		{"phash alone, pdq beyond its support", def, fpAt(DefaultPHashSupport+1, 8), nil},
		{"phash alone, pdq at its support", def, fpAt(DefaultPHashSupport, 3), []matchKey{{"phash", 3, 0, "", false}}},
		{"phash alone, no support asked", loneOK, fpAt(DefaultPHashSupport+20, 8), []matchKey{{"phash", 8, 0, "", false}}},
		{"phash alone, query pdq unusable", def, lowQuality(fpAt(DefaultPHashSupport+20, 8)), []matchKey{{"phash", 8, 0, "", false}}},
		{"phash alone, a view's pdq supports", def, withView(fpAt(DefaultPHashSupport+20, 8), triage.ViewUncropped, 70, 40), []matchKey{{"phash", 8, 0, "", false}}},
		{"phash just beyond its radius", def, fpAt(90, 9), nil},
		{"borderline pair agrees", def, fpAt(45, 13), []matchKey{{"pdq", 45, 0, "", true}, {"phash", 13, 0, "", true}}},
		{"borderline pdq, phash within radius", def, fpAt(50, 8), []matchKey{{"pdq", 50, 0, "", true}, {"phash", 8, 0, "", false}}},
		{"borderline pdq alone", def, fpAt(45, 30), nil},
		{"borderline phash alone", def, fpAt(90, 13), nil},
		{"beyond the zones", def, fpAt(57, 14), nil},
		{"pdq beyond its zone", def, fpAt(57, 12), nil},
		{"no borderline zones", noBorder, fpAt(45, 13), nil},
		{"trimmed view", def, withView(fpAt(120, 30), triage.ViewTrimmed, 10, 30), []matchKey{{"pdq", 10, 0, triage.ViewTrimmed, false}}},
		{"uncropped view agrees", def, withView(fpAt(120, 30), triage.ViewUncropped, 40, 12), []matchKey{{"pdq", 40, 0, triage.ViewUncropped, true}, {"phash", 12, 0, triage.ViewUncropped, true}}},
		{"views off", noViews, withView(fpAt(120, 30), triage.ViewTrimmed, 10, 3), nil},
		{"best variant wins", def, withView(fpAt(25, 30), triage.ViewUncropped, 10, 30), []matchKey{{"pdq", 10, 0, triage.ViewUncropped, false}}},
		{"mirrored", def, mirrored(triage.Fingerprint{Perceptual: true, PDQQuality: 100}), []matchKey{{"pdq", 6, 5, "", false}, {"phash", 2, 5, "", false}}},
		{"dihedral off", noViews, mirrored(triage.Fingerprint{Perceptual: true, PDQQuality: 100}), nil},
		{"banded view alone", def, withView(fpAt(120, 30), triage.ViewBanded, 10, 30), nil},
		{"banded view agrees", def, withView(fpAt(120, 30), triage.ViewBanded, 10, 5), []matchKey{{"pdq", 10, 0, triage.ViewBanded, false}, {"phash", 5, 0, triage.ViewBanded, false}}},
		{"tile, phash alone", def, withView(fpAt(120, 30), triage.ViewTile, 120, 2), nil},
		{"tile agrees in the borderline zones", def, withView(fpAt(120, 30), triage.ViewTile, 50, 12), []matchKey{{"pdq", 50, 0, triage.ViewTile, true}, {"phash", 12, 0, triage.ViewTile, true}}},
		{"tiles off", noParts, withView(fpAt(120, 30), triage.ViewTile, 10, 5), nil},
		{"mirrored uncropped view", def, withMirror(fpAt(120, 30), 20, 30), []matchKey{{"pdq", 20, 5, triage.ViewUncropped, false}}},
		{"mirrored view, dihedral off", noViews, withMirror(fpAt(120, 30), 20, 30), nil},
		{"mirrored view agrees", def, withMirror(fpAt(120, 30), 40, 12), []matchKey{{"pdq", 40, 5, triage.ViewUncropped, true}, {"phash", 12, 5, triage.ViewUncropped, true}}},
		{"set's own rules", setRadius, fpAt(20, 0), nil},
		{"set's own radius", setRadius, fpAt(12, 0), []matchKey{{"pdq", 12, 0, "", false}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := New(Options{Rules: &tc.rules})
			m.AddSet(set)
			got := m.Match(&tc.fp)
			for _, g := range got {
				if g.Entry != 0 {
					t.Fatalf("matched entry %d", g.Entry)
				}
			}
			if diff := cmp.Diff(tc.want, keys(got)); diff != "" {
				t.Errorf("matches (-want +got):\n%s", diff)
			}
		})
	}
}

// TestMatcherRulesBruteForce checks the Matcher against a direct
// evaluation of the rules on random entries and queries with views and
// dihedral hashes.
func TestMatcherRulesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 8))
	n := 300
	if testing.Short() {
		n = 60
	}
	var es []triage.Entry
	for i := range n {
		e := triage.NewEntry()
		e.Algos = triage.AlgoSet(triage.AlgoPDQ | triage.AlgoPHash)
		for k := range e.PDQ {
			e.PDQ[k] = byte(rng.Uint32())
		}
		e.PHash = triage.PHash(rng.Uint64())
		e.PDQQuality = 100
		e.ID = fmt.Sprint(i)
		es = append(es, e)
	}
	set := buildSet(t, triage.SetMeta{Name: "R", Kind: triage.SetKindAlert}, es)
	rules := DefaultRules()
	m := New(Options{Rules: &rules})
	m.AddSet(set)
	sr := rules.ForSet("R")
	for q := range 200 {
		e := es[rng.IntN(n)]
		fp := triage.Fingerprint{Perceptual: true, PDQQuality: 100}
		for d := range 8 {
			fp.PDQDihedral[d] = triagetest.FlipBits(e.PDQ, rng, rng.IntN(120))
			fp.PHashDihedral[d] = e.PHash ^ triage.PHash(rng.Uint64()&rng.Uint64()&rng.Uint64())
		}
		fp.PDQ, fp.PHash = fp.PDQDihedral[0], fp.PHashDihedral[0]
		if q%2 == 0 {
			fp.Views = []triage.View{{Kind: triage.ViewUncropped, PDQ: triagetest.FlipBits(e.PDQ, rng, rng.IntN(80)), PDQQuality: 100, PHash: e.PHash ^ triage.PHash(rng.Uint64()&rng.Uint64())}}
		}
		got := map[string]int{}
		for _, mt := range m.Match(&fp) {
			got[fmt.Sprintf("%d/%s", mt.Entry, mt.Algo)] = mt.Distance
		}
		want := map[string]int{}
		for i, se := range es {
			dp, dh := 257, 65
			check := func(p triage.PDQ, h triage.PHash) {
				dp, dh = min(dp, p.Distance(se.PDQ)), min(dh, h.Distance(se.PHash))
			}
			dhRot := 65 // rotated and mirrored pHashes count within the radius only
			for d := range 8 {
				check(fp.PDQDihedral[d], fp.PHash)
				if d > 0 {
					dhRot = min(dhRot, fp.PHashDihedral[d].Distance(se.PHash))
				}
			}
			if dhRot <= sr.PHash.Radius {
				dh = min(dh, dhRot)
			}
			for _, v := range fp.Views {
				check(v.PDQ, v.PHash)
			}
			agree := dp <= max(sr.PDQ.Radius, sr.PDQ.Borderline) && dh <= max(sr.PHash.Radius, sr.PHash.Borderline)
			if dp <= sr.PDQ.Radius || agree {
				want[fmt.Sprintf("%d/pdq", i)] = dp
			}
			if dh <= sr.PHash.Radius && dp <= sr.PHashSupport || agree {
				want[fmt.Sprintf("%d/phash", i)] = dh
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("query %d (-brute force +matcher):\n%s", q, diff)
		}
	}
}

// TestDecide checks the verdict precedence.
func TestDecide(t *testing.T) {
	alert := func(a triage.Algo, d int) triage.Match {
		return triage.Match{Set: "A", SetKind: triage.SetKindAlert, Entry: 1, Algo: a, Distance: d, Category: triage.MustParseCategory("vic-us:1")}
	}
	good := func(a triage.Algo) triage.Match {
		return triage.Match{Set: "NSRL", SetKind: triage.SetKindKnownGood, Entry: 7, Algo: a}
	}
	border := func(m triage.Match) triage.Match { m.Borderline = true; return m }
	view := func(m triage.Match, k triage.ViewKind) triage.Match { m.View = k; return m }
	other := func(m triage.Match) triage.Match { m.Entry = 2; return m }
	ignorableCat := alert(triage.AlgoMD5, 0)
	ignorableCat.Category = triage.MustParseCategory("vic-us:0")
	img := &triage.Fingerprint{Width: 640, Height: 480}
	tiny := &triage.Fingerprint{Width: 40, Height: 480}
	broken := &triage.Fingerprint{Err: triage.Errorf(triage.EINVALID, "truncated JPEG")}
	partial := &triage.Fingerprint{Width: 640, Height: 480, Perceptual: true, Partial: true}
	tests := []struct {
		name    string
		fp      *triage.Fingerprint
		ms      []triage.Match
		verdict triage.Verdict
		reason  string
	}{
		{"exact alert match", img, []triage.Match{alert(triage.AlgoSHA256, 0)}, triage.VerdictKnown, "sha256 match in A"},
		{"exact alert beats known-good", img, []triage.Match{good(triage.AlgoMD5), alert(triage.AlgoMD5, 0)}, triage.VerdictKnown,
			"md5 match in A; also listed as known-good in NSRL"},
		{"near alert beats exact known-good", img, []triage.Match{good(triage.AlgoSHA1), alert(triage.AlgoPDQ, 28)}, triage.VerdictVariant,
			"pdq distance 28 in A; also listed as known-good in NSRL"},
		{"near known-good is no conflict", img, []triage.Match{good(triage.AlgoPDQ), alert(triage.AlgoMD5, 0)}, triage.VerdictKnown, "md5 match in A"},
		{"certain pdq", img, []triage.Match{alert(triage.AlgoPDQ, 16)}, triage.VerdictKnown, "pdq distance 16 in A (certain within 16)"},
		{"agreement within radii", img, []triage.Match{alert(triage.AlgoPDQ, 30), alert(triage.AlgoPHash, 9)}, triage.VerdictKnown, "pdq distance 30 and phash distance 9 agree in A"},
		{"agreement on different entries", img, []triage.Match{alert(triage.AlgoPDQ, 30), other(alert(triage.AlgoPHash, 9))}, triage.VerdictVariant, "pdq distance 30 in A"},
		{"borderline agreement is a variant", img, []triage.Match{border(alert(triage.AlgoPDQ, 44)), border(alert(triage.AlgoPHash, 13))}, triage.VerdictVariant,
			"pdq distance 44 (borderline, confirmed by agreement) in A"},
		{"phash alone", img, []triage.Match{alert(triage.AlgoPHash, 4)}, triage.VerdictVariant, "phash distance 4 in A"},
		{"a known tile is a variant", img, []triage.Match{view(alert(triage.AlgoPDQ, 0), triage.ViewTile), view(alert(triage.AlgoPHash, 0), triage.ViewTile)}, triage.VerdictVariant,
			"pdq distance 0 (tile) in A"},
		{"a known picture between bands is a variant", img, []triage.Match{view(alert(triage.AlgoPDQ, 4), triage.ViewBanded), view(alert(triage.AlgoPHash, 1), triage.ViewBanded)}, triage.VerdictVariant,
			"pdq distance 4 (banded) in A"},
		{"known-good only", img, []triage.Match{good(triage.AlgoMD5)}, triage.VerdictIgnorable, "md5 match in known-good set NSRL"},
		{"ignorable category", img, []triage.Match{ignorableCat}, triage.VerdictIgnorable, "md5 match in known-good set A"},
		{"tiny image", tiny, nil, triage.VerdictIgnorable, "image 40x480 is under 50 px"},
		{"tiny image that matches", tiny, []triage.Match{alert(triage.AlgoMD5, 0)}, triage.VerdictKnown, "md5 match in A"},
		{"broken file", broken, nil, triage.VerdictError, "truncated JPEG"},
		{"broken file that matches", broken, []triage.Match{alert(triage.AlgoMD5, 0)}, triage.VerdictKnown, "md5 match in A"},
		{"nothing", img, nil, triage.VerdictNew, "no match"},
		{"partial picture, certain pdq", partial, []triage.Match{alert(triage.AlgoPDQ, 0)}, triage.VerdictVariant,
			"pdq distance 0 in A (hashes of part of a cut-short picture: at most a variant)"},
		{"partial picture, agreement", partial, []triage.Match{alert(triage.AlgoPDQ, 10), alert(triage.AlgoPHash, 2)}, triage.VerdictVariant,
			"phash distance 2 in A (hashes of part of a cut-short picture: at most a variant)"},
		{"partial picture, exact digest", partial, []triage.Match{alert(triage.AlgoSHA256, 0)}, triage.VerdictKnown, "sha256 match in A"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := DefaultRules().Decide(tc.fp, tc.ms)
			if d.Verdict != tc.verdict || d.Reason != tc.reason {
				t.Errorf("got %s (%s), want %s (%s)", d.Verdict, d.Reason, tc.verdict, tc.reason)
			}
			for _, m := range d.Matches {
				if !slices.ContainsFunc(tc.ms, func(x triage.Match) bool { return reflect.DeepEqual(x, m) }) {
					t.Errorf("decision rests on a match it was not given: %+v", m)
				}
			}
			// The conflict is listed exactly when the reason names it.
			if conflict := strings.Contains(d.Reason, "also listed as known-good"); conflict != (len(d.AlsoKnownGood) > 0) {
				t.Errorf("AlsoKnownGood %+v with reason %q", d.AlsoKnownGood, d.Reason)
			}
			for _, m := range d.AlsoKnownGood {
				if m.SetKind != triage.SetKindKnownGood || !triage.AlgosCrypto.Has(m.Algo) {
					t.Errorf("AlsoKnownGood holds %+v", m)
				}
			}
		})
	}
	// The zero Rules are the defaults.
	if got, want := (Rules{}).Decide(img, []triage.Match{alert(triage.AlgoPDQ, 16)}), DefaultRules().Decide(img, []triage.Match{alert(triage.AlgoPDQ, 16)}); got.Verdict != want.Verdict {
		t.Errorf("zero Rules: %s, want %s", got.Verdict, want.Verdict)
	}
	off := Rules{MinSide: -1}
	if d := off.Decide(tiny, nil); d.Verdict != triage.VerdictNew {
		t.Errorf("MinSide -1: %s", d.Verdict)
	}
}

func TestParseRules(t *testing.T) {
	def := DefaultRules()
	lab := def.Default
	lab.PDQ.Radius = 24
	strict := def.Default
	strict.PDQ = AlgoRule{Radius: 20, Borderline: 0, Certain: 8}
	strict.KnownWhenAgree = nil
	strict.Uncropped = false
	tests := []struct {
		name string
		in   string
		want Rules
	}{
		{"empty object", `{}`, def},
		{"min side", `{"min_side": 64}`, Rules{MinSide: 64, Default: def.Default}},
		{"one set", `{"sets": {"Lab": {"pdq": {"radius": 24}}}}`, Rules{MinSide: 50, Default: def.Default, Sets: map[string]SetRules{"Lab": lab}}},
		{"strict default", `{"default": {"pdq": {"radius": 20, "borderline": 0, "certain": 8}, "known_when_agree": [], "uncropped": false}}`,
			Rules{MinSide: 50, Default: strict}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRules(strings.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpEmptyAsNil()); diff != "" {
				t.Errorf("rules (-want +got):\n%s", diff)
			}
		})
	}
	// A set's rules start from the file's default, not the built-in one.
	r, err := ParseRules(strings.NewReader(`{"default": {"dihedral": false}, "sets": {"X": {"trimmed": false}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if x := r.ForSet("X"); x.Dihedral || x.Trimmed || !x.Uncropped {
		t.Errorf("set X: %+v", x)
	}
	if y := r.ForSet("Y"); y.Dihedral || !y.Trimmed {
		t.Errorf("unnamed set: %+v", y)
	}

	bad := []struct{ in, want string }{
		{``, "empty input"},
		{`{"min_side": 50`, "not valid JSON"},
		{`{"defualt": {}}`, `unknown field "defualt"`},
		{`{"sets": {"L": {"pdq": {"radios": 3}}}}`, `rules: set "L": unknown field "radios"`},
		{`{"min_side": "big"}`, `field "min_side": want a int`},
		{`{"min_side": -5}`, "min_side -5"},
		{`{"default": {"pdq": {"radius": 300}}}`, "pdq.radius 300"},
		{`{"default": {"phash": {"borderline": 70}}}`, "phash.borderline 70"},
		{`{"default": {"pdq": {"radius": 20, "borderline": 0, "certain": 25}}}`, "pdq.certain 25 is beyond"},
		{`{"default": {"known_when_agree": ["pdq", "md5"]}}`, `unknown algorithm "md5"`},
		{`{"default": {"known_when_agree": ["pdq"]}}`, "needs both pdq and phash"},
		{`{} {}`, "data after the JSON object"},
	}
	for _, tc := range bad {
		_, err := ParseRules(strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) || triage.ErrorCode(err) != triage.EINVALID {
			t.Errorf("ParseRules(%q) = %v, want an invalid error containing %q", tc.in, err, tc.want)
		}
	}
	var e *triage.Error
	if _, err := ParseRules(strings.NewReader(`[]`)); !errors.As(err, &e) {
		t.Errorf("array: %v", err)
	}
}

// cmpEmptyAsNil treats empty and nil slices and maps alike.
func cmpEmptyAsNil() cmp.Option {
	return cmp.FilterValues(func(a, b any) bool {
		return isEmpty(a) && isEmpty(b)
	}, cmp.Comparer(func(a, b any) bool { return true }))
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case []string:
		return len(x) == 0
	case map[string]SetRules:
		return len(x) == 0
	}
	return false
}

// TestRadiusPrecedence: a set's own radius replaces the default rules'
// radius, and rules written for the set replace the set's own.
func TestRadiusPrecedence(t *testing.T) {
	set, es := agreementSet(t, triage.SetMeta{Name: "Own", Kind: triage.SetKindAlert, PDQRadius: 12})
	fp := triage.Fingerprint{Perceptual: true, PDQ: pdqAt(es[0].PDQ, 20), PDQQuality: 100, PHash: phashAt(es[0].PHash, 40)}
	named := DefaultRules()
	named.Sets = map[string]SetRules{"Own": DefaultSetRules()} // radius 31, written for the set
	for _, tc := range []struct {
		name  string
		rules Rules
		want  int
	}{{"default rules: the set's radius 12", DefaultRules(), 0}, {"rules for the set: radius 31", named, 1}} {
		m := New(Options{Rules: &tc.rules})
		m.AddSet(set)
		if got := len(m.Match(&fp)); got != tc.want {
			t.Errorf("%s: %d matches at PDQ distance 20, want %d", tc.name, got, tc.want)
		}
	}
}

// TestMatcherRegions checks matches on the entries' regions: agreement
// needed, the region named, never known, entries added later included,
// and an entry matched as a whole reported once.
func TestMatcherRegions(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	entry := func(id string) triage.Entry {
		e := triage.NewEntry()
		e.Algos, e.ID, e.PDQQuality = triage.AlgoSet(triage.AlgoPDQ|triage.AlgoPHash), id, 100
		r := triage.Region{Kind: triage.RegionCentre, PDQQuality: 90}
		for k := range e.PDQ {
			e.PDQ[k], r.PDQ[k] = byte(rng.Uint32()), byte(rng.Uint32())
		}
		e.PHash, r.PHash = triage.PHash(rng.Uint64()), triage.PHash(rng.Uint64())
		e.Regions = []triage.Region{r}
		return e
	}
	es := []triage.Entry{entry("a"), entry("b")}
	set := buildSet(t, triage.SetMeta{Name: "S", Kind: triage.SetKindAlert}, es)
	added := entry("c")
	region := func(e triage.Entry, pdq, ph int) triage.Fingerprint {
		return triage.Fingerprint{Perceptual: true, Width: 640, Height: 480, PDQ: pdqAt(e.Regions[0].PDQ, pdq), PDQQuality: 100, PHash: phashAt(e.Regions[0].PHash, ph)}
	}
	def := DefaultRules()
	off := DefaultRules()
	off.Default.Regions = false
	tests := []struct {
		name    string
		rules   Rules
		fp      triage.Fingerprint
		entry   int
		want    []matchKey
		verdict triage.Verdict
	}{
		{"region agrees", def, region(es[1], 4, 2), 1, []matchKey{{"pdq", 4, 0, "", false}, {"phash", 2, 0, "", false}}, triage.VerdictVariant},
		{"region agrees in the zones", def, region(es[0], 50, 12), 0, []matchKey{{"pdq", 50, 0, "", true}, {"phash", 12, 0, "", true}}, triage.VerdictVariant},
		{"region pdq alone", def, region(es[0], 0, 30), 0, nil, triage.VerdictNew},
		{"region phash alone", def, region(es[0], 120, 0), 0, nil, triage.VerdictNew},
		{"regions off", off, region(es[0], 0, 0), 0, nil, triage.VerdictNew},
		{"added entry's region", def, region(added, 10, 3), 2, []matchKey{{"pdq", 10, 0, "", false}, {"phash", 3, 0, "", false}}, triage.VerdictVariant},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := New(Options{Rules: &tc.rules})
			m.AddSet(set)
			if err := m.AddEntries("S", []triage.Entry{added}); err != nil {
				t.Fatal(err)
			}
			got := m.Match(&tc.fp)
			for _, g := range got {
				if g.Entry != tc.entry || g.Region != triage.RegionCentre {
					t.Errorf("match %+v, want entry %d, centre region", g, tc.entry)
				}
			}
			if diff := cmp.Diff(tc.want, keys(got)); diff != "" {
				t.Errorf("matches (-want +got):\n%s", diff)
			}
			if d := tc.rules.Decide(&tc.fp, got); d.Verdict != tc.verdict {
				t.Errorf("verdict %s (%s), want %s", d.Verdict, d.Reason, tc.verdict)
			}
		})
	}
	// An entry matched as a whole is not matched again through its region.
	e := es[0]
	fp := triage.Fingerprint{Perceptual: true, PDQ: e.PDQ, PDQQuality: 100, PHash: e.PHash,
		Views: []triage.View{{Kind: triage.ViewUncropped, PDQ: e.Regions[0].PDQ, PDQQuality: 100, PHash: e.Regions[0].PHash}}}
	m := New(Options{})
	m.AddSet(set)
	for _, g := range m.Match(&fp) {
		if g.Region != 0 {
			t.Errorf("region match %+v of an entry matched whole", g)
		}
	}
}
