package keypoint

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// rowPassBoth runs the row pass over the w x h plane src with AVX2 and
// with the Go loop alone; it fails t unless the vector path did the first
// h&^7 rows and left the others untouched.
func rowPassBoth(t *testing.T, src []float32, w, h int, xs []tap) (vec, goRows []float32) {
	t.Helper()
	dw := len(xs)
	vec, goRows = make([]float32, dw*h), make([]float32, dw*h)
	if n := resampleRowsVec(new(arena), vec, src, w, h, xs); n != h&^7 {
		t.Fatalf("%dx%d to %d wide: the vector path did %d rows, want %d", w, h, dw, n, h&^7)
	}
	for j, v := range vec[(h&^7)*dw:] {
		if math.Float32bits(v) != 0 {
			t.Fatalf("%dx%d to %d wide: the vector path wrote %v beyond its rows at %d", w, h, dw, v, (h&^7)*dw+j)
		}
	}
	for y := range h {
		resampleRow(goRows[y*dw:(y+1)*dw], src[y*w:(y+1)*w], xs)
	}
	return vec[:(h&^7)*dw], goRows[:(h&^7)*dw]
}

// specialFloats returns n random floats (see randomFloats) with about one
// in six NaN, an infinity or a zero of either sign.
func specialFloats(rng *rand.Rand, n int) []float32 {
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1))}
	out := randomFloats(rng, n)
	for i := range out {
		if rng.IntN(6) == 0 {
			out[i] = special[rng.IntN(len(special))]
		}
	}
	return out
}

// randomTaps returns dw taps over w inputs of 0 to 9 random weights each
// (NaN, infinities and zeros among them) at random places.
func randomTaps(rng *rand.Rand, w, dw int) []tap {
	xs := make([]tap, dw)
	for x := range xs {
		k := rng.IntN(min(w, 9) + 1)
		xs[x] = tap{first: rng.IntN(w - k + 1), w: specialFloats(rng, k)}
	}
	return xs
}

// TestResampleRowsVec: the AVX2 row pass gives the Go loop's outputs to
// the bit (any NaN equal to any NaN) on planes with NaN, infinities and
// zeros of both signs, of widths and heights that are and are not
// multiples of 8, shrinking and enlarging, with the triangle filter's taps
// and with random ones of varying counts (none included); and resample as
// a whole gives the same plane with AVX2 and without.
func TestResampleRowsVec(t *testing.T) {
	if !vector {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, w := range []int{1, 3, 7, 8, 9, 16, 23, 64, 101, 640} {
		for _, h := range []int{8, 9, 15, 16, 23, 40} {
			for _, dw := range []int{1, 5, 8, 13, 32, 256, 300} {
				src := specialFloats(rng, w*h)
				for _, xs := range [][]tap{taps(w, dw), randomTaps(rng, w, dw)} {
					vec, goRows := rowPassBoth(t, src, w, h, xs)
					if i := sameBits(vec, goRows); i >= 0 {
						t.Fatalf("%dx%d to %d wide: output %d (row %d) is %08x, want %08x", w, h, dw, i, i/dw,
							math.Float32bits(vec[i]), math.Float32bits(goRows[i]))
					}
				}
				if dw > 64 {
					continue
				}
				dh := max(1, h/2)
				var planes [2][]float32
				for j, v := range []bool{true, false} {
					func() {
						defer func(v bool) { vector = v }(vector)
						vector = v
						planes[j] = resample(new(arena), src, w, h, dw, dh)
					}()
				}
				if i := sameBits(planes[0], planes[1]); i >= 0 {
					t.Fatalf("resample %dx%d to %dx%d: output %d is %08x, want %08x", w, h, dw, dh, i,
						math.Float32bits(planes[0][i]), math.Float32bits(planes[1][i]))
				}
			}
		}
	}
}

// TestResampleRowsVecRefuses: taps outside the rows, or a plane or an
// output shorter than its rows, leave every row to the Go loops.
func TestResampleRowsVecRefuses(t *testing.T) {
	if !vector {
		t.Skip("no AVX2")
	}
	w, h, dw := 20, 16, 6
	src, rows := make([]float32, w*h), make([]float32, dw*h)
	ok := taps(w, dw)
	for _, c := range []struct {
		name      string
		src, rows []float32
		xs        []tap
	}{
		{"tap before the row", src, rows, append([]tap{{first: -1, w: []float32{1}}}, ok[1:]...)},
		{"tap beyond the row", src, rows, append(ok[:dw-1:dw-1], tap{first: w - 1, w: []float32{1, 1}})},
		{"short plane", src[:w*h-1], rows, ok},
		{"short output", src, rows[:dw*h-1], ok},
		{"no taps", src, rows, nil},
	} {
		if n := resampleRowsVec(new(arena), c.rows, c.src, w, h, c.xs); n != 0 {
			t.Errorf("%s: the vector path did %d rows, want 0", c.name, n)
		}
	}
}

// FuzzResampleRows: any plane (NaN and infinities included), size and
// taps, the triangle filter's or random ones, give the same rows with
// AVX2 as with the Go loop.
func FuzzResampleRows(f *testing.F) {
	if !vector {
		f.Skip("no AVX2")
	}
	f.Add([]byte{0, 0, 128, 63, 0, 0, 192, 127, 0, 0, 128, 255}, uint16(640), uint8(9), uint16(256), false, uint64(1))
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8}, uint16(17), uint8(16), uint16(40), true, uint64(2))
	f.Add([]byte{0, 0, 0, 128, 0, 0, 128, 127}, uint16(3), uint8(31), uint16(7), true, uint64(3))
	f.Fuzz(func(t *testing.T, data []byte, w16 uint16, h8 uint8, dw16 uint16, random bool, seed uint64) {
		w, h, dw := 1+int(w16%700), 8+int(h8%33), 1+int(dw16%300)
		src := make([]float32, w*h)
		for i := range src {
			if len(data) >= 4 {
				src[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[(4*i)%(len(data)-3):]))
			} else if len(data) > 0 {
				src[i] = float32(data[i%len(data)])
			}
		}
		xs := taps(w, dw)
		if random {
			xs = randomTaps(rand.New(rand.NewPCG(seed, 0)), w, dw)
		}
		vec, goRows := rowPassBoth(t, src, w, h, xs)
		if i := sameBits(vec, goRows); i >= 0 {
			t.Fatalf("%dx%d to %d wide: output %d is %08x, want %08x", w, h, dw, i, math.Float32bits(vec[i]), math.Float32bits(goRows[i]))
		}
	})
}

// BenchmarkResample: a 640x480 plane to the 256x192 working plane, rows
// then columns, with the AVX2 row pass and with the Go loop.
func BenchmarkResample(b *testing.B) {
	src := randomFloats(rand.New(rand.NewPCG(7, 8)), 640*480)
	for _, vec := range []bool{true, false} {
		name := "AVX2"
		if !vec {
			name = "Go"
		}
		b.Run(name, func(b *testing.B) {
			defer func(v bool) { vector = v }(vector)
			vector = vec
			a := new(arena)
			for b.Loop() {
				resample(a, src, 640, 480, 256, 192)
				a.release()
				a = arenas.Get().(*arena)
			}
		})
	}
}
