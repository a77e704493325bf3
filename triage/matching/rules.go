package matching

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
)

// Rules decide what counts as a match and which verdict an item gets. They
// hold one SetRules per hash set (Default for sets not named in Sets) and
// the rules that apply to every item. The zero Rules are DefaultRules.
//
// The verdict, in order of precedence (an alert match is never hidden by a
// known-good one):
//
//  1. known: an exact digest match (MD5, SHA-1, SHA-256) on an alert entry, or
//     a perceptual match the set's rules call certain: within the
//     algorithm's Certain distance, or every algorithm of KnownWhenAgree
//     matching the same entry within its radius;
//  2. variant: any other perceptual match that counts (see SetRules) on an
//     alert entry;
//  3. ignorable: matches only on known-good entries (NSRL and the like;
//     a set may hold entries of both kinds) or on a category marked
//     ignorable; or, with no match at all, a decoded
//     image whose shorter side is under MinSide pixels;
//  4. error: no match, and the item could not be analysed;
//  5. new: everything else.
//
// Rules are plain values: build them in Go, or read them from JSON with
// ParseRules. The Matcher applies the matching half (radii, borderline
// agreement, dihedral and trimmed queries) and Decide the other half; give
// both the same Rules (Options.Rules).
type Rules struct {
	// MinSide: decoded images whose shorter side is under this many pixels
	// are ignorable (icons, spacers, tracking pixels) unless something
	// matched. 0 means 50; -1 turns the rule off.
	MinSide int `json:"min_side"`
	// Default applies to every set not named in Sets. Its zero value means
	// DefaultSetRules.
	Default SetRules `json:"default"`
	// Sets holds the rules of particular sets, by set name.
	Sets map[string]SetRules `json:"sets,omitempty"`
}

// SetRules are the matching and verdict rules of one hash set.
type SetRules struct {
	PDQ   AlgoRule `json:"pdq"`
	PHash AlgoRule `json:"phash"`
	// KnownWhenAgree lists algorithms ("pdq", "phash") that, when they all
	// match the same entry within their radii, make the verdict known.
	// Empty: agreement alone never does.
	KnownWhenAgree []string `json:"known_when_agree"`
	// Dihedral: matches of a rotated (90, 180, 270 degrees) or mirrored copy
	// count. They are found when the fingerprint has the dihedral hashes
	// (AlgoPDQDihedral, which also gives pHash's).
	Dihedral bool `json:"dihedral"`
	// Trimmed: matches of the content inside a uniform border (padding,
	// letterboxing, a screenshot's canvas; ViewTrimmed) count.
	Trimmed bool `json:"trimmed"`
	// Uncropped: matches of the uncropped view (ViewUncropped: the image
	// padded back as if it had been cropped by 5% a side) count.
	Uncropped bool `json:"uncropped"`
	// Deskewed: matches of the deskewed view (ViewDeskewed: a copy rotated
	// by a few degrees on a flat canvas, rotated back) count.
	Deskewed bool `json:"deskewed"`
	// Banded: matches of the picture between caption bands (ViewBanded)
	// count, in agreement only (PDQ and pHash both within their
	// borderline zones), and make the verdict variant at most.
	Banded bool `json:"banded"`
	// Tiles: matches of a collage's tiles (ViewTile) count, as Banded's do.
	Tiles bool `json:"tiles"`
	// Regions: matches of the set's entries' regions (triage.Entry.Regions:
	// the centre of each known image, for crops) count, as Banded's do.
	Regions bool `json:"regions"`
	// Keypoints: matches of the set's entries' local features
	// (triage.Entry.Keypoints; sets built from media carry them) count
	// when at least this many features, with descriptors within
	// KeypointRadius, fit one similarity transform (scale, translation, a
	// few degrees of rotation, mirrored or not) and spread over a fifth of
	// the query; they make the verdict variant at most. 0: off. A set
	// without keypoints costs nothing; one with them makes the Matcher ask
	// for the query's (Matcher.WantsKeypoints).
	Keypoints int `json:"keypoints"`
	// PHashSupport: a pHash match with no PDQ match on its entry (not even
	// borderline) counts only when the entry's PDQ is within this distance
	// of the query's (any variant the rules allow, at any quality the
	// matcher uses): a lone 64-bit hash is weak evidence, and unrelated
	// images in plain frames or on plain canvases collide at distance 6-8,
	// far apart in PDQ. An entry or query without a usable PDQ hash is not
	// held to it. 0: a pHash match within the radius always counts.
	PHashSupport int `json:"phash_support"`
	// VPDQ is how videos match the set's videos (see VideoRule).
	VPDQ VideoRule `json:"vpdq"`
}

// VideoRule is how a video matches a video of a set by vPDQ, with the
// reference rule in the python-threatexchange convention (package vpdq):
// frames of quality 50 or more, each distinct hash once, match when
// within Distance; the videos match when at least QueryPercent of the
// query's frames and TargetPercent of the target's match. Its zero value
// means DefaultVideoRule.
type VideoRule struct {
	Distance      int     `json:"distance"`
	QueryPercent  float64 `json:"query_percent"`
	TargetPercent float64 `json:"target_percent"`
}

// DefaultVideoRule is HMA's: distance 31, 80% of the query's frames, any
// share of the target's.
var DefaultVideoRule = VideoRule{Distance: 31, QueryPercent: 80, TargetPercent: 0}

func (vr VideoRule) withDefaults() VideoRule {
	if vr == (VideoRule{}) {
		return DefaultVideoRule
	}
	if vr.Distance == 0 {
		vr.Distance = DefaultVideoRule.Distance
	}
	return vr
}

// AlgoRule is how one perceptual algorithm matches in a set. Distances are
// Hamming distances: 0-256 for PDQ, 0-64 for pHash.
type AlgoRule struct {
	// Radius: a match within this distance counts on its own; -1: the
	// algorithm never counts on its own, only in agreement. A set's own
	// radius (hashset build --pdq-radius, --phash-radius) replaces the
	// radius of Rules.Default, but not that of rules written for the set in
	// Rules.Sets. 0 means the set's own radius, else the Matcher's default
	// (Options: 31 for PDQ, 10 for pHash).
	Radius int `json:"radius"`
	// Borderline: a match beyond Radius but within Borderline counts when
	// the other algorithm matches the same entry within its own Borderline
	// (or Radius) too: two weak signals on one entry are strong evidence.
	// A value not above Radius means no borderline zone.
	Borderline int `json:"borderline"`
	// Certain: a counted match within this distance makes the verdict
	// known; -1: never.
	Certain int `json:"certain"`
}

// DefaultSetRules returns the rules of a set that nothing configures,
// chosen with the accuracy benchmark (see the README, "Verdict rules").
func DefaultSetRules() SetRules {
	return SetRules{
		PDQ:            AlgoRule{Radius: 31, Borderline: 56, Certain: 16},
		PHash:          AlgoRule{Radius: 8, Borderline: 13, Certain: -1},
		KnownWhenAgree: []string{"pdq", "phash"},
		Dihedral:       true,
		Trimmed:        true,
		Uncropped:      true,
		Deskewed:       true,
		Banded:         true,
		Tiles:          true,
		Regions:        true,
		Keypoints:      DefaultKeypoints,
		PHashSupport:   DefaultPHashSupport,
		VPDQ:           DefaultVideoRule,
	}
}

// DefaultPHashSupport is SetRules.PHashSupport by default, chosen with
// the accuracy benchmark (README, "Verdict rules").
const DefaultPHashSupport = 72

// DefaultKeypoints is SetRules.Keypoints by default, chosen with the
// accuracy benchmark (README, "Local features"): of 650,645 impostor
// pairs, none of unrelated images has more than 3 features agreeing; one
// wallpaper and its own dark colourway (the same drawing recoloured)
// have 6, and 5 would have made two false matches of them.
const DefaultKeypoints = 6

// KeypointRadius is the Hamming distance within which a query feature's
// descriptor pairs with a known one's before geometric verification.
const KeypointRadius = 10

// DefaultRules returns the rules used when nothing is configured.
func DefaultRules() Rules { return Rules{MinSide: 50, Default: DefaultSetRules()} }

// ForSet returns the rules of the named set.
func (r *Rules) ForSet(name string) SetRules {
	sr, _ := r.forSet(name)
	return sr
}

// forSet returns the rules of the named set and whether they were written
// for it (in Sets) rather than the default.
func (r *Rules) forSet(name string) (SetRules, bool) {
	if sr, ok := r.Sets[name]; ok {
		return sr, true
	}
	if r.Default.isZero() {
		return DefaultSetRules(), false
	}
	return r.Default, false
}

func (sr *SetRules) isZero() bool {
	return sr.PDQ == AlgoRule{} && sr.PHash == AlgoRule{} && len(sr.KnownWhenAgree) == 0 && !sr.Dihedral && !sr.Trimmed && !sr.Uncropped && !sr.Deskewed && !sr.Banded && !sr.Tiles && !sr.Regions && sr.Keypoints == 0 && sr.PHashSupport == 0 && sr.VPDQ == VideoRule{}
}

// agreeMakesKnown reports whether PDQ and pHash matching one entry makes
// the verdict known.
func (sr *SetRules) agreeMakesKnown() bool {
	return slices.Contains(sr.KnownWhenAgree, "pdq") && slices.Contains(sr.KnownWhenAgree, "phash")
}

// Validate reports rules that make no sense, naming the set and field.
func (r *Rules) Validate() error {
	if r.MinSide < -1 {
		return triage.Errorf(triage.EINVALID, "rules: min_side %d: want a pixel count, 0 for the default (50) or -1 for off", r.MinSide)
	}
	if !r.Default.isZero() {
		if err := r.Default.validate("default"); err != nil {
			return err
		}
	}
	for name, sr := range r.Sets {
		if err := sr.validate(fmt.Sprintf("set %q", name)); err != nil {
			return err
		}
	}
	return nil
}

func (sr *SetRules) validate(where string) error {
	for _, a := range []struct {
		name string
		rule AlgoRule
		bits int
	}{{"pdq", sr.PDQ, 256}, {"phash", sr.PHash, 64}} {
		ar := a.rule
		switch {
		case ar.Radius < -1 || ar.Radius > a.bits:
			return triage.Errorf(triage.EINVALID, "rules: %s: %s.radius %d: want 1-%d, 0 for the set's default or -1 for never alone", where, a.name, ar.Radius, a.bits)
		case ar.Borderline < 0 || ar.Borderline > a.bits:
			return triage.Errorf(triage.EINVALID, "rules: %s: %s.borderline %d: want 0-%d (0: no borderline zone)", where, a.name, ar.Borderline, a.bits)
		case ar.Certain < -1 || ar.Certain > a.bits:
			return triage.Errorf(triage.EINVALID, "rules: %s: %s.certain %d: want 0-%d or -1 for never", where, a.name, ar.Certain, a.bits)
		case ar.Radius > 0 && ar.Certain > max(ar.Radius, ar.Borderline):
			return triage.Errorf(triage.EINVALID, "rules: %s: %s.certain %d is beyond the distances that count (radius %d, borderline %d)", where, a.name, ar.Certain, ar.Radius, ar.Borderline)
		}
	}
	if sr.Keypoints != 0 && (sr.Keypoints < 3 || sr.Keypoints > triage.MaxKeypoints) {
		return triage.Errorf(triage.EINVALID, "rules: %s: keypoints %d: want a number of features 3-%d (two always fit), or 0 for off", where, sr.Keypoints, triage.MaxKeypoints)
	}
	if sr.PHashSupport < 0 || sr.PHashSupport > 256 {
		return triage.Errorf(triage.EINVALID, "rules: %s: phash_support %d: want a PDQ distance 1-256, or 0 for none", where, sr.PHashSupport)
	}
	if v := sr.VPDQ; v.Distance < 0 || v.Distance > 256 || v.QueryPercent < 0 || v.QueryPercent > 100 || v.TargetPercent < 0 || v.TargetPercent > 100 {
		return triage.Errorf(triage.EINVALID, "rules: %s: vpdq: want a distance 0-256 (0: 31) and percentages 0-100, got %+v", where, v)
	}
	seen := map[string]bool{}
	for _, a := range sr.KnownWhenAgree {
		if a != "pdq" && a != "phash" {
			return triage.Errorf(triage.EINVALID, "rules: %s: known_when_agree: unknown algorithm %q (want pdq and/or phash)", where, a)
		}
		if seen[a] {
			return triage.Errorf(triage.EINVALID, "rules: %s: known_when_agree lists %q twice", where, a)
		}
		seen[a] = true
	}
	if len(sr.KnownWhenAgree) == 1 {
		return triage.Errorf(triage.EINVALID, "rules: %s: known_when_agree needs both pdq and phash (one algorithm alone is its certain distance)", where)
	}
	return nil
}

// ParseRules reads rules as JSON:
//
//	{"min_side": 50,
//	 "default": {"pdq":   {"radius": 31, "borderline": 56, "certain": 16},
//	             "phash": {"radius": 8, "borderline": 13, "certain": -1},
//	             "known_when_agree": ["pdq", "phash"],
//	             "dihedral": true, "trimmed": true, "uncropped": true, "deskewed": true,
//	             "banded": true, "tiles": true, "regions": true, "keypoints": 6,
//	             "phash_support": 72,
//	             "vpdq": {"distance": 31, "query_percent": 80, "target_percent": 0}},
//	 "sets": {"Lab known set": {"pdq": {"radius": 24}}}}
//
// Every field is optional: "default" starts from DefaultSetRules, and each
// entry of "sets" from the resulting default, so a file states only what
// it changes. Unknown fields are errors (a misspelt field would otherwise
// be silently ignored), and the result is validated.
func ParseRules(rd io.Reader) (Rules, error) {
	var raw struct {
		MinSide *int                       `json:"min_side"`
		Default json.RawMessage            `json:"default"`
		Sets    map[string]json.RawMessage `json:"sets"`
	}
	if err := decodeStrict(rd, &raw); err != nil {
		return Rules{}, triage.Errorf(triage.EINVALID, "rules: %s", triage.ErrorMessage(err))
	}
	r := DefaultRules()
	if raw.MinSide != nil {
		r.MinSide = *raw.MinSide
	}
	if raw.Default != nil {
		if err := decodeStrict(bytes.NewReader(raw.Default), &r.Default); err != nil {
			return Rules{}, triage.Errorf(triage.EINVALID, "rules: default: %s", triage.ErrorMessage(err))
		}
	}
	for name, msg := range raw.Sets {
		sr := r.Default
		sr.KnownWhenAgree = slices.Clone(sr.KnownWhenAgree)
		if err := decodeStrict(bytes.NewReader(msg), &sr); err != nil {
			return Rules{}, triage.Errorf(triage.EINVALID, "rules: set %q: %s", name, triage.ErrorMessage(err))
		}
		if r.Sets == nil {
			r.Sets = map[string]SetRules{}
		}
		r.Sets[name] = sr
	}
	if err := r.Validate(); err != nil {
		return Rules{}, err
	}
	return r, nil
}

// decodeStrict decodes one JSON value, refusing unknown fields and
// trailing data, with an error that says where.
func decodeStrict(rd io.Reader, v any) error {
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return triage.Errorf(triage.EINVALID, "not valid JSON at byte %d: %s", se.Offset, strings.TrimPrefix(err.Error(), "json: "))
		case errors.Is(err, io.ErrUnexpectedEOF):
			return triage.Errorf(triage.EINVALID, "not valid JSON: the input ends inside a value")
		case errors.As(err, &te):
			return triage.Errorf(triage.EINVALID, "field %q: want a %s, not %s", te.Field, te.Type, te.Value)
		case err == io.EOF:
			return triage.Errorf(triage.EINVALID, "empty input (want a JSON object)")
		}
		return triage.Errorf(triage.EINVALID, "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return triage.Errorf(triage.EINVALID, "data after the JSON object")
	}
	return nil
}

// Decide returns the verdict for fp given the matches the Matcher found for
// it (see Rules for the order of precedence).
func (r Rules) Decide(fp *triage.Fingerprint, ms []triage.Match) triage.Decision {
	var exact, certain, near, good []triage.Match
	for _, m := range ms {
		switch {
		case m.SetKind == triage.SetKindKnownGood || m.Category.Ignorable():
			good = append(good, m)
		case m.Algo == triage.AlgoMD5 || m.Algo == triage.AlgoSHA1 || m.Algo == triage.AlgoSHA256:
			exact = append(exact, m)
		default:
			near = append(near, m)
		}
	}
	if len(exact) > 0 {
		return alsoKnownGood(triage.Decision{Verdict: triage.VerdictKnown, Category: exact[0].Category, Matches: exact,
			Reason: fmt.Sprintf("%s match in %s", exact[0].Algo, exact[0].Set)}, good)
	}
	if len(near) > 0 {
		sortNear(near)
		var reason string
		if !fp.Partial { // part of a cut-short picture: at most a variant
			certain, reason = r.certain(near)
		}
		if len(certain) > 0 {
			return alsoKnownGood(triage.Decision{Verdict: triage.VerdictKnown, Category: certain[0].Category, Matches: certain, Reason: reason}, good)
		}
		best := near[0]
		reason = fmt.Sprintf("%s in %s", describe(&best), best.Set)
		if n, at := stillsInVideo(near); n > 1 {
			reason = fmt.Sprintf("%d known images appear at %s (best: %s in %s)", n, at, describe(&best), best.Set)
		}
		if fp.Partial {
			reason += " (hashes of part of a cut-short picture: at most a variant)"
		}
		return alsoKnownGood(triage.Decision{Verdict: triage.VerdictVariant, Category: best.Category, Matches: near, Reason: reason}, good)
	}
	if len(good) > 0 {
		return triage.Decision{Verdict: triage.VerdictIgnorable, Category: good[0].Category, Matches: good,
			Reason: fmt.Sprintf("%s match in known-good set %s", good[0].Algo, good[0].Set)}
	}
	if fp.Err != nil {
		return triage.Decision{Verdict: triage.VerdictError, Reason: triage.ErrorMessage(fp.Err)}
	}
	minSide := r.MinSide
	if minSide == 0 {
		minSide = 50
	}
	if minSide > 0 && fp.Width > 0 && min(fp.Width, fp.Height) < minSide {
		return triage.Decision{Verdict: triage.VerdictIgnorable, Reason: fmt.Sprintf("image %dx%d is under %d px", fp.Width, fp.Height, minSide)}
	}
	return triage.Decision{Verdict: triage.VerdictNew, Reason: "no match"}
}

// alsoKnownGood records on an alert decision the exact matches among good
// that list the file as known-good.
func alsoKnownGood(d triage.Decision, good []triage.Match) triage.Decision {
	var sets []string
	for _, m := range good {
		if triage.AlgosCrypto.Has(m.Algo) {
			d.AlsoKnownGood = append(d.AlsoKnownGood, m)
			if !slices.Contains(sets, m.Set) {
				sets = append(sets, m.Set)
			}
		}
	}
	if len(sets) > 0 {
		d.Reason += "; also listed as known-good in " + strings.Join(sets, ", ")
	}
	return d
}

// certain returns the perceptual matches (sorted best first) that make the
// verdict known under their sets' rules, and why.
func (r *Rules) certain(near []triage.Match) ([]triage.Match, string) {
	for _, m := range near {
		if isVideoMatch(&m) || partial(&m) {
			// A video that shares frames with known material, or an image
			// a part of which is known, is a variant, never the same file.
			continue
		}
		sr := r.ForSet(m.Set)
		ar := sr.PDQ
		if m.Algo == triage.AlgoPHash {
			ar = sr.PHash
		}
		if ar.Certain >= 0 && m.Distance <= ar.Certain {
			return []triage.Match{m}, fmt.Sprintf("%s in %s (certain within %d)", describe(&m), m.Set, ar.Certain)
		}
	}
	// Agreement: PDQ and pHash both within their radii on one entry.
	type key struct {
		set   string
		entry int
	}
	byEntry := map[key][]triage.Match{}
	for _, m := range near {
		if m.Borderline || isVideoMatch(&m) || partial(&m) {
			continue
		}
		if sr := r.ForSet(m.Set); sr.agreeMakesKnown() {
			k := key{m.Set, m.Entry}
			byEntry[k] = append(byEntry[k], m)
		}
	}
	for _, m := range near { // in order, so the best entry wins
		ms := byEntry[key{m.Set, m.Entry}]
		var pdq, ph *triage.Match
		for i := range ms {
			switch ms[i].Algo {
			case triage.AlgoPDQ:
				pdq = &ms[i]
			case triage.AlgoPHash:
				ph = &ms[i]
			}
		}
		if pdq != nil && ph != nil {
			return []triage.Match{*pdq, *ph}, fmt.Sprintf("%s and %s agree in %s", describe(pdq), describe(ph), m.Set)
		}
	}
	return nil, ""
}

// sortNear orders perceptual matches best first: those that count on their
// own before borderline ones, then by distance as a share of the hash's
// bits.
func sortNear(ms []triage.Match) {
	slices.SortStableFunc(ms, func(a, b triage.Match) int {
		if a.Borderline != b.Borderline {
			if a.Borderline {
				return 1
			}
			return -1
		}
		return cmp.Compare(relDistance(&a), relDistance(&b))
	})
}

// stillsInVideo counts the stills found among a video's frames and lists
// the times they appear (ascending, at most MaxTimestamps).
func stillsInVideo(ms []triage.Match) (int, string) {
	n := 0
	var ts []float64
	for _, m := range ms {
		if m.Timestamps != nil {
			n++
			ts = append(ts, m.Timestamps...)
		}
	}
	slices.Sort(ts)
	ts = slices.Compact(ts)
	var at []string
	for _, t := range ts[:min(len(ts), triage.MaxTimestamps)] {
		at = append(at, clock(t))
	}
	return n, strings.Join(at, ", ")
}

// clock formats seconds as m:ss (h:mm:ss from an hour).
func clock(sec float64) string {
	t := int(sec)
	if t >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", t/3600, t/60%60, t%60)
	}
	return fmt.Sprintf("%d:%02d", t/60, t%60)
}

func relDistance(m *triage.Match) float64 {
	if m.Algo == triage.AlgoKeypoints {
		// After every hash match; more features first.
		return 2 - float64(m.Distance)/triage.MaxKeypoints
	}
	if m.Algo == triage.AlgoPHash {
		return float64(m.Distance) / 64
	}
	return float64(m.Distance) / 256
}

// isVideoMatch reports a match found through a video's frames.
func isVideoMatch(m *triage.Match) bool { return m.Algo == triage.AlgoVPDQ || m.Timestamps != nil }

// describe says how a perceptual match was found, e.g. "pdq distance 12
// (rot90, trimmed)", "vpdq: 96.3% of the video's frames match a video (it
// 84.0%)", "a known image (pdq distance 4) appears at 0:07, 0:31".
// partial reports whether m matched only part of the query (a tile, the
// picture between bands) or of the entry (a region).
func partial(m *triage.Match) bool {
	return m.View.Partial() || m.Region != 0 || m.Algo == triage.AlgoKeypoints
}

func describe(m *triage.Match) string {
	if m.Algo == triage.AlgoVPDQ {
		return fmt.Sprintf("vpdq: %.1f%% of the video's frames match a video (%.1f%% of its frames)", m.QueryPercent, m.TargetPercent)
	}
	if m.Timestamps != nil {
		var at []string
		for _, t := range m.Timestamps {
			at = append(at, clock(t))
		}
		return fmt.Sprintf("a known image (%s distance %d) appears at %s", m.Algo, m.Distance, strings.Join(at, ", "))
	}
	if m.Algo == triage.AlgoKeypoints {
		s := fmt.Sprintf("local features: %d keypoints agree with the known image's geometry", m.Distance)
		if m.Dihedral > 0 {
			s += " (" + triage.DihedralNames[m.Dihedral] + ")"
		}
		return s
	}
	s := fmt.Sprintf("%s distance %d", m.Algo, m.Distance)
	var how []string
	if m.Dihedral > 0 {
		how = append(how, triage.DihedralNames[m.Dihedral])
	}
	if m.View != "" {
		how = append(how, string(m.View))
	}
	if m.Region != 0 {
		how = append(how, "the known image's "+m.Region.String())
	}
	if m.Borderline {
		how = append(how, "borderline, confirmed by agreement")
	}
	if len(how) > 0 {
		s += " (" + strings.Join(how, ", ") + ")"
	}
	return s
}
