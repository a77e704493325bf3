package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/winnow-forensics/winnow/triage"
)

// CreateUser implements triage.UserStore.
func (s *Store) CreateUser(ctx context.Context, u *triage.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	err := s.pool.QueryRow(ctx, `INSERT INTO users (name, role, disabled, created_at) VALUES ($1, $2, $3, $4) RETURNING id, created_at`,
		u.Name, string(u.Role), u.Disabled, s.now()).Scan(&u.ID, &u.CreatedAt)
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
func (s *Store) CreateToken(ctx context.Context, t *triage.Token) error {
	if t.Hash.IsZero() {
		return triage.Errorf(triage.EINVALID, "token has no hash")
	}
	var exp *time.Time
	if !t.ExpiresAt.IsZero() {
		exp = &t.ExpiresAt
	}
	err := s.pool.QueryRow(ctx, `INSERT INTO tokens (user_id, name, hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
		RETURNING id, created_at`, t.UserID, t.Name, t.Hash[:], s.now(), exp).Scan(&t.ID, &t.CreatedAt)
	if err = formatError(err); err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	return nil
}

// Authenticate implements triage.UserStore.
func (s *Store) Authenticate(ctx context.Context, hash triage.SHA256) (triage.User, triage.Token, error) {
	var u triage.User
	var t triage.Token
	var role string
	var exp *time.Time
	err := s.pool.QueryRow(ctx, `SELECT u.id, u.name, u.role, u.disabled, u.created_at, t.id, t.name, t.created_at, t.expires_at
		FROM tokens t JOIN users u ON u.id = t.user_id WHERE t.hash = $1`, hash[:]).
		Scan(&u.ID, &u.Name, &role, &u.Disabled, &u.CreatedAt, &t.ID, &t.Name, &t.CreatedAt, &exp)
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
	if u.Disabled || (exp != nil && !s.now().Before(*exp)) {
		return triage.User{}, triage.Token{}, triage.ErrBadToken
	}
	return u, t, nil
}

// RevokeToken implements triage.UserStore.
func (s *Store) RevokeToken(ctx context.Context, id int64) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM tokens WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("revoke token: %w", formatError(err))
	}
	if tag.RowsAffected() == 0 {
		return triage.Errorf(triage.ENOTFOUND, "no token %d", id)
	}
	return nil
}

// RecordAudit implements triage.AuditStore.
func (s *Store) RecordAudit(ctx context.Context, e *triage.AuditEvent) error {
	err := s.pool.QueryRow(ctx, `INSERT INTO audit_events (at, user_id, user_name, action, target, detail, remote)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, at`,
		s.now(), nullID(e.UserID), e.UserName, e.Action, e.Target, auditDetail(e.Detail), e.Remote).Scan(&e.ID, &e.At)
	if err != nil {
		return fmt.Errorf("record audit: %w", formatError(err))
	}
	return nil
}

// auditDetail is an event's detail as stored: NULL when there is none.
func auditDetail(d map[string]string) map[string]string {
	if len(d) == 0 {
		return nil
	}
	return d
}

// AuditEvents implements triage.AuditStore.
func (s *Store) AuditEvents(ctx context.Context, f triage.AuditFilter) ([]triage.AuditEvent, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	rows, err := s.pool.Query(ctx, `SELECT id, at, user_id, user_name, action, target, detail, remote FROM audit_events
		WHERE ($1 = 0 OR id < $1) AND ($2 = '' OR action = $2) AND ($3 = '' OR target = $3)
		ORDER BY id DESC LIMIT $4`, f.Before, f.Action, f.Target, limit)
	if err != nil {
		return nil, fmt.Errorf("audit events: %w", formatError(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (triage.AuditEvent, error) {
		var e triage.AuditEvent
		var uid *int64
		err := r.Scan(&e.ID, &e.At, &uid, &e.UserName, &e.Action, &e.Target, &e.Detail, &e.Remote)
		e.UserID = idOrZero(uid)
		return e, err
	})
	if err != nil {
		return nil, fmt.Errorf("audit events: %w", formatError(err))
	}
	return out, nil
}
