package vpdq_test

import (
	"image"
	"testing"

	"github.com/winnow-forensics/winnow/triage/pdq"
	"github.com/winnow-forensics/winnow/triage/triagetest"
	"github.com/winnow-forensics/winnow/triage/video"
	"github.com/winnow-forensics/winnow/triage/video/videotest"
	"github.com/winnow-forensics/winnow/triage/vpdq"
)

// stills returns n generated photos, seeds from seed on.
func stills(n int, seed uint64) []image.Image {
	out := make([]image.Image, n)
	for i := range out {
		out[i] = triagetest.Photo(1280, 720, seed+uint64(i))
	}
	return out
}

func slideshow(t *testing.T, imgs []image.Image) []byte {
	black := image.NewRGBA(image.Rect(0, 0, 16, 9))
	slides := []videotest.Slide{{Image: black, Seconds: 1}}
	for _, im := range imgs {
		slides = append(slides, videotest.Slide{Image: im, Seconds: 3})
	}
	return videotest.Slideshow(t, slides, 640, 360, 10)
}

// TestSlideshow: the informative frames of a slideshow of known stills
// are one per still, each within the PDQ threshold of its still, at its
// time on screen; a slideshow of other stills matches none of them.
func TestSlideshow(t *testing.T) {
	known := stills(4, 1)
	var h vpdq.Hasher
	var knownPDQ []pdq.Hash
	for _, im := range known {
		knownPDQ = append(knownPDQ, h.Hash(im, 0, 0).PDQ)
	}
	fs := hashVideo(t, video.Source{Data: slideshow(t, known)}, 1)
	if len(fs) != 13 {
		t.Fatalf("%d frames sampled from a 13 s slideshow at 1 s, want 13", len(fs))
	}
	inf := vpdq.Informative(fs, vpdq.MinQuality, vpdq.NearDuplicate)
	if len(inf) != len(known) {
		t.Fatalf("%d informative frames %v, want one per still (%d)", len(inf), inf, len(known))
	}
	for i, f := range inf {
		d := pdq.Distance(f.PDQ, knownPDQ[i])
		if d > 31 || f.Timestamp != float64(1+3*i) {
			t.Errorf("still %d: frame at %.1f s, distance %d; want at %d s, <= 31", i, f.Timestamp, d, 1+3*i)
		}
		t.Logf("still %d at %.1f s: %d bits", i, f.Timestamp, d)
	}

	other := hashVideo(t, video.Source{Data: slideshow(t, stills(4, 101))}, 1)
	for _, f := range vpdq.Informative(other, vpdq.MinQuality, vpdq.NearDuplicate) {
		for i, k := range knownPDQ {
			if d := pdq.Distance(f.PDQ, k); d <= 31 {
				t.Errorf("unrelated slideshow frame at %.1f s is %d bits from known still %d", f.Timestamp, d, i)
			}
		}
	}
}
