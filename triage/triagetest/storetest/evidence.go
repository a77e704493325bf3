package storetest

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
)

// RandomBytes returns n deterministic pseudo-random bytes.
func RandomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, ^seed))
	for i := 0; i < n; i += 8 {
		v := r.Uint64()
		for j := 0; j < 8 && i+j < n; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	return b
}

// DigestsOf computes the digests of b directly with the standard library.
func DigestsOf(b []byte) triage.Digests {
	return triage.Digests{MD5: md5.Sum(b), SHA1: sha1.Sum(b), SHA256: sha256.Sum256(b)}
}

// TestEvidenceStore runs the evidence-store contract. corrupt replaces the
// stored bytes of an object with other bytes (behind the store's back).
func TestEvidenceStore(t *testing.T, s triage.EvidenceStore, corrupt func(sum triage.SHA256, b []byte)) {
	ctx := context.Background()
	for _, n := range []int{0, 1, 1000, 5<<20 + 3, 17 << 20} {
		b := RandomBytes(n, uint64(n))
		want := DigestsOf(b)
		for i, size := range []int64{int64(n), -1, int64(n), -1} {
			var expect triage.SHA256
			if n%2 == 0 && i%2 == 0 || n%2 == 1 && i%2 == 1 {
				expect = want.SHA256 // both ways of storing, in turn
			}
			info, err := s.Put(ctx, bytes.NewReader(b), size, expect)
			if err != nil {
				t.Fatalf("Put %d bytes (size %d): %v", n, size, err)
			}
			if info.Skipped {
				if i == 0 || expect.IsZero() || info.SHA256 != want.SHA256 || info.Size != int64(n) {
					t.Fatalf("Put %d bytes (attempt %d): skipped wrongly: %+v", n, i, info)
				}
			} else if info.Digests != want || info.Size != int64(n) {
				t.Fatalf("Put %d bytes: digests %+v size %d, want %+v", n, info.Digests, info.Size, want)
			}
			if wantCreated := i == 0; info.Created != wantCreated {
				t.Errorf("Put %d bytes (attempt %d): Created %v, want %v (stored once)", n, i, info.Created, wantCreated)
			}
		}
		st, err := s.Stat(ctx, want.SHA256)
		if err != nil || st.Size != int64(n) || (!st.MD5.IsZero() && st.MD5 != want.MD5) || (!st.SHA1.IsZero() && st.SHA1 != want.SHA1) {
			t.Errorf("Stat = %+v, %v", st, err)
		}
		rc, _, err := s.Get(ctx, want.SHA256)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("Get %d bytes: %d bytes back, %v", n, len(got), err)
		}
	}
	var missing triage.SHA256
	missing[0] = 0xee
	if _, err := s.Stat(ctx, missing); triage.ErrorCode(err) != triage.ENOTFOUND {
		t.Errorf("Stat missing: %v, want ENOTFOUND", err)
	}
	if _, _, err := s.Get(ctx, missing); triage.ErrorCode(err) != triage.ENOTFOUND {
		t.Errorf("Get missing: %v, want ENOTFOUND", err)
	}

	// Concurrent uploads of the same content store it once, all succeed.
	b := RandomBytes(300_000, 99)
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			if info, err := s.Put(ctx, bytes.NewReader(b), int64(len(b)), triage.SHA256{}); err != nil || info.SHA256 != sha256.Sum256(b) {
				t.Errorf("concurrent Put: %+v, %v", info, err)
			}
		})
	}
	wg.Wait()

	// A truncated upload stores nothing, whether its SHA-256 was given
	// or not.
	short := RandomBytes(10_000, 5)
	for _, expect := range []triage.SHA256{{}, sha256.Sum256(short)} {
		if _, err := s.Put(ctx, &failingReader{r: bytes.NewReader(short), after: 5000}, int64(len(short)), expect); err == nil {
			t.Errorf("Put of a failing stream succeeded")
		}
		for _, sum := range []triage.SHA256{sha256.Sum256(short[:5000]), sha256.Sum256(short)} {
			if _, err := s.Stat(ctx, sum); triage.ErrorCode(err) != triage.ENOTFOUND {
				t.Errorf("failed Put left an object: %v", err)
			}
		}
	}
	// Content that does not hash to the SHA-256 given is refused and not
	// stored under it.
	liar := RandomBytes(2000, 6)
	claimed := sha256.Sum256([]byte("something else"))
	if _, err := s.Put(ctx, bytes.NewReader(liar), int64(len(liar)), claimed); triage.ErrorCode(err) != triage.EINVALID {
		t.Errorf("Put with a wrong SHA-256: %v, want EINVALID", err)
	}
	if _, err := s.Stat(ctx, claimed); triage.ErrorCode(err) != triage.ENOTFOUND {
		t.Errorf("content stored under a SHA-256 it does not have: %v", err)
	}

	// Damaged content is refused on read.
	if corrupt != nil {
		d := RandomBytes(4096, 7)
		info, err := s.Put(ctx, bytes.NewReader(d), int64(len(d)), triage.SHA256{})
		if err != nil {
			t.Fatal(err)
		}
		bad := bytes.Clone(d)
		bad[100] ^= 1
		corrupt(info.SHA256, bad)
		rc, _, err := s.Get(ctx, info.SHA256)
		if err != nil {
			t.Fatal(err)
		}
		_, err = io.ReadAll(rc)
		rc.Close()
		if !errors.Is(err, triage.ErrCorruptEvidence) {
			t.Errorf("reading damaged evidence: %v, want ErrCorruptEvidence", err)
		}
	}
}

type failingReader struct {
	r     io.Reader
	after int
	n     int
}

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n >= f.after {
		return 0, errors.New("connection reset by client")
	}
	p = p[:min(len(p), f.after-f.n)]
	n, err := f.r.Read(p)
	f.n += n
	return n, err
}
