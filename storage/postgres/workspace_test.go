package postgres_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// vote records who's decision with text, claiming the group first.
func (f *reviewFixture) vote(t *testing.T, who string, groupID int64, cat, caseName, notes string, required int) (triage.DecideResult, error) {
	t.Helper()
	return f.s.Decide(context.Background(), triage.DecideRequest{GroupID: groupID, Reviewer: f.users[who], Required: required, LocalSet: "local",
		Case: caseName, Claim: true, Lease: time.Minute,
		Vote: triage.Vote{Category: triage.MustParseCategory(cat), Notes: notes, Series: notes + "-series", Tags: []string{"t-" + caseName}}})
}

func (f *reviewFixture) caseID(t *testing.T, name string) int64 {
	t.Helper()
	c, err := f.s.Case(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return c.ID
}

// TestReviewNotesStayInTheirCase is issue 11's defect 9: a note written in
// case A never shows in case B's export, its decision view or the local
// set; only the category crosses.
func TestReviewNotesStayInTheirCase(t *testing.T) {
	f := mustReview(t)
	ctx := context.Background()
	img := triagetest.PhotoJPEG(320, 240, 5, 90)
	itA := f.item(t, "A", "phone", "DCIM/a.jpg", img, triage.VerdictNew)
	f.item(t, "B", "laptop", "pics/b.jpg", img, triage.VerdictNew)
	g := f.group(t, f.viewer("ann"), itA.ID)
	// Ann may see both cases: text without a case is refused.
	if _, err := f.vote(t, "ann", g.ID, "vic-us:1", "", "informant 7", 2); triage.ErrorCode(err) != triage.EINVALID {
		t.Fatalf("vote with notes and no case: %v", err)
	}
	if _, err := f.vote(t, "ann", g.ID, "vic-us:1", "C", "informant 7", 2); triage.ErrorCode(err) != triage.EINVALID {
		t.Fatalf("vote with notes for a case the content is not in: %v", err)
	}
	if _, err := f.vote(t, "ann", g.ID, "vic-us:1", "A", "informant 7", 2); err != nil {
		t.Fatal(err)
	}
	f.s.ReleaseGroup(ctx, f.viewer("ann"), g.ID)
	res, err := f.vote(t, "bob", g.ID, "vic-us:1", "B", "seen in B", 2)
	if err != nil || res.Outcomes[0].Status != triage.MemberConfirmed {
		t.Fatalf("second vote: %+v %v", res, err)
	}
	for name, want := range map[string]string{"A": "informant 7", "B": "seen in B"} {
		ds, err := f.s.CaseDecisions(ctx, f.caseID(t, name))
		if err != nil || len(ds) != 1 {
			t.Fatalf("case %s decisions: %+v %v", name, ds, err)
		}
		n := ds[0].Notes()
		if len(ds[0].Decision.Notes) != 1 || n.Notes != want || n.Series != want+"-series" || !slices.Equal(n.Tags, []string{"t-" + name}) ||
			ds[0].Decision.Category.String() != "vic-us:1" {
			t.Errorf("case %s export notes %+v", name, ds[0].Decision.Notes)
		}
	}
	// A reviewer of case B only sees B's notes on the decision.
	bee := triage.User{Name: "bee", Role: triage.RoleReviewer}
	if err := f.s.CreateUser(ctx, &bee, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.s.AddCaseMember(ctx, f.caseID(t, "B"), bee.ID, nil); err != nil {
		t.Fatal(err)
	}
	gb, err := f.s.ReviewGroup(ctx, triage.ViewerOf(bee), g.ID)
	if err != nil {
		t.Fatal(err)
	}
	d := gb.MemberList[0].Decision
	if d == nil || len(d.Notes) != 1 || d.Notes[0].Case != "B" {
		t.Errorf("bee sees notes %+v", d)
	}
	votes, err := f.s.MemberVotes(ctx, triage.ViewerOf(f.users["root"]), gb.MemberList[0].ID)
	if err != nil || len(votes) != 2 || votes[0].Notes != "informant 7" {
		t.Errorf("root reads votes %+v %v", votes, err)
	}
	// The local set carries the category and nothing written in a case.
	st, _ := f.s.Set(ctx, "local")
	es, _ := f.s.SetEntries(ctx, st.ID, 0, st.Entries)
	if len(es) != 1 || es[0].Series != "" || len(es[0].Tags) != 0 || es[0].Extra["Comments"] != "" || es[0].Name != "" ||
		es[0].Category.String() != "vic-us:1" {
		t.Errorf("local set entry %+v", es)
	}
}

// TestReviewUndo is defect 10's correction window: a reviewer takes back
// their own decision while they hold the group; the promoted entry is
// withdrawn in a new version; after release the window is closed.
func TestReviewUndo(t *testing.T) {
	f := mustReview(t)
	ctx := context.Background()
	it := f.item(t, "c", "e", "a.jpg", triagetest.PhotoJPEG(320, 240, 7, 90), triage.VerdictNew)
	g := f.group(t, f.viewer("ann"), it.ID)
	sum := g.MemberList[0].SHA256
	res, err := f.vote(t, "ann", g.ID, "vic-us:1", "", "oops", 1)
	if err != nil || res.Outcomes[0].Status != triage.MemberConfirmed || res.Outcomes[0].Entry != 0 || res.Version != 1 {
		t.Fatalf("decide: %+v %v", res, err)
	}
	if _, err := f.s.Undo(ctx, triage.UndoRequest{GroupID: g.ID, Reviewer: f.users["bob"], Required: 1, LocalSet: "local"}); triage.ErrorCode(err) != triage.ECONFLICT {
		t.Errorf("bob undoes ann's decision: %v", err)
	}
	f.clock.advance(time.Second)
	u, err := f.s.Undo(ctx, triage.UndoRequest{GroupID: g.ID, Reviewer: f.users["ann"], Members: []triage.SHA256{sum}, Required: 1, LocalSet: "local"})
	if err != nil || len(u.Outcomes) != 1 || u.Outcomes[0].Status != triage.MemberPending || u.Version != 2 || !slices.Equal(u.Withdrawn, []int64{0}) {
		t.Fatalf("undo: %+v %v", u, err)
	}
	st, _ := f.s.Set(ctx, "local")
	es, _ := f.s.SetEntries(ctx, st.ID, 0, st.Entries)
	if len(es) != 1 || es[0].HasHash() || st.Rev < 2 {
		t.Errorf("after undo: rev %d entries %+v", st.Rev, es)
	}
	g = f.group(t, f.viewer("ann"), it.ID)
	if m := g.MemberList[0]; m.Status != triage.MemberPending || m.Decision != nil || m.MyVote != nil || g.Pending != 1 {
		t.Errorf("member after undo %+v", m)
	}
	// Decide again, correctly.
	res, err = f.vote(t, "ann", g.ID, "vic-us:2", "", "", 1)
	if err != nil || res.Outcomes[0].Entry != 1 || res.Version != 3 {
		t.Fatalf("decide again: %+v %v", res, err)
	}
	vs, _ := f.s.LocalSetVersions(ctx, "local")
	if len(vs) != 3 || vs[1].Withdrawn != 1 || vs[1].From != vs[1].To {
		t.Errorf("versions %+v", vs)
	}
	// Released: the window is closed, even for a new claim.
	if err := f.s.ReleaseGroup(ctx, f.viewer("ann"), g.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.advance(time.Second)
	if _, err := f.s.ClaimGroup(ctx, f.viewer("ann"), g.ID, time.Minute, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Undo(ctx, triage.UndoRequest{GroupID: g.ID, Reviewer: f.users["ann"], Required: 1, LocalSet: "local"}); triage.ErrorCode(err) != triage.ECONFLICT {
		t.Errorf("undo after release: %v", err)
	}
	f.s.ReleaseGroup(ctx, f.viewer("ann"), g.ID)

	// Undoing the vote that caused a disagreement brings the member back.
	it2 := f.item(t, "c", "e", "b.jpg", triagetest.PhotoJPEG(320, 240, 8, 90), triage.VerdictNew)
	g2 := f.group(t, f.viewer("ann"), it2.ID)
	f.vote(t, "ann", g2.ID, "vic-us:1", "", "", 2)
	f.s.ReleaseGroup(ctx, f.viewer("ann"), g2.ID)
	if res, err := f.vote(t, "bob", g2.ID, "vic-us:3", "", "", 2); err != nil || res.Outcomes[0].Status != triage.MemberAdjudication {
		t.Fatalf("disagreement: %+v %v", res, err)
	}
	u, err = f.s.Undo(ctx, triage.UndoRequest{GroupID: g2.ID, Reviewer: f.users["bob"], Required: 2, LocalSet: "local"})
	if err != nil || u.Outcomes[0].Status != triage.MemberPending || u.Outcomes[0].Needed != 1 || u.Version != 0 {
		t.Errorf("undo the disagreeing vote: %+v %v", u, err)
	}
}

// TestReviewOverturn: an adjudicator replaces a confirmed category with a
// reason; the old entry is withdrawn and a new one promoted in one version.
func TestReviewOverturn(t *testing.T) {
	f := mustReview(t)
	ctx := context.Background()
	it := f.item(t, "c", "e", "a.jpg", triagetest.PhotoJPEG(320, 240, 9, 90), triage.VerdictNew)
	g := f.group(t, f.viewer("ann"), it.ID)
	if _, err := f.vote(t, "ann", g.ID, "vic-us:1", "", "", 1); err != nil {
		t.Fatal(err)
	}
	f.s.ReleaseGroup(ctx, f.viewer("ann"), g.ID)
	m := g.MemberList[0]
	req := triage.OverturnRequest{MemberID: m.ID, Adjudicator: f.users["judge"], Category: triage.MustParseCategory("vic-us:3"),
		Reason: "benign: holiday photo", LocalSet: "local"}
	for _, tc := range []struct {
		mutate func(r *triage.OverturnRequest)
		code   string
	}{
		{func(r *triage.OverturnRequest) { r.Adjudicator = f.users["ann"] }, triage.EFORBIDDEN},
		{func(r *triage.OverturnRequest) { r.Reason = " " }, triage.EINVALID},
		{func(r *triage.OverturnRequest) { r.Category = triage.MustParseCategory("vic-us:1") }, triage.ECONFLICT},
		{func(r *triage.OverturnRequest) { r.MemberID = 1 << 40 }, triage.ENOTFOUND},
	} {
		r := req
		tc.mutate(&r)
		if _, err := f.s.Overturn(ctx, r); triage.ErrorCode(err) != tc.code {
			t.Errorf("overturn %+v: %v, want %s", r, err, tc.code)
		}
	}
	res, err := f.s.Overturn(ctx, req)
	if err != nil || res.Previous != "vic-us:1" || res.Withdrawn != 0 || res.Entry != 1 || res.Version != 2 {
		t.Fatalf("overturn: %+v %v", res, err)
	}
	st, _ := f.s.Set(ctx, "local")
	es, _ := f.s.SetEntries(ctx, st.ID, 0, st.Entries)
	if len(es) != 2 || es[0].HasHash() || !es[1].HasHash() || es[1].Category.String() != "vic-us:3" || es[1].SHA256 != m.SHA256 {
		t.Errorf("entries after overturn %+v", es)
	}
	g = f.group(t, f.viewer("ann"), it.ID)
	d := g.MemberList[0].Decision
	if d == nil || d.Category.String() != "vic-us:3" || d.Overturn == nil || d.Overturn.By != "judge" || d.Overturn.Previous.String() != "vic-us:1" ||
		d.Overturn.Reason != "benign: holiday photo" {
		t.Errorf("decision after overturn %+v", d)
	}
	vs, _ := f.s.LocalSetVersions(ctx, "local")
	if len(vs) != 2 || vs[0].Withdrawn != 1 || vs[0].To-vs[0].From != 1 || vs[0].By != "judge" {
		t.Errorf("versions %+v", vs)
	}
}

// TestReviewTiles: the grid's filters, sorts, paging and visibility.
func TestReviewTiles(t *testing.T) {
	f := mustReview(t)
	ctx := context.Background()
	canon := map[string]string{"Make": "Canon", "Model": "EOS 5D", "SerialNumber": "0123456789", "DateTimeOriginal": "2024:05:01 10:00:00",
		"GPSLatitude": "48.85", "GPSLongitude": "2.35"}
	phone := map[string]string{"Make": "Apple", "Model": "iPhone 12", "Software": "17.1.2", "DateTimeOriginal": "2023:01:01 10:00:00"}
	a1 := f.itemWith(t, "A", "phone", "DCIM/100/img1.jpg", triagetest.PhotoJPEG(640, 480, 11, 90), triage.VerdictNew, canon)
	f.itemWith(t, "A", "phone", "DCIM/100/img2.jpg", triagetest.PhotoJPEG(320, 240, 12, 90), triage.VerdictNew, phone)
	b1 := f.itemWith(t, "B", "disk", "Users/x/Pictures/holiday.jpg", triagetest.PhotoJPEG(400, 300, 13, 90), triage.VerdictVariant, canon)
	f.itemWith(t, "B", "disk", "Users/x/other.jpg", triagetest.PhotoJPEG(480, 360, 14, 90), triage.VerdictNew, nil)
	if n, err := f.s.RescoreGroups(ctx, func(p triage.PriorityFeatures) float64 { return float64(p.MaxPixels) }, f.clock.now().Add(-time.Hour), 100); err != nil || n != 4 {
		t.Fatalf("rescore: %d %v", n, err)
	}
	if n, _ := f.s.RescoreGroups(ctx, func(triage.PriorityFeatures) float64 { return 0 }, f.clock.now().Add(-time.Hour), 100); n != 0 {
		t.Errorf("second rescore scored %d unchanged groups", n)
	}
	paths := func(v triage.Viewer, q triage.TileQuery) []string {
		t.Helper()
		if q.Limit == 0 {
			q.Limit = 100
		}
		p, err := f.s.ReviewTiles(ctx, v, q)
		if err != nil {
			t.Fatalf("tiles %+v: %v", q, err)
		}
		var out []string
		for _, tl := range p.Tiles {
			out = append(out, tl.Item.Path)
		}
		return out
	}
	root := f.viewer("root")
	for _, tc := range []struct {
		name string
		q    triage.TileQuery
		want []string
	}{
		{"priority (pixels here)", triage.TileQuery{}, []string{"DCIM/100/img1.jpg", "Users/x/other.jpg", "Users/x/Pictures/holiday.jpg", "DCIM/100/img2.jpg"}},
		{"path", triage.TileQuery{Sort: triage.SortPath}, []string{"DCIM/100/img1.jpg", "DCIM/100/img2.jpg", "Users/x/Pictures/holiday.jpg", "Users/x/other.jpg"}},
		{"path desc, paged", triage.TileQuery{Sort: triage.SortPath, Desc: true, Offset: 1, Limit: 2}, []string{"Users/x/Pictures/holiday.jpg", "DCIM/100/img2.jpg"}},
		{"date", triage.TileQuery{Sort: triage.SortDate}, []string{"DCIM/100/img2.jpg", "DCIM/100/img1.jpg", "Users/x/Pictures/holiday.jpg", "Users/x/other.jpg"}},
		{"case", triage.TileQuery{Case: "B", Sort: triage.SortPath}, []string{"Users/x/Pictures/holiday.jpg", "Users/x/other.jpg"}},
		{"exhibit", triage.TileQuery{Exhibit: "phone", Sort: triage.SortPath}, []string{"DCIM/100/img1.jpg", "DCIM/100/img2.jpg"}},
		{"path substring, any case", triage.TileQuery{Path: "HOLIDAY"}, []string{"Users/x/Pictures/holiday.jpg"}},
		{"path wildcard is literal", triage.TileQuery{Path: "%"}, nil},
		{"serial", triage.TileQuery{Serial: "0123456789", Sort: triage.SortPath}, []string{"DCIM/100/img1.jpg", "Users/x/Pictures/holiday.jpg"}},
		{"device", triage.TileQuery{Device: "model:apple/iphone 12/17.1.2"}, []string{"DCIM/100/img2.jpg"}},
		{"make and model", triage.TileQuery{Make: "canon", Model: "eos 5d", Sort: triage.SortPath}, []string{"DCIM/100/img1.jpg", "Users/x/Pictures/holiday.jpg"}},
		{"gps", triage.TileQuery{GPS: "yes", Sort: triage.SortPath}, []string{"DCIM/100/img1.jpg", "Users/x/Pictures/holiday.jpg"}},
		{"no gps", triage.TileQuery{GPS: "no", Sort: triage.SortPath}, []string{"DCIM/100/img2.jpg", "Users/x/other.jpg"}},
		{"date range", triage.TileQuery{From: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Sort: triage.SortPath},
			[]string{"DCIM/100/img1.jpg", "Users/x/Pictures/holiday.jpg"}},
		{"lane variant", triage.TileQuery{Lane: triage.LaneVariant}, []string{"Users/x/Pictures/holiday.jpg"}},
		{"kind video", triage.TileQuery{Kind: "video"}, nil},
	} {
		if got := paths(root, tc.q); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	// Keyset paging walks every sort in the same order as one page.
	for _, sort := range []string{triage.SortPriority, triage.SortDate, triage.SortPath, triage.SortSize} {
		for _, desc := range []bool{false, true} {
			want := paths(root, triage.TileQuery{Sort: sort, Desc: desc})
			var got []string
			q := triage.TileQuery{Sort: sort, Desc: desc, Limit: 1}
			for range 10 {
				p, err := f.s.ReviewTiles(ctx, root, q)
				if err != nil {
					t.Fatal(err)
				}
				if len(p.Tiles) == 0 {
					break
				}
				got = append(got, p.Tiles[0].Item.Path)
				k := p.Tiles[0].Key()
				q.After = &k
			}
			if !slices.Equal(got, want) {
				t.Errorf("keyset %s desc %v: %q, want %q", sort, desc, got, want)
			}
		}
	}
	// The group queue pages by the stored priority too.
	gs, total, err := f.s.ReviewQueue(ctx, root, triage.QueueQuery{Lane: triage.LaneNew, Offset: 1, Limit: 2, Count: true})
	if err != nil || total != 3 || len(gs) != 2 || gs[0].Features.MaxPixels < gs[1].Features.MaxPixels || gs[0].Features.MaxPixels != 480*360 {
		t.Errorf("queue page: %d of %d %v", len(gs), total, err)
	}
	// Sizes: the largest first.
	p, _ := f.s.ReviewTiles(ctx, root, triage.TileQuery{Sort: triage.SortSize, Desc: true, Limit: 10, Count: true})
	if p.Total != 4 || len(p.Tiles) != 4 || p.Tiles[0].Size < p.Tiles[3].Size || p.Tiles[0].Items != 1 || p.Tiles[0].Item.Case == "" {
		t.Errorf("size sort %+v", p)
	}
	if got := paths(root, triage.TileQuery{MinSize: p.Tiles[1].Size, MaxSize: p.Tiles[0].Size}); len(got) != 2 {
		t.Errorf("size range: %q", got)
	}
	// Visibility: an outsider sees nothing; a case-B reviewer only B.
	if got := paths(f.viewer("outsider"), triage.TileQuery{}); len(got) != 0 {
		t.Errorf("outsider sees %q", got)
	}
	bee := triage.User{Name: "bee", Role: triage.RoleReviewer}
	f.s.CreateUser(ctx, &bee, nil)
	f.s.AddCaseMember(ctx, f.caseID(t, "B"), bee.ID, nil)
	if got := paths(triage.ViewerOf(bee), triage.TileQuery{Serial: "0123456789"}); !slices.Equal(got, []string{"Users/x/Pictures/holiday.jpg"}) {
		t.Errorf("bee's serial filter: %q", got)
	}
	if _, err := f.s.ReviewTiles(ctx, triage.ViewerOf(bee), triage.TileQuery{Lane: triage.LaneAdjudication, Limit: 10}); triage.ErrorCode(err) != triage.EFORBIDDEN {
		t.Errorf("reviewer asks for adjudication: %v", err)
	}
	// States: after ann's vote the tile is "voted" for her and "todo" for bob.
	g := f.group(t, f.viewer("ann"), a1.ID)
	if _, err := f.vote(t, "ann", g.ID, "vic-us:2", "A", "n", 2); err != nil {
		t.Fatal(err)
	}
	if got := paths(f.viewer("ann"), triage.TileQuery{State: triage.StateVoted}); !slices.Equal(got, []string{"DCIM/100/img1.jpg"}) {
		t.Errorf("ann voted: %q", got)
	}
	if got := paths(f.viewer("ann"), triage.TileQuery{State: triage.StateTodo}); len(got) != 3 || slices.Contains(got, "DCIM/100/img1.jpg") {
		t.Errorf("ann todo: %q", got)
	}
	if got := paths(f.viewer("bob"), triage.TileQuery{State: triage.StateTodo}); len(got) != 4 {
		t.Errorf("bob todo: %q", got)
	}
	if got := paths(f.viewer("ann"), triage.TileQuery{Category: "vic-us:2"}); !slices.Equal(got, []string{"DCIM/100/img1.jpg"}) {
		t.Errorf("ann's category filter: %q", got)
	}
	if got := paths(f.viewer("bob"), triage.TileQuery{Series: "N-SERIES"}); !slices.Equal(got, []string{"DCIM/100/img1.jpg"}) {
		t.Errorf("series filter: %q", got)
	}
	if got := paths(triage.ViewerOf(bee), triage.TileQuery{Series: "n-series"}); len(got) != 0 {
		t.Errorf("bee finds case A's series name: %q", got)
	}
	// Device links in the item view: the camera's items in both cases.
	view, err := f.s.ReviewItem(ctx, root, b1.ID)
	if err != nil || len(view.Devices) != 1 || view.Devices[0].Items != 2 || len(view.Devices[0].Exhibits) != 2 ||
		view.Devices[0].Device != "serial:canon/0123456789" {
		t.Errorf("device links %+v %v", view.Devices, err)
	}
	view, _ = f.s.ReviewItem(ctx, triage.ViewerOf(bee), b1.ID)
	if len(view.Devices) != 1 || view.Devices[0].Items != 1 {
		t.Errorf("bee's device links %+v", view.Devices)
	}
}

// TestDecisionCommitsWithItsAudit: a decision, its promotion into the local
// set and their audit events commit together (issue 12): when the events
// cannot be recorded the decision does not happen, and when they are, they
// describe what the decision did.
func TestDecisionCommitsWithItsAudit(t *testing.T) {
	f := mustReview(t)
	ctx := context.Background()
	it := f.item(t, "A", "phone", "DCIM/a.jpg", triagetest.PhotoJPEG(320, 240, 7, 90), triage.VerdictNew)
	g := f.group(t, f.viewer("ann"), it.ID)
	req := triage.DecideRequest{GroupID: g.ID, Reviewer: f.users["ann"], Required: 1, LocalSet: "local", Claim: true, Lease: time.Minute,
		Vote: triage.Vote{Category: triage.MustParseCategory("vic-us:1")}}
	req.Audit = func(triage.DecideResult) []triage.AuditEvent {
		return []triage.AuditEvent{{Action: "review.decision\x00"}}
	}
	if _, err := f.s.Decide(ctx, req); err == nil {
		t.Fatal("a decision whose audit event cannot be recorded was made")
	}
	req.Audit = func(res triage.DecideResult) []triage.AuditEvent {
		return []triage.AuditEvent{
			{Action: triage.AuditDecision, Target: "review/group/x", Detail: map[string]string{"status": string(res.Outcomes[0].Status)}},
			{Action: triage.AuditPromote, Target: "hashset/local", Detail: map[string]string{"version": strconv.Itoa(res.Version)}},
		}
	}
	res, err := f.s.Decide(ctx, req)
	if err != nil || len(res.Outcomes) != 1 || res.Outcomes[0].Status != triage.MemberConfirmed || res.Version != 1 {
		t.Fatalf("Decide = %+v, %v; want the member confirmed in local-set version 1 (the failed decision left nothing)", res, err)
	}
	evs, err := f.s.AuditEvents(ctx, triage.AuditFilter{Target: "review/group/x"})
	if err != nil || len(evs) != 1 || evs[0].Detail["status"] != string(triage.MemberConfirmed) {
		t.Errorf("decision events = %+v, %v", evs, err)
	}
	evs, err = f.s.AuditEvents(ctx, triage.AuditFilter{Target: "hashset/local", Action: triage.AuditPromote})
	if err != nil || len(evs) != 1 || evs[0].Detail["version"] != "1" {
		t.Errorf("promotion events = %+v, %v", evs, err)
	}
}
