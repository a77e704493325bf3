package memstore

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

// The review workspace in memory: the queue as tiles, priorities, the
// item view and device links, as storage/postgres's workspace.go.

// tileMatch reports whether member m matches the query's conditions on
// the content; the caller holds r.mu.
func (r *Reviews) tileMatch(v triage.Viewer, q *triage.TileQuery, m *rmember) bool {
	switch q.Lane {
	case triage.LaneNew, triage.LaneVariant:
		if m.lane != q.Lane {
			return false
		}
	case triage.LaneAdjudication:
		if m.status != triage.MemberAdjudication {
			return false
		}
	}
	mine := r.voted(m.id, v.UserID)
	switch q.State {
	case triage.StateTodo:
		if q.Lane == triage.LaneAdjudication {
			if m.status != triage.MemberAdjudication {
				return false
			}
		} else if m.status != triage.MemberPending || mine {
			return false
		}
	case triage.StateVoted:
		if m.status != triage.MemberPending || !mine {
			return false
		}
	case triage.StateAdjudication, triage.StateConfirmed:
		if string(m.status) != q.State {
			return false
		}
	}
	if q.Category != "" {
		d, decided := r.st.decisions[m.id]
		if !(decided && d.d.Category.String() == q.Category) && !slices.ContainsFunc(r.st.votes, func(x rvote) bool {
			return x.memberID == m.id && x.ReviewerID == v.UserID && x.Category.String() == q.Category
		}) {
			return false
		}
	}
	switch {
	case q.GroupID != 0 && m.groupID != q.GroupID,
		q.Kind != "" && m.kind != q.Kind,
		q.GPS == "yes" && !m.gps,
		q.GPS == "no" && m.gps,
		q.Make != "" && !strings.EqualFold(m.make, q.Make),
		q.Model != "" && !strings.EqualFold(m.model, q.Model),
		q.Serial != "" && (m.serial == "" || !strings.EqualFold(m.serial, q.Serial)),
		q.Device != "" && (m.device == "" || m.device != q.Device),
		!q.From.IsZero() && (m.captured.IsZero() || m.captured.Before(q.From)),
		!q.To.IsZero() && (m.captured.IsZero() || !m.captured.Before(q.To)),
		q.MinSize > 0 && m.size < q.MinSize,
		q.MaxSize > 0 && m.size > q.MaxSize:
		return false
	}
	if q.Series != "" && !slices.ContainsFunc(r.st.votes, func(x rvote) bool {
		// Series names are case notes: only those written in cases the
		// viewer may see count.
		return x.memberID == m.id && x.CaseID != 0 && strings.EqualFold(x.Series, q.Series) && r.sees(v, x.CaseID)
	}) {
		return false
	}
	return true
}

// tileItems returns the items of member m that the viewer may see and
// that match the query's case, exhibit and path, by item id; the caller
// holds r.mu.
func (r *Reviews) tileItems(v triage.Viewer, q *triage.TileQuery, m *rmember) []ritem {
	var out []ritem
	for _, ri := range r.visibleItems(v, m.id) {
		c, e := r.Cases.names(ri.caseID, ri.exhibitID)
		if (q.Case == "" || c == q.Case) && (q.Exhibit == "" || e == q.Exhibit) &&
			(q.Path == "" || strings.Contains(strings.ToLower(ri.path+"/"+ri.innerPath), strings.ToLower(q.Path))) {
			out = append(out, ri)
		}
	}
	return out
}

// tileCompare orders tiles as the sort says: the date sort puts undated
// tiles last in either direction.
func tileCompare(sort string, desc bool) func(a, b *triage.Tile) int {
	dir := func(c int) int {
		if desc {
			return -c
		}
		return c
	}
	switch sort {
	case triage.SortDate:
		return func(a, b *triage.Tile) int {
			if a.Captured.IsZero() != b.Captured.IsZero() {
				if a.Captured.IsZero() {
					return 1
				}
				return -1
			}
			return dir(cmp.Or(a.Captured.Compare(b.Captured), cmp.Compare(a.MemberID, b.MemberID)))
		}
	case triage.SortPath:
		return func(a, b *triage.Tile) int {
			return dir(cmp.Or(strings.Compare(a.SortPath, b.SortPath), cmp.Compare(a.MemberID, b.MemberID)))
		}
	case triage.SortSize:
		return func(a, b *triage.Tile) int {
			return dir(cmp.Or(cmp.Compare(a.Size, b.Size), cmp.Compare(a.MemberID, b.MemberID)))
		}
	}
	return func(a, b *triage.Tile) int {
		return dir(cmp.Or(cmp.Compare(b.Priority, a.Priority), cmp.Compare(a.GroupID, b.GroupID), cmp.Compare(a.MemberID, b.MemberID)))
	}
}

// ReviewTiles implements triage.ReviewStore.
func (r *Reviews) ReviewTiles(_ context.Context, v triage.Viewer, q triage.TileQuery) (triage.TilePage, error) {
	page := triage.TilePage{Total: -1}
	if err := q.Validate(); err != nil {
		return page, err
	}
	if q.Lane == triage.LaneAdjudication && !v.Adjudicator {
		return page, triage.Errorf(triage.EFORBIDDEN, "the adjudication lane is for adjudicators")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var ts []*triage.Tile
	for i := range r.st.members {
		m := &r.st.members[i]
		if !r.tileMatch(v, &q, m) {
			continue
		}
		items := r.tileItems(v, &q, m)
		if len(items) == 0 {
			continue
		}
		t := &triage.Tile{MemberID: m.id, GroupID: m.groupID, SHA256: m.sha, Lane: m.lane, Status: m.status, Kind: m.kind,
			Width: m.width, Height: m.height, Size: m.size, Item: r.ref(items[0]), Items: len(items), Suggested: m.suggested,
			Make: m.make, Model: m.model, GPS: m.gps, Device: m.device, Captured: m.captured, Priority: m.priority, SortPath: m.sortPath}
		for _, x := range r.st.votes {
			if x.memberID == m.id && x.ReviewerID == v.UserID && !x.adjudication {
				t.MyVote = x.Category
			}
		}
		if d, ok := r.st.decisions[m.id]; ok {
			t.Decision = d.d.Category
		}
		ts = append(ts, t)
	}
	order := tileCompare(q.Sort, q.Desc)
	slices.SortFunc(ts, order)
	if q.Count {
		page.Total = len(ts)
	}
	offset := q.Offset
	if k := q.After; k != nil {
		at := &triage.Tile{MemberID: k.MemberID, GroupID: k.GroupID, Priority: k.Priority, Captured: k.Captured, SortPath: k.Path, Size: k.Size}
		ts = slices.DeleteFunc(ts, func(t *triage.Tile) bool { return order(t, at) <= 0 })
		offset = 0
	}
	for _, t := range ts[min(offset, len(ts)):min(offset+q.Limit, len(ts))] {
		page.Tiles = append(page.Tiles, *t)
	}
	return page, nil
}

// RescoreGroups implements triage.ReviewStore: every item counts, whoever
// may see it.
func (r *Reviews) RescoreGroups(_ context.Context, score func(triage.PriorityFeatures) float64, stale time.Time, limit int) (int, error) {
	t0 := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for i := range r.st.groups {
		g := &r.st.groups[i]
		if n == limit || g.mergedInto != 0 || (!g.scoredAt.IsZero() && !g.scoredAt.Before(g.updatedAt) && !g.scoredAt.Before(stale)) {
			continue
		}
		var f triage.PriorityFeatures
		exhibits, cases := map[int64]bool{}, map[int64]bool{}
		ms := r.groupMembers(g.id)
		for _, m := range ms {
			f.Members++
			if m.cameraOriginal {
				f.CameraOriginal++
			}
			if m.gps {
				f.GPS++
			}
			f.MaxPixels = max(f.MaxPixels, int64(m.width)*int64(m.height))
			if m.captured.After(f.NewestCapture) {
				f.NewestCapture = m.captured
			}
			for _, ri := range r.st.items {
				if ri.memberID == m.id {
					exhibits[ri.exhibitID], cases[ri.caseID] = true, true
				}
			}
		}
		f.Exhibits, f.Cases = len(exhibits), len(cases)
		g.priority, g.scoredAt = score(f), t0
		for _, m := range ms {
			m.priority = g.priority
		}
		n++
	}
	return n, nil
}

// ReviewItem implements triage.ReviewStore.
func (r *Reviews) ReviewItem(ctx context.Context, v triage.Viewer, itemID int64) (triage.ReviewItemView, error) {
	var view triage.ReviewItemView
	it, err := r.Items.Item(ctx, itemID)
	if err != nil {
		return view, err
	}
	if !r.sees(v, it.CaseID) {
		return view, triage.Errorf(triage.ENOTFOUND, "no item %d that you may see", itemID)
	}
	view.Item = it
	view.Case, view.Exhibit = r.Cases.names(it.CaseID, it.ExhibitID)
	if view.Matches, err = r.Items.Matches(ctx, itemID); err != nil {
		return view, err
	}
	view.Siblings = r.Items.siblings(&it, view.Case, view.Exhibit)
	// Identical content anywhere the viewer may look, in review or not.
	var same []triage.Appearance
	for _, o := range r.Items.withContent(it.SHA256) {
		if o.ID != itemID && r.sees(v, o.CaseID) && len(same) < 1000 {
			c, e := r.Cases.names(o.CaseID, o.ExhibitID)
			same = append(same, triage.Appearance{ReviewItemRef: triage.ReviewItemRef{ItemID: o.ID, Case: c, Exhibit: e, Path: o.Path,
				InnerPath: o.InnerPath}, Relation: "same", SHA256: it.SHA256.String()})
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	view.Series, view.Elsewhere = []triage.ReviewMember{}, []triage.Appearance{}
	if k := slices.IndexFunc(r.st.items, func(ri ritem) bool { return ri.itemID == itemID }); k >= 0 {
		memberID := r.st.items[k].memberID
		view.GroupID = r.member(memberID).groupID
		for _, m := range r.members(v, view.GroupID) {
			if m.ID == memberID {
				view.Member = &m
				continue
			}
			view.Series = append(view.Series, m)
			for _, ref := range m.Items {
				view.Elsewhere = append(view.Elsewhere, triage.Appearance{ReviewItemRef: ref, Relation: "near", SHA256: m.SHA256.String()})
			}
		}
	}
	view.Elsewhere = append(same, view.Elsewhere...)
	view.Devices = r.deviceLinks(v, triage.DeviceKey(it.EXIF))
	return view, nil
}

// deviceLinks counts, per case and exhibit the viewer may see, the items
// whose content was taken with the device; the caller holds r.mu.
func (r *Reviews) deviceLinks(v triage.Viewer, device string) []triage.DeviceLink {
	if device == "" {
		return []triage.DeviceLink{}
	}
	l := triage.DeviceLink{Device: device, Exhibits: []triage.DeviceAppearance{}}
	for _, ri := range r.st.items {
		if r.member(ri.memberID).device != device || !r.sees(v, ri.caseID) {
			continue
		}
		c, e := r.Cases.names(ri.caseID, ri.exhibitID)
		k := slices.IndexFunc(l.Exhibits, func(a triage.DeviceAppearance) bool { return a.Case == c && a.Exhibit == e })
		if k < 0 {
			k = len(l.Exhibits)
			l.Exhibits = append(l.Exhibits, triage.DeviceAppearance{Case: c, Exhibit: e})
		}
		l.Exhibits[k].Items++
		l.Items++
	}
	slices.SortFunc(l.Exhibits, func(a, b triage.DeviceAppearance) int {
		return cmp.Or(strings.Compare(a.Case, b.Case), strings.Compare(a.Exhibit, b.Exhibit))
	})
	return []triage.DeviceLink{l}
}

// canSeeGroup reports whether the viewer may see an item of a group; a
// group merged into another is as visible as the one it went into.
func (r *Reviews) canSeeGroup(v triage.Viewer, groupID int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	live, err := r.live(groupID)
	if err != nil {
		return false
	}
	return slices.ContainsFunc(r.groupMembers(live), func(m *rmember) bool { return len(r.visibleItems(v, m.id)) > 0 })
}

// canSeeMember reports whether the viewer may see an item of a member.
func (r *Reviews) canSeeMember(v triage.Viewer, memberID int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.visibleItems(v, memberID)) > 0
}
