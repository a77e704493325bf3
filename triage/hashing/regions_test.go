package hashing

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"runtime"
	"strings"
	"testing"

	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/pdq"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// withBands returns photo with a band of colour bg and height top above
// it and one of height bottom below, each with a line of text in colour
// ink across most of its width (0: no band).
func withBands(photo *image.RGBA, top, bottom int, bg, ink color.Color) *image.RGBA {
	b := photo.Bounds()
	out := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()+top+bottom))
	draw.Draw(out, out.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	draw.Draw(out, b.Add(image.Pt(0, top)), photo, b.Min, draw.Src)
	for _, band := range []image.Rectangle{image.Rect(0, 0, b.Dx(), top), image.Rect(0, top+b.Dy(), b.Dx(), top+b.Dy()+bottom)} {
		if band.Dy() > 0 {
			r := image.Rect(band.Dx()/10, band.Min.Y+band.Dy()/5, band.Dx()*9/10, band.Max.Y-band.Dy()/5)
			text(out, "CAPTIONS ON A PICTURE", r, ink)
		}
	}
	return out
}

// text renders s in basicfont, scaled to fill r.
func text(dst *image.RGBA, s string, r image.Rectangle, c color.Color) {
	mask := image.NewAlpha(image.Rect(0, 0, 7*len(s), 13))
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: basicfont.Face7x13, Dot: fixed.P(0, 11)}
	d.DrawString(s)
	big := image.NewAlpha(image.Rect(0, 0, r.Dx(), r.Dy()))
	xdraw.BiLinear.Scale(big, big.Bounds(), mask, mask.Bounds(), draw.Src, nil)
	draw.DrawMask(dst, r, image.NewUniform(c), image.Point{}, big, image.Point{}, draw.Over)
}

// darkGround returns a copy of photo whose bottom quarter is a textured
// ground around colour c, most of it within trimTol of it: nearly the
// colour of a banner below it.
func darkGround(photo *image.RGBA, c color.RGBA) *image.RGBA {
	out := image.NewRGBA(photo.Bounds())
	draw.Draw(out, out.Bounds(), photo, photo.Bounds().Min, draw.Src)
	b := out.Bounds()
	for y := b.Dy() * 3 / 4; y < b.Dy(); y++ {
		for x := range b.Dx() {
			v := (x*7+y*13)%41 - 20 // texture of +-20 levels
			out.SetRGBA(x, y, color.RGBA{uint8(int(c.R) + v), uint8(int(c.G) + v), uint8(int(c.B) + v), 255})
		}
	}
	return out
}

// TestBands checks caption band detection through the whole hasher: the
// banded view's rectangle, and that its hashes are close to the picture's.
func TestBands(t *testing.T) {
	photo := triagetest.Photo(480, 360, 41)
	dark := color.RGBA{30, 40, 90, 255}
	tests := []struct {
		name string
		file []byte
		want image.Rectangle // zero: no band
	}{
		{"meme captions", encodeJPEG(t, withBands(photo, 54, 54, color.White, color.Black), 85), image.Rect(0, 54, 480, 414)},
		{"banner below", encodeJPEG(t, withBands(photo, 0, 65, dark, color.White), 85), image.Rect(0, 0, 480, 360)},
		{"caption above", encodePNG(t, withBands(photo, 60, 0, color.White, color.Black)), image.Rect(0, 60, 480, 420)},
		{"banner over a dark ground", encodeJPEG(t, withBands(darkGround(photo, dark), 0, 65, dark, color.White), 85), image.Rect(0, 0, 480, 360)},
		{"plain photo", encodeJPEG(t, photo, 85), image.Rectangle{}},
		{"dark sky at the top", encodeJPEG(t, nightSky(480, 360), 85), image.Rectangle{}},
		{"flat bands (a border)", encodePNG(t, framed(photo, 480, 480, 0, 60, color.White, 0, nil)), image.Rectangle{}},
		{"dark at an edge", encodeJPEG(t, nightSky(480, 360), 85), image.Rectangle{}},
	}
	h := New(Options{Algos: triage.AlgosDefault, NoFastJPEG: true, Views: true})
	refPhoto := h.HashBytes(context.Background(), encodePNG(t, photo))
	refGround := h.HashBytes(context.Background(), encodePNG(t, darkGround(photo, dark)))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ref := refPhoto
			if strings.Contains(tc.name, "ground") {
				ref = refGround
			}
			fp := h.HashBytes(context.Background(), tc.file)
			if fp.Err != nil {
				t.Fatal(fp.Err)
			}
			v := fp.View(triage.ViewBanded)
			if tc.want.Empty() {
				if v != nil {
					t.Fatalf("bands cut at %v, want none", v.Rect)
				}
				return
			}
			if v == nil {
				t.Fatalf("no bands, want the picture at %v", tc.want)
			}
			const tol = 4
			g, w := v.Rect, tc.want
			if abs(g.Min.X-w.Min.X) > tol || abs(g.Min.Y-w.Min.Y) > tol || abs(g.Max.X-w.Max.X) > tol || abs(g.Max.Y-w.Max.Y) > tol {
				t.Errorf("picture at %v, want %v (within %d px)", g, w, tol)
			}
			if d := v.PDQ.Distance(ref.PDQ); d > 31 {
				t.Errorf("banded PDQ is %d bits from the picture's", d)
			}
			if d := v.PHash.Distance(ref.PHash); d > 8 {
				t.Errorf("banded pHash is %d bits from the picture's", d)
			}
			if d := fp.PDQ.Distance(ref.PDQ); d < 50 {
				t.Errorf("whole-image PDQ only %d bits from the picture's: the test bands are too weak", d)
			}
		})
	}
}

// grid returns a collage of cols x rows tiles of w x h pixels, each a
// different generated scene; tile 0 (top left) is photo scaled to fit.
func grid(photo *image.RGBA, cols, rows, w, h int) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, cols*w, rows*h))
	for i := range cols * rows {
		r := image.Rect(i%cols*w, i/cols*h, i%cols*w+w, i/cols*h+h)
		if i == 0 {
			xdraw.BiLinear.Scale(out, r, photo, photo.Bounds(), draw.Src, nil)
			continue
		}
		draw.Draw(out, r, triagetest.Photo(w, h, uint64(100+i)), image.Point{}, draw.Src)
	}
	return out
}

// withHorizon darkens the bottom two thirds of the right half of img: a
// straight edge inside one column, not a seam of the collage. The right
// column is cut at it; the left one is not.
func withHorizon(img *image.RGBA) *image.RGBA {
	b := img.Bounds()
	for y := b.Dy() / 3; y < b.Dy(); y++ {
		for x := b.Dx() / 2; x < b.Dx(); x++ {
			p := img.Pix[y*img.Stride+4*x:]
			p[0], p[1], p[2] = p[0]/3, p[1]/3, p[2]/3
		}
	}
	return img
}

// TestTiles checks collage detection through the whole hasher: the tiles
// found, and that the known picture's tile hashes close to it.
func TestTiles(t *testing.T) {
	photo := triagetest.Photo(480, 360, 43)
	tests := []struct {
		name  string
		file  []byte
		tiles int             // how many tiles, 0: none
		known image.Rectangle // the tile showing photo
	}{
		{"2x2 collage", encodeJPEG(t, grid(photo, 2, 2, 240, 180), 85), 4, image.Rect(0, 0, 240, 180)},
		{"two side by side", encodeJPEG(t, grid(photo, 2, 1, 320, 240), 85), 2, image.Rect(0, 0, 320, 240)},
		{"3x2 gallery", encodePNG(t, grid(photo, 3, 2, 200, 150)), 6, image.Rect(0, 0, 200, 150)},
		{"plain photo", encodeJPEG(t, photo, 85), 0, image.Rectangle{}},
		{"column with a horizon", encodeJPEG(t, withHorizon(grid(photo, 2, 1, 320, 240)), 85), 4, image.Rect(0, 0, 320, 240)},
	}
	h := New(Options{Algos: triage.AlgosDefault, NoFastJPEG: true, Views: true})
	ref := h.HashBytes(context.Background(), encodePNG(t, photo))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fp := h.HashBytes(context.Background(), tc.file)
			if fp.Err != nil {
				t.Fatal(fp.Err)
			}
			var tiles []triage.View
			for _, v := range fp.Views {
				if v.Kind == triage.ViewTile {
					tiles = append(tiles, v)
				}
			}
			if len(tiles) != tc.tiles {
				var rs []image.Rectangle
				for _, v := range tiles {
					rs = append(rs, v.Rect)
				}
				t.Fatalf("%d tiles %v, want %d", len(tiles), rs, tc.tiles)
			}
			if tc.tiles == 0 {
				return
			}
			const tol = 4
			for _, v := range tiles {
				g, w := v.Rect, tc.known
				if abs(g.Min.X-w.Min.X) > tol || abs(g.Min.Y-w.Min.Y) > tol || abs(g.Max.X-w.Max.X) > tol || abs(g.Max.Y-w.Max.Y) > tol {
					continue
				}
				if d := v.PDQ.Distance(ref.PDQ); d > 31 {
					t.Errorf("the known tile's PDQ is %d bits from the picture's", d)
				}
				if d := v.PHash.Distance(ref.PHash); d > 8 {
					t.Errorf("the known tile's pHash is %d bits from the picture's", d)
				}
				return
			}
			t.Errorf("no tile at %v", tc.known)
		})
	}
}

// TestKnownRegions checks the centre region a set built from media
// indexes: present only when asked for, and close to the hashes of the
// image cropped by 10% a side, where the whole image's hashes are far.
func TestKnownRegions(t *testing.T) {
	photo := triagetest.Photo(640, 480, 47)
	file := encodeJPEG(t, photo, 92)
	crop := image.NewRGBA(image.Rect(0, 0, 512, 384))
	draw.Draw(crop, crop.Bounds(), photo, image.Pt(64, 48), draw.Src)
	algos := triage.AlgoSet(triage.AlgoPDQ | triage.AlgoPHash)
	if fp := New(Options{Algos: algos}).HashBytes(context.Background(), file); len(fp.Regions) != 0 {
		t.Fatalf("regions %+v without Options.Regions", fp.Regions)
	}
	fp := New(Options{Algos: algos, Regions: true}).HashBytes(context.Background(), file)
	if len(fp.Regions) != 1 || fp.Regions[0].Kind != triage.RegionCentre {
		t.Fatalf("regions %+v, want the centre", fp.Regions)
	}
	q := New(Options{Algos: algos}).HashBytes(context.Background(), encodeJPEG(t, crop, 85))
	r := fp.Regions[0]
	if d := r.PDQ.Distance(q.PDQ); d > 16 {
		t.Errorf("centre region's PDQ is %d bits from the crop's", d)
	}
	if d := r.PHash.Distance(q.PHash); d > 4 {
		t.Errorf("centre region's pHash is %d bits from the crop's", d)
	}
	if d := fp.PDQ.Distance(q.PDQ); d < 50 {
		t.Errorf("whole image's PDQ only %d bits from the crop's: the test crop is too small", d)
	}
}

// BenchmarkFindTiles is the collage detector on photographs without a
// seam, the common case it must rule out cheaply: 640x480 planes (a web
// photo, decoded at full size) and 384x288 ones (what the fast path
// hashes a 1 MP JPEG's views from). cpu-ms/op is the benchmark thread's
// CPU time.
func BenchmarkFindTiles(b *testing.B) {
	for _, sz := range [][2]int{{640, 480}, {384, 288}, {1155, 866}, {2000, 1500}} {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			planes := make([][]float32, 8)
			for i := range planes {
				planes[i] = pdq.Luma(triagetest.Photo(sz[0], sz[1], uint64(70+i)), nil)
			}
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			c0 := triagetest.ThreadCPU()
			i := 0
			for b.Loop() {
				if t := findTiles(planes[i%len(planes)], sz[0], sz[1]); t != nil {
					b.Fatalf("photo %d: tiles %v", i%len(planes), t)
				}
				i++
			}
			b.ReportMetric((triagetest.ThreadCPU()-c0)*1e3/float64(b.N), "cpu-ms/op")
		})
	}
}
