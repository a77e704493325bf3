package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/pipeline"
	"github.com/winnow-forensics/winnow/triage/report"
)

const hashDescription = `
Fingerprint every file under the given paths (directories are recursed) and
print one JSON object per file on stdout (JSON Lines), in the order the files
were found. Each file is read once: the same bytes feed MD5, SHA-1 and
SHA-256 (computed concurrently), type sniffing by content and, for images,
a bounded decode for the perceptual hashes.

Fields: path, size, md5, sha1, sha256, mime, kind, width, height, pdq,
pdq_quality, phash, dhash, decoder, error (ahash, pdq_dihedral and vpdq
when asked for). With --algo vpdq, videos get "vpdq": an array of
{"frame", "quality", "pdq", "timestamp"} in frame order, sampled as Meta's
reference samples them (a frame whose index is a multiple of
int(interval x fps); --vpdq-interval 0: every frame), each frame hashed at
full resolution as stored. Videos are decoded by ffmpeg in a sandboxed child
process. Hashes are lowercase hex; PDQ uses the reference 64-hex layout
and the full-size convention. A hash that was not computed is null. A file
that fails gets "error" and the run goes on.

Symbolic links met while walking a directory are reported with an error and
not followed unless --follow-symlinks is set (and never out of the folder);
special files are reported and skipped. Exit status: 0 when the run completed (per-file errors are in the
output), 1 when a path argument could not be read, 2 for a bad command line,
130 when interrupted.

Algorithms (--algo, comma-separated): md5, sha1, sha256, pdq, pdq-dihedral,
phash, dhash, ahash, vpdq; or the groups default, all, crypto, perceptual.`

// hashConfig is the configuration of one hash run.
type hashConfig struct {
	algos          triage.AlgoSet
	workers        int
	stats          bool
	progress       bool
	followSymlinks bool
	limits         hashing.Limits
	noFastJPEG     bool
	jpegMinSide    int
	vpdqInterval   float64
}

func runHash(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "hash", "[flags] PATH...", hashDescription)
	algo := fs.String("algo", "default", "algorithms to compute, comma-separated")
	workers := fs.Int("workers", runtime.NumCPU(), "files hashed in parallel")
	stats := fs.Bool("stats", false, "print throughput and per-stage timing on stderr at the end")
	noProgress := fs.Bool("no-progress", false, "no progress line, even on a terminal")
	follow := fs.Bool("follow-symlinks", false, "follow symbolic links found inside directories")
	maxMP := fs.Float64("max-megapixels", float64(hashing.DefaultLimits.MaxPixels)/1e6, "refuse to decode images declaring more megapixels than this (decompression bombs)")
	maxImageMiB := fs.Int64("max-image-mib", hashing.DefaultLimits.MaxImageBytes>>20, "do not decode image files larger than this many MiB (they are still digested)")
	bufferMiB := fs.Int64("buffer-mib", hashing.DefaultLimits.BufferBytes>>20, "files up to this many MiB are read into memory once; larger ones are streamed")
	decodeMiB := fs.Int64("decode-memory-mib", hashing.DefaultLimits.DecodeMemory>>20, "memory all concurrent decodes may hold together, in MiB")
	noFast := fs.Bool("no-fast-jpeg", false, "decode JPEGs with Go's image/jpeg even when libjpeg-turbo is built in")
	jpegMinSide := fs.Int("jpeg-min-side", hashing.TurboMinSide, "libjpeg-turbo decodes JPEGs over 3.5 MP at the smallest scale k/8 keeping the shorter side at least this long (smaller ones at full size; larger: slower)")
	vpdqInterval := fs.Float64("vpdq-interval", hashing.DefaultFrameInterval, "seconds between the video frames vPDQ hashes (0: every frame)")
	cpuprofile := fs.String("cpuprofile", "", "write a Go CPU profile of the run to this file (for performance work)")
	paths, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if *cpuprofile != "" {
		stop, err := startCPUProfile(*cpuprofile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if len(paths) == 0 {
		fmt.Fprintln(e.stderr, "winnow hash: no PATH given")
		fs.Usage()
		return errUsage
	}
	algos, err := triage.ParseAlgoSet(*algo)
	if err != nil {
		return &exitError{2, err}
	}
	cfg := hashConfig{
		algos:          algos,
		workers:        *workers,
		stats:          *stats,
		progress:       e.stderrTerminal && !*noProgress,
		followSymlinks: *follow,
		noFastJPEG:     *noFast,
		jpegMinSide:    *jpegMinSide,
		vpdqInterval:   *vpdqInterval,
		limits: hashing.Limits{
			MaxPixels:     int64(*maxMP * 1e6),
			MaxImageBytes: *maxImageMiB << 20,
			BufferBytes:   *bufferMiB << 20,
			DecodeMemory:  *decodeMiB << 20,
		},
	}
	if err := cfg.validate(); err != nil {
		return &exitError{2, err}
	}
	setMemoryLimit(e, cfg)
	return hashPaths(ctx, e, cfg, paths)
}

// setMemoryLimit gives the Go runtime a soft memory limit of 64 MiB plus
// 80 MiB a worker: room for a 12 MP photo decoded at full size by the
// pure-Go path (YCbCr planes and a float luma plane) and its file buffer.
// The collector then runs before garbage doubles the heap; larger images
// still get their memory (the limit is soft, and the decode budget is what
// bounds them). GOMEMLIMIT, when set, wins.
func setMemoryLimit(e *env, cfg hashConfig) {
	if e.getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetMemoryLimit(64<<20 + int64(cfg.workers)*80<<20)
}

func (c hashConfig) validate() error {
	if c.jpegMinSide < 1 {
		return fmt.Errorf("--jpeg-min-side must be at least 1")
	}
	if c.workers < 1 {
		return fmt.Errorf("--workers must be at least 1")
	}
	if c.vpdqInterval < 0 {
		return fmt.Errorf("--vpdq-interval must not be negative")
	}
	if c.limits.MaxPixels <= 0 || c.limits.MaxImageBytes <= 0 || c.limits.BufferBytes <= 0 || c.limits.DecodeMemory <= 0 {
		return fmt.Errorf("limits must be positive")
	}
	return c.limits.Validate()
}

// hashRecord is one line of output. Pointers are null when not computed.
type hashRecord struct {
	Path        string      `json:"path"`
	Size        int64       `json:"size"`
	MD5         *string     `json:"md5"`
	SHA1        *string     `json:"sha1"`
	SHA256      *string     `json:"sha256"`
	MIME        string      `json:"mime"`
	Kind        string      `json:"kind"`
	Width       int         `json:"width"`
	Height      int         `json:"height"`
	PDQ         *string     `json:"pdq"`
	PDQQuality  *int        `json:"pdq_quality"`
	PHash       *string     `json:"phash"`
	DHash       *string     `json:"dhash"`
	AHash       *string     `json:"ahash,omitempty"`
	PDQDihedral []string    `json:"pdq_dihedral,omitempty"`
	Decoder     string      `json:"decoder,omitempty"`
	Partial     bool        `json:"partial,omitempty"`
	VPDQ        []vpdqFrame `json:"vpdq,omitempty"`
	Error       *string     `json:"error"`
}

// vpdqFrame is one element of a record's vpdq array: Meta's reference
// fields.
type vpdqFrame struct {
	Frame     int     `json:"frame"`
	Quality   int     `json:"quality"`
	PDQ       string  `json:"pdq"`
	Timestamp float64 `json:"timestamp"`
}

func strp(s string) *string { return &s }

func newHashRecord(path string, algos triage.AlgoSet, fp triage.Fingerprint) hashRecord {
	r := hashRecord{Path: path, Size: fp.Size, MIME: fp.Type.MIME, Kind: fp.Type.Kind.String(),
		Width: fp.Width, Height: fp.Height, Decoder: fp.Decoder, Partial: fp.Partial}
	if fp.Err != nil {
		r.Error = strp(triage.ErrorMessage(fp.Err))
	}
	if r.MIME == "" { // nothing was read
		return r
	}
	if algos.Has(triage.AlgoMD5) {
		r.MD5 = strp(fp.MD5.String())
	}
	if algos.Has(triage.AlgoSHA1) {
		r.SHA1 = strp(fp.SHA1.String())
	}
	if algos.Has(triage.AlgoSHA256) {
		r.SHA256 = strp(fp.SHA256.String())
	}
	for _, f := range fp.Frames {
		r.VPDQ = append(r.VPDQ, vpdqFrame{f.Frame, f.Quality, f.PDQ.String(), math.Round(f.Timestamp*1000) / 1000})
	}
	if !fp.Perceptual {
		return r
	}
	if algos.Has(triage.AlgoPDQ) || algos.Has(triage.AlgoPDQDihedral) {
		r.PDQ = strp(fp.PDQ.String())
		q := fp.PDQQuality
		r.PDQQuality = &q
	}
	if algos.Has(triage.AlgoPDQDihedral) {
		for _, h := range fp.PDQDihedral {
			r.PDQDihedral = append(r.PDQDihedral, h.String())
		}
	}
	if algos.Has(triage.AlgoPHash) {
		r.PHash = strp(fp.PHash.String())
	}
	if algos.Has(triage.AlgoDHash) {
		r.DHash = strp(fp.DHash.String())
	}
	if algos.Has(triage.AlgoAHash) {
		r.AHash = strp(fp.AHash.String())
	}
	return r
}

// hashStats are the totals of a run.
type hashStats struct {
	files, images, errors atomic.Int64
	bytes                 atomic.Int64
	times                 triage.StageTimes
	decoders              map[string]int
}

// add counts one fingerprint; the printer calls it, one at a time.
func (s *hashStats) add(fp *triage.Fingerprint) {
	s.files.Add(1)
	s.bytes.Add(fp.Size)
	if fp.Perceptual {
		s.images.Add(1)
	}
	if fp.Err != nil {
		s.errors.Add(1)
	}
	s.times.Add(fp.Times)
	if fp.Decoder != "" {
		d := fp.Decoder
		if i := strings.IndexByte(d, ' '); i > 0 {
			d = d[:i]
		}
		s.decoders[d]++
	}
}

// hashPaths walks the paths, hashes with the pipeline's worker pool and
// prints records in walk order.
func hashPaths(ctx context.Context, e *env, cfg hashConfig, paths []string) error {
	interval := cfg.vpdqInterval
	if interval == 0 {
		interval = -1 // hashing's "every frame"
	}
	h := hashing.New(hashing.Options{Algos: cfg.algos, Limits: cfg.limits, NoFastJPEG: cfg.noFastJPEG, JPEGMinSide: cfg.jpegMinSide,
		Decoders: decoders, FrameInterval: interval})
	st := &hashStats{decoders: map[string]int{}}
	start := time.Now()

	var prog *progressLine
	if cfg.progress {
		prog = startProgress(e.stderr, func() string {
			el := time.Since(start).Seconds()
			n, b := st.files.Load(), st.bytes.Load()
			return fmt.Sprintf("%d files, %s, %.1f files/s, %.1f MB/s, %d errors",
				n, report.HumanBytes(b), float64(n)/el, float64(b)/1e6/el, st.errors.Load())
		})
	}

	out := bufio.NewWriterSize(e.stdout, 64<<10)
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	var werr error
	lastFlush, first := time.Now(), true
	eng := pipeline.New(pipeline.Config{Hasher: h, Workers: cfg.workers, Ordered: true,
		Walk: pipeline.WalkOptions{FollowSymlinks: cfg.followSymlinks}})
	missing := eng.Run(ctx, paths, func(r *pipeline.Result) {
		st.add(&r.Fingerprint)
		if werr == nil {
			werr = enc.Encode(newHashRecord(r.Path, cfg.algos, r.Fingerprint))
		}
		// Keep records flowing to a pipe without a write per line; the
		// first goes out at once so a user sees the run has started.
		if werr == nil && (time.Since(lastFlush) > 200*time.Millisecond || first) {
			first = false
			werr = out.Flush()
			lastFlush = time.Now()
		}
	})
	if werr == nil {
		werr = out.Flush()
	}
	if prog != nil {
		prog.stop()
	}
	if cfg.stats {
		printHashStats(e.stderr, st, cfg, h, time.Since(start))
	}
	switch {
	case werr != nil:
		return fmt.Errorf("write output: %w", werr)
	case ctx.Err() != nil:
		return &exitError{130, fmt.Errorf("interrupted; output is incomplete")}
	case len(missing) > 0:
		return fmt.Errorf("cannot read %s: no such file or directory", strings.Join(missing, ", "))
	}
	return nil
}

func printHashStats(w io.Writer, st *hashStats, cfg hashConfig, h *hashing.Hasher, el time.Duration) {
	n, b := st.files.Load(), st.bytes.Load()
	sec := el.Seconds()
	fmt.Fprintf(w, "winnow hash: %d files (%d images hashed perceptually, %d with errors), %s in %.2f s\n",
		n, st.images.Load(), st.errors.Load(), report.HumanBytes(b), sec)
	fmt.Fprintf(w, "  throughput: %.1f files/s, %.1f MB/s with %d workers (%.1f files/s per worker)\n",
		float64(n)/sec, float64(b)/1e6/sec, cfg.workers, float64(n)/sec/float64(cfg.workers))
	t := st.times
	fmt.Fprintf(w, "  stage time summed over workers: read %.2f s, digest %.2f s (concurrent with decode), decode %.2f s, perceptual hashes %.2f s\n",
		t.Read.Seconds(), t.Digest.Seconds(), t.Decode.Seconds(), t.Hash.Seconds())
	if len(st.decoders) > 0 {
		var ds []string
		for d, c := range st.decoders {
			ds = append(ds, fmt.Sprintf("%s %d", d, c))
		}
		sort.Strings(ds)
		fmt.Fprintf(w, "  decoders: %s; algorithms: %s\n", strings.Join(ds, ", "), cfg.algos)
	}
}
