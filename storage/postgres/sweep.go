package postgres

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/winnow-forensics/winnow/triage"
)

// evidenceLockSalt separates the contents' advisory lock keys from the
// other advisory locks (reviewLockKey).
const evidenceLockSalt = 0x65766964656e6365 // "evidence"

// lockEvidence takes the advisory lock of content sum for tx: shared by
// CreateItem for content stored before its request, exclusive by
// ClaimOrphans. Shared, it refuses content whose tombstone stands. It is
// a statement of its own, so that the transaction's next statements see
// what the other side committed before the lock was granted.
func lockEvidence(ctx context.Context, tx pgx.Tx, sum triage.SHA256, shared bool) error {
	key := int64(binary.BigEndian.Uint64(sum[:8]) ^ evidenceLockSalt)
	if !shared {
		_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, key)
		return err
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared($1)`, key); err != nil {
		return err
	}
	var removing bool
	if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM evidence_tombstones WHERE sha256 = $1)`, sum[:]).Scan(&removing); err != nil {
		return err
	}
	if removing {
		return triage.Errorf(triage.EUNAVAILABLE, "content %s was stored with no item referring to it and is being removed: send it again in a minute", sum)
	}
	return nil
}

// ClaimOrphans implements triage.OrphanStore. Each content is claimed in
// a transaction of its own, under its exclusive lock.
func (s *Store) ClaimOrphans(ctx context.Context, sums []triage.SHA256, audit triage.AuditOf[triage.SHA256]) ([]triage.SHA256, error) {
	// Most stored contents have items: find the few that have none in one
	// query, then claim each under its lock.
	keys := make([][]byte, len(sums))
	for i := range sums {
		keys[i] = sums[i][:]
	}
	rows, err := s.pool.Query(ctx, `SELECT k FROM unnest($1::bytea[]) AS k
		WHERE NOT EXISTS (SELECT 1 FROM items WHERE sha256 = k) ORDER BY k`, keys)
	if err != nil {
		return nil, fmt.Errorf("claim orphans: %w", formatError(err))
	}
	candidates, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (triage.SHA256, error) {
		var b []byte
		var sum triage.SHA256
		err := r.Scan(&b)
		copy(sum[:], b)
		return sum, err
	})
	if err != nil {
		return nil, fmt.Errorf("claim orphans: %w", formatError(err))
	}
	var out []triage.SHA256
	for _, sum := range candidates {
		claimed := false
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if err := lockEvidence(ctx, tx, sum, false); err != nil {
				return err
			}
			tag, err := tx.Exec(ctx, `INSERT INTO evidence_tombstones (sha256, at) SELECT $1, $2
				WHERE NOT EXISTS (SELECT 1 FROM items WHERE sha256 = $1)
				ON CONFLICT (sha256) DO UPDATE SET at = $2`, sum[:], s.now())
			if err != nil || tag.RowsAffected() == 0 {
				return err
			}
			claimed = true
			return recordAudits(ctx, s, tx, audit, sum)
		})
		if err != nil {
			return out, fmt.Errorf("claim orphans: %w", formatError(err))
		}
		if claimed {
			out = append(out, sum)
		}
	}
	return out, nil
}

// DropTombstones implements triage.OrphanStore.
func (s *Store) DropTombstones(ctx context.Context, sums []triage.SHA256) error {
	if sums != nil && len(sums) == 0 {
		return nil
	}
	var keys [][]byte
	for i := range sums {
		keys = append(keys, sums[i][:])
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM evidence_tombstones WHERE $1::bytea[] IS NULL OR sha256 = ANY($1)`, keys); err != nil {
		return fmt.Errorf("drop tombstones: %w", formatError(err))
	}
	return nil
}
