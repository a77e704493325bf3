package blockavg

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// TestInto checks Into against its definition, bit for bit: block sides 1
// (a copy, signed zeros kept) to 9, rectangles off the origin, rows of
// fewer and more than 4 blocks, values with NaN and infinities.
func TestInto(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.Copysign(0, -1))}
	for f := 1; f <= 9; f++ {
		for _, cw := range []int{1, 3, 4, 5, 9, 64} {
			const ch, dstW = 3, 70
			w := cw*f + 7
			src := make([]float32, w*(ch*f+5))
			for i := range src {
				src[i] = float32(rng.NormFloat64() * 100)
				if rng.IntN(8) == 0 {
					src[i] = special[rng.IntN(len(special))]
				}
			}
			r := image.Rect(3, 2, 3+cw*f, 2+ch*f)
			got := make([]float32, dstW*ch)
			Into(got, dstW, src, w, r, f)
			for y := range ch {
				for x := range cw {
					want := src[(r.Min.Y+y)*w+r.Min.X+x]
					if f > 1 {
						var acc float32
						for j := range f {
							var s float32
							for i := range f {
								s += src[(r.Min.Y+y*f+j)*w+r.Min.X+x*f+i]
							}
							acc += s
						}
						want = acc * (1 / float32(f*f))
					}
					g := got[y*dstW+x]
					if math.Float32bits(g) != math.Float32bits(want) && !(g != g && want != want) {
						t.Fatalf("f %d, %d blocks a row: block (%d, %d) is %v, want %v", f, cw, x, y, g, want)
					}
				}
			}
		}
	}
}
