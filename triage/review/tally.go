package review

import (
	"slices"

	"github.com/winnow-forensics/winnow/triage"
)

// NotesByCase merges the free text of votes per case, in the order the
// cases first appear: the union of flags and tags, the first non-empty
// series, and the notes joined in vote order. Votes without text, or
// without a case, add nothing: free text never leaves its case.
func NotesByCase(votes []triage.Vote) []triage.CaseNotes {
	var out []triage.CaseNotes
	for _, v := range votes {
		if v.CaseID == 0 || !v.HasText() {
			continue
		}
		k := slices.IndexFunc(out, func(n triage.CaseNotes) bool { return n.CaseID == v.CaseID })
		if k < 0 {
			k = len(out)
			out = append(out, triage.CaseNotes{CaseID: v.CaseID, Case: v.Case})
		}
		n := &out[k]
		n.Flags = n.Flags.Or(v.Flags)
		for _, t := range v.Tags {
			if !slices.Contains(n.Tags, t) {
				n.Tags = append(n.Tags, t)
			}
		}
		if n.Series == "" {
			n.Series = v.Series
		}
		if v.Notes != "" {
			if n.Notes != "" {
				n.Notes += "\n---\n"
			}
			n.Notes += v.Notes
		}
	}
	return out
}

// Tally adds up a member's votes when required independent votes are
// needed to confirm it (required < 1 counts as 1). Any two votes with
// different categories send the member to adjudication at once (waiting
// for more votes cannot make them agree). When required votes agree, the
// member is confirmed with the category they agree on; their free text
// is merged per case (NotesByCase). Votes of the same reviewer beyond the
// first are ignored (the store refuses them anyway). No votes at all
// leave the member pending, as after every vote on it was undone.
func Tally(votes []triage.Vote, required int) triage.Outcome {
	required = max(required, 1)
	seen := map[int64]bool{}
	var vs []triage.Vote
	for _, v := range votes {
		if !seen[v.ReviewerID] {
			seen[v.ReviewerID] = true
			vs = append(vs, v)
		}
	}
	for _, v := range vs[min(1, len(vs)):] {
		if v.Category != vs[0].Category {
			return triage.Outcome{Status: triage.MemberAdjudication}
		}
	}
	if len(vs) < required {
		return triage.Outcome{Status: triage.MemberPending, Needed: required - len(vs)}
	}
	d := triage.ReviewDecision{Category: vs[0].Category, SHA256: vs[0].SHA256, Notes: NotesByCase(vs)}
	for _, v := range vs {
		d.Reviewers = append(d.Reviewers, v.Reviewer)
		d.DecidedAt = v.At
	}
	return triage.Outcome{Status: triage.MemberConfirmed, Decision: d}
}

// Adjudicate is the decision of an adjudicator on a member whose votes
// disagree: the adjudicator's vote decides the category; the reviewers
// who voted are kept in the provenance, and the free text of every vote,
// the adjudicator's included, stays with its case.
func Adjudicate(votes []triage.Vote, by triage.Vote) triage.ReviewDecision {
	d := triage.ReviewDecision{SHA256: by.SHA256, Category: by.Category, Adjudicator: by.Reviewer, DecidedAt: by.At,
		Notes: NotesByCase(append(slices.Clone(votes), by))}
	for _, v := range votes {
		if !slices.Contains(d.Reviewers, v.Reviewer) {
			d.Reviewers = append(d.Reviewers, v.Reviewer)
		}
	}
	return d
}
