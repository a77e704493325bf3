package keypoint

// orientRow sets, for the n points x0 to x0+n-1 of row (between the rows
// up and down), wt[i] to the point's weight in the orientation histogram,
// wts[dx*dx+dy2] times its gradient's magnitude with dx = dx0+i, and
// bin[i] to its bin, with AVX2: to the bit what the Go loop (addPoints)
// computes, but for the points it bins with math.Atan2 (within edge of a
// bin's edge, or of no gradient) and those of a NaN gradient, whose bin
// is -1: they are left to it. It reports false, having written nothing,
// without AVX2, for fewer than 4 points, or when the points, their
// neighbours or their weights are not all within the slices.
func orientRow(wt []float64, bin []int32, up, row, down []float32, x0, n int, wts []float64, dx0, dy2 int) bool {
	if !vector || n < 4 || len(wt) < n || len(bin) < n || x0 < 1 || x0+n >= len(row) || x0+n > len(up) || x0+n > len(down) {
		return false
	}
	// The squared distances, from dy2 up to the largest at either end of
	// the row, index wts and fit the 32-bit lanes they are computed in.
	if len(wts) >= 1<<31 || dy2 < 0 || dx0 <= -len(wts) || dx0+n > len(wts) {
		return false
	}
	if max(dx0*dx0, (dx0+n-1)*(dx0+n-1))+dy2 >= len(wts) {
		return false
	}
	orientAVX2(&wt[0], &bin[0], &up[x0], &row[x0-1], &down[x0], n, &wts[0], dx0, dy2, &orientK)
	return true
}

// orientAVX2 is orientRow's loop over n points (at least 4), 4 at a time
// in float64 lanes, the last 4 overlapping the ones before when n is not
// a multiple of 4. row points at the left neighbour of the first point,
// up and down at the points above and below it.
//
//go:noescape
func orientAVX2(wt *float64, bin *int32, up, row, down *float32, n int, wts *float64, dx0, dy2 int, k *orientConsts)

// orientConsts are orientAVX2's constants, each repeated for 4 lanes (the
// assembly addresses them by offset: keep the order). The floats are
// those of the Go loop.
//
// VPERMD picks an octant's entry from a half of the table (off or sign)
// by its two 32-bit halves: 2o and 2o+1 for the entry o = 2 (gx < 0) +
// (|gy| > |gx|), made of gxIdx where gx < 0, ayIdx where |gy| > |gx|,
// and pairIdx.
type orientConsts struct {
	atan                  [5][4]float64 // atanC4, atanC3 ... atanC0, in the order of use
	lo, hi                [4]float64    // edge and 1-edge
	abs                   [4]uint64     // every bit but the sign
	off                   [2][4]float64 // octants[0-3].off, then octants[4-7].off
	sign                  [2][4]float64 // octants[0-3].sign, then octants[4-7].sign
	gxIdx, ayIdx, pairIdx [8]int32      // 4,4; 2,2; 0,1 in each lane
	laneStep              [4]int32      // 0, 1, 2, 3: each lane's dx from the first
}

var orientK = func() (k orientConsts) {
	for l := range 4 {
		k.atan[0][l], k.atan[1][l], k.atan[2][l], k.atan[3][l], k.atan[4][l] = atanC4, atanC3, atanC2, atanC1, atanC0
		k.lo[l], k.hi[l] = edge, 1-edge
		k.abs[l] = 1<<63 - 1
		for h := range 2 {
			k.off[h][l], k.sign[h][l] = octants[4*h+l].off, octants[4*h+l].sign
		}
		k.gxIdx[2*l], k.gxIdx[2*l+1] = 4, 4
		k.ayIdx[2*l], k.ayIdx[2*l+1] = 2, 2
		k.pairIdx[2*l], k.pairIdx[2*l+1] = 0, 1
		k.laneStep[l] = int32(l)
	}
	return k
}()
