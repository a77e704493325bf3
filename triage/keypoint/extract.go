package keypoint

import (
	"math"
	"math/bits"
	"slices"
	"sync"

	"github.com/winnow-forensics/winnow/triage"
)

const (
	// Side is the longer side of the working plane features are found on.
	Side = 256
	// octaves and levels: the scale space spans octaves halvings of the
	// working plane, levels scales per octave (Lowe's choice of 3).
	octaves = 3
	levels  = 3
	// sigma0 is the blur of each octave's first level; inputSigma the blur
	// assumed of the resampled plane.
	sigma0     = 1.6
	inputSigma = 0.5
	// minContrast: a feature's difference-of-Gaussians response is at
	// least this many luma levels (0-255). Low: smooth images (gradients,
	// abstract wallpapers) have few features, and the strongest are kept
	// anyway (2.0 found 47 of 55 asymmetric crops of the benchmark's set
	// images, 0.6 50 and 0.35 51, with no impostor pair closer).
	minContrast = 0.5
	// edgeRatio bounds the ratio of the principal curvatures: blobs, not
	// edges, which slide along themselves under a small change.
	edgeRatio = 10
	// border: features this close to the edge of their octave's plane are
	// dropped (their neighbourhood is outside the image).
	border = 3
	// patchRadius is the radius of the described patch, in sigmas; the
	// patch is sampled on a patchSamples x patchSamples grid.
	patchRadius  = 6
	patchSamples = 16
	// grid: features are spread over a grid x grid partition of the
	// image, at most 2n/grid² + 1 in a cell.
	grid = 4
)

// Known and Query are the numbers of features kept for a known image and
// looked up for a query: a query keeps more, so that the known image's
// strongest features are among them after a crop has removed some and
// changed the ranking of the rest. (32 and 48 found 85.3% of the
// benchmark's asymmetric crops, 48 and 64 87.9%; an entry's features are
// most of its memory in a matcher.)
const (
	Known = 48
	Query = 64
)

// fillBelow: when the working plane gives fewer features than this (and
// than n), the rest come from a plane twice as fine, if the luma plane
// has the pixels for it. Drawings, stripes, gradients with small details
// and screens have structure the 256-pixel plane averages away; a crop
// of them, enlarged to the same plane, shows it. (On the benchmark, the
// asymmetric crops of drawn wallpapers went from 54% to 73% found, and
// no pair of unrelated images fitted more features than before.)
const fillBelow = 16

// Extract returns up to n features of the w x h luma plane (values 0-255,
// row-major), strongest first, spread over the image. An image with
// fewer than fillBelow features on the Side plane (a smooth or drawn
// picture) and a longer side of at least 2*Side is filled up to n with
// features found on a plane of 2*Side, those not already found, strongest
// first. Its planes come from a pool (one arena per call in progress);
// the cost, about 1.3 ms of CPU on amd64 with AVX2 and 4 ms without,
// hardly depends on the input size beyond one resampling pass, and is
// about 4 times that more for an image filled.
func Extract(luma []float32, w, h, n int) []triage.Keypoint {
	out := extract(luma, w, h, n, Side)
	if len(out) >= min(n, fillBelow) || max(w, h) < 2*Side {
		return out
	}
	kept := len(out)
	for _, f := range extract(luma, w, h, n, 2*Side) {
		if len(out) == n {
			break
		}
		if !slices.ContainsFunc(out[:kept], func(k triage.Keypoint) bool { return same(k, f) }) {
			out = append(out, f)
		}
	}
	return out
}

// same reports whether two features of one image, found on planes of
// different sizes, are one: within 2/255 of the longer side in both
// directions and half an octave in size.
func same(a, b triage.Keypoint) bool {
	d := func(u, v uint8) int { return max(int(u)-int(v), int(v)-int(u)) }
	return d(a.X, b.X) <= 2 && d(a.Y, b.Y) <= 2 && d(a.Scale, b.Scale) <= 8
}

// extract returns up to n features found on a working plane whose longer
// side is side (Side, or 2*Side to fill), positions and sizes in the
// same units whatever the plane: shares of the longer side and 16 log2
// of the sigma on the Side plane (features finer than a pixel of it get
// size 0).
func extract(luma []float32, w, h, n, side int) []triage.Keypoint {
	if w < 16 || h < 16 || len(luma) < w*h || n <= 0 {
		return nil
	}
	long := max(w, h)
	sw, sh := max(1, (w*side+long/2)/long), max(1, (h*side+long/2)/long)
	a := arenas.Get().(*arena)
	defer a.release()
	base := resample(a, luma, w, h, sw, sh)
	for i, v := range base {
		// Values outside 0-255 (NaN and infinities included) are not
		// luma: clamped, so that every position computed stays finite.
		if !(v >= 0) {
			base[i] = 0
		} else if v > 255 {
			base[i] = 255
		}
	}
	blurred := a.alloc(sw * sh)
	baseKernel.blur(blurred, nil, base, a.alloc(sw*sh), sw, sh)
	base = blurred

	var cands []cand
	var octs []octave
	ow, oh := sw, sh
	for o := range octaves {
		if ow < 4*border || oh < 4*border {
			break
		}
		oc := buildOctave(a, base, ow, oh)
		octs = append(octs, oc)
		cands = oc.extrema(o, cands)
		// The next octave starts from the level of twice sigma0, halved.
		base, ow, oh = halve(a, oc.g[levels], ow, oh)
	}
	slices.SortFunc(cands, func(a, b cand) int {
		if a.resp != b.resp {
			if a.resp > b.resp {
				return -1
			}
			return 1
		}
		return 0
	})
	perCell := 2*n/(grid*grid) + 1
	var cell [grid * grid]int
	var out []triage.Keypoint
	var kept []cand
	for _, c := range cands {
		if len(out) == n {
			break
		}
		k := min(grid-1, int(c.x*grid/float64(sw)))*grid + min(grid-1, int(c.y*grid/float64(sh)))
		if cell[k] >= perCell || duplicate(kept, c) {
			continue
		}
		cell[k]++
		kept = append(kept, c)
		out = append(out, triage.Keypoint{
			X:     quant(c.x * 255 / float64(side)),
			Y:     quant(c.y * 255 / float64(side)),
			Scale: quant(16 * math.Log2(c.sigma*Side/float64(side))),
		})
		out[len(out)-1].Angle, out[len(out)-1].Desc = octs[c.oct].describe(c)
	}
	return out
}

// Mirror returns the descriptor of the feature's left/right mirror image.
// The mirror image's orientation is the mirror of the feature's (a turn
// theta becomes half a turn minus theta), and its patch, turned by it, is
// the feature's patch flipped upside down: the DCT has the signs of its
// odd vertical frequencies flipped.
func Mirror(desc uint64) uint64 { return desc ^ mirrorMask }

// MirrorAngle returns the orientation of the feature's mirror image.
func MirrorAngle(a uint8) uint8 { return 128 - a }

// mirrorMask has the bits of odd vertical frequency (bit 8u+v, u odd).
const mirrorMask = 0xff00ff00ff00ff00

// Distance is the Hamming distance between two descriptors.
func Distance(a, b uint64) int { return bits.OnesCount64(a ^ b) }

func quant(v float64) uint8 { return uint8(max(0, min(255, math.Round(v)))) }

// cand is a scale-space extremum: its position and sigma in working-plane
// pixels, its octave, position in the octave and level (interpolated),
// and the strength of its response.
type cand struct {
	x, y, sigma float64
	oct         int
	ox, oy, lev float64
	resp        float64
}

// duplicate reports whether c is one of kept found again (at the next
// octave or level).
func duplicate(kept []cand, c cand) bool {
	for _, k := range kept {
		dx, dy := k.x-c.x, k.y-c.y
		r := 0.5 * max(k.sigma, c.sigma)
		if dx*dx+dy*dy < r*r && k.sigma < 1.5*c.sigma && c.sigma < 1.5*k.sigma {
			return true
		}
	}
	return false
}

// octave is one octave of the scale space: levels+2 Gaussian planes and
// the levels+2 differences between them and the next level. The level
// above the last, levels+2, is needed only for the difference from it,
// and that only around the few points that are extrema of the levels
// below: top holds the level's rows blurred, and its difference plane is
// NaN but where topAround has computed it.
type octave struct {
	w, h int
	g    [levels + 2][]float32
	d    [levels + 2][]float32
	top  []float32
}

// baseKernel blurs the resampled plane (inputSigma) to sigma0.
var baseKernel = newKernel(math.Sqrt(sigma0*sigma0 - inputSigma*inputSigma))

// levelKernels[i] blurs an octave's level i to level i+1.
var levelKernels = func() (k [levels + 2]kernel) {
	prev := sigma0
	for i := range k {
		s := sigma0 * math.Pow(2, float64(i+1)/levels)
		k[i] = newKernel(math.Sqrt(s*s - prev*prev))
		prev = s
	}
	return k
}()

func buildOctave(a *arena, base []float32, w, h int) octave {
	oc := octave{w: w, h: h}
	oc.g[0] = base
	tmp := a.alloc(w * h)
	for i := 1; i < levels+2; i++ {
		oc.g[i], oc.d[i-1] = a.alloc(w*h), a.alloc(w*h)
		levelKernels[i-1].blur(oc.g[i], oc.d[i-1], oc.g[i-1], tmp, w, h)
	}
	oc.top, oc.d[levels+1] = tmp, a.alloc(w*h)
	levelKernels[levels+1].rows(oc.top, oc.g[levels+1], w, h)
	nan := float32(math.NaN())
	for k := range oc.d[levels+1] {
		oc.d[levels+1][k] = nan
	}
	return oc
}

// topAround computes the difference from the top level at the 3x3 points
// around k where it is not yet known: the top level's columns there, to
// the bit what blur gives.
func (oc *octave) topAround(k int) {
	w, h := oc.w, oc.h
	kern, g, d := levelKernels[levels+1], oc.g[levels+1], oc.d[levels+1]
	r := len(kern) / 2
	for _, p := range [9]int{k - w - 1, k - w, k - w + 1, k - 1, k, k + 1, k + w - 1, k + w, k + w + 1} {
		if d[p] == d[p] {
			continue
		}
		x, y := p%w, p/w
		var s float32
		for j, kj := range kern {
			s += kj * oc.top[max(0, min(h-1, y+j-r))*w+x]
		}
		d[p] = s - g[p]
	}
}

// arena hands out the planes of one Extract from one buffer, which a pool
// keeps between calls: the planes (about 3 MB at Side 256) are neither
// allocated nor cleared each time. Every plane taken is written whole
// before it is read.
type arena struct {
	buf        []float32
	used, need int
}

var arenas = sync.Pool{New: func() any { return new(arena) }}

// alloc returns n floats. When the buffer is used up it takes a new one
// (the planes already handed out keep the old one).
func (a *arena) alloc(n int) []float32 {
	a.need += n
	if a.used+n > len(a.buf) {
		a.buf, a.used = make([]float32, max(n, 2*len(a.buf))), 0
	}
	p := a.buf[a.used : a.used+n : a.used+n]
	a.used += n
	return p
}

// release returns the arena to the pool, with a buffer large enough for
// all that was taken since it was got.
func (a *arena) release() {
	if len(a.buf) < a.need {
		a.buf = make([]float32, a.need)
	}
	a.used, a.need = 0, 0
	arenas.Put(a)
}

// extrema appends the octave's features: extrema of the differences over
// their 26 neighbours in space and scale, of enough contrast and not on
// an edge, located to a fraction of a pixel and a level.
func (oc *octave) extrema(o int, out []cand) []cand {
	w, h := oc.w, oc.h
	scale := math.Ldexp(1, o)
	// The row's points that peaks finds, in a buffer of the widest row
	// (that of the plane twice as fine): none is allocated.
	var buf [2 * Side]int
	xs := buf[:0]
	for i := 1; i <= levels; i++ {
		dm, d, dp := oc.d[i-1], oc.d[i], oc.d[i+1]
		for y := border; y < h-border; y++ {
			xs = peaks(xs[:0], d, w, y, border, w-border)
			for _, x := range xs {
				k := y*w + x
				v := d[k]
				if !beyond(dm, k, w, v) {
					continue
				}
				if i == levels {
					oc.topAround(k)
				}
				if !beyond(dp, k, w, v) {
					continue
				}
				dxx := float64(d[k-1] + d[k+1] - 2*v)
				dyy := float64(d[k-w] + d[k+w] - 2*v)
				dxy := float64(d[k+w+1]-d[k+w-1]-d[k-w+1]+d[k-w-1]) / 4
				tr, det := dxx+dyy, dxx*dyy-dxy*dxy
				if det <= 0 || tr*tr*edgeRatio >= (edgeRatio+1)*(edgeRatio+1)*det {
					continue
				}
				fx := vertex(d[k-1], v, d[k+1])
				fy := vertex(d[k-w], v, d[k+w])
				fs := vertex(dm[k], v, dp[k])
				lev := float64(i) + fs
				sigma := sigma0 * math.Pow(2, lev/levels)
				out = append(out, cand{
					x: (float64(x) + 0.5 + fx) * scale, y: (float64(y) + 0.5 + fy) * scale, sigma: sigma * scale,
					oct: o, ox: float64(x) + fx, oy: float64(y) + fy, lev: lev,
					resp: math.Abs(float64(v)),
				})
			}
		}
	}
	return out
}

// peaks appends to xs, in increasing order, the x from lo to hi-1 whose
// point v of row y of the plane d (w wide) may be an extremum: of enough
// contrast (v >= minContrast or v <= -minContrast) and above (below) its
// 8 neighbours in the plane. The rows above and below must be in d, lo
// at least 1 and hi at most w-1. AVX2 scans the points 8 at a time
// (peaksVec), the Go loop the rest.
func peaks(xs []int, d []float32, w, y, lo, hi int) []int {
	xs, x := peaksVec(xs, d, w, y, lo, hi)
	return peaksGo(xs, d, w, y, x, hi)
}

// peaksGo is peaks' Go loop.
func peaksGo(xs []int, d []float32, w, y, lo, hi int) []int {
	if lo >= hi {
		return xs
	}
	row := d[y*w : y*w+w]
	// Of enough contrast and above (or below) both neighbours on its row:
	// computed without branches, since a third of the points have the
	// contrast and a third are above both, at random, but few are both.
	// lt and gt: the point before is below (above) this one, from the
	// comparison of the two one point before.
	lt, gt := bit(row[lo-1] < row[lo]), bit(row[lo-1] > row[lo])
	for x := lo; x < hi; x++ {
		v, r := row[x], row[x+1]
		up, down := bit(v > r), bit(v < r)
		peak := lt&up&bit(v >= minContrast) | gt&down&bit(v <= -minContrast)
		lt, gt = down, up
		if peak != 0 && around(d, y*w+x, w, v) {
			xs = append(xs, x)
		}
	}
	return xs
}

// bit is 1 if b, 0 if not (a flag, not a branch).
func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}

// around reports whether v, at k of the middle plane, is above (if
// positive, else below) its 8 neighbours there: the first test of an
// extremum, as most points fail on a neighbour there. beyond is the test
// of the levels below and above.
func around(d []float32, k, w int, v float32) bool {
	if v > 0 {
		return above(d, k, w, v)
	}
	return below(d, k, w, v)
}

// beyond reports whether v, at k of the middle plane, is above (if
// positive, else below) the 9 points around k of the level below (dm)
// or above (dp).
func beyond(p []float32, k, w int, v float32) bool {
	if v > 0 {
		return aboveAll(p, k, w, v)
	}
	return belowAll(p, k, w, v)
}

// above reports whether v is above the 8 neighbours of k in p.
func above(p []float32, k, w int, v float32) bool {
	r0, r1, r2 := p[k-w-1:k-w+2], p[k-1:k+2], p[k+w-1:k+w+2]
	return r1[0] < v && r1[2] < v && r0[0] < v && r0[1] < v && r0[2] < v && r2[0] < v && r2[1] < v && r2[2] < v
}

// aboveAll reports whether v is above the 9 points around k in p.
func aboveAll(p []float32, k, w int, v float32) bool {
	return p[k] < v && above(p, k, w, v)
}

// below reports whether v is below the 8 neighbours of k in p.
func below(p []float32, k, w int, v float32) bool {
	r0, r1, r2 := p[k-w-1:k-w+2], p[k-1:k+2], p[k+w-1:k+w+2]
	return r1[0] > v && r1[2] > v && r0[0] > v && r0[1] > v && r0[2] > v && r2[0] > v && r2[1] > v && r2[2] > v
}

// belowAll reports whether v is below the 9 points around k in p.
func belowAll(p []float32, k, w int, v float32) bool {
	return p[k] > v && below(p, k, w, v)
}

// vertex returns the offset (-0.5 to 0.5) of the extremum of the parabola
// through (-1, a), (0, b), (1, c).
func vertex(a, b, c float32) float64 {
	den := float64(a - 2*b + c)
	if den == 0 {
		return 0
	}
	return max(-0.5, min(0.5, 0.5*float64(a-c)/den))
}

// dctCos[u][i] is cos(pi (2i+1) u / 2N) for the patch's N samples.
var dctCos = func() (t [8][patchSamples]float32) {
	for u := range 8 {
		for i := range patchSamples {
			t[u][i] = float32(math.Cos(math.Pi * float64((2*i+1)*u) / (2 * patchSamples)))
		}
	}
	return t
}()

// orientBins is the resolution of the orientation histogram.
const orientBins = 36

// atanC are the coefficients of arctan(z) ~ z (c0 + c1 z² + ... + c4 z⁸)
// on 0 <= z <= 1, fitted by least squares: the error is below 1.3e-5
// radian.
const (
	atanC0 = 0.9998787433320155
	atanC1 = -0.33040557360773615
	atanC2 = 0.18041268459084622
	atanC3 = -0.0854083085149819
	atanC4 = 0.020931811786771032
)

// octants turns the arctangent a of the smaller of |gx| and |gy| over the
// larger into the direction of (gx, gy) in bins, from 0 to orientBins:
// off + sign a, for the octant numbered 4 (gy < 0) + 2 (gx < 0) +
// (|gy| > |gx|).
var octants = func() (t [8]struct{ off, sign float64 }) {
	const bin = orientBins / (2 * math.Pi)
	for o := range t {
		off, sign := 0.0, 1.0 // the angle a, or pi/2 - a
		if o&1 != 0 {
			off, sign = math.Pi/2, -1
		}
		if o&2 != 0 { // pi minus that
			off, sign = math.Pi-off, -sign
		}
		if o&4 != 0 { // minus that, a turn on
			off, sign = 2*math.Pi-off, -sign
		}
		t[o].off, t[o].sign = off*bin, sign*bin
	}
	return t
}()

// edge: a direction within edge of a bin's edge (in bins) is binned by
// math.Atan2, not by the polynomial arctangent.
const edge = 1e-3

// histogram returns the histogram of gradient directions within 6 sigmas
// of c in g, each weighted by its magnitude and a Gaussian of 3 sigmas.
// A row of 4 points or more takes its weights and bins from orientRow
// (AVX2) and adds them in the same order as the Go loop, so that every
// sum rounds the same.
func (oc *octave) histogram(g []float32, c cand, sigma float64) [orientBins]float64 {
	var hist [orientBins]float64
	r := int(math.Ceil(6 * sigma))
	// The Gaussian weight depends on the squared distance d alone: one
	// exponential for each d of the disc's first octant, not one per
	// point. (r is at most 22: a feature's sigma is below 3.6.)
	var buf [24*24 + 1]float64
	wts := buf[:]
	if r*r+1 > len(buf) {
		wts = make([]float64, r*r+1)
	}
	for dy := 0; dy <= r; dy++ {
		for dx := dy; dx*dx+dy*dy <= r*r; dx++ {
			d := dx*dx + dy*dy
			wts[d] = math.Exp(-float64(d) / (2 * 9 * sigma * sigma))
		}
	}
	// A row's weights and bins from orientRow (a longer row, of a larger
	// sigma, is left to the Go loop).
	var rowWt [64]float64
	var rowBin [64]int32
	w := oc.w
	cx, cy := int(math.Round(c.ox)), int(math.Round(c.oy))
	for dy := -r; dy <= r; dy++ {
		y := cy + dy
		if y < 1 || y >= oc.h-1 {
			continue
		}
		// The row's points within the disc and off the plane's edge.
		half := 0
		for (half+1)*(half+1)+dy*dy <= r*r {
			half++
		}
		x0, x1 := max(1, cx-half), min(w-2, cx+half)
		up, row, down := g[(y-1)*w:y*w], g[y*w:(y+1)*w], g[(y+1)*w:(y+2)*w]
		if n := x1 - x0 + 1; orientRow(rowWt[:], rowBin[:], up, row, down, x0, n, wts, x0-cx, dy*dy) {
			for i, wt := range rowWt[:n] {
				if b := rowBin[i]; b >= 0 {
					hist[b] += wt
				} else if wt != 0 {
					// A point orientRow leaves to the Go loop. (One of no
					// gradient, weight +0, adds nothing whatever its bin: no
					// sum is -0.)
					addPoints(&hist, wts, up, row, down, x0+i, x0+i, cx, dy)
				}
			}
			continue
		}
		addPoints(&hist, wts, up, row, down, x0, x1, cx, dy)
	}
	return hist
}

// orientation returns the dominant gradient direction around c, in
// radians: the peak of its histogram of gradient directions, located
// between bins by a parabola.
func (oc *octave) orientation(g []float32, c cand, sigma float64) float64 {
	hist := oc.histogram(g, c, sigma)
	// Smooth the histogram circularly, then take the peak.
	var sm [orientBins]float64
	for i := range hist {
		sm[i] = (hist[(i+orientBins-1)%orientBins] + 2*hist[i] + hist[(i+1)%orientBins]) / 4
	}
	peak := 0
	for i := range sm {
		if sm[i] > sm[peak] {
			peak = i
		}
	}
	a, b, d := sm[(peak+orientBins-1)%orientBins], sm[peak], sm[(peak+1)%orientBins]
	off := 0.0
	if den := a - 2*b + d; den != 0 {
		off = 0.5 * (a - d) / den
	}
	return (float64(peak) + 0.5 + off) * 2 * math.Pi / orientBins
}

// addPoints adds the points x0 to x1 of row, dy from the centre row and
// x-cx from the centre column, to hist: the weight wts[dx*dx+dy*dy]
// times the gradient's magnitude (from the rows up and down and the
// neighbours on row) to the bin of its direction. The bin is that of a
// polynomial arctangent of the smaller component over the larger one
// (error < 1.3e-5 radian, 7.5e-5 bin) turned into the octant of (gx, gy)
// by a table, without branches (their directions are random in texture),
// unless that is within edge of a bin's edge: then math.Atan2 decides, so
// the bin is always the one it gives.
func addPoints(hist *[orientBins]float64, wts []float64, up, row, down []float32, x0, x1, cx, dy int) {
	for x := x0; x <= x1; x++ {
		dx := x - cx
		gx := float64(row[x+1] - row[x-1])
		gy := float64(down[x] - up[x])
		wt := wts[dx*dx+dy*dy] * math.Sqrt(gx*gx+gy*gy)
		ax, ay := math.Abs(gx), math.Abs(gy)
		z := min(ax, ay) / max(ax, ay)
		u := z * z
		a := z * (atanC0 + u*(atanC1+u*(atanC2+u*(atanC3+u*atanC4))))
		o := octants[bit(gy < 0)<<2|bit(gx < 0)<<1|bit(ay > ax)]
		t := o.off + o.sign*a
		b := int(t)
		if f := t - float64(b); !(f > edge && f < 1-edge) {
			b = int(math.Floor((math.Atan2(gy, gx)/(2*math.Pi) + 1) * orientBins))
		}
		hist[b%orientBins] += wt
	}
}

// describe returns c's orientation (in 1/256 of a turn) and descriptor:
// the patch of radius patchRadius sigmas around it, turned by its
// orientation and sampled from the Gaussian level above the one nearest
// its scale, and the signs of the 8x8 lowest-frequency DCT coefficients
// but the mean (bit 8u+v for vertical frequency u and horizontal v; bit 0
// is 0). Signs do not change with brightness and contrast. The level
// above (2^(1/3) more blur): the patch's finest detail is what a crop's
// resampling and recompression change, and the descriptors of a feature
// and its copy then differ by more than the radius the matcher pairs
// them within; from the level above, more of a crop's features pair and
// fewer impostors do (asymmetric crops of the benchmark's originals: 2
// features at most of an impostor fit one similarity, not 6).
func (oc *octave) describe(c cand) (uint8, uint64) {
	li := max(0, min(levels+1, int(math.Round(c.lev))+1))
	g := oc.g[li]
	sigma := sigma0 * math.Pow(2, c.lev/levels)
	theta := oc.orientation(g, c, sigma)
	// Quantise first, so that the patch is turned by exactly the angle
	// stored (MirrorAngle is then exact too).
	q := uint8(int(math.Round(theta*256/(2*math.Pi))) & 255)
	theta = float64(q) * 2 * math.Pi / 256
	cs, sn := math.Cos(theta), math.Sin(theta)
	step := 2 * patchRadius * sigma / patchSamples
	var p [patchSamples][patchSamples]float32
	for i := range patchSamples {
		v := (float64(i) - (patchSamples-1)/2.0) * step
		for j := range patchSamples {
			u := (float64(j) - (patchSamples-1)/2.0) * step
			p[i][j] = bilinear(g, oc.w, oc.h, c.ox+cs*u-sn*v, c.oy+sn*u+cs*v)
		}
	}
	var t [patchSamples][8]float32 // rows transformed
	for i := range patchSamples {
		for v := range 8 {
			var s float32
			for j := range patchSamples {
				s += p[i][j] * dctCos[v][j]
			}
			t[i][v] = s
		}
	}
	var desc uint64
	for u := range 8 {
		for v := range 8 {
			if u == 0 && v == 0 {
				continue
			}
			var s float32
			for i := range patchSamples {
				s += dctCos[u][i] * t[i][v]
			}
			if s > 0 {
				desc |= 1 << (8*u + v)
			}
		}
	}
	return q, desc
}

// bilinear samples the plane at (x, y) (pixel centres at integers),
// clamped to its edges.
func bilinear(g []float32, w, h int, x, y float64) float32 {
	x = max(0, min(float64(w-1), x))
	y = max(0, min(float64(h-1), y))
	x0, y0 := int(x), int(y)
	x1, y1 := min(w-1, x0+1), min(h-1, y0+1)
	fx, fy := float32(x-float64(x0)), float32(y-float64(y0))
	a := g[y0*w+x0] + fx*(g[y0*w+x1]-g[y0*w+x0])
	b := g[y1*w+x0] + fx*(g[y1*w+x1]-g[y1*w+x0])
	return a + fy*(b-a)
}
