package workers

import (
	"bytes"
	"context"
	"image/jpeg"
	"runtime"
	"testing"

	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/keypoint"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// BenchmarkHasherKeypoints is the worker's hashing of a 640x480 JPEG
// photo with HasherOptions, without and with the local features it now
// extracts for every image not known exactly (keypoint.Query); cpu-ms/op
// is the CPU time of the benchmark's thread.
func BenchmarkHasherKeypoints(b *testing.B) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, triagetest.Photo(640, 480, 71), &jpeg.Options{Quality: 85}); err != nil {
		b.Fatal(err)
	}
	for _, kp := range []int{0, keypoint.Query} {
		name := "nokeypoints"
		if kp > 0 {
			name = "keypoints"
		}
		b.Run(name, func(b *testing.B) {
			h := hashing.New(HasherOptions()).WithKeypoints(kp)
			b.ReportAllocs()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			c0 := triagetest.ThreadCPU()
			for b.Loop() {
				if fp := h.HashBytes(context.Background(), buf.Bytes()); fp.Err != nil || (len(fp.Keypoints) > 0) != (kp > 0) {
					b.Fatalf("%v, %d keypoints", fp.Err, len(fp.Keypoints))
				}
			}
			b.ReportMetric((triagetest.ThreadCPU()-c0)*1e3/float64(b.N), "cpu-ms/op")
		})
	}
}
