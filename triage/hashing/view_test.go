package hashing

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"

	"github.com/corona10/goimagehash"
	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/math/f64"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/pdq"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// transformGray applies dihedral transform t (PDQ's order) to a square gray image.
func transformGray(img *image.Gray, t int) *image.Gray {
	n := img.Bounds().Dx()
	out := image.NewGray(image.Rect(0, 0, n, n))
	for y := range n {
		for x := range n {
			var sx, sy int // the source pixel of output (x, y)
			switch t {
			case 0:
				sx, sy = x, y
			case 1: // rot90 ccw
				sx, sy = n-1-y, x
			case 2:
				sx, sy = n-1-x, n-1-y
			case 3: // rot270 ccw
				sx, sy = y, n-1-x
			case 4: // flipx: top/bottom
				sx, sy = x, n-1-y
			case 5: // flipy: left/right
				sx, sy = n-1-x, y
			case 6: // transpose
				sx, sy = y, x
			case 7: // transverse
				sx, sy = n-1-y, n-1-x
			}
			out.Pix[y*out.Stride+x] = img.Pix[sy*img.Stride+sx]
		}
	}
	return out
}

// TestPHashDihedral checks the pHashes derived from one DCT against
// goimagehash's pHash of each transformed thumbnail.
func TestPHashDihedral(t *testing.T) {
	worst := 0
	seeds := uint64(40)
	if testing.Short() {
		seeds = 8
	}
	for seed := range seeds {
		photo := triagetest.Photo(160+int(seed)*7, 120+int(seed)*3, seed)
		small := boxGray(pdq.Luma(photo, nil), photo.Bounds().Dx(), photo.Bounds().Dy(), smallSide)
		got := phashDihedral(small)
		for k := range 8 {
			v, err := goimagehash.PerceptionHash(transformGray(small, k))
			if err != nil {
				t.Fatal(err)
			}
			d := got[k].Distance(triage.PHash(v.GetHash()))
			worst = max(worst, d)
			if d > 1 {
				t.Errorf("seed %d, %s: pHash %016x, goimagehash of the transformed image %016x (distance %d)",
					seed, triage.DihedralNames[k], uint64(got[k]), v.GetHash(), d)
			}
		}
	}
	t.Logf("largest difference: %d bits", worst)
}

// framed returns photo placed at (x0, y0) on a w x h canvas of colour bg,
// inside a frame of the given width and colour (0: none).
func framed(photo *image.RGBA, w, h, x0, y0 int, bg color.Color, frame int, fc color.Color) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(out, out.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	pb := photo.Bounds()
	if frame > 0 {
		draw.Draw(out, image.Rect(x0-frame, y0-frame, x0+pb.Dx()+frame, y0+pb.Dy()+frame), image.NewUniform(fc), image.Point{}, draw.Src)
	}
	draw.Draw(out, pb.Add(image.Pt(x0, y0)), photo, pb.Min, draw.Src)
	return out
}

func encodePNG(tb testing.TB, img image.Image) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func encodeJPEG(tb testing.TB, img image.Image, q int) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// nightSky is a photo whose top third is a dark, cloudy night sky: dark at
// an edge, but not a border.
func nightSky(w, h int) *image.RGBA {
	img := triagetest.Photo(w, h, 9)
	rng := rand.New(rand.NewPCG(3, 4))
	for y := range h / 3 {
		for x := range w {
			v := 6 + 10*math.Sin(float64(x)/37+float64(y)/23) + 8*math.Sin(float64(x)/11) + rng.NormFloat64()*2
			v = max(0, v)
			p := img.Pix[y*img.Stride+4*x:]
			p[0], p[1], p[2] = uint8(v), uint8(v), uint8(v+4)
		}
	}
	return img
}

// TestTrim checks border detection through the whole hasher: the trimmed
// view's rectangle, and that its hashes are close to the content's own.
func TestTrim(t *testing.T) {
	photo := triagetest.Photo(400, 300, 21)
	gray := color.Gray{200}
	tests := []struct {
		name string
		file []byte
		want image.Rectangle // zero: no trim
		tol  int             // pixels the rectangle may be off
	}{
		{"black border 20%", encodePNG(t, framed(photo, 560, 420, 80, 60, color.Black, 0, nil)), image.Rect(80, 60, 480, 360), 1},
		{"white letterbox", encodePNG(t, framed(photo, 400, 500, 0, 100, color.White, 0, nil)), image.Rect(0, 100, 400, 400), 1},
		{"blue pillarbox", encodePNG(t, framed(photo, 600, 300, 100, 0, color.RGBA{20, 40, 160, 255}, 0, nil)), image.Rect(100, 0, 500, 300), 1},
		{"black border, JPEG q50", encodeJPEG(t, framed(photo, 560, 420, 80, 60, color.Black, 0, nil), 50), image.Rect(80, 60, 480, 360), 8},
		{"screenshot with frame", encodePNG(t, framed(photo, 520, 640, 40, 150, color.White, 2, gray)), image.Rect(40, 150, 440, 450), 1},
		{"screenshot, JPEG q75", encodeJPEG(t, framed(photo, 520, 640, 40, 150, color.White, 2, gray), 75), image.Rect(40, 150, 440, 450), 8},
		{"plain photo", encodePNG(t, photo), image.Rectangle{}, 0},
		{"photo, JPEG", encodeJPEG(t, photo, 80), image.Rectangle{}, 0},
		{"dark at an edge", encodeJPEG(t, nightSky(400, 300), 85), image.Rectangle{}, 0},
		{"one-pixel line", encodePNG(t, framed(photo, 400, 301, 0, 1, color.Black, 0, nil)), image.Rectangle{}, 0},
		{"flat gray", encodePNG(t, framed(image.NewRGBA(image.Rect(0, 0, 1, 1)), 300, 300, 0, 0, gray, 0, nil)), image.Rectangle{}, 0},
	}
	h := New(Options{Algos: triage.AlgosDefault, NoFastJPEG: true, Views: true})
	ref := h.HashBytes(context.Background(), encodePNG(t, photo))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fp := h.HashBytes(context.Background(), tc.file)
			if fp.Err != nil {
				t.Fatal(fp.Err)
			}
			v := fp.View(triage.ViewTrimmed)
			if tc.want.Empty() {
				if v != nil {
					t.Fatalf("trimmed to %v, want no trim", v.Rect)
				}
				return
			}
			if v == nil {
				t.Fatalf("no trim, want %v", tc.want)
			}
			g, w := v.Rect, tc.want
			if abs(g.Min.X-w.Min.X) > tc.tol || abs(g.Min.Y-w.Min.Y) > tc.tol || abs(g.Max.X-w.Max.X) > tc.tol || abs(g.Max.Y-w.Max.Y) > tc.tol {
				t.Errorf("trimmed to %v, want %v (within %d px)", g, w, tc.tol)
			}
			if d := v.PDQ.Distance(ref.PDQ); d > 30 {
				t.Errorf("trimmed PDQ is %d bits from the content's", d)
			}
			if d := v.PHash.Distance(ref.PHash); d > 6 {
				t.Errorf("trimmed pHash is %d bits from the content's", d)
			}
			if d := fp.PDQ.Distance(ref.PDQ); d < 50 {
				t.Errorf("whole-image PDQ only %d bits from the content's: the test border is too weak", d)
			}
		})
	}
}

func abs(v int) int { return max(v, -v) }

// rotated returns img rotated by deg degrees counter-clockwise about its
// centre on a canvas of the same size (grow false) or grown to hold it,
// filled with bg.
func rotated(img *image.RGBA, deg float64, grow bool, bg color.Color) *image.RGBA {
	b := img.Bounds()
	th := deg * math.Pi / 180
	c, s := math.Cos(th), math.Sin(th)
	w, h := b.Dx(), b.Dy()
	if grow {
		w = int(math.Ceil(float64(b.Dx())*math.Abs(c) + float64(b.Dy())*math.Abs(s)))
		h = int(math.Ceil(float64(b.Dx())*math.Abs(s) + float64(b.Dy())*math.Abs(c)))
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(out, out.Bounds(), image.NewUniform(bg), image.Point{}, draw.Src)
	sx, sy := float64(b.Dx())/2, float64(b.Dy())/2
	dx, dy := float64(w)/2, float64(h)/2
	m := f64.Aff3{c, s, dx - c*sx - s*sy, -s, c, dy + s*sx - c*sy}
	xdraw.BiLinear.Transform(out, m, img, b, draw.Over, nil)
	return out
}

// TestDeskew checks the rotation estimate and that the deskewed view is
// closer to the original than the rotated copy, and within PDQ's radius
// of it (at 8 degrees only with the lost corners filled, fillCorners).
func TestDeskew(t *testing.T) {
	photo := triagetest.Photo(480, 360, 31)
	// A picture in a white frame: deskewed, the frame stays (it is
	// part of the known image), where a grown canvas's fill goes.
	framedPhoto := framed(triagetest.Photo(420, 300, 32), 480, 360, 30, 30, color.White, 0, nil)
	onBlack := framed(triagetest.Photo(420, 300, 32), 480, 360, 20, 40, color.Black, 0, nil)
	tests := []struct {
		name  string
		img   image.Image
		angle float64 // 0: no deskew
	}{
		{"4 degrees ccw", rotated(photo, 4, false, color.Black), 4},
		{"4 degrees cw", rotated(photo, -4, false, color.Black), -4},
		{"9 degrees ccw, white", rotated(photo, 9, false, color.White), 9},
		{"6 degrees on a grown canvas", rotated(photo, 6, true, color.White), 6},
		{"8 degrees ccw", rotated(photo, 8, false, color.Black), 8},
		{"8 degrees, a framed picture", rotated(framedPhoto, 8, false, color.Black), 8},
		{"8 degrees, a framed picture on black", rotated(onBlack, 8, false, color.Black), 8},
		{"plain photo", photo, 0},
		{"black border", framed(photo, 560, 440, 40, 40, color.Black, 0, nil), 0},
		{"dark at an edge", nightSky(480, 360), 0},
	}
	h := New(Options{Algos: triage.AlgosDefault, NoFastJPEG: true, Views: true})
	refPhoto := h.HashBytes(context.Background(), encodePNG(t, photo))
	refFramed := h.HashBytes(context.Background(), encodePNG(t, framedPhoto))
	refOnBlack := h.HashBytes(context.Background(), encodePNG(t, onBlack))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ref := refPhoto
			switch {
			case strings.HasSuffix(tc.name, "on black"):
				ref = refOnBlack
			case strings.Contains(tc.name, "framed"):
				ref = refFramed
			}
			fp := h.HashBytes(context.Background(), encodeJPEG(t, tc.img, 90))
			v := fp.View(triage.ViewDeskewed)
			if tc.angle == 0 {
				if v != nil {
					t.Fatalf("deskewed by %.2f degrees, want no deskew", v.Angle)
				}
				return
			}
			if v == nil {
				t.Fatalf("no deskew, want %.1f degrees", tc.angle)
			}
			if math.Abs(v.Angle-tc.angle) > 0.5 {
				t.Errorf("angle %.2f, want %.1f", v.Angle, tc.angle)
			}
			dv := 256 // the closest deskewed view (trimmed of a grown canvas, or not)
			for _, o := range fp.Views {
				if o.Kind == triage.ViewDeskewed {
					dv = min(dv, o.PDQ.Distance(ref.PDQ))
				}
			}
			if dr := fp.PDQ.Distance(ref.PDQ); dv >= dr || dv > 31 {
				t.Errorf("deskewed PDQ %d bits from the original, rotated %d", dv, dr)
			}
		})
	}
}

// TestUncrop checks the uncropped view's geometry and that it brings a
// 5%-a-side crop closer to its original.
func TestUncrop(t *testing.T) {
	// A 36 x 18 ramp: padding is 2 and 1 pixels, mirrored.
	const w, h = 36, 18
	luma := make([]float32, w*h)
	for i := range luma {
		luma[i] = float32(i%w + 100*(i/w))
	}
	got, gw, gh := uncropPlane(nil, luma, w, h)
	if gw != w+4 || gh != h+2 {
		t.Fatalf("size %dx%d, want %dx%d", gw, gh, w+4, h+2)
	}
	at := func(x, y int) float32 { return got[y*gw+x] }
	for _, c := range []struct {
		x, y int
		want float32
	}{{2, 1, 0}, {1, 1, 0}, {0, 1, 1}, {gw - 1, 1, 34}, {2, 0, 0}, {2, gh - 1, 1700}, {gw - 3, gh - 2, 1735}} {
		if v := at(c.x, c.y); v != c.want {
			t.Errorf("pixel (%d, %d) = %v, want %v", c.x, c.y, v, c.want)
		}
	}

	photo := triagetest.Photo(540, 360, 41)
	crop := image.NewRGBA(image.Rect(0, 0, 486, 324))
	draw.Draw(crop, crop.Bounds(), photo, image.Pt(27, 18), draw.Src)
	hs := New(Options{Algos: triage.AlgosDefault, NoFastJPEG: true, Views: true})
	ref := hs.HashBytes(context.Background(), encodePNG(t, photo))
	fp := hs.HashBytes(context.Background(), encodeJPEG(t, crop, 90))
	v := fp.View(triage.ViewUncropped)
	if v == nil {
		t.Fatal("no uncropped view")
	}
	if dv, dc := v.PDQ.Distance(ref.PDQ), fp.PDQ.Distance(ref.PDQ); dv >= dc {
		t.Errorf("uncropped PDQ %d bits from the original, cropped %d", dv, dc)
	}
}

// FuzzViews runs border, skew and uncrop detection on arbitrary planes:
// no panic, results inside the plane.
func FuzzViews(f *testing.F) {
	plane := func(w, h int, fn func(x, y int) byte) []byte {
		b := []byte{byte(w), byte(h)}
		for y := range h {
			for x := range w {
				b = append(b, fn(x, y))
			}
		}
		return b
	}
	f.Add(plane(80, 60, func(x, y int) byte {
		if x < 10 || y < 8 || x >= 70 || y >= 52 {
			return 0
		}
		return byte(x*7 ^ y*13)
	}))
	f.Add(plane(90, 70, func(x, y int) byte { // a rotated square on white
		dx, dy := float64(x-45), float64(y-35)
		u, v := 0.99*dx+0.1*dy, -0.1*dx+0.99*dy
		if math.Abs(u) < 40 && math.Abs(v) < 30 {
			return byte(x * y)
		}
		return 255
	}))
	f.Add([]byte{3, 3, 1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) < 2 {
			return
		}
		w, h := int(b[0]), int(b[1])
		luma := make([]float32, w*h)
		for i := range luma {
			if 2+i < len(b) {
				luma[i] = float32(b[2+i])
			}
		}
		if r, ok := findContent(luma, w, h); ok {
			if !r.In(image.Rect(0, 0, w, h)) || r.Empty() {
				t.Fatalf("content %v outside %dx%d", r, w, h)
			}
			c, cw, ch := cropPlane(nil, luma, w, r)
			if len(c) != cw*ch || cw <= 0 || ch <= 0 {
				t.Fatalf("crop %dx%d, %d values", cw, ch, len(c))
			}
		}
		if r, ok := findBands(luma, w, h); ok && (!r.In(image.Rect(0, 0, w, h)) || r.Empty()) {
			t.Fatalf("bands leave %v of %dx%d", r, w, h)
		}
		for _, r := range findTiles(luma, w, h) {
			if !r.In(image.Rect(0, 0, w, h)) || r.Empty() || r == image.Rect(0, 0, w, h) {
				t.Fatalf("tile %v of %dx%d", r, w, h)
			}
		}
		if deg, fill, ok := findSkew(luma, w, h); ok {
			if math.Abs(deg) > skewMaxDeg || fill < 0 || fill > 255 {
				t.Fatalf("skew %v fill %v", deg, fill)
			}
			d, dw, dh, kept := deskewPlane(nil, luma, w, h, deg, fill)
			fillCorners(d, dw, kept)
			if len(d) != dw*dh {
				t.Fatal("deskewed plane size")
			}
		}
		if w > 0 && h > 0 {
			u, uw, uh := uncropPlane(nil, luma, w, h)
			if len(u) != uw*uh || uw < w/viewScale(w, h) || uh < h/viewScale(w, h) {
				t.Fatalf("uncropped %dx%d from %dx%d", uw, uh, w, h)
			}
		}
	})
}

// BenchmarkViews is the cost of the derived views: the same files hashed
// with views on and off (Options.Views), perceptual hashes only (with the
// dihedral set a scan asks for), so that the difference is not hidden by
// the digests. cpu-ms/op is the CPU time of the benchmark's thread, which
// other load on a shared machine does not inflate. "12MP" is a camera JPEG (the fast path decodes it at 1/8),
// "1MP" and "VGA" (640x480) web-sized JPEGs, which the fast path decodes
// at full size, "bordered" a 1 MP photo on a black border (PNG),
// where the trimmed view is hashed too, and "rotated" a photo rotated by 4
// degrees (JPEG), which also gets the deskewed view.
func BenchmarkViews(b *testing.B) {
	photo := triagetest.Photo(1024, 768, 61)
	files := []struct {
		name string
		data []byte
	}{
		{"12MP", photo12MP()},
		{"1MP", encodeJPEG(b, photo, 85)},
		{"VGA", encodeJPEG(b, triagetest.Photo(640, 480, 63), 85)},
		{"bordered", encodePNG(b, framed(photo, 1434, 1076, 205, 154, color.Black, 0, nil))},
		{"rotated", encodeJPEG(b, rotated(photo, 4, false, color.Black), 85)},
	}
	for _, f := range files {
		for _, views := range []bool{false, true} {
			name := f.name + "/noviews"
			if views {
				name = f.name + "/views"
			}
			b.Run(name, func(b *testing.B) {
				h := New(Options{Algos: triage.AlgoSet(triage.AlgoPDQDihedral | triage.AlgoPHash | triage.AlgoDHash), Views: views})
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

// BenchmarkHashLumaViews is the hashing stage alone (no decode, no
// digests) on a 384x288 plane, the size the fast path decodes a 1 MP JPEG
// to: what views add to the perceptual work itself.
func BenchmarkHashLumaViews(b *testing.B) {
	photo := triagetest.Photo(384, 288, 62)
	luma := pdq.Luma(photo, nil)
	for _, views := range []bool{false, true} {
		name := "noviews"
		if views {
			name = "views"
		}
		b.Run(name, func(b *testing.B) {
			h := New(Options{Algos: triage.AlgosDefault | triage.AlgoSet(triage.AlgoPDQDihedral), Views: views})
			s := h.getScratch()
			buf := make([]float32, len(luma))
			b.ReportAllocs()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			c0 := triagetest.ThreadCPU()
			for b.Loop() {
				copy(buf, luma)
				var fp triage.Fingerprint
				h.hashLuma(&fp, raster{luma: buf, w: 384, h: 288, srcW: 384, srcH: 288}, s, nil)
			}
			b.ReportMetric((triagetest.ThreadCPU()-c0)*1e3/float64(b.N), "cpu-ms/op")
		})
	}
}

// BenchmarkRegions is the cost of the regions (Options.Regions) on top of
// a lab worker's hashing: matching's hashes and views (pipeline.Profile),
// with and without the regions, on a 640x480 JPEG and a 12 MP camera
// JPEG; cpu-ms/op is the CPU time of the benchmark's thread.
func BenchmarkRegions(b *testing.B) {
	files := []struct {
		name string
		data []byte
	}{
		{"640x480", encodeJPEG(b, triagetest.Photo(640, 480, 63), 85)},
		{"12MP", photo12MP()},
	}
	for _, f := range files {
		for _, regions := range []bool{false, true} {
			name := f.name + "/noregions"
			if regions {
				name = f.name + "/regions"
			}
			b.Run(name, func(b *testing.B) {
				h := New(Options{Algos: triage.AlgosMatch, Views: true, Regions: regions})
				b.ReportAllocs()
				runtime.LockOSThread()
				defer runtime.UnlockOSThread()
				c0 := triagetest.ThreadCPU()
				for b.Loop() {
					if fp := h.HashBytes(context.Background(), f.data); fp.Err != nil || len(fp.Regions) != map[bool]int{false: 0, true: 1}[regions] {
						b.Fatalf("%v, %d regions", fp.Err, len(fp.Regions))
					}
				}
				b.ReportMetric((triagetest.ThreadCPU()-c0)*1e3/float64(b.N), "cpu-ms/op")
			})
		}
	}
}

// BenchmarkUncropPlane is the uncropped view's plane (every image gets
// one) made from full-size planes: a 3 MP photo (box-averaged 5x5) and a
// 640x480 one (copied). cpu-ms/op is the benchmark thread's CPU time.
func BenchmarkUncropPlane(b *testing.B) {
	for _, sz := range [][2]int{{2000, 1500}, {640, 480}} {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			luma := pdq.Luma(triagetest.Photo(sz[0], sz[1], 64), nil)
			var dst []float32
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			c0 := triagetest.ThreadCPU()
			for b.Loop() {
				dst, _, _ = uncropPlane(dst[:0], luma, sz[0], sz[1])
			}
			b.ReportMetric((triagetest.ThreadCPU()-c0)*1e3/float64(b.N), "cpu-ms/op")
		})
	}
}
