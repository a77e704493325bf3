package review

import (
	"slices"
	"strings"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

// Admission is how a finished item enters the review queue: its lane, the
// category a variant's match suggests, and the facts of its content that
// the group's priority and the device links rest on.
type Admission struct {
	Lane triage.Lane
	// Suggested is the category of the match a variant rests on (zero for
	// new material).
	Suggested triage.Category
	// CameraOriginal, GPS and Captured are what the priority score reads
	// from the EXIF summary (triage.EXIFFeatures).
	CameraOriginal bool
	GPS            bool
	Captured       time.Time
	// Make, Model and Serial name the camera (the serial from
	// SerialNumber, else InternalSerialNumber); Device is its key
	// (triage.DeviceKey).
	Make, Model, Serial, Device string
}

// Admit decides whether a finished item enters review: only new and
// variant images and videos do (known material is known, ignorable and
// failed items need no person, and other kinds have nothing to look at).
// New material waits in the new lane; a variant in the variant lane, with
// the category of the match it rests on suggested.
func Admit(verdict triage.Verdict, r triage.ItemResult) (Admission, bool) {
	fp := r.Fingerprint
	if fp == nil || (verdict != triage.VerdictNew && verdict != triage.VerdictVariant) ||
		(fp.Type.Kind != triage.KindImage && fp.Type.Kind != triage.KindVideo) {
		return Admission{}, false
	}
	a := Admission{Lane: triage.LaneNew, Make: r.EXIF["Make"], Model: r.EXIF["Model"], Device: triage.DeviceKey(r.EXIF)}
	if verdict == triage.VerdictVariant {
		a.Lane, a.Suggested = triage.LaneVariant, r.Decision.Category
	}
	a.CameraOriginal, a.GPS, a.Captured = triage.EXIFFeatures(r.EXIF)
	if a.Serial = r.EXIF["SerialNumber"]; a.Serial == "" {
		a.Serial = r.EXIF["InternalSerialNumber"]
	}
	return a, true
}

// SortPath is the path a member sorts by in the workspace: the item's
// path, and the path inside its container after a slash.
func SortPath(path, innerPath string) string {
	if innerPath != "" {
		return path + "/" + innerPath
	}
	return path
}

// Merge decides where new content goes when it links to members of
// groups (the ids of their groups, any order): into the oldest of them
// (the lowest id), the others merging into it. No groups: a new group
// (target 0).
func Merge(groups []int64) (target int64, others []int64) {
	if len(groups) == 0 {
		return 0, nil
	}
	gs := slices.Clone(groups)
	slices.Sort(gs)
	gs = slices.Compact(gs)
	return gs[0], gs[1:]
}

// Lanes lists the lanes a group is in for a viewer, in queue order: new
// and variant while members of that lane wait for the viewer's vote
// (pendingNew, pendingVariant), adjudication while members are in
// adjudication and the viewer is an adjudicator.
func Lanes(pendingNew, pendingVariant, adjudication int, adjudicator bool) []triage.Lane {
	ls := []triage.Lane{}
	if pendingNew > 0 {
		ls = append(ls, triage.LaneNew)
	}
	if pendingVariant > 0 {
		ls = append(ls, triage.LaneVariant)
	}
	if adjudication > 0 && adjudicator {
		ls = append(ls, triage.LaneAdjudication)
	}
	return ls
}

// DefaultClaimLease is the lease of a claim taken with a decision when the
// request names none.
const DefaultClaimLease = 10 * time.Minute

// ClaimState is a group's claim as stored.
type ClaimState struct {
	ClaimedBy int64     // 0: never claimed or released
	Until     time.Time // when the lease runs out
	Since     time.Time // when the holder's claim began
	Merged    bool      // the group was merged into another
}

// HoldAction is what a decision or an undo on a group may do.
type HoldAction int

// Hold actions.
const (
	// Holding: the viewer holds the group (since ClaimState.Since).
	Holding HoldAction = iota
	// ClaimNow: no one holds the group and the viewer asked to claim it.
	ClaimNow
	// HeldByOther: another reviewer holds it (triage.ErrGroupClaimed).
	HeldByOther
	// NotHeld: the viewer does not hold it (never claimed, released, the
	// lease ran out, or the group was merged away) and did not ask to
	// claim it, or cannot.
	NotHeld
)

// Hold decides whether viewer may act on a group with claim state s at
// now. Only the holder of a live lease acts on a group; with claim, a
// group no one holds is claimed first. A merged-away group is held by no
// one: its members went to the group it merged into.
func Hold(s ClaimState, viewer int64, claim bool, now time.Time) HoldAction {
	held := s.ClaimedBy != 0 && s.Until.After(now)
	switch {
	case s.Merged:
		return NotHeld
	case held && s.ClaimedBy == viewer && !s.Since.IsZero():
		return Holding
	case !held && claim:
		return ClaimNow
	case held && claim:
		return HeldByOther
	}
	return NotHeld
}

// Member is a member of a group as a decision sees it.
type Member struct {
	ID     int64
	SHA256 triage.SHA256
	Status triage.MemberStatus
	// Voted: the deciding reviewer has voted on it.
	Voted bool
}

// Waits reports whether m waits for a decision: for an adjudication when
// it is in adjudication, for a vote when it is pending and the reviewer
// has not voted on it.
func (m Member) Waits(adjudicate bool) bool {
	if adjudicate {
		return m.Status == triage.MemberAdjudication
	}
	return m.Status == triage.MemberPending && !m.Voted
}

// Choose returns the members of group groupID (all, those the reviewer
// may see) that a decision covers: those named (ENOTFOUND for a content
// that is not among them), or with named nil every member waiting for
// the decision (Member.Waits). ECONFLICT when that leaves nothing.
// Whether each named member may be decided is Decidable's answer.
func Choose(all []Member, named []triage.SHA256, adjudicate bool, groupID int64) ([]Member, error) {
	var chosen []Member
	if named == nil {
		for _, m := range all {
			if m.Waits(adjudicate) {
				chosen = append(chosen, m)
			}
		}
	} else {
		var err error
		if chosen, err = Pick(all, named, groupID); err != nil {
			return nil, err
		}
	}
	if len(chosen) == 0 {
		return nil, triage.Errorf(triage.ECONFLICT, "nothing in review group %d is waiting for this decision", groupID)
	}
	return chosen, nil
}

// Pick returns the members of all named by sums, in the order named;
// ENOTFOUND for a content that is not among them.
func Pick(all []Member, sums []triage.SHA256, groupID int64) ([]Member, error) {
	var out []Member
	for _, sum := range sums {
		k := slices.IndexFunc(all, func(m Member) bool { return m.SHA256 == sum })
		if k < 0 {
			return nil, triage.Errorf(triage.ENOTFOUND, "content %s is not a member of review group %d that you may see", sum, groupID)
		}
		out = append(out, all[k])
	}
	return out, nil
}

// CanDecide reports whether viewer v may make a decision: anyone with the
// review permission votes, only adjudicators (and administrators)
// adjudicate (EFORBIDDEN).
func CanDecide(v triage.Viewer, adjudicate bool) error {
	if adjudicate && !v.Adjudicator {
		return triage.Errorf(triage.EFORBIDDEN, "only adjudicators and administrators resolve disagreements")
	}
	return nil
}

// Decidable reports whether member m may be decided (ECONFLICT if not):
// an adjudication decides members in adjudication, a vote pending ones;
// a confirmed decision changes only by an overturn.
func Decidable(m Member, adjudicate bool) error {
	switch {
	case adjudicate && m.Status != triage.MemberAdjudication:
		return triage.Errorf(triage.ECONFLICT, "content %s is %s, not in adjudication", m.SHA256, m.Status)
	case !adjudicate && m.Status != triage.MemberPending:
		return triage.Errorf(triage.ECONFLICT, "content %s is already %s: an adjudicator can overturn a confirmed decision", m.SHA256, m.Status)
	}
	return nil
}

// CaseRef names a case.
type CaseRef struct {
	ID   int64
	Name string
}

// TextCase decides which case a vote's free text on content sum belongs
// to, among the cases holding the content's items that the reviewer may
// see (cases, by name): the case named, which must be one of them
// (EINVALID otherwise), or, when none is named, the only one. Content in
// several cases needs the case named (EINVALID): notes belong to the
// case they are written in.
func TextCase(cases []CaseRef, named string, sum triage.SHA256) (CaseRef, error) {
	var names []string
	for _, c := range cases {
		if named != "" && c.Name == named {
			return c, nil
		}
		names = append(names, c.Name)
	}
	switch {
	case named != "":
		return CaseRef{}, triage.Errorf(triage.EINVALID, "content %s has no item in case %q that you may see: notes belong to the case they are written in", sum, named)
	case len(cases) == 1:
		return cases[0], nil
	}
	return CaseRef{}, triage.Errorf(triage.EINVALID, "content %s is in cases %s: say which case the series, flags, tags and notes belong to (\"case\")",
		sum, strings.Join(names, ", "))
}

// Count is what a member's votes add up to once a decision is recorded:
// an adjudication (by, when adjudicate) confirms the member with the
// adjudicator's category (Adjudicate); a vote is tallied with the
// others (votes, the reviewers' votes including it: Tally).
func Count(votes []triage.Vote, by triage.Vote, adjudicate bool, required int) triage.Outcome {
	if adjudicate {
		return triage.Outcome{Status: triage.MemberConfirmed, Decision: Adjudicate(votes, by)}
	}
	return Tally(votes, required)
}

// Undoable reports whether a decision cast at at can be undone by its
// reviewer, whose claim on the group began at since: only decisions made
// under the current claim are.
func Undoable(at, since time.Time) bool { return !at.Before(since) }

// Undone is what undoing a reviewer's decision on a member leaves.
type Undone struct {
	Outcome triage.Outcome
	// Withdraw: the member's recorded decision no longer holds; it is
	// deleted and its local-set entry withdrawn.
	Withdraw bool
}

// AfterUndo decides a member's state once a reviewer's decision on it is
// undone. rest are the reviewers' votes that remain; decided tells
// whether a decision is recorded and adjudicator who made it ("" for a
// tally). An undone adjudication sends the member back to adjudication;
// an undone vote leaves what the remaining votes add up to, unless an
// adjudicator decided since the vote (ECONFLICT: the adjudicator must
// overturn it). A recorded decision that no longer holds is withdrawn.
func AfterUndo(sum triage.SHA256, adjudication bool, rest []triage.Vote, required int, decided bool, adjudicator string) (Undone, error) {
	o := Tally(rest, required)
	u := Undone{Outcome: triage.Outcome{Status: triage.MemberAdjudication, Needed: o.Needed}}
	if !adjudication {
		if decided && adjudicator != "" {
			return Undone{}, triage.Errorf(triage.ECONFLICT, "content %s was decided by adjudicator %s since your vote: ask them to overturn it", sum, adjudicator)
		}
		u.Outcome = o
	}
	u.Withdraw = decided && u.Outcome.Status != triage.MemberConfirmed
	return u, nil
}

// CheckOverturn reports an overturn that cannot be made before anything
// is read: only adjudicators (and administrators) overturn (EFORBIDDEN),
// with a new category and a reason (EINVALID).
func CheckOverturn(v triage.Viewer, to triage.Category, reason string) error {
	switch {
	case !v.Adjudicator:
		return triage.Errorf(triage.EFORBIDDEN, "only adjudicators and administrators overturn decisions")
	case to.IsZero():
		return triage.Errorf(triage.EINVALID, "an overturn needs the new category")
	}
	return triage.ValidateReason(reason)
}

// CanOverturn reports whether the decision on content sum (its member's
// status, whether a decision is recorded and its category) may be
// overturned to category to (ECONFLICT if not): only a confirmed
// decision, and only to another category.
func CanOverturn(sum triage.SHA256, status triage.MemberStatus, decided bool, current, to triage.Category) error {
	switch {
	case status != triage.MemberConfirmed || !decided:
		return triage.Errorf(triage.ECONFLICT, "content %s is %s: only a confirmed decision can be overturned", sum, status)
	case current == to:
		return triage.Errorf(triage.ECONFLICT, "content %s is already %s", sum, to)
	}
	return nil
}
