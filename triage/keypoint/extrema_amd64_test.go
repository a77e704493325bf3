package keypoint

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// peaksBoth returns the points peaks finds on row y of the plane with
// AVX2 and with the Go loop alone.
func peaksBoth(d []float32, w, y, lo, hi int) (vec, goLoop []int) {
	defer func(v bool) { vector = v }(vector)
	vector = true
	vec = peaks(nil, d, w, y, lo, hi)
	vector = false
	return vec, peaks(nil, d, w, y, lo, hi)
}

// specials are the values where a comparison may go wrong: NaNs (quiet,
// signalling, negative), infinities, zeros of both signs, the contrast
// threshold and its neighbours, and the extremes of the finite floats.
var specials = func() []float32 {
	var s []float32
	for _, b := range []uint32{0x7fc00000, 0xffc00000, 0x7f800001, 0x7f800000, 0xff800000, 0, 0x80000000, 1, 0x7f7fffff} {
		s = append(s, math.Float32frombits(b))
	}
	for _, v := range []float32{0.5, math.Nextafter32(0.5, 0), math.Nextafter32(0.5, 1), 0.75, 1, 2} {
		s = append(s, v, -v)
	}
	return s
}()

// fillRows sets d to test values of one of four kinds: specials alone
// (ties everywhere), random values around the threshold, random values
// with specials among them, and points planted above or below their
// neighbours, some of which are then made equal to them, NaN or
// infinite.
func fillRows(rng *rand.Rand, d []float32, w int) {
	kind := rng.IntN(4)
	for i := range d {
		switch {
		case kind == 0 || kind == 2 && rng.IntN(8) == 0:
			d[i] = specials[rng.IntN(len(specials))]
		default:
			d[i] = float32(rng.NormFloat64())
		}
	}
	if kind != 3 {
		return
	}
	for k := w + 1; k < len(d)-w-1; k++ {
		if rng.IntN(3) != 0 {
			continue
		}
		v := 0.5 + float32(rng.IntN(4))
		if rng.IntN(2) == 0 {
			v = -v
		}
		d[k] = v
		for _, p := range [8]int{k - w - 1, k - w, k - w + 1, k - 1, k + 1, k + w - 1, k + w, k + w + 1} {
			switch rng.IntN(30) {
			case 0:
				d[p] = v
			case 1:
				d[p] = float32(math.NaN())
			case 2:
				d[p] = float32(math.Inf(1 - 2*rng.IntN(2)))
			default:
				d[p] = v / 2
			}
		}
	}
}

// TestPeaksVec: the AVX2 scan finds the Go loop's points, in the same
// order, for every number of points from 1 to 80, every first point
// from 1 to 8, the plane at every alignment of 8 floats, and values
// with ties, NaN, infinities, zeros of both signs and the threshold's
// ±0.5 and its neighbours.
func TestPeaksVec(t *testing.T) {
	if !vector {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	found, scanned := 0, 0
	for n := 1; n <= 80; n++ {
		for lo := 1; lo <= 8; lo++ {
			for align := range 8 {
				w := lo + n + 1 + rng.IntN(3)
				buf := make([]float32, align+3*w)
				d := buf[align:]
				for range 4 {
					fillRows(rng, d, w)
					vec, goLoop := peaksBoth(d, w, 1, lo, lo+n)
					if !slices.Equal(vec, goLoop) {
						t.Fatalf("%d points from %d, width %d: AVX2 finds %v, Go %v\nrows %v", n, lo, w, vec, goLoop, d)
					}
					if xs, x := peaksVec(nil, d, w, 1, lo, lo+n); x != lo+n&^7 || !slices.Equal(xs, goLoop[:len(xs)]) {
						t.Fatalf("%d points from %d: peaksVec scanned up to %d (%v), want %d", n, lo, x, xs, lo+n&^7)
					}
					found += len(goLoop)
					scanned += n
				}
			}
		}
	}
	// Enough points found that a lane or a comparison wrong shows.
	if found < scanned/20 {
		t.Errorf("%d points found of %d: too few to test the scan", found, scanned)
	}
}

// TestPeaksVecBounds: a row whose neighbours are not all within the
// plane is left to the Go loop.
func TestPeaksVecBounds(t *testing.T) {
	if !vector {
		t.Skip("no AVX2")
	}
	const w = 20
	d := make([]float32, 3*w)
	for _, c := range []struct{ y, lo, hi int }{{1, 0, 16}, {0, 1, 17}, {2, 1, 17}, {1, 4, 20}, {1, 12, 20}, {1, 5, 4}} {
		if _, x := peaksVec(nil, d, w, c.y, c.lo, c.hi); x != c.lo {
			t.Errorf("row %d, points %d to %d: scanned up to %d, want none (%d)", c.y, c.lo, c.hi, x, c.lo)
		}
	}
	if _, x := peaksVec(nil, d, w, 1, 3, 19); x != 19 {
		t.Errorf("points that fit: scanned up to %d, want 19", x)
	}
}

// TestExtremaVec: an octave's candidates, of random planes with NaN
// and infinities in the differences, are the same, in the same order,
// with AVX2 as with the Go loop (printed: a NaN position compares
// unequal to itself).
func TestExtremaVec(t *testing.T) {
	if !vector {
		t.Skip("no AVX2")
	}
	defer func(v bool) { vector = v }(vector)
	rng := rand.New(rand.NewPCG(9, 10))
	total := 0
	for _, s := range [][2]int{{12, 12}, {37, 20}, {64, 48}, {203, 151}} {
		w, h := s[0], s[1]
		var oc octave
		oc.w, oc.h = w, h
		for i := range oc.d {
			oc.d[i] = make([]float32, w*h)
			fillRows(rng, oc.d[i], w)
		}
		oc.g[levels+1], oc.top = make([]float32, w*h), make([]float32, w*h)
		var got [2][]cand
		for j, vec := range []bool{true, false} {
			vector = vec
			c := oc
			c.d[levels+1] = slices.Clone(oc.d[levels+1])
			got[j] = c.extrema(1, nil)
		}
		if a, b := fmt.Sprint(got[0]), fmt.Sprint(got[1]); a != b {
			t.Fatalf("%dx%d: AVX2 candidates %v, Go %v", w, h, a, b)
		}
		total += len(got[1])
	}
	if total < 20 {
		t.Errorf("%d candidates: too few to test", total)
	}
}

// FuzzPeaks: any row of floats (NaN and infinities included), width
// and first and last points give the same points with AVX2 as with the
// Go loop.
func FuzzPeaks(f *testing.F) {
	if !vector {
		f.Skip("no AVX2")
	}
	f.Add([]byte{0, 0, 0, 63, 0, 0, 128, 63, 0, 0, 0, 191, 0, 0, 192, 127}, uint8(20), uint8(1), uint8(18))
	f.Add([]byte{0, 0, 128, 255, 0, 0, 128, 127, 0, 0, 0, 128, 0, 0, 0, 0, 0, 0, 0, 64}, uint8(45), uint8(3), uint8(40))
	f.Add([]byte{1, 0, 128, 127, 255, 255, 127, 127, 0, 0, 0, 63}, uint8(9), uint8(1), uint8(8))
	f.Fuzz(func(t *testing.T, data []byte, w, lo, hi uint8) {
		iw := int(w%100) + 3
		ilo, ihi := 1+int(lo)%(iw-2), 1+int(hi)%(iw-1)
		d := make([]float32, 3*iw)
		for i := range d {
			if len(data) >= 4 {
				d[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[(4*i)%(len(data)-3):]))
			} else if len(data) > 0 {
				d[i] = float32(int8(data[i%len(data)])) / 4
			}
		}
		vec, goLoop := peaksBoth(d, iw, 1, ilo, ihi)
		if !slices.Equal(vec, goLoop) {
			t.Fatalf("width %d, points %d to %d: AVX2 finds %v, Go %v", iw, ilo, ihi, vec, goLoop)
		}
	})
}
