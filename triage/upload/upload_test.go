package upload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
)

// store is an evidence store, item store, access check and queue in
// memory, recording what Receive asked of it.
type store struct {
	objects  map[triage.SHA256]triage.EvidenceInfo
	digests  map[triage.SHA256]triage.Digests // recorded by items
	visible  bool
	items    []triage.Item
	events   []triage.AuditEvent
	queued   []int64
	queueErr error
	// collect removes the content before CreateItem records its item, as
	// an orphan collection running meanwhile would.
	collect bool
}

func newStore() *store {
	return &store{objects: map[triage.SHA256]triage.EvidenceInfo{}, digests: map[triage.SHA256]triage.Digests{}}
}

func (s *store) Put(_ context.Context, r io.Reader, size int64, want triage.SHA256) (triage.EvidenceInfo, error) {
	if info, ok := s.objects[want]; ok && !want.IsZero() {
		info.Skipped = true
		info.MD5, info.SHA1 = triage.MD5{}, triage.SHA1{}
		return info, nil
	}
	d := hashing.NewStreamDigests()
	n, err := io.Copy(d, r)
	if err != nil {
		return triage.EvidenceInfo{}, err
	}
	info := triage.EvidenceInfo{Digests: d.Sum(), Size: n}
	if !want.IsZero() && info.SHA256 != want {
		return triage.EvidenceInfo{}, triage.Errorf(triage.EINVALID, "digest mismatch")
	}
	s.objects[info.SHA256] = info
	return info, nil
}

func (s *store) Stat(_ context.Context, sum triage.SHA256) (triage.EvidenceInfo, error) {
	info, ok := s.objects[sum]
	if !ok {
		return info, triage.Errorf(triage.ENOTFOUND, "no object")
	}
	info.MD5, info.SHA1 = triage.MD5{}, triage.SHA1{}
	return info, nil
}

func (s *store) CanSeeEvidence(context.Context, triage.Viewer, triage.SHA256) (bool, error) {
	return s.visible, nil
}

func (s *store) CreateItem(ctx context.Context, it *triage.Item, ev *triage.AuditEvent, present func(context.Context) error) (bool, error) {
	if s.collect {
		delete(s.objects, it.SHA256)
	}
	for _, o := range s.items {
		if o.ExhibitID == it.ExhibitID && o.Path == it.Path && o.SHA256 == it.SHA256 {
			*it = o
			return false, nil
		}
	}
	if present != nil {
		if err := present(ctx); err != nil {
			return false, err
		}
	}
	it.ID = int64(len(s.items) + 1)
	s.items = append(s.items, *it)
	s.events = append(s.events, *ev)
	s.digests[it.SHA256] = it.Digests
	return true, nil
}

func (s *store) DigestsOf(_ context.Context, sum triage.SHA256) (triage.Digests, error) {
	d, ok := s.digests[sum]
	if !ok {
		return d, triage.Errorf(triage.ENOTFOUND, "no item")
	}
	return d, nil
}

func (s *store) EnqueueAnalyze(_ context.Context, id int64) error {
	s.queued = append(s.queued, id)
	return s.queueErr
}

func receiver(s *store) *Receiver { return &Receiver{Access: s, Evidence: s, Items: s, Queue: s} }

func TestReceive(t *testing.T) {
	ctx := context.Background()
	content := []byte("benign test content")
	sum := triage.SHA256(sha256.Sum256(content))
	ex := triage.Exhibit{ID: 7}
	s := newStore()
	rc := receiver(s)

	res, err := rc.Receive(ctx, Request{Exhibit: ex, Path: "DCIM/a.jpg", Body: bytes.NewReader(content), Size: int64(len(content)),
		Submitter: 3, Audit: triage.AuditEvent{UserName: "ann", Remote: "127.0.0.1"}})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || res.How != Created || res.Bytes != int64(len(content)) || res.Item.SHA256 != sum || res.Item.MD5.IsZero() ||
		res.Item.SubmitterID != 3 || res.Item.ExhibitID != 7 {
		t.Errorf("first upload: %+v", res)
	}
	if len(s.queued) != 1 || s.queued[0] != res.Item.ID {
		t.Errorf("queued %v, want the item", s.queued)
	}
	ev := s.events[0]
	if ev.Action != triage.AuditUpload || ev.UserName != "ann" || ev.Remote != "127.0.0.1" || ev.Detail["sha256"] != sum.String() ||
		ev.Detail["path"] != "DCIM/a.jpg" || ev.Detail["exhibit"] != "7" || ev.Detail["size"] != "19" {
		t.Errorf("audit event %+v", ev)
	}

	// The same content at the same path: the existing item.
	res, err = rc.Receive(ctx, Request{Exhibit: ex, Path: "DCIM/a.jpg", Body: bytes.NewReader(content), Size: -1})
	if err != nil || res.Created || res.How != Existing {
		t.Errorf("again: %+v, %v", res, err)
	}

	// Stored content named by a visible SHA-256, without a body: stored,
	// with the digests an item recorded.
	s.visible = true
	res, err = rc.Receive(ctx, Request{Exhibit: ex, Path: "copy.jpg", SHA256: sum, Size: 0})
	if err != nil || !res.Created || res.How != Stored || res.Bytes != 0 || res.Item.MD5.IsZero() || res.Item.Size != int64(len(content)) {
		t.Errorf("by SHA-256: %+v, %v", res, err)
	}

	// Naming content the viewer may not see proves nothing.
	s.visible = false
	if _, err := rc.Receive(ctx, Request{Exhibit: ex, Path: "b.jpg", SHA256: sum}); triage.ErrorCode(err) != triage.ENOTFOUND {
		t.Errorf("invisible content without a body: %v, want ENOTFOUND", err)
	}
	// ... so it must be sent, and hash as said.
	res, err = rc.Receive(ctx, Request{Exhibit: ex, Path: "c.jpg", SHA256: sum, Body: bytes.NewReader(content), Size: -1})
	if err != nil || res.How != Created {
		t.Errorf("invisible content sent: %+v, %v", res, err)
	}
	_, err = rc.Receive(ctx, Request{Exhibit: ex, Path: "d.jpg", SHA256: sum, Body: strings.NewReader("other"), Size: -1})
	if triage.ErrorCode(err) != triage.EINVALID {
		t.Errorf("content that does not hash as said: %v, want EINVALID", err)
	}
}

func TestReceiveRefuses(t *testing.T) {
	ctx := context.Background()
	s := newStore()
	rc := receiver(s)
	long := strings.Repeat("a", triage.MaxPathLen+1)
	for _, tc := range []struct {
		name string
		r    Request
		code string
	}{
		{"no path", Request{Body: strings.NewReader("x"), Size: 1}, triage.EINVALID},
		{"path too long", Request{Path: long, Body: strings.NewReader("x"), Size: 1}, triage.EINVALID},
		{"unknown content named", Request{Path: "a", SHA256: triage.SHA256{1}}, triage.ENOTFOUND},
	} {
		s.visible = tc.code == triage.ENOTFOUND
		if _, err := rc.Receive(ctx, tc.r); triage.ErrorCode(err) != tc.code {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.code)
		}
	}
	if len(s.objects) != 0 || len(s.items) != 0 {
		t.Errorf("a refused upload left %d objects and %d items", len(s.objects), len(s.items))
	}
}

func TestReceiveHostileName(t *testing.T) {
	s := newStore()
	res, err := receiver(s).Receive(context.Background(), Request{Path: "a\u202egpj.exe", Body: strings.NewReader("x"), Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.Item.Path == "a\u202egpj.exe" || res.Item.RawName == "" || s.events[0].Detail["raw_name"] != res.Item.RawName {
		t.Errorf("a bidi override is kept raw and shown escaped: path %q raw %q", res.Item.Path, res.Item.RawName)
	}
}

func TestReceiveQueueDown(t *testing.T) {
	s := newStore()
	s.queueErr = errors.New("redis down")
	res, err := receiver(s).Receive(context.Background(), Request{Path: "a", Body: strings.NewReader("x"), Size: 1})
	if err != nil || res.EnqueueErr == nil || len(s.items) != 1 {
		t.Errorf("the item is recorded and the queue error reported: %+v, %v", res, err)
	}
}

func TestReceiveRecordsStoredButUnrecorded(t *testing.T) {
	// The content was stored, but the database failed before its item was
	// recorded: the body is digested again.
	content := []byte("stored, never recorded")
	sum := triage.SHA256(sha256.Sum256(content))
	s := newStore()
	s.visible = true
	s.objects[sum] = triage.EvidenceInfo{Size: int64(len(content)), Digests: triage.Digests{SHA256: sum}}
	res, err := receiver(s).Receive(context.Background(), Request{Path: "a", SHA256: sum, Body: bytes.NewReader(content), Size: -1})
	if err != nil || res.Item.MD5.IsZero() || res.How != Stored {
		t.Errorf("%+v, %v", res, err)
	}
}

// TestReceiveOrphanRemoved: content stored before the request must still
// be there when its item is recorded; content the request sent itself is
// not checked.
func TestReceiveOrphanRemoved(t *testing.T) {
	content := []byte("stored earlier")
	sum := triage.SHA256(sha256.Sum256(content))
	s := newStore()
	rc := receiver(s)
	if _, err := rc.Receive(context.Background(), Request{Path: "a", Body: bytes.NewReader(content), Size: -1}); err != nil {
		t.Fatal(err)
	}
	s.visible, s.collect = true, true
	_, err := rc.Receive(context.Background(), Request{Path: "b", SHA256: sum})
	if triage.ErrorCode(err) != triage.EUNAVAILABLE || len(s.items) != 1 {
		t.Errorf("content collected meanwhile: %v, %d items; want EUNAVAILABLE and no new item", err, len(s.items))
	}
	if _, err := rc.Receive(context.Background(), Request{Path: "c", Body: strings.NewReader("fresh"), Size: -1}); err != nil {
		t.Errorf("content sent by the request itself: %v", err)
	}
}
