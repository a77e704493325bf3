package pipeline

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/container"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/internal/budget"
	"github.com/winnow-forensics/winnow/triage/matching"
)

// Profile returns the hashing options of matching: the hashes the Matcher
// queries (triage.AlgosMatch: the digests, PDQ with its rotations and
// flips, pHash, dHash) and the derived views, on top of the caller's
// limits, decoders and thumbnail size. winnow scan and the lab worker both
// hash with it, so both give the same hashes, matches and verdicts.
func Profile(o hashing.Options) hashing.Options {
	o.Algos = triage.AlgosMatch
	o.Views = true
	return o
}

// Config configures an Engine.
type Config struct {
	// Hasher fingerprints every item.
	Hasher *hashing.Hasher
	// Matcher and Rules decide every item. Without a Matcher items are
	// fingerprinted only (no matches, a zero Decision).
	Matcher *matching.Matcher
	Rules   matching.Rules
	// Containers are the container kinds expanded (see Detect); without
	// them a container is an item like any file.
	Containers []container.Container
	// Limits bound each expansion.
	Limits container.Limits
	// Workers is how many items are fingerprinted at once (0: one per CPU).
	Workers int
	// Walk configures the walk of the folders given to Run.
	Walk WalkOptions
	// Ordered delivers results in walk order, one for every entry walked,
	// even after ctx is done (an item left then gets an EUNAVAILABLE
	// error); containers are not expanded. Otherwise results come as they
	// are ready, and what is still queued when ctx is done is dropped.
	Ordered bool
	// Count walks the paths once more, in the background, to total the
	// files and bytes for Progress.
	Count bool
	// MemoryBytes bounds the member content held in memory at once (0:
	// 256 MiB or twice the Hasher's BufferBytes, whichever is larger).
	MemoryBytes int64
	// AfterItem, if set, is called with the number of items delivered so
	// far each time one is (tests use it to interrupt a run).
	AfterItem func(n int64)
}

// Result is one analysed item: a file, a container member, or a container
// with the number of members found directly inside it.
type Result struct {
	// Key orders the results of a run: the input's index, the path, and
	// for members the chain of member indexes (names may repeat).
	Key string
	// Path is the item's path as reported: a member's is its outermost
	// container's path, "!/" and the member's inner path.
	Path string
	// Outer is the file on the evidence; Inner the member's path inside
	// it ("" for files) and RawName its stored name when sanitised.
	Outer, Inner, RawName string
	// Member is what the container recorded about a member (its content
	// fields cleared); nil for files.
	Member *container.Member
	// Modified is the file's or member's modification time (zero:
	// unknown).
	Modified time.Time
	// TopSize is a top-level file's size; -1 for members.
	TopSize     int64
	Fingerprint triage.Fingerprint
	Matches     []triage.Match
	Decision    triage.Decision
	// Container is set for an expanded container.
	Container *ContainerInfo
}

// ContainerInfo describes an expanded container.
type ContainerInfo struct {
	Format  string
	Members int // members directly inside it
}

// Progress is how far a run has got.
type Progress struct {
	// Files counts the top-level files done, of FilesTotal (-1 until
	// counted, see Config.Count).
	Files, FilesTotal int64
	// Bytes counts the bytes of top-level files done and of containers
	// being expanded, of BytesTotal (-1 until counted).
	Bytes, BytesTotal int64
	// Items counts every item delivered (members included), ItemBytes
	// their sizes, Errors those with an error, Containers the containers
	// expanded.
	Items, ItemBytes, Errors, Containers int64
	// CarvedUndecodable counts the carved candidates marked truncated
	// that no decoder read: not items (see Undecodable).
	CarvedUndecodable int64
	// Times sums the stage times of every item over the workers, and
	// MatchTime the time spent matching and deciding.
	Times     triage.StageTimes
	MatchTime time.Duration
}

// Engine runs the pipeline over folders and files: walk, expand
// containers, fingerprint, match and decide. Run it once.
type Engine struct {
	cfg    Config
	jobs   chan *job
	expand *queue[*expansion]
	budget *budget.Bytes
	// pending counts jobs sent and not yet delivered, and expansions not
	// yet done.
	pending sync.WaitGroup
	sinkMu  sync.Mutex
	sink    func(*Result)

	items, itemBytes, topDone, topBytes, errors, containers atomic.Int64
	undecodable                                             atomic.Int64 // carved candidates dropped (Undecodable)
	partBytes                                               atomic.Int64 // read so far of containers being expanded
	totalFiles, totalBytes                                  atomic.Int64 // -1 until counted
	mu                                                      sync.Mutex
	times                                                   triage.StageTimes
	matchTime                                               time.Duration
}

// New returns an engine.
func New(cfg Config) *Engine {
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.NumCPU()
	}
	if cfg.MemoryBytes <= 0 {
		cfg.MemoryBytes = max(256<<20, 2*cfg.Hasher.Limits().BufferBytes)
	}
	if cfg.Ordered {
		cfg.Containers = nil
	}
	e := &Engine{cfg: cfg, jobs: make(chan *job, cfg.Workers*4), expand: newQueue[*expansion](), budget: budget.New(cfg.MemoryBytes)}
	e.totalFiles.Store(-1)
	e.totalBytes.Store(-1)
	return e
}

// job is one item on its way through the pipeline.
type job struct {
	r    Result
	file string              // a file to hash
	data Content             // or member content
	fp   *triage.Fingerprint // or a fingerprint already made
	err  error               // or why there is nothing to read
	note error               // a problem to record even if hashing succeeds
	done chan *Result        // Ordered: the result, for the deliverer
}

// expansion is a container file waiting to be expanded, with its own item.
type expansion struct {
	j      *job
	fp     triage.Fingerprint
	kind   container.Container
	format string
}

// Run analyses everything under paths and calls sink once per item, from
// one goroutine at a time. It returns the paths that could not be read
// (the others are analysed). When ctx is done Run stops early; see
// Config.Ordered for what is delivered then.
func (e *Engine) Run(ctx context.Context, paths []string, sink func(*Result)) (missing []string) {
	e.sink = sink
	if e.cfg.Count {
		go e.count(ctx, paths)
	}
	if e.cfg.Ordered {
		return e.runOrdered(ctx, paths)
	}
	var wg sync.WaitGroup
	for range e.cfg.Workers {
		wg.Go(func() {
			for j := range e.jobs {
				e.work(ctx, j)
			}
		})
	}
	var ewg sync.WaitGroup
	for range min(2, e.cfg.Workers) {
		ewg.Go(func() {
			for {
				x, ok := e.expand.pop()
				if !ok {
					return
				}
				e.expandContainer(ctx, x)
			}
		})
	}
	missing = e.walk(ctx, paths, func(j *job) error { return e.send(ctx, j) })
	e.pending.Wait() // every job delivered, every container expanded
	close(e.jobs)
	e.expand.close()
	wg.Wait()
	ewg.Wait()
	return missing
}

// runOrdered is Run for Config.Ordered: the walk runs ahead of the
// deliverer by a bounded number of jobs, and every job walked is
// delivered in order.
func (e *Engine) runOrdered(ctx context.Context, paths []string) (missing []string) {
	order := make(chan *job, e.cfg.Workers*8)
	go func() {
		defer close(e.jobs)
		defer close(order)
		missing = e.walk(ctx, paths, func(j *job) error {
			j.done = make(chan *Result, 1)
			select {
			case order <- j:
			case <-ctx.Done():
				return ctx.Err()
			}
			e.jobs <- j // always: the deliverer waits for every job in order
			return ctx.Err()
		})
	}()
	var wg sync.WaitGroup
	for range e.cfg.Workers {
		wg.Go(func() {
			for j := range e.jobs {
				if j.err == nil && ctx.Err() != nil {
					j.err = triage.Errorf(triage.EUNAVAILABLE, "not hashed: run interrupted")
				}
				j.done <- e.analyse(ctx, j)
			}
		})
	}
	for j := range order {
		e.deliver(<-j.done)
	}
	wg.Wait()
	return missing
}

// count totals the files and bytes under paths for Progress.
func (e *Engine) count(ctx context.Context, paths []string) {
	var n, b int64
	for _, p := range paths {
		Walk(ctx, p, e.cfg.Walk, func(en Entry) error {
			n++
			if en.Info != nil {
				b += en.Info.Size()
			}
			return nil
		})
	}
	if ctx.Err() == nil {
		e.totalFiles.Store(n)
		e.totalBytes.Store(b)
	}
}

// walk makes a job of every entry under paths and hands it to send, which
// stops the walk with an error.
func (e *Engine) walk(ctx context.Context, paths []string, send func(*job) error) (missing []string) {
	for i, root := range paths {
		err := Walk(ctx, root, e.cfg.Walk, func(en Entry) error {
			j := &job{r: Result{Key: fmt.Sprintf("%04d\x00%s\x00", i, en.Path), Path: en.Path, Outer: en.Path}, err: en.Err}
			if en.Info != nil {
				j.file, j.r.Modified, j.r.TopSize = en.Path, en.Info.ModTime(), en.Info.Size()
			}
			return send(j)
		})
		if ctx.Err() != nil {
			return missing
		}
		if err != nil {
			missing = append(missing, root)
		}
	}
	return missing
}

// send queues a job unless the run was interrupted.
func (e *Engine) send(ctx context.Context, j *job) error {
	e.pending.Add(1)
	select {
	case e.jobs <- j:
		return nil
	case <-ctx.Done():
		e.pending.Done()
		j.data.Release()
		return ctx.Err()
	}
}

// work fingerprints one job and delivers it, or hands a container to an
// expander.
func (e *Engine) work(ctx context.Context, j *job) {
	defer j.data.Release()
	if ctx.Err() != nil { // interrupted: abandon what was queued
		e.pending.Done()
		return
	}
	fp := e.fingerprint(ctx, j)
	if j.file != "" && fp.Err == nil && e.cfg.Containers != nil {
		kind, format, err := Detect(e.cfg.Containers, fp.Type)
		if kind != nil && err == nil {
			e.expand.push(&expansion{j: j, fp: fp, kind: kind, format: format}) // the expander delivers it and calls Done
			return
		}
		fp.Err = err
	}
	if Undecodable(j.r.Member, &fp) { // failed validation by decoding: counted, not an item
		e.undecodable.Add(1)
		e.pending.Done()
		return
	}
	e.deliver(e.decide(j, &fp))
	e.pending.Done()
}

// fingerprint hashes whatever the job holds.
func (e *Engine) fingerprint(ctx context.Context, j *job) triage.Fingerprint {
	switch {
	case j.fp != nil:
		return *j.fp
	case j.err != nil:
		return triage.Fingerprint{Err: j.err}
	case j.data.Data != nil:
		return e.cfg.Hasher.HashBytes(ctx, j.data.Data)
	}
	return e.cfg.Hasher.HashFile(ctx, j.file)
}

// analyse is the whole analyse step for one job: fingerprint, match and
// decide.
func (e *Engine) analyse(ctx context.Context, j *job) *Result {
	fp := e.fingerprint(ctx, j)
	return e.decide(j, &fp)
}

// decide matches and decides a fingerprinted job.
func (e *Engine) decide(j *job, fp *triage.Fingerprint) *Result {
	if fp.Err == nil && j.note != nil {
		fp.Err = j.note
	}
	r := &j.r
	r.Fingerprint = *fp
	if e.cfg.Matcher != nil {
		t0 := time.Now()
		r.Matches = e.cfg.Matcher.Match(fp)
		r.Decision = e.cfg.Rules.Decide(fp, r.Matches)
		e.mu.Lock()
		e.matchTime += time.Since(t0)
		e.mu.Unlock()
	}
	return r
}

// deliver counts a result and hands it to the sink.
func (e *Engine) deliver(r *Result) {
	fp := &r.Fingerprint
	e.itemBytes.Add(fp.Size)
	if fp.Err != nil {
		e.errors.Add(1)
	}
	if r.TopSize >= 0 && r.Inner == "" {
		e.topDone.Add(1)
		e.topBytes.Add(r.TopSize)
	}
	e.mu.Lock()
	e.times.Add(fp.Times)
	e.mu.Unlock()
	e.sinkMu.Lock()
	e.sink(r)
	e.sinkMu.Unlock()
	n := e.items.Add(1)
	if e.cfg.AfterItem != nil {
		e.cfg.AfterItem(n)
	}
}

// expandContainer walks one container file, sending a job per member, and
// then delivers the container's own item.
func (e *Engine) expandContainer(ctx context.Context, x *expansion) {
	defer e.pending.Done()
	j := x.j
	fp := x.fp
	direct := map[string]int{} // members directly inside each container, by inner path ("" for this one)
	f, err := os.Open(j.file)
	if err == nil {
		var fi os.FileInfo
		if fi, err = f.Stat(); err == nil {
			// Count the container's bytes into the progress as they are read.
			cr := &progressReaderAt{r: f, size: fi.Size(), done: &e.partBytes}
			open, closeAll := besides(j.file)
			var st container.Stats
			st, err = x.kind.Expand(ctx, cr, fi.Size(), container.Options{Limits: e.cfg.Limits, Name: filepath.Base(j.file), Open: open},
				func(m *container.Member, r io.Reader) error { return e.member(ctx, j, m, r, direct) })
			if st.Format != "" {
				x.format = st.Format
			}
			closeAll()
			e.partBytes.Add(-cr.counted.Load())
		}
		f.Close()
	}
	if err != nil && fp.Err == nil {
		switch {
		case ctx.Err() != nil:
			fp.Err = triage.Errorf(triage.EUNAVAILABLE, "archive not fully expanded: the scan was interrupted")
		default:
			fp.Err = fmt.Errorf("archive not fully expanded: %w", err)
		}
	}
	e.containers.Add(1)
	j.r.Container = &ContainerInfo{Format: x.format, Members: direct[""]}
	e.deliver(e.decide(j, &fp))
}

// besides opens files in the folder of path by name (the later segments
// of a disk image); closeAll closes what it opened.
func besides(path string) (open func(string) (io.ReaderAt, int64, error), closeAll func()) {
	var files []*os.File
	open = func(name string) (io.ReaderAt, int64, error) {
		if name != filepath.Base(name) {
			return nil, 0, triage.Errorf(triage.EINVALID, "%q is not a file name", name)
		}
		f, err := os.Open(filepath.Join(filepath.Dir(path), name))
		if err != nil {
			return nil, 0, triage.Errorf(triage.ENOTFOUND, "%s: %v", name, err)
		}
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			f.Close()
			return nil, 0, triage.Errorf(triage.ENOTFOUND, "%s is not a regular file", name)
		}
		files = append(files, f)
		return f, fi.Size(), nil
	}
	return open, func() {
		for _, f := range files {
			f.Close()
		}
	}
}

// member turns one container member into a job.
func (e *Engine) member(ctx context.Context, parent *job, m *container.Member, r io.Reader, direct map[string]int) error {
	outer := ""
	if k := strings.LastIndex(m.Inner, "!/"); k >= 0 {
		outer = m.Inner[:k]
	}
	direct[outer]++
	var chain strings.Builder
	for _, i := range m.Indexes {
		fmt.Fprintf(&chain, "%08d/", i)
	}
	path := parent.r.Outer + "!/" + m.Inner
	rec := *m
	rec.Data, rec.Digests, rec.ReaderAt, rec.Err = nil, nil, nil, nil
	j := &job{r: Result{Key: parent.r.Key[:strings.IndexByte(parent.r.Key, 0)+1] + path + "\x00" + chain.String(), Path: path,
		Outer: parent.r.Outer, Inner: m.Inner, RawName: m.RawName, Member: &rec, Modified: m.Times.Modified, TopSize: -1}, note: m.Err}
	if m.Format != "" {
		e.containers.Add(1)
		j.r.Container = &ContainerInfo{Format: m.Format, Members: direct[m.Inner]}
	}
	switch {
	case r == nil && m.Data == nil && m.Digests != nil:
		j.fp = &triage.Fingerprint{Size: m.Size, Digests: *m.Digests, Type: m.Type, Err: m.Err}
	case r == nil && m.Data == nil:
		j.err = m.Err
		if j.err == nil {
			j.err = triage.Errorf(triage.EINVALID, "archive member could not be read")
		}
	default:
		c, err := readContent(ctx, m, r, e.cfg.Hasher.Limits().BufferBytes, e.budget)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			j.err = triage.Errorf(triage.EINVALID, "read: %v", triage.ErrorMessage(err))
		case c.Data != nil:
			j.data = c
		default: // large, or of unknown size: hash it here, streamed
			fp := e.cfg.Hasher.HashReader(ctx, c.Stream, m.Size)
			c.Release()
			j.fp = &fp
		}
	}
	return e.send(ctx, j)
}

// progressReaderAt adds the bytes read through it to done, up to size
// (random access may read some twice).
type progressReaderAt struct {
	r       io.ReaderAt
	size    int64
	done    *atomic.Int64
	counted atomic.Int64
}

func (p *progressReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n, err := p.r.ReadAt(b, off)
	if add := min(int64(n), p.size-p.counted.Load()); add > 0 {
		p.counted.Add(add)
		p.done.Add(add)
	}
	return n, err
}

// Progress returns how far the run has got. It is safe to call while Run
// runs.
func (e *Engine) Progress() Progress {
	p := Progress{
		Files: e.topDone.Load(), FilesTotal: e.totalFiles.Load(),
		Bytes: e.topBytes.Load() + e.partBytes.Load(), BytesTotal: e.totalBytes.Load(),
		Items: e.items.Load(), ItemBytes: e.itemBytes.Load(), Errors: e.errors.Load(), Containers: e.containers.Load(),
		CarvedUndecodable: e.undecodable.Load(),
	}
	e.mu.Lock()
	p.Times, p.MatchTime = e.times, e.matchTime
	e.mu.Unlock()
	return p
}

// queue is an unbounded FIFO: workers hand containers to expanders without
// ever blocking (expanders block on the workers' channel, so a bounded
// hand-off could deadlock).
type queue[T any] struct {
	mu     sync.Mutex
	cond   *sync.Cond
	items  []T
	closed bool
}

func newQueue[T any]() *queue[T] {
	q := &queue[T]{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

func (q *queue[T]) push(v T) {
	q.mu.Lock()
	q.items = append(q.items, v)
	q.mu.Unlock()
	q.cond.Signal()
}

// pop waits for an item; it returns false once the queue is closed and empty.
func (q *queue[T]) pop() (T, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.items) == 0 && !q.closed {
		q.cond.Wait()
	}
	var zero T
	if len(q.items) == 0 {
		return zero, false
	}
	v := q.items[0]
	q.items[0] = zero
	q.items = q.items[1:]
	return v, true
}

func (q *queue[T]) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.cond.Broadcast()
}
