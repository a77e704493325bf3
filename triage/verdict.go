package triage

import "fmt"

// Verdict is what triage decides about one item: whether a person must
// look at it, and why.
type Verdict string

// The verdicts, in the order reports list them.
const (
	// VerdictKnown: the item is known material (an exact digest match, or a
	// perceptual match the rules call certain) of an alert set.
	VerdictKnown Verdict = "known"
	// VerdictVariant: the item is near known material but not certainly
	// the same; a reviewer confirms it.
	VerdictVariant Verdict = "variant"
	// VerdictIgnorable: known-benign (a known-good set such as NSRL, or a
	// category marked ignorable), or an image too small to matter.
	VerdictIgnorable Verdict = "ignorable"
	// VerdictNew: nothing known matched; the material a reviewer must see.
	VerdictNew Verdict = "new"
	// VerdictError: the item could not be analysed (unreadable, malformed,
	// over a limit). Its digests may still be valid.
	VerdictError Verdict = "error"
)

// Verdicts lists every verdict in report order.
var Verdicts = []Verdict{VerdictKnown, VerdictVariant, VerdictIgnorable, VerdictNew, VerdictError}

// ParseVerdict parses a verdict name.
func ParseVerdict(s string) (Verdict, error) {
	for _, v := range Verdicts {
		if string(v) == s {
			return v, nil
		}
	}
	return "", Errorf(EINVALID, "unknown verdict %q (want known, variant, ignorable, new or error)", s)
}

// String returns the verdict's name.
func (v Verdict) String() string { return string(v) }

// Decision is a verdict with what it rests on.
type Decision struct {
	Verdict Verdict
	// Category is the category of the match the verdict rests on (zero
	// when none, or when the matches disagree and none is certain).
	Category Category
	// Matches are the matches the verdict rests on, best first.
	Matches []Match
	// Reason says in a few words why, for reports ("md5 match in set X",
	// "pdq distance 12 and phash distance 4").
	Reason string
}

func (d Decision) String() string { return fmt.Sprintf("%s (%s)", d.Verdict, d.Reason) }

// Rules decide a verdict from a fingerprint and its matches.
type Rules struct {
	// MinSide: decoded images whose shorter side is under this many pixels
	// are ignorable (icons, spacers, tracking pixels). 0 means 50; -1 turns
	// the rule off.
	MinSide int
}

// DefaultRules returns the rules used when nothing is configured.
func DefaultRules() Rules { return Rules{MinSide: 50} }

// Decide returns the verdict for fp given the matches the Matcher found
// for it. An exact digest match in an alert set is known; a match in a
// known-good set, or on an ignorable category, is ignorable; a perceptual
// match alone is a variant; an item with an error and no match is an error.
func (r Rules) Decide(fp *Fingerprint, ms []Match) Decision {
	var exact, near, good []Match
	for _, m := range ms {
		switch {
		case m.SetKind == KindKnownGood || m.Category.Ignorable():
			good = append(good, m)
		case m.Algo == AlgoMD5 || m.Algo == AlgoSHA1 || m.Algo == AlgoSHA256:
			exact = append(exact, m)
		default:
			near = append(near, m)
		}
	}
	switch {
	case len(exact) > 0:
		return Decision{Verdict: VerdictKnown, Category: exact[0].Category, Matches: exact,
			Reason: fmt.Sprintf("%s match in %s", exact[0].Algo, exact[0].Set)}
	case len(near) > 0:
		best := near[0]
		for _, m := range near[1:] {
			if m.Distance < best.Distance {
				best = m
			}
		}
		return Decision{Verdict: VerdictVariant, Category: best.Category, Matches: near,
			Reason: fmt.Sprintf("%s distance %d in %s", best.Algo, best.Distance, best.Set)}
	case len(good) > 0:
		return Decision{Verdict: VerdictIgnorable, Category: good[0].Category, Matches: good,
			Reason: fmt.Sprintf("%s match in known-good set %s", good[0].Algo, good[0].Set)}
	case fp.Err != nil:
		return Decision{Verdict: VerdictError, Reason: ErrorMessage(fp.Err)}
	}
	minSide := r.MinSide
	if minSide == 0 {
		minSide = 50
	}
	if minSide > 0 && fp.Width > 0 && min(fp.Width, fp.Height) < minSide {
		return Decision{Verdict: VerdictIgnorable, Reason: fmt.Sprintf("image %dx%d is under %d px", fp.Width, fp.Height, minSide)}
	}
	return Decision{Verdict: VerdictNew, Reason: "no match"}
}
