package minio_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"strings"
	"testing"

	mgo "github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/encrypt"

	"github.com/winnow-forensics/winnow/storage/minio"
	"github.com/winnow-forensics/winnow/storage/servicetest"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest/storetest"
)

func TestMain(m *testing.M) { servicetest.Main(m) }

// MustOpen opens a store on a fresh bucket, removed at cleanup.
func MustOpen(tb testing.TB, cfg minio.Config) (*minio.Store, servicetest.MinIO) {
	tb.Helper()
	return mustOpenOn(tb, servicetest.MustMinIO(tb), cfg)
}

func mustOpenOn(tb testing.TB, m servicetest.MinIO, cfg minio.Config) (*minio.Store, servicetest.MinIO) {
	tb.Helper()
	cfg.Secure, cfg.Transport = m.Secure, m.Transport
	cfg.Endpoint, cfg.AccessKey, cfg.SecretKey, cfg.Bucket, cfg.CreateBucket = m.Endpoint, m.AccessKey, m.SecretKey, m.Bucket, true
	s, err := minio.Open(context.Background(), cfg)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	m.RemoveBucketAtCleanup(tb)
	return s, m
}

func corrupter(t *testing.T, s *minio.Store, m servicetest.MinIO, sse encrypt.ServerSide) func(triage.SHA256, []byte) {
	return func(sum triage.SHA256, b []byte) {
		_, err := m.Client(t).PutObject(context.Background(), m.Bucket, s.Key(sum), bytes.NewReader(b), int64(len(b)),
			mgo.PutObjectOptions{ServerSideEncryption: sse})
		if err != nil {
			t.Fatalf("corrupt: %v", err)
		}
	}
}

func TestEvidence(t *testing.T) {
	s, m := MustOpen(t, minio.Config{})
	storetest.TestEvidenceStore(t, s, corrupter(t, s, m, nil))
	// Temporary upload objects are all gone.
	for o := range m.Client(t).ListObjects(context.Background(), m.Bucket, mgo.ListObjectsOptions{Prefix: minio.IncomingPrefix, Recursive: true}) {
		t.Errorf("left behind: %s", o.Key)
	}
}

func TestSSES3(t *testing.T) {
	s, m := MustOpen(t, minio.Config{SSE: "s3"})
	storetest.TestEvidenceStore(t, s, nil)
	info, err := s.Put(context.Background(), strings.NewReader("sse-s3 evidence"), -1, triage.SHA256{})
	if err != nil {
		t.Fatal(err)
	}
	oi, err := m.Client(t).StatObject(context.Background(), m.Bucket, s.Key(info.SHA256), mgo.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if enc := oi.Metadata.Get("X-Amz-Server-Side-Encryption"); enc == "" {
		t.Errorf("object is not encrypted at rest: metadata %v", oi.Metadata)
	}
}

func TestSSEC(t *testing.T) {
	key := bytes.Repeat([]byte{0x42}, 32)
	_, srv := servicetest.StartMinIO(t, true) // SSE-C needs TLS
	s, m := mustOpenOn(t, srv, minio.Config{SSE: "c", SSECKey: key})
	sse, _ := encrypt.NewSSEC(key)
	storetest.TestEvidenceStore(t, s, corrupter(t, s, m, sse))
	info, err := s.Put(context.Background(), strings.NewReader("sse-c evidence"), -1, triage.SHA256{})
	if err != nil {
		t.Fatal(err)
	}
	// Without the key the object cannot be read.
	obj, err := m.Client(t).GetObject(context.Background(), m.Bucket, s.Key(info.SHA256), mgo.GetObjectOptions{})
	if err == nil {
		_, err = io.ReadAll(obj)
	}
	if err == nil {
		t.Errorf("SSE-C object read without its key")
	}
	if err := s.PutBlob(context.Background(), "thumbnails/x.jpg", []byte("thumb"), "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	if b, err := s.GetBlob(context.Background(), "thumbnails/x.jpg"); err != nil || string(b) != "thumb" {
		t.Errorf("GetBlob = %q, %v", b, err)
	}
}

func TestRetention(t *testing.T) {
	s, m := MustOpen(t, minio.Config{Retention: "GOVERNANCE", RetentionDays: 1})
	c := m.Client(t)
	ctx := context.Background()
	direct := "locked evidence, SHA-256 given"
	dinfo, err := s.Put(ctx, strings.NewReader(direct), int64(len(direct)), sha256.Sum256([]byte(direct)))
	if err != nil {
		t.Fatal(err)
	}
	if mode, _, err := c.GetObjectRetention(ctx, m.Bucket, s.Key(dinfo.SHA256), ""); err != nil || mode == nil || *mode != mgo.Governance {
		t.Errorf("retention of directly stored evidence = %v, %v", mode, err)
	}
	doi, _ := c.StatObject(ctx, m.Bucket, s.Key(dinfo.SHA256), mgo.StatObjectOptions{})
	c.RemoveObject(ctx, m.Bucket, s.Key(dinfo.SHA256), mgo.RemoveObjectOptions{VersionID: doi.VersionID, GovernanceBypass: true})
	info, err := s.Put(context.Background(), strings.NewReader("locked evidence"), -1, triage.SHA256{})
	if err != nil {
		t.Fatal(err)
	}
	mode, until, err := c.GetObjectRetention(ctx, m.Bucket, s.Key(info.SHA256), "")
	if err != nil || mode == nil || *mode != mgo.Governance || until == nil {
		t.Fatalf("retention = %v, %v, %v; want GOVERNANCE", mode, until, err)
	}
	oi, err := c.StatObject(ctx, m.Bucket, s.Key(info.SHA256), mgo.StatObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	err = c.RemoveObject(ctx, m.Bucket, s.Key(info.SHA256), mgo.RemoveObjectOptions{VersionID: oi.VersionID})
	if err == nil {
		t.Errorf("a retained evidence object version was deleted")
	}
	// Clean up for the bucket removal.
	c.RemoveObject(ctx, m.Bucket, s.Key(info.SHA256), mgo.RemoveObjectOptions{VersionID: oi.VersionID, GovernanceBypass: true})

	// Retention on a bucket without object lock is refused at open.
	m2 := servicetest.MustMinIO(t)
	_, err = minio.Open(ctx, minio.Config{Endpoint: m2.Endpoint, AccessKey: m2.AccessKey, SecretKey: m2.SecretKey, Bucket: m2.Bucket, CreateBucket: true})
	if err != nil {
		t.Fatal(err)
	}
	m2.RemoveBucketAtCleanup(t)
	_, err = minio.Open(ctx, minio.Config{Endpoint: m2.Endpoint, AccessKey: m2.AccessKey, SecretKey: m2.SecretKey, Bucket: m2.Bucket, Retention: "COMPLIANCE", RetentionDays: 1})
	if triage.ErrorCode(err) != triage.EINVALID {
		t.Errorf("retention without object lock: %v, want EINVALID", err)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  minio.Config
	}{
		{"no endpoint", minio.Config{Bucket: "b"}},
		{"no bucket", minio.Config{Endpoint: "x:1"}},
		{"small parts", minio.Config{Endpoint: "x:1", Bucket: "b", PartSize: 1 << 20}},
		{"bad sse", minio.Config{Endpoint: "x:1", Bucket: "b", SSE: "kms"}},
		{"short ssec key", minio.Config{Endpoint: "x:1", Bucket: "b", SSE: "c", SSECKey: []byte("short")}},
		{"bad retention", minio.Config{Endpoint: "x:1", Bucket: "b", Retention: "FOREVER"}},
		{"retention no days", minio.Config{Endpoint: "x:1", Bucket: "b", Retention: "GOVERNANCE"}},
	} {
		if err := tc.cfg.Validate(); triage.ErrorCode(err) != triage.EINVALID {
			t.Errorf("%s: Validate = %v, want EINVALID", tc.name, err)
		}
	}
}

func TestUnavailable(t *testing.T) {
	p, m := servicetest.StartMinIO(t, false)
	s, err := minio.Open(context.Background(), minio.Config{Endpoint: m.Endpoint, AccessKey: m.AccessKey, SecretKey: m.SecretKey, Bucket: m.Bucket, CreateBucket: true})
	if err != nil {
		t.Fatal(err)
	}
	p.Kill()
	_, err = s.Put(context.Background(), strings.NewReader("x"), 1, triage.SHA256{})
	if triage.ErrorCode(err) != triage.EUNAVAILABLE {
		t.Errorf("Put with MinIO down: %v (code %q), want EUNAVAILABLE", err, triage.ErrorCode(err))
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(context.Background(), strings.NewReader("x"), 1, triage.SHA256{}); err != nil {
		t.Errorf("Put after restart: %v", err)
	}
}

// BenchmarkPut stores distinct 3 MB objects (a camera photo's size) on the
// real MinIO, with and without the SHA-256 given; compare with a bare
// PutObject of the same bytes.
func BenchmarkPut(b *testing.B) {
	s, m := MustOpen(b, minio.Config{})
	c := m.Client(b)
	data := storetest.RandomBytes(3<<20, 1)
	ctx := context.Background()
	n := 0
	next := func() []byte {
		n++
		d := bytes.Clone(data)
		d[0], d[1], d[2] = byte(n), byte(n>>8), byte(n>>16)
		return d
	}
	b.Run("PutObject", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			d := next()
			if _, err := c.PutObject(ctx, m.Bucket, fmt.Sprintf("plain/%d", n), bytes.NewReader(d), int64(len(d)), mgo.PutObjectOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Store.Put/sha256-given", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			d := next()
			if _, err := s.Put(ctx, bytes.NewReader(d), int64(len(d)), sha256.Sum256(d)); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Store.Put/unknown", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		for b.Loop() {
			d := next()
			if _, err := s.Put(ctx, bytes.NewReader(d), -1, triage.SHA256{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
