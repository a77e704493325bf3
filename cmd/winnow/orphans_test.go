package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"path/filepath"
	"testing"
	"time"

	mgo "github.com/minio/minio-go/v7"

	"github.com/winnow-forensics/winnow/storage/minio"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// TestOrphanCollection (issue 12): an object an upload left without its
// item, and an upload that never completed, are removed once older than
// the grace period, audited; content that items refer to stays; the
// orphan's content uploaded again is stored and recorded as usual.
func TestOrphanCollection(t *testing.T) {
	env := labEnv(t)
	env["WINNOW_ORPHAN_GRACE"] = "1s"
	l := startLab(t, env)
	ctx := context.Background()
	dir := t.TempDir()
	kept, orphan := triagetest.PhotoJPEG(320, 240, 41, 90), triagetest.PhotoJPEG(320, 240, 42, 90)
	writeFile(t, filepath.Join(dir, "a", "kept.jpg"), kept)
	writeFile(t, filepath.Join(dir, "b", "orphan.jpg"), orphan)
	vars := map[string]string{"WINNOW_SERVER": l.URL, "WINNOW_TOKEN": l.Token}
	if code, _, errs := runWinnowEnv(t, vars, "submit", "--case", "c", "--exhibit", "e", filepath.Join(dir, "a")); code != 0 {
		t.Fatalf("submit: %s", errs)
	}
	mc, err := minio.Open(ctx, l.Worker.Config.MinIO)
	if err != nil {
		t.Fatal(err)
	}
	// What a failed upload leaves: the content stored, no item; and a
	// temporary object of an upload cut off midway.
	info, err := mc.Put(ctx, bytes.NewReader(orphan), int64(len(orphan)), triage.SHA256{})
	if err != nil || !info.Created {
		t.Fatalf("Put = %+v, %v", info, err)
	}
	if _, err := mc.Client().PutObject(ctx, l.Worker.Config.MinIO.Bucket, minio.IncomingPrefix+"cut-off", bytes.NewReader([]byte("half an upl")), 11,
		mgo.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	res, err := l.Worker.w.SweepOrphans(ctx)
	if err != nil || res.Removed+res.Incoming != 0 {
		t.Fatalf("SweepOrphans within the grace period = %+v, %v; want nothing removed", res, err)
	}
	time.Sleep(2 * time.Second)
	if res, err = l.Worker.w.SweepOrphans(ctx); err != nil || res.Removed != 1 || res.Incoming != 1 {
		t.Fatalf("SweepOrphans = %+v, %v; want the orphan and the cut-off upload", res, err)
	}
	if _, err := mc.Stat(ctx, info.SHA256); triage.ErrorCode(err) != triage.ENOTFOUND {
		t.Errorf("the orphan is still stored: %v", err)
	}
	if _, err := mc.Stat(ctx, triage.SHA256(sha256.Sum256(kept))); err != nil {
		t.Errorf("content an item refers to was removed: %v", err)
	}
	evs, err := l.Worker.pg.AuditEvents(ctx, triage.AuditFilter{Action: triage.AuditOrphanRemoved})
	if err != nil || len(evs) != 1 || evs[0].Target != "evidence/"+info.SHA256.String() {
		t.Errorf("orphan audit events = %+v, %v", evs, err)
	}
	if code, _, errs := runWinnowEnv(t, vars, "submit", "--case", "c", "--exhibit", "e", filepath.Join(dir, "b")); code != 0 {
		t.Fatalf("submit of the orphan's content: %s", errs)
	}
	if _, err := mc.Stat(ctx, info.SHA256); err != nil {
		t.Errorf("the content sent again is not stored: %v", err)
	}
}
