package hashing

import (
	"image"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
)

// TestOrient turns a 3x2 gray image with distinct pixels by every EXIF
// orientation and checks the upright result against the definitions of
// the orientations (TIFF 6.0 / EXIF 2.32, tag 0x0112).
func TestOrient(t *testing.T) {
	// Stored:  a b c
	//          d e f
	g := image.NewGray(image.Rect(0, 0, 3, 2))
	copy(g.Pix, []byte("abcdef"))
	for _, tc := range []struct {
		o    int
		want string // rows of the upright image
		w, h int
	}{
		{1, "abcdef", 3, 2},
		{2, "cbafed", 3, 2}, // mirrored horizontally
		{3, "fedcba", 3, 2}, // rotated 180
		{4, "defabc", 3, 2}, // mirrored vertically
		{5, "adbecf", 2, 3}, // transposed
		{6, "daebfc", 2, 3}, // rotate 90 clockwise to view
		{7, "fcebda", 2, 3}, // transverse
		{8, "cfbead", 2, 3}, // rotate 90 counter-clockwise to view
		{9, "abcdef", 3, 2}, // not an orientation: as it is
	} {
		got := Orient(g, tc.o).(*image.Gray)
		if got.Rect.Dx() != tc.w || got.Rect.Dy() != tc.h || string(got.Pix) != tc.want {
			t.Errorf("orientation %d: %dx%d %q, want %dx%d %q", tc.o, got.Rect.Dx(), got.Rect.Dy(), got.Pix, tc.w, tc.h, tc.want)
		}
		rgba := Orient(image.NewRGBA(image.Rect(0, 0, 3, 2)), tc.o).Bounds()
		if rgba.Dx() != tc.w || rgba.Dy() != tc.h {
			t.Errorf("orientation %d of RGBA: %v", tc.o, rgba)
		}
	}
}

func TestDownscale(t *testing.T) {
	for _, tc := range []struct{ w, h, side, ww, wh int }{
		{4000, 3000, 1024, 1024, 768}, {3000, 4000, 1024, 768, 1024}, {800, 600, 1024, 800, 600}, {5000, 2, 1024, 1024, 1},
	} {
		got := Downscale(image.NewRGBA(image.Rect(0, 0, tc.w, tc.h)), tc.side).Bounds()
		if got.Dx() != tc.ww || got.Dy() != tc.wh {
			t.Errorf("%dx%d to %d: %v", tc.w, tc.h, tc.side, got)
		}
	}
}

// TestViewOrientation: EXIF Orientation turns JPEGs upright for viewing,
// never HEIF-family files, whose decoder applied their own transforms.
func TestViewOrientation(t *testing.T) {
	for _, tt := range []struct {
		mime, exif string
		want       int
	}{
		{triage.MIMEJPEG, "6", 6}, {triage.MIMEJPEG, "", 0}, {triage.MIMEHEIC, "6", 1}, {triage.MIMEAVIF, "8", 1}, {triage.MIMEHEIF, "3", 1},
	} {
		if got := ViewOrientation(triage.MediaType{MIME: tt.mime}, tt.exif); got != tt.want {
			t.Errorf("ViewOrientation(%s, %q) = %d, want %d", tt.mime, tt.exif, got, tt.want)
		}
	}
}
