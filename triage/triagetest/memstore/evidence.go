package memstore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"hash"
	"io"
	"sync"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
)

// Evidence is an evidence store in memory (triage.EvidenceStore and
// triage.EvidenceOpener). The zero value is empty and ready.
type Evidence struct {
	mu      sync.Mutex
	objects map[triage.SHA256]object
}

type object struct {
	b []byte
	d triage.Digests
}

var (
	_ triage.EvidenceStore  = (*Evidence)(nil)
	_ triage.EvidenceOpener = (*Evidence)(nil)
)

// Put implements triage.EvidencePutter.
func (e *Evidence) Put(ctx context.Context, r io.Reader, size int64, want triage.SHA256) (triage.EvidenceInfo, error) {
	if !want.IsZero() {
		if info, err := e.Stat(ctx, want); err == nil {
			info.Skipped = true
			return info, nil
		}
	}
	d := hashing.NewStreamDigests()
	var buf bytes.Buffer
	n, err := io.Copy(io.MultiWriter(d, &buf), r)
	if err != nil {
		return triage.EvidenceInfo{}, triage.Errorf(triage.EINVALID, "upload interrupted: %v", err)
	}
	if size >= 0 && n != size {
		return triage.EvidenceInfo{}, triage.Errorf(triage.EINVALID, "upload ended after %d of %d bytes", n, size)
	}
	info := triage.EvidenceInfo{Digests: d.Sum(), Size: n}
	if !want.IsZero() && info.SHA256 != want {
		return triage.EvidenceInfo{}, triage.Errorf(triage.EINVALID, "the content's SHA-256 is %s, not %s", info.SHA256, want)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.objects == nil {
		e.objects = map[triage.SHA256]object{}
	}
	if _, ok := e.objects[info.SHA256]; !ok {
		e.objects[info.SHA256] = object{b: buf.Bytes(), d: info.Digests}
		info.Created = true
	}
	return info, nil
}

func (e *Evidence) object(sum triage.SHA256) (object, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	o, ok := e.objects[sum]
	if !ok {
		return o, triage.Errorf(triage.ENOTFOUND, "no evidence object %s", sum)
	}
	return o, nil
}

// Stat implements triage.EvidenceStatter.
func (e *Evidence) Stat(_ context.Context, sum triage.SHA256) (triage.EvidenceInfo, error) {
	o, err := e.object(sum)
	if err != nil {
		return triage.EvidenceInfo{}, err
	}
	return triage.EvidenceInfo{Digests: o.d, Size: int64(len(o.b))}, nil
}

// Get implements triage.EvidenceFetcher: the reader fails with
// ErrCorruptEvidence at the end of content that no longer hashes to sum.
func (e *Evidence) Get(ctx context.Context, sum triage.SHA256) (io.ReadCloser, triage.EvidenceInfo, error) {
	o, err := e.object(sum)
	if err != nil {
		return nil, triage.EvidenceInfo{}, err
	}
	info := triage.EvidenceInfo{Digests: o.d, Size: int64(len(o.b))}
	return &verifying{r: bytes.NewReader(o.b), h: sha256.New(), want: sum}, info, nil
}

// OpenAt implements triage.EvidenceOpener.
func (e *Evidence) OpenAt(_ context.Context, sum triage.SHA256) (triage.ReadAtCloser, int64, error) {
	o, err := e.object(sum)
	if err != nil {
		return nil, 0, err
	}
	return readAtCloser{bytes.NewReader(o.b)}, int64(len(o.b)), nil
}

// Corrupt replaces the bytes stored under sum behind the store's back,
// as a damaged disk would.
func (e *Evidence) Corrupt(sum triage.SHA256, b []byte) {
	e.mu.Lock()
	defer e.mu.Unlock()
	o := e.objects[sum]
	o.b = bytes.Clone(b)
	e.objects[sum] = o
}

type verifying struct {
	r    *bytes.Reader
	h    hash.Hash
	want triage.SHA256
}

func (v *verifying) Read(p []byte) (int, error) {
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF && !bytes.Equal(v.h.Sum(nil), v.want[:]) {
		return n, triage.ErrCorruptEvidence
	}
	return n, err
}

func (v *verifying) Close() error { return nil }

type readAtCloser struct{ *bytes.Reader }

func (readAtCloser) Close() error { return nil }
