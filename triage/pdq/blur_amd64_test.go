package pdq

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// vectorPlane returns a w x h plane of values drawn by kind: 0 photo-like
// luma, 1 any float32 bits (NaN, infinities, subnormals and huge values
// included), 2 whole values with long runs of equal ones.
func vectorPlane(w, h, kind int, rng *rand.Rand) []float32 {
	p := make([]float32, w*h)
	for i := range p {
		switch kind {
		case 0:
			p[i] = rgbLuma(uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32()))
		case 1:
			p[i] = math.Float32frombits(rng.Uint32())
		default:
			p[i] = float32(rng.IntN(3) * 100)
		}
	}
	return p
}

// TestVectorBlur checks that the AVX2 box filters blur exactly as the Go
// loops do: the 64x64 buffer, bit for bit, on every size class (widths
// with and without a tail of fewer than 8 columns, heights with and
// without a group of fewer than 8 rows, windows of 1 to 9).
func TestVectorBlur(t *testing.T) {
	if !vector {
		t.Skip("this CPU has no AVX2: the Go loops are the only path")
	}
	defer func(v bool) { vector = v }(vector)
	rng := rand.New(rand.NewPCG(11, 12))
	sizes := []int{5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 40, 63, 64, 65, 127, 128, 129, 200, 255, 257, 511, 640, 1030}
	var vec, scalar Hasher
	for _, w := range sizes {
		for _, h := range sizes {
			if w*h > 300_000 && (w+h)%2 == 0 {
				continue
			}
			kind := (w + 3*h) % 3
			luma := vectorPlane(w, h, kind, rng)
			vector = true
			vec.downsample(slices.Clone(luma), w, h)
			vector = false
			scalar.downsample(slices.Clone(luma), w, h)
			for i := range vec.buf64 {
				if !sameFloat(vec.buf64[i], scalar.buf64[i]) {
					t.Fatalf("%dx%d (kind %d): sample %d: AVX2 %v, Go %v", w, h, kind, i, vec.buf64[i], scalar.buf64[i])
				}
			}
		}
	}
}

// FuzzVectorBlur compares the AVX2 and Go blurs on planes made of the
// fuzzer's bytes read as float32 values.
func FuzzVectorBlur(f *testing.F) {
	f.Add(uint16(9), uint16(17), []byte{0, 0, 0x80, 0x7f, 1, 2, 3, 4, 0, 0, 0xc0, 0x7f})
	f.Add(uint16(300), uint16(8), []byte("a plane of a few floats"))
	f.Add(uint16(64), uint16(130), []byte{0, 0, 0x7f, 0x43})
	f.Fuzz(func(t *testing.T, w16, h16 uint16, data []byte) {
		if !vector {
			t.Skip("no AVX2")
		}
		defer func(v bool) { vector = v }(vector)
		w, h := 5+int(w16)%400, 5+int(h16)%400
		luma := make([]float32, w*h)
		if len(data) >= 4 {
			for i := range luma {
				k := 4 * (i % (len(data) / 4))
				luma[i] = math.Float32frombits(uint32(data[k]) | uint32(data[k+1])<<8 | uint32(data[k+2])<<16 | uint32(data[k+3])<<24)
			}
		}
		var vec, scalar Hasher
		vector = true
		vec.downsample(slices.Clone(luma), w, h)
		vector = false
		scalar.downsample(luma, w, h)
		for i := range vec.buf64 {
			if !sameFloat(vec.buf64[i], scalar.buf64[i]) {
				t.Fatalf("%dx%d: sample %d: AVX2 %v, Go %v", w, h, i, vec.buf64[i], scalar.buf64[i])
			}
		}
	})
}

// sameFloat reports whether a and b have the same bits, or are both NaN:
// which NaN an operation on two gives depends on the order of its
// operands, which the compiler may swap for an addition, and is never
// looked at.
func sameFloat(a, b float32) bool {
	return math.Float32bits(a) == math.Float32bits(b) || a != a && b != b
}
