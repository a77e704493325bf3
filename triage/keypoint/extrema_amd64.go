package keypoint

import "slices"

// peaksVec is peaks for the x from lo up to lo plus the largest multiple
// of 8 at most hi-lo, with AVX2: 8 points at a time, each comparison the
// Go loop's (ordered: false with a NaN on either side). It appends those
// x's found and returns the x it stopped at: lo without AVX2 or when a
// point's neighbours are not all within d, which leaves every point, and
// every panic, to the Go loop.
func peaksVec(xs []int, d []float32, w, y, lo, hi int) ([]int, int) {
	n := (hi - lo) &^ 7
	if !vector || n <= 0 || lo < 1 || lo+n >= w || y < 1 || (y+2)*w > len(d) {
		return xs, lo
	}
	xs = slices.Grow(xs, n)
	m := len(xs)
	found := peaksAVX2(&xs[m : m+n][0], &d[y*w+lo], w, lo, n)
	return xs[:m+found], lo + n
}

// peaksAVX2 is peaksVec's loop over the n points (a multiple of 8, at
// least 8) from p, the point x of its row, w floats wide, whose
// neighbours are all within the plane. It stores the x of each point
// found at xs, which has room for n, and returns their number.
//
//go:noescape
func peaksAVX2(xs *int, p *float32, w, x, n int) int
