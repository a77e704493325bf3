package hashing

import (
	"image"
	"math"
	"sync"

	"github.com/winnow-forensics/winnow/triage"
)

// pHash's dihedral hashes. pHash (goimagehash's PerceptionHash, fed our
// 64x64 thumbnail) thresholds the 8x8 lowest frequencies of the
// thumbnail's DCT-II at their median. Rotating the thumbnail by 90 degrees
// or mirroring it permutes those coefficients and flips the signs of the
// odd ones, so the hashes of all eight rotations and mirror images come
// from one DCT, the way PDQ's do: 64x8x64 + 8x8x64 multiply-adds (about
// 20 microseconds) instead of seven more PerceptionHash calls (over 400
// microseconds each, most of it in its resize step).

// dctCos[k][n] = cos(pi*(n+0.5)*k/64): goimagehash's DCT is the
// unnormalised DCT-II, so no scale factors are needed (thresholding at
// the median ignores a common positive factor anyway).
var dctCos = sync.OnceValue(func() *[8][smallSide]float64 {
	var t [8][smallSide]float64
	for k := range t {
		for n := range t[k] {
			t[k][n] = math.Cos(math.Pi * (float64(n) + 0.5) * float64(k) / smallSide)
		}
	}
	return &t
})

// phashDihedral returns the pHashes of the eight dihedral transforms of
// a 64x64 gray thumbnail, in PDQ's order (orig, rot90, rot180, rot270,
// flipx, flipy, flipp, flipm; rotations counter-clockwise). Element 0 is
// pHash of the thumbnail itself; it equals goimagehash's except, rarely, in
// a bit whose coefficient ties the median to rounding.
func phashDihedral(img *image.Gray) [8]triage.PHash {
	ct := dctCos()
	// rows[y][u]: the DCT along x of row y, first 8 frequencies.
	var rows [smallSide][8]float64
	for y := range smallSide {
		px := img.Pix[y*img.Stride : y*img.Stride+smallSide]
		for u := range 8 {
			var s float64
			for x, p := range px {
				s += float64(p) * ct[u][x]
			}
			rows[y][u] = s
		}
	}
	// c[v][u]: v the vertical frequency, u the horizontal one.
	var c [8][8]float64
	for v := range 8 {
		for u := range 8 {
			var s float64
			for y := range smallSide {
				s += rows[y][u] * ct[v][y]
			}
			c[v][u] = s
		}
	}
	sign := func(k int) float64 { return float64(1 - 2*(k&1)) }
	var out [8]triage.PHash
	var flat [64]float64
	for t := range 8 {
		for i := range 8 { // row of the transformed image's coefficients
			for j := range 8 {
				var v float64
				switch t {
				case 0: // orig
					v = c[i][j]
				case 1: // rot90 ccw: g'(x,y) = g(63-y, x)
					v = sign(i) * c[j][i]
				case 2: // rot180
					v = sign(i+j) * c[i][j]
				case 3: // rot270 ccw: g'(x,y) = g(y, 63-x)
					v = sign(j) * c[j][i]
				case 4: // flipx: top/bottom mirror
					v = sign(i) * c[i][j]
				case 5: // flipy: left/right mirror
					v = sign(j) * c[i][j]
				case 6: // flipp: transpose
					v = c[j][i]
				case 7: // flipm: transverse
					v = sign(i+j) * c[j][i]
				}
				flat[8*i+j] = v
			}
		}
		med := median64(flat)
		var h uint64
		for idx, p := range flat {
			if p > med {
				h |= 1 << (63 - idx)
			}
		}
		out[t] = triage.PHash(h)
	}
	return out
}

// median64 returns the element of rank 32 (0-based) of v, as goimagehash
// takes it.
func median64(v [64]float64) float64 {
	// Insertion sort of a copy: 64 elements, a few microseconds.
	for i := 1; i < len(v); i++ {
		x := v[i]
		j := i - 1
		for ; j >= 0 && v[j] > x; j-- {
			v[j+1] = v[j]
		}
		v[j+1] = x
	}
	return v[32]
}
