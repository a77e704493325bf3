package upload

import (
	"bytes"
	"context"
	"crypto/sha256"
	"hash"
	"io"
	"strconv"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
)

// Stores are what a Receiver reads and writes.
type Stores interface {
	CreateItem(ctx context.Context, it *triage.Item, audit *triage.AuditEvent, present func(context.Context) error) (created bool, err error)
	DigestsOf(ctx context.Context, sum triage.SHA256) (triage.Digests, error)
}

// Access answers whether a viewer may see stored content elsewhere.
type Access interface {
	CanSeeEvidence(ctx context.Context, v triage.Viewer, sum triage.SHA256) (bool, error)
}

// Receiver records received files.
type Receiver struct {
	Access   Access
	Evidence interface {
		triage.EvidencePutter
		triage.EvidenceStatter
	}
	Items Stores
	// Queue queues item:analyze for an item whose row is committed.
	Queue interface {
		EnqueueAnalyze(ctx context.Context, itemID int64) error
	}
}

// Request is one received file.
type Request struct {
	Exhibit triage.Exhibit
	// Path is the file's original path, as received.
	Path string
	// Body is the content (nil: content already stored, named by SHA256);
	// Size its length (-1: unknown).
	Body io.Reader
	Size int64
	// SHA256, when not zero, is the content's SHA-256 as the uploader
	// says: checked against Body, and with content the uploader may see
	// already stored, Body is not read.
	SHA256 triage.SHA256
	// Viewer and Submitter are the uploader.
	Viewer    triage.Viewer
	Submitter int64
	// Audit is the upload's audit event (actor and address); Receive adds
	// its details.
	Audit triage.AuditEvent
}

// How an upload was recorded (Result.How).
const (
	Created  = "created"  // a new item with content sent now
	Stored   = "stored"   // a new item with content already stored
	Existing = "existing" // the same content was already recorded at this path
)

// Result is what Receive recorded.
type Result struct {
	Item    triage.Item
	Created bool   // a new item
	How     string // Created, Stored or Existing
	// Bytes is how many bytes of content were stored now (0: none).
	Bytes int64
	// EnqueueErr is why the analysis task could not be queued; the item
	// is recorded and the reconciler queues it again.
	EnqueueErr error
}

// Receive records one file: the path is checked (shown escaped, kept as
// received) before the content is stored, so that a refused path leaves
// no object behind; naming a SHA-256 the viewer may not see elsewhere
// proves nothing, so such content must be sent (and must hash to it);
// the item and its audit event commit together, and content stored
// before the request must still be there then (triage.StillStored:
// EUNAVAILABLE when an orphan collection removed it); the analysis task
// is queued after the commit. EINVALID for a bad path or content that does
// not hash as said, ENOTFOUND for named content that is not stored or
// that the viewer may not see and did not send.
func (rc *Receiver) Receive(ctx context.Context, r Request) (Result, error) {
	if r.Path == "" {
		return Result{}, triage.Errorf(triage.EINVALID, "no path: give the file's original path (?path=... or the part's filename)")
	}
	name, changed := triage.EscapeName(r.Path)
	var raw string
	if changed {
		raw = strconv.Quote(r.Path)
	}
	if len(name) > triage.MaxPathLen || len(raw) > 4*triage.MaxPathLen {
		return Result{}, triage.Errorf(triage.EINVALID, "item path is longer than %d bytes", triage.MaxPathLen)
	}
	body, sum := r.Body, r.SHA256
	if !sum.IsZero() {
		visible, err := rc.Access.CanSeeEvidence(ctx, r.Viewer, sum)
		if err != nil {
			return Result{}, err
		}
		if !visible {
			if body == nil {
				return Result{}, triage.Errorf(triage.ENOTFOUND, "no stored evidence with SHA-256 %s that you may see: upload the content", sum)
			}
			sum, body = triage.SHA256{}, &verifyingReader{r: body, h: sha256.New(), want: sum}
		}
	}
	var res Result
	var info triage.EvidenceInfo
	var err error
	if body != nil {
		// With the SHA-256 given and the content already stored, Put does
		// not read the body (with "Expect: 100-continue" it is never sent).
		if info, err = rc.Evidence.Put(ctx, body, r.Size, sum); err != nil {
			return Result{}, err
		}
		if !info.Skipped {
			res.Bytes = info.Size
		}
	} else if info, err = rc.Evidence.Stat(ctx, sum); err != nil {
		if triage.ErrorCode(err) == triage.ENOTFOUND {
			err = triage.Errorf(triage.ENOTFOUND, "no stored evidence with SHA-256 %s: upload the content", sum)
		}
		return Result{}, err
	}
	stored := body == nil || info.Skipped
	if stored && (info.MD5.IsZero() || info.SHA1.IsZero()) {
		d, err := rc.Items.DigestsOf(ctx, sum)
		switch {
		case err == nil:
			info.Digests = d
		case triage.ErrorCode(err) == triage.ENOTFOUND && body != nil:
			// Stored but never recorded (the database failed after the
			// upload): digest the body, which must match.
			if info, err = digestBody(body, r.Size, sum); err != nil {
				return Result{}, err
			}
		case triage.ErrorCode(err) == triage.ENOTFOUND:
			return Result{}, triage.Errorf(triage.ENOTFOUND, "stored evidence %s has no recorded digests: upload the content", sum)
		default:
			return Result{}, err
		}
	}
	it := triage.Item{ExhibitID: r.Exhibit.ID, Path: name, RawName: raw, SubmitterID: r.Submitter, Size: info.Size, Digests: info.Digests}
	// The upload's audit event commits with the item: no item without it.
	ev := r.Audit
	ev.Action = triage.AuditUpload
	ev.Detail = map[string]string{"sha256": it.SHA256.String(), "path": name, "size": strconv.FormatInt(it.Size, 10),
		"exhibit": strconv.FormatInt(r.Exhibit.ID, 10)}
	if raw != "" {
		ev.Detail["raw_name"] = raw
	}
	// Content this request did not store itself may be an orphan being
	// collected: the store checks it is still there, under its lock.
	var present func(context.Context) error
	if stored {
		present = func(ctx context.Context) error { return triage.StillStored(ctx, rc.Evidence, it.SHA256) }
	}
	if res.Created, err = rc.Items.CreateItem(ctx, &it, &ev, present); err != nil {
		return Result{}, err
	}
	if !it.State.Final() {
		res.EnqueueErr = rc.Queue.EnqueueAnalyze(context.WithoutCancel(ctx), it.ID)
	}
	res.Item = it
	switch {
	case !res.Created:
		res.How = Existing
	case stored:
		res.How = Stored
	default:
		res.How = Created
	}
	return res, nil
}

// verifyingReader fails at the end of content whose SHA-256 is not want,
// so that the store discards it rather than keep an object nobody records.
type verifyingReader struct {
	r    io.Reader
	h    hash.Hash
	want triage.SHA256
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF && !bytes.Equal(v.h.Sum(nil), v.want[:]) {
		return n, triage.Errorf(triage.EINVALID, "the content's SHA-256 is %x, not %s as the request says", v.h.Sum(nil), v.want)
	}
	return n, err
}

// digestBody reads a body to compute its digests, which must give want.
func digestBody(body io.Reader, size int64, want triage.SHA256) (triage.EvidenceInfo, error) {
	d := hashing.NewStreamDigests()
	n, err := io.CopyBuffer(d, body, make([]byte, 256<<10))
	if err != nil {
		return triage.EvidenceInfo{}, triage.Errorf(triage.EINVALID, "upload interrupted: %v", err)
	}
	info := triage.EvidenceInfo{Digests: d.Sum(), Size: n}
	if size >= 0 && n != size {
		return info, triage.Errorf(triage.EINVALID, "upload ended after %d of %d bytes", n, size)
	}
	if info.SHA256 != want {
		return info, triage.Errorf(triage.EINVALID, "the content's SHA-256 is %s, not %s as the request says", info.SHA256, want)
	}
	return info, nil
}
