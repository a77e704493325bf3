package series

import (
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
)

// TestGroupVideos: a re-encoded video and a clip of it join its series, a
// still shown in a video joins that video's, an unrelated video stays
// alone, and black frames link nothing.
func TestGroupVideos(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	random := func() triage.PDQ {
		var h triage.PDQ
		for i := range h {
			h[i] = byte(rng.Uint32())
		}
		return h
	}
	noisy := func(h triage.PDQ) triage.PDQ { h[0] ^= 3; h[9] ^= 0x10; return h }
	video := func(hs []triage.PDQ) *triage.Fingerprint {
		fp := &triage.Fingerprint{}
		fp.SHA256[0] = byte(rng.Uint32())
		fp.SHA256[1] = byte(rng.Uint32())
		fp.Frames = append(fp.Frames, triage.FrameHash{Quality: 0}) // a black lead-in
		for i, h := range hs {
			fp.Frames = append(fp.Frames, triage.FrameHash{Frame: i + 1, Quality: 100, PDQ: h})
		}
		return fp
	}
	var a, c []triage.PDQ
	for range 20 {
		a, c = append(a, random()), append(c, random())
	}
	var b []triage.PDQ
	for _, h := range a {
		b = append(b, noisy(h))
	}
	still := &triage.Fingerprint{Perceptual: true, PDQQuality: 100, PDQ: noisy(c[7])}
	still.SHA256[0] = 200
	other := &triage.Fingerprint{Perceptual: true, PDQQuality: 100, PDQ: random()}
	other.SHA256[0] = 201
	fps := []*triage.Fingerprint{video(a), video(b), video(c), video(a[3:8]), still, other}
	var items []Item
	for _, fp := range fps {
		items = append(items, ItemOf(fp, true))
	}
	if len(items[0].Frames) != 20 {
		t.Fatalf("%d informative frames, want 20 (the black one dropped)", len(items[0].Frames))
	}
	got := Group(items, Options{})
	want := [][]int{{0, 1, 3}, {2, 4}, {5}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Group = %v, want %v", got, want)
	}
	// The review queue's one-at-a-time grouping (Index) finds the same
	// series in every order of arrival: a clip before its source, a still
	// before the video that shows it.
	for _, order := range permutations(len(items)) {
		if got := incrementalSeries(items, order, Options{}); !reflect.DeepEqual(got, want) {
			t.Fatalf("arriving in order %v: %v, want %v", order, got, want)
		}
	}
}

// permutations returns every order of 0..n-1.
func permutations(n int) [][]int {
	if n == 0 {
		return [][]int{{}}
	}
	var out [][]int
	for _, p := range permutations(n - 1) {
		for i := 0; i <= len(p); i++ {
			q := append(append(append([]int{}, p[:i]...), n-1), p[i:]...)
			out = append(out, q)
		}
	}
	return out
}
