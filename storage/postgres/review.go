package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/review"
	"github.com/winnow-forensics/winnow/triage/series"
)

// The review queue: groups, members (one per distinct content), the items
// carrying them, claims, votes, decisions and promotion into the local
// hash set.
//
// Grouping happens in FinishItem's transaction, so an item is finished and
// queued together or not at all, and a retried task cannot group an item
// twice. Every grouping takes one transaction-level advisory lock: while a
// process holds it, every member ever committed is visible, so its
// in-memory series index (caught up from review_members ids above the last
// it saw) is complete, and two workers cannot put two near-duplicates into
// two groups at the same moment. The index holds the eight PDQ hashes and
// the pHash of each member (about 400 bytes with the index's overhead), so
// a lab with a million distinct contents in review needs about 400 MB per
// worker; a SQL search over hash prefixes would need hundreds of index
// probes per item for PDQ radius 31, and could not check the rotations.

// reviewLockKey is the advisory lock key of grouping.
const reviewLockKey = 0x77696e6e6f77 // "winnow"

// reviewIndex is a process's series index over review_members.
type reviewIndex struct {
	mu   sync.Mutex
	idx  *series.Index
	last int64
}

// visible is the SQL condition that a review_items row ri is in a case the
// viewer ($1 user id, $2 sees everything) may see.
const visible = `($2 OR ri.case_id IN (SELECT cm.case_id FROM case_members cm WHERE cm.user_id = $1))`

func pdq8Bytes(p [8]triage.PDQ) []byte {
	b := make([]byte, 0, 8*32)
	for _, h := range p {
		b = append(b, h[:]...)
	}
	return b
}

func pdq8Of(b []byte) [8]triage.PDQ {
	var p [8]triage.PDQ
	for i := range p {
		if len(b) >= (i+1)*32 {
			copy(p[i][:], b[i*32:])
		}
	}
	return p
}

// framesOf splits a video member's stored frames (32-byte PDQ hashes,
// concatenated); nil for a still.
func framesOf(b []byte) []triage.PDQ {
	if len(b) < 32 {
		return nil
	}
	fs := make([]triage.PDQ, 0, len(b)/32)
	for ; len(b) >= 32; b = b[32:] {
		fs = append(fs, triage.PDQ(b[:32]))
	}
	return fs
}

// seriesIndex catches the process's index up with the committed members.
// The caller holds the grouping lock.
func (s *Store) seriesIndex(ctx context.Context, tx pgx.Tx) (*series.Index, error) {
	r := &s.review
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.idx == nil {
		r.idx = series.NewIndex(series.Options{})
	}
	rows, err := tx.Query(ctx, `SELECT id, sha256, perceptual, pdq8, pdq_quality, phash, frames FROM review_members
		WHERE (perceptual OR frames IS NOT NULL) AND id > $1 ORDER BY id`, r.last)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var ph *int64
		var sum, pdq, frames []byte
		g := series.Item{Cluster: true}
		if err := rows.Scan(&id, &sum, &g.Perceptual, &pdq, &g.PDQQuality, &ph, &frames); err != nil {
			return nil, err
		}
		copy(g.SHA256[:], sum)
		if g.Perceptual {
			g.PDQ, g.PHash = pdq8Of(pdq), triage.PHash(uint64(*ph))
		}
		g.Frames = framesOf(frames)
		r.idx.Add(id, g)
		r.last = id
	}
	return r.idx, rows.Err()
}

// groupForReview puts a finished new or variant image or video into the
// review queue, inside FinishItem's transaction: its content's member if
// the content is already in review, else a new member in the group of the
// members it links to (merging their groups), or in a new group.
func (s *Store) groupForReview(ctx context.Context, tx pgx.Tx, itemID int64, verdict triage.Verdict, r triage.ItemResult) error {
	adm, ok := review.Admit(verdict, r)
	if !ok {
		return nil
	}
	fp := r.Fingerprint
	var caseID, exhibitID, size int64
	var itemPath, innerPath string
	if err := tx.QueryRow(ctx, `SELECT e.case_id, i.exhibit_id, i.path, i.inner_path, i.size FROM items i JOIN exhibits e ON e.id = i.exhibit_id WHERE i.id = $1`,
		itemID).Scan(&caseID, &exhibitID, &itemPath, &innerPath, &size); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(reviewLockKey)); err != nil {
		return err
	}
	now := s.now()
	var memberID, groupID int64
	err := tx.QueryRow(ctx, `SELECT id, group_id FROM review_members WHERE sha256 = $1`, fp.SHA256[:]).Scan(&memberID, &groupID)
	if err == nil {
		if _, err := tx.Exec(ctx, `INSERT INTO review_items (item_id, member_id, case_id, exhibit_id, path, inner_path) VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT DO NOTHING`, itemID, memberID, caseID, exhibitID, itemPath, innerPath); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE review_groups SET updated_at = $2 WHERE id = $1`, groupID, now)
		return err
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return err
	}
	g := series.ItemOf(fp, true)
	idx, err := s.seriesIndex(ctx, tx)
	if err != nil {
		return err
	}
	var groups []int64
	if linked := idx.Linked(g); len(linked) > 0 {
		rows, err := tx.Query(ctx, `SELECT id FROM review_groups WHERE id IN
			(SELECT DISTINCT group_id FROM review_members WHERE id = ANY($1)) ORDER BY id FOR UPDATE`, linked)
		if err != nil {
			return err
		}
		if groups, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
			return err
		}
	}
	groupID, others := review.Merge(groups)
	if groupID == 0 {
		if err := tx.QueryRow(ctx, `INSERT INTO review_groups (created_at, updated_at) VALUES ($1, $1) RETURNING id`, now).Scan(&groupID); err != nil {
			return err
		}
	} else if err := s.mergeGroups(ctx, tx, groupID, others, now); err != nil {
		return err
	}
	var capturedAt *time.Time
	if !adm.Captured.IsZero() {
		capturedAt = &adm.Captured
	}
	var pdq []byte
	var phash *int64
	if fp.Perceptual {
		pdq = pdq8Bytes(g.PDQ)
		p := int64(fp.PHash)
		phash = &p
	}
	var frames []byte
	for _, f := range g.Frames {
		frames = append(frames, f[:]...)
	}
	if err := tx.QueryRow(ctx, `INSERT INTO review_members (group_id, sha256, lane, suggested, kind, perceptual, pdq8, pdq_quality, phash,
			width, height, camera_original, gps, captured_at, created_at, size, make, model, serial, device, sort_path, frames)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) RETURNING id`,
		groupID, fp.SHA256[:], string(adm.Lane), adm.Suggested.String(), fp.Type.Kind.String(), fp.Perceptual, pdq, fp.PDQQuality, phash,
		fp.Width, fp.Height, adm.CameraOriginal, adm.GPS, capturedAt, now, size, adm.Make, adm.Model, adm.Serial,
		adm.Device, review.SortPath(itemPath, innerPath), frames).Scan(&memberID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO review_items (item_id, member_id, case_id, exhibit_id, path, inner_path) VALUES ($1, $2, $3, $4, $5, $6)`,
		itemID, memberID, caseID, exhibitID, itemPath, innerPath); err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `UPDATE review_groups SET updated_at = $2 WHERE id = $1`, groupID, now)
	return err
}

// mergeGroups moves the members of others into target (the oldest). A
// live claim moves with them when target has none; other claims end.
func (s *Store) mergeGroups(ctx context.Context, tx pgx.Tx, target int64, others []int64, now time.Time) error {
	if len(others) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `UPDATE review_members SET group_id = $1 WHERE group_id = ANY($2)`, target, others); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE review_groups t SET claimed_by = o.claimed_by, lease_expires = o.lease_expires, claimed_at = o.claimed_at
		FROM (SELECT claimed_by, lease_expires, claimed_at FROM review_groups WHERE id = ANY($2) AND lease_expires > $3 ORDER BY id LIMIT 1) o
		WHERE t.id = $1 AND (t.lease_expires IS NULL OR t.lease_expires <= $3)`, target, others, now); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `UPDATE review_groups SET merged_into = $1, claimed_by = NULL, lease_expires = NULL, updated_at = $3
		WHERE id = ANY($2)`, target, others, now)
	return err
}

// queueSQL lists live groups with what the viewer ($1, $2) may see of
// them; $3 is now, $4 the group ids (NULL: all).
const queueSQL = `SELECT g.id, g.created_at, coalesce(u.name, ''), g.lease_expires,
	count(DISTINCT m.id),
	count(DISTINCT m.id) FILTER (WHERE m.status = 'pending' AND m.lane = 'new' AND NOT EXISTS
		(SELECT 1 FROM review_votes v WHERE v.member_id = m.id AND v.reviewer_id = $1 AND v.kind = 'vote')),
	count(DISTINCT m.id) FILTER (WHERE m.status = 'pending' AND m.lane = 'variant' AND NOT EXISTS
		(SELECT 1 FROM review_votes v WHERE v.member_id = m.id AND v.reviewer_id = $1 AND v.kind = 'vote')),
	count(DISTINCT m.id) FILTER (WHERE m.status = 'adjudication'),
	count(DISTINCT m.id) FILTER (WHERE m.status = 'confirmed'),
	count(DISTINCT m.id) FILTER (WHERE m.camera_original),
	count(DISTINCT m.id) FILTER (WHERE m.gps),
	count(DISTINCT ri.exhibit_id), count(DISTINCT ri.case_id),
	coalesce(max(m.width::bigint * m.height), 0), max(m.captured_at),
	(array_agg(ri.item_id ORDER BY m.width::bigint * m.height DESC, ri.item_id))[1]
FROM review_groups g
JOIN review_members m ON m.group_id = g.id
JOIN review_items ri ON ri.member_id = m.id
LEFT JOIN users u ON u.id = g.claimed_by AND g.lease_expires > $3
WHERE g.merged_into IS NULL AND ($4::bigint[] IS NULL OR g.id = ANY($4)) AND ` + visible + `
GROUP BY g.id, u.name`

func (s *Store) queue(ctx context.Context, v triage.Viewer, ids []int64) ([]triage.ReviewGroup, error) {
	now := s.now()
	rows, err := s.pool.Query(ctx, queueSQL, v.UserID, v.All, now, ids)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (triage.ReviewGroup, error) {
		var g triage.ReviewGroup
		var lease, captured *time.Time
		var pendNew, pendVar int
		f := &g.Features
		err := r.Scan(&g.ID, &g.CreatedAt, &g.ClaimedBy, &lease, &g.Members, &pendNew, &pendVar, &g.Adjudication, &g.Confirmed,
			&f.CameraOriginal, &f.GPS, &f.Exhibits, &f.Cases, &f.MaxPixels, &captured, &g.Representative)
		f.Members = g.Members
		if captured != nil {
			f.NewestCapture = *captured
		}
		if lease != nil && lease.After(now) && g.ClaimedBy != "" {
			g.LeaseExpires = *lease
		} else {
			g.ClaimedBy = ""
		}
		g.Pending = pendNew + pendVar
		g.Lanes = review.Lanes(pendNew, pendVar, g.Adjudication, v.Adjudicator)
		return g, err
	})
}

// laneMember is the condition that a member m waits in a lane for the
// viewer ($1): pending without their vote (new, variant), or in
// adjudication.
func laneMember(l triage.Lane) string {
	switch l {
	case triage.LaneAdjudication:
		return "m.status = 'adjudication'"
	case triage.LaneNew, triage.LaneVariant:
		return "m.lane = '" + string(l) + "' AND m.status = 'pending' AND NOT " + myVote
	}
	return "true"
}

// ReviewQueue implements triage.ReviewStore. A page in a lane is chosen by
// the stored priority (review_groups_priority), then only its groups are
// counted up for the viewer.
func (s *Store) ReviewQueue(ctx context.Context, v triage.Viewer, q triage.QueueQuery) ([]triage.ReviewGroup, int, error) {
	if q.Lane == triage.LaneAdjudication && !v.Adjudicator {
		return nil, 0, triage.Errorf(triage.EFORBIDDEN, "the adjudication lane is for adjudicators")
	}
	if q.Limit <= 0 {
		gs, err := s.queue(ctx, v, nil)
		if err != nil {
			return nil, 0, fmt.Errorf("review queue: %w", formatError(err))
		}
		return gs, len(gs), nil
	}
	where := `g.merged_into IS NULL AND EXISTS (SELECT 1 FROM review_members m WHERE m.group_id = g.id AND ` + laneMember(q.Lane) + `
		AND EXISTS (SELECT 1 FROM review_items ri WHERE ri.member_id = m.id AND ` + visible + `))`
	total := -1
	if q.Count {
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM review_groups g WHERE `+where, v.UserID, v.All).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("review queue: %w", formatError(err))
		}
	}
	rows, err := s.pool.Query(ctx, `SELECT g.id FROM review_groups g WHERE `+where+` ORDER BY g.priority DESC, g.id LIMIT $3 OFFSET $4`,
		v.UserID, v.All, q.Limit, q.Offset)
	if err != nil {
		return nil, 0, fmt.Errorf("review queue: %w", formatError(err))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, 0, fmt.Errorf("review queue: %w", formatError(err))
	}
	gs, err := s.queue(ctx, v, ids)
	if err != nil {
		return nil, 0, fmt.Errorf("review queue: %w", formatError(err))
	}
	slices.SortFunc(gs, func(a, b triage.ReviewGroup) int { return slices.Index(ids, a.ID) - slices.Index(ids, b.ID) })
	return gs, total, nil
}

// liveGroup follows merges to the group id holds now.
func (s *Store) liveGroup(ctx context.Context, id int64) (int64, error) {
	for range 100 {
		var into *int64
		if err := s.pool.QueryRow(ctx, `SELECT merged_into FROM review_groups WHERE id = $1`, id).Scan(&into); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return 0, triage.Errorf(triage.ENOTFOUND, "no review group %d", id)
			}
			return 0, formatError(err)
		}
		if into == nil {
			return id, nil
		}
		id = *into
	}
	return 0, triage.Errorf(triage.EINTERNAL, "review group %d: merge chain too long", id)
}

// ReviewGroup implements triage.ReviewStore.
func (s *Store) ReviewGroup(ctx context.Context, v triage.Viewer, id int64) (triage.ReviewGroupDetail, error) {
	var d triage.ReviewGroupDetail
	live, err := s.liveGroup(ctx, id)
	if err != nil {
		return d, err
	}
	if live != id {
		return d, triage.Errorf(triage.ENOTFOUND, "review group %d was merged into group %d", id, live)
	}
	gs, err := s.queue(ctx, v, []int64{id})
	if err != nil {
		return d, fmt.Errorf("review group: %w", formatError(err))
	}
	if len(gs) == 0 {
		return d, triage.Errorf(triage.ENOTFOUND, "no review group %d that you may see", id)
	}
	d.ReviewGroup = gs[0]
	d.MemberList, err = s.members(ctx, v, `m.group_id = $3`, id)
	if err != nil {
		return d, fmt.Errorf("review group: %w", formatError(err))
	}
	return d, nil
}

// members returns the members matching cond (on m, with $3 its argument)
// that the viewer may see, with their visible items, the viewer's vote and
// the decision.
func (s *Store) members(ctx context.Context, v triage.Viewer, cond string, arg any) ([]triage.ReviewMember, error) {
	var out []triage.ReviewMember
	byID := map[int64]int{}
	rows, err := s.pool.Query(ctx, `SELECT m.id, m.sha256, m.lane, m.status, m.suggested, m.width, m.height, m.kind,
			(SELECT count(*) FROM review_votes rv WHERE rv.member_id = m.id AND rv.kind = 'vote'),
			ri.item_id, c.name, e.name, i.path, i.inner_path
		FROM review_members m
		JOIN review_items ri ON ri.member_id = m.id
		JOIN items i ON i.id = ri.item_id
		JOIN exhibits e ON e.id = ri.exhibit_id
		JOIN cases c ON c.id = ri.case_id
		WHERE `+cond+` AND `+visible+`
		ORDER BY m.id, ri.item_id`, v.UserID, v.All, arg)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var m triage.ReviewMember
		var sum []byte
		var lane, status, suggested string
		var ref triage.ReviewItemRef
		if err := rows.Scan(&m.ID, &sum, &lane, &status, &suggested, &m.Width, &m.Height, &m.Kind, &m.Votes,
			&ref.ItemID, &ref.Case, &ref.Exhibit, &ref.Path, &ref.InnerPath); err != nil {
			return nil, err
		}
		k, ok := byID[m.ID]
		if !ok {
			copy(m.SHA256[:], sum)
			m.Lane, m.Status = triage.Lane(lane), triage.MemberStatus(status)
			if m.Suggested, err = triage.SplitCategory(suggested); err != nil {
				return nil, fmt.Errorf("review member %d: suggested %w", m.ID, err)
			}
			k = len(out)
			byID[m.ID] = k
			out = append(out, m)
		}
		out[k].Items = append(out[k].Items, ref)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return out, nil
	}
	ids := make([]int64, len(out))
	for i := range out {
		ids[i] = out[i].ID
	}
	votes, err := s.votesIn(ctx, s.pool, `v.member_id = ANY($1) AND v.reviewer_id = $2 AND v.kind = 'vote'`, ids, v.UserID)
	if err != nil {
		return nil, err
	}
	for _, vt := range votes {
		out[byID[vt.memberID]].MyVote = &vt.Vote
	}
	keep, err := s.visibleCases(ctx, v)
	if err != nil {
		return nil, err
	}
	decs, err := s.decisions(ctx, ids, keep)
	if err != nil {
		return nil, err
	}
	for id, d := range decs {
		out[byID[id]].Decision = &d
	}
	return out, nil
}

type memberVote struct {
	memberID int64
	kind     string // "vote" or "adjudication"
	triage.Vote
}

type querier interface {
	Query(context.Context, string, ...any) (pgx.Rows, error)
}

// votesIn returns votes (and adjudications) matching cond ($1, $2 its
// arguments), in the order they were cast, with the name of the case
// their text belongs to.
func (s *Store) votesIn(ctx context.Context, q querier, cond string, a1, a2 any) ([]memberVote, error) {
	rows, err := q.Query(ctx, `SELECT v.member_id, v.kind, m.sha256, v.reviewer_id, u.name, v.category, coalesce(v.case_id, 0), coalesce(c.name, ''),
			v.series, v.flags, v.tags, v.notes, v.at
		FROM review_votes v JOIN users u ON u.id = v.reviewer_id JOIN review_members m ON m.id = v.member_id
		LEFT JOIN cases c ON c.id = v.case_id
		WHERE `+cond+` ORDER BY v.seq`, a1, a2)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (memberVote, error) {
		var v memberVote
		var sum []byte
		var cat string
		err := r.Scan(&v.memberID, &v.kind, &sum, &v.ReviewerID, &v.Reviewer, &cat, &v.CaseID, &v.Case,
			&v.Series, &v.Flags, &v.Tags, &v.Notes, &v.At)
		if err != nil {
			return v, err
		}
		copy(v.SHA256[:], sum)
		if v.Category, err = triage.SplitCategory(cat); err != nil {
			return v, fmt.Errorf("vote on member %d: %w", v.memberID, err)
		}
		return v, nil
	})
}

// plainVotes are the reviewers' votes of vs (not the adjudications), for
// tallying.
func plainVotes(vs []memberVote) []triage.Vote {
	var out []triage.Vote
	for _, v := range vs {
		if v.kind == "vote" {
			out = append(out, v.Vote)
		}
	}
	return out
}

// decisions returns the decisions on members ids, each with the notes of
// the cases keep accepts (the cases a viewer may see, or the one case an
// export is for).
func (s *Store) decisions(ctx context.Context, ids []int64, keep func(caseID int64) bool) (map[int64]triage.ReviewDecision, error) {
	rows, err := s.pool.Query(ctx, `SELECT d.member_id, m.sha256, d.category, d.reviewers, d.adjudicator, d.decided_at,
			d.overturned_by, d.overturn_reason, d.previous_category, d.overturned_at
		FROM review_decisions d JOIN review_members m ON m.id = d.member_id WHERE d.member_id = ANY($1)`, ids)
	if err != nil {
		return nil, err
	}
	out := map[int64]triage.ReviewDecision{}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var id int64
		var d triage.ReviewDecision
		var sum []byte
		var cat, by, reason, prev string
		var at *time.Time
		if err := r.Scan(&id, &sum, &cat, &d.Reviewers, &d.Adjudicator, &d.DecidedAt, &by, &reason, &prev, &at); err != nil {
			return struct{}{}, err
		}
		copy(d.SHA256[:], sum)
		var err error
		if d.Category, err = triage.SplitCategory(cat); err != nil {
			return struct{}{}, fmt.Errorf("decision on member %d: %w", id, err)
		}
		if by != "" && at != nil {
			d.Overturn = &triage.Overturn{By: by, Reason: reason, At: *at}
			if d.Overturn.Previous, err = triage.SplitCategory(prev); err != nil {
				return struct{}{}, fmt.Errorf("decision on member %d: %w", id, err)
			}
		}
		out[id] = d
		return struct{}{}, nil
	})
	if err != nil {
		return nil, err
	}
	votes, err := s.votesIn(ctx, s.pool, `v.member_id = ANY($1) AND $2`, ids, true)
	if err != nil {
		return nil, err
	}
	byMember := map[int64][]triage.Vote{}
	for _, v := range votes {
		if v.CaseID != 0 && keep(v.CaseID) {
			byMember[v.memberID] = append(byMember[v.memberID], v.Vote)
		}
	}
	for id, d := range out {
		d.Notes = review.NotesByCase(byMember[id])
		out[id] = d
	}
	return out, nil
}

// visibleCases returns the cases the viewer may see, as a test for
// decisions' notes.
func (s *Store) visibleCases(ctx context.Context, v triage.Viewer) (func(int64) bool, error) {
	if v.All {
		return func(int64) bool { return true }, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT case_id FROM case_members WHERE user_id = $1`, v.UserID)
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, err
	}
	return func(id int64) bool { return slices.Contains(ids, id) }, nil
}

// ClaimGroup implements triage.ReviewStore. The claim is one guarded
// UPDATE, so of two reviewers racing for a group exactly one gets a row.
func (s *Store) ClaimGroup(ctx context.Context, v triage.Viewer, groupID int64, lease time.Duration, audit triage.AuditOf[triage.Claim]) (triage.Claim, error) {
	now := s.now()
	c := triage.Claim{GroupID: groupID, ReviewerID: v.UserID, Reviewer: v.Name}
	// The viewer must see something of the group.
	if _, err := s.ReviewGroup(ctx, v, groupID); err != nil {
		return c, err
	}
	// A claim that is still live keeps its start (the correction window);
	// a new one starts now.
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `UPDATE review_groups SET claimed_by = $2, lease_expires = $3, updated_at = $4,
				claimed_at = CASE WHEN claimed_by = $2 AND lease_expires > $4 THEN claimed_at ELSE $4 END
			WHERE id = $1 AND merged_into IS NULL AND (claimed_by IS NULL OR claimed_by = $2 OR lease_expires <= $4)
			RETURNING lease_expires`, groupID, v.UserID, now.Add(lease), now).Scan(&c.LeaseExpires); err != nil {
			return err
		}
		return recordAudits(ctx, s, tx, audit, c)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return c, fmt.Errorf("claim group %d: %w", groupID, triage.ErrGroupClaimed)
	}
	if err != nil {
		return c, fmt.Errorf("claim group: %w", formatError(err))
	}
	return c, nil
}

// ExtendClaim implements triage.ReviewStore.
func (s *Store) ExtendClaim(ctx context.Context, v triage.Viewer, groupID int64, lease time.Duration) (triage.Claim, error) {
	now := s.now()
	c := triage.Claim{GroupID: groupID, ReviewerID: v.UserID, Reviewer: v.Name}
	err := s.pool.QueryRow(ctx, `UPDATE review_groups SET lease_expires = $3, updated_at = $4
		WHERE id = $1 AND merged_into IS NULL AND claimed_by = $2 AND lease_expires > $4 RETURNING lease_expires`,
		groupID, v.UserID, now.Add(lease), now).Scan(&c.LeaseExpires)
	if errors.Is(err, pgx.ErrNoRows) {
		return c, s.notHolding(ctx, groupID)
	}
	if err != nil {
		return c, fmt.Errorf("extend claim: %w", formatError(err))
	}
	return c, nil
}

// notHolding explains why a reviewer does not hold a group.
func (s *Store) notHolding(ctx context.Context, groupID int64) error {
	live, err := s.liveGroup(ctx, groupID)
	if err != nil {
		return err
	}
	if live != groupID {
		return triage.Errorf(triage.ECONFLICT, "review group %d was merged into group %d: claim that one", groupID, live)
	}
	return triage.Errorf(triage.ECONFLICT, "you do not hold review group %d (never claimed, released, or the lease ran out): claim it first", groupID)
}

// ReleaseGroup implements triage.ReviewStore.
func (s *Store) ReleaseGroup(ctx context.Context, v triage.Viewer, groupID int64) error {
	tag, err := s.pool.Exec(ctx, `UPDATE review_groups SET claimed_by = NULL, lease_expires = NULL, updated_at = $3
		WHERE id = $1 AND claimed_by IS NOT NULL AND (claimed_by = $2 OR $4) AND lease_expires > $3`,
		groupID, v.UserID, s.now(), v.All)
	if err != nil {
		return fmt.Errorf("release group: %w", formatError(err))
	}
	if tag.RowsAffected() == 0 {
		return s.notHolding(ctx, groupID)
	}
	return nil
}

// MemberVotes implements triage.ReviewStore.
func (s *Store) MemberVotes(ctx context.Context, v triage.Viewer, memberID int64) ([]triage.Vote, error) {
	var n int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM review_items ri WHERE ri.member_id = $3 AND `+visible,
		v.UserID, v.All, memberID).Scan(&n); err != nil {
		return nil, fmt.Errorf("member votes: %w", formatError(err))
	}
	if n == 0 {
		return nil, triage.Errorf(triage.ENOTFOUND, "no review member %d that you may see", memberID)
	}
	vs, err := s.votesIn(ctx, s.pool, `v.member_id = $1 AND $2 AND v.kind = 'vote'`, memberID, true)
	if err != nil {
		return nil, fmt.Errorf("member votes: %w", formatError(err))
	}
	keep, err := s.visibleCases(ctx, v)
	if err != nil {
		return nil, fmt.Errorf("member votes: %w", formatError(err))
	}
	out := make([]triage.Vote, len(vs))
	for i, vt := range vs {
		if vt.CaseID != 0 && !keep(vt.CaseID) {
			// The text belongs to a case the viewer may not see.
			vt.Case, vt.Series, vt.Flags, vt.Tags, vt.Notes = "", "", triage.ReviewFlags{}, nil, ""
		}
		out[i] = vt.Vote
	}
	return out, nil
}

// holdGroup locks a live group for a decision or an undo and checks that
// the viewer holds it, or, with claim, claims it for them when no one
// holds it (review.Hold). It returns when the viewer's claim began.
func (s *Store) holdGroup(ctx context.Context, tx pgx.Tx, v triage.Viewer, groupID int64, claim bool, lease time.Duration, now time.Time) (time.Time, error) {
	var claimedBy *int64
	var until, since *time.Time
	var merged *int64
	err := tx.QueryRow(ctx, `SELECT claimed_by, lease_expires, claimed_at, merged_into FROM review_groups WHERE id = $1 FOR UPDATE`, groupID).
		Scan(&claimedBy, &until, &since, &merged)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, triage.Errorf(triage.ENOTFOUND, "no review group %d", groupID)
	} else if err != nil {
		return time.Time{}, err
	}
	st := review.ClaimState{Merged: merged != nil}
	if claimedBy != nil && until != nil {
		st.ClaimedBy, st.Until = *claimedBy, *until
	}
	if since != nil {
		st.Since = *since
	}
	switch review.Hold(st, v.UserID, claim, now) {
	case review.Holding:
		return st.Since, nil
	case review.ClaimNow:
		if lease <= 0 {
			lease = review.DefaultClaimLease
		}
		_, err := tx.Exec(ctx, `UPDATE review_groups SET claimed_by = $2, lease_expires = $3, claimed_at = $4, updated_at = $4 WHERE id = $1`,
			groupID, v.UserID, now.Add(lease), now)
		return now, err
	case review.HeldByOther:
		return time.Time{}, fmt.Errorf("review group %d: %w", groupID, triage.ErrGroupClaimed)
	}
	return time.Time{}, s.notHolding(ctx, groupID)
}

// groupMembers locks and returns the members of a group the viewer may
// see, each with whether the viewer voted on it.
func groupMembers(ctx context.Context, tx pgx.Tx, v triage.Viewer, groupID int64) ([]review.Member, error) {
	rows, err := tx.Query(ctx, `SELECT m.id, m.sha256, m.status, `+myVote+` FROM review_members m
		WHERE m.group_id = $3 AND EXISTS (SELECT 1 FROM review_items ri WHERE ri.member_id = m.id AND `+visible+`)
		ORDER BY m.id FOR UPDATE OF m`, v.UserID, v.All, groupID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (review.Member, error) {
		var m review.Member
		var sum []byte
		var st string
		err := row.Scan(&m.ID, &sum, &st, &m.Voted)
		copy(m.SHA256[:], sum)
		m.Status = triage.MemberStatus(st)
		return m, err
	})
}

// textCase decides which case a vote's free text belongs to, for one
// member (review.TextCase), among the cases holding the member's items
// that the viewer may see.
func textCase(ctx context.Context, tx pgx.Tx, v triage.Viewer, m review.Member, named string) (review.CaseRef, error) {
	rows, err := tx.Query(ctx, `SELECT DISTINCT c.id, c.name FROM review_items ri JOIN cases c ON c.id = ri.case_id
		WHERE ri.member_id = $3 AND `+visible+` ORDER BY c.name`, v.UserID, v.All, m.ID)
	if err != nil {
		return review.CaseRef{}, err
	}
	cs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (review.CaseRef, error) {
		var c review.CaseRef
		return c, r.Scan(&c.ID, &c.Name)
	})
	if err != nil {
		return review.CaseRef{}, err
	}
	return review.TextCase(cs, named, m.SHA256)
}

// Decide implements triage.ReviewStore. Which members a decision covers,
// whether each may be decided, which case its text belongs to and what
// the votes add up to are package review's rules; Decide reads and writes
// the rows.
func (s *Store) Decide(ctx context.Context, r triage.DecideRequest) (triage.DecideResult, error) {
	var res triage.DecideResult
	v := triage.ViewerOf(r.Reviewer)
	if err := review.CanDecide(v, r.Adjudicate); err != nil {
		return res, err
	}
	kind := "vote"
	if r.Adjudicate {
		kind = "adjudication"
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		res = triage.DecideResult{}
		now := s.now()
		if _, err := s.holdGroup(ctx, tx, v, r.GroupID, r.Claim, r.Lease, now); err != nil {
			return err
		}
		all, err := groupMembers(ctx, tx, v, r.GroupID)
		if err != nil {
			return err
		}
		chosen, err := review.Choose(all, r.Members, r.Adjudicate, r.GroupID)
		if err != nil {
			return err
		}
		var confirmed []confirmedMember
		for _, m := range chosen {
			vote := r.Vote
			vote.ReviewerID, vote.Reviewer, vote.At, vote.SHA256 = v.UserID, v.Name, now, m.SHA256
			if vote.HasText() {
				c, err := textCase(ctx, tx, v, m, r.Case)
				if err != nil {
					return err
				}
				vote.CaseID, vote.Case = c.ID, c.Name
			}
			if err := review.Decidable(m, r.Adjudicate); err != nil {
				return err
			}
			var caseID *int64
			if vote.CaseID != 0 {
				caseID = &vote.CaseID
			}
			tag, err := tx.Exec(ctx, `INSERT INTO review_votes (member_id, reviewer_id, kind, category, case_id, series, flags, tags, notes, at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
				m.ID, v.UserID, kind, vote.Category.String(), caseID, vote.Series, vote.Flags, nonNilTags(vote.Tags), vote.Notes, now)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				return triage.Errorf(triage.ECONFLICT, "you have already decided on content %s: undo your decision first (while you hold the group)", m.SHA256)
			}
			votes, err := s.votesIn(ctx, tx, `v.member_id = $1 AND $2`, m.ID, true)
			if err != nil {
				return err
			}
			o := review.Count(plainVotes(votes), vote, r.Adjudicate, r.Required)
			out := triage.MemberOutcome{MemberID: m.ID, SHA256: m.SHA256, Status: o.Status, Needed: o.Needed, Entry: -1}
			switch o.Status {
			case triage.MemberConfirmed:
				confirmed = append(confirmed, confirmedMember{m.ID, m.SHA256, o.Decision})
			case triage.MemberAdjudication:
				if _, err := tx.Exec(ctx, `UPDATE review_members SET status = 'adjudication' WHERE id = $1`, m.ID); err != nil {
					return err
				}
			}
			res.Outcomes = append(res.Outcomes, out)
		}
		if len(confirmed) > 0 {
			entries, version, err := s.promote(ctx, tx, r.LocalSet, v.Name, confirmed, nil)
			if err != nil {
				return err
			}
			res.Version = version
			for i := range res.Outcomes {
				if e, ok := entries[res.Outcomes[i].MemberID]; ok {
					res.Outcomes[i].Entry = e
				}
			}
		}
		if _, err = tx.Exec(ctx, `UPDATE review_groups SET updated_at = $2 WHERE id = $1`, r.GroupID, now); err != nil {
			return err
		}
		return recordAudits(ctx, s, tx, r.Audit, res)
	})
	if err != nil {
		return res, fmt.Errorf("decide: %w", formatError(err))
	}
	return res, nil
}

func nonNilTags(t []string) []string {
	if t == nil {
		return []string{}
	}
	return t
}

type confirmedMember struct {
	id  int64
	sha triage.SHA256
	d   triage.ReviewDecision
}

// withdrawal is a local-set entry to withdraw, and why.
type withdrawal struct {
	entry  int64
	reason string
}

// promote records the decisions and adds their contents to the local set,
// and withdraws entries from it, as one new version. An entry carries
// every digest the lab holds for the content, its PDQ and pHash (so
// near-duplicates match as variants), its regions (so crops do) and its
// local features (so heavily cropped copies do), the confirmed category and the provenance (review member, reviewers,
// adjudicator, decision time) —
// never a case's free text or names, which stay in their case. A decision
// already recorded (an overturn) is moved to its new entry. Withdrawn
// entries keep their number and match nothing; the set's rev moves on so
// the workers reload it. The workers pick changes up within their
// set-sync interval.
func (s *Store) promote(ctx context.Context, tx pgx.Tx, setName, by string, ms []confirmedMember, ws []withdrawal) (map[int64]int64, int, error) {
	var setID, total int64
	var state string
	var kind triage.SetKind
	err := tx.QueryRow(ctx, `SELECT id, state, kind, entries FROM hash_sets WHERE name = $1 FOR UPDATE`, setName).Scan(&setID, &state, &kind, &total)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, triage.Errorf(triage.EUNAVAILABLE, "the local hash set %q does not exist yet; retry", setName)
	} else if err != nil {
		return nil, 0, err
	}
	if state != string(triage.SetReady) || kind != triage.SetKindAlert {
		return nil, 0, triage.Errorf(triage.ECONFLICT, "the local hash set %q is %s (%s); it must be a ready alert set", setName, state, kind)
	}
	var version int
	if err := tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) + 1 FROM local_set_versions WHERE set_id = $1`, setID).Scan(&version); err != nil {
		return nil, 0, err
	}
	now := s.now()
	for _, w := range ws {
		if _, err := tx.Exec(ctx, `INSERT INTO set_entry_withdrawals (set_id, entry, version, reason, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6)`, setID, w.entry, version, w.reason, by, now); err != nil {
			return nil, 0, err
		}
	}
	from := total
	entries := map[int64]int64{}
	var rows [][]any
	for _, m := range ms {
		e, err := s.entryOf(ctx, tx, m)
		if err != nil {
			return nil, 0, err
		}
		e.Extra["review_version"] = strconv.Itoa(version)
		if _, err := tx.Exec(ctx, `INSERT INTO review_decisions (member_id, category, reviewers, adjudicator,
				decided_at, set_id, set_entry, set_version) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
			ON CONFLICT (member_id) DO UPDATE SET category = excluded.category, set_id = excluded.set_id,
				set_entry = excluded.set_entry, set_version = excluded.set_version`,
			m.id, m.d.Category.String(), nonNilTags(m.d.Reviewers), m.d.Adjudicator,
			m.d.DecidedAt, setID, total, version); err != nil {
			return nil, 0, err
		}
		if _, err := tx.Exec(ctx, `UPDATE review_members SET status = 'confirmed' WHERE id = $1`, m.id); err != nil {
			return nil, 0, err
		}
		rows = append(rows, entryValues(setID, total, &e, kind))
		entries[m.id] = total
		total++
	}
	if len(rows) > 0 {
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"hashset_entries"}, entryColumns, pgx.CopyFromRows(rows)); err != nil {
			return nil, 0, err
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE hash_sets SET entries = $2, updated_at = $3, rev = rev + $4 WHERE id = $1`,
		setID, total, now, min(len(ws), 1)); err != nil {
		return nil, 0, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO local_set_versions (set_id, version, entries_from, entries_to, created_by, created_at, withdrawn)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, setID, version, from, total, by, now, len(ws)); err != nil {
		return nil, 0, err
	}
	return entries, version, nil
}

// entryOf builds the local set's entry for a confirmed member.
func (s *Store) entryOf(ctx context.Context, tx pgx.Tx, m confirmedMember) (triage.Entry, error) {
	e := triage.NewEntry()
	var md5, sha1, pdq, regions, keypoints []byte
	var perceptual bool
	var quality int
	var phash *int64
	// The first item holding the content, preferring one hashed with its
	// regions (an item analysed before items kept them has none), then
	// one with its local features (likewise); both come from that item.
	err := tx.QueryRow(ctx, `SELECT i.md5, i.sha1, i.size, m.perceptual, m.pdq8, m.pdq_quality, m.phash, i.regions, i.keypoints
		FROM review_members m JOIN review_items ri ON ri.member_id = m.id JOIN items i ON i.id = ri.item_id
		WHERE m.id = $1 ORDER BY i.regions IS NULL, i.keypoints IS NULL, i.id LIMIT 1`, m.id).Scan(&md5, &sha1, &e.Size, &perceptual, &pdq, &quality, &phash,
		&regions, &keypoints)
	if err != nil {
		return e, err
	}
	copy(e.MD5[:], md5)
	copy(e.SHA1[:], sha1)
	e.SHA256 = m.sha
	e.Algos = triage.AlgosCrypto
	if perceptual && phash != nil {
		e.PDQ, e.PDQQuality, e.PHash = pdq8Of(pdq)[0], quality, triage.PHash(uint64(*phash))
		e.Algos |= triage.AlgoSet(triage.AlgoPDQ | triage.AlgoPHash)
		if e.Regions, err = decodeRegions(regions); err != nil {
			return e, err
		}
		if e.Keypoints, err = decodeKeypoints(keypoints); err != nil {
			return e, err
		}
	}
	return e, review.Promoted(&e, m.id, m.d)
}

// EnsureLocalSet implements triage.ReviewStore.
func (s *Store) EnsureLocalSet(ctx context.Context, st *triage.StoredSet) error {
	if err := triage.ValidateName("hash set", st.Name); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := scanSet(tx.QueryRow(ctx, `SELECT `+setCols+` FROM hash_sets WHERE name = $1 FOR UPDATE`, st.Name))
		if err == nil {
			if cur.Kind != triage.SetKindAlert {
				return triage.Errorf(triage.ECONFLICT, "hash set %q exists and is %s; the local set must be an alert set: configure another name", st.Name, cur.Kind)
			}
			*st = cur
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		got, err := scanSet(tx.QueryRow(ctx, `INSERT INTO hash_sets (name, version, kind, description, sha256, size, state, created_at, updated_at)
			VALUES ($1, $2, 'alert', $3, $4, $5, 'ready', $6, $6) RETURNING `+setCols,
			st.Name, st.Version, st.Description, st.SHA256[:], st.Size, s.now()))
		*st = got
		return err
	})
	if err != nil {
		return fmt.Errorf("ensure local set: %w", formatError(err))
	}
	return nil
}

// LocalSetVersions implements triage.ReviewStore.
func (s *Store) LocalSetVersions(ctx context.Context, setName string) ([]triage.LocalSetVersion, error) {
	rows, err := s.pool.Query(ctx, `SELECT v.version, v.entries_from, v.entries_to, v.withdrawn, v.created_by, v.created_at
		FROM local_set_versions v JOIN hash_sets h ON h.id = v.set_id WHERE h.name = $1 ORDER BY v.version DESC`, setName)
	if err != nil {
		return nil, fmt.Errorf("local set versions: %w", formatError(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (triage.LocalSetVersion, error) {
		var v triage.LocalSetVersion
		return v, r.Scan(&v.Version, &v.From, &v.To, &v.Withdrawn, &v.By, &v.CreatedAt)
	})
	if err != nil {
		return nil, fmt.Errorf("local set versions: %w", formatError(err))
	}
	return out, nil
}

// CaseDecisions implements triage.ReviewStore.
func (s *Store) CaseDecisions(ctx context.Context, caseID int64) ([]triage.CaseDecision, error) {
	rows, err := s.pool.Query(ctx, `SELECT m.id, m.pdq8, m.pdq_quality, coalesce(m.phash, 0),
			i.id, i.md5, i.sha1, i.sha256, i.size, c.name, e.name, i.path, i.inner_path
		FROM review_decisions d JOIN review_members m ON m.id = d.member_id
		JOIN review_items ri ON ri.member_id = m.id AND ri.case_id = $1
		JOIN items i ON i.id = ri.item_id JOIN exhibits e ON e.id = ri.exhibit_id JOIN cases c ON c.id = ri.case_id
		ORDER BY m.id, i.id`, caseID)
	if err != nil {
		return nil, fmt.Errorf("case decisions: %w", formatError(err))
	}
	var out []triage.CaseDecision
	var ids []int64
	for rows.Next() {
		var id, ph int64
		var pdq, md5, sha1, sha []byte
		var cd triage.CaseDecision
		var ref triage.ReviewItemRef
		if err := rows.Scan(&id, &pdq, &cd.PDQQual, &ph, &ref.ItemID, &md5, &sha1, &sha, &cd.Size, &ref.Case, &ref.Exhibit, &ref.Path, &ref.InnerPath); err != nil {
			rows.Close()
			return nil, fmt.Errorf("case decisions: %w", formatError(err))
		}
		if len(ids) == 0 || ids[len(ids)-1] != id {
			ids = append(ids, id)
			copy(cd.Digests.MD5[:], md5)
			copy(cd.Digests.SHA1[:], sha1)
			copy(cd.Digests.SHA256[:], sha)
			cd.PDQ, cd.PHash = pdq8Of(pdq)[0], triage.PHash(uint64(ph))
			out = append(out, cd)
		}
		out[len(out)-1].Items = append(out[len(out)-1].Items, ref)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("case decisions: %w", formatError(err))
	}
	decs, err := s.decisions(ctx, ids, func(id int64) bool { return id == caseID })
	if err != nil {
		return nil, fmt.Errorf("case decisions: %w", formatError(err))
	}
	for i, id := range ids {
		out[i].Decision = decs[id]
	}
	return out, nil
}

// ReviewItem implements triage.ReviewStore.
func (s *Store) ReviewItem(ctx context.Context, v triage.Viewer, itemID int64) (triage.ReviewItemView, error) {
	var view triage.ReviewItemView
	it, err := s.Item(ctx, itemID)
	if err != nil {
		return view, err
	}
	ok, err := s.CanSeeCase(ctx, v, it.CaseID)
	if err != nil {
		return view, err
	}
	if !ok {
		return view, triage.Errorf(triage.ENOTFOUND, "no item %d that you may see", itemID)
	}
	view.Item = it
	if err := s.pool.QueryRow(ctx, `SELECT c.name, e.name FROM exhibits e JOIN cases c ON c.id = e.case_id WHERE e.id = $1`,
		it.ExhibitID).Scan(&view.Case, &view.Exhibit); err != nil {
		return view, fmt.Errorf("review item: %w", formatError(err))
	}
	if view.Matches, err = s.Matches(ctx, itemID); err != nil {
		return view, err
	}
	if view.Siblings, err = s.siblings(ctx, &it, view.Case, view.Exhibit); err != nil {
		return view, fmt.Errorf("review item: %w", formatError(err))
	}
	var memberID int64
	err = s.pool.QueryRow(ctx, `SELECT m.id, m.group_id FROM review_items ri JOIN review_members m ON m.id = ri.member_id WHERE ri.item_id = $1`,
		itemID).Scan(&memberID, &view.GroupID)
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return view, fmt.Errorf("review item: %w", formatError(err))
	}
	view.Series, view.Elsewhere = []triage.ReviewMember{}, []triage.Appearance{}
	if memberID != 0 {
		ms, err := s.members(ctx, v, `m.group_id = $3`, view.GroupID)
		if err != nil {
			return view, fmt.Errorf("review item: %w", formatError(err))
		}
		for i := range ms {
			if ms[i].ID == memberID {
				m := ms[i]
				view.Member = &m
				continue
			}
			view.Series = append(view.Series, ms[i])
			for _, ref := range ms[i].Items {
				view.Elsewhere = append(view.Elsewhere, triage.Appearance{ReviewItemRef: ref, Relation: "near", SHA256: ms[i].SHA256.String()})
			}
		}
	}
	// Identical content anywhere the viewer may look, in review or not.
	rows, err := s.pool.Query(ctx, `SELECT i.id, c.name, e.name, i.path, i.inner_path
		FROM items i JOIN exhibits e ON e.id = i.exhibit_id JOIN cases c ON c.id = e.case_id
		WHERE i.sha256 = $3 AND i.id <> $4 AND ($2 OR e.case_id IN (SELECT cm.case_id FROM case_members cm WHERE cm.user_id = $1))
		ORDER BY i.id LIMIT 1000`, v.UserID, v.All, it.SHA256[:], itemID)
	if err != nil {
		return view, fmt.Errorf("review item: %w", formatError(err))
	}
	same, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (triage.Appearance, error) {
		a := triage.Appearance{Relation: "same", SHA256: it.SHA256.String()}
		return a, r.Scan(&a.ItemID, &a.Case, &a.Exhibit, &a.Path, &a.InnerPath)
	})
	if err != nil {
		return view, fmt.Errorf("review item: %w", formatError(err))
	}
	view.Elsewhere = append(same, view.Elsewhere...)
	if view.Devices, err = s.deviceLinks(ctx, v, triage.DeviceKey(it.EXIF)); err != nil {
		return view, fmt.Errorf("review item: %w", formatError(err))
	}
	return view, nil
}

// siblings returns the other items of the item's folder: the same parent
// archive and inner folder, or the same exhibit and folder.
func (s *Store) siblings(ctx context.Context, it *triage.Item, caseName, exhibit string) ([]triage.ReviewItemRef, error) {
	dirOf := func(p string) string {
		if i := strings.LastIndexByte(p, '/'); i >= 0 {
			return p[:i+1]
		}
		return ""
	}
	var rows pgx.Rows
	var err error
	var dir string
	if it.ParentID != 0 {
		dir = dirOf(it.InnerPath)
		rows, err = s.pool.Query(ctx, `SELECT id, path, inner_path FROM items WHERE parent_id = $1 AND id <> $2 ORDER BY inner_path LIMIT 5000`,
			it.ParentID, it.ID)
	} else {
		dir = dirOf(it.Path)
		like := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(dir) + "%"
		rows, err = s.pool.Query(ctx, `SELECT id, path, inner_path FROM items WHERE exhibit_id = $1 AND id <> $2 AND parent_id IS NULL
			AND path LIKE $3 ORDER BY path LIMIT 5000`, it.ExhibitID, it.ID, like)
	}
	if err != nil {
		return nil, err
	}
	refs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (triage.ReviewItemRef, error) {
		ref := triage.ReviewItemRef{Case: caseName, Exhibit: exhibit}
		return ref, r.Scan(&ref.ItemID, &ref.Path, &ref.InnerPath)
	})
	if err != nil {
		return nil, err
	}
	out := []triage.ReviewItemRef{}
	for _, r := range refs {
		p := r.Path
		if it.ParentID != 0 {
			p = r.InnerPath
		}
		if dirOf(p) == dir && len(out) < 500 {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Path+out[i].InnerPath < out[j].Path+out[j].InnerPath })
	return out, nil
}
