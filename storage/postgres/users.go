package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/winnow-forensics/winnow/triage"
)

// CreateUser implements triage.UserStore.
func (s *Store) CreateUser(ctx context.Context, u *triage.User, audit *triage.AuditEvent) error {
	if err := u.Validate(); err != nil {
		return err
	}
	err := s.audited(ctx, audit, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO users (name, role, disabled, created_at) VALUES ($1, $2, $3, $4) RETURNING id, created_at`,
			u.Name, string(u.Role), u.Disabled, s.now()).Scan(&u.ID, &u.CreatedAt)
	})
	if err = formatError(err); err != nil {
		if triage.ErrorCode(err) == triage.ECONFLICT {
			return triage.Errorf(triage.ECONFLICT, "user %q already exists", u.Name)
		}
		return fmt.Errorf("create user: %w", err)
	}
	return nil
}

func scanUser(row pgx.Row) (triage.User, error) {
	var u triage.User
	var role string
	err := row.Scan(&u.ID, &u.Name, &role, &u.Disabled, &u.CreatedAt)
	u.Role = triage.Role(role)
	return u, err
}

// UserByName implements triage.UserStore.
func (s *Store) UserByName(ctx context.Context, name string) (triage.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT id, name, role, disabled, created_at FROM users WHERE name = $1`, name))
	if err != nil {
		if err = formatError(err); triage.ErrorCode(err) == triage.ENOTFOUND {
			return u, triage.Errorf(triage.ENOTFOUND, "no user %q", name)
		}
		return u, fmt.Errorf("user: %w", err)
	}
	return u, nil
}

// Users implements triage.UserStore.
func (s *Store) Users(ctx context.Context) ([]triage.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, role, disabled, created_at FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("users: %w", formatError(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (triage.User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("users: %w", formatError(err))
	}
	return out, nil
}

// CreateToken implements triage.UserStore.
func (s *Store) CreateToken(ctx context.Context, t *triage.Token, audit triage.AuditOf[triage.Token]) error {
	if t.Hash.IsZero() {
		return triage.Errorf(triage.EINVALID, "token has no hash")
	}
	var exp *time.Time
	if !t.ExpiresAt.IsZero() {
		exp = &t.ExpiresAt
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `INSERT INTO tokens (user_id, name, hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
			RETURNING id, created_at`, t.UserID, t.Name, t.Hash[:], s.now(), exp).Scan(&t.ID, &t.CreatedAt); err != nil {
			return err
		}
		return recordAudits(ctx, s, tx, audit, *t)
	})
	if err = formatError(err); err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

// Authenticate implements triage.UserStore. It records the token's use,
// to the minute.
func (s *Store) Authenticate(ctx context.Context, hash triage.SHA256) (triage.User, triage.Token, error) {
	var u triage.User
	var t triage.Token
	var role string
	var exp, used *time.Time
	err := s.pool.QueryRow(ctx, `SELECT u.id, u.name, u.role, u.disabled, u.created_at, t.id, t.name, t.created_at, t.expires_at, t.last_used_at
		FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1`, hash[:]).
		Scan(&u.ID, &u.Name, &role, &u.Disabled, &u.CreatedAt, &t.ID, &t.Name, &t.CreatedAt, &exp, &used)
	if err != nil {
		if err = formatError(err); triage.ErrorCode(err) == triage.ENOTFOUND {
			return u, t, triage.ErrBadToken
		}
		return u, t, fmt.Errorf("authenticate: %w", err)
	}
	u.Role, t.UserID, t.Hash = triage.Role(role), u.ID, hash
	if exp != nil {
		t.ExpiresAt = *exp
	}
	now := s.now()
	if u.Disabled || (exp != nil && !now.Before(*exp)) {
		return triage.User{}, triage.Token{}, triage.ErrBadToken
	}
	if used == nil || now.Sub(*used) >= time.Minute {
		if _, err := s.pool.Exec(ctx, `UPDATE tokens SET last_used_at = $2 WHERE id = $1`, t.ID, now); err != nil {
			return u, t, fmt.Errorf("authenticate: %w", formatError(err))
		}
		used = &now
	}
	t.LastUsed = *used
	return u, t, nil
}

// RevokeToken implements triage.UserStore.
func (s *Store) RevokeToken(ctx context.Context, id int64, audit *triage.AuditEvent) error {
	err := s.audited(ctx, audit, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM tokens WHERE id = $1`, id)
		if err == nil && tag.RowsAffected() == 0 {
			err = triage.Errorf(triage.ENOTFOUND, "no token %d", id)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("revoke token: %w", formatError(err))
	}
	return nil
}

// Tokens implements triage.UserStore.
func (s *Store) Tokens(ctx context.Context, userID int64) ([]triage.Token, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, user_id, name, created_at, expires_at, last_used_at FROM tokens
		WHERE $1 = 0 OR user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", formatError(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (triage.Token, error) {
		var t triage.Token
		var exp, used *time.Time
		err := r.Scan(&t.ID, &t.UserID, &t.Name, &t.CreatedAt, &exp, &used)
		if exp != nil {
			t.ExpiresAt = *exp
		}
		if used != nil {
			t.LastUsed = *used
		}
		return t, err
	})
	if err != nil {
		return nil, fmt.Errorf("tokens: %w", formatError(err))
	}
	return out, nil
}

// SetDisabled implements triage.UserStore.
func (s *Store) SetDisabled(ctx context.Context, userID int64, disabled bool, audit *triage.AuditEvent) error {
	err := s.audited(ctx, audit, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET disabled = $2 WHERE id = $1`, userID, disabled)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return triage.Errorf(triage.ENOTFOUND, "no user %d", userID)
		}
		if disabled {
			_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("disable user: %w", formatError(err))
	}
	return nil
}

// RecordAudit implements triage.AuditStore. The database's trigger puts
// the event in its chain (migration 0007).
func (s *Store) RecordAudit(ctx context.Context, e *triage.AuditEvent) error {
	if err := s.insertAudit(ctx, s.pool, e); err != nil {
		return fmt.Errorf("record audit: %w", formatError(err))
	}
	return nil
}

// insertAudit records e with q (the pool, or the transaction of the action
// it records) and fills in what the database assigned.
func (s *Store) insertAudit(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, e *triage.AuditEvent) error {
	if e.Chain == "" {
		e.Chain = triage.AuditChainLab
	}
	// The event as stored: text PostgreSQL can hold, in the chain the
	// trigger chose.
	e.UserName, e.Target, e.Remote = validUTF8(e.UserName), validUTF8(e.Target), validUTF8(e.Remote)
	var prev, hash []byte
	err := q.QueryRow(ctx, `INSERT INTO audit_events (at, user_id, user_name, action, target, detail, remote, chain)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, at, seq, prev_hash, hash, chain, detail`,
		s.now(), nullID(e.UserID), e.UserName, e.Action, e.Target, auditDetail(e.Detail), e.Remote, e.Chain).
		Scan(&e.ID, &e.At, &e.Seq, &prev, &hash, &e.Chain, &e.Detail)
	copy(e.PrevHash[:], prev)
	copy(e.Hash[:], hash)
	return err
}

// audited runs fn and records audit (when not nil) in one transaction.
func (s *Store) audited(ctx context.Context, audit *triage.AuditEvent, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		if audit == nil {
			return nil
		}
		return s.insertAudit(ctx, tx, audit)
	})
}

// recordAudits records, with tx, the audit events audit makes of res: the
// events of an action commit with it (triage.AuditOf).
func recordAudits[R any](ctx context.Context, s *Store, tx pgx.Tx, audit triage.AuditOf[R], res R) error {
	if audit == nil {
		return nil
	}
	for _, e := range audit(res) {
		if err := s.insertAudit(ctx, tx, &e); err != nil {
			return err
		}
	}
	return nil
}

// validUTF8 replaces what PostgreSQL's text refuses: invalid UTF-8 and NUL.
func validUTF8(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\ufffd"), "\x00", "\ufffd")
}

// auditDetail is an event's detail as stored: NULL when there is none.
func auditDetail(d map[string]string) map[string]string {
	if len(d) == 0 {
		return nil
	}
	return d
}

const auditCols = `id, at, user_id, user_name, action, target, detail, remote, chain, seq, prev_hash, hash`

func scanAudit(r pgx.CollectableRow) (triage.AuditEvent, error) {
	var e triage.AuditEvent
	var uid *int64
	var prev, hash []byte
	err := r.Scan(&e.ID, &e.At, &uid, &e.UserName, &e.Action, &e.Target, &e.Detail, &e.Remote, &e.Chain, &e.Seq, &prev, &hash)
	e.UserID = idOrZero(uid)
	copy(e.PrevHash[:], prev)
	copy(e.Hash[:], hash)
	return e, err
}

// AuditEvents implements triage.AuditStore.
func (s *Store) AuditEvents(ctx context.Context, f triage.AuditFilter) ([]triage.AuditEvent, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	rows, err := s.pool.Query(ctx, `SELECT `+auditCols+` FROM audit_events
		WHERE ($1 = 0 OR id < $1) AND ($2 = '' OR action = $2) AND ($3 = '' OR target = $3)
		ORDER BY id DESC LIMIT $4`, f.Before, f.Action, f.Target, limit)
	if err != nil {
		return nil, fmt.Errorf("audit events: %w", formatError(err))
	}
	out, err := pgx.CollectRows(rows, scanAudit)
	if err != nil {
		return nil, fmt.Errorf("audit events: %w", formatError(err))
	}
	return out, nil
}

// AuditChain implements triage.AuditStore.
func (s *Store) AuditChain(ctx context.Context, chain string, after int64, limit int) ([]triage.AuditEvent, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+auditCols+` FROM audit_events WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
		chain, after, limit)
	if err != nil {
		return nil, fmt.Errorf("audit chain: %w", formatError(err))
	}
	out, err := pgx.CollectRows(rows, scanAudit)
	if err != nil {
		return nil, fmt.Errorf("audit chain: %w", formatError(err))
	}
	return out, nil
}

// AuditChains implements triage.AuditStore: every chain with events or
// checkpoints, and its head.
func (s *Store) AuditChains(ctx context.Context) ([]triage.AuditCheckpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT c.chain, coalesce(h.seq, 0), coalesce(h.hash, ''::bytea)
		FROM (SELECT chain FROM audit_heads UNION SELECT DISTINCT chain FROM audit_checkpoints) c
		LEFT JOIN audit_heads h ON h.chain = c.chain ORDER BY c.chain`)
	if err != nil {
		return nil, fmt.Errorf("audit chains: %w", formatError(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (triage.AuditCheckpoint, error) {
		var cp triage.AuditCheckpoint
		var hash []byte
		err := r.Scan(&cp.Chain, &cp.Seq, &hash)
		copy(cp.Hash[:], hash)
		return cp, err
	})
	if err != nil {
		return nil, fmt.Errorf("audit chains: %w", formatError(err))
	}
	return out, nil
}

// AddCheckpoint implements triage.AuditStore.
func (s *Store) AddCheckpoint(ctx context.Context, cp *triage.AuditCheckpoint) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO audit_checkpoints (chain, seq, hash, at, key_id, signature) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT DO NOTHING`, cp.Chain, cp.Seq, cp.Hash[:], cp.At, cp.KeyID, cp.Signature)
	if err != nil {
		return fmt.Errorf("audit checkpoint: %w", formatError(err))
	}
	return nil
}

// Checkpoints implements triage.AuditStore.
func (s *Store) Checkpoints(ctx context.Context, chain string) ([]triage.AuditCheckpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT chain, seq, hash, at, key_id, signature FROM audit_checkpoints WHERE chain = $1 ORDER BY seq`, chain)
	if err != nil {
		return nil, fmt.Errorf("audit checkpoints: %w", formatError(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (triage.AuditCheckpoint, error) {
		var cp triage.AuditCheckpoint
		var hash []byte
		err := r.Scan(&cp.Chain, &cp.Seq, &hash, &cp.At, &cp.KeyID, &cp.Signature)
		copy(cp.Hash[:], hash)
		return cp, err
	})
	if err != nil {
		return nil, fmt.Errorf("audit checkpoints: %w", formatError(err))
	}
	return out, nil
}
