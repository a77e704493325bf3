package hashing

import (
	"image"
	"math"
	"slices"
)

// Deskewing. A copy rotated by a few degrees (a straightened horizon, a
// scanned print, a photo turned in an editor) keeps its canvas: the
// rotated picture leaves four triangles of flat fill in the corners, or,
// when the canvas grew to hold it, surrounds it with fill. Either way the
// fill's edges are straight lines at the rotation angle, so the angle can
// be read off the border: along each side of the plane, the depth of the
// fill (how many pixels from the edge before the picture starts) rises or
// falls linearly with slope tan(angle). When all four sides agree, the
// hasher rotates the plane back and hashes the result as ViewDeskewed.

const (
	// skewMinDeg and skewMaxDeg bound the rotations looked for: smaller
	// ones barely move PDQ and pHash, larger ones are not a straightening.
	skewMinDeg = 0.75
	skewMaxDeg = 20
	// skewAgreeDeg is how far the four sides' estimates may be from their
	// median.
	skewAgreeDeg = 0.6
	// skewMinLeg: a side's sloping fill edge must run along at least this
	// share of the side.
	skewMinLeg = 0.2
)

// findSkew returns the angle, in degrees counter-clockwise, by which the
// picture on the w x h plane was rotated on a flat canvas, and the fill's
// level; ok is false when the plane shows no such rotation. It reads
// luma only, and for a plane without fill in all four corners it reads a
// few pixels.
func findSkew(luma []float32, w, h int) (deg float64, fill float32, ok bool) {
	if w < 4*trimMinPixels || h < 4*trimMinPixels || len(luma) != w*h {
		return 0, 0, false
	}
	fill = luma[0]
	for _, v := range []float32{luma[w-1], luma[(h-1)*w], luma[h*w-1]} {
		if d := v - fill; !(d <= trimTol && d >= -trimTol) {
			return 0, 0, false
		}
	}
	isFill := func(v float32) bool { d := v - fill; return d <= trimTol && d >= -trimTol }
	// depth(side, i): fill pixels from the edge at position i of the side,
	// up to half the plane.
	depth := func(side, i int) int {
		n := 0
		switch side {
		case sideTop:
			for n < h/2 && isFill(luma[n*w+i]) {
				n++
			}
		case sideBottom:
			for n < h/2 && isFill(luma[(h-1-n)*w+i]) {
				n++
			}
		case sideLeft:
			for n < w/2 && isFill(luma[i*w+n]) {
				n++
			}
		default:
			for n < w/2 && isFill(luma[i*w+w-1-n]) {
				n++
			}
		}
		return n
	}
	var est [4]float64
	for side := range 4 {
		n := w
		if side >= sideLeft {
			n = h
		}
		k, ok := legSlope(func(i int) int { return depth(side, i) }, n)
		if !ok {
			return 0, 0, false
		}
		// Counter-clockwise rotation: the fill deepens towards the left on
		// the top side, towards the right on the bottom, downwards on the
		// left and upwards on the right.
		if side == sideTop || side == sideRight {
			k = -k
		}
		est[side] = math.Atan(k) * 180 / math.Pi
	}
	med := est
	slices.Sort(med[:])
	m := (med[1] + med[2]) / 2
	agree, sum := 0, 0.0
	for _, e := range est {
		if math.Abs(e-m) <= skewAgreeDeg {
			agree++
			sum += e
		}
	}
	if agree < 3 {
		return 0, 0, false
	}
	m = sum / float64(agree) // the mean of the sides that agree
	if math.Abs(m) < skewMinDeg || math.Abs(m) > skewMaxDeg {
		return 0, 0, false
	}
	return m, fill, true
}

// skewSamples is how many positions along a side the fill depth is
// measured at: enough for the slope, few enough that a plane with a wide
// border (whose corners are all fill) costs microseconds.
const skewSamples = 96

// legSlope finds, along a side of n positions whose fill depth at i is
// depth(i), the longest run of positions with fill (depth at least 2)
// that starts at either end, and returns the slope of the depth along it
// (Theil-Sen over pairs half the run apart, which shrugs off content that
// happens to match the fill). Depth is measured at skewSamples positions.
// ok is false when the run is shorter than skewMinLeg of the side.
func legSlope(depth func(int) int, n int) (float64, bool) {
	m := min(n, skewSamples)
	if m < 8 {
		return 0, false
	}
	var pos, p [skewSamples]int
	for k := range m {
		pos[k] = k * (n - 1) / (m - 1)
		p[k] = depth(pos[k])
	}
	lo := 0 // run from the start
	for lo < m && p[lo] >= 2 {
		lo++
	}
	hi := m // run to the end
	for hi > 0 && p[hi-1] >= 2 {
		hi--
	}
	start, end := 0, lo
	if m-hi > lo {
		start, end = hi, m
	}
	l := end - start
	if l < 6 || float64(pos[end-1]-pos[start]) < float64(n)*skewMinLeg {
		return 0, false
	}
	d := l / 2
	var slopes [skewSamples]float64
	ns := 0
	for i := start; i+d < end; i++ {
		slopes[ns] = float64(p[i+d]-p[i]) / float64(pos[i+d]-pos[i])
		ns++
	}
	sl := slopes[:ns]
	slices.Sort(sl)
	return sl[ns/2], true
}

// deskewPlane returns the w x h plane (box-averaged down when large, see
// viewScale) rotated back by deg degrees, the parts that come from outside
// the plane filled with fill, and its size; kept holds, per row, the first
// and last column that came from inside the plane (-1, -1: none), for
// fillCorners.
func deskewPlane(dst, luma []float32, w, h int, deg float64, fill float32) (out []float32, sw, sh int, kept [][2]int) {
	f := viewScale(w, h)
	sw, sh = w/f, h/f
	src := luma
	if f > 1 {
		src = make([]float32, sw*sh)
		scaleInto(src, sw, 0, 0, luma, w, image.Rect(0, 0, sw*f, sh*f), f)
	}
	dst = grow(dst, sw*sh)
	kept = make([][2]int, sh)
	th := deg * math.Pi / 180
	c, s := math.Cos(th), math.Sin(th)
	cx, cy := float64(sw)/2, float64(sh)/2
	for y := range sh {
		kept[y] = [2]int{-1, -1}
		for x := range sw {
			// The rotated copy holds at R(p) what the original holds at p.
			dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
			sx, sy := c*dx+s*dy+cx-0.5, -s*dx+c*dy+cy-0.5
			v, ok := bilinear(src, sw, sh, sx, sy)
			if !ok {
				dst[y*sw+x] = fill
				continue
			}
			dst[y*sw+x] = v
			if kept[y][0] < 0 {
				kept[y][0] = x
			}
			kept[y][1] = x
		}
	}
	return dst, sw, sh, kept
}

// fillAround reports whether the top and bottom rows of the deskewed
// w x h plane are the fill: the canvas grew to hold the picture, whose
// surround is trimmed. A picture that lost its corners has its own edge
// there (a framed picture's frame, which is not to be trimmed away).
func fillAround(p []float32, w, h int, fill float32) bool {
	for _, start := range []int{0, (h - 1) * w} {
		if d := lineMedian(p, start, 1, w) - fill; !(d <= trimTol && d >= -trimTol) {
			return false
		}
	}
	return true
}

// fillCorners fills what deskewPlane could not keep by repeating, along
// each row, the nearest pixel that was kept. A picture rotated on a canvas
// of its own size lost its corners; rotated back, black triangles there
// would be strong structure of their own (at 8 degrees they moved PDQ by
// 54 bits at the median, against 26 with the rows repeated). A picture on
// a grown canvas lost nothing but fill, and is trimmed instead.
func fillCorners(p []float32, w int, kept [][2]int) {
	for y, k := range kept {
		if k[0] < 0 {
			continue
		}
		row := p[y*w : (y+1)*w]
		for x := range k[0] {
			row[x] = row[k[0]]
		}
		for x := k[1] + 1; x < w; x++ {
			row[x] = row[k[1]]
		}
	}
}

// bilinear samples the plane at (x, y); ok is false outside it.
func bilinear(p []float32, w, h int, x, y float64) (v float32, ok bool) {
	if !(x >= 0 && y >= 0 && x <= float64(w-1) && y <= float64(h-1)) {
		return 0, false
	}
	x0, y0 := int(x), int(y)
	x1, y1 := min(x0+1, w-1), min(y0+1, h-1)
	fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
	a := p[y0*w+x0]*(1-fx) + p[y0*w+x1]*fx
	b := p[y1*w+x0]*(1-fx) + p[y1*w+x1]*fx
	return a*(1-fy) + b*fy, true
}
