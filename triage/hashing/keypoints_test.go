package hashing

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"sync/atomic"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/keypoint"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// TestSkipKeypoints checks that Options.SkipKeypoints is asked with each
// image's finished digests, that an image it says is known gets every
// hash but no local features while another gets them, and that a copy
// with other algorithms (the lab's) keeps asking.
func TestSkipKeypoints(t *testing.T) {
	known, other := triagetest.PhotoJPEG(640, 480, 5, 85), triagetest.PhotoJPEG(640, 480, 6, 85)
	var asked atomic.Int64
	skip := func(d triage.Digests) bool {
		asked.Add(1)
		if d.SHA256 == sha256.Sum256(known) {
			if d.MD5 != md5.Sum(known) {
				t.Errorf("asked with MD5 %x before it was done", d.MD5)
			}
			return true
		}
		return false
	}
	h := New(Options{Algos: triage.AlgosMatch, Views: true, Keypoints: keypoint.Query, SkipKeypoints: skip})
	ctx := context.Background()
	fp := h.HashBytes(ctx, known)
	if fp.Err != nil || !fp.Perceptual || fp.PDQ == (triage.PDQ{}) || len(fp.Views) == 0 {
		t.Fatalf("known file: %v, perceptual %v, %d views", fp.Err, fp.Perceptual, len(fp.Views))
	}
	if len(fp.Keypoints) != 0 {
		t.Errorf("known file: %d keypoints, want none", len(fp.Keypoints))
	}
	if fp := h.HashBytes(ctx, other); len(fp.Keypoints) == 0 {
		t.Errorf("other file: no keypoints (%v)", fp.Err)
	}
	if n := asked.Load(); n != 2 {
		t.Errorf("SkipKeypoints asked %d times, want 2", n)
	}
	if fp := h.WithAlgos(triage.AlgosPerceptual).HashBytes(ctx, other); len(fp.Keypoints) == 0 || asked.Load() != 3 {
		t.Errorf("copy without digests: %d keypoints, asked %d times", len(fp.Keypoints), asked.Load())
	}
	if fp := New(Options{Algos: triage.AlgosMatch, Keypoints: keypoint.Query}).HashBytes(ctx, known); len(fp.Keypoints) == 0 {
		t.Error("without SkipKeypoints: no keypoints")
	}
}
