package pdq

import (
	"cmp"
	"math"
)

// dctMatrix is the 16x64 row-major DCT-II matrix restricted to frequencies
// 1..16: D[i][j] = sqrt(2/64) * cos(pi/2/64 * (i+1) * (2j+1)).
//
// As in the reference, the scale factor is rounded to float32 first, the
// product with the float64 cosine is formed in float64 and the result is
// rounded to float32.
var dctMatrix = func() (d [16 * 64]float32) {
	scale := float32(math.Sqrt(2.0 / 64.0))
	for i := 0; i < 16; i++ {
		for j := 0; j < 64; j++ {
			c := math.Cos((math.Pi / 2.0 / 64.0) * float64(i+1) * float64(2*j+1))
			d[i*64+j] = float32(float64(scale) * c)
		}
	}
	return d
}()

// dct64To16 computes B = D A Dt for the 64x64 row-major matrix a, using t
// (16x64) as the intermediate T = D A. Each output element is a float32 sum
// of float32 products accumulated from k = 0 upwards, starting at zero.
func dct64To16(b *[256]float32, t *[16 * 64]float32, a *[64 * 64]float32) {
	d := &dctMatrix
	for i := 0; i < 16; i++ {
		trow := (*[64]float32)(t[i*64:])
		*trow = [64]float32{}
		drow := (*[64]float32)(d[i*64:])
		for k, dk := range drow {
			arow := (*[64]float32)(a[k*64:])
			for j, v := range arow {
				// The explicit conversion keeps the product rounded to
				// float32 (no fused multiply-add).
				trow[j] += float32(dk * v)
			}
		}
	}
	for i := 0; i < 16; i++ {
		trow := (*[64]float32)(t[i*64:])
		for j := 0; j < 16; j += 4 {
			d0 := (*[64]float32)(d[j*64:])
			d1 := (*[64]float32)(d[(j+1)*64:])
			d2 := (*[64]float32)(d[(j+2)*64:])
			d3 := (*[64]float32)(d[(j+3)*64:])
			var s0, s1, s2, s3 float32
			for k, v := range trow {
				s0 += float32(v * d0[k])
				s1 += float32(v * d1[k])
				s2 += float32(v * d2[k])
				s3 += float32(v * d3[k])
			}
			b[i*16+j] = s0
			b[i*16+j+1] = s1
			b[i*16+j+2] = s2
			b[i*16+j+3] = s3
		}
	}
}

// quality returns the PDQ image-domain quality metric of the 64x64
// row-major buffer a: the sum of |trunc((u-v)*100/255)| over all pairs of
// vertically and horizontally adjacent samples, divided by 90 and clamped
// to 100.
func quality(a *[64 * 64]float32) int {
	sum := 0
	for i := 0; i < 63; i++ {
		r0 := (*[64]float32)(a[i*64:])
		r1 := (*[64]float32)(a[(i+1)*64:])
		for j := range r0 {
			sum += absTrunc(r0[j], r1[j])
		}
	}
	for i := 0; i < 64; i++ {
		r := (*[64]float32)(a[i*64:])
		for j := 0; j < 63; j++ {
			sum += absTrunc(r[j], r[j+1])
		}
	}
	q := sum / 90
	if q > 100 {
		q = 100
	}
	return q
}

// absTrunc returns |int((u-v)*100/255)| with float32 arithmetic and
// truncation toward zero.
func absTrunc(u, v float32) int {
	d := int(float32(float32(u-v)*100) / 255)
	if d < 0 {
		d = -d
	}
	return d
}

// dihedral describes how the DCT of a dihedral transform of the image is
// obtained from the DCT B of the original: B'[i][j] = +-B[i][j], or
// +-B[j][i] when transpose is set, negated when (negEvenRow and i is even)
// xor (negEvenCol and j is even).
type dihedral struct {
	transpose  bool
	negEvenRow bool
	negEvenCol bool
}

// dihedrals lists the transforms in HashDihedral order. Flipping the
// image along an axis multiplies frequency i+1 along that axis by
// (-1)^(i+1); rotations and diagonal flips also swap the two axes.
var dihedrals = [8]dihedral{
	{false, false, false}, // original
	{true, true, false},   // rotate 90 (counter-clockwise)
	{false, true, true},   // rotate 180
	{true, false, true},   // rotate 270 (counter-clockwise)
	{false, true, false},  // flip x (top/bottom)
	{false, false, true},  // flip y (left/right)
	{true, false, false},  // flip plus-one diagonal (transpose)
	{true, true, true},    // flip minus-one diagonal (transverse)
}

// apply writes the transformed coefficients of b into dst.
func (t dihedral) apply(dst, b *[256]float32) {
	for i := 0; i < 16; i++ {
		for j := 0; j < 16; j++ {
			v := b[i*16+j]
			if t.transpose {
				v = b[j*16+i]
			}
			if (t.negEvenRow && i&1 == 0) != (t.negEvenCol && j&1 == 0) {
				v = -v
			}
			dst[i*16+j] = v
		}
	}
}

// thresholdBits returns the hash whose bit i*16+j is set when c[i*16+j] is
// strictly greater than the median of c, the 128th smallest of the 256
// values. scratch is overwritten.
func thresholdBits(c, scratch *[256]float32) Hash {
	*scratch = *c
	median := nth(scratch[:], 127)
	var h Hash
	for k, v := range c {
		if v > median {
			h.setBit(k)
		}
	}
	return h
}

// nth returns the element of rank k (0-based) of a in slices.Sort's order
// (cmp.Less: NaNs first), reordering a: a quickselect, several times
// faster than sorting 256 values, and the same value.
func nth(a []float32, k int) float32 {
	lo, hi := 0, len(a)-1
	for lo < hi {
		x, y, z := a[lo], a[lo+(hi-lo)/2], a[hi]
		if cmp.Less(y, x) {
			x, y = y, x
		}
		if cmp.Less(z, y) {
			y = z
			if cmp.Less(y, x) {
				y = x
			}
		}
		p := y // the median of three
		i, j := lo, hi
		for i <= j {
			for cmp.Less(a[i], p) {
				i++
			}
			for cmp.Less(p, a[j]) {
				j--
			}
			if i <= j {
				a[i], a[j] = a[j], a[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return a[k] // between j and i: equal to the pivot
		}
	}
	return a[k]
}
