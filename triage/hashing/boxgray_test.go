package hashing

import (
	"image"
	"math"
	"math/rand/v2"
	"testing"
)

// boxGrayOneRow is boxGray's definition written plainly, one input row at
// a time: the sum of each row's part of a block, added to the block's in
// row order.
func boxGrayOneRow(luma []float32, w, h, n int) []uint8 {
	out := make([]uint8, n*n)
	span := func(x, w int) (int, int) {
		a, b := (x*w+n-1)/n, ((x+1)*w+n-1)/n
		if b <= a {
			a, b = x*w/n, x*w/n+1
		}
		return a, b
	}
	for y := range n {
		ya, yb := span(y, h)
		for x := range n {
			xa, xb := span(x, w)
			var acc float64
			for j := ya; j < yb; j++ {
				var s float64
				for _, v := range luma[j*w+xa : j*w+xb] {
					s += float64(v)
				}
				acc += s
			}
			v := acc/float64((xb-xa)*(yb-ya)) + 0.5
			out[y*n+x] = uint8(min(255, max(0, v)))
		}
	}
	return out
}

// TestBoxGray checks boxGray, which sums 4 rows at a time, against the
// plain definition, pixel for pixel: sides shorter than, equal to and
// many times n, and values with fractions that round differently when
// added in another order.
func TestBoxGray(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range [][2]int{{1, 1}, {5, 70}, {63, 64}, {64, 64}, {65, 129}, {130, 7}, {640, 480}, {711, 533}, {1000, 257}} {
		w, h := s[0], s[1]
		luma := make([]float32, w*h)
		for i := range luma {
			luma[i] = rng.Float32()*255 + float32(rng.IntN(2))*1e-6
		}
		got, want := boxGray(luma, w, h, smallSide).Pix, boxGrayOneRow(luma, w, h, smallSide)
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("%dx%d: pixel %d: %d, want %d", w, h, i, got[i], want[i])
			}
		}
	}
}

// BenchmarkBoxGray: the pHash's reduction of a 640x480 plane.
func BenchmarkBoxGray(b *testing.B) {
	luma := make([]float32, 640*480)
	for i := range luma {
		luma[i] = float32(i % 251)
	}
	for b.Loop() {
		boxGray(luma, 640, 480, smallSide)
	}
}

// TestScaleInto checks the views' block average against its definition,
// bit for bit: each row's f values of a block summed from 0 in order, the
// rows' sums added in order, times 1/f²; block sides 1 to 9, rectangles
// not at the origin, rows of fewer and more than 4 blocks.
func TestScaleInto(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for f := 1; f <= 9; f++ {
		for _, cw := range []int{1, 3, 4, 5, 9, 64} {
			const ch, x0, y0, dstW = 3, 2, 1, 80
			w := cw*f + 7
			luma := make([]float32, w*(ch*f+5))
			for i := range luma {
				luma[i] = float32(rng.NormFloat64() * 100)
			}
			r := image.Rect(3, 2, 3+cw*f, 2+ch*f)
			got := make([]float32, dstW*(y0+ch))
			scaleInto(got, dstW, x0, y0, luma, w, r, f)
			inv := 1 / float32(f*f)
			for y := range ch {
				for x := range cw {
					var acc float32
					for j := range f {
						var s float32
						for i := range f {
							s += luma[(r.Min.Y+y*f+j)*w+r.Min.X+x*f+i]
						}
						acc += s
					}
					if f > 1 {
						acc *= inv
					}
					if g := got[(y0+y)*dstW+x0+x]; math.Float32bits(g) != math.Float32bits(acc) {
						t.Fatalf("f %d, %d blocks a row: block (%d, %d) is %v, want %v", f, cw, x, y, g, acc)
					}
				}
			}
		}
	}
}
