package keypoint

import (
	"math"
	"math/rand/v2"
	"testing"
)

// boxReduceRef is boxReduce's definition: each output the sum, from 0,
// of each row's f values of its block in order, the rows' sums added in
// order, times 1/f².
func boxReduceRef(src []float32, w, h, f int) []float32 {
	bw, bh := w/f, h/f
	out := make([]float32, bw*bh)
	inv := 1 / float32(f*f)
	for by := range bh {
		for bx := range bw {
			var acc float32
			for y := by * f; y < by*f+f; y++ {
				var s float32
				for x := bx * f; x < bx*f+f; x++ {
					s += src[y*w+x]
				}
				acc += s
			}
			out[by*bw+bx] = acc * inv
		}
	}
	return out
}

// TestBoxReduce checks boxReduce against its definition, bit for bit, for
// block sides 2 to 9 and planes whose sides are not multiples of them,
// with NaN, infinities and zeros of both signs among the values.
func TestBoxReduce(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for f := 2; f <= 9; f++ {
		for _, s := range [][2]int{{f, f}, {3*f + 1, 2*f + f - 1}, {101, 67}, {640, 37}} {
			w, h := s[0], s[1]
			src := make([]float32, w*h)
			special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, float32(math.Copysign(0, -1))}
			for i := range src {
				if rng.IntN(6) == 0 {
					src[i] = special[rng.IntN(len(special))]
				} else {
					src[i] = float32(rng.NormFloat64() * 100)
				}
			}
			got, bw, bh := boxReduce(new(arena), src, w, h, f)
			want := boxReduceRef(src, w, h, f)
			if bw != w/f || bh != h/f || len(got) != len(want) {
				t.Fatalf("f %d, %dx%d: %dx%d outputs, want %dx%d", f, w, h, bw, bh, w/f, h/f)
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
					t.Fatalf("f %d, %dx%d: output %d is %v, want %v", f, w, h, i, got[i], want[i])
				}
			}
		}
	}
}

// BenchmarkBoxReduce: a 1 MP plane (1155x866) in blocks of 2, as Extract
// first reduces it, a 3 MP plane in blocks of 3 and a 12 MP plane in
// blocks of 7.
func BenchmarkBoxReduce(b *testing.B) {
	for _, c := range []struct {
		name    string
		w, h, f int
	}{{"1MP", 1155, 866, 2}, {"3MP", 2000, 1500, 3}, {"12MP", 4000, 3000, 7}} {
		rng := rand.New(rand.NewPCG(1, 2))
		src := make([]float32, c.w*c.h)
		for i := range src {
			src[i] = rng.Float32() * 255
		}
		b.Run(c.name, func(b *testing.B) {
			a := new(arena)
			for b.Loop() {
				boxReduce(a, src, c.w, c.h, c.f)
				a.release()
				a = arenas.Get().(*arena)
			}
		})
	}
}
