package review

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/winnow-forensics/winnow/triage"
)

func sum(b byte) triage.SHA256 { return triage.SHA256{b} }

func TestAdmit(t *testing.T) {
	image := &triage.Fingerprint{Type: triage.MediaType{Kind: triage.KindImage}}
	video := &triage.Fingerprint{Type: triage.MediaType{Kind: triage.KindVideo}}
	doc := &triage.Fingerprint{Type: triage.MediaType{Kind: triage.KindDocument}}
	cat := triage.MustParseCategory("vic-us:2")
	canon := map[string]string{"Make": "Canon", "Model": "EOS 5D", "InternalSerialNumber": "0123456789",
		"GPSLatitude": "1", "GPSLongitude": "2", "DateTimeOriginal": "2020:01:02 03:04:05"}
	for _, tc := range []struct {
		name    string
		verdict triage.Verdict
		r       triage.ItemResult
		want    Admission
		ok      bool
	}{
		{"new image", triage.VerdictNew, triage.ItemResult{Fingerprint: image}, Admission{Lane: triage.LaneNew}, true},
		{"new video", triage.VerdictNew, triage.ItemResult{Fingerprint: video}, Admission{Lane: triage.LaneNew}, true},
		{"variant suggests its match's category", triage.VerdictVariant,
			triage.ItemResult{Fingerprint: image, Decision: triage.Decision{Verdict: triage.VerdictVariant, Category: cat}},
			Admission{Lane: triage.LaneVariant, Suggested: cat}, true},
		{"new ignores a category", triage.VerdictNew,
			triage.ItemResult{Fingerprint: image, Decision: triage.Decision{Category: cat}}, Admission{Lane: triage.LaneNew}, true},
		{"camera facts", triage.VerdictNew, triage.ItemResult{Fingerprint: image, EXIF: canon},
			Admission{Lane: triage.LaneNew, CameraOriginal: true, GPS: true, Captured: time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC),
				Make: "Canon", Model: "EOS 5D", Serial: "0123456789", Device: "serial:canon/0123456789"}, true},
		{"SerialNumber before InternalSerialNumber", triage.VerdictNew,
			triage.ItemResult{Fingerprint: image, EXIF: map[string]string{"Make": "Nikon", "SerialNumber": "42", "InternalSerialNumber": "7"}},
			Admission{Lane: triage.LaneNew, Make: "Nikon", Serial: "42", Device: "serial:nikon/42"}, true},
		{"known stays out", triage.VerdictKnown, triage.ItemResult{Fingerprint: image}, Admission{}, false},
		{"ignorable stays out", triage.VerdictIgnorable, triage.ItemResult{Fingerprint: image}, Admission{}, false},
		{"error stays out", triage.VerdictError, triage.ItemResult{Fingerprint: image}, Admission{}, false},
		{"a document stays out", triage.VerdictNew, triage.ItemResult{Fingerprint: doc}, Admission{}, false},
		{"no fingerprint", triage.VerdictNew, triage.ItemResult{}, Admission{}, false},
	} {
		got, ok := Admit(tc.verdict, tc.r)
		if ok != tc.ok {
			t.Errorf("%s: admitted %v, want %v", tc.name, ok, tc.ok)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestSortPath(t *testing.T) {
	if got := SortPath("a/b.zip", "c/d.jpg"); got != "a/b.zip/c/d.jpg" {
		t.Errorf("member of an archive: %q", got)
	}
	if got := SortPath("a/b.jpg", ""); got != "a/b.jpg" {
		t.Errorf("file: %q", got)
	}
}

func TestMerge(t *testing.T) {
	for _, tc := range []struct {
		groups     []int64
		wantTarget int64
		wantOthers []int64
	}{
		{nil, 0, nil},
		{[]int64{7}, 7, []int64{}},
		{[]int64{9, 3, 5}, 3, []int64{5, 9}},
		{[]int64{4, 4, 2}, 2, []int64{4}},
	} {
		target, others := Merge(tc.groups)
		if target != tc.wantTarget || !cmp.Equal(others, tc.wantOthers, cmpopts.EquateEmpty()) {
			t.Errorf("Merge(%v) = %d, %v; want %d, %v", tc.groups, target, others, tc.wantTarget, tc.wantOthers)
		}
	}
	in := []int64{9, 3}
	Merge(in)
	if in[0] != 9 {
		t.Error("Merge sorted its argument")
	}
}

func TestLanes(t *testing.T) {
	for _, tc := range []struct {
		name               string
		nw, variant, adjud int
		adjudicator        bool
		want               []triage.Lane
	}{
		{"nothing waits", 0, 0, 0, true, []triage.Lane{}},
		{"new", 2, 0, 0, false, []triage.Lane{triage.LaneNew}},
		{"both, queue order", 1, 1, 0, false, []triage.Lane{triage.LaneNew, triage.LaneVariant}},
		{"adjudication hidden from a reviewer", 0, 0, 3, false, []triage.Lane{}},
		{"adjudication for an adjudicator", 0, 1, 3, true, []triage.Lane{triage.LaneVariant, triage.LaneAdjudication}},
	} {
		got := Lanes(tc.nw, tc.variant, tc.adjud, tc.adjudicator)
		if !cmp.Equal(got, tc.want) || got == nil {
			t.Errorf("%s: %v, want %v (never nil: it is encoded as a list)", tc.name, got, tc.want)
		}
	}
}

func TestHold(t *testing.T) {
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	live := ClaimState{ClaimedBy: 1, Until: now.Add(time.Minute), Since: now.Add(-time.Minute)}
	expired := ClaimState{ClaimedBy: 1, Until: now, Since: now.Add(-time.Hour)}
	merged := live
	merged.Merged = true
	for _, tc := range []struct {
		name   string
		s      ClaimState
		viewer int64
		claim  bool
		want   HoldAction
	}{
		{"holder", live, 1, false, Holding},
		{"holder asking to claim", live, 1, true, Holding},
		{"another reviewer", live, 2, false, NotHeld},
		{"another reviewer asking to claim", live, 2, true, HeldByOther},
		{"unclaimed", ClaimState{}, 2, false, NotHeld},
		{"unclaimed, claim", ClaimState{}, 2, true, ClaimNow},
		{"lease ran out (at the instant)", expired, 1, false, NotHeld},
		{"lease ran out, claim", expired, 2, true, ClaimNow},
		{"merged away", merged, 1, false, NotHeld},
		{"merged away, claim", merged, 1, true, NotHeld},
	} {
		if got := Hold(tc.s, tc.viewer, tc.claim, now); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestChoose(t *testing.T) {
	pend := Member{ID: 1, SHA256: sum(1), Status: triage.MemberPending}
	voted := Member{ID: 2, SHA256: sum(2), Status: triage.MemberPending, Voted: true}
	adj := Member{ID: 3, SHA256: sum(3), Status: triage.MemberAdjudication}
	done := Member{ID: 4, SHA256: sum(4), Status: triage.MemberConfirmed}
	all := []Member{pend, voted, adj, done}
	for _, tc := range []struct {
		name       string
		all        []Member
		named      []triage.SHA256
		adjudicate bool
		want       []Member
		code       string
	}{
		{"a vote covers what waits for the reviewer", all, nil, false, []Member{pend}, ""},
		{"an adjudication covers what is in adjudication", all, nil, true, []Member{adj}, ""},
		{"named, in the order named", all, []triage.SHA256{sum(4), sum(1)}, false, []Member{done, pend}, ""},
		{"named but not a member", all, []triage.SHA256{sum(1), sum(9)}, false, nil, triage.ENOTFOUND},
		{"nothing waits", []Member{voted, done}, nil, false, nil, triage.ECONFLICT},
		{"nothing in adjudication", []Member{pend}, nil, true, nil, triage.ECONFLICT},
		{"named none", all, []triage.SHA256{}, false, nil, triage.ECONFLICT},
	} {
		got, err := Choose(tc.all, tc.named, tc.adjudicate, 5)
		if code := triage.ErrorCode(err); err != nil && code != tc.code || err == nil && tc.code != "" {
			t.Errorf("%s: error %v, want code %q", tc.name, err, tc.code)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestDecidable(t *testing.T) {
	for _, tc := range []struct {
		status     triage.MemberStatus
		adjudicate bool
		ok         bool
	}{
		{triage.MemberPending, false, true},
		{triage.MemberAdjudication, false, false},
		{triage.MemberConfirmed, false, false},
		{triage.MemberAdjudication, true, true},
		{triage.MemberPending, true, false},
		{triage.MemberConfirmed, true, false},
	} {
		err := Decidable(Member{SHA256: sum(1), Status: tc.status}, tc.adjudicate)
		if (err == nil) != tc.ok || err != nil && triage.ErrorCode(err) != triage.ECONFLICT {
			t.Errorf("%s, adjudicate %v: %v, want ok=%v", tc.status, tc.adjudicate, err, tc.ok)
		}
	}
}

func TestCanDecide(t *testing.T) {
	reviewer, adjudicator := triage.Viewer{UserID: 1}, triage.Viewer{UserID: 2, Adjudicator: true}
	if CanDecide(reviewer, false) != nil || CanDecide(adjudicator, true) != nil || CanDecide(adjudicator, false) != nil {
		t.Error("a permitted decision refused")
	}
	if err := CanDecide(reviewer, true); triage.ErrorCode(err) != triage.EFORBIDDEN {
		t.Errorf("a reviewer adjudicating: %v, want EFORBIDDEN", err)
	}
}

func TestTextCase(t *testing.T) {
	a, b := CaseRef{1, "A"}, CaseRef{2, "B"}
	for _, tc := range []struct {
		name  string
		cases []CaseRef
		named string
		want  CaseRef
		bad   bool
	}{
		{"one case, unnamed", []CaseRef{a}, "", a, false},
		{"one case, named", []CaseRef{a}, "A", a, false},
		{"two cases, named", []CaseRef{a, b}, "B", b, false},
		{"two cases, unnamed", []CaseRef{a, b}, "", CaseRef{}, true},
		{"named a case the member is not in", []CaseRef{a}, "B", CaseRef{}, true},
		{"no visible case", nil, "", CaseRef{}, true},
	} {
		got, err := TextCase(tc.cases, tc.named, sum(1))
		if got != tc.want || (err != nil) != tc.bad || err != nil && triage.ErrorCode(err) != triage.EINVALID {
			t.Errorf("%s: %v, %v; want %v, bad=%v", tc.name, got, err, tc.want, tc.bad)
		}
	}
}

func TestCount(t *testing.T) {
	a, b := vote(1, "ann", "caid:A", triage.ReviewFlags{}), vote(2, "bob", "caid:B", triage.ReviewFlags{})
	judge := vote(9, "judge", "caid:B", triage.ReviewFlags{})
	if got := Count([]triage.Vote{a, b}, judge, true, 2); got.Status != triage.MemberConfirmed ||
		got.Decision.Adjudicator != "judge" || got.Decision.Category != judge.Category {
		t.Errorf("adjudication: %+v", got)
	}
	if got := Count([]triage.Vote{a, b}, b, false, 2); got.Status != triage.MemberAdjudication {
		t.Errorf("disagreeing votes: %+v", got)
	}
	if got := Count([]triage.Vote{a}, a, false, 2); got.Status != triage.MemberPending || got.Needed != 1 {
		t.Errorf("one of two: %+v", got)
	}
}

func TestUndoable(t *testing.T) {
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if !Undoable(since, since) || !Undoable(since.Add(time.Second), since) || Undoable(since.Add(-time.Second), since) {
		t.Error("only decisions made since the claim began are undoable")
	}
}

func TestAfterUndo(t *testing.T) {
	a, a2, b := vote(1, "ann", "caid:A", triage.ReviewFlags{}), vote(2, "bob", "caid:A", triage.ReviewFlags{}), vote(3, "cy", "caid:B", triage.ReviewFlags{})
	for _, tc := range []struct {
		name         string
		adjudication bool
		rest         []triage.Vote
		required     int
		decided      bool
		adjudicator  string
		want         triage.MemberStatus
		needed       int
		withdraw     bool
		conflict     bool
	}{
		{"the only vote, undecided", false, nil, 1, false, "", triage.MemberPending, 1, false, false},
		{"the confirming vote", false, []triage.Vote{a}, 2, true, "", triage.MemberPending, 1, true, false},
		{"a vote beyond the count keeps the decision", false, []triage.Vote{a, a2}, 2, true, "", triage.MemberConfirmed, 0, false, false},
		{"the disagreeing vote", false, []triage.Vote{a}, 2, false, "", triage.MemberPending, 1, false, false},
		{"still disagreeing", false, []triage.Vote{a, b}, 3, false, "", triage.MemberAdjudication, 0, false, false},
		{"a vote an adjudicator decided over", false, []triage.Vote{a}, 2, true, "judge", "", 0, false, true},
		{"the adjudication", true, []triage.Vote{a, b}, 2, true, "judge", triage.MemberAdjudication, 0, true, false},
		{"an adjudication not yet recorded", true, []triage.Vote{a, b}, 2, false, "", triage.MemberAdjudication, 0, false, false},
	} {
		got, err := AfterUndo(sum(1), tc.adjudication, tc.rest, tc.required, tc.decided, tc.adjudicator)
		if tc.conflict {
			if triage.ErrorCode(err) != triage.ECONFLICT {
				t.Errorf("%s: %v, want ECONFLICT", tc.name, err)
			}
			continue
		}
		if err != nil || got.Outcome.Status != tc.want || got.Outcome.Needed != tc.needed || got.Withdraw != tc.withdraw {
			t.Errorf("%s: %+v, %v; want %s needing %d, withdraw %v", tc.name, got, err, tc.want, tc.needed, tc.withdraw)
		}
	}
}

func TestOverturn(t *testing.T) {
	adj, rev := triage.Viewer{Adjudicator: true}, triage.Viewer{}
	a, b := triage.MustParseCategory("caid:A"), triage.MustParseCategory("caid:B")
	for _, tc := range []struct {
		name   string
		v      triage.Viewer
		to     triage.Category
		reason string
		code   string
	}{
		{"fine", adj, b, "mislabelled", ""},
		{"a reviewer", rev, b, "mislabelled", triage.EFORBIDDEN},
		{"no category", adj, triage.Category{}, "mislabelled", triage.EINVALID},
		{"no reason", adj, b, "  ", triage.EINVALID},
	} {
		if err := CheckOverturn(tc.v, tc.to, tc.reason); triage.ErrorCode(err) != tc.code && !(err == nil && tc.code == "") {
			t.Errorf("CheckOverturn %s: %v, want %q", tc.name, err, tc.code)
		}
	}
	for _, tc := range []struct {
		name    string
		status  triage.MemberStatus
		decided bool
		cur, to triage.Category
		ok      bool
	}{
		{"confirmed, another category", triage.MemberConfirmed, true, a, b, true},
		{"confirmed, same category", triage.MemberConfirmed, true, a, a, false},
		{"pending", triage.MemberPending, false, triage.Category{}, b, false},
		{"adjudication", triage.MemberAdjudication, false, triage.Category{}, b, false},
		{"confirmed without a recorded decision", triage.MemberConfirmed, false, triage.Category{}, b, false},
	} {
		err := CanOverturn(sum(1), tc.status, tc.decided, tc.cur, tc.to)
		if (err == nil) != tc.ok || err != nil && triage.ErrorCode(err) != triage.ECONFLICT {
			t.Errorf("CanOverturn %s: %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}
