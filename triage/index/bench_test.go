package index

import (
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"math/bits"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"
)

// Benchmarks. The figures in the README come from
//
//	go test -run '^$' -bench 'Near256|Exact' -cpu 1 -benchtime 2000x ./triage/index/
//
// (-cpu 1: one core; the 10M sets need about 4 GB). Query sets are 4096
// hashes: "hit" queries are set members with 0..16 bits flipped
// (re-encoded or edited copies of known images), "miss" queries are fresh
// random hashes (the common case in triage: most files are not known).

var bench struct {
	mu   sync.Mutex
	sets map[string][][32]byte
	idx  map[string]*Near256
}

func benchName(n int) string {
	if n%1_000_000 == 0 {
		return fmt.Sprintf("%dM", n/1_000_000)
	}
	return fmt.Sprintf("%dk", n/1000)
}

func benchSet(kind string, n int) [][32]byte {
	bench.mu.Lock()
	defer bench.mu.Unlock()
	if bench.sets == nil {
		bench.sets, bench.idx = map[string][][32]byte{}, map[string]*Near256{}
	}
	key := fmt.Sprint(kind, n)
	if s, ok := bench.sets[key]; ok {
		return s
	}
	var s [][32]byte
	switch kind {
	case "random":
		s = randomSet256(n, 100)
	case "clustered":
		s = clusteredSet256(n, 300, 40, 101)
	default: // "clustered-scaled": the 1M clustered set's density (about 3,333 a centre) at any size
		s = clusteredSet256(n, n/3334, 40, 101)
	}
	bench.sets[key] = s
	return s
}

// benchKinds are the sets measured at size n: random hashes; "clustered",
// 300 centres whatever the size (at 10M, 33,000 hashes a centre, so that a
// query near one returns thousands); and beyond 1M "clustered-scaled",
// clusters as dense as the 1M clustered set's.
func benchKinds(n int) []string {
	if n > 1_000_000 {
		return []string{"random", "clustered", "clustered-scaled"}
	}
	return []string{"random", "clustered"}
}

func benchIndex(kind string, n int) *Near256 {
	s := benchSet(kind, n)
	bench.mu.Lock()
	defer bench.mu.Unlock()
	key := fmt.Sprint(kind, n)
	if x, ok := bench.idx[key]; ok {
		return x
	}
	x := BuildNear256(s, nil)
	bench.idx[key] = x
	return x
}

func benchQueries(set [][32]byte, hit bool) [][32]byte {
	r := newRand(7)
	qs := make([][32]byte, 4096)
	for i := range qs {
		if hit {
			qs[i] = flip256(set[r.IntN(len(set))], r.IntN(17), r)
		} else {
			qs[i] = randHash256(r)
		}
	}
	return qs
}

func BenchmarkNear256Query(b *testing.B) {
	for _, n := range []int{1_000_000, 10_000_000} {
		for _, kind := range benchKinds(n) {
			for _, hit := range []bool{true, false} {
				name := map[bool]string{true: "hit", false: "miss"}[hit]
				b.Run(fmt.Sprintf("n=%s/%s/%s", benchName(n), kind, name), func(b *testing.B) {
					x := benchIndex(kind, n)
					qs := benchQueries(benchSet(kind, n), hit)
					runQueries(b, x, qs, DefaultRadius256)
				})
			}
		}
	}
}

func runQueries(b *testing.B, x *Near256, qs [][32]byte, r int) {
	var dst []Match
	matches := 0
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	runtime.GC() // no collection of earlier benchmarks' garbage during this one
	b.ResetTimer()
	cpu := threadCPU()
	for i := 0; i < b.N; i++ {
		dst = x.Query(qs[i%len(qs)], r, dst[:0])
		matches += len(dst)
	}
	cpu = threadCPU() - cpu
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
	if cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu, "queries/cpu-s")
	}
	b.ReportMetric(float64(matches)/float64(b.N), "matches/query")
}

// BenchmarkNear256Build reports build time and memory per entry, with and
// without the 32 bytes of the hash itself.
func BenchmarkNear256Build(b *testing.B) {
	for _, n := range []int{1_000_000, 10_000_000} {
		for _, kind := range benchKinds(n) {
			b.Run(fmt.Sprintf("n=%s/%s", benchName(n), kind), func(b *testing.B) {
				set := benchSet(kind, n)
				runtime.GC()
				b.ResetTimer()
				var x *Near256
				for i := 0; i < b.N; i++ {
					x = BuildNear256(set, nil)
				}
				b.StopTimer()
				reportMemory(b, x, n)
			})
		}
	}
}

func reportMemory(b *testing.B, x *Near256, n int) {
	s := x.st.load().segs[0]
	total := float64(x.Bytes()) / float64(n)
	b.ReportMetric(total, "B/entry")
	b.ReportMetric(total-32, "B/entry-excl-hash")
	b.ReportMetric(float64(s.mih.m), "tables")
	b.ReportMetric(float64(s.mih.nb), "bits/table")
}

// BenchmarkNear256Add measures Add on an index of 10M entries: the
// average is ns/op; p50, p99 and max latency are reported too (the
// background merges of small segments run meanwhile).
func BenchmarkNear256Add(b *testing.B) {
	x := BuildNear256(benchSet("random", 10_000_000), nil)
	r := newRand(9)
	hs := make([][32]byte, 1<<16)
	for i := range hs {
		hs[i] = randHash256(r)
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		x.Add(hs[i%len(hs)], uint32(20_000_000+i))
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(float64(lat[len(lat)*999/1000].Nanoseconds()), "p99.9-ns")
	slow := 0
	for _, l := range lat {
		if l > time.Millisecond {
			slow++
		}
	}
	b.ReportMetric(float64(slow), "adds>1ms")
	b.ReportMetric(float64(lat[len(lat)-1].Nanoseconds()), "max-ns")
	x.st.waitIdle()
	// A query right after the adds: the new entries are found.
	if m := x.Query(hs[0], 0, nil); len(m) == 0 {
		b.Fatal("added entry not found")
	}
	// Query speed with the added entries in their (merged) segments.
	qs := benchQueries(hs, false)
	t0 := time.Now()
	for _, q := range qs {
		x.Query(q, DefaultRadius256, nil)
	}
	b.ReportMetric(float64(len(qs))/time.Since(t0).Seconds(), "queries/s-after")
	b.ReportMetric(float64(len(x.st.load().segs)), "segments")
}

// BenchmarkNear256Layouts compares table layouts (run it explicitly:
// -bench Layouts); the planner's choice is tuned from it.
func BenchmarkNear256Layouts(b *testing.B) {
	for _, n := range []int{1_000_000, 10_000_000} {
		maxNB := bits.Len(uint(n)) - 1
		for _, m := range layoutTables {
			for _, nb := range layoutBits(maxNB) {
				if nb > 256/m {
					continue
				}
				b.Run(fmt.Sprintf("n=%s/m=%d/nb=%d", benchName(n), m, nb), func(b *testing.B) {
					set := benchSet("random", n)
					x := &Near256{}
					build := fixedPlan{m: m, nb: nb}.build(4)
					x.st.init(4, nearDeltaCap, build, build(src256{set, nil}, runtime.GOMAXPROCS(0)))
					qs := benchQueries(set, false)
					runQueries(b, x, qs, DefaultRadius256)
					reportMemory(b, x, n)
				})
			}
		}
	}
}

func BenchmarkNear64Query(b *testing.B) {
	for _, n := range []int{1_000_000} {
		for _, kind := range []string{"random", "clustered"} {
			b.Run(fmt.Sprintf("n=%s/%s", benchName(n), kind), func(b *testing.B) {
				var set []uint64
				if kind == "random" {
					set = randomSet64(n, 1)
				} else {
					set = clusteredSet64(n, 300, 12, 2)
				}
				x := BuildNear64(set, nil)
				qs := queries64(set, 4096, 3)
				var dst []Match
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					dst = x.Query(qs[i%len(qs)], DefaultRadius64, dst[:0])
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "queries/s")
				b.ReportMetric(float64(x.Bytes())/float64(n), "B/entry")
			})
		}
	}
}

// md5Keys returns n MD5 digests as one byte slice.
func md5Keys(n int) []byte {
	keys := make([]byte, 16*n)
	var buf [8]byte
	for i := 0; i < n; i++ {
		binary.LittleEndian.PutUint64(buf[:], uint64(i))
		s := md5.Sum(buf[:])
		copy(keys[16*i:], s[:])
	}
	return keys
}

var md5Cache struct {
	once sync.Once
	keys []byte
}

// BenchmarkExactBuild builds an MD5 index of 50M entries and reports its
// memory per entry.
func BenchmarkExactBuild(b *testing.B) {
	const n = 50_000_000
	md5Cache.once.Do(func() { md5Cache.keys = md5Keys(n) })
	runtime.GC()
	b.ResetTimer()
	var x *Exact
	for i := 0; i < b.N; i++ {
		x = BuildExact(16, md5Cache.keys, nil)
	}
	b.StopTimer()
	b.ReportMetric(float64(x.Bytes())/n, "B/entry")
	b.ReportMetric(float64(x.Bytes())/1e9, "GB")
	b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "build-s")
}

func BenchmarkExactLookup(b *testing.B) {
	for _, n := range []int{1_000_000, 50_000_000} {
		b.Run("n="+benchName(n), func(b *testing.B) {
			var keys []byte
			if n == 50_000_000 {
				md5Cache.once.Do(func() { md5Cache.keys = md5Keys(n) })
				keys = md5Cache.keys
			} else {
				keys = md5Keys(n)
			}
			x := BuildExact(16, keys, nil)
			r := newRand(5)
			const np = 1 << 20            // more keys than the caches hold
			probes := make([]byte, 16*np) // keys of random entries
			for i := 0; i < np; i++ {
				j := r.IntN(n)
				copy(probes[16*i:], keys[16*j:16*j+16])
			}
			var dst []uint32
			found := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				j := i % np
				dst = x.Lookup(probes[16*j:16*j+16], dst[:0])
				found += len(dst)
			}
			if found < b.N {
				b.Fatalf("found %d of %d", found, b.N)
			}
		})
	}
}

var layoutTables = []int{10, 11, 12, 13}

func layoutBits(maxNB int) []int { return []int{maxNB - 1, maxNB, maxNB + 1} }
