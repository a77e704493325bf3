// Package postgres stores the lab service's metadata in PostgreSQL through
// pgx: cases, exhibits, items (chain of custody, fingerprints, state,
// verdicts), matches, hash sets and their entries, users, tokens and the
// audit log. PostgreSQL is the source of truth: Redis may lose tasks, this
// database may not. Migrations are embedded and applied in order, each in
// its own transaction; driver errors become triage error codes here.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/winnow-forensics/winnow/triage"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Config says where the database is.
type Config struct {
	// URL is a PostgreSQL connection string
	// ("postgres://user@host:5432/db?sslmode=disable").
	URL string
	// Schema, if set, is the schema the store works in (search_path); it
	// is created if missing. Tests give each test its own.
	Schema string
	// MaxConns bounds the pool (0: pgx's default, max(4, cores)).
	MaxConns int32
	// Now is the clock (nil: time.Now); tests inject their own.
	Now func() time.Time
}

// Store is the PostgreSQL store. It implements triage.CaseStore,
// triage.ItemStore, triage.UserStore, triage.AuditStore, triage.SetStore
// and the review queue's triage.ReviewStore, AccessStore, SessionStore and
// WellnessStore.
type Store struct {
	pool *pgxpool.Pool
	now  func() time.Time
	// review is the review queue's series index (review.go).
	review reviewIndex
}

var (
	_ triage.CaseStore     = (*Store)(nil)
	_ triage.ItemStore     = (*Store)(nil)
	_ triage.UserStore     = (*Store)(nil)
	_ triage.AuditStore    = (*Store)(nil)
	_ triage.SetStore      = (*Store)(nil)
	_ triage.ReviewStore   = (*Store)(nil)
	_ triage.AccessStore   = (*Store)(nil)
	_ triage.SessionStore  = (*Store)(nil)
	_ triage.WellnessStore = (*Store)(nil)
)

// Open connects, applies any pending migrations and returns the store.
// EUNAVAILABLE if the server cannot be reached.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	pc, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, triage.Errorf(triage.EINVALID, "postgres: bad connection URL: %v", err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	if cfg.Schema != "" {
		if err := triage.ValidateName("schema", cfg.Schema); err != nil {
			return nil, err
		}
		pc.ConnConfig.RuntimeParams["search_path"] = cfg.Schema
	}
	if pc.ConnConfig.ConnectTimeout == 0 {
		pc.ConnConfig.ConnectTimeout = 5 * time.Second
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", formatError(err))
	}
	s := &Store{pool: pool, now: cfg.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.migrate(ctx, cfg.Schema); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the pool.
func (s *Store) Close() { s.pool.Close() }

// Ping checks that the database answers (for /readyz).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return formatError(err)
	}
	return nil
}

// migrate applies the embedded migrations that the database lacks, in
// order, each in its own transaction, under an advisory lock so that an API
// server and workers starting together do not race.
func (s *Store) migrate(ctx context.Context, schema string) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", formatError(err))
	}
	defer conn.Release()
	if schema != "" {
		if _, err := conn.Exec(ctx, "CREATE SCHEMA IF NOT EXISTS "+pgx.Identifier{schema}.Sanitize()); err != nil {
			return fmt.Errorf("migrate: %w", formatError(err))
		}
	}
	h := fnv.New64a()
	h.Write([]byte("winnow-migrate:" + schema))
	key := int64(h.Sum64())
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", key); err != nil {
		return fmt.Errorf("migrate: %w", formatError(err))
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", key)

	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("migrate: %w", formatError(err))
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	seen := make(map[int]string, len(names))
	for _, name := range names {
		base := strings.TrimPrefix(name, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: %s: name must start with a version number", base)
		}
		// Two branches may each add "the next" migration; a repeated
		// version would be skipped as applied, so refuse it.
		if prev, ok := seen[v]; ok {
			return fmt.Errorf("migrate: %s and %s share version %d: renumber one", prev, base, v)
		}
		seen[v] = base
		var n int
		if err := conn.QueryRow(ctx, "SELECT count(*) FROM schema_migrations WHERE version = $1", v).Scan(&n); err != nil {
			return fmt.Errorf("migrate: %w", formatError(err))
		}
		if n > 0 {
			continue
		}
		sql, err := migrations.ReadFile(name)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(sql)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", v, base)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate: %s: %w", base, formatError(err))
		}
	}
	return nil
}

// SchemaVersion returns the highest applied migration.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM schema_migrations").Scan(&v)
	return v, formatError(err)
}

// formatError translates driver errors into triage errors: no rows is
// ENOTFOUND, a unique violation ECONFLICT, a foreign-key violation
// ENOTFOUND, a check violation EINVALID, and a server that cannot be
// reached (or is shutting down) EUNAVAILABLE. Anything else is returned
// as it is and counts as internal.
func formatError(err error) error {
	if err == nil {
		return nil
	}
	var te *triage.Error
	if errors.As(err, &te) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return triage.Errorf(triage.ENOTFOUND, "not found")
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case pe.Code == "23505":
			return triage.Errorf(triage.ECONFLICT, "already exists")
		case pe.Code == "23503":
			return triage.Errorf(triage.ENOTFOUND, "refers to something that does not exist")
		case pe.Code == "23514" || pe.Code == "22P02" || pe.Code == "22001":
			return triage.Errorf(triage.EINVALID, "invalid value: %s", pe.Message)
		case strings.HasPrefix(pe.Code, "08"), pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03", pe.Code == "53300":
			return &unavailable{err}
		}
		return err
	}
	var ne net.Error
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "unexpected EOF") {
		return &unavailable{err}
	}
	return err
}

// unavailable is EUNAVAILABLE with the driver error kept for the logs.
type unavailable struct{ err error }

func (u *unavailable) Error() string {
	return "the metadata database is unavailable: " + u.err.Error()
}
func (u *unavailable) Unwrap() []error {
	return []error{u.err, triage.Errorf(triage.EUNAVAILABLE, "the metadata database is unavailable; retry later")}
}
