package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/winnow-forensics/winnow/triage"
)

func nullID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func idOrZero(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// retryRace runs an insert-or-select statement again when it found no row:
// a concurrent transaction inserted the row after this statement's snapshot
// was taken, so the next attempt sees it.
func retryRace(f func() error) error {
	var err error
	for range 5 {
		if err = f(); !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
	}
	return err
}

// CreateCase implements triage.CaseStore.
func (s *Store) CreateCase(ctx context.Context, c *triage.Case) error {
	if err := c.Validate(); err != nil {
		return err
	}
	err := s.pool.QueryRow(ctx, `INSERT INTO cases (name, title, created_by, created_at) VALUES ($1, $2, $3, $4)
		RETURNING id, created_at`, c.Name, c.Title, nullID(c.CreatedBy), s.now()).Scan(&c.ID, &c.CreatedAt)
	if err := formatError(err); err != nil {
		if triage.ErrorCode(err) == triage.ECONFLICT {
			return triage.Errorf(triage.ECONFLICT, "case %q already exists", c.Name)
		}
		return fmt.Errorf("create case: %w", err)
	}
	return nil
}

// EnsureCase implements triage.CaseStore.
func (s *Store) EnsureCase(ctx context.Context, c *triage.Case) (bool, error) {
	if err := c.Validate(); err != nil {
		return false, err
	}
	var created bool
	var by *int64
	err := retryRace(func() error {
		return s.pool.QueryRow(ctx, `WITH ins AS (
			INSERT INTO cases (name, title, created_by, created_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (name) DO NOTHING RETURNING id, title, created_by, created_at)
		SELECT id, title, created_by, created_at, true FROM ins
		UNION ALL SELECT id, title, created_by, created_at, false FROM cases WHERE name = $1
		LIMIT 1`, c.Name, c.Title, nullID(c.CreatedBy), s.now()).Scan(&c.ID, &c.Title, &by, &c.CreatedAt, &created)
	})
	if err != nil {
		return false, fmt.Errorf("ensure case: %w", formatError(err))
	}
	c.CreatedBy = idOrZero(by)
	return created, nil
}

func scanCase(row pgx.Row) (triage.Case, error) {
	var c triage.Case
	var by *int64
	err := row.Scan(&c.ID, &c.Name, &c.Title, &by, &c.CreatedAt)
	c.CreatedBy = idOrZero(by)
	return c, err
}

// Case implements triage.CaseStore.
func (s *Store) Case(ctx context.Context, name string) (triage.Case, error) {
	c, err := scanCase(s.pool.QueryRow(ctx, `SELECT id, name, title, created_by, created_at FROM cases WHERE name = $1`, name))
	if err != nil {
		if err = formatError(err); triage.ErrorCode(err) == triage.ENOTFOUND {
			return c, triage.Errorf(triage.ENOTFOUND, "no case %q", name)
		}
		return c, fmt.Errorf("case: %w", err)
	}
	return c, nil
}

// Cases implements triage.CaseStore.
func (s *Store) Cases(ctx context.Context) ([]triage.Case, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, title, created_by, created_at FROM cases ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("cases: %w", formatError(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (triage.Case, error) { return scanCase(r) })
	if err != nil {
		return nil, fmt.Errorf("cases: %w", formatError(err))
	}
	return out, nil
}

// EnsureExhibit implements triage.CaseStore.
func (s *Store) EnsureExhibit(ctx context.Context, e *triage.Exhibit) (bool, error) {
	if err := e.Validate(); err != nil {
		return false, err
	}
	var created bool
	var by *int64
	err := retryRace(func() error {
		return s.pool.QueryRow(ctx, `WITH ins AS (
			INSERT INTO exhibits (case_id, name, description, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (case_id, name) DO NOTHING RETURNING id, description, created_by, created_at)
		SELECT id, description, created_by, created_at, true FROM ins
		UNION ALL SELECT id, description, created_by, created_at, false FROM exhibits WHERE case_id = $1 AND name = $2
		LIMIT 1`, e.CaseID, e.Name, e.Description, nullID(e.CreatedBy), s.now()).Scan(&e.ID, &e.Description, &by, &e.CreatedAt, &created)
	})
	if err != nil {
		if err = formatError(err); triage.ErrorCode(err) == triage.ENOTFOUND {
			return false, triage.Errorf(triage.ENOTFOUND, "no case with id %d", e.CaseID)
		}
		return false, fmt.Errorf("ensure exhibit: %w", err)
	}
	e.CreatedBy = idOrZero(by)
	return created, nil
}

func scanExhibit(row pgx.Row) (triage.Exhibit, error) {
	var e triage.Exhibit
	var by *int64
	err := row.Scan(&e.ID, &e.CaseID, &e.Name, &e.Description, &by, &e.CreatedAt)
	e.CreatedBy = idOrZero(by)
	return e, err
}

// Exhibit implements triage.CaseStore.
func (s *Store) Exhibit(ctx context.Context, caseID int64, name string) (triage.Exhibit, error) {
	e, err := scanExhibit(s.pool.QueryRow(ctx, `SELECT id, case_id, name, description, created_by, created_at
		FROM exhibits WHERE case_id = $1 AND name = $2`, caseID, name))
	if err != nil {
		if err = formatError(err); triage.ErrorCode(err) == triage.ENOTFOUND {
			return e, triage.Errorf(triage.ENOTFOUND, "no exhibit %q in this case", name)
		}
		return e, fmt.Errorf("exhibit: %w", err)
	}
	return e, nil
}

// Exhibits implements triage.CaseStore.
func (s *Store) Exhibits(ctx context.Context, caseID int64) ([]triage.Exhibit, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, case_id, name, description, created_by, created_at
		FROM exhibits WHERE case_id = $1 ORDER BY name`, caseID)
	if err != nil {
		return nil, fmt.Errorf("exhibits: %w", formatError(err))
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (triage.Exhibit, error) { return scanExhibit(r) })
	if err != nil {
		return nil, fmt.Errorf("exhibits: %w", formatError(err))
	}
	return out, nil
}
