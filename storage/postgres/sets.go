package postgres

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/winnow-forensics/winnow/triage"
)

const setCols = `id, name, version, kind, description, sha256, size, enabled, pdq_radius, phash_radius, state, error,
	base_entries, entries, rev, pushed_by, created_at, updated_at, schemes,
	CASE WHEN load_rev = rev THEN load_error ELSE '' END, CASE WHEN import_rev = rev THEN import_started_at END`

func scanSet(row pgx.Row) (triage.StoredSet, error) {
	var st triage.StoredSet
	var sum []byte
	var state string
	var by *int64
	var started *time.Time
	err := row.Scan(&st.ID, &st.Name, &st.Version, &st.Kind, &st.Description, &sum, &st.Size, &st.Enabled,
		&st.PDQRadius, &st.PHashRadius, &state, &st.Error, &st.BaseEntries, &st.Entries, &st.Rev, &by, &st.CreatedAt, &st.UpdatedAt, &st.Schemes,
		&st.LoadError, &started)
	if started != nil {
		st.ImportStarted = *started
	}
	copy(st.SHA256[:], sum)
	st.State, st.PushedBy = triage.StoredSetState(state), idOrZero(by)
	return st, err
}

// PutSet implements triage.SetStore.
func (s *Store) PutSet(ctx context.Context, st *triage.StoredSet, audit triage.AuditOf[triage.StoredSet]) (bool, error) {
	if err := triage.ValidateName("hash set", st.Name); err != nil {
		return false, err
	}
	if !st.Kind.Valid() && st.Kind != triage.SetKindMixed {
		return false, triage.Errorf(triage.EINVALID, "hash set kind %q is not alert, known-good or mixed", st.Kind)
	}
	created := false
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := scanSet(tx.QueryRow(ctx, `SELECT `+setCols+` FROM hash_sets WHERE name = $1 FOR UPDATE`, st.Name))
		switch {
		case err == nil && cur.SHA256 == st.SHA256 && cur.State != triage.SetFailed:
			*st = cur
			return nil
		case err == nil:
			if _, err := tx.Exec(ctx, `DELETE FROM hashset_entries WHERE set_id = $1`, cur.ID); err != nil {
				return err
			}
		case !errors.Is(err, pgx.ErrNoRows):
			return err
		}
		created = true
		got, err := scanSet(tx.QueryRow(ctx, `INSERT INTO hash_sets (name, version, kind, description, sha256, size, state, pushed_by, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, 'importing', $7, $8, $8)
			ON CONFLICT (name) DO UPDATE SET version = $2, kind = $3, description = $4, sha256 = $5, size = $6,
				state = 'importing', error = '', base_entries = 0, entries = 0, rev = hash_sets.rev + 1, pushed_by = $7, updated_at = $8
			RETURNING `+setCols, st.Name, st.Version, st.Kind, st.Description, st.SHA256[:], st.Size, nullID(st.PushedBy), s.now()))
		if err != nil {
			return err
		}
		*st = got
		return recordAudits(ctx, s, tx, audit, got)
	})
	if err != nil {
		return false, fmt.Errorf("put hash set: %w", formatError(err))
	}
	return created, nil
}

// SetLoadError implements triage.SetStore.
func (s *Store) SetLoadError(ctx context.Context, id, rev int64, msg string) error {
	if _, err := s.pool.Exec(ctx, `UPDATE hash_sets SET load_error = $3, load_rev = $2 WHERE id = $1 AND rev = $2 AND load_error <> $3`,
		id, rev, msg); err != nil {
		return fmt.Errorf("hash set load error: %w", formatError(err))
	}
	return nil
}

// StartImport implements triage.SetStore.
func (s *Store) StartImport(ctx context.Context, id, rev int64) error {
	if _, err := s.pool.Exec(ctx, `UPDATE hash_sets SET import_started_at = $3, import_rev = $2 WHERE id = $1 AND rev = $2`,
		id, rev, s.now()); err != nil {
		return fmt.Errorf("hash set import start: %w", formatError(err))
	}
	return nil
}

// Set implements triage.SetStore.
func (s *Store) Set(ctx context.Context, name string) (triage.StoredSet, error) {
	st, err := scanSet(s.pool.QueryRow(ctx, `SELECT `+setCols+` FROM hash_sets WHERE name = $1`, name))
	if err != nil {
		if err = formatError(err); triage.ErrorCode(err) == triage.ENOTFOUND {
			return st, triage.Errorf(triage.ENOTFOUND, "no hash set %q", name)
		}
		return st, fmt.Errorf("hash set: %w", err)
	}
	return st, nil
}

// SetByID implements triage.SetStore.
func (s *Store) SetByID(ctx context.Context, id int64) (triage.StoredSet, error) {
	st, err := scanSet(s.pool.QueryRow(ctx, `SELECT `+setCols+` FROM hash_sets WHERE id = $1`, id))
	if err != nil {
		if err = formatError(err); triage.ErrorCode(err) == triage.ENOTFOUND {
			return st, triage.Errorf(triage.ENOTFOUND, "no hash set %d", id)
		}
		return st, fmt.Errorf("hash set: %w", err)
	}
	return st, nil
}

// Sets implements triage.SetStore.
func (s *Store) Sets(ctx context.Context) ([]triage.StoredSet, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+setCols+` FROM hash_sets ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("hash sets: %w", formatError(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (triage.StoredSet, error) { return scanSet(r) })
	if err != nil {
		return nil, fmt.Errorf("hash sets: %w", formatError(err))
	}
	return out, nil
}

// UpdateSet implements triage.SetStore.
func (s *Store) UpdateSet(ctx context.Context, name string, u triage.SetUpdate, audit triage.AuditOf[triage.StoredSet]) (triage.StoredSet, error) {
	if err := u.Validate(); err != nil {
		return triage.StoredSet{}, err
	}
	var st triage.StoredSet
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		st, err = scanSet(tx.QueryRow(ctx, `UPDATE hash_sets SET enabled = coalesce($2, enabled),
				pdq_radius = coalesce($3, pdq_radius), phash_radius = coalesce($4, phash_radius), rev = rev + 1, updated_at = $5
			WHERE name = $1 RETURNING `+setCols, name, u.Enabled, u.PDQRadius, u.PHashRadius, s.now()))
		if err != nil {
			return err
		}
		return recordAudits(ctx, s, tx, audit, st)
	})
	if err != nil {
		if err = formatError(err); triage.ErrorCode(err) == triage.ENOTFOUND {
			return st, triage.Errorf(triage.ENOTFOUND, "no hash set %q", name)
		}
		return st, fmt.Errorf("update hash set: %w", err)
	}
	return st, nil
}

// entryRows feeds entries to CopyFrom, numbered from first.
type entryRows struct {
	setID int64
	kind  triage.SetKind
	next  func() (triage.Entry, bool)
	n     int64
	cur   triage.Entry
	err   error
}

func (r *entryRows) Next() bool {
	e, ok := r.next()
	if ok {
		r.cur = e
		r.n++
	}
	return ok
}

func (r *entryRows) Err() error { return r.err }

func (r *entryRows) Values() ([]any, error) { return entryValues(r.setID, r.n-1, &r.cur, r.kind), nil }

var entryColumns = []string{"set_id", "entry", "md5", "sha1", "sha256", "pdq", "pdq_quality", "phash", "photodna",
	"size", "name", "entry_id", "category", "series", "flags", "tags", "extra", "kind", "regions", "keypoints"}

// entryValues returns the row of entry n; setKind gives the entry its
// kind when it does not say (Entry.KindIn).
func entryValues(setID, n int64, e *triage.Entry, setKind triage.SetKind) []any {
	var md5, sha1, sha256, pdq []byte
	var phash *int64
	if e.Algos.Has(triage.AlgoMD5) {
		md5 = e.MD5[:]
	}
	if e.Algos.Has(triage.AlgoSHA1) {
		sha1 = e.SHA1[:]
	}
	if e.Algos.Has(triage.AlgoSHA256) {
		sha256 = e.SHA256[:]
	}
	if e.Algos.Has(triage.AlgoPDQ) {
		pdq = e.PDQ[:]
	}
	if e.Algos.Has(triage.AlgoPHash) {
		p := int64(e.PHash)
		phash = &p
	}
	var extra map[string]string
	if len(e.Extra) > 0 {
		extra = e.Extra
	}
	return []any{setID, n, md5, sha1, sha256, pdq, e.PDQQuality, phash, e.PhotoDNA, e.Size, e.Name, e.ID,
		e.Category.String(), e.Series, int32(e.Flags), e.Tags, extra, string(e.KindIn(setKind)), encodeRegions(e.Regions),
		encodeKeypoints(e.Keypoints)}
}

// ImportSet implements triage.SetStore.
func (s *Store) ImportSet(ctx context.Context, id, rev int64, meta triage.SetMeta, entries func(yield func(triage.Entry) bool), importErr error) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var cur int64
		var state string
		if err := tx.QueryRow(ctx, `SELECT rev, state FROM hash_sets WHERE id = $1 FOR UPDATE`, id).Scan(&cur, &state); err != nil {
			return err
		}
		if cur != rev {
			return triage.Errorf(triage.ECONFLICT, "hash set %d was pushed again during its import", id)
		}
		if importErr != nil {
			_, err := tx.Exec(ctx, `UPDATE hash_sets SET state = 'failed', error = $2, updated_at = $3 WHERE id = $1`,
				id, triage.ErrorMessage(importErr), s.now())
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM hashset_entries WHERE set_id = $1`, id); err != nil {
			return err
		}
		next, stop := pullEntries(entries)
		defer stop()
		src := &entryRows{setID: id, kind: meta.Kind, next: next}
		n, err := tx.CopyFrom(ctx, pgx.Identifier{"hashset_entries"}, entryColumns, src)
		if err != nil {
			return err
		}
		var schemes []triage.Scheme
		if len(meta.Schemes) > 0 {
			schemes = meta.Schemes
		}
		_, err = tx.Exec(ctx, `UPDATE hash_sets SET state = 'ready', error = '', version = $2, kind = $3, description = $4,
			base_entries = $5, entries = $5, schemes = $7, updated_at = $6 WHERE id = $1`, id, meta.Version, meta.Kind, meta.Description, n, s.now(), schemes)
		return err
	})
	if err != nil {
		return fmt.Errorf("import hash set: %w", formatError(err))
	}
	return nil
}

// AddSetEntries implements triage.SetStore. The set's row stays locked
// until commit, so entries of one set become visible in number order and a
// reader that has seen entry n has seen every entry before it.
func (s *Store) AddSetEntries(ctx context.Context, name string, entries []triage.Entry, audit triage.AuditOf[int64]) (int64, error) {
	for i := range entries {
		if err := entries[i].Validate(); err != nil {
			return 0, triage.Errorf(triage.EINVALID, "entry %d: %s", i, triage.ErrorMessage(err))
		}
	}
	var total int64
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var id int64
		var state string
		var kind triage.SetKind
		if err := tx.QueryRow(ctx, `SELECT id, state, kind, entries FROM hash_sets WHERE name = $1 FOR UPDATE`, name).Scan(&id, &state, &kind, &total); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return triage.Errorf(triage.ENOTFOUND, "no hash set %q", name)
			}
			return err
		}
		if state != string(triage.SetReady) {
			return triage.Errorf(triage.ECONFLICT, "hash set %q is %s; entries can be added once it is ready", name, state)
		}
		rows := make([][]any, len(entries))
		for i := range entries {
			rows[i] = entryValues(id, total+int64(i), &entries[i], kind)
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"hashset_entries"}, entryColumns, pgx.CopyFromRows(rows)); err != nil {
			return err
		}
		total += int64(len(entries))
		if _, err := tx.Exec(ctx, `UPDATE hash_sets SET entries = $2, updated_at = $3 WHERE id = $1`, id, total, s.now()); err != nil {
			return err
		}
		return recordAudits(ctx, s, tx, audit, total)
	})
	if err != nil {
		return 0, fmt.Errorf("add hash set entries: %w", formatError(err))
	}
	return total, nil
}

// SetEntries implements triage.SetStore.
func (s *Store) SetEntries(ctx context.Context, id, from, to int64) ([]triage.Entry, error) {
	// A withdrawn entry (review.go's promote) keeps its number but comes
	// back without hashes: a placeholder that matches nothing.
	rows, err := s.pool.Query(ctx, `SELECT h.md5, h.sha1, h.sha256, h.pdq, h.pdq_quality, h.phash, h.photodna, h.size, h.name, h.entry_id,
			h.category, h.series, h.flags, h.tags, h.extra, h.kind, w.entry IS NOT NULL, h.regions, h.keypoints
		FROM hashset_entries h LEFT JOIN set_entry_withdrawals w ON w.set_id = h.set_id AND w.entry = h.entry
		WHERE h.set_id = $1 AND h.entry >= $2 AND h.entry < $3 ORDER BY h.entry`, id, from, to)
	if err != nil {
		return nil, fmt.Errorf("hash set entries: %w", formatError(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (triage.Entry, error) {
		e := triage.NewEntry()
		var md5, sha1, sha256, pdq, regions, keypoints []byte
		var phash *int64
		var cat string
		var flags int32
		var withdrawn bool
		if err := r.Scan(&md5, &sha1, &sha256, &pdq, &e.PDQQuality, &phash, &e.PhotoDNA, &e.Size, &e.Name, &e.ID,
			&cat, &e.Series, &flags, &e.Tags, &e.Extra, &e.Kind, &withdrawn, &regions, &keypoints); err != nil {
			return e, err
		}
		if withdrawn {
			md5, sha1, sha256, pdq, phash, e.PhotoDNA, regions, keypoints = nil, nil, nil, nil, nil, "", nil, nil
		}
		var err error
		if e.Regions, err = decodeRegions(regions); err != nil {
			return e, fmt.Errorf("entry %s: %w", e.ID, err)
		}
		if e.Keypoints, err = decodeKeypoints(keypoints); err != nil {
			return e, fmt.Errorf("entry %s: %w", e.ID, err)
		}
		if md5 != nil {
			copy(e.MD5[:], md5)
			e.Algos |= triage.AlgoSet(triage.AlgoMD5)
		}
		if sha1 != nil {
			copy(e.SHA1[:], sha1)
			e.Algos |= triage.AlgoSet(triage.AlgoSHA1)
		}
		if sha256 != nil {
			copy(e.SHA256[:], sha256)
			e.Algos |= triage.AlgoSet(triage.AlgoSHA256)
		}
		if pdq != nil {
			copy(e.PDQ[:], pdq)
			e.Algos |= triage.AlgoSet(triage.AlgoPDQ)
		}
		if phash != nil {
			e.PHash = triage.PHash(uint64(*phash))
			e.Algos |= triage.AlgoSet(triage.AlgoPHash)
		}
		if e.Category, err = triage.SplitCategory(cat); err != nil {
			return e, fmt.Errorf("entry %s: stored %w", e.ID, err)
		}
		e.Flags = triage.EntryFlags(flags)
		return e, nil
	})
	if err != nil {
		return nil, fmt.Errorf("hash set entries: %w", formatError(err))
	}
	return out, nil
}

// StuckSets implements triage.SetStore.
func (s *Store) StuckSets(ctx context.Context, grace time.Duration) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM hash_sets WHERE state = 'importing' AND updated_at < $1 ORDER BY id`, s.now().Add(-grace))
	if err != nil {
		return nil, fmt.Errorf("stuck hash sets: %w", formatError(err))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("stuck hash sets: %w", formatError(err))
	}
	return ids, nil
}

// pullEntries turns a push iterator into a pull function.
func pullEntries(seq func(yield func(triage.Entry) bool)) (func() (triage.Entry, bool), func()) {
	return iter.Pull(iter.Seq[triage.Entry](seq))
}
