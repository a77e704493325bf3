package pdq

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestLumaRowVec checks the AVX2 conversion of RGB rows against rgbLuma,
// bit for bit: every one of the 2^24 colours, then rows of every width
// from 1 to 40 at strides that leave 0 to 9 bytes after a row (the
// vector loads read 8 bytes past their pixels, never past the slice).
func TestLumaRowVec(t *testing.T) {
	if !vector {
		t.Skip("this CPU has no AVX2: the Go loop is the only path")
	}
	pix := make([]byte, 3<<24)
	for c := range 1 << 24 {
		pix[3*c], pix[3*c+1], pix[3*c+2] = byte(c>>16), byte(c>>8), byte(c)
	}
	d := make([]float32, 1<<24)
	n := lumaRowVec(d, pix)
	if n < 1<<24-8 {
		t.Fatalf("the vector path converted %d of %d pixels", n, 1<<24)
	}
	for c := range n {
		if want := rgbLuma(byte(c>>16), byte(c>>8), byte(c)); math.Float32bits(d[c]) != math.Float32bits(want) {
			t.Fatalf("colour %06x: %v, want %v", c, d[c], want)
		}
	}

	defer func(v bool) { vector = v }(vector)
	rng := rand.New(rand.NewPCG(1, 2))
	for w := 1; w <= 40; w++ {
		for pad := range 10 {
			const h = 3
			stride := 3*w + pad
			pix := make([]byte, stride*(h-1)+3*w)
			for i := range pix {
				pix[i] = byte(rng.Uint32())
			}
			vector = true
			got := LumaFromRGB(pix, w, h, stride, nil)
			vector = false
			want := LumaFromRGB(pix, w, h, stride, nil)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%d wide, stride %d: pixel %d: %v, want %v", w, stride, i, got[i], want[i])
				}
			}
		}
	}
}

// FuzzLumaFromRGB compares LumaFromRGB with AVX2 and with the Go loop on
// any pixels, sizes and strides, pix as short as the call allows.
func FuzzLumaFromRGB(f *testing.F) {
	f.Add(uint8(9), uint8(3), uint8(2), []byte("0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789"))
	f.Add(uint8(16), uint8(1), uint8(0), make([]byte, 48))
	f.Fuzz(func(t *testing.T, w8, h8, pad uint8, pix []byte) {
		if !vector {
			t.Skip("no AVX2")
		}
		defer func(v bool) { vector = v }(vector)
		w, h := int(w8), int(h8)
		stride := 3*w + int(pad)%16
		vector = true
		got := LumaFromRGB(pix, w, h, stride, nil)
		vector = false
		want := LumaFromRGB(pix, w, h, stride, nil)
		if (got == nil) != (want == nil) || len(got) != len(want) {
			t.Fatalf("%dx%d stride %d, %d bytes: AVX2 gave %d values, Go %d", w, h, stride, len(pix), len(got), len(want))
		}
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				t.Fatalf("%dx%d stride %d: pixel %d: %v, want %v", w, h, stride, i, got[i], want[i])
			}
		}
	})
}

// BenchmarkLumaFromRGB: a 2000x1500 RGB image (3 MP, decoded at full
// size) to luma, with AVX2 and with the Go loop.
func BenchmarkLumaFromRGB(b *testing.B) {
	const w, h = 2000, 1500
	pix := make([]byte, 3*w*h)
	for i := range pix {
		pix[i] = byte(i * 7)
	}
	dst := make([]float32, w*h)
	for _, vec := range []bool{true, false} {
		name := "AVX2"
		if !vec {
			name = "Go"
		}
		b.Run(name, func(b *testing.B) {
			defer func(v bool) { vector = v }(vector)
			vector = vec
			for b.Loop() {
				LumaFromRGB(pix, w, h, 3*w, dst)
			}
		})
	}
}
