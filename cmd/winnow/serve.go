package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/winnow-forensics/winnow/api"
	"github.com/winnow-forensics/winnow/storage/minio"
	"github.com/winnow-forensics/winnow/storage/postgres"
	"github.com/winnow-forensics/winnow/triage/auditlog"
	"github.com/winnow-forensics/winnow/workers"
)

const serveDescription = `
Run the lab service's HTTP API (gin): uploads stream into MinIO under their
SHA-256, items are recorded in PostgreSQL and analysis tasks are queued in
Redis for winnow worker. Migrations are applied at start. Stops gracefully on
SIGINT or SIGTERM: no new requests, running ones finish (up to 20 s), then the
queue and database connections close.
` + labEnvHelp + serveEnvHelp

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "serve", "", serveDescription)
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	cfg, err := ReadServeConfig(e.getenv)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	m := &ServeMain{Config: cfg, Logger: newLogger(e.stderr, cfg.LabConfig)}
	if err := m.Open(ctx); err != nil {
		return err
	}
	defer m.Close()
	return m.Run(ctx)
}

// ServeMain is the running API server: Open connects, Run serves until ctx
// is done, Close releases everything. Tests run it on port 0.
type ServeMain struct {
	Config ServeConfig
	Logger *slog.Logger

	pg    *postgres.Store
	mc    *minio.Store
	queue *workers.Client
	ln    net.Listener
	srv   *http.Server
	// auditKey signs the audit log's checkpoints (nil: none).
	auditKey ed25519.PrivateKey
}

// Open connects to the services and starts listening.
func (m *ServeMain) Open(ctx context.Context) error {
	pg, mc, err := openStores(ctx, m.Config.LabConfig, m.Logger, 60*time.Second)
	if err != nil {
		return err
	}
	m.pg, m.mc = pg, mc
	if m.Config.AuditKey != "" {
		key, created, err := loadOrCreateAuditKey(m.Config.AuditKey)
		if err != nil {
			m.Close()
			return fmt.Errorf("WINNOW_AUDIT_KEY: %w", err)
		}
		m.auditKey = key
		if created {
			m.Logger.Warn("created the audit signing key: keep it safe, and publish its public key (winnow audit pubkey)",
				"file", m.Config.AuditKey, "key_id", auditlog.KeyID(key.Public().(ed25519.PublicKey)))
		}
	} else {
		m.Logger.Warn("WINNOW_AUDIT_KEY is not set: the audit log is chained but not signed, so a truncated tail goes unnoticed")
	}
	m.queue = workers.NewClient(m.Config.Redis)
	reg := prometheus.NewRegistry()
	h := api.New(api.Config{
		Logger: m.Logger, Cases: pg, Items: pg, Users: pg, Audit: pg, Sets: pg,
		Evidence: mc, SetFiles: mc.WithPrefix(minio.HashSetPrefix), Blobs: mc,
		Enqueuer: m.queue, States: pg, Queue: m.queue,
		Ready:          map[string]api.Pinger{"postgres": pg, "redis": m.queue, "minio": mc},
		MaxUploadBytes: m.Config.MaxUploadBytes, Registry: reg, TrustedProxies: m.Config.TrustedProxies,
		Review: m.Config.Review, Reviews: pg, Access: pg, Sessions: pg, Wellness: pg,
	})
	ln, err := net.Listen("tcp", m.Config.Listen)
	if err != nil {
		m.Close()
		return fmt.Errorf("listen on %s: %w", m.Config.Listen, err)
	}
	m.ln = ln
	m.srv = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(m.Logger.Handler(), slog.LevelWarn)}
	return nil
}

// Addr returns the address the server listens on.
func (m *ServeMain) Addr() string { return m.ln.Addr().String() }

// Run serves until ctx is done, then shuts down in order: stop accepting,
// let running requests finish (up to Config.ShutdownWait).
func (m *ServeMain) Run(ctx context.Context) error {
	m.Logger.InfoContext(ctx, "winnow serve listening", "addr", m.Addr())
	errc := make(chan error, 1)
	go func() { errc <- m.srv.Serve(m.ln) }()
	var tick <-chan time.Time
	if m.auditKey != nil {
		t := time.NewTicker(m.Config.CheckpointEvery)
		defer t.Stop()
		tick = t.C
	}
loop:
	for {
		select {
		case err := <-errc:
			return fmt.Errorf("serve: %w", err)
		case <-tick:
			m.checkpoint(ctx)
		case <-ctx.Done():
			break loop
		}
	}
	m.Logger.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownWait)
	defer cancel()
	if err := m.srv.Shutdown(sctx); err != nil {
		m.Logger.Warn("requests still running at shutdown were cut", "err", err)
	}
	if m.auditKey != nil {
		m.checkpoint(context.Background())
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// checkpoint signs the audit chains' heads that moved.
func (m *ServeMain) checkpoint(ctx context.Context) {
	if _, err := auditlog.Checkpoint(ctx, m.pg, m.auditKey, time.Now()); err != nil && ctx.Err() == nil {
		m.Logger.Error("audit checkpoint failed", "err", err)
	}
}

// Close closes the queue client and the database pool.
func (m *ServeMain) Close() {
	if m.queue != nil {
		m.queue.Close()
		m.queue = nil
	}
	if m.pg != nil {
		m.pg.Close()
		m.pg = nil
	}
}
