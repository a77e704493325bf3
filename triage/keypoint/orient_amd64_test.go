package keypoint

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"unsafe"
)

// histBoth returns the orientation histogram of the point (x, y) at
// sigma on the w x h plane g and its orientation, with AVX2 and then
// with the Go loop alone, and what each panicked with (nil for none).
func histBoth(g []float32, w, h int, x, y, sigma float64) (hist, histGo [orientBins]float64, angle, angleGo float64, panicked, panickedGo any) {
	run := func(vec bool) (hist [orientBins]float64, angle float64, p any) {
		defer func(v bool) { vector = v }(vector)
		defer func() { p = recover() }()
		vector = vec
		oc := octave{w: w, h: h}
		c := cand{ox: x, oy: y}
		hist = oc.histogram(g, c, sigma)
		angle = oc.orientation(g, c, sigma)
		return hist, angle, nil
	}
	hist, angle, panicked = run(true)
	histGo, angleGo, panickedGo = run(false)
	return hist, histGo, angle, angleGo, panicked, panickedGo
}

// checkHist fails t unless histBoth's results with AVX2 and without are
// the same, bit for bit, or both panic the same way.
func checkHist(t *testing.T, what string, g []float32, w, h int, x, y, sigma float64) {
	t.Helper()
	hist, histGo, angle, angleGo, p, pGo := histBoth(g, w, h, x, y, sigma)
	if p != nil || pGo != nil {
		if fmt.Sprint(p) != fmt.Sprint(pGo) {
			t.Fatalf("%s, %dx%d at (%g, %g), sigma %g: AVX2 panics with %v, the Go loop with %v", what, w, h, x, y, sigma, p, pGo)
		}
		return
	}
	for i := range hist {
		if math.Float64bits(hist[i]) != math.Float64bits(histGo[i]) {
			t.Fatalf("%s, %dx%d at (%g, %g), sigma %g: bin %d is %g (%016x), want %g (%016x)", what, w, h, x, y, sigma, i, hist[i], math.Float64bits(hist[i]), histGo[i], math.Float64bits(histGo[i]))
		}
	}
	if math.Float64bits(angle) != math.Float64bits(angleGo) {
		t.Fatalf("%s, %dx%d at (%g, %g), sigma %g: angle %g, want %g", what, w, h, x, y, sigma, angle, angleGo)
	}
}

// orientPlanes are planes whose gradients test the vector path's
// corners: random values, flat regions (no gradient), small integers
// (ties of |gx| and |gy|, axis-aligned and diagonal gradients), ramps at
// the angles of the bins' edges, signed zeros, values whose differences
// overflow, and infinities and NaN (which make the Go loop panic).
var orientPlanes = []struct {
	name string
	gen  func(rng *rand.Rand, x, y int) float32
}{
	{"random", func(rng *rand.Rand, x, y int) float32 { return 255 * rng.Float32() }},
	{"octaves", func(rng *rand.Rand, x, y int) float32 {
		return float32(math.Ldexp(rng.Float64()-0.5, rng.IntN(40)-20))
	}},
	{"flat blocks", func(rng *rand.Rand, x, y int) float32 { return float32((x/7)*3 + (y/5)*11) }},
	{"flat with noise", func(rng *rand.Rand, x, y int) float32 {
		if rng.IntN(8) == 0 {
			return 255 * rng.Float32()
		}
		return 128
	}},
	{"small integers", func(rng *rand.Rand, x, y int) float32 { return float32(rng.IntN(3)) }},
	{"bin edges", nil}, // rampPlane
	{"signed zeros", func(rng *rand.Rand, x, y int) float32 {
		return [4]float32{0, float32(math.Copysign(0, -1)), 1, -1}[rng.IntN(4)]
	}},
	{"overflow", func(rng *rand.Rand, x, y int) float32 {
		return [4]float32{math.MaxFloat32, -math.MaxFloat32, 0, 1e38}[rng.IntN(4)]
	}},
	{"infinities", func(rng *rand.Rand, x, y int) float32 {
		switch rng.IntN(40) {
		case 0:
			return float32(math.Inf(1))
		case 1:
			return float32(math.Inf(-1))
		}
		return 255 * rng.Float32()
	}},
	{"NaN", func(rng *rand.Rand, x, y int) float32 {
		if rng.IntN(300) == 0 {
			return float32(math.NaN())
		}
		return 255 * rng.Float32()
	}},
}

// rampPlane is a w x h plane rising along a direction of a bin's edge
// (k times 10 degrees), nudged by a few ulps or not at all: its gradients
// are on an edge or within a hair of it.
func rampPlane(rng *rand.Rand, w, h int) []float32 {
	theta := float64(rng.IntN(orientBins)) * 2 * math.Pi / orientBins
	if rng.IntN(2) == 0 {
		theta += float64(rng.IntN(21)-10) * 1e-15
	}
	s := math.Ldexp(1, rng.IntN(10)-3)
	cs, sn := s*math.Cos(theta), s*math.Sin(theta)
	g := make([]float32, w*h)
	for y := range h {
		for x := range w {
			g[y*w+x] = float32(cs*float64(x) + sn*float64(y))
		}
	}
	return g
}

// orientPlane returns a w x h plane of orientPlanes[i]'s kind.
func orientPlane(rng *rand.Rand, i, w, h int) []float32 {
	if orientPlanes[i].gen == nil {
		return rampPlane(rng, w, h)
	}
	g := make([]float32, w*h)
	for y := range h {
		for x := range w {
			g[y*w+x] = orientPlanes[i].gen(rng, x, y)
		}
	}
	return g
}

// TestHistogramVec: the histograms and orientations of points anywhere on
// planes of every kind in orientPlanes, of sizes from 3 to 90 pixels (so
// discs cut by the plane's edges) and radii from 1 to 35 (rows of 1 to 71
// points, longer than the vector path takes), are the same to the bit
// with AVX2 as with the Go loop, or panic the same.
func TestHistogramVec(t *testing.T) {
	if !vector {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for i, p := range orientPlanes {
		for range 40 {
			w, h := 3+rng.IntN(88), 3+rng.IntN(88)
			g := orientPlane(rng, i, w, h)
			for range 10 {
				r := 1 + rng.IntN(35)
				sigma := (float64(r) - rng.Float64()) / 6 // ceil(6 sigma) = r
				x, y := rng.Float64()*float64(w-1), rng.Float64()*float64(h-1)
				checkHist(t, p.name, g, w, h, x, y, sigma)
			}
		}
	}
}

// TestOrientRowPoints: each point of rows of every kind of plane has the
// Go loop's weight, and its bin where orientRow gives one; and the rows
// have points it leaves to the Go loop of every kind (within edge of a
// bin's edge with a gradient, without a gradient), and points whose bin
// by the polynomial arctangent alone (orientRow with the edge test off)
// would be wrong, so that the test would see a lane not left to the Go
// loop that should be.
func TestOrientRowPoints(t *testing.T) {
	if !vector {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(9, 10))
	wts := make([]float64, 2*48*48)
	for d := range wts {
		wts[d] = math.Exp(-float64(d) / 200)
	}
	var wt [48]float64
	var bin [48]int32
	var left, flat, binned, polyWrong int
	for i, p := range orientPlanes {
		if p.name == "NaN" || p.name == "infinities" {
			continue // the Go loop panics
		}
		for range 200 {
			w := 50
			g := orientPlane(rng, i, w, 3)
			up, row, down := g[:w], g[w:2*w], g[2*w:]
			n := 4 + rng.IntN(44)
			x0 := 1 + rng.IntN(w-1-n)
			dx0, dy := rng.IntN(49-n)-24, rng.IntN(48)
			cx := x0 - dx0
			var ref [48][orientBins]float64
			for j := range n {
				addPoints(&ref[j], wts, up, row, down, x0+j, x0+j, cx, dy)
			}
			// The bins by the polynomial alone: whichever the edge test.
			k := orientK
			orientK.lo, orientK.hi = [4]float64{-1, -1, -1, -1}, [4]float64{2, 2, 2, 2}
			orientRow(wt[:], bin[:], up, row, down, x0, n, wts, dx0, dy*dy)
			orientK = k
			for j := range n {
				if b := bin[j]; b >= 0 && wt[j] != 0 && (b >= orientBins || ref[j][b] != wt[j]) {
					polyWrong++
				}
			}

			if !orientRow(wt[:], bin[:], up, row, down, x0, n, wts, dx0, dy*dy) {
				t.Fatalf("%s: orientRow of %d points from %d refused", p.name, n, x0)
			}
			for j := range n {
				dx := x0 + j - cx
				gx, gy := float64(row[x0+j+1]-row[x0+j-1]), float64(down[x0+j]-up[x0+j])
				want := wts[dx*dx+dy*dy] * math.Sqrt(gx*gx+gy*gy)
				if math.Float64bits(wt[j]) != math.Float64bits(want) {
					t.Fatalf("%s: point %d of %d from %d: weight %g (%016x), want %g (%016x)", p.name, j, n, x0, wt[j], math.Float64bits(wt[j]), want, math.Float64bits(want))
				}
				switch b := bin[j]; {
				case b < 0 && want == 0:
					flat++
				case b < 0:
					left++
				case b >= orientBins || math.Float64bits(ref[j][b]) != math.Float64bits(want):
					t.Fatalf("%s: point %d of %d from %d (gradient %g, %g): bin %d, want the Go loop's %v", p.name, j, n, x0, gx, gy, b, ref[j])
				default:
					binned++
				}
			}
		}
	}
	if left == 0 || flat == 0 || binned == 0 || polyWrong == 0 {
		t.Errorf("%d points binned, %d left to the Go loop, %d of no gradient, %d binned wrong by the polynomial alone: want some of each", binned, left, flat, polyWrong)
	}
	t.Logf("%d points binned, %d left to the Go loop, %d of no gradient, %d binned wrong by the polynomial alone", binned, left, flat, polyWrong)
}

// TestOrientRowBounds: rows whose points, neighbours or weights are not
// within the slices, and rows of fewer than 4 points, are left to the Go
// loop.
func TestOrientRowBounds(t *testing.T) {
	if !vector {
		t.Skip("no AVX2")
	}
	up, row, down := make([]float32, 20), make([]float32, 20), make([]float32, 20)
	wts := make([]float64, 101)
	wt, bin := make([]float64, 18), make([]int32, 18)
	for _, c := range []struct {
		name            string
		x0, n, dx0, dy2 int
		ok              bool
	}{
		{"fits", 1, 18, -9, 0, true},
		{"the squared distances fit", 4, 8, -6, 64, true},
		{"3 points", 5, 3, 0, 0, false},
		{"no left neighbour", 0, 8, 0, 0, false},
		{"no right neighbour", 2, 18, -9, 0, false},
		{"negative dy2", 4, 8, -4, -1, false},
		{"beyond wts on the left", 4, 8, -11, 0, false},
		{"beyond wts on the right", 4, 8, 4, 0, false},
		{"beyond wts with dy2", 4, 8, -6, 65, false},
	} {
		if ok := orientRow(wt, bin, up, row, down, c.x0, c.n, wts, c.dx0, c.dy2); ok != c.ok {
			t.Errorf("%s: orientRow reports %v, want %v", c.name, ok, c.ok)
		}
	}
	if orientRow(wt[:17], bin, up, row, down, 1, 18, wts, -9, 0) || orientRow(wt, bin[:17], up, row, down, 1, 18, wts, -9, 0) {
		t.Error("orientRow of more points than outputs reports true")
	}
	if orientRow(wt, bin, up[:18], row, down, 1, 18, wts, -9, 0) || orientRow(wt, bin, up, row, down[:18], 1, 18, wts, -9, 0) {
		t.Error("orientRow of points beyond up or down reports true")
	}
	if off := unsafe.Offsetof(orientK.laneStep); off != 480 {
		t.Errorf("orientConsts.laneStep at %d, want 480 (orient_amd64.s)", off)
	}
}

// FuzzHistogram: any plane (from the fuzzer's bytes as floats, NaN and
// infinities included, or as small integers, of ties and flat regions),
// any point and any radius give the same histogram and orientation with
// AVX2 as with the Go loop, or the same panic.
func FuzzHistogram(f *testing.F) {
	if !vector {
		f.Skip("no AVX2")
	}
	f.Add(uint8(40), uint8(30), uint16(500), uint16(400), uint8(60), false, []byte{1, 7, 200, 3})
	f.Add(uint8(90), uint8(90), uint16(4500), uint16(4500), uint8(131), false, []byte{0, 0, 1, 2, 1, 0})
	f.Add(uint8(17), uint8(64), uint16(100), uint16(2000), uint8(200), true, []byte{0, 0, 128, 63, 0, 0, 128, 191, 0, 0, 0, 128})
	f.Add(uint8(33), uint8(33), uint16(1600), uint16(1600), uint8(255), true, []byte{0, 0, 128, 127, 0, 0, 72, 67})
	f.Fuzz(func(t *testing.T, w, h uint8, x, y uint16, r uint8, floats bool, data []byte) {
		iw, ih := int(w%100)+3, int(h%100)+3
		g := make([]float32, iw*ih)
		for i := range g {
			switch {
			case floats && len(data) >= 4:
				g[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[(4*i)%(len(data)-3):]))
			case len(data) > 0:
				g[i] = float32(data[i%len(data)])
			}
		}
		// The point anywhere on the plane, to a hundredth of a pixel; a
		// radius of 1 to 36, in 8 steps each.
		px, py := float64(int(x)%(100*iw))/100, float64(int(y)%(100*ih))/100
		sigma := float64(int(r)%288+1) / 48
		checkHist(t, "fuzz", g, iw, ih, px, py, sigma)
	})
}

// BenchmarkHistogram is the orientation histograms of a query's features
// (64, of sigmas 1.6 to 3.6) on a photo's blurred plane, with AVX2 and
// with the Go loop alone.
func BenchmarkHistogram(b *testing.B) {
	w, h := 256, 192
	a := new(arena)
	base := resample(a, goldenLuma(640, 480, 9), 640, 480, w, h)
	g := a.alloc(w * h)
	baseKernel.blur(g, nil, base, a.alloc(w*h), w, h)
	oc := octave{w: w, h: h}
	rng := rand.New(rand.NewPCG(11, 12))
	cands := make([]cand, Query)
	sigmas := make([]float64, Query)
	for i := range cands {
		cands[i] = cand{ox: 3 + rng.Float64()*float64(w-6), oy: 3 + rng.Float64()*float64(h-6)}
		sigmas[i] = 1.6 + 2*rng.Float64()
	}
	for _, vec := range []bool{true, false} {
		b.Run(map[bool]string{true: "AVX2", false: "Go"}[vec], func(b *testing.B) {
			defer func(v bool) { vector = v }(vector)
			vector = vec
			for b.Loop() {
				for i, c := range cands {
					oc.histogram(g, c, sigmas[i])
				}
			}
		})
	}
}
