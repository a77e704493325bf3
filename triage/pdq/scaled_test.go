package pdq

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestScaledWeightsIdentity checks the full-size weights against the
// box-filter passes themselves: with every plane pixel standing for one
// full-size pixel, the weighted sums must give the blurred and decimated
// buffer of Hash, up to float32 rounding.
func TestScaledWeightsIdentity(t *testing.T) {
	for i, sz := range [][2]int{{5, 7}, {64, 65}, {127, 129}, {383, 250}, {640, 480}, {1000, 37}} {
		w, h := sz[0], sz[1]
		luma := testImage(w, h, uint64(i))
		var a, b Hasher
		a.downsample(slices.Clone(luma), w, h)
		cols := b.scaledCols.get(w, w, 1, 1)
		rows := b.scaledRows.get(h, h, 1, 1)
		for r := range 64 {
			for c := range 64 {
				var v float64
				for y, wy := range rows[r].w {
					for x, wx := range cols[c].w {
						v += float64(wy) * float64(wx) * float64(luma[(rows[r].first+y)*w+cols[c].first+x])
					}
				}
				if got := a.buf64[r*64+c]; math.Abs(float64(got)-v) > 1e-3*max(1, math.Abs(v)) {
					t.Fatalf("%dx%d: sample (%d,%d) = %g by the weights, %g by the blur", w, h, r, c, v, got)
				}
			}
		}
	}
}

// blockMeans returns the k/8 DCT-scaled plane of a w x h image whose
// blocks are uniform enough for the mean to stand for them: each plane
// pixel the mean of the 8/k x 8/k pixels it covers (k in 1, 2, 4).
func blockMeans(luma []float32, w, h, k int) ([]float32, int, int) {
	s := 8 / k
	sw, sh := (w*k+7)/8, (h*k+7)/8
	out := make([]float32, sw*sh)
	for y := range sh {
		for x := range sw {
			var sum float32
			n := 0
			for yy := y * s; yy < min(h, y*s+s); yy++ {
				for xx := x * s; xx < min(w, x*s+s); xx++ {
					sum += luma[yy*w+xx]
					n++
				}
			}
			out[y*sw+x] = sum / float32(n)
		}
	}
	return out, sw, sh
}

// photoLike is a luma image with detail at every scale down to a few
// pixels and sensor-like noise.
func photoLike(w, h int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 11))
	type wave struct{ fx, fy, ph, a float64 }
	var ws []wave
	for range 16 {
		f := math.Exp(rng.Float64() * math.Log(200))
		th := rng.Float64() * math.Pi
		ws = append(ws, wave{f * math.Cos(th) / float64(w), f * math.Sin(th) / float64(w), rng.Float64() * 6.3, 60 / math.Sqrt(f)})
	}
	l := make([]float32, w*h)
	for y := range h {
		for x := range w {
			v := 128.0
			for _, q := range ws {
				v += q.a * math.Sin(2*math.Pi*(q.fx*float64(x)+q.fy*float64(y))+q.ph)
			}
			l[y*w+x] = float32(max(0, min(255, v+4*rng.NormFloat64())))
		}
	}
	return l
}

// TestHashScaled checks that a plane of block means hashes, through
// HashScaled, as the full-size image does through Hash, and much closer
// than the plane's own Hash. The planes keep a shorter side of 128 pixels
// or more (the JPEG fast path keeps 256): smaller, the blocks grow too
// coarse for the tent filter.
func TestHashScaled(t *testing.T) {
	var hs Hasher
	var sumScaled, sumPlain, n int
	for i, sz := range [][2]int{{1200, 900}, {900, 1200}, {1001, 603}, {2400, 1100}} {
		w, h := sz[0], sz[1]
		full := photoLike(w, h, uint64(i))
		want, wq := hs.Hash(slices.Clone(full), w, h)
		wantD, _ := hs.HashDihedral(slices.Clone(full), w, h)
		for _, k := range []int{1, 2, 4} {
			plane, pw, ph := blockMeans(full, w, h, k)
			if min(pw, ph) < 128 {
				continue
			}
			got, q := hs.HashScaled(plane, pw, ph, w, h)
			gotD, _ := hs.HashDihedralScaled(plane, pw, ph, w, h)
			plain, _ := hs.Hash(slices.Clone(plane), pw, ph)
			d, dp := Distance(got, want), Distance(plain, want)
			t.Logf("%dx%d at %d/8: HashScaled %d bits from full size (quality %d, full %d), Hash of the plane %d", w, h, k, d, q, wq, dp)
			if d > 6 || gotD[0] != got || Distance(gotD[5], wantD[5]) > 6 {
				t.Errorf("%dx%d at %d/8: HashScaled is %d bits from the full-size hash (mirror %d)", w, h, k, d, Distance(gotD[5], wantD[5]))
			}
			if q < wq-3 || q > wq+3 {
				t.Errorf("%dx%d at %d/8: quality %d, full size %d", w, h, k, q, wq)
			}
			sumScaled, sumPlain, n = sumScaled+d, sumPlain+dp, n+1
		}
	}
	if sumScaled*2 > sumPlain {
		t.Errorf("HashScaled averages %.1f bits from full size, the plane's own hash %.1f: the weights buy too little",
			float64(sumScaled)/float64(n), float64(sumPlain)/float64(n))
	}
	if got, _ := hs.HashScaled(make([]float32, 4*4), 4, 4, 4, 4); got != (Hash{}) {
		t.Errorf("a 4x4 image hashes to %v, want zero", got)
	}
	if got, _ := hs.HashScaled(make([]float32, 10), 5, 2, 40, 16); got != (Hash{}) {
		t.Errorf("a plane of the wrong length hashes to %v, want zero", got)
	}
}
