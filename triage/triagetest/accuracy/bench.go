// Package accuracy is Winnow's matching-accuracy benchmark: it builds a
// hash set from half of a collection of benign originals, keeps the other
// half as distractors, edits both halves the ways re-posted images are
// edited (Transforms), runs every edited file through the same pipeline a
// scan uses (Hasher.HashBytes, Matcher.Match, Rules.Decide) and reports,
// per edit, the share of the set's images still found (recall) and every
// false match, under several rule configurations so that what each rule
// buys is visible. Command benchaccuracy prints the table; the package's
// tests run a small version on generated images.
package accuracy

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"hash/fnv"
	"os"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/keypoint"
	"github.com/winnow-forensics/winnow/triage/matching"
	"github.com/winnow-forensics/winnow/triage/setfile"
)

// Query is one file the benchmark hashes: an original, edited by one
// transform (or not at all), with its fingerprint.
type Query struct {
	Orig      int // index into Result.Originals
	Transform int // index into Result.Transforms; -1: the original file itself
	FP        triage.Fingerprint
}

// Result holds everything hashed: the originals, which of them are in the
// set (and as which entry), the set, and every query's fingerprint.
// Evaluate it under any number of rule configurations without hashing
// again.
type Result struct {
	Originals  []Original
	Transforms []Transform
	// Entry is each original's entry in Set, or -1 for a distractor.
	Entry   []int
	Set     *setfile.Set
	Queries []Query
	// FastJPEG reports whether the queries went through libjpeg-turbo.
	FastJPEG bool
	setBytes []byte
}

// SetName is the name of the benchmark's hash set.
const SetName = "benchmark-known"

// Run builds the set from half of the originals (chosen by a hash of their
// names, so the split is stable as originals are added) and hashes every
// original and every edit of it with hasher. progress, if not nil, is
// called as files are hashed.
func Run(ctx context.Context, originals []Original, transforms []Transform, hasher *hashing.Hasher, progress func(done, total int)) (*Result, error) {
	r := &Result{Originals: originals, Transforms: transforms, Entry: make([]int, len(originals)), FastJPEG: hasher.FastJPEG()}
	// The set is built as `winnow hashset build` builds one from media.
	setHasher := hashing.New(hashing.Options{Algos: triage.AlgosCrypto | triage.AlgoSet(triage.AlgoPDQ|triage.AlgoPHash), Regions: true, Keypoints: keypoint.Known})
	b := setfile.NewBuilder(triage.SetMeta{Name: SetName, Version: "1", Kind: triage.SetKindAlert})
	for i, o := range originals {
		r.Entry[i] = -1
		if !inSet(o.Name) {
			continue
		}
		fp := setHasher.HashBytes(ctx, o.File)
		if fp.Err != nil {
			return nil, fmt.Errorf("%s: %w", o.Name, fp.Err)
		}
		e := triage.NewEntry()
		e.ID, e.Name = o.Name, o.Name
		e.Algos = triage.AlgosCrypto | triage.AlgoSet(triage.AlgoPDQ|triage.AlgoPHash)
		e.MD5, e.SHA1, e.SHA256 = fp.MD5, fp.SHA1, fp.SHA256
		e.PDQ, e.PDQQuality, e.PHash, e.Regions, e.Keypoints = fp.PDQ, fp.PDQQuality, fp.PHash, fp.Regions, fp.Keypoints
		r.Entry[i] = b.Len()
		if _, err := b.Add(e); err != nil {
			return nil, fmt.Errorf("%s: %w", o.Name, err)
		}
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		return nil, err
	}
	set, err := setfile.Parse(buf.Bytes())
	if err != nil {
		return nil, err
	}
	r.Set, r.setBytes = set, buf.Bytes()

	per := len(transforms) + 1
	r.Queries = make([]Query, len(originals)*per)
	var done atomic.Int64
	total := len(r.Queries)
	var firstErr error
	var errOnce sync.Once
	parallel(len(originals), func(i int) {
		if ctx.Err() != nil {
			return
		}
		o := &originals[i]
		img, err := o.Decode()
		if err != nil {
			errOnce.Do(func() { firstErr = err })
			return
		}
		r.Queries[i*per] = Query{Orig: i, Transform: -1, FP: hasher.HashBytes(ctx, o.File)}
		for t, tr := range transforms {
			file, err := tr.Encode(img, seedOf(o.Name, t))
			if err != nil {
				errOnce.Do(func() { firstErr = err })
				return
			}
			r.Queries[i*per+1+t] = Query{Orig: i, Transform: t, FP: hasher.HashBytes(ctx, file)}
		}
		n := done.Add(int64(per))
		if progress != nil {
			progress(int(n), total)
		}
	})
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return r, nil
}

// inSet reports whether the original of that name goes into the set.
func inSet(name string) bool {
	h := fnv.New64a()
	h.Write([]byte(name))
	return h.Sum64()%2 == 0
}

func seedOf(name string, t int) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", name, t)
	return h.Sum64()
}

// parallel calls f(0..n-1) on all cores.
func parallel(n int, f func(i int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(n, runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}

// Config is one rule configuration to evaluate.
type Config struct {
	Name  string
	Rules matching.Rules
}

// Eval is the outcome of one Config over a Result.
type Eval struct {
	Config Config
	// Found and Known count, per transform (index as Result.Transforms,
	// plus the last for the original files), the set's queries matched to
	// their own entry with verdict known or variant, and known alone.
	Found, Known, Total []int
	// False lists every query with a match to an entry that is not its
	// original: distractors that matched, and set images that matched
	// another entry.
	False []FalseMatch
	// ByKind counts Found, Total and false matches again for the queries
	// of each kind of original (Original.Kind).
	ByKind map[string]*KindEval
}

// KindEval is an Eval's counts for the queries of one kind of original.
type KindEval struct {
	Found, Total []int
	False        int
}

// Recall returns the share of the kind's set queries of transform t
// found, in percent.
func (k *KindEval) Recall(t int) float64 { return percent(k.Found[t], k.Total[t]) }

// FalseMatch is one query matched to the wrong entry.
type FalseMatch struct {
	Query      string // original name and transform
	Transform  int    // index into Result.Transforms; len(Transforms) for the original file
	Entry      string // the entry it matched
	Algo       string
	Distance   int
	Verdict    triage.Verdict
	Borderline bool
}

// Recall returns the share of set queries of transform t found, in percent.
func (e *Eval) Recall(t int) float64 { return percent(e.Found[t], e.Total[t]) }

// percent is found of total in percent, 0 of none.
func percent(found, total int) float64 {
	if total == 0 {
		return 0
	}
	return 100 * float64(found) / float64(total)
}

// Evaluate matches every query under cfg.
func (r *Result) Evaluate(cfg Config) Eval {
	rules := cfg.Rules
	m := matching.New(matching.Options{Rules: &rules})
	m.AddSet(r.Set)
	nt := len(r.Transforms) + 1
	ev := Eval{Config: cfg, Found: make([]int, nt), Known: make([]int, nt), Total: make([]int, nt), ByKind: map[string]*KindEval{}}
	for _, k := range Kinds {
		ev.ByKind[k] = &KindEval{Found: make([]int, nt), Total: make([]int, nt)}
	}
	for qi := range r.Queries {
		q := &r.Queries[qi]
		t := q.Transform
		if t < 0 {
			t = len(r.Transforms)
		}
		ms := m.Match(&q.FP)
		d := rules.Decide(&q.FP, ms)
		want := r.Entry[q.Orig]
		kind := ev.ByKind[r.Originals[q.Orig].Kind()]
		for _, mt := range ms {
			if mt.Entry != want {
				kind.False++
				ev.False = append(ev.False, FalseMatch{Query: r.queryName(q), Transform: t, Entry: r.Originals[r.origOfEntry(mt.Entry)].Name,
					Algo: mt.Algo.String(), Distance: mt.Distance, Verdict: d.Verdict, Borderline: mt.Borderline})
			}
		}
		if want < 0 {
			continue
		}
		ev.Total[t]++
		kind.Total[t]++
		if d.Verdict != triage.VerdictKnown && d.Verdict != triage.VerdictVariant {
			continue
		}
		if slices.ContainsFunc(d.Matches, func(mt triage.Match) bool { return mt.Entry == want }) {
			ev.Found[t]++
			kind.Found[t]++
			if d.Verdict == triage.VerdictKnown {
				ev.Known[t]++
			}
		}
	}
	return ev
}

func (r *Result) queryName(q *Query) string {
	t := "original"
	if q.Transform >= 0 {
		t = r.Transforms[q.Transform].Name
	}
	return r.Originals[q.Orig].Name + " [" + t + "]"
}

func (r *Result) origOfEntry(entry int) int {
	for i, e := range r.Entry {
		if e == entry {
			return i
		}
	}
	return -1
}

// savedResult is what Save writes: a Result with the set as its compiled
// bytes.
type savedResult struct {
	Originals  []Original
	Transforms []string
	Entry      []int
	Set        []byte
	Queries    []Query
	FastJPEG   bool
}

func init() { gob.Register(&triage.Error{}) }

// Save writes the result (every fingerprint) to path, so that rules can be
// evaluated again without hashing (benchaccuracy -reuse).
func (r *Result) Save(path string) error {
	sr := savedResult{Originals: r.Originals, Entry: r.Entry, Set: r.setBytes, Queries: r.Queries, FastJPEG: r.FastJPEG}
	for _, t := range r.Transforms {
		sr.Transforms = append(sr.Transforms, t.Name)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(&sr); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// Load reads a result written by Save. Its transforms are looked up by
// name in transforms, so a result made with fewer edits (an older one, or
// one restricted with Select) reads back; an edit not in transforms is an
// error.
func Load(path string, transforms []Transform) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var sr savedResult
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&sr); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ts, err := Select(transforms, sr.Transforms)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	set, err := setfile.Parse(sr.Set)
	if err != nil {
		return nil, err
	}
	return &Result{Originals: sr.Originals, Transforms: ts, Entry: sr.Entry, Set: set, Queries: sr.Queries, FastJPEG: sr.FastJPEG, setBytes: sr.Set}, nil
}

// Select returns the transforms of those names, in the order given; an
// unknown name is an error.
func Select(transforms []Transform, names []string) ([]Transform, error) {
	var out []Transform
	for _, n := range names {
		i := slices.IndexFunc(transforms, func(t Transform) bool { return t.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("no edit named %q", n)
		}
		out = append(out, transforms[i])
	}
	return out, nil
}
