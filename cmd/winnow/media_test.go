package main

import (
	"image"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage/heif/heiftest"
	"github.com/winnow-forensics/winnow/triage/heifdec"
	"github.com/winnow-forensics/winnow/triage/triagetest"
	"github.com/winnow-forensics/winnow/triage/video/videotest"
)

func stillSlides(seed uint64) []videotest.Slide {
	var s []videotest.Slide
	for i := range 4 {
		s = append(s, videotest.Slide{Image: triagetest.Photo(1280, 720, seed+uint64(i)), Seconds: 3})
	}
	return s
}

// TestScanMedia: phone photos and videos go through the same engine as
// JPEGs. Known stills (JPEGs) and a known video, hashed into a set with
// hashset build, are found again in a seizure: the stills inside a
// slideshow (with the times they appear), the video re-encoded at another
// size and frame rate; a slideshow of other stills and a black video stay
// new (the slideshow and its re-encoding one series); a HEIC bomb is an
// error of its own.
func TestScanMedia(t *testing.T) {
	dir := t.TempDir()
	known := filepath.Join(dir, "known")
	for i := range 4 {
		writeFile(t, filepath.Join(known, "still-"+string(rune('a'+i))+".jpg"), triagetest.PhotoJPEG(1280, 720, 1+uint64(i), 90))
	}
	writeFile(t, filepath.Join(known, "clip.mp4"), videotest.Slideshow(t, stillSlides(201), 640, 360, 10))
	set := filepath.Join(dir, "known.wset")
	if code, _, stderr := runWinnow(t, "hashset", "build", "--out", set, "--name", "Known test media (benign, generated)", "--category", "vic-us:1", known); code != 0 {
		t.Fatalf("hashset build: exit %d: %s", code, stderr)
	}

	seizure := filepath.Join(dir, "seizure")
	black := image.NewRGBA(image.Rect(0, 0, 16, 9))
	writeFile(t, filepath.Join(seizure, "slideshow.mp4"), videotest.Slideshow(t, append([]videotest.Slide{{Image: black, Seconds: 2}}, stillSlides(1)...), 854, 480, 12))
	writeFile(t, filepath.Join(seizure, "other.mp4"), videotest.Slideshow(t, stillSlides(101), 640, 360, 10))
	writeFile(t, filepath.Join(seizure, "other-small.mp4"), videotest.Slideshow(t, stillSlides(101), 426, 240, 8))
	writeFile(t, filepath.Join(seizure, "clip-small.mp4"), videotest.Slideshow(t, stillSlides(201), 480, 270, 15))
	writeFile(t, filepath.Join(seizure, "black.mp4"), videotest.Slideshow(t, []videotest.Slide{{Image: black, Seconds: 5}}, 320, 180, 10))
	writeFile(t, filepath.Join(seizure, "bomb.heic"), heiftest.HEIC(heiftest.Options{Rows: 40, Columns: 40, TileSide: 512, ShareExtent: true}))
	writeFile(t, filepath.Join(seizure, "grid.heic"), heiftest.HEIC(heiftest.Options{Rows: 2, Columns: 2}))

	out := filepath.Join(dir, "out")
	if code, _, stderr := runWinnow(t, "scan", "--hashset", set, "--out", out, seizure); code != 0 {
		t.Fatalf("scan: exit %d: %s", code, stderr)
	}
	r, _ := readReport(t, out)
	heicVerdict, bombReason := "new", "over the limit"
	if !heifdec.Available {
		heicVerdict, bombReason = "error", "no HEIF/AVIF decoder" // the pure-Go build
	}
	tests := []struct {
		path, verdict, reason string
	}{
		{"slideshow.mp4", "variant", "4 known images appear at 0:02, 0:05, 0:08, 0:11"},
		{"clip-small.mp4", "variant", "vpdq: 100.0% of the video's frames"},
		{"other.mp4", "new", "no match"},
		{"black.mp4", "new", "no match"},
		{"bomb.heic", "error", bombReason},
		{"grid.heic", heicVerdict, ""},
	}
	for _, tt := range tests {
		it := byPath(r, tt.path)
		if it == nil {
			t.Errorf("%s: not in the report", tt.path)
			continue
		}
		if string(it.Verdict) != tt.verdict || !strings.Contains(it.Reason, tt.reason) {
			t.Errorf("%s: %s (%s), want %s (%s)", tt.path, it.Verdict, it.Reason, tt.verdict, tt.reason)
		}
	}
	// The slideshow shows each known still once, after two seconds of black.
	it := byPath(r, "slideshow.mp4")
	if it != nil {
		var at []float64
		for _, m := range it.Matches {
			at = append(at, m.Timestamps...)
		}
		slices.Sort(at)
		if len(it.Matches) != 4 || !slices.Equal(at, []float64{2, 5, 8, 11}) {
			t.Errorf("slideshow: matches at %v, want the 4 stills at 2, 5, 8, 11 s: %+v", at, it.Matches)
		}
		if v := it.Video; v == nil || v.FPS != 12 || v.FramesHashed != 14 || v.Sheet == nil || len(v.Sheet.Frames) != 4 || v.Sheet.Columns != 4 {
			t.Errorf("slideshow video: %+v", v)
		}
	}
	if it := byPath(r, "clip-small.mp4"); it != nil && (len(it.Matches) != 1 || it.Matches[0].Algorithm != "vpdq" || it.Matches[0].QueryPercent != 100) {
		t.Errorf("clip-small: matches %+v, want one vpdq match at 100%%", it.Matches)
	}
	// Near-duplicate new videos are one series.
	if a, b := byPath(r, "other.mp4"), byPath(r, "other-small.mp4"); a == nil || b == nil || a.Group == 0 || a.Group != b.Group {
		t.Errorf("other.mp4 and its re-encoding are not one series: %+v %+v", a, b)
	}
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil || !strings.Contains(string(html), "slideshow.mp4") {
		t.Fatalf("report.html: %v", err)
	}
}
