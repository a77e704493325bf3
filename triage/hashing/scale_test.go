package hashing

import (
	"context"
	"fmt"
	"math"
	"sort"
	"testing"

	"github.com/winnow-forensics/winnow/triage/jpegturbo"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// fullDecode returns a Hasher whose fast path decodes every JPEG at full
// size to RGB: bit-exact with Meta's reference PDQ (TestReferenceImages).
func fullDecode() *Hasher {
	h := New(Options{})
	h.turboFullPixels = math.MaxInt64
	return h
}

// drift summarises PDQ distances to the reference.
type drift struct {
	mean     float64
	p99, max int
	within10 float64 // percent
}

func driftOf(d []int) drift {
	sort.Ints(d)
	sum, in := 0, 0
	for _, v := range d {
		sum += v
		if v <= 10 {
			in++
		}
	}
	n := len(d)
	return drift{float64(sum) / float64(n), d[(n-1)*99/100], d[n-1], 100 * float64(in) / float64(n)}
}

// pdqDrift hashes photos with h and returns the PDQ distances to ref's
// hashes of the same photos, for those of quality 50 or more (the matcher
// ignores the others).
func pdqDrift(t testing.TB, h, ref *Hasher, photos [][]byte) []int {
	t.Helper()
	var d []int
	for _, p := range photos {
		want, got := ref.HashBytes(context.Background(), p), h.HashBytes(context.Background(), p)
		if want.Err != nil || got.Err != nil {
			t.Fatalf("hashing: %v / %v", want.Err, got.Err)
		}
		if want.PDQQuality >= 50 {
			d = append(d, got.PDQ.Distance(want.PDQ))
		}
	}
	return d
}

// TestTurboDefaultNearReference holds the fast path's default scale to
// the bounds against the full decode, which is the reference:
// ordinary photos (up to a few megapixels) within 0.5 bit of PDQ on
// average and at least 99.5% within 10 bits; 12 MP photos, decoded at
// 1/8, within 2 bits on average.
func TestTurboDefaultNearReference(t *testing.T) {
	if !jpegturbo.Available {
		t.Skip("the fast JPEG path needs -tags turbojpeg")
	}
	h, ref := New(Options{}), fullDecode()
	var small [][]byte
	for i := range 40 {
		small = append(small, triagetest.PhotoJPEG(500, 375, uint64(700+i), 85))
	}
	for i, s := range [][2]int{{1024, 768}, {1600, 1200}, {2048, 1536}, {1536, 2048}} {
		small = append(small, triagetest.PhotoJPEG(s[0], s[1], uint64(800+i), 88))
	}
	d := driftOf(pdqDrift(t, h, ref, small))
	t.Logf("up to 3 MP: %d photos, PDQ mean %.2f bits, p99 %d, %.1f%% within 10", len(small), d.mean, d.p99, d.within10)
	if d.mean > 0.5 || d.within10 < 99.5 {
		t.Errorf("photos up to 3 MP: PDQ mean %.2f bits from the reference (max 0.5), %.1f%% within 10 bits (min 99.5)", d.mean, d.within10)
	}
	if testing.Short() {
		return
	}
	big := pdqDrift(t, h, ref, photos12MP())
	if fp := h.HashBytes(context.Background(), photos12MP()[0]); fp.Decoder != "libjpeg-turbo 500x375" {
		t.Errorf("12 MP photo decoded by %q, want the 1/8 scale", fp.Decoder)
	}
	d = driftOf(big)
	t.Logf("12 MP: %d photos, PDQ mean %.2f bits, max %d", len(big), d.mean, d.max)
	if d.mean > 2 || d.max > 10 {
		t.Errorf("12 MP photos: PDQ mean %.2f bits from the reference (max 2), worst %d (max 10)", d.mean, d.max)
	}
}

// BenchmarkTurboScale is the measurement behind TurboMinSide and
// TurboFullPixels: for each photo size and candidate decode scale it
// reports the CPU time of the whole pipeline per photo and the PDQ
// distance from the full-size decode (the reference) over generated
// photos of that size. "default" is what the fast path does; the scales
// below it force a minimum shorter side with no full-size bound.
//
//	go test -tags turbojpeg -run '^$' -bench TurboScale -benchtime 5x -cpu 1 ./triage/hashing
func BenchmarkTurboScale(b *testing.B) {
	if !jpegturbo.Available {
		b.Skip("needs -tags turbojpeg")
	}
	ref := fullDecode()
	for _, sz := range [][3]int{{500, 375, 24}, {1024, 768, 12}, {2048, 1536, 6}, {4000, 3000, 3}} {
		var photos [][]byte
		for i := range sz[2] {
			photos = append(photos, triagetest.PhotoJPEG(sz[0], sz[1], uint64(500+i), 88))
		}
		for _, minSide := range []int{-1, 0, 256, 512, 1024} {
			name := fmt.Sprintf("%dx%d/minside=%d", sz[0], sz[1], minSide)
			h := New(Options{})
			switch minSide {
			case -1:
				name = fmt.Sprintf("%dx%d/default", sz[0], sz[1])
			case 0:
				name = fmt.Sprintf("%dx%d/full", sz[0], sz[1])
				h = ref
			default:
				h.turboMinSide, h.turboFullPixels = minSide, 0
			}
			b.Run(name, func(b *testing.B) {
				d := driftOf(pdqDrift(b, h, ref, photos))
				ctx := context.Background()
				cpu0 := triagetest.ProcessCPU()
				i := 0
				for b.Loop() {
					h.HashBytes(ctx, photos[i%len(photos)])
					i++
				}
				b.ReportMetric((triagetest.ProcessCPU()-cpu0)*1000/float64(b.N), "cpu-ms/photo")
				b.ReportMetric(d.mean, "pdq-mean-bits")
				b.ReportMetric(float64(d.p99), "pdq-p99-bits")
				b.ReportMetric(d.within10, "pct-within-10")
				b.ReportMetric(0, "ns/op")
			})
		}
	}
}
