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
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/container"
	"github.com/winnow-forensics/winnow/triage/formats"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/index"
	"github.com/winnow-forensics/winnow/triage/keypoint"
	"github.com/winnow-forensics/winnow/triage/matching"
	"github.com/winnow-forensics/winnow/triage/pipeline"
	"github.com/winnow-forensics/winnow/triage/report"
	"github.com/winnow-forensics/winnow/triage/series"
	"github.com/winnow-forensics/winnow/triage/setfile"
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

Phone extractions (a Cellebrite UFDR, a GrayKey file-system zip) are read
like archives, each file under its device path (PHONE.ufdr!/private/var/
...) with its deleted flag and times; files the UFDR lists by digest only
are matched by those digests.

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
	carve          carveMode
	limits         hashing.Limits
	archive        container.Limits
	noFastJPEG     bool
	jpegMinSide    int
	minSide        int
	rules          matching.Rules
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
	var carveFlag carveMode
	fs.Var(&carveFlag, "carve", "carve pictures from disk images' unallocated space (--carve), or from whole images and files of unknown type (--carve=all)")
	maxMP := fs.Float64("max-megapixels", float64(hashing.DefaultLimits.MaxPixels)/1e6, "refuse to decode images declaring more megapixels than this (decompression bombs)")
	maxImageMiB := fs.Int64("max-image-mib", hashing.DefaultLimits.MaxImageBytes>>20, "do not decode image files larger than this many MiB (they are still digested)")
	bufferMiB := fs.Int64("buffer-mib", hashing.DefaultLimits.BufferBytes>>20, "files and archive members up to this many MiB are read into memory once; larger ones are streamed")
	decodeMiB := fs.Int64("decode-memory-mib", hashing.DefaultLimits.DecodeMemory>>20, "memory all concurrent decodes may hold together, in MiB")
	noFast := fs.Bool("no-fast-jpeg", false, "decode JPEGs with Go's image/jpeg even when libjpeg-turbo is built in")
	jpegMinSide := fs.Int("jpeg-min-side", hashing.TurboMinSide, "libjpeg-turbo decodes JPEGs over 3.5 MP at the smallest scale k/8 keeping the shorter side at least this long (smaller ones at full size)")
	minSide := fs.Int("min-side", 0, "images whose shorter side is under this many pixels are ignorable (-1: off; default: the rules' min_side, 50)")
	rulesFile := fs.String("rules", "", "matching and verdict rules, JSON (README, \"Verdict rules\"); default: the built-in rules")
	maxDepth := fs.Int("max-archive-depth", container.DefaultLimits.MaxDepth, "archives nested deeper than this are reported, not expanded")
	maxMembers := fs.Int("max-archive-members", container.DefaultLimits.MaxEntries, "members of one archive expanded at most")
	maxMemberGiB := fs.Int64("max-member-gib", container.DefaultLimits.MaxMemberBytes>>30, "largest archive member read, in GiB")
	maxExpandedGiB := fs.Int64("max-expanded-gib", container.DefaultLimits.MaxTotalBytes>>30, "most bytes expanded from one archive, nested ones included, in GiB")
	maxRatio := fs.Int64("max-archive-ratio", container.DefaultLimits.MaxRatio, "most an archive, member or stream may expand over its compressed size (zip bombs)")
	maxNestedMiB := fs.Int64("max-nested-mib", container.DefaultLimits.MaxNestedBytes>>20, "memory for zips nested in other archives (they are never written to disk), in MiB")
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
	rules := matching.DefaultRules()
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
		verifyImage: *verifyImage, noDiskImages: *noDisk, carve: carveFlag,
		limits: hashing.Limits{
			MaxPixels: int64(*maxMP * 1e6), MaxImageBytes: *maxImageMiB << 20, BufferBytes: *bufferMiB << 20, DecodeMemory: *decodeMiB << 20,
		},
		archive: container.Limits{
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
	m := matching.New(matching.Options{Rules: &cfg.rules})
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
		p := s.engine.Progress()
		r.IncompleteReason = fmt.Sprintf("interrupted (Ctrl-C or a termination signal) after %d items (%d of %s top-level files done)",
			p.Items, p.Files, totalFilesText(p))
	}
	t0 := time.Now()
	thumbs := s.builder.Build(r, series.Options{})
	p := s.engine.Progress()
	r.Counts.Archives, r.Counts.CarvedUndecodable = int(p.Containers), int(p.CarvedUndecodable)
	groupTime := time.Since(t0)
	t0 = time.Now()
	if err := writeReports(cfg, r, thumbs); err != nil {
		return err
	}
	writeTime := time.Since(t0)

	c := r.Counts.Verdicts
	dropped := ""
	if n := r.Counts.CarvedUndecodable; n > 0 {
		dropped = fmt.Sprintf(" (%d carved candidates cut short and undecodable, not items)", n)
	}
	fmt.Fprintf(e.stderr, "winnow scan: %d items (%s): %d known, %d variant, %d ignorable, %d new in %d series, %d errors%s; %.1f s\n",
		r.Counts.Items, report.HumanBytes(r.Counts.Bytes), c["known"], c["variant"], c["ignorable"], c["new"], r.Counts.Groups, c["error"], dropped, finished.Sub(start).Seconds())
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
		return fmt.Errorf("--out %s is not writable: %w", dir, triage.UnwrapPath(err))
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
func loadScanSet(ctx context.Context, e *env, path string) (*setfile.Set, report.HashSet, error) {
	info := report.HashSet{File: path}
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, info, fmt.Errorf("--hashset: cannot read %s: %w", path, triage.UnwrapPath(err))
	}
	sum := sha256.Sum256(buf)
	info.FileSHA256 = hex.EncodeToString(sum[:])
	s, err := setfile.Parse(buf)
	if err != nil && (triage.ErrorCode(err) != triage.EINVALID || errors.Is(err, setfile.ErrCorrupt)) {
		return nil, info, fmt.Errorf("--hashset %s: %w", path, err)
	}
	if err != nil { // not a compiled set: import it
		if s, err = compileInMemory(ctx, e, path, info.FileSHA256); err != nil {
			return nil, info, err
		}
	}
	if c := s.SchemeConflicts(); len(c) > 0 {
		fmt.Fprintf(e.stderr, "--hashset %s: the set defines category schemes %s differently from --schemes or an earlier set; the first definition is used for labels (the entries' kinds are the set's own)\n",
			path, strings.Join(c, ", "))
	}
	if n := s.OldKeypoints(); n > 0 {
		fmt.Fprintf(e.stderr, "--hashset %s: its %d local features (keypoints) are of an older Winnow's design and are not used; rebuild the set from its media with `winnow hashset build` to match heavy crops by them\n", path, n)
	}
	info.Name, info.Version, info.Kind, info.Entries, info.Description = s.Meta.Name, s.Meta.Version, string(s.Meta.Kind), s.Len(), s.Meta.Description
	info.PDQRadius, info.PHashRadius = s.Meta.PDQRadius, s.Meta.PHashRadius
	return s, info, nil
}

// compileInMemory imports a hash-set file as `winnow hashset build` would
// and loads the result; sum is the file's SHA-256, which names the version
// when the file records none.
func compileInMemory(ctx context.Context, e *env, path, sum string) (*setfile.Set, error) {
	b := setfile.NewBuilder(triage.SetMeta{Kind: triage.SetKindAlert, Created: time.Now().UTC().Truncate(time.Second)})
	src, err := importInput(ctx, e, b, path, formats.Options{}, triage.Category{}, "", 20)
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
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		return nil, err
	}
	fmt.Fprintf(e.stderr, "%s (%s): %s; set %q (%s)\n", path, src.Format, src.Stats, b.Meta.Name, b.Kind())
	return setfile.Parse(buf.Bytes())
}

// scanner is one scan: the pipeline engine and the report it fills.
type scanner struct {
	cfg     scanConfig
	hasher  *hashing.Hasher
	engine  *pipeline.Engine
	builder report.Builder
	log     *slog.Logger
}

func newScanner(cfg scanConfig, m *matching.Matcher) *scanner {
	opt := pipeline.Profile(hashing.Options{
		Limits: cfg.limits, NoFastJPEG: cfg.noFastJPEG, JPEGMinSide: cfg.jpegMinSide, ThumbSide: thumbSide, Decoders: decoders,
	})
	if m != nil && m.WantsKeypoints() {
		opt.Keypoints = keypoint.Query     // only when a set can match them
		opt.SkipKeypoints = m.KnownExactly // and not for files already known
	}
	s := &scanner{cfg: cfg, hasher: hashing.New(opt)}
	s.engine = pipeline.New(pipeline.Config{
		Hasher: s.hasher, Matcher: m, Rules: cfg.rules, Containers: scanContainers(cfg), Limits: cfg.archive,
		Workers: cfg.workers, Walk: pipeline.WalkOptions{FollowSymlinks: cfg.followSymlinks}, Count: true,
		AfterItem: cfg.afterItem,
	})
	return s
}

// run scans the paths and returns those that could not be read.
func (s *scanner) run(ctx context.Context, paths []string) (missing []string) {
	return s.engine.Run(ctx, paths, s.add)
}

// add records one item in the report.
func (s *scanner) add(r *pipeline.Result) {
	fp := &r.Fingerprint
	it := report.NewItem(fp, r.Decision, r.Matches)
	it.Path, it.OuterPath, it.InnerPath, it.RawName = r.Path, r.Outer, r.Inner, r.RawName
	if r.Container != nil {
		it.Archive = &report.ArchiveInfo{Format: r.Container.Format, Members: r.Container.Members}
	}
	if !r.Modified.IsZero() {
		mod := r.Modified.UTC()
		it.Modified = &mod
	}
	if r.Member != nil {
		it.Origin = r.Member.Origin()
	}
	s.builder.Add(it, r.Key, series.ItemOf(fp, false), fp.Thumb)
}

// options records the configuration in the report.
func (s *scanner) options() report.Options {
	l := s.cfg.limits
	d := hashing.DefaultLimits
	al := s.cfg.archive
	so := series.DefaultOptions
	return report.Options{
		Workers: s.cfg.workers, Algorithms: s.hasher.Algos().String(), FollowSymlinks: s.cfg.followSymlinks, FastJPEG: s.hasher.FastJPEG(),
		Rules: s.cfg.rules,
		// The Matcher's defaults (NewMatcher with zero options); a set may
		// override the radii (hash_sets[].pdq_radius, phash_radius).
		Matching: report.MatchingOptions{PDQRadius: index.DefaultRadius256, PHashRadius: index.DefaultRadius64, MinPDQQuality: 50},
		ImageLimits: report.ImageLimits{MaxPixels: l.MaxPixels, MaxImageBytes: l.MaxImageBytes, BufferBytes: l.BufferBytes,
			DecodeMemory: l.DecodeMemory, MinSide: d.MinSide},
		ArchiveLimits: report.ArchiveLimits{MaxDepth: al.MaxDepth, MaxEntries: al.MaxEntries, MaxMemberBytes: al.MaxMemberBytes,
			MaxTotalBytes: al.MaxTotalBytes, MaxRatio: al.MaxRatio, RatioFloor: container.DefaultLimits.RatioFloor, MaxNestedBytes: al.MaxNestedBytes},
		Series:     report.SeriesOptions{PDQRadius: so.PDQRadius, PHashRadius: so.PHashRadius, PHashPDQRadius: so.PHashPDQRadius, MinPDQQuality: so.MinPDQQuality},
		Thumbnails: s.cfg.thumbnails, HTMLRows: s.cfg.rows,
	}
}

func totalFilesText(p pipeline.Progress) string {
	if p.FilesTotal >= 0 {
		return fmt.Sprint(p.FilesTotal)
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
			p := s.engine.Progress()
			done, total := p.Bytes, p.BytesTotal
			line := fmt.Sprintf("%s %d/%s files, %s, %.1f MB/s, %d items, %d errors",
				progressBar(done, total, 24), p.Files, totalFilesText(p), report.HumanBytes(done),
				float64(done)/1e6/el.Seconds(), p.Items, p.Errors)
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
				p := s.engine.Progress()
				done, total := p.Bytes, p.BytesTotal
				s.log.Info("scan progress", "files", p.Files, "files_total", p.FilesTotal,
					"bytes", done, "bytes_total", total, "items", p.Items, "errors", p.Errors,
					"mb_per_s", fmt.Sprintf("%.1f", float64(done)/1e6/el.Seconds()), "eta", eta(done, total, el))
			case <-quit:
				return
			}
		}
	})
	return func() { close(quit); wg.Wait() }
}

func (s *scanner) printStats(w io.Writer, el, group, write time.Duration) {
	p := s.engine.Progress()
	n, b := p.Items, p.ItemBytes
	sec := el.Seconds()
	fmt.Fprintf(w, "winnow scan: %d items (%d top-level files, %d archives expanded), %s in %.2f s\n", n, p.Files, p.Containers, report.HumanBytes(b), sec)
	fmt.Fprintf(w, "  throughput: %.1f items/s, %.1f MB/s with %d workers\n", float64(n)/sec, float64(b)/1e6/sec, s.cfg.workers)
	t := p.Times
	fmt.Fprintf(w, "  stage time summed over workers: read %.2f s, digest %.2f s (concurrent with decode), decode %.2f s, perceptual hashes %.2f s, match+decide %.2f s\n",
		t.Read.Seconds(), t.Digest.Seconds(), t.Decode.Seconds(), t.Hash.Seconds(), p.MatchTime.Seconds())
	fmt.Fprintf(w, "  after the scan: grouping %.2f s, writing reports %.2f s; algorithms: %s\n", group.Seconds(), write.Seconds(), s.hasher.Algos())
}

// readRulesFile reads a matching rules file (winnow scan --rules,
// WINNOW_RULES for the worker).
func readRulesFile(path string) (matching.Rules, error) {
	f, err := os.Open(path)
	if err != nil {
		return matching.Rules{}, err
	}
	defer f.Close()
	rules, err := matching.ParseRules(f)
	if err != nil {
		return matching.Rules{}, fmt.Errorf("%s: %v", path, err)
	}
	return rules, nil
}
