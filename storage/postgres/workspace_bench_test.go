package postgres_test

import (
	"context"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/storage/postgres"
	"github.com/winnow-forensics/winnow/storage/postgres/postgrestest"
	"github.com/winnow-forensics/winnow/storage/servicetest"
	"github.com/winnow-forensics/winnow/triage"
)

// BenchmarkReviewTiles is issue 17's queue figure: a page of 200 tiles,
// with filters, out of a queue of 100,000 contents (WINNOW_BENCH_TILES
// sets another size) on the real PostgreSQL, as a reviewer of every case
// sees it. Each sub-benchmark reports the 99th-percentile latency, and the
// 99th percentile of the CPU time the PostgreSQL server process spent on
// it (what the latency would be on an idle machine, all data cached).
func BenchmarkReviewTiles(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("WINNOW_BENCH_TILES")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	pg := servicetest.MustPostgres(b)
	// One connection, named, so the benchmark can read its server
	// process's CPU time: on a shared machine wall time mostly measures
	// the wait for a core.
	url := pg.URL + sep(pg.URL) + "application_name=winnow-bench-tiles"
	s, err := postgres.Open(ctx, postgres.Config{URL: url, Schema: pg.Schema, MaxConns: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	u := triage.User{Name: "vic", Role: triage.RoleReviewer}
	if err := s.CreateUser(ctx, &u, nil); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if err := postgrestest.SeedQueue(ctx, pg.URL, pg.Schema, postgrestest.Queue{Members: n, GroupSize: 10, Cases: 4, Exhibits: 5,
		Users: []int64{u.ID}}); err != nil {
		b.Fatal(err)
	}
	seeded := time.Since(start)
	start = time.Now()
	w := triage.DefaultPriorityWeights()
	scored := 0
	for {
		k, err := s.RescoreGroups(ctx, func(f triage.PriorityFeatures) float64 { return w.Score(f, time.Now()).Total }, time.Now().Add(-time.Hour), 5000)
		if err != nil {
			b.Fatal(err)
		}
		if scored += k; k == 0 {
			break
		}
	}
	b.Logf("seeded %d contents in %s; scored %d groups in %s", n, seeded.Round(time.Millisecond), scored, time.Since(start).Round(time.Millisecond))
	v := triage.ViewerOf(u)
	pid, err := postgrestest.BackendPID(ctx, pg.URL, "winnow-bench-tiles")
	if err != nil {
		b.Fatal(err)
	}
	// Cursors deep in the default view and in the path sort, for keyset
	// pages (what the UI asks for while scrolling).
	deep := func(q triage.TileQuery, at int) *triage.TileKey {
		q.Offset, q.Limit = at, 1
		p, err := s.ReviewTiles(ctx, v, q)
		if err != nil || len(p.Tiles) != 1 {
			b.Fatalf("cursor at %d: %v", at, err)
		}
		k := p.Tiles[0].Key()
		return &k
	}
	todo := triage.TileQuery{Lane: triage.LaneNew, State: triage.StateTodo}
	afterTodo := deep(todo, 50_000)
	afterPath := deep(triage.TileQuery{Sort: triage.SortPath}, 60_000)
	for _, tc := range []struct {
		name string
		q    triage.TileQuery
	}{
		{"priority", triage.TileQuery{Lane: triage.LaneNew, State: triage.StateTodo}},
		{"priority_after_50000", triage.TileQuery{Lane: triage.LaneNew, State: triage.StateTodo, After: afterTodo}},
		{"jump_offset_50000", triage.TileQuery{Lane: triage.LaneNew, State: triage.StateTodo, Offset: 50_000}},
		{"first_page_with_count", triage.TileQuery{Lane: triage.LaneNew, State: triage.StateTodo, Count: true}},
		{"case_exhibit", triage.TileQuery{Case: "case-2", Exhibit: "exhibit-3", State: triage.StateTodo}},
		{"serial", triage.TileQuery{Serial: "SN7", State: triage.StateTodo}},
		{"device_by_date", triage.TileQuery{Device: "model:apple/iphone 12/17.1.1", Sort: triage.SortDate}},
		{"gps_date_range", triage.TileQuery{GPS: "yes", From: time.Date(2022, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)}},
		{"path_substring", triage.TileQuery{Path: "series-77", State: triage.StateTodo}},
		{"sort_path_after_60000", triage.TileQuery{Sort: triage.SortPath, After: afterPath}},
		{"sort_size_desc_range", triage.TileQuery{Sort: triage.SortSize, Desc: true, MinSize: 1_000_000, MaxSize: 3_000_000}},
		{"variant_lane_make", triage.TileQuery{Lane: triage.LaneVariant, Make: "canon"}},
		{"one_group", triage.TileQuery{GroupID: 4321}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			q := tc.q
			q.Limit = 200
			var lat, cpu []time.Duration
			got := 0
			for b.Loop() {
				c0, err := postgrestest.CPUTime(pid)
				if err != nil {
					b.Fatal(err)
				}
				t0 := time.Now()
				p, err := s.ReviewTiles(ctx, v, q)
				lat = append(lat, time.Since(t0))
				if err != nil {
					b.Fatal(err)
				}
				c1, _ := postgrestest.CPUTime(pid)
				cpu = append(cpu, c1-c0)
				got = len(p.Tiles)
			}
			slices.Sort(lat)
			slices.Sort(cpu)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(cpu[len(cpu)*99/100].Microseconds())/1000, "p99-db-cpu-ms")
			b.ReportMetric(float64(got), "tiles")
		})
	}
	// The group queue (GET /api/v1/review/queue): a page of 200 groups.
	for _, tc := range []struct {
		name string
		q    triage.QueueQuery
	}{
		{"groups_new", triage.QueueQuery{Lane: triage.LaneNew, Limit: 200}},
		{"groups_new_offset_5000", triage.QueueQuery{Lane: triage.LaneNew, Offset: 5000, Limit: 200}},
		{"groups_new_with_count", triage.QueueQuery{Lane: triage.LaneNew, Limit: 200, Count: true}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var lat, cpu []time.Duration
			for b.Loop() {
				c0, _ := postgrestest.CPUTime(pid)
				t0 := time.Now()
				gs, _, err := s.ReviewQueue(ctx, v, tc.q)
				lat = append(lat, time.Since(t0))
				c1, _ := postgrestest.CPUTime(pid)
				cpu = append(cpu, c1-c0)
				if err != nil || len(gs) != 200 {
					b.Fatalf("%d groups, %v", len(gs), err)
				}
			}
			slices.Sort(lat)
			slices.Sort(cpu)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(cpu[len(cpu)*99/100].Microseconds())/1000, "p99-db-cpu-ms")
		})
	}
}

func sep(url string) string {
	if strings.Contains(url, "?") {
		return "&"
	}
	return "?"
}
