// Package postgrestest fills a Winnow schema with synthetic data for
// benchmarks and browser tests: rows only, no media (every item shares
// one thumbnail object the caller stores).
package postgrestest

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Queue describes a synthetic review queue: Members distinct contents, one
// item each, in groups (series) of GroupSize, spread over Cases cases of
// Exhibits exhibits each. Every tenth group is in the variant lane; every
// seventh content has a camera serial number (one of 50 bodies), every
// third GPS, and capture dates spread over five years.
type Queue struct {
	Members   int
	GroupSize int
	Cases     int
	Exhibits  int
	// Thumbnail is the thumbnail key every item gets ("" for none).
	Thumbnail string
	// Users are given every case.
	Users []int64
}

// SeedQueue adds q to the schema at url (search_path schema), which must
// be migrated and hold no review groups yet.
func SeedQueue(ctx context.Context, url, schema string, q Queue) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SET search_path TO "+pgx.Identifier{schema}.Sanitize()); err != nil {
		return err
	}
	return pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		for _, st := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO cases (name) SELECT 'case-' || c FROM generate_series(1, $1) c`, []any{q.Cases}},
			{`INSERT INTO exhibits (case_id, name) SELECT c.id, 'exhibit-' || e FROM cases c, generate_series(1, $1) e`, []any{q.Exhibits}},
			{`INSERT INTO case_members (case_id, user_id) SELECT c.id, u FROM cases c, unnest($1::bigint[]) u`, []any{q.Users}},
			{`INSERT INTO review_groups (id, created_at, updated_at)
				SELECT g, now() - make_interval(secs => g), now() - make_interval(secs => g)
				FROM generate_series(1, ($1::int + $2::int - 1) / $2::int) g`, []any{q.Members, q.GroupSize}},
			{`SELECT setval(pg_get_serial_sequence('review_groups', 'id'), (SELECT max(id) FROM review_groups))`, nil},
			{`CREATE TEMP TABLE seed ON COMMIT DROP AS
				SELECT i, (i - 1) / $2::int + 1 AS g, decode(md5(i::text) || md5(i::text || 's'), 'hex') AS sha256,
					(SELECT array_agg(id ORDER BY id) FROM exhibits) AS exhibits
				FROM generate_series(1, $1::int) i`, []any{q.Members, q.GroupSize}},
			{`INSERT INTO items (id, exhibit_id, path, size, md5, sha1, sha256, mime, kind, width, height, thumbnail_key, state, verdict, exif)
				SELECT i, exhibits[1 + (g % array_length(exhibits, 1))],
					'DCIM/' || (100 + g % 40) || '/series-' || g || '/IMG_' || lpad(i::text, 6, '0') || '.jpg',
					20000 + (i * 7919) % 5000000, decode(md5(i::text), 'hex'), decode(substr(md5(i::text) || md5(i::text), 1, 40), 'hex'), sha256,
					'image/jpeg', 'image', 4000, 3000, $1, 'done', CASE WHEN g % 10 = 0 THEN 'variant' ELSE 'new' END,
					jsonb_build_object('Make', CASE WHEN i % 7 = 0 THEN 'Canon' ELSE 'Apple' END,
						'Model', CASE WHEN i % 7 = 0 THEN 'EOS 5D' ELSE 'iPhone 12' END)
				FROM seed`, []any{q.Thumbnail}},
			{`SELECT setval(pg_get_serial_sequence('items', 'id'), (SELECT max(id) FROM items))`, nil},
			{`INSERT INTO review_members (id, group_id, sha256, lane, kind, width, height, camera_original, gps, captured_at, created_at,
					size, make, model, serial, device, sort_path)
				SELECT s.i, s.g, s.sha256, CASE WHEN s.g % 10 = 0 THEN 'variant' ELSE 'new' END, 'image', 4000, 3000, s.i % 7 = 0, s.i % 3 = 0,
					timestamptz '2020-01-01' + make_interval(hours => (s.i * 37) % 43800), now(), it.size, it.exif->>'Make', it.exif->>'Model',
					CASE WHEN s.i % 7 = 0 THEN 'SN' || (s.i % 50) ELSE '' END,
					CASE WHEN s.i % 7 = 0 THEN 'serial:canon/sn' || (s.i % 50) ELSE 'model:apple/iphone 12/17.1.' || (s.i % 3) END,
					it.path
				FROM seed s JOIN items it ON it.id = s.i`, nil},
			{`SELECT setval(pg_get_serial_sequence('review_members', 'id'), (SELECT max(id) FROM review_members))`, nil},
			{`INSERT INTO review_items (item_id, member_id, case_id, exhibit_id, path, inner_path)
				SELECT it.id, it.id, e.case_id, it.exhibit_id, it.path, '' FROM items it JOIN exhibits e ON e.id = it.exhibit_id
				WHERE it.id IN (SELECT i FROM seed)`, nil},
		} {
			if _, err := tx.Exec(ctx, st.sql, st.args...); err != nil {
				return fmt.Errorf("seed queue: %w: %s", err, st.sql)
			}
		}
		_, err := tx.Exec(ctx, `ANALYZE`)
		return err
	})
}

// BackendPID returns the process id of the PostgreSQL server process
// serving the connection named app (its application_name).
func BackendPID(ctx context.Context, url, app string) (int, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, err
	}
	defer conn.Close(ctx)
	var pid int
	err = conn.QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1 LIMIT 1`, app).Scan(&pid)
	return pid, err
}

// CPUTime returns the CPU time a local process has run for (Linux
// schedstat, nanoseconds).
func CPUTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/schedstat")
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 0, fmt.Errorf("schedstat of %d: %q", pid, b)
	}
	ns, err := strconv.ParseInt(f[0], 10, 64)
	return time.Duration(ns), err
}
