package matching

import (
	"flag"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/setfile"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

var (
	benchSetOnce sync.Once
	benchSet     *setfile.Set
	benchEntries []triage.Entry
)

// benchMatchSet is a set of 1M entries with random PDQ and pHash hashes
// (and an MD5), each with a centre region of random hashes as a set built
// from media has, built once.
func benchMatchSet(b *testing.B) (*setfile.Set, []triage.Entry) {
	benchSetOnce.Do(func() { benchSet, benchEntries = buildBenchSet(1<<20, 1000) })
	return benchSet, benchEntries
}

// buildBenchSet builds a set of n entries with random PDQ, pHash and MD5
// and one centre region of random hashes each, and returns it with its
// first keep entries.
func buildBenchSet(n, keep int) (*setfile.Set, []triage.Entry) {
	rng := rand.New(rand.NewPCG(1, 2))
	bl := setfile.NewBuilder(triage.SetMeta{Name: "bench", Kind: triage.SetKindAlert})
	var kept []triage.Entry
	for range n {
		e := triage.NewEntry()
		e.Algos = triage.AlgoSet(triage.AlgoPDQ | triage.AlgoPHash | triage.AlgoMD5)
		for k := range e.PDQ {
			e.PDQ[k] = byte(rng.Uint32())
		}
		for k := range e.MD5 {
			e.MD5[k] = byte(rng.Uint32())
		}
		e.PHash, e.PDQQuality = triage.PHash(rng.Uint64()), 100
		r := triage.Region{Kind: triage.RegionCentre, PDQQuality: 100, PHash: triage.PHash(rng.Uint64())}
		for k := range r.PDQ {
			r.PDQ[k] = byte(rng.Uint32())
		}
		e.Regions = []triage.Region{r}
		if _, err := bl.Add(e); err != nil {
			panic(err)
		}
		if len(kept) < keep {
			kept = append(kept, e)
		}
	}
	var buf writerBuf
	if _, err := bl.WriteTo(&buf); err != nil {
		panic(err)
	}
	s, err := setfile.Parse(buf)
	if err != nil {
		panic(err)
	}
	return s, kept
}

type writerBuf []byte

func (w *writerBuf) Write(b []byte) (int, error) { *w = append(*w, b...); return len(b), nil }

// BenchmarkMatch is one fingerprint matched against a 1M-entry set:
// "plain" queries PDQ (radius 31) and pHash (radius 10) of the image
// alone; "dihedral" adds the 7 rotations and flips of both; "default" is
// the default rules with the dihedral hashes and three views (an
// uncropped view and its mirror image, as every image has, and a trimmed
// one), pHash queried over its borderline zone, and the entries' regions
// searched; "default, no regions" leaves the regions out. Queries are
// near an entry, so each finds one match.
func BenchmarkMatch(b *testing.B) {
	set, es := benchMatchSet(b)
	fps := benchQueries(es)
	off := AlgoRule{Radius: 0, Certain: -1}
	plain := Rules{Default: SetRules{PDQ: off, PHash: off}}
	dih := plain
	dih.Default.Dihedral = true
	def := DefaultRules()
	noRegions := DefaultRules()
	noRegions.Default.Regions = false
	for _, c := range []struct {
		name  string
		rules Rules
	}{{"plain", plain}, {"dihedral", dih}, {"default", def}, {"default, no regions", noRegions}} {
		b.Run(c.name, func(b *testing.B) {
			m := New(Options{Rules: &c.rules})
			m.AddSet(set)
			b.ReportAllocs()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			c0 := triagetest.ThreadCPU()
			i := 0
			for b.Loop() {
				if len(m.Match(&fps[i%len(fps)])) == 0 {
					b.Fatal("no match")
				}
				i++
			}
			b.ReportMetric((triagetest.ThreadCPU()-c0)*1e3/float64(b.N), "cpu-ms/op")
		})
	}
}

// benchQueries are fingerprints near the entries es, one each: the
// dihedral hashes and three views (an uncropped view and its mirror
// image, as every image has, and a trimmed one), so that each finds one
// match.
func benchQueries(es []triage.Entry) []triage.Fingerprint {
	rng := rand.New(rand.NewPCG(3, 4))
	fps := make([]triage.Fingerprint, len(es))
	for i, e := range es {
		fp := triage.Fingerprint{Perceptual: true, PDQQuality: 100, Digests: triage.Digests{MD5: triage.MD5{1, byte(i)}}}
		for d := range 8 {
			fp.PDQDihedral[d] = triagetest.FlipBits(e.PDQ, rng, 10+d*15)
			fp.PHashDihedral[d] = triage.PHash(rng.Uint64())
		}
		fp.PDQ, fp.PHash = fp.PDQDihedral[0], e.PHash^1
		fp.PHashDihedral[0] = fp.PHash
		fp.Views = []triage.View{
			{Kind: triage.ViewUncropped, PDQ: triagetest.FlipBits(e.PDQ, rng, 60), PDQQuality: 100, PHash: triage.PHash(rng.Uint64())},
			{Kind: triage.ViewUncropped, Mirrored: true, PDQ: triagetest.FlipBits(e.PDQ, rng, 90), PDQQuality: 100, PHash: triage.PHash(rng.Uint64())},
			{Kind: triage.ViewTrimmed, PDQ: triagetest.FlipBits(e.PDQ, rng, 70), PDQQuality: 100, PHash: triage.PHash(rng.Uint64())},
		}
		fps[i] = fp
	}
	return fps
}

var scaleEntries = flag.Int("matcher-entries", 0, "BenchmarkMatcherScale: entries in the set (0: skip)")

// BenchmarkMatcherScale is the matcher's memory and query time on a large
// set built from media (every entry with MD5, PDQ, pHash and one centre
// region): go test -run '^$' -bench MatcherScale -benchtime 200x -cpu 1
// ./triage/matching -args -matcher-entries=10000000. It reports the compiled
// file's bytes per entry (held in memory as the worker holds them), the
// heap the matcher adds when the set is loaded (runtime.MemStats.HeapAlloc
// after a GC, before and after AddSet) per entry, and the CPU time of a
// query with the default rules (regions searched).
func BenchmarkMatcherScale(b *testing.B) {
	if *scaleEntries == 0 {
		b.Skip("set -matcher-entries")
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	h0 := heap()
	set, es := buildBenchSet(*scaleEntries, 1000)
	h1 := heap()
	m := New(Options{})
	m.AddSet(set)
	h2 := heap()
	fps := benchQueries(es)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c0 := triagetest.ThreadCPU()
	i := 0
	for b.Loop() {
		if len(m.Match(&fps[i%len(fps)])) == 0 {
			b.Fatal("no match")
		}
		i++
	}
	b.ReportMetric((triagetest.ThreadCPU()-c0)*1e3/float64(b.N), "cpu-ms/op")
	n := float64(*scaleEntries)
	b.ReportMetric(float64(h1-h0)/n, "file-B/entry")
	b.ReportMetric(float64(h2-h1)/n, "matcher-B/entry")
	runtime.KeepAlive(set)
}
