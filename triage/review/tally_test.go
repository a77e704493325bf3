package review

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/winnow-forensics/winnow/triage"
)

func vote(id int64, name, cat string, f triage.ReviewFlags, tags ...string) triage.Vote {
	return triage.Vote{ReviewerID: id, Reviewer: name, Category: triage.MustParseCategory(cat), Flags: f, Tags: tags,
		At: time.Date(2026, 1, 2, 3, 4, int(id), 0, time.UTC)}
}

func TestTally(t *testing.T) {
	lead := triage.ReviewFlags{VictimLead: true}
	age := triage.ReviewFlags{AgeDifficult: true}
	inA := func(v triage.Vote) triage.Vote { v.CaseID, v.Case = 1, "A"; return v }
	for _, tc := range []struct {
		name     string
		votes    []triage.Vote
		required int
		want     triage.Outcome
	}{
		{"no votes", nil, 1, triage.Outcome{Status: triage.MemberPending, Needed: 1}},
		{"required 0 counts as 1", nil, 0, triage.Outcome{Status: triage.MemberPending, Needed: 1}},
		{"one of one", []triage.Vote{inA(vote(1, "ann", "vic-us:1", lead, "bedroom"))}, 1, triage.Outcome{Status: triage.MemberConfirmed,
			Decision: triage.ReviewDecision{Category: triage.MustParseCategory("vic-us:1"), Reviewers: []string{"ann"},
				DecidedAt: time.Date(2026, 1, 2, 3, 4, 1, 0, time.UTC),
				Notes:     []triage.CaseNotes{{CaseID: 1, Case: "A", Flags: lead, Tags: []string{"bedroom"}}}}}},
		{"one of three", []triage.Vote{vote(1, "ann", "caid:A", lead)}, 3, triage.Outcome{Status: triage.MemberPending, Needed: 2}},
		{"two agree of three", []triage.Vote{vote(1, "ann", "caid:A", lead), vote(2, "bob", "caid:A", age)}, 3,
			triage.Outcome{Status: triage.MemberPending, Needed: 1}},
		{"three agree", []triage.Vote{inA(vote(1, "ann", "caid:A", lead, "x")), inA(vote(2, "bob", "caid:A", age, "y", "x")), vote(3, "cy", "caid:A", triage.ReviewFlags{})}, 3,
			triage.Outcome{Status: triage.MemberConfirmed, Decision: triage.ReviewDecision{Category: triage.MustParseCategory("caid:A"),
				Reviewers: []string{"ann", "bob", "cy"}, DecidedAt: time.Date(2026, 1, 2, 3, 4, 3, 0, time.UTC),
				Notes: []triage.CaseNotes{{CaseID: 1, Case: "A", Flags: triage.ReviewFlags{VictimLead: true, AgeDifficult: true}, Tags: []string{"x", "y"}}}}}},
		{"disagreement before the count is reached", []triage.Vote{vote(1, "ann", "caid:A", lead), vote(2, "bob", "caid:B", lead)}, 3,
			triage.Outcome{Status: triage.MemberAdjudication}},
		{"same reviewer twice counts once", []triage.Vote{vote(1, "ann", "caid:A", lead), vote(1, "ann", "caid:B", lead)}, 2,
			triage.Outcome{Status: triage.MemberPending, Needed: 1}},
	} {
		got := Tally(tc.votes, tc.required)
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

// TestNotesStayInTheirCase: free text is merged per case, and text without
// a case (or a case the reader may not see, left out by the store) never
// reaches another case's notes.
func TestNotesStayInTheirCase(t *testing.T) {
	a, b, c := vote(1, "ann", "vic-us:2", triage.ReviewFlags{}), vote(2, "bob", "vic-us:2", triage.ReviewFlags{VictimLead: true}), vote(3, "cy", "vic-us:2", triage.ReviewFlags{})
	a.CaseID, a.Case, a.Notes = 1, "A", "informant 7"
	b.CaseID, b.Case, b.Series = 2, "B", "room-series"
	c.CaseID, c.Case, c.Notes = 1, "A", "same room"
	noCase := vote(4, "dee", "vic-us:2", triage.ReviewFlags{})
	noCase.Notes = "orphan text"
	got := NotesByCase([]triage.Vote{a, b, noCase, c})
	want := []triage.CaseNotes{{CaseID: 1, Case: "A", Notes: "informant 7\n---\nsame room"}, {CaseID: 2, Case: "B", Series: "room-series", Flags: triage.ReviewFlags{VictimLead: true}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if d := Tally([]triage.Vote{a, b}, 2).Decision; len(d.Notes) != 2 || d.Category.String() != "vic-us:2" {
		t.Errorf("tally: %+v", d)
	}
}

func TestAdjudicate(t *testing.T) {
	votes := []triage.Vote{vote(1, "ann", "caid:A", triage.ReviewFlags{}), vote(2, "bob", "caid:B", triage.ReviewFlags{})}
	by := vote(9, "judge", "caid:B", triage.ReviewFlags{OffenderVisible: true})
	by.CaseID, by.Case = 5, "E"
	got := Adjudicate(votes, by)
	want := triage.ReviewDecision{Category: triage.MustParseCategory("caid:B"), Reviewers: []string{"ann", "bob"}, Adjudicator: "judge", DecidedAt: by.At,
		Notes: []triage.CaseNotes{{CaseID: 5, Case: "E", Flags: triage.ReviewFlags{OffenderVisible: true}}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
