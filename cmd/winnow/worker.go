package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/winnow-forensics/winnow/storage/minio"
	"github.com/winnow-forensics/winnow/storage/postgres"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/workers"
)

const workerDescription = `
Run a lab worker: it takes item:analyze, hashset:import and items:reconcile
tasks from Redis. Each item is fetched from MinIO (verified against its
SHA-256), fingerprinted with the same engine and limits as winnow hash and
winnow scan, matched against the hash sets held in memory, and given a
verdict; new and variant items are queued for review. Hash-set changes are
picked up every few seconds without a restart. Any number of workers may
run; stopping one (even with SIGKILL) loses nothing: its tasks return to the
queue, and the reconciler re-enqueues items that stay unfinished.
` + labEnvHelp + workerEnvHelp

func runWorker(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "worker", "", workerDescription)
	if _, err := parseArgs(fs, args); err != nil {
		return err
	}
	cfg, err := ReadWorkerConfig(e.getenv, runtime.NumCPU())
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	m := &WorkerMain{Config: cfg, Logger: newLogger(e.stderr, cfg.LabConfig)}
	if err := m.Open(ctx); err != nil {
		return err
	}
	defer m.Close()
	return m.Run(ctx)
}

// WorkerMain is a running worker process.
type WorkerMain struct {
	Config WorkerConfig
	Logger *slog.Logger

	pg      *postgres.Store
	w       *workers.Worker
	metrics *http.Server
	ln      net.Listener
}

// Open connects to the services and loads the hash sets.
func (m *WorkerMain) Open(ctx context.Context) error {
	pg, mc, err := openStores(ctx, m.Config.LabConfig, m.Logger, 60*time.Second)
	if err != nil {
		return err
	}
	m.pg = pg
	reg := prometheus.NewRegistry()
	m.w = workers.New(workers.Config{
		Logger: m.Logger, Redis: m.Config.Redis, Concurrency: m.Config.Concurrency,
		Items: pg, Sets: pg, Evidence: mc, SetFiles: mc.WithPrefix(minio.HashSetPrefix), Blobs: mc,
		Hasher: newWorkerHasher(), Rules: m.Config.Rules,
		Members: mc, Containers: labContainers(m.Config.Carve), Archive: m.Config.Archive,
		EXIF: workers.EXIF{Path: m.Config.Exiftool}, Lease: m.Config.Lease, SyncEvery: m.Config.SyncEvery,
		ReconcileEvery: m.Config.ReconcileEvery, Grace: m.Config.Grace, Registry: reg,
		Sweeper: mc, Orphans: pg, OrphanGrace: m.Config.OrphanGrace, SweepEvery: m.Config.SweepEvery,
	})
	if m.Config.MetricsListen != "" {
		ln, err := net.Listen("tcp", m.Config.MetricsListen)
		if err != nil {
			m.Close()
			return fmt.Errorf("listen on %s: %w", m.Config.MetricsListen, err)
		}
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
		mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"status":"ok"}`)) })
		m.ln, m.metrics = ln, &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	}
	return nil
}

// Run processes tasks until ctx is done, then shuts down: no new tasks,
// running ones finish (up to 20 s; the rest return to the queue).
func (m *WorkerMain) Run(ctx context.Context) error {
	var err error
	for {
		if err = m.w.Start(ctx); err == nil || triage.ErrorCode(err) != triage.EUNAVAILABLE || ctx.Err() != nil {
			break
		}
		m.Logger.WarnContext(ctx, "worker cannot start yet; retrying", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(2 * time.Second):
		}
	}
	if err != nil {
		return err
	}
	if m.metrics != nil {
		go func() {
			if err := m.metrics.Serve(m.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				m.Logger.Error("metrics server", "err", err)
			}
		}()
	}
	<-ctx.Done()
	m.Logger.Info("shutting down")
	if m.metrics != nil {
		m.metrics.Close()
	}
	m.w.Shutdown()
	return nil
}

// Close closes the database pool.
func (m *WorkerMain) Close() {
	if m.pg != nil {
		m.pg.Close()
		m.pg = nil
	}
}

// newWorkerHasher is the worker's hasher: its options with the decoders
// registered in kinds.go.
func newWorkerHasher() *hashing.Hasher {
	o := workers.HasherOptions()
	o.Decoders = decoders
	return hashing.New(o)
}
