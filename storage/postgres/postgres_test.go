package postgres_test

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/storage/postgres"
	"github.com/winnow-forensics/winnow/storage/servicetest"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest/storetest"
)

func TestMain(m *testing.M) { servicetest.Main(m) }

// MustOpen opens a store on a fresh schema, closed at cleanup.
func MustOpen(tb testing.TB) *postgres.Store {
	tb.Helper()
	pg := servicetest.MustPostgres(tb)
	s, err := postgres.Open(context.Background(), postgres.Config{URL: pg.URL, Schema: pg.Schema})
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

func TestStores(t *testing.T) {
	storetest.TestStores(t, func(t *testing.T) storetest.Stores {
		s := MustOpen(t)
		return storetest.Stores{Cases: s, Items: s, Users: s, Audit: s, Sets: s}
	})
}

// TestAccessStores runs the access, session and wellness suite, with the
// suite's clock.
func TestAccessStores(t *testing.T) {
	storetest.TestAccessStores(t, func(t *testing.T, now func() time.Time) storetest.AccessStores {
		pg := servicetest.MustPostgres(t)
		s, err := postgres.Open(context.Background(), postgres.Config{URL: pg.URL, Schema: pg.Schema, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(s.Close)
		return storetest.AccessStores{Cases: s, Items: s, Users: s, Audit: s, Access: s, Sessions: s, Wellness: s}
	})
}

func TestMigrateTwice(t *testing.T) {
	pg := servicetest.MustPostgres(t)
	ctx := context.Background()
	files, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(files) == 0 {
		t.Fatalf("migrations: %v %v", files, err)
	}
	for range 2 {
		s, err := postgres.Open(ctx, postgres.Config{URL: pg.URL, Schema: pg.Schema})
		if err != nil {
			t.Fatal(err)
		}
		if v, err := s.SchemaVersion(ctx); err != nil || v != len(files) {
			t.Errorf("SchemaVersion = %d, %v; want %d (one per file in migrations/)", v, err, len(files))
		}
		s.Close()
	}
}

func TestUnavailable(t *testing.T) {
	port := servicetest.FreePort(t)
	_, err := postgres.Open(context.Background(), postgres.Config{URL: "postgres://postgres@127.0.0.1:" + strconv.Itoa(port) + "/test"})
	if got := triage.ErrorCode(err); got != triage.EUNAVAILABLE {
		t.Errorf("Open on a closed port: code %q (%v), want %q", got, err, triage.EUNAVAILABLE)
	}
}

// BenchmarkExhibitStatus is what every status poll costs, on an exhibit of
// 2,000 items.
func BenchmarkExhibitStatus(b *testing.B) {
	s := MustOpen(b)
	ex := storetest.MustExhibit(b, s, "c", "e")
	ctx := context.Background()
	for i := range 2000 {
		if _, err := s.CreateItem(ctx, storetest.ItemFor(ex, "f"+strconv.Itoa(i), i+1), nil, nil); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if st, err := s.ExhibitStatus(ctx, ex.ID); err != nil || st.Items != 2000 {
			b.Fatal(st, err)
		}
	}
}

// BenchmarkCreateItem is the database part of one upload.
func BenchmarkCreateItem(b *testing.B) {
	s := MustOpen(b)
	ex := storetest.MustExhibit(b, s, "c", "e")
	ctx := context.Background()
	i := 0
	for b.Loop() {
		i++
		ev := triage.AuditEvent{Action: triage.AuditUpload, UserName: "bench", Remote: "127.0.0.1", Detail: map[string]string{"path": "f"}}
		if _, err := s.CreateItem(ctx, storetest.ItemFor(ex, "f"+strconv.Itoa(i), i), &ev, nil); err != nil {
			b.Fatal(err)
		}
	}
}
