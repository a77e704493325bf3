package setpush_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/setpush"
	"github.com/winnow-forensics/winnow/triage/triagetest/memstore"
)

// queue records the imports queued, or fails with err.
type queue struct {
	got [][2]int64
	err error
}

func (q *queue) EnqueueImport(_ context.Context, setID, rev int64) error {
	if q.err != nil {
		return q.err
	}
	q.got = append(q.got, [2]int64{setID, rev})
	return nil
}

type fixture struct {
	files *memstore.Evidence
	audit *memstore.Audit
	sets  *memstore.Sets
	queue *queue
	p     *setpush.Pusher
}

func newFixture() *fixture {
	f := &fixture{files: &memstore.Evidence{}, audit: &memstore.Audit{}, queue: &queue{}}
	f.sets = &memstore.Sets{Audit: f.audit}
	f.p = &setpush.Pusher{Files: f.files, Sets: f.sets, Queue: f.queue, MaxBytes: 100}
	return f
}

func request(body string) setpush.Request {
	return setpush.Request{Name: "known", Version: "2026.1", Kind: triage.SetKindAlert, Description: "d",
		Body: strings.NewReader(body), Size: int64(len(body)), PushedBy: 7,
		Audit: triage.AuditEvent{UserID: 7, UserName: "ann", Remote: "192.0.2.1"}}
}

// TestPush: a new file is stored, the set recorded with its audit event
// and its import queued; the same file again records and queues nothing
// more; a new file is a new revision, queued again.
func TestPush(t *testing.T) {
	ctx := context.Background()
	f := newFixture()
	res, err := f.p.Push(ctx, request("set file one"))
	if err != nil || !res.Created || res.EnqueueErr != nil {
		t.Fatalf("Push = %+v, %v", res, err)
	}
	st := res.Set
	if st.ID == 0 || st.Rev != 1 || st.State != triage.SetImporting || st.Name != "known" || st.Version != "2026.1" ||
		st.Kind != triage.SetKindAlert || st.Description != "d" || st.PushedBy != 7 || st.Size != 12 {
		t.Errorf("set %+v", st)
	}
	if info, err := f.files.Stat(ctx, st.SHA256); err != nil || info.Size != 12 {
		t.Errorf("stored file %+v, %v", info, err)
	}
	if len(f.queue.got) != 1 || f.queue.got[0] != [2]int64{st.ID, 1} {
		t.Errorf("imports queued %v, want [[%d 1]]", f.queue.got, st.ID)
	}
	evs, err := f.audit.AuditEvents(ctx, triage.AuditFilter{})
	if err != nil || len(evs) != 1 {
		t.Fatalf("audit events %+v, %v", evs, err)
	}
	if e := evs[0]; e.Action != triage.AuditHashSetPush || e.Target != "hashset/known" || e.UserName != "ann" || e.Remote != "192.0.2.1" ||
		e.Detail["sha256"] != st.SHA256.String() || e.Detail["version"] != "2026.1" || e.Detail["rev"] != "1" {
		t.Errorf("audit event %+v", e)
	}

	// The same file while the set is importing: nothing new is recorded,
	// and the import is queued again (queueing is idempotent; the first
	// task may have been lost).
	again, err := f.p.Push(ctx, request("set file one"))
	if err != nil || again.Created || again.Set.Rev != 1 || len(f.queue.got) != 2 || f.queue.got[1] != [2]int64{st.ID, 1} {
		t.Errorf("same file while importing = %+v, %v, queued %v; want the set as it was, queued again", again, err, f.queue.got)
	}
	if err := f.sets.ImportSet(ctx, st.ID, 1, triage.SetMeta{}, func(func(triage.Entry) bool) {}, nil); err != nil {
		t.Fatal(err)
	}
	if again, err := f.p.Push(ctx, request("set file one")); err != nil || again.Created || again.Set.State != triage.SetReady || len(f.queue.got) != 2 {
		t.Errorf("same file once imported = %+v, %v, queued %v; want nothing queued", again, err, f.queue.got)
	}
	if evs, _ := f.audit.AuditEvents(ctx, triage.AuditFilter{}); len(evs) != 1 {
		t.Errorf("the same file again recorded %d audit events, want 1", len(evs))
	}

	next, err := f.p.Push(ctx, request("set file two"))
	if err != nil || !next.Created || next.Set.ID != st.ID || next.Set.Rev != 2 || len(f.queue.got) != 3 || f.queue.got[2] != [2]int64{st.ID, 2} {
		t.Errorf("new file = %+v, %v, queued %v; want revision 2 queued", next, err, f.queue.got)
	}
}

// TestPushRefused: a bad name or kind, or a declared size over the limit,
// is refused before anything is stored.
func TestPushRefused(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		edit func(*setpush.Request)
		code string
	}{
		{"bad name", func(r *setpush.Request) { r.Name = "../x" }, triage.EINVALID},
		{"bad kind", func(r *setpush.Request) { r.Kind = "sometimes" }, triage.EINVALID},
		{"no kind", func(r *setpush.Request) { r.Kind = "" }, triage.EINVALID},
		{"too large", func(r *setpush.Request) { r.Size = 101 }, triage.ETOOLARGE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture()
			r := request("set file")
			tc.edit(&r)
			if _, err := f.p.Push(ctx, r); triage.ErrorCode(err) != tc.code {
				t.Fatalf("Push: %v, want %s", err, tc.code)
			}
			if _, err := f.files.Stat(ctx, sumOf(t, "set file")); triage.ErrorCode(err) != triage.ENOTFOUND {
				t.Errorf("the refused file was stored: %v", err)
			}
			if sets, _ := f.sets.Sets(ctx); len(sets) != 0 || len(f.queue.got) != 0 {
				t.Errorf("sets %+v, queued %v; want none", sets, f.queue.got)
			}
		})
	}
}

// sumOf returns the SHA-256 of s as an evidence store names it.
func sumOf(t *testing.T, s string) triage.SHA256 {
	t.Helper()
	e := &memstore.Evidence{}
	info, err := e.Put(context.Background(), strings.NewReader(s), -1, triage.SHA256{})
	if err != nil {
		t.Fatal(err)
	}
	return info.SHA256
}

// TestPushAuditFails: a push whose audit event cannot be recorded records
// no set and queues no import.
func TestPushAuditFails(t *testing.T) {
	ctx := context.Background()
	f := newFixture()
	f.sets.Audit = nil // refuses every event
	if _, err := f.p.Push(ctx, request("set file")); err == nil {
		t.Fatal("Push without an audit log succeeded")
	}
	if sets, _ := f.sets.Sets(ctx); len(sets) != 0 || len(f.queue.got) != 0 {
		t.Errorf("sets %+v, queued %v; want none", sets, f.queue.got)
	}
}

// TestPushEnqueueFails: the set stays recorded when its import cannot be
// queued (the reconciler queues it), and Push says why.
func TestPushEnqueueFails(t *testing.T) {
	ctx := context.Background()
	f := newFixture()
	f.queue.err = errors.New("redis down")
	res, err := f.p.Push(ctx, request("set file"))
	if err != nil || res.EnqueueErr == nil || !res.Created {
		t.Fatalf("Push = %+v, %v; want the set recorded and the enqueue error", res, err)
	}
	if st, err := f.sets.Set(ctx, "known"); err != nil || st.State != triage.SetImporting {
		t.Errorf("set %+v, %v", st, err)
	}
}
