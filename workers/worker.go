package workers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/jpeg"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/container"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/keypoint"
	"github.com/winnow-forensics/winnow/triage/matching"
	"github.com/winnow-forensics/winnow/triage/phone"
	"github.com/winnow-forensics/winnow/triage/pipeline"
	"github.com/winnow-forensics/winnow/triage/setfile"
)

// Config is what a worker is built from.
type Config struct {
	Logger      *slog.Logger
	Redis       RedisConfig
	Concurrency int // tasks at once (0: DefaultConcurrency of the machine's cores)
	Items       triage.ItemStore
	Sets        triage.SetStore
	Evidence    triage.EvidenceFetcher
	SetFiles    triage.EvidenceFetcher
	Blobs       triage.BlobStore
	// Hasher, Matcher options and Rules are those of winnow scan, so both
	// give the same hashes, matches and verdicts (Matcher.Rules nil:
	// Rules). The Hasher should make thumbnails (HasherOptions.ThumbSide =
	// ThumbSize): they are grayscale, from the luma plane the hashes use,
	// so they cost no second decode.
	Hasher  *hashing.Hasher
	Matcher matching.Options
	Rules   matching.Rules
	EXIF    EXIF
	// Lease is how long a claimed item stays processing without a sign of
	// life from its worker, which renews it every Lease/3 while it works
	// on the item; after that the reconciler enqueues it again (0: DefaultLease).
	Lease time.Duration
	// SyncEvery is how often hash-set changes are picked up (0: DefaultSyncEvery).
	SyncEvery time.Duration
	// ReconcileEvery is how often items:reconcile is queued (0: DefaultReconcileEvery), and
	// Grace how old a received item must be to count as stuck (0: DefaultGrace).
	ReconcileEvery time.Duration
	Grace          time.Duration
	// Sweeper and Orphans collect stored contents that no item refers to
	// (an upload whose item was never recorded) once they are older than
	// OrphanGrace (0: DefaultOrphanGrace), every SweepEvery (0: DefaultSweepEvery); see SweepOrphans.
	// A nil Sweeper collects nothing.
	Sweeper     triage.EvidenceSweeper
	Orphans     triage.OrphanStore
	OrphanGrace time.Duration
	SweepEvery  time.Duration
	// BufferBytes: items up to this size are read into memory and get EXIF
	// and a thumbnail; larger ones are streamed (0: DefaultBufferBytes).
	BufferBytes int64
	// Members stores the members of uploaded containers as evidence: with
	// it a container of one of the Containers kinds is expanded into child
	// items (see expand.go); nil leaves containers hashed and matched as
	// files. Containers larger than BufferBytes are read back through
	// Evidence's OpenAt, when it has one (triage.EvidenceOpener).
	Members    triage.EvidencePutter
	Containers []container.Container
	// Archive bounds an expansion: depth, members, expanded bytes,
	// compression ratio (zero fields: container.DefaultLimits).
	Archive  container.Limits
	Registry *prometheus.Registry
}

// Worker runs the task handlers.
type Worker struct {
	cfg     Config
	log     *slog.Logger
	srv     *asynq.Server
	client  *Client
	sync    *SetSync
	matcher *matching.Matcher
	// perceptual is cfg.Hasher without the digests, for content whose
	// digests the upload recorded (see analyze).
	perceptual *hashing.Hasher
	// kpHasher and kpPerceptual are both with the query's local features
	// (keypoint.Query), used for a file not known already
	// (Matcher.KnownExactly): the item keeps them (Item.Keypoints) for
	// its promotion from review into the local set, and they match any
	// loaded set's.
	kpHasher, kpPerceptual *hashing.Hasher
	m                      *workerMetrics
	cancel                 context.CancelFunc
	done                   chan struct{}
}

// New returns a worker; Start runs it.
func New(cfg Config) *Worker {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = DefaultConcurrency(runtime.NumCPU())
	}
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.SyncEvery <= 0 {
		cfg.SyncEvery = DefaultSyncEvery
	}
	if cfg.ReconcileEvery <= 0 {
		cfg.ReconcileEvery = DefaultReconcileEvery
	}
	if cfg.Grace <= 0 {
		cfg.Grace = DefaultGrace
	}
	if cfg.OrphanGrace <= 0 {
		cfg.OrphanGrace = DefaultOrphanGrace
	}
	if cfg.SweepEvery <= 0 {
		cfg.SweepEvery = DefaultSweepEvery
	}
	if cfg.BufferBytes <= 0 {
		cfg.BufferBytes = DefaultBufferBytes
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.Hasher == nil {
		cfg.Hasher = hashing.New(HasherOptions())
	}
	log := cfg.Logger.With("component", "worker")
	w := &Worker{cfg: cfg, log: log, client: NewClient(cfg.Redis)}
	if w.cfg.Matcher.Rules == nil {
		// One set of rules both picks the hashes to query and decides.
		w.cfg.Matcher.Rules = &w.cfg.Rules
	}
	w.matcher = matching.New(w.cfg.Matcher)
	w.perceptual = w.cfg.Hasher.WithAlgos(w.cfg.Hasher.Algos() &^ triage.AlgosCrypto)
	w.kpHasher, w.kpPerceptual = w.cfg.Hasher.WithKeypoints(keypoint.Query), w.perceptual.WithKeypoints(keypoint.Query)
	w.sync = &SetSync{Sets: cfg.Sets, Files: cfg.SetFiles, Matcher: w.matcher, Logger: log}
	w.m = newWorkerMetrics(cfg.Registry, w.matcher, w.sync)
	return w
}

// Matcher returns the worker's in-memory matcher.
func (w *Worker) Matcher() *matching.Matcher { return w.matcher }

// Start loads the hash sets (it returns an error if it cannot read the
// list of sets; a set that does not load is logged and retried while the
// others are matched: SetSync), then starts the task server, the set sync
// and the reconcile ticker.
func (w *Worker) Start(ctx context.Context) error {
	if err := w.sync.Sync(ctx); err != nil {
		return fmt.Errorf("worker: initial hash-set load: %w", err)
	}
	w.srv = asynq.NewServer(w.cfg.Redis.opt(), asynq.Config{
		Concurrency:     w.cfg.Concurrency,
		Queues:          map[string]int{Queue: 1},
		Logger:          asynqLogger{w.log.With("part", "asynq")},
		LogLevel:        asynq.WarnLevel,
		ShutdownTimeout: 20 * time.Second,
		RetryDelayFunc: func(n int, _ error, _ *asynq.Task) time.Duration {
			d := time.Duration(1<<min(n, 6)) * time.Second // 2 s, 4 s, ... at most 64 s
			return d + time.Duration(rand.Int64N(int64(d)/2+1))
		},
		TaskCheckInterval:        200 * time.Millisecond,
		DelayedTaskCheckInterval: time.Second,
	})
	mux := asynq.NewServeMux()
	mux.HandleFunc(TypeItemAnalyze, w.handleAnalyze)
	mux.HandleFunc(TypeHashSetImport, w.handleImport)
	mux.HandleFunc(TypeItemsReconcile, w.handleReconcile)
	mux.HandleFunc(TypeEvidenceSweep, w.handleSweep)
	if err := w.srv.Start(mux); err != nil {
		return fmt.Errorf("worker: %w", queueError(err))
	}
	bg, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w.cancel, w.done = cancel, make(chan struct{})
	go func() {
		defer close(w.done)
		go w.sync.Run(bg, w.cfg.SyncEvery)
		t := time.NewTicker(w.cfg.ReconcileEvery)
		defer t.Stop()
		sweep := time.NewTicker(w.cfg.SweepEvery)
		defer sweep.Stop()
		for {
			task := NewReconcileTask()
			select {
			case <-bg.Done():
				return
			case <-t.C:
			case <-sweep.C:
				if w.cfg.Sweeper == nil {
					continue
				}
				task = NewSweepTask()
			}
			if _, err := w.client.c.EnqueueContext(bg, task); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
				w.log.WarnContext(bg, "cannot queue "+task.Type(), "err", err)
			}
		}
	}()
	w.log.InfoContext(ctx, "worker started", "concurrency", w.cfg.Concurrency, "hash_sets", len(w.matcher.Sets()),
		"hash_sets_failed", len(w.sync.Failed()))
	return nil
}

// Shutdown stops taking tasks, waits for running ones (up to 20 s; the
// rest go back to the queue) and stops the background loops.
func (w *Worker) Shutdown() {
	if w.srv != nil {
		w.srv.Shutdown()
	}
	if w.cancel != nil {
		w.cancel()
		<-w.done
	}
	w.client.Close()
}

// Reconcile enqueues every item stuck in a non-final state, and every set
// stuck importing. It returns how many it enqueued.
func (w *Worker) Reconcile(ctx context.Context) (int, error) {
	n := 0
	ids, err := w.cfg.Items.StuckItems(ctx, w.cfg.Grace, 10000)
	if err != nil {
		return 0, err
	}
	for _, id := range ids {
		if err := w.client.EnqueueAnalyze(ctx, id); err != nil {
			return n, err
		}
		n++
	}
	sets, err := w.cfg.Sets.StuckSets(ctx, w.cfg.Grace)
	if err != nil {
		return n, err
	}
	for _, id := range sets {
		st, err := w.cfg.Sets.SetByID(ctx, id)
		if err != nil {
			continue
		}
		if err := w.client.EnqueueImport(ctx, id, st.Rev); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (w *Worker) handleReconcile(ctx context.Context, t *asynq.Task) error {
	n, err := w.Reconcile(ctx)
	if n > 0 {
		w.log.InfoContext(ctx, "reconciler re-enqueued stuck work", "count", n)
	}
	w.m.reconciled.Add(float64(n))
	return err
}

func (w *Worker) handleImport(ctx context.Context, t *asynq.Task) error {
	var p ImportPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		return fmt.Errorf("hashset:import payload: %v: %w", err, asynq.SkipRetry)
	}
	st, err := w.cfg.Sets.SetByID(ctx, p.SetID)
	if triage.ErrorCode(err) == triage.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	if st.Rev != p.Rev || st.State != triage.SetImporting {
		return nil // superseded or done
	}
	log := w.log.With("set", st.Name, "rev", st.Rev)
	if err := w.cfg.Sets.StartImport(ctx, st.ID, st.Rev); err != nil {
		return err
	}
	buf, err := fetchSet(ctx, w.cfg.SetFiles, st, 0)
	var importErr error
	var hs *setfile.Set
	switch {
	case errors.Is(err, triage.ErrCorruptEvidence) || triage.ErrorCode(err) == triage.ETOOLARGE:
		importErr = err
	case err != nil:
		return err // retry: the store may be back soon
	default:
		hs, err = setfile.Parse(buf)
		if err != nil {
			importErr = triage.Errorf(triage.EINVALID, "the pushed file is not a valid compiled hash set: %v", err)
		} else if hs.Meta.Name != st.Name {
			importErr = triage.Errorf(triage.EINVALID, "the file is hash set %q but was pushed as %q", hs.Meta.Name, st.Name)
		}
	}
	if importErr != nil {
		log.WarnContext(ctx, "hash set import failed", "err", importErr)
		return w.cfg.Sets.ImportSet(ctx, st.ID, st.Rev, triage.SetMeta{}, nil, importErr)
	}
	meta := hs.Meta
	if st.Version != "" {
		meta.Version = st.Version
	}
	if err := w.cfg.Sets.ImportSet(ctx, st.ID, st.Rev, meta, hs.Entries, nil); err != nil {
		if triage.ErrorCode(err) == triage.ECONFLICT {
			return nil
		}
		return err
	}
	log.InfoContext(ctx, "hash set imported", "entries", hs.Len())
	return w.sync.Sync(ctx)
}

func (w *Worker) handleAnalyze(ctx context.Context, t *asynq.Task) error {
	var p AnalyzePayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.ItemID <= 0 {
		return fmt.Errorf("item:analyze payload %q: %w", t.Payload(), asynq.SkipRetry)
	}
	log := w.log.With("task_id", AnalyzeTaskID(p.ItemID), "item_id", p.ItemID)
	it, err := w.cfg.Items.ClaimItem(ctx, p.ItemID, w.cfg.Lease)
	switch triage.ErrorCode(err) {
	case "":
	case triage.ECONFLICT:
		return nil // already final: nothing to do
	case triage.ENOTFOUND:
		return fmt.Errorf("item %d: %w", p.ItemID, asynq.SkipRetry)
	default:
		return err
	}
	start := time.Now()
	actx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	go w.heartbeat(actx, stop, &it)
	res, err := w.analyze(actx, &it)
	if errors.Is(context.Cause(actx), errTakenOver) {
		log.WarnContext(ctx, "another attempt took the item over; this one stops")
		return nil
	}
	if err != nil {
		log.WarnContext(ctx, "analysis interrupted; will retry", "err", err)
		return err
	}
	fin, err := w.cfg.Items.FinishItem(ctx, it.ID, res)
	if err != nil {
		return err
	}
	if fin {
		w.m.items.WithLabelValues(string(verdictOf(res))).Inc()
		w.m.bytes.Add(float64(it.Size))
		w.m.seconds.Observe(time.Since(start).Seconds())
		log.DebugContext(ctx, "item analysed", "verdict", verdictOf(res), "took", time.Since(start))
	}
	return nil
}

// The defaults of Config's zero fields, written once: New applies them
// and winnow worker's environment variables start from them.
const (
	// DefaultLease is how long an item stays claimed without its worker
	// renewing the claim: a dead worker's items go back to the queue
	// within about DefaultLease plus the reconciler's period.
	DefaultLease          = 45 * time.Second
	DefaultSyncEvery      = 2 * time.Second
	DefaultReconcileEvery = 15 * time.Second
	DefaultGrace          = 30 * time.Second
	DefaultBufferBytes    = 64 << 20
	DefaultOrphanGrace    = 24 * time.Hour
	DefaultSweepEvery     = time.Hour
)

// DefaultConcurrency is how many tasks a worker runs at once on a machine
// with cores CPU cores: two per core, since a task spends much of its
// time waiting for MinIO and PostgreSQL.
func DefaultConcurrency(cores int) int { return 2 * max(cores, 1) }

var errTakenOver = errors.New("the item was claimed by another attempt")

// heartbeat renews an item's lease every Lease/3 while the item is being
// worked on, and cancels the work when another attempt has taken the
// item over (after this worker was thought dead). A database that does
// not answer costs a missed beat, not the work.
func (w *Worker) heartbeat(ctx context.Context, stop context.CancelCauseFunc, it *triage.Item) {
	t := time.NewTicker(w.cfg.Lease / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			err := w.cfg.Items.ExtendLease(ctx, it.ID, it.Attempts, w.cfg.Lease)
			switch {
			case triage.ErrorCode(err) == triage.ECONFLICT:
				stop(errTakenOver)
				return
			case err != nil && ctx.Err() == nil:
				w.log.WarnContext(ctx, "lease not renewed", "item_id", it.ID, "err", err)
			}
		}
	}
}

// analyze fingerprints, matches and decides one claimed item. A problem of
// the item itself (damaged, malformed, over a limit) is in the result; an
// error return means the infrastructure failed and the task should retry.
func (w *Worker) analyze(ctx context.Context, it *triage.Item) (triage.ItemResult, error) {
	if it.Origin != nil && it.Origin.DigestOnly {
		return w.analyzeDigests(it), nil
	}
	rc, _, err := w.cfg.Evidence.Get(ctx, it.SHA256)
	if triage.ErrorCode(err) == triage.ENOTFOUND {
		return triage.ItemResult{Err: triage.Errorf(triage.ENOTFOUND, "the evidence object is missing from the store")}, nil
	} else if err != nil {
		return triage.ItemResult{}, err
	}
	defer rc.Close()
	tr := &trackReader{r: rc}
	var fp triage.Fingerprint
	var b []byte
	hasher, perceptual := w.cfg.Hasher, w.perceptual
	if !w.matcher.KnownExactly(it.Digests) {
		// Local features, unless the file is known already: they could
		// not change its verdict. They are extracted even while no loaded
		// set has any: the item keeps them, so that its content, once
		// promoted from review, matches heavily cropped copies.
		hasher, perceptual = w.kpHasher, w.kpPerceptual
	}
	if it.Size <= w.cfg.BufferBytes {
		b = make([]byte, 0, it.Size)
		b, err = readAll(tr, b)
		switch {
		case err != nil:
		case !it.MD5.IsZero() && !it.SHA1.IsZero():
			// Read to the end, the store's reader has verified the
			// SHA-256; MD5 and SHA-1 are those the upload computed from
			// the same bytes. Only the perceptual hashes are left to do.
			fp = perceptual.HashBytes(ctx, b)
			fp.Digests = it.Digests
		default:
			fp = hasher.HashBytes(ctx, b)
		}
	} else {
		fp = hasher.HashReader(ctx, tr, it.Size)
		err = tr.err
	}
	switch {
	case errors.Is(err, triage.ErrCorruptEvidence):
		return triage.ItemResult{Err: triage.Errorf(triage.EINTERNAL, "the stored evidence object does not match its SHA-256; it must be re-acquired")}, nil
	case err != nil:
		return triage.ItemResult{}, err
	case ctx.Err() != nil:
		return triage.ItemResult{}, ctx.Err()
	case fp.SHA256 != it.SHA256:
		return triage.ItemResult{Err: triage.Errorf(triage.EINTERNAL, "the evidence read back hashes to %s", fp.SHA256)}, nil
	}
	res := triage.ItemResult{Fingerprint: &fp}
	if kind, _, _ := pipeline.Detect(w.cfg.Containers, fp.Type); kind != nil && it.ParentID == 0 && w.cfg.Members != nil {
		var ra io.ReaderAt
		size := it.Size
		if b != nil {
			ra = bytes.NewReader(b)
		} else if op, ok := w.cfg.Evidence.(triage.EvidenceOpener); ok {
			rac, n, err := op.OpenAt(ctx, it.SHA256)
			if err != nil {
				return triage.ItemResult{}, err
			}
			defer rac.Close()
			ra, size = rac, n
		}
		if ra == nil {
			res.Err = triage.Errorf(triage.EUNSUPPORTED, "archive over %d MiB not expanded: the evidence store gives no random access", w.cfg.BufferBytes>>20)
			return res, nil
		}
		itemErr, err := w.expand(ctx, kind, it, ra, size)
		if err != nil {
			return triage.ItemResult{}, err
		}
		res.Err = itemErr
	}
	if b != nil && fp.Type.Kind == triage.KindImage {
		if ex, err := w.cfg.EXIF.Summary(ctx, b); err == nil {
			res.EXIF = ex
		} else if triage.ErrorCode(err) == triage.EUNAVAILABLE {
			return triage.ItemResult{}, err
		} else {
			w.log.DebugContext(ctx, "no EXIF summary", "item_id", it.ID, "err", err)
		}
	}
	if fp.Thumb != nil {
		// Upright, as the image shows in a viewer (EXIF orientation).
		orient := hashing.ViewOrientation(fp.Type, res.EXIF["Orientation"])
		var buf bytes.Buffer
		if err := jpeg.Encode(&buf, hashing.Orient(fp.Thumb, orient), &jpeg.Options{Quality: 80}); err == nil {
			key := thumbnailKey(it.SHA256)
			if err := w.cfg.Blobs.PutBlob(ctx, key, buf.Bytes(), "image/jpeg"); err != nil {
				return triage.ItemResult{}, err
			}
			res.ThumbnailKey = key
		}
	}
	res.Matches = w.matcher.Match(&fp)
	res.Decision = w.cfg.Rules.Decide(&fp, res.Matches)
	return res, nil
}

// analyzeDigests matches an item a phone extraction lists by its digests
// alone (no content was stored): an exact digest match decides it, its
// type is guessed from its name.
func (w *Worker) analyzeDigests(it *triage.Item) triage.ItemResult {
	fp := triage.Fingerprint{Size: it.Size, Digests: it.Digests, Type: phone.TypeByName(it.InnerPath)}
	res := triage.ItemResult{Fingerprint: &fp}
	res.Matches = w.matcher.Match(&fp)
	res.Decision = w.cfg.Rules.Decide(&fp, res.Matches)
	return res
}

// ThumbSize is the longer side of a thumbnail, in pixels.
const ThumbSize = 256

// HasherOptions are a worker's hashing options: winnow scan's profile
// (pipeline.Profile), so that both match rotated and padded copies and
// group the review queue the same way, with thumbnails of ThumbSize, and
// with the regions a hash set built from media indexes
// (hashing.Options.Regions), which the item keeps for its promotion from
// review into the local set, so that crops of promoted content match.
// Regions do not change what the item matches.
func HasherOptions() hashing.Options {
	return pipeline.Profile(hashing.Options{ThumbSide: ThumbSize, Regions: true})
}

// thumbnailKey is where an item's thumbnail is kept: derived from the
// content, so every item with that content shares it.
func thumbnailKey(sum triage.SHA256) string { return "thumbnails/" + sum.String() + ".jpg" }

// trackReader keeps the first error of the evidence stream, which the
// hashing engine would otherwise fold into a per-item error.
type trackReader struct {
	r   io.Reader
	err error
}

func (t *trackReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if err != nil && err != io.EOF && t.err == nil {
		t.err = err
	}
	return n, err
}

// verdictOf is the verdict FinishItem records for res.
func verdictOf(res triage.ItemResult) triage.Verdict {
	if res.Err != nil {
		return triage.VerdictError
	}
	return res.Decision.Verdict
}
