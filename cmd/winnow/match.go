package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/winnow-forensics/winnow/triage/index"
)

const matchDescription = `
Find every pair of a query hash and an index hash within a Hamming
distance, exactly: the same pairs a comparison of every query with every
index hash finds, computed with Winnow's matching index.

Both files hold one hex hash per line: 64 digits for pdq (the reference
layout), 16 for phash. Blank lines are skipped but counted; white space
around a hash, CRLF line ends and upper-case digits are accepted. A
malformed line stops the run with an error naming the file and the line
(counted from 1, as editors do).

Output, on stdout, one line per pair:

	query_line<TAB>index_line<TAB>distance

Line numbers count from 0 and include blank lines. Pairs are sorted by
query line, then index line; the output does not depend on --workers.

At the end one JSON object goes to stderr: load_s (reading and parsing
both files), build_s (building the index), query_s (searching and writing
the pairs), qps (queries per second of query_s), index_entries, queries,
pairs, index_bytes (memory held by the index) and workers; where the
platform tells, also query_cpu_s (CPU time of the query phase, all
threads) and qps_cpu (queries per CPU second, which other load on the
machine does not distort).

Exit status: 0 on success, 1 when a file cannot be read or holds a
malformed line, 2 for a bad command line, 130 when interrupted.`

// matchConfig is the configuration of one match run.
type matchConfig struct {
	algo        string
	maxDistance int
	index       string
	queries     string
	workers     int
}

func runMatch(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "match", "--algo pdq|phash --max-distance D --index FILE --queries FILE", matchDescription)
	algo := fs.String("algo", "pdq", "hash algorithm of both files: pdq (256-bit) or phash (64-bit)")
	var maxDist optionalInt
	fs.Var(&maxDist, "max-distance", fmt.Sprintf("report pairs at Hamming distance <= `D` (default %d for pdq, %d for phash)", index.DefaultRadius256, index.DefaultRadius64))
	indexPath := fs.String("index", "", "file of hashes to index, one per line (required)")
	queryPath := fs.String("queries", "", "file of hashes to look up, one per line (required)")
	workers := fs.Int("workers", runtime.NumCPU(), "queries searched in parallel")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		fmt.Fprintf(e.stderr, "winnow match: unexpected argument %q\n", rest[0])
		fs.Usage()
		return errUsage
	}
	cfg := matchConfig{algo: *algo, maxDistance: maxDist.v, index: *indexPath, queries: *queryPath, workers: *workers}
	if !maxDist.set {
		cfg.maxDistance = index.DefaultRadius256
		if cfg.algo == "phash" {
			cfg.maxDistance = index.DefaultRadius64
		}
	}
	if err := cfg.validate(); err != nil {
		return &exitError{2, err}
	}
	return match(ctx, e, cfg)
}

// optionalInt is an int flag that knows whether it was given.
type optionalInt struct {
	v   int
	set bool
}

func (o *optionalInt) String() string {
	if o == nil || !o.set {
		return ""
	}
	return strconv.Itoa(o.v)
}

func (o *optionalInt) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("not an integer")
	}
	o.v, o.set = v, true
	return nil
}

func (c matchConfig) validate() error {
	switch {
	case c.algo != "pdq" && c.algo != "phash":
		return fmt.Errorf("--algo must be pdq or phash, not %q", c.algo)
	case c.index == "":
		return errors.New("--index FILE is required")
	case c.queries == "":
		return errors.New("--queries FILE is required")
	case c.maxDistance < 0:
		return errors.New("--max-distance must be at least 0")
	case c.workers < 1:
		return errors.New("--workers must be at least 1")
	}
	return nil
}

// hashList is a parsed hash file: the hashes of its non-blank lines and
// their 0-based line numbers.
type hashList struct {
	pdq   [][32]byte
	phash []uint64
	lines []uint32
}

func (l *hashList) len() int { return len(l.lines) }

// matchStats is the JSON line printed on stderr.
type matchStats struct {
	LoadS        float64 `json:"load_s"`
	BuildS       float64 `json:"build_s"`
	QueryS       float64 `json:"query_s"`
	QPS          float64 `json:"qps"`
	QueryCPUS    float64 `json:"query_cpu_s,omitempty"`
	QPSCPU       float64 `json:"qps_cpu,omitempty"`
	IndexEntries int     `json:"index_entries"`
	Queries      int     `json:"queries"`
	Pairs        int64   `json:"pairs"`
	IndexBytes   int64   `json:"index_bytes"`
	Workers      int     `json:"workers"`
}

func match(ctx context.Context, e *env, cfg matchConfig) error {
	t0 := time.Now()
	var idx, qs *hashList
	var ierr, qerr error
	var wg sync.WaitGroup
	wg.Go(func() { idx, ierr = readHashList(cfg.index, cfg.algo) })
	qs, qerr = readHashList(cfg.queries, cfg.algo)
	wg.Wait()
	if err := cmpErr(ierr, qerr); err != nil {
		return err
	}
	st := matchStats{LoadS: since(t0), IndexEntries: idx.len(), Queries: qs.len(), Workers: cfg.workers}

	t1 := time.Now()
	var query func(i int, dst []index.Match) []index.Match
	if cfg.algo == "pdq" {
		x := index.BuildNear256(idx.pdq, idx.lines)
		idx.pdq = nil
		st.IndexBytes = x.Bytes()
		query = func(i int, dst []index.Match) []index.Match { return x.Query(qs.pdq[i], cfg.maxDistance, dst) }
	} else {
		x := index.BuildNear64(idx.phash, idx.lines)
		idx.phash = nil
		st.IndexBytes = x.Bytes()
		query = func(i int, dst []index.Match) []index.Match { return x.Query(qs.phash[i], cfg.maxDistance, dst) }
	}
	st.BuildS = since(t1)

	t2, c2 := time.Now(), processCPU()
	pairs, err := matchAll(ctx, e.stdout, qs, cfg.workers, query)
	st.QueryS = since(t2)
	st.Pairs = pairs
	if st.QueryS > 0 {
		st.QPS = math.Round(float64(st.Queries)/st.QueryS*10) / 10
	}
	if c := processCPU() - c2; c2 > 0 && c > 0 {
		st.QueryCPUS = math.Round(c*1e4) / 1e4
		st.QPSCPU = math.Round(float64(st.Queries)/c*10) / 10
	}
	if err != nil {
		return err
	}
	b, _ := json.Marshal(st)
	fmt.Fprintf(e.stderr, "%s\n", b)
	return nil
}

func cmpErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func since(t time.Time) float64 { return math.Round(time.Since(t).Seconds()*1e4) / 1e4 }

// matchBlock is a run of consecutive queries whose output one worker
// formats; blocks are written in order.
type matchBlock struct {
	lo, hi int
	out    chan []byte
}

// matchBlockSize is the number of queries in a block: large enough to keep
// the hand-over cheap, small enough to spread the work evenly.
const matchBlockSize = 256

// matchAll searches every query with workers goroutines and writes the
// pairs in query order; it returns the number of pairs written.
func matchAll(ctx context.Context, w io.Writer, qs *hashList, workers int, query func(int, []index.Match) []index.Match) (int64, error) {
	jobs := make(chan *matchBlock, workers*2)
	order := make(chan *matchBlock, workers*8) // bounds how far workers run ahead of the writer
	go func() {
		defer close(jobs)
		defer close(order)
		for lo := 0; lo < qs.len() && ctx.Err() == nil; lo += matchBlockSize {
			b := &matchBlock{lo: lo, hi: min(lo+matchBlockSize, qs.len()), out: make(chan []byte, 1)}
			order <- b
			jobs <- b
		}
	}()
	var pairs atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			var dst []index.Match
			var keys []uint64 // index line << 16 | distance, to sort by line
			for b := range jobs {
				var out []byte
				n := 0
				for i := b.lo; i < b.hi; i++ {
					dst = query(i, dst[:0])
					keys = keys[:0]
					for _, m := range dst {
						keys = append(keys, uint64(m.ID)<<16|uint64(m.Distance))
					}
					slices.Sort(keys)
					var qb [20]byte
					ql := strconv.AppendUint(qb[:0], uint64(qs.lines[i]), 10)
					for _, k := range keys {
						out = append(out, ql...)
						out = append(out, '\t')
						out = strconv.AppendUint(out, k>>16, 10)
						out = append(out, '\t')
						out = strconv.AppendUint(out, k&0xffff, 10)
						out = append(out, '\n')
					}
					n += len(dst)
				}
				pairs.Add(int64(n))
				b.out <- out
			}
		})
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	var werr error
	for b := range order {
		out := <-b.out
		if werr == nil {
			_, werr = bw.Write(out)
		}
	}
	wg.Wait()
	if werr == nil {
		werr = bw.Flush()
	}
	switch {
	case werr != nil:
		return pairs.Load(), fmt.Errorf("write output: %w", werr)
	case ctx.Err() != nil:
		return pairs.Load(), &exitError{130, errors.New("interrupted; output is incomplete")}
	}
	return pairs.Load(), nil
}

// maxHashLine is the longest line accepted: a hash with generous white
// space around it.
const maxHashLine = 4096

// readHashList parses a file of one hex hash per line.
func readHashList(path, algo string) (*hashList, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	l := &hashList{}
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		// Preallocate for the usual layout: a hash and a newline a line.
		n := int(fi.Size() / 65)
		if algo == "phash" {
			n = int(fi.Size() / 17)
			l.phash = make([]uint64, 0, n)
		} else {
			l.pdq = make([][32]byte, 0, n)
		}
		l.lines = make([]uint32, 0, n)
	}
	digits := 64
	if algo == "phash" {
		digits = 16
	}
	r := bufio.NewReaderSize(f, 1<<20)
	var buf [32]byte
	for line := 0; ; line++ {
		s, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) || len(s) > maxHashLine {
			return nil, fmt.Errorf("%s:%d: line too long", path, line+1)
		}
		if err != nil && err != io.EOF {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if len(s) == 0 && err == io.EOF {
			break
		}
		if line == 0 {
			s = bytes.TrimPrefix(s, []byte("\xef\xbb\xbf")) // a byte-order mark
		}
		h := bytes.TrimSpace(s)
		if len(h) > 0 {
			if line > math.MaxUint32 {
				return nil, fmt.Errorf("%s:%d: too many lines", path, line+1)
			}
			if len(h) != digits {
				return nil, fmt.Errorf("%s:%d: want %d hex digits for %s, got %d characters", path, line+1, digits, algo, len(h))
			}
			if _, herr := hex.Decode(buf[:digits/2], h); herr != nil {
				return nil, fmt.Errorf("%s:%d: %q is not a hex hash", path, line+1, h)
			}
			if algo == "phash" {
				l.phash = append(l.phash, binary.BigEndian.Uint64(buf[:8]))
			} else {
				l.pdq = append(l.pdq, buf)
			}
			l.lines = append(l.lines, uint32(line))
		}
		if err == io.EOF {
			break
		}
	}
	return l, nil
}
