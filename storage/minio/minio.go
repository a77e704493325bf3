// Package minio keeps evidence objects in MinIO (or any S3 store) through
// minio-go. Evidence is stored once under its SHA-256, whichever case it
// came from; it is streamed with a fixed part size (never buffered whole,
// never written to local disk) while MD5, SHA-1 and SHA-256 are computed in
// the same pass; it is verified against its SHA-256 on every read.
// Server-side encryption (SSE-S3 or SSE-C) and object-lock retention are
// configurable. Thumbnails and pushed hash-set files live under their own
// prefixes in the same bucket.
package minio

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	mgo "github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/encrypt"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
)

// Default prefixes and part size.
const (
	EvidencePrefix   = "evidence/"
	ThumbnailPrefix  = "thumbnails/"
	HashSetPrefix    = "hashsets/"
	IncomingPrefix   = "incoming/"
	DefaultPartSize  = 8 << 20
	minPartSize      = 5 << 20
	metaMD5, metaSHA = "Winnow-Md5", "Winnow-Sha1"
)

// Config says where and how evidence is stored.
type Config struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	Secure    bool // HTTPS
	Region    string
	Bucket    string
	// CreateBucket creates the bucket if it is missing (with object lock
	// when Retention is set; object lock can only be chosen at creation).
	CreateBucket bool
	// PartSize is the multipart part size for uploads of unknown or large
	// size (0: 8 MiB; at least 5 MiB). Each upload in flight holds one part
	// in memory.
	PartSize uint64
	// SSE is the server-side encryption: "" (none), "s3" (SSE-S3; MinIO
	// needs a KMS, e.g. MINIO_KMS_SECRET_KEY) or "c" (SSE-C with SSECKey).
	SSE     string
	SSECKey []byte // 32 bytes, for SSE "c"
	// Retention, if set, puts object-lock retention on every evidence
	// object: "GOVERNANCE" or "COMPLIANCE", for RetentionDays days. The
	// bucket must have object lock enabled.
	Retention     string
	RetentionDays int
	// MaxRetries bounds minio-go's retries of a failed request (0: 3), so
	// that a store that is down gives a prompt, retryable error.
	MaxRetries int
	// Transport overrides the HTTP transport (tests).
	Transport http.RoundTripper
}

// Validate reports a configuration that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.Endpoint == "":
		return triage.Errorf(triage.EINVALID, "minio: no endpoint (host:port)")
	case c.Bucket == "":
		return triage.Errorf(triage.EINVALID, "minio: no bucket")
	case c.PartSize != 0 && c.PartSize < minPartSize:
		return triage.Errorf(triage.EINVALID, "minio: part size %d is under the 5 MiB S3 minimum", c.PartSize)
	}
	switch c.SSE {
	case "", "s3":
	case "c":
		if len(c.SSECKey) != 32 {
			return triage.Errorf(triage.EINVALID, "minio: SSE-C needs a 32-byte key, got %d bytes", len(c.SSECKey))
		}
	default:
		return triage.Errorf(triage.EINVALID, "minio: SSE %q is not \"\", \"s3\" or \"c\"", c.SSE)
	}
	switch c.Retention {
	case "":
	case "GOVERNANCE", "COMPLIANCE":
		if c.RetentionDays <= 0 {
			return triage.Errorf(triage.EINVALID, "minio: retention %s needs a number of days > 0", c.Retention)
		}
	default:
		return triage.Errorf(triage.EINVALID, "minio: retention %q is not GOVERNANCE or COMPLIANCE", c.Retention)
	}
	return nil
}

// Store is the MinIO evidence store. It implements triage.EvidenceStore and
// triage.BlobStore.
type Store struct {
	c      *mgo.Client
	cfg    Config
	sse    encrypt.ServerSide
	prefix string
}

var (
	_ triage.EvidenceStore   = (*Store)(nil)
	_ triage.BlobStore       = (*Store)(nil)
	_ triage.EvidenceSweeper = (*Store)(nil)
)

// Open connects and checks (or creates) the bucket.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.PartSize == 0 {
		cfg.PartSize = DefaultPartSize
	}
	tr := cfg.Transport
	if tr == nil {
		// Server-side copies of large objects answer only when done: no
		// response-header timeout shorter than the request's own context.
		t, err := mgo.DefaultTransport(cfg.Secure)
		if err != nil {
			return nil, triage.Errorf(triage.EINVALID, "minio: %v", err)
		}
		t.ResponseHeaderTimeout = 0
		tr = t
	}
	c, err := mgo.New(cfg.Endpoint, &mgo.Options{
		Creds:      credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:     cfg.Secure,
		Region:     cfg.Region,
		Transport:  tr,
		MaxRetries: cmp.Or(cfg.MaxRetries, 3),
	})
	if err != nil {
		return nil, triage.Errorf(triage.EINVALID, "minio: %v", err)
	}
	s := &Store{c: c, cfg: cfg, prefix: EvidencePrefix}
	switch cfg.SSE {
	case "s3":
		s.sse = encrypt.NewSSE()
	case "c":
		if s.sse, err = encrypt.NewSSEC(cfg.SSECKey); err != nil {
			return nil, triage.Errorf(triage.EINVALID, "minio: %v", err)
		}
	}
	ok, err := c.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("minio: bucket %s: %w", cfg.Bucket, formatError(err))
	}
	if !ok {
		if !cfg.CreateBucket {
			return nil, triage.Errorf(triage.EINVALID, "minio: bucket %q does not exist: create it, or set WINNOW_MINIO_CREATE_BUCKET=true", cfg.Bucket)
		}
		err := c.MakeBucket(ctx, cfg.Bucket, mgo.MakeBucketOptions{Region: cfg.Region, ObjectLocking: cfg.Retention != ""})
		if err != nil && !strings.Contains(err.Error(), "already own it") {
			return nil, fmt.Errorf("minio: create bucket %s: %w", cfg.Bucket, formatError(err))
		}
	}
	if cfg.Retention != "" {
		if _, _, _, _, err := c.GetObjectLockConfig(ctx, cfg.Bucket); err != nil {
			return nil, triage.Errorf(triage.EINVALID, "minio: retention is configured but bucket %q has no object lock (%v): object lock can only be enabled when a bucket is created", cfg.Bucket, err)
		}
	}
	return s, nil
}

// WithPrefix returns a store over the same bucket that keeps its objects
// under prefix (HashSetPrefix for pushed hash-set files).
func (s *Store) WithPrefix(prefix string) *Store {
	t := *s
	t.prefix = prefix
	return &t
}

// Client returns the minio-go client (for tests and health checks).
func (s *Store) Client() *mgo.Client { return s.c }

// Ping checks that the bucket can be reached (for /readyz).
func (s *Store) Ping(ctx context.Context) error {
	if _, err := s.c.BucketExists(ctx, s.cfg.Bucket); err != nil {
		return formatError(err)
	}
	return nil
}

// Key returns the object key of the evidence with SHA-256 sum.
func (s *Store) Key(sum triage.SHA256) string { return s.prefix + sum.String() }

func (s *Store) getOpts() mgo.GetObjectOptions {
	var o mgo.GetObjectOptions
	if s.cfg.SSE == "c" {
		o.ServerSideEncryption = s.sse
	}
	return o
}

func (s *Store) statOpts() mgo.StatObjectOptions {
	return mgo.StatObjectOptions(s.getOpts())
}

// Put implements triage.EvidencePutter.
//
// When the caller knows the SHA-256 (want), the content streams straight
// to its final key and is checked at the end: a mismatch deletes what was
// written and fails, and retention is set only on verified content. If
// the key exists, r is not read at all (Skipped).
//
// Otherwise the upload goes to a temporary key under incoming/, is copied
// on the server to its final key if that key is absent, and the temporary
// object is deleted. This costs a second write of the data, which is why
// clients that can hash first (winnow submit) say what they send.
//
// Either way, a Put that fails leaves no evidence object.
func (s *Store) Put(ctx context.Context, r io.Reader, size int64, want triage.SHA256) (triage.EvidenceInfo, error) {
	if !want.IsZero() {
		return s.putKnown(ctx, r, size, want)
	}
	var info triage.EvidenceInfo
	tmp := IncomingPrefix + randomID()
	dr := &digestReader{r: r, d: hashing.NewStreamDigests()}
	up, err := s.c.PutObject(ctx, s.cfg.Bucket, tmp, dr, s.putSize(size), s.putOpts(nil))
	if dr.err != nil {
		s.remove(tmp, up.VersionID)
		return info, dr.err
	}
	if err != nil {
		s.remove(tmp, up.VersionID)
		return info, fmt.Errorf("store evidence: %w", formatError(err))
	}
	defer s.remove(tmp, up.VersionID)
	info.Size, info.Digests = dr.n, dr.d.Sum()
	if size >= 0 && dr.n != size {
		return info, triage.Errorf(triage.EINVALID, "upload ended after %d of %d bytes", dr.n, size)
	}
	key := s.Key(info.SHA256)
	if exists, err := s.exists(ctx, key); err != nil || exists {
		return info, err
	}
	src := mgo.CopySrcOptions{Bucket: s.cfg.Bucket, Object: tmp, VersionID: up.VersionID}
	dst := mgo.CopyDestOptions{
		Bucket: s.cfg.Bucket, Object: key, Encryption: s.sse,
		UserMetadata:    map[string]string{metaMD5: info.MD5.String(), metaSHA: info.SHA1.String()},
		ReplaceMetadata: true,
	}
	if s.cfg.SSE == "c" {
		src.Encryption = encrypt.SSECopy(s.sse)
	}
	if s.cfg.Retention != "" {
		dst.Mode = mgo.RetentionMode(s.cfg.Retention)
		dst.RetainUntilDate = s.retainUntil()
	}
	if _, err := s.c.ComposeObject(ctx, dst, src); err != nil {
		return info, fmt.Errorf("store evidence: %w", formatError(err))
	}
	info.Created = true
	return info, nil
}

// putKnown stores content whose SHA-256 the caller gave.
func (s *Store) putKnown(ctx context.Context, r io.Reader, size int64, want triage.SHA256) (triage.EvidenceInfo, error) {
	var info triage.EvidenceInfo
	key := s.Key(want)
	dr := &digestReader{r: r, d: hashing.NewStreamDigests()}
	check := func() error {
		info.Size, info.Digests = dr.n, dr.d.Sum()
		if size >= 0 && dr.n != size {
			return triage.Errorf(triage.EINVALID, "upload ended after %d of %d bytes", dr.n, size)
		}
		if info.SHA256 != want {
			return triage.Errorf(triage.EINVALID, "the content's SHA-256 is %s, not %s as the request says", info.SHA256, want)
		}
		return nil
	}
	if oi, err := s.c.StatObject(ctx, s.cfg.Bucket, key, s.statOpts()); err == nil {
		info = infoOf(want, oi)
		info.Skipped = true
		return info, nil
	} else if err = formatError(err); triage.ErrorCode(err) != triage.ENOTFOUND {
		return info, fmt.Errorf("store evidence: %w", err)
	}
	up, err := s.c.PutObject(ctx, s.cfg.Bucket, key, dr, s.putSize(size), s.putOpts(nil))
	if dr.err != nil || err != nil {
		s.remove(key, up.VersionID)
		if dr.err != nil {
			return info, dr.err
		}
		return info, fmt.Errorf("store evidence: %w", formatError(err))
	}
	if err := check(); err != nil {
		s.remove(key, up.VersionID)
		return info, err
	}
	if s.cfg.Retention != "" {
		mode := mgo.RetentionMode(s.cfg.Retention)
		until := s.retainUntil()
		if err := s.c.PutObjectRetention(ctx, s.cfg.Bucket, key, mgo.PutObjectRetentionOptions{
			Mode: &mode, RetainUntilDate: &until, VersionID: up.VersionID}); err != nil {
			return info, fmt.Errorf("store evidence: retention: %w", formatError(err))
		}
	}
	info.Created = true
	return info, nil
}

func (s *Store) retainUntil() time.Time {
	return time.Now().Add(time.Duration(s.cfg.RetentionDays) * 24 * time.Hour).UTC()
}

// putSize is the size given to PutObject: known sizes up to one part go in
// one streamed PUT (no part buffer); anything else as multipart with the
// configured part size, one part in memory at a time.
func (s *Store) putSize(size int64) int64 {
	if size >= 0 && size <= int64(s.cfg.PartSize) {
		return size
	}
	return -1
}

func (s *Store) putOpts(meta map[string]string) mgo.PutObjectOptions {
	return mgo.PutObjectOptions{
		ContentType:          "application/octet-stream",
		PartSize:             s.cfg.PartSize,
		NumThreads:           1,
		ServerSideEncryption: s.sse,
		DisableContentSha256: true,
		UserMetadata:         meta,
	}
}

// exists reports whether key is stored.
func (s *Store) exists(ctx context.Context, key string) (bool, error) {
	_, err := s.c.StatObject(ctx, s.cfg.Bucket, key, s.statOpts())
	if err == nil {
		return true, nil
	}
	if err = formatError(err); triage.ErrorCode(err) == triage.ENOTFOUND {
		return false, nil
	}
	return false, fmt.Errorf("store evidence: %w", err)
}

// remove deletes a temporary object, whatever the request's context.
func (s *Store) remove(key, version string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.c.RemoveObject(ctx, s.cfg.Bucket, key, mgo.RemoveObjectOptions{VersionID: version})
}

// Stat implements triage.EvidenceStatter.
func (s *Store) Stat(ctx context.Context, sum triage.SHA256) (triage.EvidenceInfo, error) {
	oi, err := s.c.StatObject(ctx, s.cfg.Bucket, s.Key(sum), s.statOpts())
	if err != nil {
		err = formatError(err)
		if triage.ErrorCode(err) == triage.ENOTFOUND {
			return triage.EvidenceInfo{}, triage.Errorf(triage.ENOTFOUND, "no evidence with SHA-256 %s", sum)
		}
		return triage.EvidenceInfo{}, fmt.Errorf("stat evidence: %w", err)
	}
	return infoOf(sum, oi), nil
}

func infoOf(sum triage.SHA256, oi mgo.ObjectInfo) triage.EvidenceInfo {
	info := triage.EvidenceInfo{Size: oi.Size}
	info.SHA256 = sum
	info.MD5, _ = triage.ParseMD5(oi.UserMetadata[metaMD5])
	info.SHA1, _ = triage.ParseSHA1(oi.UserMetadata[metaSHA])
	return info
}

// Get implements triage.EvidenceFetcher.
func (s *Store) Get(ctx context.Context, sum triage.SHA256) (io.ReadCloser, triage.EvidenceInfo, error) {
	obj, oi, err := s.open(ctx, sum)
	if err != nil {
		return nil, triage.EvidenceInfo{}, err
	}
	return &verifyReader{obj: obj, h: sha256.New(), want: sum, size: oi.Size}, infoOf(sum, oi), nil
}

// OpenAt implements triage.EvidenceOpener: random access to an object (an
// archive's directory is at its end), read from the store as needed,
// never buffered whole. Unlike Get it does not verify the content, which
// the caller has already hashed through Get.
func (s *Store) OpenAt(ctx context.Context, sum triage.SHA256) (triage.ReadAtCloser, int64, error) {
	obj, oi, err := s.open(ctx, sum)
	if err != nil {
		return nil, 0, err
	}
	return obj, oi.Size, nil
}

// open opens the object stored under sum; ENOTFOUND if there is none.
func (s *Store) open(ctx context.Context, sum triage.SHA256) (*mgo.Object, mgo.ObjectInfo, error) {
	obj, err := s.c.GetObject(ctx, s.cfg.Bucket, s.Key(sum), s.getOpts())
	if err != nil {
		return nil, mgo.ObjectInfo{}, fmt.Errorf("get evidence: %w", formatError(err))
	}
	oi, err := obj.Stat()
	if err != nil {
		obj.Close()
		if err = formatError(err); triage.ErrorCode(err) == triage.ENOTFOUND {
			return nil, mgo.ObjectInfo{}, triage.Errorf(triage.ENOTFOUND, "no evidence with SHA-256 %s", sum)
		}
		return nil, mgo.ObjectInfo{}, fmt.Errorf("get evidence: %w", err)
	}
	return obj, oi, nil
}

// verifyReader hashes an object as it is read and fails the final read if
// the bytes are not what the key promises.
type verifyReader struct {
	obj  *mgo.Object
	h    hash.Hash
	want triage.SHA256
	size int64
	n    int64
	err  error
}

func (v *verifyReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.obj.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	if err == io.EOF {
		var got triage.SHA256
		v.h.Sum(got[:0])
		if got != v.want || v.n != v.size {
			v.err = fmt.Errorf("evidence %s: %w", v.want, triage.ErrCorruptEvidence)
			return n, v.err
		}
		v.err = io.EOF
	} else if err != nil {
		v.err = fmt.Errorf("read evidence: %w", formatError(err))
	}
	return n, v.err
}

func (v *verifyReader) Close() error { return v.obj.Close() }

// PutBlob implements triage.BlobStore.
func (s *Store) PutBlob(ctx context.Context, key string, b []byte, contentType string) error {
	_, err := s.c.PutObject(ctx, s.cfg.Bucket, key, bytes.NewReader(b), int64(len(b)), mgo.PutObjectOptions{
		ContentType: contentType, ServerSideEncryption: s.sse, DisableContentSha256: true})
	if err != nil {
		return fmt.Errorf("put %s: %w", key, formatError(err))
	}
	return nil
}

// GetBlob implements triage.BlobStore.
func (s *Store) GetBlob(ctx context.Context, key string) ([]byte, error) {
	obj, err := s.c.GetObject(ctx, s.cfg.Bucket, key, s.getOpts())
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", key, formatError(err))
	}
	defer obj.Close()
	b, err := io.ReadAll(io.LimitReader(obj, 64<<20))
	if err != nil {
		err = formatError(err)
		if triage.ErrorCode(err) == triage.ENOTFOUND {
			return nil, triage.Errorf(triage.ENOTFOUND, "no object %s", key)
		}
		return nil, fmt.Errorf("get %s: %w", key, err)
	}
	return b, nil
}

// digestReader computes the digests of everything read through it and
// keeps the source's own error apart from the store's.
type digestReader struct {
	r   io.Reader
	d   *hashing.StreamDigests
	n   int64
	err error
}

func (d *digestReader) Read(p []byte) (int, error) {
	// Gather up to 1 MiB before digesting: HTTP bodies come in small
	// reads, and large writes let the three digests run in parallel.
	want := min(len(p), 1<<20)
	n := 0
	var err error
	for n < want && err == nil {
		var k int
		k, err = d.r.Read(p[n:want])
		n += k
	}
	if n > 0 {
		d.d.Write(p[:n])
		d.n += int64(n)
	}
	if err != nil && err != io.EOF {
		d.err = sourceError(err)
		return n, d.err
	}
	return n, err
}

// sourceError classifies an error of the upload's own stream.
func sourceError(err error) error {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return triage.Errorf(triage.ETOOLARGE, "upload is larger than the server's limit of %d bytes", mbe.Limit)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	var te *triage.Error
	if errors.As(err, &te) {
		return err
	}
	return triage.Errorf(triage.EINVALID, "upload interrupted: %v", err)
}

func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// formatError translates minio-go errors: a missing key is ENOTFOUND, a
// server that cannot be reached or answers 5xx is EUNAVAILABLE.
func formatError(err error) error {
	if err == nil {
		return nil
	}
	var te *triage.Error
	if errors.As(err, &te) {
		return err
	}
	resp := mgo.ToErrorResponse(err)
	switch {
	case resp.Code == "NoSuchKey" || resp.Code == "NoSuchVersion":
		return triage.Errorf(triage.ENOTFOUND, "no such object")
	case resp.StatusCode >= 500 || resp.Code == "XMinioServerNotInitialized" || resp.Code == "SlowDown":
		return &unavailable{err}
	}
	var ne net.Error
	var oe *net.OpError
	if errors.As(err, &oe) || errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) ||
		strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "connection reset") {
		return &unavailable{err}
	}
	return err
}

// unavailable is EUNAVAILABLE with the client error kept for the logs.
type unavailable struct{ err error }

func (u *unavailable) Error() string { return "the evidence store is unavailable: " + u.err.Error() }
func (u *unavailable) Unwrap() []error {
	return []error{u.err, triage.Errorf(triage.EUNAVAILABLE, "the evidence store is unavailable; retry later")}
}

// ThumbnailKey returns the key of an item's thumbnail.
func ThumbnailKey(sum triage.SHA256) string { return ThumbnailPrefix + sum.String() + ".jpg" }

// ParseRetentionDays parses a day count for configuration.
func ParseRetentionDays(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, triage.Errorf(triage.EINVALID, "retention days %q is not a whole number >= 0", s)
	}
	return n, nil
}

// Stored implements triage.EvidenceSweeper.
func (s *Store) Stored(ctx context.Context, before time.Time, fn func(triage.SHA256) error) error {
	for oi := range s.c.ListObjects(ctx, s.cfg.Bucket, mgo.ListObjectsOptions{Prefix: s.prefix}) {
		if oi.Err != nil {
			return fmt.Errorf("list evidence: %w", formatError(oi.Err))
		}
		sum, err := triage.ParseSHA256(strings.TrimPrefix(oi.Key, s.prefix))
		if err != nil || !oi.LastModified.Before(before) {
			continue // not evidence (a folder, a stray key), or too young
		}
		if err := fn(sum); err != nil {
			return err
		}
	}
	return nil
}

// Remove implements triage.EvidenceSweeper.
func (s *Store) Remove(ctx context.Context, sum triage.SHA256) error {
	if err := s.c.RemoveObject(ctx, s.cfg.Bucket, s.Key(sum), mgo.RemoveObjectOptions{}); err != nil {
		err = formatError(err)
		if triage.ErrorCode(err) == triage.ENOTFOUND {
			return nil
		}
		return fmt.Errorf("remove evidence %s: %w", sum, err)
	}
	return nil
}

// RemoveIncoming implements triage.EvidenceSweeper.
func (s *Store) RemoveIncoming(ctx context.Context, before time.Time) (int, error) {
	n := 0
	for oi := range s.c.ListObjects(ctx, s.cfg.Bucket, mgo.ListObjectsOptions{Prefix: IncomingPrefix, WithVersions: true}) {
		if oi.Err != nil {
			return n, fmt.Errorf("list incoming uploads: %w", formatError(oi.Err))
		}
		if !oi.LastModified.Before(before) || oi.IsDeleteMarker {
			continue
		}
		if err := formatError(s.c.RemoveObject(ctx, s.cfg.Bucket, oi.Key, mgo.RemoveObjectOptions{VersionID: oi.VersionID})); err != nil {
			if triage.ErrorCode(err) == triage.EUNAVAILABLE {
				return n, fmt.Errorf("remove incoming upload: %w", err)
			}
			continue // a version under retention stays until it ends
		}
		n++
	}
	return n, nil
}
