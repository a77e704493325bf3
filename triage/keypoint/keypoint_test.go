package keypoint_test

import (
	"encoding/binary"
	"image"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/keypoint"
	"github.com/winnow-forensics/winnow/triage/matching"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// plane is a luma plane.
type plane struct {
	p    []float32
	w, h int
}

func lumaOf(img *image.RGBA) plane {
	b := img.Bounds()
	out := plane{make([]float32, b.Dx()*b.Dy()), b.Dx(), b.Dy()}
	for y := range out.h {
		for x := range out.w {
			o := img.PixOffset(b.Min.X+x, b.Min.Y+y)
			px := img.Pix[o : o+3]
			out.p[y*out.w+x] = 0.299*float32(px[0]) + 0.587*float32(px[1]) + 0.114*float32(px[2])
		}
	}
	return out
}

// at samples the plane bilinearly (pixel centres at integers), clamped.
func (s plane) at(x, y float64) float32 {
	x, y = max(0, min(float64(s.w-1), x)), max(0, min(float64(s.h-1), y))
	x0, y0 := int(x), int(y)
	x1, y1 := min(s.w-1, x0+1), min(s.h-1, y0+1)
	fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
	a := s.p[y0*s.w+x0] + fx*(s.p[y0*s.w+x1]-s.p[y0*s.w+x0])
	b := s.p[y1*s.w+x0] + fx*(s.p[y1*s.w+x1]-s.p[y1*s.w+x0])
	return a + fy*(b-a)
}

// warp returns the w x h plane whose pixel (x, y) is src at f(x, y).
func warp(src plane, w, h int, f func(x, y float64) (float64, float64)) plane {
	out := plane{make([]float32, w*h), w, h}
	for y := range h {
		for x := range w {
			sx, sy := f(float64(x), float64(y))
			out.p[y*w+x] = src.at(sx, sy)
		}
	}
	return out
}

// cropScale cuts r out of src and scales it by s.
func cropScale(src plane, r image.Rectangle, s float64) plane {
	w, h := int(float64(r.Dx())*s), int(float64(r.Dy())*s)
	return warp(src, w, h, func(x, y float64) (float64, float64) {
		return float64(r.Min.X) + (x+0.5)/s - 0.5, float64(r.Min.Y) + (y+0.5)/s - 0.5
	})
}

func mirror(src plane) plane {
	return warp(src, src.w, src.h, func(x, y float64) (float64, float64) { return float64(src.w-1) - x, y })
}

// rotate turns src by deg counter-clockwise about its centre and keeps
// the middle 80% (no corners of fill).
func rotate(src plane, deg float64) plane {
	c, s := math.Cos(deg*math.Pi/180), math.Sin(deg*math.Pi/180)
	cx, cy := float64(src.w-1)/2, float64(src.h-1)/2
	w, h := src.w*8/10, src.h*8/10
	return warp(src, w, h, func(x, y float64) (float64, float64) {
		dx, dy := x+float64(src.w-w)/2-cx, y+float64(src.h-h)/2-cy
		return cx + c*dx - s*dy, cy + s*dx + c*dy
	})
}

func extract(p plane, n int) []triage.Keypoint { return keypoint.Extract(p.p, p.w, p.h, n) }

// inliers is the best fit of the query's features on the known ones, as
// is or mirrored.
func inliers(q, k []triage.Keypoint) int {
	best := 0
	for _, m := range []bool{false, true} {
		best = max(best, keypoint.Verify(keypoint.Pairs(q, k, matching.KeypointRadius, m), m).Inliers)
	}
	return best
}

// TestEditedCopiesVerify: copies of generated photos cut asymmetrically
// and scaled, mirrored and cropped, and rotated by 5 degrees and cropped
// verify against their originals with the rules' inliers. Not every
// photo does (the benchmark finds about nine in ten of such copies: a
// photo with little texture has few features), so the test asks it of 6
// of 8.
func TestEditedCopiesVerify(t *testing.T) {
	need := matching.DefaultKeypoints
	found := map[string][]int{}
	for seed := uint64(1); seed <= 8; seed++ {
		orig := lumaOf(triagetest.Photo(640, 480, seed))
		known := extract(orig, keypoint.Known)
		edits := map[string]plane{
			"asymmetric crop, scaled 80%": cropScale(orig, image.Rect(160, 38, 640, 480), 0.8),
			"mirrored, crop 5%":           mirror(cropScale(orig, image.Rect(32, 24, 608, 456), 1)),
			"rotated 5 degrees, cropped":  rotate(orig, 5),
		}
		for name, p := range edits {
			found[name] = append(found[name], inliers(extract(p, keypoint.Query), known))
		}
	}
	for name, ns := range found {
		ok := 0
		for _, n := range ns {
			if n >= need {
				ok++
			}
		}
		if ok < 6 {
			t.Errorf("%s: %d of 8 copies verify (features agreeing: %v), want >= 6", name, ok, ns)
		}
	}
}

func TestUnrelatedDoNotVerify(t *testing.T) {
	var known [][]triage.Keypoint
	for seed := uint64(1); seed <= 8; seed++ {
		known = append(known, extract(lumaOf(triagetest.Photo(640, 480, seed)), keypoint.Known))
	}
	var queries [][]triage.Keypoint
	for seed := uint64(101); seed <= 108; seed++ {
		p := lumaOf(triagetest.Photo(640, 480, seed))
		queries = append(queries, extract(p, keypoint.Query), extract(cropScale(p, image.Rect(160, 38, 640, 480), 1), keypoint.Query))
		// The photo in a white frame and on a gray canvas.
		framed := plane{make([]float32, 760*600), 760, 600}
		canvas := plane{make([]float32, 900*700), 900, 700}
		for i := range framed.p {
			framed.p[i] = 255
		}
		for i := range canvas.p {
			canvas.p[i] = 200
		}
		for y := range 480 {
			copy(framed.p[(y+60)*760+60:], p.p[y*640:(y+1)*640])
			copy(canvas.p[(y+100)*900+40:], p.p[y*640:(y+1)*640])
		}
		queries = append(queries, extract(framed, keypoint.Query), extract(canvas, keypoint.Query))
	}
	worst := 0
	for _, q := range queries {
		for _, k := range known {
			worst = max(worst, inliers(q, k))
		}
	}
	if worst >= matching.DefaultKeypoints {
		t.Errorf("an unrelated photo has %d features agreeing, the rules' threshold is %d", worst, matching.DefaultKeypoints)
	}
	t.Logf("most features agreeing between unrelated photos: %d", worst)
}

func TestMirrorDescriptor(t *testing.T) {
	p := lumaOf(triagetest.Photo(320, 240, 7))
	a, b := extract(p, keypoint.Known), extract(mirror(p), keypoint.Known)
	close := 0
	for _, k := range a {
		for _, m := range b {
			if dx, dy := int(m.X)+int(k.X)-255, int(m.Y)-int(k.Y); dx*dx <= 1 && dy*dy <= 1 && keypoint.Distance(keypoint.Mirror(k.Desc), m.Desc) <= 4 {
				close++
				break
			}
		}
	}
	if close < len(a)*3/4 {
		t.Errorf("%d of %d features found mirrored with the mirrored descriptor", close, len(a))
	}
}

func TestTinyAndFlat(t *testing.T) {
	if kps := keypoint.Extract(make([]float32, 8*8), 8, 8, 32); kps != nil {
		t.Errorf("8x8 plane: %d features", len(kps))
	}
	flat := make([]float32, 300*200)
	for i := range flat {
		flat[i] = 128
	}
	if kps := keypoint.Extract(flat, 300, 200, 32); len(kps) != 0 {
		t.Errorf("flat plane: %d features", len(kps))
	}
}

// drawing is a w x h drawn picture: a smooth gradient crossed by thin
// waves and sprinkled with small dots, details that a plane of 256
// pixels averages away from a drawing of 1024.
func drawing(w, h int, seed uint64) plane {
	rng := rand.New(rand.NewPCG(seed, 7))
	p := plane{make([]float32, w*h), w, h}
	for y := range h {
		for x := range w {
			p.p[y*w+x] = float32(60 + 100*float64(x)/float64(w) + 40*float64(y)/float64(h))
		}
	}
	for range 8 {
		y0, a, f, ph := rng.Float64()*float64(h), 20+rng.Float64()*80, 1+rng.Float64()*3, rng.Float64()*6
		for x := range w {
			yc := y0 + a*math.Sin(ph+f*2*math.Pi*float64(x)/float64(w))
			for y := max(0, int(yc)-1); y <= min(h-1, int(yc)+1); y++ {
				if math.Abs(float64(y)-yc) < 1.2 {
					p.p[y*w+x] += 30
				}
			}
		}
	}
	const r = 4
	for range 60 {
		cx, cy := rng.Float64()*float64(w), rng.Float64()*float64(h)
		for y := max(0, int(cy-r)); y <= min(h-1, int(cy+r)); y++ {
			for x := max(0, int(cx-r)); x <= min(w-1, int(cx+r)); x++ {
				if math.Hypot(float64(x)-cx, float64(y)-cy) <= r {
					p.p[y*w+x] = min(255, p.p[y*w+x]+50)
				}
			}
		}
	}
	return p
}

// TestFillDrawn: drawings with few features on the working plane take
// more from a plane twice as fine, after their own, and their asymmetric
// crops (a quarter off the left, 8% off the top, scaled 80%) verify with
// the rules' inliers far more often than with the working plane's
// features alone. Drawings with enough features are not filled.
func TestFillDrawn(t *testing.T) {
	need := matching.DefaultKeypoints
	var filled, once []int
	for seed := uint64(1); seed <= 12; seed++ {
		orig := drawing(1024, 768, seed)
		kOnce := keypoint.ExtractOnce(orig.p, orig.w, orig.h, keypoint.Known)
		k := extract(orig, keypoint.Known)
		if len(kOnce) >= 16 {
			if !slices.Equal(k, kOnce) {
				t.Errorf("seed %d: %d features on the working plane, yet filled to %d", seed, len(kOnce), len(k))
			}
			continue
		}
		if len(k) <= len(kOnce) || !slices.Equal(k[:len(kOnce)], kOnce) {
			t.Fatalf("seed %d: %d features on the working plane, %d filled: want more, after them", seed, len(kOnce), len(k))
		}
		crop := cropScale(orig, image.Rect(256, 61, 1024, 768), 0.8)
		filled = append(filled, inliers(extract(crop, keypoint.Query), k))
		once = append(once, inliers(keypoint.ExtractOnce(crop.p, crop.w, crop.h, keypoint.Query), kOnce))
	}
	count := func(ns []int) (ok int) {
		for _, n := range ns {
			if n >= need {
				ok++
			}
		}
		return ok
	}
	// Measured: 7 of the 10 drawings filled verify with the fill, 1
	// without.
	if count(filled) < 6 || count(once) > 2 {
		t.Errorf("crops of %d drawings filled: %d verify (features agreeing: %v), want >= 6; without the fill %d (%v), want <= 2",
			len(filled), count(filled), filled, count(once), once)
	}
}

func benchExtract(b *testing.B, w, h, n int) {
	p := lumaOf(triagetest.Photo(w, h, 3))
	b.ResetTimer()
	cpu := triagetest.ProcessCPU()
	for b.Loop() {
		extract(p, n)
	}
	b.ReportMetric((triagetest.ProcessCPU()-cpu)*1e3/float64(b.N), "cpu-ms/op")
}

// BenchmarkExtract is the cost of a query's features (keypoint.Query) from
// a luma plane already decoded, at 640x480 and 12 MP (4000x3000, as the
// pure Go decoders give it; libjpeg-turbo decodes 12 MP photos smaller).
// cpu-ms/op is the process's CPU time (the garbage collector's included),
// which other processes on a shared machine do not inflate as they do
// the wall-clock time.
func BenchmarkExtract640x480(b *testing.B) { benchExtract(b, 640, 480, keypoint.Query) }
func BenchmarkExtract12MP(b *testing.B)    { benchExtract(b, 4000, 3000, keypoint.Query) }
func BenchmarkExtractKnown(b *testing.B)   { benchExtract(b, 640, 480, keypoint.Known) }

// BenchmarkExtractDrawn is a query's features of a 1024x768 drawing
// with too few on the working plane, filled from the plane twice as fine.
func BenchmarkExtractDrawn(b *testing.B) {
	p := drawing(1024, 768, 1)
	b.ResetTimer()
	cpu := triagetest.ProcessCPU()
	for b.Loop() {
		extract(p, keypoint.Query)
	}
	b.ReportMetric((triagetest.ProcessCPU()-cpu)*1e3/float64(b.N), "cpu-ms/op")
}

// BenchmarkVerify is one candidate's verification: the features of a
// crop paired with the original's and fitted.
func BenchmarkVerify(b *testing.B) {
	orig := lumaOf(triagetest.Photo(640, 480, 1))
	k := extract(orig, keypoint.Known)
	q := extract(cropScale(orig, image.Rect(160, 38, 640, 480), 1), keypoint.Query)
	pairs := keypoint.Pairs(q, k, matching.KeypointRadius, false)
	b.ResetTimer()
	for b.Loop() {
		keypoint.Verify(pairs, false)
	}
}

// FuzzExtract: any plane (any size from 1x1 to 600x600, so the fill from
// a finer plane too; any values, NaN and infinities included) gives at
// most n features, without a panic, each within the image.
func FuzzExtract(f *testing.F) {
	f.Add(uint16(64), uint16(48), []byte{0, 255, 17, 99})
	f.Add(uint16(1), uint16(300), []byte{1})
	f.Add(uint16(300), uint16(2), []byte{200, 3, 3, 200})
	f.Add(uint16(40), uint16(40), []byte{0x7f, 0xc0, 0, 0})
	f.Fuzz(func(t *testing.T, w, h uint16, data []byte) {
		iw, ih := int(w%600)+1, int(h%600)+1
		luma := make([]float32, iw*ih)
		for i := range luma {
			if len(data) >= 4 {
				luma[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[(4*i)%(len(data)-3):]))
			} else if len(data) > 0 {
				luma[i] = float32(data[i%len(data)])
			}
		}
		kps := keypoint.Extract(luma, iw, ih, keypoint.Query)
		if len(kps) > keypoint.Query {
			t.Fatalf("%d features, want at most %d", len(kps), keypoint.Query)
		}
		long := max(iw, ih)
		for _, k := range kps {
			if int(k.X)*long > 255*iw+long || int(k.Y)*long > 255*ih+long {
				t.Fatalf("feature %+v outside a %dx%d image", k, iw, ih)
			}
		}
	})
}
