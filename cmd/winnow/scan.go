package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/archive"
	"github.com/winnow-forensics/winnow/triage/formats"
	"github.com/winnow-forensics/winnow/triage/index"
	"github.com/winnow-forensics/winnow/triage/report"
)

const scanDescription = `
Triage folders, files and archives offline: fingerprint every file,
match it against the hash sets, give it a verdict, group what is new, and
write a report to DIR:

  report.json       every item (path, hashes, verdict, matches with set,
                    entry, algorithm, distance and category), duplicate
                    stacks, near-duplicate series, counts, scan metadata
  report.csv        one row per item
  report.html       for people: counts, a table per verdict, thumbnails of
                    new and variant images blurred until clicked; opens
                    offline, loads nothing from elsewhere
  report-vics.json  a VICS 2.0 case export of the images and videos

Verdicts: known (exact match in an alert set, or a perceptual match the
rules call certain), variant (near match only), ignorable (known-good sets
such as NSRL, ignorable categories, images under 50 pixels a side), new
(nothing matched), error (could not be analysed).

--hashset takes a compiled set (winnow hashset build) or any hash-set file
that build reads (VICS, NSRL, plain lists, ...), compiled in memory; repeat
it for several sets.

Archives (zip, tar, tar.gz, gzip, bzip2, nested) are read as streams,
never extracted to disk, within the --max-archive-* limits; members are
reported as ARCHIVE!/MEMBER. 7z, RAR and xz archives are detected, not
expanded. Symbolic links are not followed unless --follow-symlinks (and
never out of the scanned folder); special files are reported and skipped.

Ctrl-C stops the scan and still writes the report, marked incomplete.
Exit status: 0 when the scan completed (per-item errors are in the
report), 1 when a path or hash set could not be read or the report not
written, 2 for a bad command line, 130 when interrupted.`

// scanConfig is the configuration of one scan.
type scanConfig struct {
	hashsets       []string
	out            string
	force          bool
	workers        int
	stats          bool
	progress       bool
	logEvery       time.Duration
	followSymlinks bool
	verifyImage    bool
	noDiskImages   bool
	limits         triage.Limits
	archive        archive.Limits
	noFastJPEG     bool
	jpegMinSide    int
	minSide        int
	rules          triage.Rules
	thumbnails     int
	rows           int
	caseNumber     string
	examiner       string
	cpuprofile     string
	// afterItem, if set, is called with the number of items recorded so
	// far each time one is (tests use it to interrupt a scan).
	afterItem func(n int64)
}

// thumbSide is the longer side of the thumbnails in report.html.
const thumbSide = 128

// multiFlag collects a repeated string flag.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

func runScan(ctx context.Context, e *env, args []string) error {
	cfg, paths, err := parseScanArgs(e, args)
	if err != nil {
		return err
	}
	if cfg.cpuprofile != "" {
		stop, err := startCPUProfile(cfg.cpuprofile)
		if err != nil {
			return err
		}
		defer stop()
	}
	// No soft memory limit, unlike winnow hash: the report grows with the
	// scan, and a live heap over a soft limit would make the collector run
	// without pause. GOMEMLIMIT still applies if set.
	return scan(ctx, e, cfg, paths)
}

// parseScanArgs parses a scan command line.
func parseScanArgs(e *env, args []string) (scanConfig, []string, error) {
	fs := newFlagSet(e, "scan", "--hashset FILE... --out DIR [flags] PATH...", scanDescription)
	var sets multiFlag
	fs.Var(&sets, "hashset", "hash set to match against (repeatable)")
	out := fs.String("out", "", "folder for the report (created; required)")
	force := fs.Bool("force", false, "overwrite a report already in --out")
	workers := fs.Int("workers", runtime.NumCPU(), "files hashed in parallel")
	stats := fs.Bool("stats", false, "print throughput and per-stage timing on stderr at the end")
	noProgress := fs.Bool("no-progress", false, "no progress bar on a terminal (progress is logged every --log-every otherwise)")
	logEvery := fs.Duration("log-every", 10*time.Second, "interval of progress log lines when stderr is not a terminal (0: none)")
	follow := fs.Bool("follow-symlinks", false, "follow symbolic links inside the scanned folders (never out of them)")
	verifyImage := fs.Bool("verify-image", false, "read each EWF (.E01) image whole first and check it against the MD5/SHA-1 it stores")
	noDisk := fs.Bool("no-disk-images", false, "treat disk images (E01, raw/dd) as single files: do not read their file systems")
	maxMP := fs.Float64("max-megapixels", float64(triage.DefaultLimits.MaxPixels)/1e6, "refuse to decode images declaring more megapixels than this (decompression bombs)")
	maxImageMiB := fs.Int64("max-image-mib", triage.DefaultLimits.MaxImageBytes>>20, "do not decode image files larger than this many MiB (they are still digested)")
	bufferMiB := fs.Int64("buffer-mib", triage.DefaultLimits.BufferBytes>>20, "files and archive members up to this many MiB are read into memory once; larger ones are streamed")
	decodeMiB := fs.Int64("decode-memory-mib", triage.DefaultLimits.DecodeMemory>>20, "memory all concurrent decodes may hold together, in MiB")
	noFast := fs.Bool("no-fast-jpeg", false, "decode JPEGs with Go's image/jpeg even when libjpeg-turbo is built in")
	jpegMinSide := fs.Int("jpeg-min-side", triage.TurboMinSide, "libjpeg-turbo decodes JPEGs at the smallest scale k/8 keeping the shorter side at least this long")
	minSide := fs.Int("min-side", 0, "images whose shorter side is under this many pixels are ignorable (-1: off; default: the rules' min_side, 50)")
	rulesFile := fs.String("rules", "", "matching and verdict rules, JSON (README, \"Verdict rules\"); default: the built-in rules")
	maxDepth := fs.Int("max-archive-depth", archive.DefaultLimits.MaxDepth, "archives nested deeper than this are reported, not expanded")
	maxMembers := fs.Int("max-archive-members", archive.DefaultLimits.MaxEntries, "members of one archive expanded at most")
	maxMemberGiB := fs.Int64("max-member-gib", archive.DefaultLimits.MaxMemberBytes>>30, "largest archive member read, in GiB")
	maxExpandedGiB := fs.Int64("max-expanded-gib", archive.DefaultLimits.MaxTotalBytes>>30, "most bytes expanded from one archive, nested ones included, in GiB")
	maxRatio := fs.Int64("max-archive-ratio", archive.DefaultLimits.MaxRatio, "most an archive, member or stream may expand over its compressed size (zip bombs)")
	maxNestedMiB := fs.Int64("max-nested-mib", archive.DefaultLimits.MaxNestedBytes>>20, "memory for zips nested in other archives (they are never written to disk), in MiB")
	thumbs := fs.Int("html-thumbnails", report.DefaultHTMLOptions.Thumbnails, "most thumbnails in report.html (0: none)")
	rows := fs.Int("html-rows", report.DefaultHTMLOptions.Rows, "most rows of one table in report.html (the JSON and CSV list everything)")
	caseNumber := fs.String("case", "", "case number for the VICS export")
	examiner := fs.String("examiner", "", "examiner's name for the VICS export")
	cpuprofile := fs.String("cpuprofile", "", "write a Go CPU profile of the run to this file (for performance work)")
	paths, err := parseArgs(fs, args)
	if err != nil {
		return scanConfig{}, nil, err
	}
	if len(paths) == 0 || *out == "" {
		fmt.Fprintln(e.stderr, "winnow scan: need --out DIR and at least one PATH")
		fs.Usage()
		return scanConfig{}, nil, errUsage
	}
	rules := triage.DefaultRules()
	if *rulesFile != "" {
		var err error
		if rules, err = readRulesFile(*rulesFile); err != nil {
			return scanConfig{}, nil, &exitError{2, fmt.Errorf("--rules: %v", err)}
		}
	}
	if *minSide != 0 {
		rules.MinSide = *minSide
	}
	cfg := scanConfig{
		rules:    rules,
		hashsets: sets, out: *out, force: *force, workers: *workers, stats: *stats,
		progress: e.stderrTerminal && !*noProgress, logEvery: *logEvery, followSymlinks: *follow,
		verifyImage: *verifyImage, noDiskImages: *noDisk,
		limits: triage.Limits{
			MaxPixels: int64(*maxMP * 1e6), MaxImageBytes: *maxImageMiB << 20, BufferBytes: *bufferMiB << 20, DecodeMemory: *decodeMiB << 20,
		},
		archive: archive.Limits{
			MaxDepth: *maxDepth, MaxEntries: *maxMembers, MaxMemberBytes: *maxMemberGiB << 30,
			MaxTotalBytes: *maxExpandedGiB << 30, MaxRatio: *maxRatio, MaxNestedBytes: *maxNestedMiB << 20,
		},
		noFastJPEG: *noFast, jpegMinSide: *jpegMinSide, minSide: *minSide,
		thumbnails: *thumbs, rows: *rows, caseNumber: *caseNumber, examiner: *examiner, cpuprofile: *cpuprofile,
	}
	if err := cfg.validate(); err != nil {
		return scanConfig{}, nil, &exitError{2, err}
	}
	return cfg, paths, nil
}

func (c scanConfig) validate() error {
	switch {
	case c.workers < 1:
		return fmt.Errorf("--workers must be at least 1")
	case c.jpegMinSide < 1:
		return fmt.Errorf("--jpeg-min-side must be at least 1")
	case c.limits.MaxPixels <= 0 || c.limits.MaxImageBytes <= 0 || c.limits.BufferBytes <= 0 || c.limits.DecodeMemory <= 0:
		return fmt.Errorf("image limits must be positive")
	case c.archive.MaxDepth < 1 || c.archive.MaxEntries < 1 || c.archive.MaxMemberBytes <= 0 || c.archive.MaxTotalBytes <= 0 || c.archive.MaxRatio < 1 || c.archive.MaxNestedBytes <= 0:
		return fmt.Errorf("archive limits must be positive")
	case c.thumbnails < 0 || c.rows < 1:
		return fmt.Errorf("--html-thumbnails must not be negative and --html-rows must be at least 1")
	case c.minSide < -1:
		return fmt.Errorf("--min-side must be positive, or -1 to turn the rule off")
	}
	if err := c.rules.Validate(); err != nil {
		return err
	}
	return c.limits.Validate()
}

// scan runs a whole scan and writes the report.
func scan(ctx context.Context, e *env, cfg scanConfig, paths []string) error {
	start := time.Now()
	log := slog.New(slog.NewTextHandler(e.stderr, nil)).With("cmd", "scan")
	for _, p := range paths {
		if inside(cfg.out, p) {
			return &exitError{2, fmt.Errorf("--out %s is inside the scanned folder %s: write the report elsewhere", cfg.out, p)}
		}
	}
	m := triage.NewMatcher(triage.MatcherOptions{Rules: &cfg.rules})
	var setInfo []report.HashSet
	for _, p := range cfg.hashsets {
		s, info, err := loadScanSet(ctx, e, p)
		if err != nil {
			return err
		}
		for _, o := range setInfo {
			if o.Name == info.Name {
				return fmt.Errorf("hash sets %s and %s are both named %q: a scan needs distinct names (rebuild one with winnow hashset build --name)", o.File, p, info.Name)
			}
		}
		m.AddSet(s)
		setInfo = append(setInfo, info)
	}
	if len(cfg.hashsets) == 0 {
		fmt.Fprintln(e.stderr, "winnow scan: no --hashset given: nothing can be known or variant, every image will be new")
	}
	if err := prepareOut(cfg.out, cfg.force); err != nil {
		return err
	}

	s := newScanner(cfg, m)
	s.log = log
	prog := s.startProgress(e)
	missing := s.run(ctx, paths)
	prog()
	finished := time.Now()

	r := &report.Report{
		Format: report.FormatName, FormatVersion: report.FormatVersion,
		Tool:     report.Tool{Name: "winnow", Version: versionName(), Go: runtime.Version(), Decoders: []string{strings.TrimSpace(decoderLines()[1])}},
		Complete: ctx.Err() == nil, Started: start.UTC(), Finished: finished.UTC(),
		Inputs: paths, HashSets: setInfo, Options: s.options(),
	}
	if r.HashSets == nil {
		r.HashSets = []report.HashSet{}
	}
	if !r.Complete {
		r.IncompleteReason = fmt.Sprintf("interrupted (Ctrl-C or a termination signal) after %d items (%d of %s top-level files done)",
			s.items.Load(), s.topDone.Load(), s.totalFilesText())
	}
	t0 := time.Now()
	thumbs := s.builder.Build(r, triage.SeriesOptions{})
	r.Counts.Archives = int(s.archives.Load())
	groupTime := time.Since(t0)
	t0 = time.Now()
	if err := writeReports(cfg, r, thumbs); err != nil {
		return err
	}
	writeTime := time.Since(t0)

	c := r.Counts.Verdicts
	fmt.Fprintf(e.stderr, "winnow scan: %d items (%s): %d known, %d variant, %d ignorable, %d new in %d series, %d errors; %.1f s\n",
		r.Counts.Items, humanBytes(r.Counts.Bytes), c["known"], c["variant"], c["ignorable"], c["new"], r.Counts.Groups, c["error"], finished.Sub(start).Seconds())
	if cfg.stats {
		s.printStats(e.stderr, finished.Sub(start), groupTime, writeTime)
	}
	fmt.Fprintf(e.stderr, "report: %s\n", filepath.Join(cfg.out, "report.html"))
	switch {
	case !r.Complete:
		return &exitError{130, fmt.Errorf("interrupted; the report in %s is incomplete", cfg.out)}
	case len(missing) > 0:
		return fmt.Errorf("cannot read %s (the report covers the other paths)", strings.Join(missing, ", "))
	}
	return nil
}

// inside reports whether path dir lies in or at folder root (a file root
// holds nothing).
func inside(dir, root string) bool {
	fi, err := os.Stat(root)
	if err != nil || !fi.IsDir() {
		return false
	}
	d, err1 := filepath.Abs(dir)
	r, err2 := filepath.Abs(root)
	if err1 != nil || err2 != nil {
		return false
	}
	if rr, err := filepath.EvalSymlinks(r); err == nil {
		r = rr
	}
	// The report folder may not exist yet: resolve its nearest parent.
	for p := d; ; p = filepath.Dir(p) {
		if rp, err := filepath.EvalSymlinks(p); err == nil {
			rel, _ := filepath.Rel(p, d)
			d = filepath.Join(rp, rel)
			break
		}
		if filepath.Dir(p) == p {
			break
		}
	}
	rel, err := filepath.Rel(r, d)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// prepareOut creates the report folder and checks that it can be written
// before the scan starts, so that a long scan does not end unable to
// write its report.
func prepareOut(dir string, force bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("--out: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "report.json")); err == nil && !force {
		return &exitError{1, fmt.Errorf("%s already holds a report: choose another --out, or pass --force to overwrite it", dir)}
	}
	f, err := os.CreateTemp(dir, ".winnow-write-test-*")
	if err != nil {
		return fmt.Errorf("--out %s is not writable: %w", dir, unwrapPathErr(err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// writeReports writes the four report files, each atomically.
func writeReports(cfg scanConfig, r *report.Report, thumbs map[int]*image.Gray) error {
	caseID := make([]byte, 16)
	rand.Read(caseID)
	caseID[6], caseID[8] = caseID[6]&0x0f|0x40, caseID[8]&0x3f|0x80 // a version 4 UUID
	h := hex.EncodeToString(caseID)
	vc := report.VICSCase{CaseID: h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:],
		CaseNumber: cfg.caseNumber, ContactName: cfg.examiner, SourceApp: "Winnow", SourceVer: r.Tool.Version}
	files := []struct {
		name  string
		write func(io.Writer) error
	}{
		{"report.json", func(w io.Writer) error { return report.WriteJSON(w, r) }},
		{"report.csv", func(w io.Writer) error { return report.WriteCSV(w, r) }},
		{"report.html", func(w io.Writer) error {
			opt := report.HTMLOptions{Thumbnails: cfg.thumbnails, Rows: cfg.rows}
			if opt.Thumbnails == 0 {
				opt.Thumbnails = -1 // none
			}
			return report.WriteHTML(w, r, thumbs, opt)
		}},
		{"report-vics.json", func(w io.Writer) error { return report.WriteVICS(w, r, vc) }},
	}
	for _, f := range files {
		if err := writeAtomic(filepath.Join(cfg.out, f.name), f.write); err != nil {
			return fmt.Errorf("write %s: %w", f.name, err)
		}
	}
	return nil
}

func writeAtomic(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	bw := bufio.NewWriterSize(f, 256<<10)
	if err := write(bw); err != nil {
		f.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// loadScanSet loads a compiled set, or compiles any other hash-set file in
// memory.
func loadScanSet(ctx context.Context, e *env, path string) (*triage.HashSet, report.HashSet, error) {
	info := report.HashSet{File: path}
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, info, fmt.Errorf("--hashset: cannot read %s: %w", path, unwrapPathErr(err))
	}
	sum := sha256.Sum256(buf)
	info.FileSHA256 = hex.EncodeToString(sum[:])
	s, err := triage.ParseHashSet(buf)
	if err != nil && (triage.ErrorCode(err) != triage.EINVALID || errors.Is(err, triage.ErrCorruptSet)) {
		return nil, info, fmt.Errorf("--hashset %s: %w", path, err)
	}
	if err != nil { // not a compiled set: import it
		if s, err = compileInMemory(ctx, e, path, info.FileSHA256); err != nil {
			return nil, info, err
		}
	}
	info.Name, info.Version, info.Kind, info.Entries, info.Description = s.Meta.Name, s.Meta.Version, s.Meta.Kind, s.Len(), s.Meta.Description
	info.PDQRadius, info.PHashRadius = s.Meta.PDQRadius, s.Meta.PHashRadius
	return s, info, nil
}

// compileInMemory imports a hash-set file as `winnow hashset build` would
// and loads the result; sum is the file's SHA-256, which names the version
// when the file records none.
func compileInMemory(ctx context.Context, e *env, path, sum string) (*triage.HashSet, error) {
	b := triage.NewHashSetBuilder(triage.SetMeta{Created: time.Now().UTC().Truncate(time.Second)})
	src, err := importInput(ctx, e, b, path, formats.Options{}, triage.Category{}, 20)
	if err != nil {
		return nil, fmt.Errorf("--hashset: %w", err)
	}
	if b.Len() == 0 {
		return nil, fmt.Errorf("--hashset %s: no entries imported", path)
	}
	b.Meta.Sources = []triage.SetSource{src}
	b.Meta.Stats = src.Stats
	b.Meta.Name = src.Meta["name"]
	if b.Meta.Name == "" {
		b.Meta.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	b.Meta.Version = src.Meta["version"]
	if b.Meta.Version == "" {
		b.Meta.Version = "sha256:" + sum[:16]
	}
	b.Meta.Kind = triage.KindAlert
	if src.Meta["kind"] == triage.KindKnownGood {
		b.Meta.Kind = triage.KindKnownGood
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		return nil, err
	}
	fmt.Fprintf(e.stderr, "%s (%s): %s; set %q (%s)\n", path, src.Format, src.Stats, b.Meta.Name, b.Meta.Kind)
	return triage.ParseHashSet(buf.Bytes())
}

// job is one item on its way through the pipeline.
type job struct {
	key   string // sort key: input index, path, member index chain
	path  string // as reported
	outer string // the file on the evidence
	inner string // path inside outer, for members
	raw   string // a member's stored name, if sanitised
	mod   time.Time
	top   int64 // size of a top-level file, for progress (-1 for members)

	file    string              // a file to hash
	data    []byte              // or member bytes in memory
	fp      *triage.Fingerprint // or a fingerprint already made
	err     error               // or why there is nothing to read
	note    error               // a problem to record even if hashing succeeds
	archive *report.ArchiveInfo
	origin  *triage.Origin // where in a disk image the member was found
	release func()
}

// scanner is the pipeline: a walker and archive expanders feed a bounded
// channel; workers hash, match and decide; a Builder collects.
type scanner struct {
	cfg     scanConfig
	hasher  *triage.Hasher
	matcher *triage.Matcher
	rules   triage.Rules
	builder report.Builder
	log     *slog.Logger

	jobs    chan *job
	pending sync.WaitGroup // jobs sent and not yet recorded
	expand  *queue[*expansion]
	budget  *byteBudget // member bytes held in memory

	// counters for progress and stats
	items, bytes, topDone, topBytes, errors, archives atomic.Int64
	partBytes                                         atomic.Int64 // read so far of archives being expanded
	totalFiles, totalBytes                            atomic.Int64 // -1 until counted
	mu                                                sync.Mutex
	times                                             triage.StageTimes
	matchTime                                         time.Duration
}

// expansion is an archive file waiting to be expanded, with its own item.
type expansion struct {
	j  *job
	fp triage.Fingerprint
	f  archive.Format
}

func newScanner(cfg scanConfig, m *triage.Matcher) *scanner {
	s := &scanner{
		cfg: cfg, matcher: m,
		hasher: triage.NewHasher(triage.HasherOptions{
			Algos:  triage.AlgosCrypto | triage.AlgoSet(triage.AlgoPDQ|triage.AlgoPDQDihedral|triage.AlgoPHash|triage.AlgoDHash),
			Limits: cfg.limits, NoFastJPEG: cfg.noFastJPEG, JPEGMinSide: cfg.jpegMinSide, ThumbSide: thumbSide,
			Views: true,
		}),
		jobs:   make(chan *job, cfg.workers*4),
		expand: newQueue[*expansion](),
		budget: newByteBudget(max(256<<20, 2*cfg.limits.BufferBytes)),
	}
	s.rules = cfg.rules
	s.totalFiles.Store(-1)
	s.totalBytes.Store(-1)
	return s
}

// run scans the paths and returns those that could not be read.
func (s *scanner) run(ctx context.Context, paths []string) (missing []string) {
	go s.count(ctx, paths)
	var wg sync.WaitGroup
	for range s.cfg.workers {
		wg.Go(func() {
			for j := range s.jobs {
				s.work(ctx, j)
			}
		})
	}
	var ewg sync.WaitGroup
	for range min(2, s.cfg.workers) {
		ewg.Go(func() {
			for {
				x, ok := s.expand.pop()
				if !ok {
					return
				}
				s.expandArchive(ctx, x)
			}
		})
	}
	missing = s.walk(ctx, paths)
	s.pending.Wait() // every job recorded, every archive expanded
	close(s.jobs)
	s.expand.close()
	wg.Wait()
	ewg.Wait()
	return missing
}

// count totals the files and bytes under paths for the progress display.
func (s *scanner) count(ctx context.Context, paths []string) {
	var n, b int64
	for _, p := range paths {
		archive.WalkTree(ctx, p, archive.TreeOptions{FollowSymlinks: s.cfg.followSymlinks}, func(e archive.TreeEntry) error {
			n++
			if e.Info != nil {
				b += e.Info.Size()
			}
			return nil
		})
	}
	if ctx.Err() == nil {
		s.totalFiles.Store(n)
		s.totalBytes.Store(b)
	}
}

// walk sends a job for every entry under paths.
func (s *scanner) walk(ctx context.Context, paths []string) (missing []string) {
	for i, root := range paths {
		err := archive.WalkTree(ctx, root, archive.TreeOptions{FollowSymlinks: s.cfg.followSymlinks}, func(e archive.TreeEntry) error {
			j := &job{key: fmt.Sprintf("%04d\x00%s\x00", i, e.Path), path: e.Path, outer: e.Path, err: e.Err, top: 0}
			if e.Info != nil {
				j.file, j.mod, j.top = e.Path, e.Info.ModTime(), e.Info.Size()
			}
			return s.send(ctx, j)
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

// send queues a job unless the scan was interrupted.
func (s *scanner) send(ctx context.Context, j *job) error {
	s.pending.Add(1)
	select {
	case s.jobs <- j:
		return nil
	case <-ctx.Done():
		s.pending.Done()
		if j.release != nil {
			j.release()
		}
		return ctx.Err()
	}
}

// work hashes one job and records it, or hands an archive to an expander.
func (s *scanner) work(ctx context.Context, j *job) {
	if j.release != nil {
		defer j.release()
	}
	if ctx.Err() != nil { // interrupted: abandon what was queued
		s.pending.Done()
		return
	}
	var fp triage.Fingerprint
	switch {
	case j.fp != nil:
		fp = *j.fp
	case j.err != nil:
		fp.Err = j.err
	case j.data != nil:
		fp = s.hasher.HashBytes(ctx, j.data)
	default:
		fp = s.hasher.HashFile(ctx, j.file)
	}
	if j.file != "" && fp.Err == nil && !s.cfg.noDiskImages && isDiskImage(j.file, fp) {
		s.expand.push(&expansion{j: j, fp: fp, f: diskImage})
		return
	}
	if j.file != "" && fp.Err == nil {
		f, err := archive.FormatOf(fp.Type)
		if f != "" {
			s.expand.push(&expansion{j: j, fp: fp, f: f}) // the expander records it and calls Done
			return
		}
		fp.Err = err
	}
	s.record(j, &fp)
	s.pending.Done()
}

// record matches, decides and adds one item to the report.
func (s *scanner) record(j *job, fp *triage.Fingerprint) {
	if fp.Err == nil && j.note != nil {
		fp.Err = j.note
	}
	t0 := time.Now()
	ms := s.matcher.Match(fp)
	d := s.rules.Decide(fp, ms)
	mt := time.Since(t0)
	it := report.NewItem(fp, d, ms)
	it.Path, it.OuterPath, it.InnerPath, it.RawName, it.Archive, it.Origin = j.path, j.outer, j.inner, j.raw, j.archive, j.origin
	if !j.mod.IsZero() {
		mod := j.mod.UTC()
		it.Modified = &mod
	}
	s.builder.Add(it, j.key, triage.GroupItemOf(fp, false), fp.Thumb)

	s.bytes.Add(fp.Size)
	if fp.Err != nil {
		s.errors.Add(1)
	}
	if j.top >= 0 && j.inner == "" {
		s.topDone.Add(1)
		s.topBytes.Add(j.top)
	}
	s.mu.Lock()
	s.times.Add(fp.Times)
	s.matchTime += mt
	s.mu.Unlock()
	n := s.items.Add(1)
	if s.cfg.afterItem != nil {
		s.cfg.afterItem(n)
	}
}

// expandArchive walks one archive file, sending a job per member, and then
// records the archive's own item.
func (s *scanner) expandArchive(ctx context.Context, x *expansion) {
	if x.f == diskImage {
		s.expandDisk(ctx, x)
		return
	}
	defer s.pending.Done()
	j := x.j
	fp := x.fp
	direct := map[string]int{} // members directly inside each archive, by inner path ("" for this one)
	f, err := os.Open(j.file)
	if err == nil {
		var fi os.FileInfo
		if fi, err = f.Stat(); err == nil {
			// Count the archive's bytes into the progress as they are read.
			cr := &progressReaderAt{r: f, size: fi.Size(), done: &s.partBytes}
			_, err = archive.Walk(ctx, cr, fi.Size(), archive.Options{Limits: s.cfg.archive, Name: filepath.Base(j.file)},
				func(m *archive.Member, r io.Reader) error { return s.member(ctx, j, m, r, direct, nil) })
			s.partBytes.Add(-cr.counted.Load())
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
	s.archives.Add(1)
	j.archive = &report.ArchiveInfo{Format: string(x.f), Members: direct[""]}
	s.record(j, &fp)
}

// member turns one archive member (or a file of a disk image, with its
// origin) into a job.
func (s *scanner) member(ctx context.Context, parent *job, m *archive.Member, r io.Reader, direct map[string]int, origin *triage.Origin) error {
	container := ""
	if k := strings.LastIndex(m.Inner, "!/"); k >= 0 {
		container = m.Inner[:k]
	}
	direct[container]++
	var chain strings.Builder
	for _, i := range m.Indexes {
		fmt.Fprintf(&chain, "%08d/", i)
	}
	path := parent.outer + "!/" + m.Inner
	j := &job{key: parent.key[:strings.IndexByte(parent.key, 0)+1] + path + "\x00" + chain.String(), path: path,
		outer: parent.outer, inner: m.Inner, raw: m.RawName, mod: m.ModTime, top: -1, note: m.Err, origin: origin}
	if m.Format != "" {
		s.archives.Add(1)
		j.archive = &report.ArchiveInfo{Format: string(m.Format), Members: direct[m.Inner]}
	}
	switch {
	case r == nil && m.Digests != nil:
		fp := triage.Fingerprint{Size: m.Size, Digests: *m.Digests, Type: archiveType(m.Format), Err: m.Err}
		j.fp = &fp
	case r == nil:
		j.err = m.Err
		if j.err == nil {
			j.err = triage.Errorf(triage.EINVALID, "archive member could not be read")
		}
	case m.Data != nil:
		release, err := s.budget.acquire(ctx, int64(len(m.Data)))
		if err != nil {
			return err
		}
		j.data, j.release = m.Data, release
	case m.Size >= 0 && m.Size <= s.cfg.limits.BufferBytes:
		release, err := s.budget.acquire(ctx, m.Size)
		if err != nil {
			return err
		}
		buf := make([]byte, 0, m.Size+1)
		buf, err = triage.ReadUpTo(r, buf, s.cfg.limits.BufferBytes)
		switch {
		case err != nil:
			release()
			j.err = triage.Errorf(triage.EINVALID, "read: %v", triage.ErrorMessage(err))
		case int64(len(buf)) > s.cfg.limits.BufferBytes: // the header lied: stream the rest here
			fp := s.hasher.HashReader(ctx, io.MultiReader(bytes.NewReader(buf), r), -1)
			release()
			j.fp = &fp
		default:
			j.data, j.release = buf, release
		}
	default: // large or of unknown size: hash it here, streamed
		fp := s.hasher.HashReader(ctx, r, m.Size)
		j.fp = &fp
	}
	return s.send(ctx, j)
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

func archiveType(f archive.Format) triage.MediaType {
	mime := map[archive.Format]string{archive.Zip: "application/zip", archive.Tar: "application/x-tar",
		archive.Gzip: "application/gzip", archive.Bzip2: "application/x-bzip2"}[f]
	return triage.MediaType{MIME: mime, Kind: triage.KindArchive}
}

// options records the configuration in the report.
func (s *scanner) options() report.Options {
	l := s.cfg.limits
	d := triage.DefaultLimits
	al := s.cfg.archive
	so := triage.DefaultSeriesOptions
	return report.Options{
		Workers: s.cfg.workers, Algorithms: s.hasher.Algos().String(), FollowSymlinks: s.cfg.followSymlinks, FastJPEG: s.hasher.FastJPEG(),
		Rules: s.rules,
		// The Matcher's defaults (NewMatcher with zero options); a set may
		// override the radii (hash_sets[].pdq_radius, phash_radius).
		Matching: report.MatchingOptions{PDQRadius: index.DefaultRadius256, PHashRadius: index.DefaultRadius64, MinPDQQuality: 50},
		ImageLimits: report.ImageLimits{MaxPixels: l.MaxPixels, MaxImageBytes: l.MaxImageBytes, BufferBytes: l.BufferBytes,
			DecodeMemory: l.DecodeMemory, MinSide: d.MinSide},
		ArchiveLimits: report.ArchiveLimits{MaxDepth: al.MaxDepth, MaxEntries: al.MaxEntries, MaxMemberBytes: al.MaxMemberBytes,
			MaxTotalBytes: al.MaxTotalBytes, MaxRatio: al.MaxRatio, RatioFloor: archive.DefaultLimits.RatioFloor, MaxNestedBytes: al.MaxNestedBytes},
		Series:     report.SeriesOptions{PDQRadius: so.PDQRadius, PHashRadius: so.PHashRadius, PHashPDQRadius: so.PHashPDQRadius, MinPDQQuality: so.MinPDQQuality},
		Thumbnails: s.cfg.thumbnails, HTMLRows: s.cfg.rows,
	}
}

func (s *scanner) totalFilesText() string {
	if n := s.totalFiles.Load(); n >= 0 {
		return fmt.Sprint(n)
	}
	return "an uncounted number of"
}

// startProgress shows a progress bar on a terminal, or logs progress lines
// every cfg.logEvery otherwise; the returned function stops it.
func (s *scanner) startProgress(e *env) func() {
	start := time.Now()
	if s.cfg.progress {
		p := startProgress(e.stderr, func() string {
			el := time.Since(start)
			done, total := s.topBytes.Load()+s.partBytes.Load(), s.totalBytes.Load()
			line := fmt.Sprintf("%s %d/%s files, %s, %.1f MB/s, %d items, %d errors",
				progressBar(done, total, 24), s.topDone.Load(), s.totalFilesText(), humanBytes(done),
				float64(done)/1e6/el.Seconds(), s.items.Load(), s.errors.Load())
			if left := eta(done, total, el); left != "" {
				line += ", ETA " + left
			}
			return line
		})
		return p.stop
	}
	if s.cfg.logEvery <= 0 {
		return func() {}
	}
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(s.cfg.logEvery)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				el := time.Since(start)
				done, total := s.topBytes.Load()+s.partBytes.Load(), s.totalBytes.Load()
				s.log.Info("scan progress", "files", s.topDone.Load(), "files_total", s.totalFiles.Load(),
					"bytes", done, "bytes_total", total, "items", s.items.Load(), "errors", s.errors.Load(),
					"mb_per_s", fmt.Sprintf("%.1f", float64(done)/1e6/el.Seconds()), "eta", eta(done, total, el))
			case <-quit:
				return
			}
		}
	})
	return func() { close(quit); wg.Wait() }
}

func (s *scanner) printStats(w io.Writer, el, group, write time.Duration) {
	n, b := s.items.Load(), s.bytes.Load()
	sec := el.Seconds()
	fmt.Fprintf(w, "winnow scan: %d items (%d top-level files, %d archives expanded), %s in %.2f s\n", n, s.topDone.Load(), s.archives.Load(), humanBytes(b), sec)
	fmt.Fprintf(w, "  throughput: %.1f items/s, %.1f MB/s with %d workers\n", float64(n)/sec, float64(b)/1e6/sec, s.cfg.workers)
	t := s.times
	fmt.Fprintf(w, "  stage time summed over workers: read %.2f s, digest %.2f s (concurrent with decode), decode %.2f s, perceptual hashes %.2f s, match+decide %.2f s\n",
		t.Read.Seconds(), t.Digest.Seconds(), t.Decode.Seconds(), t.Hash.Seconds(), s.matchTime.Seconds())
	fmt.Fprintf(w, "  after the scan: grouping %.2f s, writing reports %.2f s; algorithms: %s\n", group.Seconds(), write.Seconds(), s.hasher.Algos())
}

// queue is an unbounded FIFO: workers hand archives to expanders without
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

// byteBudget is a weighted semaphore over bytes of member data in memory.
// A request larger than the whole budget waits until it can run alone.
type byteBudget struct {
	mu         sync.Mutex
	cond       *sync.Cond
	total, use int64
}

func newByteBudget(total int64) *byteBudget {
	b := &byteBudget{total: total}
	b.cond = sync.NewCond(&b.mu)
	return b
}

// acquire reserves n bytes; the returned function gives them back.
func (b *byteBudget) acquire(ctx context.Context, n int64) (func(), error) {
	n = min(n, b.total)
	stop := context.AfterFunc(ctx, func() {
		b.mu.Lock()
		b.cond.Broadcast()
		b.mu.Unlock()
	})
	defer stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.use+n > b.total {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b.cond.Wait()
	}
	b.use += n
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			b.use -= n
			b.mu.Unlock()
			b.cond.Broadcast()
		})
	}, nil
}

// readRulesFile reads a matching rules file (winnow scan --rules,
// WINNOW_RULES for the worker).
func readRulesFile(path string) (triage.Rules, error) {
	f, err := os.Open(path)
	if err != nil {
		return triage.Rules{}, err
	}
	defer f.Close()
	rules, err := triage.ParseRules(f)
	if err != nil {
		return triage.Rules{}, fmt.Errorf("%s: %v", path, err)
	}
	return rules, nil
}
