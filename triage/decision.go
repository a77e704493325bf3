package triage

import "fmt"

// Verdict is what triage decides about one item: whether a person must
// look at it, and why.
type Verdict string

// The verdicts, in the order reports list them.
const (
	// VerdictKnown: the item is known material (an exact digest match, or a
	// perceptual match the rules call certain) of an alert entry.
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
	// AlsoKnownGood are the exact (digest) matches on known-good entries of
	// an item whose verdict an alert match decided: the file is listed as
	// known-good too. The alert wins, but this is a conflict the examiner
	// must see (a mislabelled entry on one side or the other); Reason says
	// so as well.
	AlsoKnownGood []Match
}

func (d Decision) String() string { return fmt.Sprintf("%s (%s)", d.Verdict, d.Reason) }
