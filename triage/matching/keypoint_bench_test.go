package matching

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/keypoint"
	"github.com/winnow-forensics/winnow/triage/setfile"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// benchKeypointSet is a set of n entries with random pHashes and
// keypoint.Known random keypoints each (synthetic descriptors, uniformly
// random: real ones are less spread, so this is the best case for the
// index), and the compiled file's size.
func benchKeypointSet(n int) (*setfile.Set, int) {
	rng := rand.New(rand.NewPCG(5, 6))
	bl := setfile.NewBuilder(triage.SetMeta{Name: "bench-keypoints", Kind: triage.SetKindAlert})
	for range n {
		e := triage.NewEntry()
		e.Algos = triage.AlgoSet(triage.AlgoPHash)
		e.PHash = triage.PHash(rng.Uint64())
		e.Keypoints = make([]triage.Keypoint, keypoint.Known)
		for k := range e.Keypoints {
			e.Keypoints[k] = triage.Keypoint{X: uint8(rng.Uint32()), Y: uint8(rng.IntN(192)), Scale: uint8(10 + rng.IntN(60)), Angle: uint8(rng.Uint32()), Desc: rng.Uint64()}
		}
		if _, err := bl.Add(e); err != nil {
			panic(err)
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
	return s, len(buf)
}

// BenchmarkMatchKeypoints is one query's keypoints (keypoint.Query: a
// crop of an entry, 24 of its features moved by a similarity with 3 bits
// of each descriptor changed, and 24 others) matched against 1M entries'
// keypoints, and nothing else. It reports the set file's and the
// matcher's bytes per entry (the keypoints' index and records, measured
// as heap growth on loading a set that has only pHashes besides).
func BenchmarkMatchKeypoints(b *testing.B) {
	const n = 1 << 20
	s, fileBytes := benchKeypointSet(n)
	rules := DefaultRules()
	m := New(Options{Rules: &rules})
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	m.AddSet(s)
	runtime.GC()
	runtime.ReadMemStats(&after)
	rng := rand.New(rand.NewPCG(7, 8))
	var fps []triage.Fingerprint
	for i := range 100 {
		e := s.Entry(i * 1000)
		var q []triage.Keypoint
		for _, k := range e.Keypoints[:24] {
			x := float64(k.X)*1.3 - 60
			y := float64(k.Y)*1.3 - 20
			if x < 0 || x > 255 || y < 0 || y > 255 {
				continue
			}
			d := k.Desc
			for range 3 {
				d ^= 1 << rng.IntN(64)
			}
			q = append(q, triage.Keypoint{X: uint8(x), Y: uint8(y), Scale: k.Scale + 6, Angle: k.Angle, Desc: d})
		}
		for len(q) < keypoint.Query {
			q = append(q, triage.Keypoint{X: uint8(rng.Uint32()), Y: uint8(rng.Uint32()), Scale: uint8(10 + rng.IntN(60)), Desc: rng.Uint64()})
		}
		fps = append(fps, triage.Fingerprint{Keypoints: q})
	}
	b.ReportAllocs()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	c0 := triagetest.ThreadCPU()
	i, found := 0, 0
	for b.Loop() {
		for _, mt := range m.Match(&fps[i%len(fps)]) {
			if mt.Algo == triage.AlgoKeypoints && mt.Entry == (i%len(fps))*1000 {
				found++
			}
		}
		i++
	}
	b.ReportMetric((triagetest.ThreadCPU()-c0)*1e3/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(found)/float64(b.N), "found/op")
	b.ReportMetric(float64(fileBytes)/n, "file-B/entry")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "mem-B/entry")
}
