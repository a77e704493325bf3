package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/winnow-forensics/winnow/api"
	"github.com/winnow-forensics/winnow/storage/minio"
	"github.com/winnow-forensics/winnow/storage/postgres"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/container"
	"github.com/winnow-forensics/winnow/triage/matching"
	"github.com/winnow-forensics/winnow/workers"
)

// LabConfig is the configuration winnow serve, winnow worker and winnow
// admin share, read from WINNOW_* environment variables (see
// labEnvHelp). Defaults suit scripts/dev.sh on loopback.
type LabConfig struct {
	PostgresURL    string
	PostgresSchema string
	Redis          workers.RedisConfig
	MinIO          minio.Config
	LogLevel       slog.Level
	LogJSON        bool
}

// ServeConfig is winnow serve's configuration.
type ServeConfig struct {
	LabConfig
	Listen         string
	MaxUploadBytes int64
	ShutdownWait   time.Duration
	// TrustedProxies may name the client in X-Forwarded-For.
	TrustedProxies []string
	// AuditKey is the file of the Ed25519 key that signs audit
	// checkpoints ("": no checkpoints), every CheckpointEvery.
	AuditKey        string
	CheckpointEvery time.Duration
	// Review configures the review queue and the web UI (reviewconfig.go).
	Review api.ReviewConfig
}

// WorkerConfig is winnow worker's configuration.
type WorkerConfig struct {
	LabConfig
	Concurrency    int
	MetricsListen  string
	Lease          time.Duration
	SyncEvery      time.Duration
	ReconcileEvery time.Duration
	Grace          time.Duration
	// OrphanGrace: stored contents no item refers to are removed once
	// this old, looked for every SweepEvery (workers.Config).
	OrphanGrace time.Duration
	SweepEvery  time.Duration
	Exiftool    string
	// Archive bounds the expansion of uploaded archives.
	Archive container.Limits
	// Carve is WINNOW_CARVE, as winnow scan --carve: "", "unallocated"
	// or "all".
	Carve carveMode
	// Rules decide verdicts, as winnow scan --rules does (WINNOW_RULES:
	// a rules file; empty: the built-in rules).
	Rules matching.Rules
}

const labEnvHelp = `
Configuration (environment variables; defaults in brackets):

  WINNOW_PG_URL              PostgreSQL URL [postgres://postgres@127.0.0.1:5432/winnow?sslmode=disable]
  WINNOW_PG_SCHEMA           schema to work in [public]
  WINNOW_REDIS_ADDR          Redis host:port for the task queue [127.0.0.1:6379]
  WINNOW_REDIS_DB            Redis database number [0]
  WINNOW_REDIS_PASSWORD      Redis password []
  WINNOW_MINIO_ENDPOINT      MinIO host:port [127.0.0.1:9000]
  WINNOW_MINIO_ACCESS_KEY    MinIO access key (required)
  WINNOW_MINIO_SECRET_KEY    MinIO secret key (required)
  WINNOW_MINIO_BUCKET        bucket for evidence, thumbnails and hash sets [winnow]
  WINNOW_MINIO_SECURE        true for HTTPS [false]
  WINNOW_MINIO_CREATE_BUCKET create the bucket if missing [true]
  WINNOW_MINIO_PART_SIZE_MIB upload part size, >= 5 [8]
  WINNOW_MINIO_SSE           server-side encryption: none, s3 (MinIO needs a KMS) or c [none]
  WINNOW_MINIO_SSEC_KEY      SSE-C key, 32 bytes in base64 (with WINNOW_MINIO_SSE=c)
  WINNOW_MINIO_RETENTION     object lock on evidence: GOVERNANCE or COMPLIANCE []
  WINNOW_MINIO_RETENTION_DAYS days of retention [0]
  WINNOW_LOG_LEVEL           debug, info, warn or error [info]
  WINNOW_LOG_FORMAT          text or json [text]
`

const serveEnvHelp = `  WINNOW_LISTEN              address of the API [127.0.0.1:8080]
  WINNOW_MAX_UPLOAD_MIB      largest file accepted [65536]
  WINNOW_TRUSTED_PROXIES     addresses or CIDR ranges of reverse proxies whose X-Forwarded-For
                             names the client [] (none: the peer address is the client's)
  WINNOW_AUDIT_KEY           file of the Ed25519 key that signs audit checkpoints, created (0600) if
                             missing [] (no checkpoints: truncation of the log's tail goes unnoticed)
  WINNOW_AUDIT_CHECKPOINT_EVERY how often the audit chains' heads are signed [1m]
` + reviewEnvHelp

const workerEnvHelp = `  WINNOW_WORKER_CONCURRENCY  tasks at once [twice the number of cores: tasks wait on I/O]
  WINNOW_WORKER_METRICS      address for the worker's /metrics and /healthz [] (off)
  WINNOW_WORKER_LEASE        how long an item stays claimed without its worker renewing the claim
                             (every third of it, while the worker works on the item) [45s]
  WINNOW_SET_SYNC_EVERY      how often hash-set changes are picked up [2s]
  WINNOW_RECONCILE_EVERY     how often stuck items are re-enqueued [15s]
  WINNOW_RECONCILE_GRACE     age of a received item that counts as stuck [30s]
  WINNOW_ORPHAN_GRACE        age of a stored content no item refers to (an upload whose item
                             was never recorded) before the orphan collection removes it [24h]
  WINNOW_ORPHAN_SWEEP_EVERY  how often the orphan collection runs [1h]
  WINNOW_EXIFTOOL            exiftool binary [exiftool]
  WINNOW_ARCHIVE_MAX_DEPTH   how deep nested archives are expanded [6]
  WINNOW_ARCHIVE_MAX_MEMBERS members of one archive [250000]
  WINNOW_ARCHIVE_MAX_GIB     bytes expanded from one archive, all members together [1024]
  WINNOW_ARCHIVE_MAX_RATIO   expanded over compressed bytes, above which expansion stops [1000]
  WINNOW_RULES               matching rules file, as for winnow scan --rules [] (built-in rules)
  WINNOW_CARVE               carve disk images as winnow scan --carve does: unallocated or all [] (off)
`

// envReader reads typed values and collects every problem, so one run
// reports all of them.
type envReader struct {
	get  func(string) string
	errs []string
}

func (r *envReader) str(name, def string) string {
	if v := strings.TrimSpace(r.get(name)); v != "" {
		return v
	}
	return def
}

func (r *envReader) int(name string, def, lo, hi int) int {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.errs = append(r.errs, fmt.Sprintf("%s=%q: want a whole number from %d to %d", name, v, lo, hi))
		return def
	}
	return n
}

// addrs reads a list of trusted proxies (api.ParseTrustedProxies).
func (r *envReader) addrs(name string) []string {
	out, err := api.ParseTrustedProxies(r.str(name, ""))
	if err != nil {
		r.errs = append(r.errs, fmt.Sprintf("%s: %v", name, triage.ErrorMessage(err)))
	}
	return out
}

func (r *envReader) bool(name string, def bool) bool {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		r.errs = append(r.errs, fmt.Sprintf("%s=%q: want true or false", name, v))
		return def
	}
	return b
}

func (r *envReader) duration(name string, def time.Duration) time.Duration {
	v := r.str(name, "")
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 || d > 24*time.Hour {
		r.errs = append(r.errs, fmt.Sprintf("%s=%q: want a duration such as 30s or 5m, at most 24h", name, v))
		return def
	}
	return d
}

func (r *envReader) err() error {
	if len(r.errs) == 0 {
		return nil
	}
	return fmt.Errorf("configuration:\n  %s", strings.Join(r.errs, "\n  "))
}

// readLabConfig reads and validates the shared configuration.
func readLabConfig(r *envReader) LabConfig {
	c := LabConfig{
		PostgresURL:    r.str("WINNOW_PG_URL", "postgres://postgres@127.0.0.1:5432/winnow?sslmode=disable"),
		PostgresSchema: r.str("WINNOW_PG_SCHEMA", ""),
		Redis: workers.RedisConfig{
			Addr:     r.str("WINNOW_REDIS_ADDR", "127.0.0.1:6379"),
			DB:       r.int("WINNOW_REDIS_DB", 0, 0, 15),
			Password: r.str("WINNOW_REDIS_PASSWORD", ""),
		},
		MinIO: minio.Config{
			Endpoint:      r.str("WINNOW_MINIO_ENDPOINT", "127.0.0.1:9000"),
			AccessKey:     r.str("WINNOW_MINIO_ACCESS_KEY", ""),
			SecretKey:     r.str("WINNOW_MINIO_SECRET_KEY", ""),
			Bucket:        r.str("WINNOW_MINIO_BUCKET", "winnow"),
			Secure:        r.bool("WINNOW_MINIO_SECURE", false),
			CreateBucket:  r.bool("WINNOW_MINIO_CREATE_BUCKET", true),
			PartSize:      uint64(r.int("WINNOW_MINIO_PART_SIZE_MIB", 8, 5, 5120)) << 20,
			Retention:     strings.ToUpper(r.str("WINNOW_MINIO_RETENTION", "")),
			RetentionDays: r.int("WINNOW_MINIO_RETENTION_DAYS", 0, 0, 36500),
		},
	}
	if !strings.HasPrefix(c.PostgresURL, "postgres://") && !strings.HasPrefix(c.PostgresURL, "postgresql://") {
		r.errs = append(r.errs, fmt.Sprintf("WINNOW_PG_URL=%q: want postgres://user@host:port/database", c.PostgresURL))
	}
	if c.MinIO.AccessKey == "" || c.MinIO.SecretKey == "" {
		r.errs = append(r.errs, "WINNOW_MINIO_ACCESS_KEY and WINNOW_MINIO_SECRET_KEY are required")
	}
	switch sse := r.str("WINNOW_MINIO_SSE", "none"); sse {
	case "none":
	case "s3":
		c.MinIO.SSE = "s3"
	case "c":
		c.MinIO.SSE = "c"
		key, err := base64.StdEncoding.DecodeString(r.str("WINNOW_MINIO_SSEC_KEY", ""))
		if err != nil || len(key) != 32 {
			r.errs = append(r.errs, "WINNOW_MINIO_SSEC_KEY: want 32 bytes in base64 (head -c32 /dev/urandom | base64) with WINNOW_MINIO_SSE=c")
		}
		c.MinIO.SSECKey = key
	default:
		r.errs = append(r.errs, fmt.Sprintf("WINNOW_MINIO_SSE=%q: want none, s3 or c", sse))
	}
	if c.MinIO.AccessKey != "" {
		if err := c.MinIO.Validate(); err != nil {
			r.errs = append(r.errs, err.Error())
		}
	}
	switch lv := strings.ToLower(r.str("WINNOW_LOG_LEVEL", "info")); lv {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		r.errs = append(r.errs, fmt.Sprintf("WINNOW_LOG_LEVEL=%q: want debug, info, warn or error", lv))
	}
	switch f := r.str("WINNOW_LOG_FORMAT", "text"); f {
	case "text":
	case "json":
		c.LogJSON = true
	default:
		r.errs = append(r.errs, fmt.Sprintf("WINNOW_LOG_FORMAT=%q: want text or json", f))
	}
	return c
}

// ReadServeConfig reads winnow serve's configuration from getenv.
func ReadServeConfig(getenv func(string) string) (ServeConfig, error) {
	r := &envReader{get: getenv}
	c := ServeConfig{LabConfig: readLabConfig(r)}
	c.Listen = r.str("WINNOW_LISTEN", "127.0.0.1:8080")
	c.MaxUploadBytes = int64(r.int("WINNOW_MAX_UPLOAD_MIB", 65536, 1, 1<<24)) << 20
	c.ShutdownWait = 20 * time.Second
	c.TrustedProxies = r.addrs("WINNOW_TRUSTED_PROXIES")
	c.AuditKey = r.str("WINNOW_AUDIT_KEY", "")
	c.CheckpointEvery = r.duration("WINNOW_AUDIT_CHECKPOINT_EVERY", time.Minute)
	c.Review = readReviewConfig(r)
	return c, r.err()
}

// ReadWorkerConfig reads winnow worker's configuration from getenv.
func ReadWorkerConfig(getenv func(string) string, cores int) (WorkerConfig, error) {
	r := &envReader{get: getenv}
	c := WorkerConfig{LabConfig: readLabConfig(r)}
	c.Concurrency = r.int("WINNOW_WORKER_CONCURRENCY", workers.DefaultConcurrency(cores), 1, 1024)
	c.MetricsListen = r.str("WINNOW_WORKER_METRICS", "")
	c.Lease = r.duration("WINNOW_WORKER_LEASE", workers.DefaultLease)
	c.SyncEvery = r.duration("WINNOW_SET_SYNC_EVERY", workers.DefaultSyncEvery)
	c.ReconcileEvery = r.duration("WINNOW_RECONCILE_EVERY", workers.DefaultReconcileEvery)
	c.Grace = r.duration("WINNOW_RECONCILE_GRACE", workers.DefaultGrace)
	c.OrphanGrace = r.duration("WINNOW_ORPHAN_GRACE", workers.DefaultOrphanGrace)
	c.SweepEvery = r.duration("WINNOW_ORPHAN_SWEEP_EVERY", workers.DefaultSweepEvery)
	c.Exiftool = r.str("WINNOW_EXIFTOOL", "exiftool")
	c.Archive = container.Limits{
		MaxDepth:      r.int("WINNOW_ARCHIVE_MAX_DEPTH", container.DefaultLimits.MaxDepth, 1, 64),
		MaxEntries:    r.int("WINNOW_ARCHIVE_MAX_MEMBERS", container.DefaultLimits.MaxEntries, 1, 100_000_000),
		MaxTotalBytes: int64(r.int("WINNOW_ARCHIVE_MAX_GIB", int(container.DefaultLimits.MaxTotalBytes>>30), 1, 1<<20)) << 30,
		MaxRatio:      int64(r.int("WINNOW_ARCHIVE_MAX_RATIO", int(container.DefaultLimits.MaxRatio), 1, 1_000_000)),
	}
	if err := c.Carve.Set(r.str("WINNOW_CARVE", "")); err != nil {
		r.errs = append(r.errs, "WINNOW_CARVE: "+err.Error())
	}
	c.Rules = matching.DefaultRules()
	if path := r.str("WINNOW_RULES", ""); path != "" {
		rules, err := readRulesFile(path)
		if err != nil {
			r.errs = append(r.errs, "WINNOW_RULES: "+err.Error())
		} else {
			c.Rules = rules
		}
	}
	if c.SyncEvery > 10*time.Second {
		r.errs = append(r.errs, "WINNOW_SET_SYNC_EVERY: at most 10s, so that new hash-set entries match within 10 s")
	}
	return c, r.err()
}

// newLogger builds the one logger of a process.
func newLogger(w io.Writer, c LabConfig) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogJSON {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// openStores connects to PostgreSQL and MinIO, retrying for up to wait
// while they come up (compose starts everything at once).
func openStores(ctx context.Context, c LabConfig, log *slog.Logger, wait time.Duration) (*postgres.Store, *minio.Store, error) {
	deadline := time.Now().Add(wait)
	var pg *postgres.Store
	var err error
	for {
		pg, err = postgres.Open(ctx, postgres.Config{URL: c.PostgresURL, Schema: c.PostgresSchema})
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		log.WarnContext(ctx, "waiting for PostgreSQL", "err", err)
		time.Sleep(time.Second)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: %w", err)
	}
	var mc *minio.Store
	for {
		mc, err = minio.Open(ctx, c.MinIO)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		log.WarnContext(ctx, "waiting for MinIO", "err", err)
		time.Sleep(time.Second)
	}
	if err != nil {
		pg.Close()
		return nil, nil, fmt.Errorf("minio: %w", err)
	}
	return pg, mc, nil
}
