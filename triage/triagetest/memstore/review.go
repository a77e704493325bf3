package memstore

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/review"
	"github.com/winnow-forensics/winnow/triage/series"
)

// Reviews is the review queue in memory (triage.ReviewStore), over the
// cases of Cases, the items of Items (which, with Reviews set, queue the
// items they finish here), the users of Users, the case boundary of
// Access and the hash sets of Sets (the local set confirmed content is
// promoted into); Audit records the events that commit with a claim, a
// decision, an undo or an overturn. Every rule (admission, lanes, merges,
// claims, which members a decision covers, vote counting, adjudication,
// undo, overturn) is package review's, as in storage/postgres; an action
// whose audit events cannot be recorded leaves everything as it was. Now,
// when set, is the clock.
//
// There is one process: a second store on the same data (PostgreSQL's
// worker processes catching their series index up) has no double here.
type Reviews struct {
	Cases  *Cases
	Items  *Items
	Users  *Users
	Access *Access
	Sets   *Sets
	Audit  *Audit
	Now    func() time.Time

	// mu guards st and idx. Lock order: Items, then Reviews, then the
	// other stores (whose locks are leaves).
	mu  sync.Mutex
	st  reviewState
	idx *series.Index
}

var _ triage.ReviewStore = (*Reviews)(nil)

// reviewState is everything an action may change, copied before it so
// that a failed action is taken back whole.
type reviewState struct {
	groups    []rgroup  // by id - 1
	members   []rmember // by id - 1
	items     []ritem
	votes     []rvote // in the order cast
	decisions map[int64]rdecision
	versions  []lversion
}

func (s *reviewState) clone() reviewState {
	return reviewState{groups: slices.Clone(s.groups), members: slices.Clone(s.members), items: slices.Clone(s.items),
		votes: slices.Clone(s.votes), decisions: maps.Clone(s.decisions), versions: slices.Clone(s.versions)}
}

type rgroup struct {
	id, mergedInto, claimedBy int64
	lease, claimedAt          time.Time
	createdAt, updatedAt      time.Time
	priority                  float64
	scoredAt                  time.Time // zero: never scored
}

type rmember struct {
	id, groupID    int64
	sha            triage.SHA256
	lane           triage.Lane
	status         triage.MemberStatus
	suggested      triage.Category
	kind           string
	perceptual     bool
	pdq            triage.PDQ
	pdqQuality     int
	phash          triage.PHash
	width, height  int
	cameraOriginal bool
	gps            bool
	captured       time.Time
	size           int64
	make, model    string
	serial, device string
	sortPath       string
	priority       float64
}

// ritem is an item carrying a member's content, with what the review
// queue reads of it.
type ritem struct {
	itemID, memberID, caseID, exhibitID int64
	path, innerPath                     string
	digests                             triage.Digests
	size                                int64
	regions                             []triage.Region
	keypoints                           []triage.Keypoint
}

type rvote struct {
	memberID     int64
	adjudication bool
	triage.Vote
}

// rdecision is a recorded decision and the local-set entry it was
// promoted as.
type rdecision struct {
	d       triage.ReviewDecision
	setName string
	entry   int64
}

type lversion struct {
	set string
	triage.LocalSetVersion
}

func (r *Reviews) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now().UTC()
}

// admit puts a finished item into the review queue when package review
// admits it (Items.FinishItem calls it, holding its lock): its content's
// member if the content is already in review, else a new member in the
// group of the members it links to (merging their groups), or in a new
// group.
func (r *Reviews) admit(it *triage.Item, verdict triage.Verdict, res triage.ItemResult) {
	adm, ok := review.Admit(verdict, res)
	if !ok {
		return
	}
	fp := res.Fingerprint
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	ri := ritem{itemID: it.ID, caseID: it.CaseID, exhibitID: it.ExhibitID, path: it.Path, innerPath: it.InnerPath, digests: it.Digests, size: it.Size,
		regions: slices.Clone(it.Regions), keypoints: slices.Clone(it.Keypoints)}
	if k := slices.IndexFunc(r.st.members, func(m rmember) bool { return m.sha == fp.SHA256 }); k >= 0 {
		ri.memberID = r.st.members[k].id
		r.st.items = append(r.st.items, ri)
		r.group(r.st.members[k].groupID).updatedAt = now
		return
	}
	if r.idx == nil {
		r.idx = series.NewIndex(series.Options{})
	}
	g := series.ItemOf(fp, true)
	var groups []int64
	for _, id := range r.idx.Linked(g) {
		groups = append(groups, r.st.members[id-1].groupID)
	}
	groupID, others := review.Merge(groups)
	if groupID == 0 {
		groupID = int64(len(r.st.groups) + 1)
		r.st.groups = append(r.st.groups, rgroup{id: groupID, createdAt: now, updatedAt: now})
	} else {
		r.merge(groupID, others, now)
	}
	m := rmember{id: int64(len(r.st.members) + 1), groupID: groupID, sha: fp.SHA256, lane: adm.Lane, status: triage.MemberPending,
		suggested: adm.Suggested, kind: fp.Type.Kind.String(), perceptual: fp.Perceptual, width: fp.Width, height: fp.Height,
		cameraOriginal: adm.CameraOriginal, gps: adm.GPS, captured: adm.Captured, size: it.Size, make: adm.Make, model: adm.Model,
		serial: adm.Serial, device: adm.Device, sortPath: review.SortPath(it.Path, it.InnerPath)}
	if fp.Perceptual {
		m.pdq, m.pdqQuality, m.phash = g.PDQ[0], fp.PDQQuality, fp.PHash
	}
	r.st.members = append(r.st.members, m)
	ri.memberID = m.id
	r.st.items = append(r.st.items, ri)
	r.group(groupID).updatedAt = now
	r.idx.Add(m.id, g)
}

// merge moves the members of others into target (the oldest). A live
// claim moves with them when target has none; other claims end.
func (r *Reviews) merge(target int64, others []int64, now time.Time) {
	if len(others) == 0 {
		return
	}
	for i := range r.st.members {
		if slices.Contains(others, r.st.members[i].groupID) {
			r.st.members[i].groupID = target
		}
	}
	t := r.group(target)
	if !t.lease.After(now) {
		for _, id := range others { // the lowest id first, as PostgreSQL picks it
			if o := r.group(id); o.claimedBy != 0 && o.lease.After(now) {
				t.claimedBy, t.lease, t.claimedAt = o.claimedBy, o.lease, o.claimedAt
				break
			}
		}
	}
	for _, id := range others {
		o := r.group(id)
		o.mergedInto, o.claimedBy, o.lease, o.updatedAt = target, 0, time.Time{}, now
	}
}

// group returns the group with id, which exists; the caller holds r.mu.
func (r *Reviews) group(id int64) *rgroup { return &r.st.groups[id-1] }

// sees reports whether the viewer may see a case.
func (r *Reviews) sees(v triage.Viewer, caseID int64) bool {
	ok, _ := r.Access.CanSeeCase(context.Background(), v, caseID)
	return ok
}

// visibleItems returns the items of member id the viewer may see, by
// item id; the caller holds r.mu.
func (r *Reviews) visibleItems(v triage.Viewer, memberID int64) []ritem {
	var out []ritem
	for _, ri := range r.st.items {
		if ri.memberID == memberID && r.sees(v, ri.caseID) {
			out = append(out, ri)
		}
	}
	slices.SortFunc(out, func(a, b ritem) int { return cmp.Compare(a.itemID, b.itemID) })
	return out
}

// groupMembers returns the members of a group, by id; the caller holds
// r.mu.
func (r *Reviews) groupMembers(groupID int64) []*rmember {
	var out []*rmember
	for i := range r.st.members {
		if r.st.members[i].groupID == groupID {
			out = append(out, &r.st.members[i])
		}
	}
	return out
}

// voted reports whether a reviewer voted (not adjudicated) on a member;
// the caller holds r.mu.
func (r *Reviews) voted(memberID, reviewerID int64) bool {
	return slices.ContainsFunc(r.st.votes, func(v rvote) bool {
		return v.memberID == memberID && v.ReviewerID == reviewerID && !v.adjudication
	})
}

// votesOf returns the votes (and adjudications) on a member in the order
// cast; the caller holds r.mu.
func (r *Reviews) votesOf(memberID int64) []rvote {
	var out []rvote
	for _, v := range r.st.votes {
		if v.memberID == memberID {
			out = append(out, v)
		}
	}
	return out
}

// plainVotes are the reviewers' votes of vs (not the adjudications).
func plainVotes(vs []rvote) []triage.Vote {
	var out []triage.Vote
	for _, v := range vs {
		if !v.adjudication {
			out = append(out, v.Vote)
		}
	}
	return out
}

// ref is the item reference of ri.
func (r *Reviews) ref(ri ritem) triage.ReviewItemRef {
	c, e := r.Cases.names(ri.caseID, ri.exhibitID)
	return triage.ReviewItemRef{ItemID: ri.itemID, Case: c, Exhibit: e, Path: ri.path, InnerPath: ri.innerPath}
}

// queue returns the live groups (those of ids, nil: all) with what the
// viewer may see of them, by id; the caller holds r.mu.
func (r *Reviews) queue(v triage.Viewer, ids []int64) []triage.ReviewGroup {
	now := r.now()
	var out []triage.ReviewGroup
	for _, g := range r.st.groups {
		if g.mergedInto != 0 || (ids != nil && !slices.Contains(ids, g.id)) {
			continue
		}
		q := triage.ReviewGroup{ID: g.id, CreatedAt: g.createdAt}
		f := &q.Features
		var pendNew, pendVar int
		exhibits, cases := map[int64]bool{}, map[int64]bool{}
		var rep int64
		var repPixels int64 = -1
		for _, m := range r.groupMembers(g.id) {
			items := r.visibleItems(v, m.id)
			if len(items) == 0 {
				continue
			}
			q.Members++
			waits := m.status == triage.MemberPending && !r.voted(m.id, v.UserID)
			switch {
			case waits && m.lane == triage.LaneNew:
				pendNew++
			case waits && m.lane == triage.LaneVariant:
				pendVar++
			case m.status == triage.MemberAdjudication:
				q.Adjudication++
			case m.status == triage.MemberConfirmed:
				q.Confirmed++
			}
			if m.cameraOriginal {
				f.CameraOriginal++
			}
			if m.gps {
				f.GPS++
			}
			for _, ri := range items {
				exhibits[ri.exhibitID], cases[ri.caseID] = true, true
			}
			px := int64(m.width) * int64(m.height)
			f.MaxPixels = max(f.MaxPixels, px)
			if m.captured.After(f.NewestCapture) {
				f.NewestCapture = m.captured
			}
			if px > repPixels || (px == repPixels && items[0].itemID < rep) {
				rep, repPixels = items[0].itemID, px
			}
		}
		if q.Members == 0 {
			continue
		}
		f.Members, f.Exhibits, f.Cases, q.Representative = q.Members, len(exhibits), len(cases), rep
		if g.claimedBy != 0 && g.lease.After(now) {
			if u, ok := r.Users.byID(g.claimedBy); ok {
				q.ClaimedBy, q.LeaseExpires = u.Name, g.lease
			}
		}
		q.Pending = pendNew + pendVar
		q.Lanes = review.Lanes(pendNew, pendVar, q.Adjudication, v.Adjudicator)
		out = append(out, q)
	}
	return out
}

// waitsIn reports whether member m waits in lane l for the viewer:
// pending without their vote (new, variant), or in adjudication ("": any
// member); the caller holds r.mu.
func (r *Reviews) waitsIn(m *rmember, l triage.Lane, viewer int64) bool {
	switch l {
	case triage.LaneAdjudication:
		return m.status == triage.MemberAdjudication
	case triage.LaneNew, triage.LaneVariant:
		return m.lane == l && m.status == triage.MemberPending && !r.voted(m.id, viewer)
	}
	return true
}

// ReviewQueue implements triage.ReviewStore.
func (r *Reviews) ReviewQueue(_ context.Context, v triage.Viewer, q triage.QueueQuery) ([]triage.ReviewGroup, int, error) {
	if q.Lane == triage.LaneAdjudication && !v.Adjudicator {
		return nil, 0, triage.Errorf(triage.EFORBIDDEN, "the adjudication lane is for adjudicators")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if q.Limit <= 0 {
		gs := r.queue(v, nil)
		return gs, len(gs), nil
	}
	var waiting []rgroup
	for _, g := range r.st.groups {
		if g.mergedInto == 0 && slices.ContainsFunc(r.groupMembers(g.id), func(m *rmember) bool {
			return r.waitsIn(m, q.Lane, v.UserID) && len(r.visibleItems(v, m.id)) > 0
		}) {
			waiting = append(waiting, g)
		}
	}
	slices.SortFunc(waiting, func(a, b rgroup) int { return cmp.Or(cmp.Compare(b.priority, a.priority), cmp.Compare(a.id, b.id)) })
	total := -1
	if q.Count {
		total = len(waiting)
	}
	ids := []int64{}
	for _, g := range waiting[min(q.Offset, len(waiting)):min(q.Offset+q.Limit, len(waiting))] {
		ids = append(ids, g.id)
	}
	gs := r.queue(v, ids)
	slices.SortFunc(gs, func(a, b triage.ReviewGroup) int { return slices.Index(ids, a.ID) - slices.Index(ids, b.ID) })
	return gs, total, nil
}

// live follows merges to the group id is now; the caller holds r.mu.
func (r *Reviews) live(id int64) (int64, error) {
	for range 100 {
		if id < 1 || id > int64(len(r.st.groups)) {
			return 0, triage.Errorf(triage.ENOTFOUND, "no review group %d", id)
		}
		into := r.group(id).mergedInto
		if into == 0 {
			return id, nil
		}
		id = into
	}
	return 0, triage.Errorf(triage.EINTERNAL, "review group %d: merge chain too long", id)
}

// ReviewGroup implements triage.ReviewStore.
func (r *Reviews) ReviewGroup(_ context.Context, v triage.Viewer, id int64) (triage.ReviewGroupDetail, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reviewGroup(v, id)
}

// reviewGroup is ReviewGroup; the caller holds r.mu.
func (r *Reviews) reviewGroup(v triage.Viewer, id int64) (triage.ReviewGroupDetail, error) {
	var d triage.ReviewGroupDetail
	live, err := r.live(id)
	if err != nil {
		return d, err
	}
	if live != id {
		return d, triage.Errorf(triage.ENOTFOUND, "review group %d was merged into group %d", id, live)
	}
	gs := r.queue(v, []int64{id})
	if len(gs) == 0 {
		return d, triage.Errorf(triage.ENOTFOUND, "no review group %d that you may see", id)
	}
	d.ReviewGroup, d.MemberList = gs[0], r.members(v, id)
	return d, nil
}

// members returns the members of a group that the viewer may see, with
// their visible items, the viewer's vote and the decision; the caller
// holds r.mu.
func (r *Reviews) members(v triage.Viewer, groupID int64) []triage.ReviewMember {
	var out []triage.ReviewMember
	for _, m := range r.groupMembers(groupID) {
		items := r.visibleItems(v, m.id)
		if len(items) == 0 {
			continue
		}
		rm := triage.ReviewMember{ID: m.id, SHA256: m.sha, Lane: m.lane, Status: m.status, Suggested: m.suggested,
			Width: m.width, Height: m.height, Kind: m.kind}
		for _, ri := range items {
			rm.Items = append(rm.Items, r.ref(ri))
		}
		for _, vt := range r.votesOf(m.id) {
			if vt.adjudication {
				continue
			}
			rm.Votes++
			if vt.ReviewerID == v.UserID {
				mine := vt.Vote
				rm.MyVote = &mine
			}
		}
		if d, ok := r.decision(m.id, func(c int64) bool { return r.sees(v, c) }); ok {
			rm.Decision = &d
		}
		out = append(out, rm)
	}
	return out
}

// decision returns the decision on a member with the notes of the cases
// keep accepts; the caller holds r.mu.
func (r *Reviews) decision(memberID int64, keep func(caseID int64) bool) (triage.ReviewDecision, bool) {
	rd, ok := r.st.decisions[memberID]
	if !ok {
		return triage.ReviewDecision{}, false
	}
	d := rd.d
	var vs []triage.Vote
	for _, vt := range r.votesOf(memberID) {
		if vt.CaseID != 0 && keep(vt.CaseID) {
			vs = append(vs, vt.Vote)
		}
	}
	d.Notes = review.NotesByCase(vs)
	return d, true
}

// ClaimGroup implements triage.ReviewStore.
func (r *Reviews) ClaimGroup(_ context.Context, v triage.Viewer, groupID int64, lease time.Duration, audit triage.AuditOf[triage.Claim]) (triage.Claim, error) {
	now := r.now()
	c := triage.Claim{GroupID: groupID, ReviewerID: v.UserID, Reviewer: v.Name}
	r.mu.Lock()
	defer r.mu.Unlock()
	// The viewer must see something of the group.
	if _, err := r.reviewGroup(v, groupID); err != nil {
		return c, err
	}
	g := r.group(groupID)
	held := g.claimedBy != 0 && g.lease.After(now)
	if held && g.claimedBy != v.UserID {
		return c, fmt.Errorf("claim group %d: %w", groupID, triage.ErrGroupClaimed)
	}
	c.LeaseExpires = now.Add(lease)
	if err := recordOf(r.Audit, audit, c); err != nil {
		return c, err
	}
	// A claim that is still live keeps its start (the correction window);
	// a new one starts now.
	if !held {
		g.claimedAt = now
	}
	g.claimedBy, g.lease, g.updatedAt = v.UserID, c.LeaseExpires, now
	return c, nil
}

// ExtendClaim implements triage.ReviewStore.
func (r *Reviews) ExtendClaim(_ context.Context, v triage.Viewer, groupID int64, lease time.Duration) (triage.Claim, error) {
	now := r.now()
	c := triage.Claim{GroupID: groupID, ReviewerID: v.UserID, Reviewer: v.Name}
	r.mu.Lock()
	defer r.mu.Unlock()
	if live, err := r.live(groupID); err != nil || live != groupID {
		return c, r.notHolding(groupID)
	}
	g := r.group(groupID)
	if g.claimedBy != v.UserID || !g.lease.After(now) {
		return c, r.notHolding(groupID)
	}
	g.lease, g.updatedAt = now.Add(lease), now
	c.LeaseExpires = g.lease
	return c, nil
}

// notHolding explains why a reviewer does not hold a group; the caller
// holds r.mu.
func (r *Reviews) notHolding(groupID int64) error {
	live, err := r.live(groupID)
	if err != nil {
		return err
	}
	if live != groupID {
		return triage.Errorf(triage.ECONFLICT, "review group %d was merged into group %d: claim that one", groupID, live)
	}
	return triage.Errorf(triage.ECONFLICT, "you do not hold review group %d (never claimed, released, or the lease ran out): claim it first", groupID)
}

// ReleaseGroup implements triage.ReviewStore.
func (r *Reviews) ReleaseGroup(_ context.Context, v triage.Viewer, groupID int64) error {
	now := r.now()
	r.mu.Lock()
	defer r.mu.Unlock()
	if groupID < 1 || groupID > int64(len(r.st.groups)) {
		return r.notHolding(groupID)
	}
	g := r.group(groupID)
	if g.claimedBy == 0 || (g.claimedBy != v.UserID && !v.All) || !g.lease.After(now) {
		return r.notHolding(groupID)
	}
	g.claimedBy, g.lease, g.updatedAt = 0, time.Time{}, now
	return nil
}

// MemberVotes implements triage.ReviewStore.
func (r *Reviews) MemberVotes(_ context.Context, v triage.Viewer, memberID int64) ([]triage.Vote, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.visibleItems(v, memberID)) == 0 {
		return nil, triage.Errorf(triage.ENOTFOUND, "no review member %d that you may see", memberID)
	}
	out := []triage.Vote{}
	for _, vt := range r.votesOf(memberID) {
		if vt.adjudication {
			continue
		}
		if vt.CaseID != 0 && !r.sees(v, vt.CaseID) {
			// The text belongs to a case the viewer may not see.
			vt.Case, vt.Series, vt.Flags, vt.Tags, vt.Notes = "", "", triage.ReviewFlags{}, nil, ""
		}
		out = append(out, vt.Vote)
	}
	return out, nil
}

// hold checks that the viewer holds a group for a decision or an undo,
// or, with claim, claims it for them when no one holds it (review.Hold).
// It returns when the viewer's claim began; the caller holds r.mu.
func (r *Reviews) hold(v triage.Viewer, groupID int64, claim bool, lease time.Duration, now time.Time) (time.Time, error) {
	if groupID < 1 || groupID > int64(len(r.st.groups)) {
		return time.Time{}, triage.Errorf(triage.ENOTFOUND, "no review group %d", groupID)
	}
	g := r.group(groupID)
	st := review.ClaimState{Merged: g.mergedInto != 0, ClaimedBy: g.claimedBy, Until: g.lease, Since: g.claimedAt}
	switch review.Hold(st, v.UserID, claim, now) {
	case review.Holding:
		return st.Since, nil
	case review.ClaimNow:
		if lease <= 0 {
			lease = review.DefaultClaimLease
		}
		g.claimedBy, g.lease, g.claimedAt, g.updatedAt = v.UserID, now.Add(lease), now, now
		return now, nil
	case review.HeldByOther:
		return time.Time{}, fmt.Errorf("review group %d: %w", groupID, triage.ErrGroupClaimed)
	}
	return time.Time{}, r.notHolding(groupID)
}

// policyMembers returns the members of a group the viewer may see, as
// package review reads them; the caller holds r.mu.
func (r *Reviews) policyMembers(v triage.Viewer, groupID int64) []review.Member {
	var out []review.Member
	for _, m := range r.groupMembers(groupID) {
		if len(r.visibleItems(v, m.id)) > 0 {
			out = append(out, review.Member{ID: m.id, SHA256: m.sha, Status: m.status, Voted: r.voted(m.id, v.UserID)})
		}
	}
	return out
}

// textCase decides which case a vote's free text belongs to
// (review.TextCase), among the cases of the member's items the viewer
// may see; the caller holds r.mu.
func (r *Reviews) textCase(v triage.Viewer, m review.Member, named string) (review.CaseRef, error) {
	var cs []review.CaseRef
	for _, ri := range r.visibleItems(v, m.ID) {
		if !slices.ContainsFunc(cs, func(c review.CaseRef) bool { return c.ID == ri.caseID }) {
			name, _ := r.Cases.names(ri.caseID, 0)
			cs = append(cs, review.CaseRef{ID: ri.caseID, Name: name})
		}
	}
	slices.SortFunc(cs, func(a, b review.CaseRef) int { return strings.Compare(a.Name, b.Name) })
	return review.TextCase(cs, named, m.SHA256)
}

// member returns the member with id, which exists; the caller holds r.mu.
func (r *Reviews) member(id int64) *rmember { return &r.st.members[id-1] }

// atomically runs fn, holding r.mu; when fn fails, the review state is as
// it was before.
func (r *Reviews) atomically(fn func() error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	saved := r.st.clone()
	if err := fn(); err != nil {
		r.st = saved
		return err
	}
	return nil
}

// Decide implements triage.ReviewStore. Which members a decision covers,
// whether each may be decided, which case its text belongs to and what
// the votes add up to are package review's rules.
func (r *Reviews) Decide(_ context.Context, req triage.DecideRequest) (triage.DecideResult, error) {
	var res triage.DecideResult
	v := triage.ViewerOf(req.Reviewer)
	if err := review.CanDecide(v, req.Adjudicate); err != nil {
		return res, err
	}
	err := r.atomically(func() error {
		res = triage.DecideResult{}
		now := r.now()
		if _, err := r.hold(v, req.GroupID, req.Claim, req.Lease, now); err != nil {
			return err
		}
		chosen, err := review.Choose(r.policyMembers(v, req.GroupID), req.Members, req.Adjudicate, req.GroupID)
		if err != nil {
			return err
		}
		var confirmed []confirmedMember
		for _, m := range chosen {
			vote := req.Vote
			vote.ReviewerID, vote.Reviewer, vote.At, vote.SHA256 = v.UserID, v.Name, now, m.SHA256
			vote.Tags = slices.Clone(vote.Tags)
			if vote.HasText() {
				c, err := r.textCase(v, m, req.Case)
				if err != nil {
					return err
				}
				vote.CaseID, vote.Case = c.ID, c.Name
			}
			if err := review.Decidable(m, req.Adjudicate); err != nil {
				return err
			}
			if slices.ContainsFunc(r.st.votes, func(x rvote) bool {
				return x.memberID == m.ID && x.ReviewerID == v.UserID && x.adjudication == req.Adjudicate
			}) {
				return triage.Errorf(triage.ECONFLICT, "you have already decided on content %s: undo your decision first (while you hold the group)", m.SHA256)
			}
			r.st.votes = append(r.st.votes, rvote{memberID: m.ID, adjudication: req.Adjudicate, Vote: vote})
			o := review.Count(plainVotes(r.votesOf(m.ID)), vote, req.Adjudicate, req.Required)
			res.Outcomes = append(res.Outcomes, triage.MemberOutcome{MemberID: m.ID, SHA256: m.SHA256, Status: o.Status, Needed: o.Needed, Entry: -1})
			switch o.Status {
			case triage.MemberConfirmed:
				confirmed = append(confirmed, confirmedMember{m.ID, o.Decision})
			case triage.MemberAdjudication:
				r.member(m.ID).status = triage.MemberAdjudication
			}
		}
		r.group(req.GroupID).updatedAt = now
		return r.promote(req.LocalSet, v.Name, confirmed, nil, func(version int, entries map[int64]int64) error {
			res.Version = version
			for i := range res.Outcomes {
				if e, ok := entries[res.Outcomes[i].MemberID]; ok {
					res.Outcomes[i].Entry = e
				}
			}
			return recordOf(r.Audit, req.Audit, res)
		})
	})
	return res, err
}

type confirmedMember struct {
	id int64
	d  triage.ReviewDecision
}

// promote records the decisions and adds their contents to the local set,
// and withdraws entries from it, as one new version, then calls done with
// the version and the entry of each member promoted (version 0 when there
// was nothing to change); when done fails, the set is left as it was. An
// entry carries every digest the lab holds for the content, its PDQ,
// pHash, regions and local features, the confirmed category and the provenance, never a
// case's free text or names. Withdrawn entries keep their number and match nothing.
// The caller holds r.mu.
func (r *Reviews) promote(setName, by string, ms []confirmedMember, ws []int64, done func(version int, entries map[int64]int64) error) error {
	if len(ms) == 0 && len(ws) == 0 {
		return done(0, nil)
	}
	now := r.now()
	return r.Sets.update(setName, func(st *set) error {
		if st.State != triage.SetReady || st.Kind != triage.SetKindAlert {
			return triage.Errorf(triage.ECONFLICT, "the local hash set %q is %s (%s); it must be a ready alert set", setName, st.State, st.Kind)
		}
		version := 1
		for _, v := range r.st.versions {
			if v.set == setName {
				version = max(version, v.Version+1)
			}
		}
		for _, w := range ws {
			st.entries[w] = withdrawn(st.entries[w])
		}
		from := int64(len(st.entries))
		entries := map[int64]int64{}
		for _, m := range ms {
			e, err := r.entryOf(m)
			if err != nil {
				return err
			}
			e.Extra["review_version"] = strconv.Itoa(version)
			e.Kind = e.KindIn(st.Kind)
			n := int64(len(st.entries))
			rd := r.st.decisions[m.id]
			if _, ok := r.st.decisions[m.id]; ok {
				// An overturn: the decision moves to its new entry.
				rd.d.Category = m.d.Category
			} else {
				rd.d = m.d
				rd.d.Notes = nil
			}
			rd.setName, rd.entry = setName, n
			if r.st.decisions == nil {
				r.st.decisions = map[int64]rdecision{}
			}
			r.st.decisions[m.id] = rd
			r.member(m.id).status = triage.MemberConfirmed
			st.entries = append(st.entries, e)
			entries[m.id] = n
		}
		st.Entries, st.UpdatedAt = int64(len(st.entries)), now
		st.Rev += int64(min(len(ws), 1))
		r.st.versions = append(r.st.versions, lversion{set: setName, LocalSetVersion: triage.LocalSetVersion{Version: version,
			From: from, To: int64(len(st.entries)), Withdrawn: len(ws), By: by, CreatedAt: now}})
		return done(version, entries)
	})
}

// withdrawn is a withdrawn entry: its number and provenance without
// hashes, a placeholder that matches nothing.
func withdrawn(e triage.Entry) triage.Entry {
	e.MD5, e.SHA1, e.SHA256, e.PDQ, e.PHash, e.PhotoDNA, e.Algos = triage.MD5{}, triage.SHA1{}, triage.SHA256{}, triage.PDQ{}, 0, "", 0
	e.Regions, e.Keypoints = nil, nil
	return e
}

// entryOf builds the local set's entry for a confirmed member, from its
// first item; the caller holds r.mu.
func (r *Reviews) entryOf(m confirmedMember) (triage.Entry, error) {
	e := triage.NewEntry()
	mb := r.member(m.id)
	// The first item holding the content, preferring one hashed with its
	// regions, then one with its local features, as PostgreSQL picks it.
	lacks := func(ri ritem) [2]bool { return [2]bool{len(ri.regions) == 0, len(ri.keypoints) == 0} }
	var first ritem
	for _, ri := range r.st.items {
		if ri.memberID != m.id {
			continue
		}
		l, fl := lacks(ri), lacks(first)
		if first.itemID == 0 || !l[0] && fl[0] || l[0] == fl[0] && (!l[1] && fl[1] || l[1] == fl[1] && ri.itemID < first.itemID) {
			first = ri
		}
	}
	e.MD5, e.SHA1, e.SHA256, e.Size = first.digests.MD5, first.digests.SHA1, mb.sha, first.size
	e.Algos = triage.AlgosCrypto
	if mb.perceptual {
		e.PDQ, e.PDQQuality, e.PHash = mb.pdq, mb.pdqQuality, mb.phash
		e.Algos |= triage.AlgoSet(triage.AlgoPDQ | triage.AlgoPHash)
		e.Regions, e.Keypoints = slices.Clone(first.regions), slices.Clone(first.keypoints)
	}
	return e, review.Promoted(&e, m.id, m.d)
}

// EnsureLocalSet implements triage.ReviewStore.
func (r *Reviews) EnsureLocalSet(_ context.Context, st *triage.StoredSet) error {
	return r.Sets.ensureLocal(st)
}

// LocalSetVersions implements triage.ReviewStore.
func (r *Reviews) LocalSetVersions(_ context.Context, setName string) ([]triage.LocalSetVersion, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []triage.LocalSetVersion
	for _, v := range slices.Backward(r.st.versions) {
		if v.set == setName {
			out = append(out, v.LocalSetVersion)
		}
	}
	return out, nil
}

// CaseDecisions implements triage.ReviewStore.
func (r *Reviews) CaseDecisions(_ context.Context, caseID int64) ([]triage.CaseDecision, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []triage.CaseDecision
	for _, m := range r.st.members {
		if _, ok := r.st.decisions[m.id]; !ok {
			continue
		}
		var items []ritem
		for _, ri := range r.st.items {
			if ri.memberID == m.id && ri.caseID == caseID {
				items = append(items, ri)
			}
		}
		if len(items) == 0 {
			continue
		}
		slices.SortFunc(items, func(a, b ritem) int { return cmp.Compare(a.itemID, b.itemID) })
		cd := triage.CaseDecision{Digests: items[0].digests, Size: items[0].size, PDQ: m.pdq, PDQQual: m.pdqQuality, PHash: m.phash}
		for _, ri := range items {
			cd.Items = append(cd.Items, r.ref(ri))
		}
		cd.Decision, _ = r.decision(m.id, func(id int64) bool { return id == caseID })
		out = append(out, cd)
	}
	return out, nil
}
