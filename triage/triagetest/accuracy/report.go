package accuracy

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/keypoint"
	"github.com/winnow-forensics/winnow/triage/matching"
)

// Configs returns the rule configurations the table compares: plain PDQ
// and plain pHash at their usual thresholds, then the default rules built
// up one rule at a time, the default rules with a lone pHash match
// counting (PHashSupport 0, the rules before issue 16), the default rules
// without the band and tile views and the entries' regions (Banded,
// Tiles, Regions), the default rules without the entries' keypoints, ending
// with the default rules themselves. The lone-pHash and no-bands columns
// leave keypoints off too, so they compare with the rules of before.
func Configs() []Config {
	off := matching.AlgoRule{Radius: -1, Certain: -1}
	plain := matching.SetRules{PDQ: matching.AlgoRule{Radius: 31, Certain: -1}, PHash: off}
	phash := matching.SetRules{PDQ: off, PHash: matching.AlgoRule{Radius: 10, Certain: -1}}
	dih := plain
	dih.Dihedral = true
	trim := dih
	trim.Trimmed = true
	uncrop := trim
	uncrop.Uncropped = true
	deskew := uncrop
	deskew.Deskewed = true
	rules := func(sr matching.SetRules) matching.Rules { return matching.Rules{MinSide: -1, Default: sr} }
	lone := matching.DefaultRules()
	lone.Default.PHashSupport, lone.Default.Keypoints = 0, 0
	noParts := matching.DefaultRules()
	noParts.Default.Banded, noParts.Default.Tiles, noParts.Default.Regions, noParts.Default.Keypoints = false, false, false, 0
	noKeypoints := matching.DefaultRules()
	noKeypoints.Default.Keypoints = 0
	return []Config{
		{"PDQ 31", rules(plain)},
		{"pHash 10", rules(phash)},
		{"+dihedral", rules(dih)},
		{"+trim", rules(trim)},
		{"+uncrop", rules(uncrop)},
		{"+deskew", rules(deskew)},
		{"lone pHash counts", lone},
		{"no bands, tiles, regions", noParts},
		{"no keypoints", noKeypoints},
		{"default rules", matching.DefaultRules()},
	}
}

// Margin summarises how close the benchmark's impostor pairs (a query and
// a set entry, or a region of one, that is not its original) come to
// matching: the smallest PDQ and pHash distances over every query variant
// the rules allow.
type Margin struct {
	Pairs int
	// MinPDQ and MinPHash are the smallest distances of any impostor pair,
	// with the pair.
	MinPDQ, MinPHash         int
	MinPDQPair, MinPHashPair string
	// MinPDQInPHashZone is the smallest PDQ distance among impostor pairs
	// whose pHash is within the borderline zone, and MinPHashInPDQZone the
	// converse: how far agreement is from a false match.
	MinPDQInPHashZone, MinPHashInPDQZone int
	// Zones are the borderline limits the two figures above refer to.
	PDQZone, PHashZone int
}

// KeypointMargin is how close impostor pairs come to a keypoint match:
// the most features of a query that fit an entry that is not its
// original (brute force, as the matcher pairs and verifies them), with
// the pair, against the inliers the rules ask for.
type KeypointMargin struct {
	Pairs      int
	MaxInliers int
	MaxPair    string
	Need       int
	// Closest are the originals' pairs whose queries fit the most
	// features, most first (at most 5, each pair of originals once): the
	// margin over the next pairs, when the first is a version of the
	// same picture.
	Closest []PairFit
}

// PairFit is a query's original and a set entry's, and the most
// features any query of the first fits on the second.
type PairFit struct {
	Query, Entry string
	Inliers      int
}

// KeypointMargins computes the KeypointMargin under the set rules sr.
func (r *Result) KeypointMargins(sr matching.SetRules) KeypointMargin {
	km := KeypointMargin{Need: sr.Keypoints}
	best := map[[2]int]int{}
	kps := make([][]triage.Keypoint, r.Set.Len())
	for i := range kps {
		kps[i] = r.Set.Entry(i).Keypoints
	}
	for qi := range r.Queries {
		q := &r.Queries[qi]
		if len(q.FP.Keypoints) == 0 {
			continue
		}
		own := r.Entry[q.Orig]
		for e, k := range kps {
			if e == own || len(k) == 0 {
				continue
			}
			km.Pairs++
			for _, mirrored := range []bool{false, true} {
				fit := keypoint.Verify(keypoint.Pairs(q.FP.Keypoints, k, matching.KeypointRadius, mirrored), mirrored)
				if fit.Inliers > km.MaxInliers {
					km.MaxInliers, km.MaxPair = fit.Inliers, r.queryName(q)+" ~ "+r.Originals[r.origOfEntry(e)].Name
				}
				k := [2]int{q.Orig, e}
				best[k] = max(best[k], fit.Inliers)
			}
		}
	}
	for k, n := range best {
		if n > 0 {
			km.Closest = append(km.Closest, PairFit{Query: r.Originals[k[0]].Name, Entry: r.Originals[r.origOfEntry(k[1])].Name, Inliers: n})
		}
	}
	slices.SortFunc(km.Closest, func(a, b PairFit) int {
		return cmp.Or(b.Inliers-a.Inliers, strings.Compare(a.Query, b.Query), strings.Compare(a.Entry, b.Entry))
	})
	km.Closest = km.Closest[:min(5, len(km.Closest))]
	return km
}

// Margins computes the Margin under the set rules sr, by brute force.
func (r *Result) Margins(sr matching.SetRules) Margin {
	type ent struct {
		entry int // the set entry it is, or whose region it is
		pdq   triage.PDQ
		okPDQ bool
		ph    triage.PHash
	}
	var ents []ent
	for i := range r.Set.Len() {
		e := r.Set.Entry(i)
		ents = append(ents, ent{i, e.PDQ, e.PDQQuality < 0 || e.PDQQuality >= 50, e.PHash})
		if sr.Regions {
			for _, rg := range e.Regions {
				ents = append(ents, ent{i, rg.PDQ, rg.PDQQuality >= 50, rg.PHash})
			}
		}
	}
	mg := Margin{MinPDQ: 257, MinPHash: 65, MinPDQInPHashZone: 257, MinPHashInPDQZone: 65,
		PDQZone: max(cmpOr(sr.PDQ.Radius, 31), sr.PDQ.Borderline), PHashZone: max(cmpOr(sr.PHash.Radius, 10), sr.PHash.Borderline)}
	for qi := range r.Queries {
		q := &r.Queries[qi]
		if !q.FP.Perceptual {
			continue
		}
		pdqs, phs := variants(&q.FP, sr)
		own := r.Entry[q.Orig]
		for e := range ents {
			if ents[e].entry == own {
				continue
			}
			mg.Pairs++
			dp := 257
			if ents[e].okPDQ {
				for _, h := range pdqs {
					dp = min(dp, h.Distance(ents[e].pdq))
				}
			}
			dh := 65
			for _, h := range phs {
				dh = min(dh, h.Distance(ents[e].ph))
			}
			name := func() string { return r.queryName(q) + " ~ " + r.Originals[r.origOfEntry(ents[e].entry)].Name }
			if dp < mg.MinPDQ {
				mg.MinPDQ, mg.MinPDQPair = dp, name()
			}
			if dh < mg.MinPHash {
				mg.MinPHash, mg.MinPHashPair = dh, name()
			}
			if dh <= mg.PHashZone {
				mg.MinPDQInPHashZone = min(mg.MinPDQInPHashZone, dp)
			}
			if dp <= mg.PDQZone {
				mg.MinPHashInPDQZone = min(mg.MinPHashInPDQZone, dh)
			}
		}
	}
	return mg
}

func cmpOr(v, def int) int {
	if v <= 0 {
		return def
	}
	return v
}

// variants returns the query hashes of fp that sr lets count.
func variants(fp *triage.Fingerprint, sr matching.SetRules) ([]triage.PDQ, []triage.PHash) {
	var pdqs []triage.PDQ
	var phs []triage.PHash
	add := func(h triage.PDQ, q int, dih *[8]triage.PDQ, ph triage.PHash, phDih *[8]triage.PHash) {
		if q >= 50 {
			pdqs = append(pdqs, h)
			if sr.Dihedral && dih[1] != (triage.PDQ{}) {
				pdqs = append(pdqs, dih[1:]...)
			}
		}
		phs = append(phs, ph)
		if sr.Dihedral && phDih[1] != 0 {
			phs = append(phs, phDih[1:]...)
		}
	}
	add(fp.PDQ, fp.PDQQuality, &fp.PDQDihedral, fp.PHash, &fp.PHashDihedral)
	for i := range fp.Views {
		v := &fp.Views[i]
		if v.Mirrored && !sr.Dihedral {
			continue
		}
		if v.Kind == triage.ViewTrimmed && sr.Trimmed || v.Kind == triage.ViewUncropped && sr.Uncropped || v.Kind == triage.ViewDeskewed && sr.Deskewed ||
			v.Kind == triage.ViewBanded && sr.Banded || v.Kind == triage.ViewTile && sr.Tiles {
			add(v.PDQ, v.PDQQuality, &[8]triage.PDQ{}, v.PHash, &[8]triage.PHash{})
		}
	}
	return pdqs, phs
}

// Genuine returns, per transform, the distances of the set's queries to
// their own entry (the smallest over the variants sr allows): sorted PDQ
// and pHash distances, 257 and 65 where a hash was not usable.
func (r *Result) Genuine(sr matching.SetRules) (pdq, ph [][]int) {
	nt := len(r.Transforms) + 1
	pdq, ph = make([][]int, nt), make([][]int, nt)
	for qi := range r.Queries {
		q := &r.Queries[qi]
		own := r.Entry[q.Orig]
		if own < 0 {
			continue
		}
		t := q.Transform
		if t < 0 {
			t = nt - 1
		}
		e := r.Set.Entry(own)
		dp, dh := 257, 65
		if q.FP.Perceptual {
			pdqs, phs := variants(&q.FP, sr)
			for _, h := range pdqs {
				dp = min(dp, h.Distance(e.PDQ))
			}
			for _, h := range phs {
				dh = min(dh, h.Distance(e.PHash))
			}
		}
		pdq[t], ph[t] = append(pdq[t], dp), append(ph[t], dh)
	}
	for t := range pdq {
		slices.Sort(pdq[t])
		slices.Sort(ph[t])
	}
	return pdq, ph
}

// WriteTable writes the recall table (Markdown) of evals over r: one row
// per transform, one column per configuration, the last configuration's
// share of verdict known and its false matches per edit, then the false
// matches of each configuration.
func WriteTable(w io.Writer, r *Result, evals []Eval) {
	fmt.Fprint(w, "| edit | target |")
	for _, e := range evals {
		fmt.Fprintf(w, " %s |", e.Config.Name)
	}
	fmt.Fprint(w, " known | false matches |\n| --- | --- |")
	for range evals {
		fmt.Fprint(w, " --- |")
	}
	fmt.Fprint(w, " --- | --- |\n")
	last := &evals[len(evals)-1]
	row := func(name string, target float64, t int) {
		fmt.Fprintf(w, "| %s | %s |", name, targetCell(target))
		for i := range evals {
			e := &evals[i]
			s := fmt.Sprintf(" %.1f%%", e.Recall(t))
			if i == len(evals)-1 {
				s = " **" + strings.TrimSpace(s) + "**"
				if target > 0 && e.Recall(t) < target {
					s += " (below target)"
				}
			}
			fmt.Fprintf(w, "%s |", s)
		}
		nf := 0
		for _, f := range last.False {
			if f.Transform == t {
				nf++
			}
		}
		fmt.Fprintf(w, " %.1f%% | %d |\n", 100*float64(last.Known[t])/float64(max(1, last.Total[t])), nf)
	}
	row("original file", 0, len(r.Transforms))
	for t, tr := range r.Transforms {
		row(tr.Name, tr.Target, t)
	}
	fmt.Fprint(w, "| **false matches** | 0 |")
	for i := range evals {
		fmt.Fprintf(w, " %d |", len(evals[i].False))
	}
	fmt.Fprint(w, " | |\n")
}

// targetCell is a row's target in a table: ">= 95%", or empty for none.
func targetCell(target float64) string {
	if target <= 0 {
		return ""
	}
	return fmt.Sprintf(">= %.0f%%", target)
}

// WriteKinds writes e's recall (Markdown) by kind of original: one row
// per transform, one column per kind, headed by how many of the set's
// originals are of that kind, then each kind's false matches.
func WriteKinds(w io.Writer, r *Result, e *Eval) {
	n := map[string]int{}
	for i, o := range r.Originals {
		if r.Entry[i] >= 0 {
			n[o.Kind()]++
		}
	}
	fmt.Fprint(w, "| edit | target |")
	for _, k := range Kinds {
		fmt.Fprintf(w, " %s (%d) |", k, n[k])
	}
	fmt.Fprint(w, "\n| --- | --- |")
	for range Kinds {
		fmt.Fprint(w, " --- |")
	}
	fmt.Fprintln(w)
	row := func(name string, target float64, t int) {
		fmt.Fprintf(w, "| %s | %s |", name, targetCell(target))
		for _, k := range Kinds {
			fmt.Fprintf(w, " %.1f%% |", e.ByKind[k].Recall(t))
		}
		fmt.Fprintln(w)
	}
	row("original file", 0, len(r.Transforms))
	for t, tr := range r.Transforms {
		row(tr.Name, tr.Target, t)
	}
	fmt.Fprint(w, "| **false matches** | 0 |")
	for _, k := range Kinds {
		fmt.Fprintf(w, " %d |", e.ByKind[k].False)
	}
	fmt.Fprintln(w)
}

// Percentile returns the p-th percentile (0-100) of sorted values.
func Percentile(sorted []int, p float64) int {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p / 100 * float64(len(sorted)-1))
	return sorted[i]
}
