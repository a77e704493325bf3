package triage

import (
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

var (
	benchSetOnce sync.Once
	benchSet     *HashSet
	benchEntries []Entry
)

// benchMatchSet is a set of 1M entries with random PDQ and pHash hashes
// (and an MD5), built once.
func benchMatchSet(b *testing.B) (*HashSet, []Entry) {
	benchSetOnce.Do(func() {
		rng := rand.New(rand.NewPCG(1, 2))
		bl := NewHashSetBuilder(SetMeta{Name: "bench", Kind: SetKindAlert})
		for range 1 << 20 {
			e := NewEntry()
			e.Algos = AlgoSet(AlgoPDQ | AlgoPHash | AlgoMD5)
			for k := range e.PDQ {
				e.PDQ[k] = byte(rng.Uint32())
			}
			for k := range e.MD5 {
				e.MD5[k] = byte(rng.Uint32())
			}
			e.PHash, e.PDQQuality = PHash(rng.Uint64()), 100
			if _, err := bl.Add(e); err != nil {
				panic(err)
			}
			if len(benchEntries) < 1000 {
				benchEntries = append(benchEntries, e)
			}
		}
		var buf writerBuf
		if _, err := bl.WriteTo(&buf); err != nil {
			panic(err)
		}
		s, err := ParseHashSet(buf)
		if err != nil {
			panic(err)
		}
		benchSet = s
	})
	return benchSet, benchEntries
}

type writerBuf []byte

func (w *writerBuf) Write(b []byte) (int, error) { *w = append(*w, b...); return len(b), nil }

// BenchmarkMatch is one fingerprint matched against a 1M-entry set:
// "plain" queries PDQ (radius 31) and pHash (radius 10) of the image
// alone; "dihedral" adds the 7 rotations and flips of both; "default" is
// the default rules with the dihedral hashes and two views (an uncropped
// view, as every image has, and a trimmed one), pHash queried over its
// borderline zone. Queries are near an entry, so each finds one match.
func BenchmarkMatch(b *testing.B) {
	set, es := benchMatchSet(b)
	rng := rand.New(rand.NewPCG(3, 4))
	fps := make([]Fingerprint, len(es))
	for i, e := range es {
		fp := Fingerprint{Perceptual: true, PDQQuality: 100, Digests: Digests{MD5: MD5{1, byte(i)}}}
		for d := range 8 {
			fp.PDQDihedral[d] = flipBits(e.PDQ, rng, 10+d*15)
			fp.PHashDihedral[d] = PHash(rng.Uint64())
		}
		fp.PDQ, fp.PHash = fp.PDQDihedral[0], e.PHash^1
		fp.PHashDihedral[0] = fp.PHash
		fp.Views = []View{
			{Kind: ViewUncropped, PDQ: flipBits(e.PDQ, rng, 60), PDQQuality: 100, PHash: PHash(rng.Uint64())},
			{Kind: ViewTrimmed, PDQ: flipBits(e.PDQ, rng, 70), PDQQuality: 100, PHash: PHash(rng.Uint64())},
		}
		fps[i] = fp
	}
	off := AlgoRule{Radius: 0, Certain: -1}
	plain := Rules{Default: SetRules{PDQ: off, PHash: off}}
	dih := plain
	dih.Default.Dihedral = true
	def := DefaultRules()
	for _, c := range []struct {
		name  string
		rules Rules
	}{{"plain", plain}, {"dihedral", dih}, {"default", def}} {
		b.Run(c.name, func(b *testing.B) {
			m := NewMatcher(MatcherOptions{Rules: &c.rules})
			m.AddSet(set)
			b.ReportAllocs()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			c0 := threadCPU()
			i := 0
			for b.Loop() {
				if len(m.Match(&fps[i%len(fps)])) == 0 {
					b.Fatal("no match")
				}
				i++
			}
			b.ReportMetric((threadCPU()-c0)*1e3/float64(b.N), "cpu-ms/op")
		})
	}
}
