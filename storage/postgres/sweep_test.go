package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/winnow-forensics/winnow/storage/postgres"
	"github.com/winnow-forensics/winnow/storage/servicetest"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest/storetest"
)

// TestClaimOrphans: only contents no item refers to are claimed, each with
// its audit event; an item of a claimed content is refused until the
// tombstone is dropped; and a claim waits for an item being recorded under
// the content's lock, then leaves that content alone.
func TestClaimOrphans(t *testing.T) {
	pg := servicetest.MustPostgres(t)
	ctx := context.Background()
	s, err := postgres.Open(ctx, postgres.Config{URL: pg.URL, Schema: pg.Schema})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ex := storetest.MustExhibit(t, s, "c", "e")
	kept, orphan, racing := storetest.ItemFor(ex, "kept.jpg", 1), storetest.ItemFor(ex, "orphan.jpg", 2), storetest.ItemFor(ex, "racing.jpg", 3)
	if _, err := s.CreateItem(ctx, kept, nil, nil); err != nil {
		t.Fatal(err)
	}
	audit := func(sum triage.SHA256) []triage.AuditEvent {
		return []triage.AuditEvent{{Action: triage.AuditOrphanRemoved, Target: "evidence/" + sum.String()}}
	}
	got, err := s.ClaimOrphans(ctx, []triage.SHA256{kept.SHA256, orphan.SHA256}, audit)
	if err != nil || len(got) != 1 || got[0] != orphan.SHA256 {
		t.Fatalf("ClaimOrphans = %v, %v; want only the content no item refers to", got, err)
	}
	if evs, err := s.AuditEvents(ctx, triage.AuditFilter{Action: triage.AuditOrphanRemoved}); err != nil || len(evs) != 1 ||
		evs[0].Target != "evidence/"+orphan.SHA256.String() {
		t.Errorf("orphan events = %+v, %v", evs, err)
	}
	present := func(context.Context) error { return nil }
	if _, err := s.CreateItem(ctx, orphan, nil, present); triage.ErrorCode(err) != triage.EUNAVAILABLE {
		t.Fatalf("an item of content being removed: %v, want EUNAVAILABLE", err)
	}
	if err := s.DropTombstones(ctx, []triage.SHA256{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateItem(ctx, orphan, nil, present); triage.ErrorCode(err) != triage.EUNAVAILABLE {
		t.Fatalf("DropTombstones of no content dropped the tombstone: %v", err)
	}
	if err := s.DropTombstones(ctx, []triage.SHA256{orphan.SHA256}); err != nil {
		t.Fatal(err)
	}
	if created, err := s.CreateItem(ctx, orphan, nil, present); err != nil || !created {
		t.Fatalf("item after the removal ended: %v, %v", created, err)
	}
	gone := func(context.Context) error { return triage.Errorf(triage.EUNAVAILABLE, "removed") }
	if _, err := s.CreateItem(ctx, storetest.ItemFor(ex, "gone.jpg", 4), nil, gone); triage.ErrorCode(err) != triage.EUNAVAILABLE {
		t.Fatalf("an item whose stored content is gone: %v", err)
	}

	// The race: an item of racing's content is being recorded (its check
	// that the object is there is running) when a claim of the content
	// starts. The claim must wait, then find the item.
	conn, err := pgx.Connect(ctx, pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	inCheck, release := make(chan struct{}), make(chan struct{})
	created := make(chan error, 1)
	go func() {
		_, err := s.CreateItem(ctx, racing, nil, func(context.Context) error {
			close(inCheck)
			<-release
			return nil
		})
		created <- err
	}()
	<-inCheck
	claimed := make(chan []triage.SHA256, 1)
	go func() {
		got, err := s.ClaimOrphans(ctx, []triage.SHA256{racing.SHA256}, audit)
		if err != nil {
			t.Error(err)
		}
		claimed <- got
	}()
	// Wait until the claim is past its look-up and waits for the lock.
	for waiting := 0; waiting == 0; {
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted`).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		select {
		case got := <-claimed:
			t.Fatalf("the claim did not wait for the item being recorded: claimed %v", got)
		case <-time.After(10 * time.Millisecond):
		}
	}
	close(release)
	if err := <-created; err != nil {
		t.Fatal(err)
	}
	if got := <-claimed; len(got) != 0 {
		t.Errorf("claimed %v, whose item was recorded meanwhile", got)
	}
}
