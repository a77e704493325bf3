package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/winnow-forensics/winnow/triage"
)

// The review workspace's queries: the queue as tiles (one per distinct
// content), filtered on what the grid offers and sorted by an index, and
// the devices that link items across exhibits and cases.
//
// What a content is (kind, size, EXIF camera, serial, device, capture
// date, GPS) lives on review_members; where it was found (case, exhibit,
// path) on review_items, one row per item. A tile matches when the
// content matches and one of its items the viewer may see matches too.

// tileSQL builds the conditions of a tile query: on the member m, and on
// its items ri (inside an EXISTS), with the arguments after $1 (the
// viewer's id) and $2 (whether they see every case).
type tileSQL struct {
	q      *triage.TileQuery
	args   []any
	member []string
}

func (b *tileSQL) arg(x any) string {
	b.args = append(b.args, x)
	return "$" + strconv.Itoa(len(b.args))
}

// likeEscape escapes LIKE's wildcards in s.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// myVote is the condition that the viewer ($1) voted on m.
const myVote = `EXISTS (SELECT 1 FROM review_votes mv WHERE mv.member_id = m.id AND mv.reviewer_id = $1 AND mv.kind = 'vote')`

func newTileSQL(v triage.Viewer, q *triage.TileQuery) *tileSQL {
	b := &tileSQL{q: q, args: []any{v.UserID, v.All}}
	switch q.Lane {
	case triage.LaneNew, triage.LaneVariant:
		b.member = append(b.member, "m.lane = "+b.arg(string(q.Lane)))
	case triage.LaneAdjudication:
		b.member = append(b.member, "m.status = 'adjudication'")
	}
	switch q.State {
	case triage.StateTodo:
		if q.Lane == triage.LaneAdjudication {
			b.member = append(b.member, "m.status = 'adjudication'")
		} else {
			b.member = append(b.member, "m.status = 'pending' AND NOT "+myVote)
		}
	case triage.StateVoted:
		b.member = append(b.member, "m.status = 'pending' AND "+myVote)
	case triage.StateAdjudication, triage.StateConfirmed:
		b.member = append(b.member, "m.status = "+b.arg(q.State))
	}
	if q.Category != "" {
		c := b.arg(q.Category)
		b.member = append(b.member, `(EXISTS (SELECT 1 FROM review_decisions d WHERE d.member_id = m.id AND d.category = `+c+`)
			OR EXISTS (SELECT 1 FROM review_votes mv WHERE mv.member_id = m.id AND mv.reviewer_id = $1 AND mv.category = `+c+`))`)
	}
	if q.GroupID != 0 {
		b.member = append(b.member, "m.group_id = "+b.arg(q.GroupID))
	}
	if q.Kind != "" {
		b.member = append(b.member, "m.kind = "+b.arg(q.Kind))
	}
	switch q.GPS {
	case "yes":
		b.member = append(b.member, "m.gps")
	case "no":
		b.member = append(b.member, "NOT m.gps")
	}
	if q.Make != "" {
		b.member = append(b.member, "lower(m.make) = lower("+b.arg(q.Make)+"::text)")
	}
	if q.Model != "" {
		b.member = append(b.member, "lower(m.model) = lower("+b.arg(q.Model)+"::text)")
	}
	if q.Serial != "" {
		b.member = append(b.member, "m.serial <> '' AND lower(m.serial) = lower("+b.arg(q.Serial)+"::text)")
	}
	if q.Device != "" {
		b.member = append(b.member, "m.device <> '' AND m.device = "+b.arg(q.Device))
	}
	if !q.From.IsZero() {
		b.member = append(b.member, "m.captured_at >= "+b.arg(q.From))
	}
	if !q.To.IsZero() {
		b.member = append(b.member, "m.captured_at < "+b.arg(q.To))
	}
	if q.MinSize > 0 {
		b.member = append(b.member, "m.size >= "+b.arg(q.MinSize))
	}
	if q.MaxSize > 0 {
		b.member = append(b.member, "m.size <= "+b.arg(q.MaxSize))
	}
	if q.Series != "" {
		// Series names are case notes: only those written in cases the
		// viewer may see count.
		b.member = append(b.member, `EXISTS (SELECT 1 FROM review_votes sv WHERE sv.member_id = m.id AND sv.case_id IS NOT NULL
			AND lower(sv.series) = lower(`+b.arg(q.Series)+`::text)
			AND ($2 OR sv.case_id IN (SELECT cm.case_id FROM case_members cm WHERE cm.user_id = $1)))`)
	}
	return b
}

// itemCond is the condition on ri: the viewer may see it and it matches;
// its arguments are added to b's.
func (b *tileSQL) itemCond() string {
	c := []string{visible}
	if b.q.Case != "" {
		c = append(c, "ri.case_id = (SELECT id FROM cases WHERE name = "+b.arg(b.q.Case)+")")
	}
	if b.q.Exhibit != "" {
		c = append(c, "ri.exhibit_id IN (SELECT id FROM exhibits WHERE name = "+b.arg(b.q.Exhibit)+")")
	}
	if b.q.Path != "" {
		c = append(c, "(ri.path || '/' || ri.inner_path) ILIKE "+b.arg("%"+likeEscape(b.q.Path)+"%"))
	}
	return strings.Join(c, " AND ")
}

// where is the whole condition on m.
func (b *tileSQL) where() string {
	return strings.Join(append(append([]string{}, b.member...),
		"EXISTS (SELECT 1 FROM review_items ri WHERE ri.member_id = m.id AND "+b.itemCond()+")"), " AND ")
}

// tileOrder is the ORDER BY of a sort.
func tileOrder(sort string, desc bool) string {
	asc, rev := "", " DESC"
	if desc {
		asc, rev = " DESC", ""
	}
	switch sort {
	case triage.SortDate:
		return "m.captured_at" + asc + " NULLS LAST, m.id" + asc
	case triage.SortPath:
		return "m.sort_path" + asc + ", m.id" + asc
	case triage.SortSize:
		return "m.size" + asc + ", m.id" + asc
	}
	return "m.priority" + rev + ", m.group_id" + asc + ", m.id" + asc
}

// ReviewTiles implements triage.ReviewStore.
func (s *Store) ReviewTiles(ctx context.Context, v triage.Viewer, q triage.TileQuery) (triage.TilePage, error) {
	page := triage.TilePage{Total: -1}
	if err := q.Validate(); err != nil {
		return page, err
	}
	if q.Lane == triage.LaneAdjudication && !v.Adjudicator {
		return page, triage.Errorf(triage.EFORBIDDEN, "the adjudication lane is for adjudicators")
	}
	b := newTileSQL(v, &q)
	where := b.where()
	page.Total, page.Tiles = -1, nil
	if q.Count {
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM review_members m WHERE `+where, b.args...).Scan(&page.Total); err != nil {
			return page, fmt.Errorf("review tiles: %w", formatError(err))
		}
	}
	offset := q.Offset
	if q.After != nil {
		where += " AND " + b.after(q.Sort, q.Desc, q.After)
		offset = 0
	}
	rows, err := s.pool.Query(ctx, `SELECT m.id, m.group_id, m.sha256, m.lane, m.status, m.kind, m.width, m.height, m.size, m.suggested,
			m.make, m.model, m.gps, m.device, m.captured_at, m.priority, m.sort_path
		FROM review_members m
		WHERE `+where+` ORDER BY `+tileOrder(q.Sort, q.Desc)+` LIMIT `+strconv.Itoa(q.Limit)+` OFFSET `+strconv.Itoa(offset), b.args...)
	if err != nil {
		return page, fmt.Errorf("review tiles: %w", formatError(err))
	}
	page.Tiles, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (triage.Tile, error) {
		var t triage.Tile
		var sum []byte
		var lane, status, suggested string
		var captured *time.Time
		if err := r.Scan(&t.MemberID, &t.GroupID, &sum, &lane, &status, &t.Kind, &t.Width, &t.Height, &t.Size, &suggested,
			&t.Make, &t.Model, &t.GPS, &t.Device, &captured, &t.Priority, &t.SortPath); err != nil {
			return t, err
		}
		copy(t.SHA256[:], sum)
		t.Lane, t.Status = triage.Lane(lane), triage.MemberStatus(status)
		if captured != nil {
			t.Captured = *captured
		}
		var err error
		if suggested != "" {
			t.Suggested, err = triage.SplitCategory(suggested)
		}
		return t, err
	})
	if err != nil {
		return page, fmt.Errorf("review tiles: %w", formatError(err))
	}
	if err := s.tileDetails(ctx, v, &q, page.Tiles); err != nil {
		return page, fmt.Errorf("review tiles: %w", formatError(err))
	}
	return page, nil
}

// after is the keyset condition: m comes after the tile k in the sort.
func (b *tileSQL) after(sort string, desc bool, k *triage.TileKey) string {
	gt, lt := ">", "<"
	if desc {
		gt, lt = "<", ">"
	}
	id := b.arg(k.MemberID)
	switch sort {
	case triage.SortDate:
		if k.Captured.IsZero() {
			return "(m.captured_at IS NULL AND m.id " + gt + " " + id + ")"
		}
		c := b.arg(k.Captured)
		return "(m.captured_at " + gt + " " + c + " OR (m.captured_at = " + c + " AND m.id " + gt + " " + id + ") OR m.captured_at IS NULL)"
	case triage.SortPath:
		return "(m.sort_path, m.id) " + gt + " (" + b.arg(k.Path) + "::text, " + id + ")"
	case triage.SortSize:
		return "(m.size, m.id) " + gt + " (" + b.arg(k.Size) + "::bigint, " + id + ")"
	}
	// The first bound lets the priority index start at the cursor.
	p := b.arg(k.Priority)
	return "m.priority " + lt + "= " + p + " AND (m.priority " + lt + " " + p + " OR (m.group_id, m.id) " + gt + " (" + b.arg(k.GroupID) + "::bigint, " + id + "))"
}

// tileDetails fills in the page's items (the first matching item the
// viewer may see, and how many), the viewer's votes and the decisions.
func (s *Store) tileDetails(ctx context.Context, v triage.Viewer, q *triage.TileQuery, ts []triage.Tile) error {
	if len(ts) == 0 {
		return nil
	}
	ids := make([]int64, len(ts))
	at := make(map[int64]int, len(ts))
	for i, t := range ts {
		ids[i], at[t.MemberID] = t.MemberID, i
	}
	b := &tileSQL{q: q, args: []any{v.UserID, v.All}}
	p := b.arg(ids)
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT ON (ri.member_id) ri.member_id, ri.item_id, c.name, e.name, ri.path, ri.inner_path,
			count(*) OVER (PARTITION BY ri.member_id)
		FROM review_items ri JOIN cases c ON c.id = ri.case_id JOIN exhibits e ON e.id = ri.exhibit_id
		WHERE ri.member_id = ANY(`+p+`) AND `+b.itemCond()+` ORDER BY ri.member_id, ri.item_id`, b.args...)
	if err != nil {
		return err
	}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var id int64
		var ref triage.ReviewItemRef
		var n int
		if err := r.Scan(&id, &ref.ItemID, &ref.Case, &ref.Exhibit, &ref.Path, &ref.InnerPath, &n); err != nil {
			return struct{}{}, err
		}
		ts[at[id]].Item, ts[at[id]].Items = ref, n
		return struct{}{}, nil
	})
	if err != nil {
		return err
	}
	rows, err = s.pool.Query(ctx, `SELECT member_id, category, true FROM review_votes WHERE member_id = ANY($1) AND reviewer_id = $2 AND kind = 'vote'
		UNION ALL SELECT member_id, category, false FROM review_decisions WHERE member_id = ANY($1)`, ids, v.UserID)
	if err != nil {
		return err
	}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var id int64
		var cat string
		var mine bool
		if err := r.Scan(&id, &cat, &mine); err != nil {
			return struct{}{}, err
		}
		c, err := triage.SplitCategory(cat)
		if mine {
			ts[at[id]].MyVote = c
		} else {
			ts[at[id]].Decision = c
		}
		return struct{}{}, err
	})
	return err
}

// RescoreGroups implements triage.ReviewStore.
func (s *Store) RescoreGroups(ctx context.Context, score func(triage.PriorityFeatures) float64, stale time.Time, limit int) (int, error) {
	t0 := s.now()
	rows, err := s.pool.Query(ctx, `SELECT g.id, count(DISTINCT m.id),
			count(DISTINCT m.id) FILTER (WHERE m.camera_original), count(DISTINCT m.id) FILTER (WHERE m.gps),
			count(DISTINCT ri.exhibit_id), count(DISTINCT ri.case_id),
			coalesce(max(m.width::bigint * m.height), 0), max(m.captured_at)
		FROM (SELECT id FROM review_groups WHERE merged_into IS NULL AND (scored_at IS NULL OR scored_at < updated_at)
			UNION SELECT id FROM review_groups WHERE merged_into IS NULL AND scored_at < $1
			LIMIT $2) g
		JOIN review_members m ON m.group_id = g.id JOIN review_items ri ON ri.member_id = m.id
		GROUP BY g.id`, stale, limit)
	if err != nil {
		return 0, fmt.Errorf("rescore groups: %w", formatError(err))
	}
	var ids []int64
	var scores []float64
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var id int64
		var f triage.PriorityFeatures
		var captured *time.Time
		if err := r.Scan(&id, &f.Members, &f.CameraOriginal, &f.GPS, &f.Exhibits, &f.Cases, &f.MaxPixels, &captured); err != nil {
			return struct{}{}, err
		}
		if captured != nil {
			f.NewestCapture = *captured
		}
		ids, scores = append(ids, id), append(scores, score(f))
		return struct{}{}, nil
	})
	if err != nil {
		return 0, fmt.Errorf("rescore groups: %w", formatError(err))
	}
	if len(ids) == 0 {
		return 0, nil
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `UPDATE review_groups g SET priority = u.p, scored_at = $3
			FROM unnest($1::bigint[], $2::float8[]) AS u(id, p) WHERE g.id = u.id`, ids, scores, t0); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE review_members m SET priority = u.p
			FROM unnest($1::bigint[], $2::float8[]) AS u(id, p) WHERE m.group_id = u.id AND m.priority IS DISTINCT FROM u.p`, ids, scores)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("rescore groups: %w", formatError(err))
	}
	return len(ids), nil
}

// deviceLinks counts, per case and exhibit the viewer may see, the items
// whose content was taken with the device.
func (s *Store) deviceLinks(ctx context.Context, v triage.Viewer, device string) ([]triage.DeviceLink, error) {
	if device == "" {
		return []triage.DeviceLink{}, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT c.name, e.name, count(*) FROM review_members m
		JOIN review_items ri ON ri.member_id = m.id JOIN exhibits e ON e.id = ri.exhibit_id JOIN cases c ON c.id = ri.case_id
		WHERE m.device = $3 AND `+visible+` GROUP BY c.name, e.name ORDER BY c.name, e.name LIMIT 1000`, v.UserID, v.All, device)
	if err != nil {
		return nil, err
	}
	l := triage.DeviceLink{Device: device, Exhibits: []triage.DeviceAppearance{}}
	_, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (struct{}, error) {
		var a triage.DeviceAppearance
		err := r.Scan(&a.Case, &a.Exhibit, &a.Items)
		l.Items += a.Items
		l.Exhibits = append(l.Exhibits, a)
		return struct{}{}, err
	})
	return []triage.DeviceLink{l}, err
}
