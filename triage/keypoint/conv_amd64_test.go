package keypoint

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"testing"
)

// blurBoth runs the line and the column loops, with AVX2 and then with
// the Go loops alone, and returns the four outputs.
func blurBoth(k kernel, src []float32, rows []int, n int) (line, lineGo, col, colGo []float32) {
	offs := make([]int, len(k))
	for j := range offs {
		offs[j] = j
	}
	run := func(vec bool) ([]float32, []float32) {
		defer func(v bool) { vector = v }(vector)
		vector = vec
		l, c := make([]float32, n), make([]float32, n)
		k.line(l, src[:n+len(k)-1], offs)
		k.column(c, src, rows)
		return l, c
	}
	line, col = run(true)
	lineGo, colGo = run(false)
	return line, lineGo, col, colGo
}

// sameBits reports whether a and b hold the same floats bit for bit, any
// NaN equal to any NaN (which NaN an add of two returns depends on the
// operands' order, which the compiler chooses; Extract clamps NaN away
// before the blur).
func sameBits(a, b []float32) int {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			return i
		}
	}
	return -1
}

// randomFloats returns n floats of random signs over 20 octaves, whose
// sums round differently in a different order.
func randomFloats(rng *rand.Rand, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(math.Ldexp(rng.Float64()-0.5, rng.IntN(20)-10))
	}
	return out
}

// TestConvolveVec: the AVX2 loop gives the Go loops' outputs to the bit,
// for kernels of 1 to 41 taps, rows of 0 to 100 outputs and a few long
// ones, and taps at odd offsets in any order.
func TestConvolveVec(t *testing.T) {
	if !vector {
		t.Skip("no AVX2")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ns := []int{255, 256, 257, 1000, 1031}
	for n := range 101 {
		ns = append(ns, n)
	}
	orderMatters := false
	for nk := 1; nk <= 41; nk++ {
		k := kernel(randomFloats(rng, nk))
		for _, n := range ns {
			src := randomFloats(rng, 3*n+nk+37)
			rows := make([]int, nk)
			for j := range rows {
				rows[j] = rng.IntN(len(src) - n + 1)
			}
			line, lineGo, col, colGo := blurBoth(k, src, rows, n)
			if i := sameBits(line, lineGo); i >= 0 {
				t.Fatalf("%d taps, %d outputs: line output %d is %g (%08x), want %g (%08x)", nk, n, i, line[i], math.Float32bits(line[i]), lineGo[i], math.Float32bits(lineGo[i]))
			}
			if i := sameBits(col, colGo); i >= 0 {
				t.Fatalf("%d taps, %d outputs at %v: column output %d is %g (%08x), want %g (%08x)", nk, n, rows, i, col[i], math.Float32bits(col[i]), colGo[i], math.Float32bits(colGo[i]))
			}
			// The data must tell the taps' order: the sum in reverse
			// differs somewhere.
			for x := 0; x < n && !orderMatters; x++ {
				var s float32
				for j := nk - 1; j >= 0; j-- {
					s += k[j] * src[rows[j]+x]
				}
				orderMatters = s != colGo[x]
			}
		}
	}
	if !orderMatters {
		t.Error("no sum in reverse order differs: the test would not see the taps' order")
	}
}

// TestConvolveVecBounds: offsets that do not fit the source are left to
// the Go loops, which panic.
func TestConvolveVecBounds(t *testing.T) {
	if !vector {
		t.Skip("no AVX2")
	}
	k := kernel{0.25, 0.5, 0.25}
	src := make([]float32, 40)
	out := make([]float32, 16)
	for _, rows := range [][]int{{0, 8, 25}, {-1, 0, 0}, {0, 0}, {0, 0, 0, 0}} {
		if n := convolveVec(out, src, rows, k); n != 0 {
			t.Errorf("offsets %v: %d outputs written, want 0", rows, n)
		}
	}
	if n := convolveVec(out, src, []int{0, 8, 24}, k); n != 16 {
		t.Errorf("offsets that fit: %d outputs written, want 16", n)
	}
}

// TestBlurVec: whole blurs and their differences of planes of widths 1
// to 80 are the same with AVX2 as with the Go loops.
func TestBlurVec(t *testing.T) {
	if !vector {
		t.Skip("no AVX2")
	}
	defer func(v bool) { vector = v }(vector)
	rng := rand.New(rand.NewPCG(3, 4))
	for w := 1; w <= 80; w++ {
		h := 1 + rng.IntN(40)
		k := newKernel(0.3 + 4*rng.Float64())
		src := randomFloats(rng, w*h)
		var dst, dog [2][]float32
		for i, vec := range []bool{true, false} {
			vector = vec
			dst[i], dog[i] = make([]float32, w*h), make([]float32, w*h)
			k.blur(dst[i], dog[i], src, make([]float32, w*h), w, h)
		}
		if i := sameBits(dst[0], dst[1]); i >= 0 {
			t.Fatalf("%dx%d, %d taps: pixel %d is %g, want %g", w, h, len(k), i, dst[0][i], dst[1][i])
		}
		if i := sameBits(dog[0], dog[1]); i >= 0 {
			t.Fatalf("%dx%d, %d taps: difference %d is %g, want %g", w, h, len(k), i, dog[0][i], dog[1][i])
		}
	}
}

// FuzzConvolve: any taps, inputs (NaN and infinities included), row
// length and offsets give the same outputs with AVX2 as with the Go
// loops, and the same differences.
func FuzzConvolve(f *testing.F) {
	if !vector {
		f.Skip("no AVX2")
	}
	f.Add([]byte{0, 0, 128, 62, 0, 0, 0, 63, 0, 0, 128, 62}, []byte{1, 2, 3, 4, 5, 6, 7, 8}, uint16(40), uint64(1))
	f.Add([]byte{0, 0, 128, 63}, []byte{0, 0, 192, 127, 0, 0, 128, 255}, uint16(9), uint64(2))
	f.Add([]byte{205, 204, 76, 62}, []byte{255, 255, 127, 127, 1, 0, 0, 0}, uint16(300), uint64(3))
	f.Fuzz(func(t *testing.T, taps, data []byte, n uint16, seed uint64) {
		nk := min(41, len(taps)/4)
		if nk == 0 {
			return
		}
		k := make(kernel, nk)
		for j := range k {
			k[j] = math.Float32frombits(binary.LittleEndian.Uint32(taps[4*j:]))
		}
		on := int(n % 1100)
		src := make([]float32, 2*on+nk+5)
		for i := range src {
			if len(data) >= 4 {
				src[i] = math.Float32frombits(binary.LittleEndian.Uint32(data[(4*i)%(len(data)-3):]))
			} else if len(data) > 0 {
				src[i] = float32(data[i%len(data)])
			}
		}
		rng := rand.New(rand.NewPCG(seed, 0))
		rows := make([]int, nk)
		for j := range rows {
			rows[j] = rng.IntN(len(src) - on + 1)
		}
		line, lineGo, col, colGo := blurBoth(k, src, rows, on)
		if i := sameBits(line, lineGo); i >= 0 {
			t.Fatalf("line output %d is %08x, want %08x", i, math.Float32bits(line[i]), math.Float32bits(lineGo[i]))
		}
		if i := sameBits(col, colGo); i >= 0 {
			t.Fatalf("column output %d is %08x, want %08x", i, math.Float32bits(col[i]), math.Float32bits(colGo[i]))
		}
		d := make([]float32, on)
		nd := differenceVec(d, col, src)
		if nd != on&^7 {
			t.Fatalf("%d differences written of %d, want %d", nd, on, on&^7)
		}
		for x := range d[:nd] {
			if want := col[x] - src[x]; math.Float32bits(d[x]) != math.Float32bits(want) && !(d[x] != d[x] && want != want) {
				t.Fatalf("difference %d is %08x, want %08x", x, math.Float32bits(d[x]), math.Float32bits(want))
			}
		}
	})
}
