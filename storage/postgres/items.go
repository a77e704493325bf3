package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/winnow-forensics/winnow/triage"
)

const itemCols = `i.id, e.case_id, i.exhibit_id, i.parent_id, i.path, i.inner_path, i.submitter_id, i.received_at,
	i.size, i.md5, i.sha1, i.sha256, i.mime, i.kind, i.width, i.height, i.perceptual, i.pdq, i.pdq_quality,
	i.phash, i.dhash, i.exif, i.thumbnail_key, i.state, i.verdict, i.verdict_reason, i.category,
	i.error_code, i.error, i.attempts, i.finished_at, i.raw_name, i.origin, i.partial, i.regions, i.keypoints`

func scanItem(row pgx.Row) (triage.Item, error) {
	var it triage.Item
	var parent, submitter *int64
	var md5, sha1, sha256, pdq []byte
	var pdqQ *int32
	var phash, dhash *int64
	var verdict *string
	var state, category string
	var finished *time.Time
	var origin, regions, keypoints []byte
	err := row.Scan(&it.ID, &it.CaseID, &it.ExhibitID, &parent, &it.Path, &it.InnerPath, &submitter, &it.ReceivedAt,
		&it.Size, &md5, &sha1, &sha256, &it.MIME, &it.Kind, &it.Width, &it.Height, &it.Perceptual, &pdq, &pdqQ,
		&phash, &dhash, &it.EXIF, &it.ThumbnailKey, &state, &verdict, &it.Reason, &category,
		&it.ErrorCode, &it.Error, &it.Attempts, &finished, &it.RawName, &origin, &it.Partial, &regions, &keypoints)
	if err != nil {
		return it, err
	}
	it.ParentID, it.SubmitterID = idOrZero(parent), idOrZero(submitter)
	if origin != nil {
		it.Origin = new(triage.Origin)
		if err := json.Unmarshal(origin, it.Origin); err != nil {
			return it, fmt.Errorf("item %d origin: %w", it.ID, err)
		}
	}
	if it.Regions, err = decodeRegions(regions); err != nil {
		return it, fmt.Errorf("item %d: %w", it.ID, err)
	}
	if it.Keypoints, err = decodeKeypoints(keypoints); err != nil {
		return it, fmt.Errorf("item %d: %w", it.ID, err)
	}
	copy(it.MD5[:], md5)
	copy(it.SHA1[:], sha1)
	copy(it.SHA256[:], sha256)
	copy(it.PDQ[:], pdq)
	if pdqQ != nil {
		it.PDQQuality = int(*pdqQ)
	}
	if phash != nil {
		it.PHash = triage.PHash(uint64(*phash))
	}
	if dhash != nil {
		it.DHash = triage.DHash(uint64(*dhash))
	}
	it.State = triage.ItemState(state)
	if verdict != nil {
		it.Verdict = triage.Verdict(*verdict)
	}
	if it.Category, err = triage.SplitCategory(category); err != nil {
		return it, fmt.Errorf("item %d: %w", it.ID, err)
	}
	if finished != nil {
		it.FinishedAt = *finished
	}
	return it, nil
}

// CreateItem implements triage.ItemStore.
func (s *Store) CreateItem(ctx context.Context, it *triage.Item, audit *triage.AuditEvent, present func(context.Context) error) (bool, error) {
	if err := it.Validate(); err != nil {
		return false, err
	}
	var created bool
	var got triage.Item
	var ev triage.AuditEvent
	if audit != nil {
		ev = *audit
	}
	var auditID *int64
	insert := func(q interface {
		QueryRow(context.Context, string, ...any) pgx.Row
	}) error {
		// One statement: the item and its audit event commit together.
		now := s.now()
		row := q.QueryRow(ctx, `WITH ins AS (
				INSERT INTO items (exhibit_id, parent_id, path, inner_path, submitter_id, received_at, size, md5, sha1, sha256, raw_name, origin)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $18::jsonb)
				ON CONFLICT (exhibit_id, path, inner_path, sha256) DO NOTHING RETURNING *),
			aud AS (
				INSERT INTO audit_events (at, user_id, user_name, action, target, detail, remote)
				SELECT $6, $13::bigint, $14::text, $15::text, 'item/' || ins.id, $16::jsonb, $17::text FROM ins WHERE $12::boolean
				RETURNING id),
			i AS (SELECT *, true AS created FROM ins
				UNION ALL SELECT *, false FROM items WHERE exhibit_id = $1 AND path = $3 AND inner_path = $4 AND sha256 = $10
				LIMIT 1)
			SELECT `+itemCols+`, i.created, (SELECT id FROM aud) FROM i JOIN exhibits e ON e.id = i.exhibit_id`,
			it.ExhibitID, nullID(it.ParentID), it.Path, it.InnerPath, nullID(it.SubmitterID), now, it.Size,
			it.MD5[:], it.SHA1[:], it.SHA256[:], it.RawName,
			audit != nil, nullID(ev.UserID), ev.UserName, ev.Action, auditDetail(ev.Detail), ev.Remote, originJSON(it.Origin))
		var err error
		got, err = scanItem(scanTail{row, []any{&created, &auditID}})
		return err
	}
	err := retryRace(func() error {
		if present == nil {
			return insert(s.pool)
		}
		// Content stored before this call may be an orphan the sweeper is
		// removing: under the content's lock, refuse it while its tombstone
		// stands and check it is still there.
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if err := lockEvidence(ctx, tx, it.SHA256, true); err != nil {
				return err
			}
			if err := present(ctx); err != nil {
				return err
			}
			return insert(tx)
		})
	})
	if err != nil {
		if err = formatError(err); triage.ErrorCode(err) == triage.ENOTFOUND {
			return false, triage.Errorf(triage.ENOTFOUND, "the item's exhibit or parent does not exist")
		}
		return false, fmt.Errorf("create item: %w", err)
	}
	*it = got
	if audit != nil && created && auditID != nil {
		audit.ID, audit.At, audit.Target = *auditID, it.ReceivedAt, "item/"+strconv.FormatInt(it.ID, 10)
	}
	return created, nil
}

// originJSON is an item's origin for the origin column (NULL for none).
func originJSON(o *triage.Origin) *string {
	if o == nil {
		return nil
	}
	b, _ := json.Marshal(o)
	s := string(b)
	return &s
}

// scanTail scans a row whose last columns are extra values after the item's.
type scanTail struct {
	row  pgx.Row
	tail []any
}

func (t scanTail) Scan(dest ...any) error { return t.row.Scan(append(dest, t.tail...)...) }

// Item implements triage.ItemStore.
func (s *Store) Item(ctx context.Context, id int64) (triage.Item, error) {
	it, err := scanItem(s.pool.QueryRow(ctx, `SELECT `+itemCols+` FROM items i JOIN exhibits e ON e.id = i.exhibit_id WHERE i.id = $1`, id))
	if err != nil {
		if err = formatError(err); triage.ErrorCode(err) == triage.ENOTFOUND {
			return it, triage.Errorf(triage.ENOTFOUND, "no item %d", id)
		}
		return it, fmt.Errorf("item: %w", err)
	}
	return it, nil
}

// Items implements triage.ItemStore.
func (s *Store) Items(ctx context.Context, f triage.ItemFilter) ([]triage.Item, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	q := `SELECT ` + itemCols + ` FROM items i JOIN exhibits e ON e.id = i.exhibit_id
		WHERE i.exhibit_id = $1 AND i.id > $2
		AND ($3 = '' OR i.state = $3) AND ($4 = '' OR i.verdict = $4) AND ($5 = 0 OR i.parent_id = $5)
		AND ($7 = '' OR i.path = $7)
		ORDER BY i.id LIMIT $6`
	rows, err := s.pool.Query(ctx, q, f.ExhibitID, f.After, string(f.State), string(f.Verdict), f.ParentID, limit, f.Path)
	if err != nil {
		return nil, fmt.Errorf("items: %w", formatError(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (triage.Item, error) { return scanItem(r) })
	if err != nil {
		return nil, fmt.Errorf("items: %w", formatError(err))
	}
	return out, nil
}

// ExhibitStatus implements triage.ItemStore.
func (s *Store) ExhibitStatus(ctx context.Context, exhibitID int64) (triage.ExhibitStatus, error) {
	st := triage.ExhibitStatus{States: map[triage.ItemState]int64{}, Verdicts: map[triage.Verdict]int64{}}
	for _, s := range triage.ItemStates {
		st.States[s] = 0
	}
	for _, v := range triage.Verdicts {
		st.Verdicts[v] = 0
	}
	rows, err := s.pool.Query(ctx, `SELECT state, coalesce(verdict, ''), count(*), coalesce(sum(size), 0),
			count(*) FILTER (WHERE state = 'processing' AND lease_until < $2),
			count(*) FILTER (WHERE state IN ('received', 'processing') AND attempts > 1)
		FROM items WHERE exhibit_id = $1 GROUP BY 1, 2`, exhibitID, s.now())
	if err != nil {
		return st, fmt.Errorf("exhibit status: %w", formatError(err))
	}
	defer rows.Close()
	for rows.Next() {
		var state, verdict string
		var n, bytes, stuck, retried int64
		if err := rows.Scan(&state, &verdict, &n, &bytes, &stuck, &retried); err != nil {
			return st, fmt.Errorf("exhibit status: %w", formatError(err))
		}
		st.Items += n
		st.Stuck += stuck
		st.Retried += retried
		st.Bytes += bytes
		st.States[triage.ItemState(state)] += n
		if verdict != "" {
			st.Verdicts[triage.Verdict(verdict)] += n
		}
		if triage.ItemState(state).Final() {
			st.Done += n
		}
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("exhibit status: %w", formatError(err))
	}
	st.Progress = 1
	if st.Items > 0 {
		st.Progress = float64(st.Done) / float64(st.Items)
	}
	return st, nil
}

// ClaimItem implements triage.ItemStore. The asynq task id keeps one task
// per item in the queue, so a claim does not wait for another lease to run
// out: a retried task after a crash takes the item over at once. The
// guarded FinishItem is what makes a duplicate attempt harmless.
func (s *Store) ClaimItem(ctx context.Context, id int64, lease time.Duration) (triage.Item, error) {
	it, err := scanItem(s.pool.QueryRow(ctx, `WITH i AS (
			UPDATE items SET state = 'processing', lease_until = $2, attempts = attempts + 1
			WHERE id = $1 AND state IN ('received', 'processing') RETURNING *)
		SELECT `+itemCols+` FROM i JOIN exhibits e ON e.id = i.exhibit_id`, id, s.now().Add(lease)))
	if err == nil {
		return it, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return it, fmt.Errorf("claim item: %w", formatError(err))
	}
	cur, err := s.Item(ctx, id)
	if err != nil {
		return it, err
	}
	return cur, triage.Errorf(triage.ECONFLICT, "item %d is already %s", id, cur.State)
}

// ExtendLease implements triage.ItemStore.
func (s *Store) ExtendLease(ctx context.Context, id int64, attempt int, lease time.Duration) error {
	tag, err := s.pool.Exec(ctx, `UPDATE items SET lease_until = $3 WHERE id = $1 AND state = 'processing' AND attempts = $2`,
		id, attempt, s.now().Add(lease))
	if err != nil {
		return fmt.Errorf("extend lease: %w", formatError(err))
	}
	if tag.RowsAffected() == 0 {
		return triage.Errorf(triage.ECONFLICT, "item %d is no longer held by attempt %d", id, attempt)
	}
	return nil
}

// ItemHealth implements triage.ItemStore.
func (s *Store) ItemHealth(ctx context.Context) (stuck, retried int64, err error) {
	err = s.pool.QueryRow(ctx, `SELECT count(*) FILTER (WHERE state = 'processing' AND lease_until < $1),
			count(*) FILTER (WHERE attempts > 1)
		FROM items WHERE state IN ('received', 'processing')`, s.now()).Scan(&stuck, &retried)
	if err != nil {
		return 0, 0, fmt.Errorf("item health: %w", formatError(err))
	}
	return stuck, retried, nil
}

// FinishItem implements triage.ItemStore.
func (s *Store) FinishItem(ctx context.Context, id int64, r triage.ItemResult) (bool, error) {
	state, verdict := triage.StateDone, r.Decision.Verdict
	errCode, errMsg := "", ""
	if r.Err != nil {
		state, verdict = triage.StateFailed, triage.VerdictError
		errCode, errMsg = triage.ErrorCode(r.Err), triage.ErrorMessage(r.Err)
	} else if verdict == triage.VerdictError {
		state = triage.StateFailed
		if fp := r.Fingerprint; fp != nil && fp.Err != nil {
			errCode, errMsg = triage.ErrorCode(fp.Err), triage.ErrorMessage(fp.Err)
		}
	}
	if verdict == "" {
		return false, triage.Errorf(triage.EINVALID, "finish item %d: no verdict", id)
	}
	var it triage.Item
	if fp := r.Fingerprint; fp != nil {
		it.ApplyFingerprint(fp)
	}
	var pdq []byte
	var pdqQ *int
	var phash, dhash *int64
	if it.Perceptual {
		pdq = it.PDQ[:]
		pdqQ = &it.PDQQuality
		p, d := int64(it.PHash), int64(it.DHash)
		phash, dhash = &p, &d
	}
	var exif map[string]string
	if len(r.EXIF) > 0 {
		exif = r.EXIF
	}
	finished := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE items SET state = $2, mime = $3, kind = $4, width = $5, height = $6,
				perceptual = $7, pdq = $8, pdq_quality = $9, phash = $10, dhash = $11, exif = $12, thumbnail_key = $13,
				verdict = $14, verdict_reason = $15, category = $16, error_code = $17, error = $18,
				finished_at = $19, partial = $20, regions = $21, keypoints = $22, lease_until = NULL
			WHERE id = $1 AND state IN ('received', 'processing')`,
			id, string(state), it.MIME, it.Kind, it.Width, it.Height, it.Perceptual, pdq, pdqQ, phash, dhash, exif,
			r.ThumbnailKey, string(verdict), r.Decision.Reason, r.Decision.Category.String(), errCode, errMsg, s.now(), it.Partial, encodeRegions(it.Regions),
			encodeKeypoints(it.Keypoints))
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return nil
		}
		finished = true
		if _, err := tx.Exec(ctx, `INSERT INTO item_events (item_id, state, at) VALUES ($1, $2, $3)`, id, string(state), s.now()); err != nil {
			return err
		}
		if len(r.Matches) > 0 {
			b := &pgx.Batch{}
			for _, m := range r.Matches {
				b.Queue(`INSERT INTO matches (item_id, set_name, set_version, set_kind, entry, entry_id, algo, distance, dihedral, category, series,
						view, borderline, timestamps, query_percent, target_percent, region)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) ON CONFLICT DO NOTHING`,
					id, m.Set, m.SetVersion, m.SetKind, m.Entry, m.EntryID, m.Algo.String(), m.Distance, m.Dihedral, m.Category.String(), m.Series,
					string(m.View), m.Borderline, m.Timestamps, m.QueryPercent, m.TargetPercent, int16(m.Region))
			}
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return err
			}
		}
		if state == triage.StateDone {
			return s.groupForReview(ctx, tx, id, verdict, r)
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("finish item: %w", formatError(err))
	}
	return finished, nil
}

// Matches implements triage.ItemStore.
func (s *Store) Matches(ctx context.Context, itemID int64) ([]triage.MatchRecord, error) {
	rows, err := s.pool.Query(ctx, `SELECT set_name, set_version, set_kind, entry, entry_id, algo, distance, dihedral, category, series,
			view, borderline, timestamps, query_percent, target_percent, region
		FROM matches WHERE item_id = $1 ORDER BY set_name, entry, algo`, itemID)
	if err != nil {
		return nil, fmt.Errorf("matches: %w", formatError(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (triage.MatchRecord, error) {
		m := triage.MatchRecord{ItemID: itemID}
		var algo, cat, view string
		var region int16
		if err := r.Scan(&m.Set, &m.SetVersion, &m.SetKind, &m.Entry, &m.EntryID, &algo, &m.Distance, &m.Dihedral, &cat, &m.Series,
			&view, &m.Borderline, &m.Timestamps, &m.QueryPercent, &m.TargetPercent, &region); err != nil {
			return m, err
		}
		if m.Region = triage.RegionKind(region); region != 0 && !m.Region.Valid() {
			return m, fmt.Errorf("match of item %d: stored region %d", itemID, region)
		}
		a, err := triage.ParseAlgoSet(algo)
		if err != nil {
			return m, fmt.Errorf("match of item %d: %w", itemID, err)
		}
		m.Algo, m.View = triage.Algo(a), triage.ViewKind(view)
		if m.Category, err = triage.SplitCategory(cat); err != nil {
			return m, fmt.Errorf("match of item %d: %w", itemID, err)
		}
		return m, nil
	})
	if err != nil {
		return nil, fmt.Errorf("matches: %w", formatError(err))
	}
	return out, nil
}

// StuckItems implements triage.ItemStore.
func (s *Store) StuckItems(ctx context.Context, grace time.Duration, limit int) ([]int64, error) {
	now := s.now()
	rows, err := s.pool.Query(ctx, `SELECT id FROM items
		WHERE (state = 'received' AND received_at < $1) OR (state = 'processing' AND (lease_until IS NULL OR lease_until < $2))
		ORDER BY id LIMIT $3`, now.Add(-grace), now, limit)
	if err != nil {
		return nil, fmt.Errorf("stuck items: %w", formatError(err))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("stuck items: %w", formatError(err))
	}
	return ids, nil
}

// FinalTransitions returns, for each item of an exhibit, how many times it
// entered a final state. Tests use it to show that every item is finished
// exactly once.
func (s *Store) FinalTransitions(ctx context.Context, exhibitID int64) (map[int64]int, error) {
	rows, err := s.pool.Query(ctx, `SELECT i.id, count(ev.id) FROM items i LEFT JOIN item_events ev ON ev.item_id = i.id
		WHERE i.exhibit_id = $1 GROUP BY i.id`, exhibitID)
	if err != nil {
		return nil, fmt.Errorf("final transitions: %w", formatError(err))
	}
	defer rows.Close()
	out := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, formatError(err)
		}
		out[id] = n
	}
	return out, formatError(rows.Err())
}

// ItemStateCounts counts every item per state (for the metrics).
func (s *Store) ItemStateCounts(ctx context.Context) (map[triage.ItemState]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT state, count(*) FROM items GROUP BY state`)
	if err != nil {
		return nil, fmt.Errorf("item state counts: %w", formatError(err))
	}
	defer rows.Close()
	out := map[triage.ItemState]int64{}
	for rows.Next() {
		var st string
		var n int64
		if err := rows.Scan(&st, &n); err != nil {
			return nil, formatError(err)
		}
		out[triage.ItemState(st)] = n
	}
	return out, formatError(rows.Err())
}

// DigestsOf implements triage.ItemStore.
func (s *Store) DigestsOf(ctx context.Context, sum triage.SHA256) (triage.Digests, error) {
	var d triage.Digests
	var md5, sha1 []byte
	err := s.pool.QueryRow(ctx, `SELECT md5, sha1 FROM items WHERE sha256 = $1 LIMIT 1`, sum[:]).Scan(&md5, &sha1)
	if err != nil {
		if err = formatError(err); triage.ErrorCode(err) == triage.ENOTFOUND {
			return d, triage.Errorf(triage.ENOTFOUND, "no item with SHA-256 %s", sum)
		}
		return d, fmt.Errorf("digests: %w", err)
	}
	copy(d.MD5[:], md5)
	copy(d.SHA1[:], sha1)
	d.SHA256 = sum
	return d, nil
}
