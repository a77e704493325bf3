package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/winnow-forensics/winnow/triage"
)

// CanSeeCase implements triage.AccessStore.
func (s *Store) CanSeeCase(ctx context.Context, v triage.Viewer, caseID int64) (bool, error) {
	if v.All {
		return true, nil
	}
	var ok bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM case_members WHERE case_id = $1 AND user_id = $2)`, caseID, v.UserID).Scan(&ok); err != nil {
		return false, fmt.Errorf("case access: %w", formatError(err))
	}
	return ok, nil
}

// CanSeeEvidence implements triage.AccessStore.
func (s *Store) CanSeeEvidence(ctx context.Context, v triage.Viewer, sum triage.SHA256) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM items i JOIN exhibits e ON e.id = i.exhibit_id
		WHERE i.sha256 = $3 AND ($2 OR e.case_id IN (SELECT case_id FROM case_members WHERE user_id = $1)))`,
		v.UserID, v.All, sum[:]).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("evidence access: %w", formatError(err))
	}
	return ok, nil
}

// CanSeeReviewGroup implements triage.AccessStore. A group merged into
// another is as visible as the one it went into (whose members it gave).
func (s *Store) CanSeeReviewGroup(ctx context.Context, v triage.Viewer, groupID int64) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `WITH RECURSIVE g(id, parent, depth) AS (
			SELECT id, merged_into, 0 FROM review_groups WHERE id = $3
			UNION ALL SELECT r.id, r.merged_into, g.depth + 1 FROM review_groups r JOIN g ON r.id = g.parent WHERE g.depth < 100)
		SELECT EXISTS (SELECT 1 FROM review_members m JOIN review_items ri ON ri.member_id = m.id
			WHERE m.group_id = (SELECT id FROM g WHERE parent IS NULL) AND `+visible+`)`, v.UserID, v.All, groupID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("review group access: %w", formatError(err))
	}
	return ok, nil
}

// CanSeeReviewMember implements triage.AccessStore.
func (s *Store) CanSeeReviewMember(ctx context.Context, v triage.Viewer, memberID int64) (bool, error) {
	var ok bool
	err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM review_items ri WHERE ri.member_id = $3 AND `+visible+`)`,
		v.UserID, v.All, memberID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("review member access: %w", formatError(err))
	}
	return ok, nil
}

// MemberCases implements triage.AccessStore.
func (s *Store) MemberCases(ctx context.Context, userID int64) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT case_id FROM case_members WHERE user_id = $1 ORDER BY case_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("member cases: %w", formatError(err))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("member cases: %w", formatError(err))
	}
	return ids, nil
}

// AddCaseMember implements triage.AccessStore.
func (s *Store) AddCaseMember(ctx context.Context, caseID, userID int64, audit *triage.AuditEvent) error {
	err := s.audited(ctx, audit, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO case_members (case_id, user_id, added_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			caseID, userID, s.now())
		return err
	})
	if err = formatError(err); err != nil {
		if triage.ErrorCode(err) == triage.ENOTFOUND {
			return triage.Errorf(triage.ENOTFOUND, "no such case or user")
		}
		return fmt.Errorf("add case member: %w", err)
	}
	return nil
}

// RemoveCaseMember implements triage.AccessStore.
func (s *Store) RemoveCaseMember(ctx context.Context, caseID, userID int64, audit *triage.AuditEvent) error {
	err := s.audited(ctx, audit, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM case_members WHERE case_id = $1 AND user_id = $2`, caseID, userID)
		if err == nil && tag.RowsAffected() == 0 {
			err = triage.Errorf(triage.ENOTFOUND, "the user is not a member of the case")
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("remove case member: %w", formatError(err))
	}
	return nil
}

// CaseMembers implements triage.AccessStore.
func (s *Store) CaseMembers(ctx context.Context, caseID int64) ([]triage.User, error) {
	rows, err := s.pool.Query(ctx, `SELECT u.id, u.name, u.role, u.disabled, u.created_at FROM case_members cm
		JOIN users u ON u.id = cm.user_id WHERE cm.case_id = $1 ORDER BY u.name`, caseID)
	if err != nil {
		return nil, fmt.Errorf("case members: %w", formatError(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (triage.User, error) { return scanUser(r) })
	if err != nil {
		return nil, fmt.Errorf("case members: %w", formatError(err))
	}
	return out, nil
}

// SetPassword implements triage.SessionStore.
func (s *Store) SetPassword(ctx context.Context, userID int64, hash string, audit *triage.AuditEvent) error {
	err := s.audited(ctx, audit, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, userID, hash)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return triage.Errorf(triage.ENOTFOUND, "no user %d", userID)
		}
		_, err = tx.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
		return err
	})
	if err != nil {
		return fmt.Errorf("set password: %w", formatError(err))
	}
	return nil
}

// DeleteSessions implements triage.SessionStore.
func (s *Store) DeleteSessions(ctx context.Context, userID int64) (int64, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE user_id = $1`, userID)
	if err != nil {
		return 0, fmt.Errorf("delete sessions: %w", formatError(err))
	}
	return tag.RowsAffected(), nil
}

// PasswordHash implements triage.SessionStore.
func (s *Store) PasswordHash(ctx context.Context, name string) (triage.User, string, error) {
	var u triage.User
	var role, hash string
	err := s.pool.QueryRow(ctx, `SELECT id, name, role, disabled, created_at, password_hash FROM users WHERE name = $1`, name).
		Scan(&u.ID, &u.Name, &role, &u.Disabled, &u.CreatedAt, &hash)
	u.Role = triage.Role(role)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, "", triage.Errorf(triage.ENOTFOUND, "no user %q", name)
	} else if err != nil {
		return u, "", fmt.Errorf("password hash: %w", formatError(err))
	}
	return u, hash, nil
}

// CreateSession implements triage.SessionStore.
func (s *Store) CreateSession(ctx context.Context, ss *triage.Session, audit *triage.AuditEvent) error {
	ss.CreatedAt = s.now()
	err := s.audited(ctx, audit, func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `INSERT INTO sessions (hash, user_id, csrf, created_at, idle_until, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, ss.Hash[:], ss.UserID, ss.CSRF, ss.CreatedAt, ss.IdleUntil, ss.ExpiresAt).Scan(&ss.ID)
	})
	if err != nil {
		return fmt.Errorf("create session: %w", formatError(err))
	}
	// Sessions past their expiry are of no use: drop them as we go.
	s.pool.Exec(ctx, `DELETE FROM sessions WHERE expires_at < $1 OR idle_until < $1`, ss.CreatedAt)
	return nil
}

// errBadSession says no more than that the session is gone.
var errBadSession = triage.Errorf(triage.EUNAUTHORIZED, "not logged in, or the session expired: log in again")

// TouchSession implements triage.SessionStore.
func (s *Store) TouchSession(ctx context.Context, hash triage.SHA256, idle time.Duration) (triage.User, triage.Session, error) {
	now := s.now()
	var u triage.User
	var ss triage.Session
	var role string
	err := s.pool.QueryRow(ctx, `UPDATE sessions ss SET idle_until = least($2::timestamptz + $3 * interval '1 microsecond', ss.expires_at)
		FROM users u WHERE u.id = ss.user_id AND ss.hash = $1 AND ss.idle_until > $2 AND ss.expires_at > $2 AND NOT u.disabled
		RETURNING u.id, u.name, u.role, u.created_at, ss.id, ss.csrf, ss.created_at, ss.idle_until, ss.expires_at`,
		hash[:], now, idle.Microseconds()).Scan(&u.ID, &u.Name, &role, &u.CreatedAt, &ss.ID, &ss.CSRF, &ss.CreatedAt, &ss.IdleUntil, &ss.ExpiresAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, ss, errBadSession
	} else if err != nil {
		return u, ss, fmt.Errorf("session: %w", formatError(err))
	}
	u.Role, ss.UserID, ss.Hash = triage.Role(role), u.ID, hash
	return u, ss, nil
}

// DeleteSession implements triage.SessionStore.
func (s *Store) DeleteSession(ctx context.Context, hash triage.SHA256) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM sessions WHERE hash = $1`, hash[:]); err != nil {
		return fmt.Errorf("delete session: %w", formatError(err))
	}
	return nil
}

// WellnessSettings implements triage.WellnessStore.
func (s *Store) WellnessSettings(ctx context.Context, userID int64) (triage.WellnessSettings, error) {
	w := triage.DefaultWellnessSettings()
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT settings FROM user_settings WHERE user_id = $1`, userID).Scan(&raw)
	if errors.Is(err, pgx.ErrNoRows) || (err == nil && raw == nil) {
		return w, nil
	} else if err != nil {
		return w, fmt.Errorf("wellness settings: %w", formatError(err))
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		return triage.DefaultWellnessSettings(), nil
	}
	return w, nil
}

// SaveWellnessSettings implements triage.WellnessStore.
func (s *Store) SaveWellnessSettings(ctx context.Context, userID int64, w triage.WellnessSettings, audit *triage.AuditEvent) error {
	if err := w.Validate(); err != nil {
		return err
	}
	b, _ := json.Marshal(w)
	err := s.audited(ctx, audit, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO user_settings (user_id, settings, last_break) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET settings = $2`, userID, b, s.now())
		return err
	})
	if err != nil {
		return fmt.Errorf("save wellness settings: %w", formatError(err))
	}
	return nil
}

// AddExposure implements triage.WellnessStore.
func (s *Store) AddExposure(ctx context.Context, userID int64, n int, itemID int64) (triage.Exposure, error) {
	if n < 0 || n > 10000 || (itemID != 0 && n != 1) {
		return triage.Exposure{}, triage.Errorf(triage.EINVALID, "revealed count %d is out of range (0-10000, or 1 for one item)", n)
	}
	now := s.now()
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if itemID != 0 {
			// Counted when the item was not revealed since the last break.
			tag, err := tx.Exec(ctx, `INSERT INTO user_reveals (user_id, item_id, at) VALUES ($1, $2, $3)
				ON CONFLICT (user_id, item_id) DO UPDATE SET at = $3
				WHERE user_reveals.at < coalesce((SELECT last_break FROM user_settings WHERE user_id = $1), '-infinity')`,
				userID, itemID, now)
			if err != nil {
				return err
			}
			if tag.RowsAffected() == 0 {
				n = 0
			}
		}
		if n == 0 {
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO user_exposure (user_id, day, reveals) VALUES ($1, $2::timestamptz::date, $3)
			ON CONFLICT (user_id, day) DO UPDATE SET reveals = user_exposure.reveals + $3`, userID, now, n); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO user_settings (user_id, since_break, last_break) VALUES ($1, $2, $3)
			ON CONFLICT (user_id) DO UPDATE SET since_break = user_settings.since_break + $2,
				last_break = coalesce(user_settings.last_break, $3)`, userID, n, now)
		return err
	})
	if err != nil {
		return triage.Exposure{}, fmt.Errorf("add exposure: %w", formatError(err))
	}
	return s.Exposure(ctx, userID)
}

// Exposure implements triage.WellnessStore.
func (s *Store) Exposure(ctx context.Context, userID int64) (triage.Exposure, error) {
	now := s.now()
	var e triage.Exposure
	var last *time.Time
	err := s.pool.QueryRow(ctx, `SELECT
			coalesce((SELECT reveals FROM user_exposure WHERE user_id = $1 AND day = $2::timestamptz::date), 0),
			coalesce((SELECT sum(reveals) FROM user_exposure WHERE user_id = $1), 0),
			coalesce((SELECT since_break FROM user_settings WHERE user_id = $1), 0),
			(SELECT last_break FROM user_settings WHERE user_id = $1)`, userID, now).Scan(&e.Today, &e.Total, &e.SinceBreak, &last)
	if err != nil {
		return e, fmt.Errorf("exposure: %w", formatError(err))
	}
	if last != nil {
		e.LastBreak = *last
	}
	w, err := s.WellnessSettings(ctx, userID)
	if err != nil {
		return e, err
	}
	e.BreakDue = w.BreakDue(e, now)
	return e, nil
}

// TakeBreak implements triage.WellnessStore.
func (s *Store) TakeBreak(ctx context.Context, userID int64) (triage.Exposure, error) {
	_, err := s.pool.Exec(ctx, `INSERT INTO user_settings (user_id, since_break, last_break) VALUES ($1, 0, $2)
		ON CONFLICT (user_id) DO UPDATE SET since_break = 0, last_break = $2`, userID, s.now())
	if err != nil {
		return triage.Exposure{}, fmt.Errorf("take break: %w", formatError(err))
	}
	return s.Exposure(ctx, userID)
}
