package hashing

import (
	"context"
	"fmt"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/jpegturbo"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// BenchmarkTurboScale is the measurement behind TurboMinSide: for each
// candidate minimum side and output format it reports the time of the whole
// pipeline on a 12 MP photo and, over a set of generated photos, the mean and
// maximum PDQ and pHash distance from the full-size pure-Go decode.
//
//	go test -tags turbojpeg -run '^$' -bench TurboScale -cpu 1 ./triage
func BenchmarkTurboScale(b *testing.B) {
	if !jpegturbo.Available {
		b.Skip("needs -tags turbojpeg")
	}
	var photos [][]byte
	for i, s := range [][2]int{{4000, 3000}, {3000, 4000}, {4032, 3024}, {2048, 1536}, {1600, 1200}, {3264, 2448}} {
		photos = append(photos, triagetest.PhotoJPEG(s[0], s[1], uint64(500+i), 88))
	}
	ctx := context.Background()
	ref := New(Options{NoFastJPEG: true})
	var want []triage.Fingerprint
	for _, p := range photos {
		want = append(want, ref.HashBytes(ctx, p))
	}
	big := photo12MP()
	for _, minSide := range []int{0, 1024, 512, 256} {
		for _, gray := range []bool{false, true} {
			name := fmt.Sprintf("minside=%d/gray=%v", minSide, gray)
			b.Run(name, func(b *testing.B) {
				h := New(Options{})
				h.turboMinSide, h.turboGray = minSide, gray
				var sumPDQ, maxPDQ, sumP, maxP int
				for i, p := range photos {
					fp := h.HashBytes(ctx, p)
					d, dp := fp.PDQ.Distance(want[i].PDQ), fp.PHash.Distance(want[i].PHash)
					sumPDQ, maxPDQ, sumP, maxP = sumPDQ+d, max(maxPDQ, d), sumP+dp, max(maxP, dp)
				}
				for b.Loop() {
					h.HashBytes(ctx, big)
				}
				n := float64(len(photos))
				b.ReportMetric(float64(sumPDQ)/n, "pdq-mean-bits")
				b.ReportMetric(float64(maxPDQ), "pdq-max-bits")
				b.ReportMetric(float64(sumP)/n, "phash-mean-bits")
				b.ReportMetric(float64(maxP), "phash-max-bits")
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "images/s")
			})
		}
	}
}
