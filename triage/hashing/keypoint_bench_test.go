package hashing

import (
	"context"
	"runtime"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/keypoint"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// BenchmarkKeypoints is what a query's local features cost: the same
// files hashed as winnow hash hashes them (triage.AlgosDefault, the
// scan's budget is against it), as a scan hashes them (triage.AlgosMatch,
// views on) with and without Options.Keypoints (keypoint.Query), and as a
// set built from media hashes them (regions, keypoint.Known). cpu-ms/op is the CPU time
// of the benchmark's thread. "640x480" is a JPEG of a generated photo,
// "12MP" a camera JPEG (the fast path decodes it at 1/8, the pure Go
// decoder in full).
func BenchmarkKeypoints(b *testing.B) {
	files := []struct {
		name string
		data []byte
	}{
		{"640x480", encodeJPEG(b, triagetest.Photo(640, 480, 71), 85)},
		{"12MP", photo12MP()},
	}
	for _, f := range files {
		for _, c := range []struct {
			name string
			opt  Options
		}{
			// What winnow hash computes: the baseline of the scan's budget.
			{"hash", Options{Algos: triage.AlgosDefault}},
			{"scan", Options{Algos: triage.AlgosMatch, Views: true}},
			{"scan+keypoints", Options{Algos: triage.AlgosMatch, Views: true, Keypoints: keypoint.Query}},
			// A file the sets hold exactly: no local features.
			{"scan+keypoints,known", Options{Algos: triage.AlgosMatch, Views: true, Keypoints: keypoint.Query, SkipKeypoints: func(triage.Digests) bool { return true }}},
			{"setbuild", Options{Algos: triage.AlgosCrypto | triage.AlgoSet(triage.AlgoPDQ|triage.AlgoPHash), Regions: true}},
			{"setbuild+keypoints", Options{Algos: triage.AlgosCrypto | triage.AlgoSet(triage.AlgoPDQ|triage.AlgoPHash), Regions: true, Keypoints: keypoint.Known}},
		} {
			b.Run(f.name+"/"+c.name, func(b *testing.B) {
				h := New(c.opt)
				b.ReportAllocs()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				c0 := triagetest.ThreadCPU()
				for b.Loop() {
					if fp := h.HashBytes(context.Background(), f.data); fp.Err != nil {
						b.Fatal(fp.Err)
					}
				}
				b.ReportMetric((triagetest.ThreadCPU()-c0)*1e3/float64(b.N), "cpu-ms/op")
			})
		}
	}
}
