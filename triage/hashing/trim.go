package hashing

import (
	"image"

	"github.com/winnow-forensics/winnow/triage/internal/blockavg"
)

// Border trimming. Re-posted images are often the original inside a flat
// border: letterboxing to another aspect ratio, padding to a square, a
// screenshot of the image shown on a plain canvas, sometimes with a thin
// frame. PDQ and pHash of the whole picture then describe mostly border
// and match nothing, so the hasher looks for uniform borders on the luma
// plane it already decoded and, when it finds a meaningful one, hashes the
// content inside it a second time (Fingerprint.Trim).
//
// A border line (a row or column at an edge of what is left) is uniform
// when nearly all its pixels are within trimTol of the border's colour and
// their mean deviation is small: real padding is flat up to JPEG noise,
// whereas dark skies, shadows and out-of-focus backgrounds vary. The
// border's colour is the median of the outermost line, so black, white and
// any flat colour are found alike. Sides are trimmed independently (top,
// bottom, then left and right within the remaining rows), and then again
// for up to trimLayers-1 inner layers, which must be thin: a frame around
// the content, not the content's own flat sky.

const (
	// trimTol is how far, in luma levels (0-255), a border pixel may be
	// from the border's colour.
	trimTol = 12
	// trimOutliers is the share of a line's pixels that may be further
	// than trimTol (JPEG ringing next to the content, a stray mark).
	trimOutliers = 0.02
	// trimMaxMeanDev is the largest mean absolute deviation from the
	// border's colour, in luma levels, that a border line may have.
	trimMaxMeanDev = 2.5
	// trimMinRemoved: a border is meaningful when it covers at least this
	// share of the image's area.
	trimMinRemoved = 0.03
	// trimMinContent: content must keep at least this share of each side
	// (and trimMinPixels pixels); a mostly flat image is not trimmed.
	trimMinContent = 0.15
	trimMinPixels  = 16
	// trimLayers is how many nested borders are peeled (canvas, frame,
	// mat); inner layers may be at most trimFrameMax of the side thick (or
	// trimFrameMinPx pixels).
	trimLayers     = 3
	trimFrameMax   = 0.03
	trimFrameMinPx = 3
)

// findContent returns the rectangle of the w x h luma plane that lies
// inside uniform borders, and whether the border is meaningful (see
// trimMinRemoved and trimMinContent). It reads luma only and allocates
// nothing; a plane whose size does not match w and h has no border.
func findContent(luma []float32, w, h int) (image.Rectangle, bool) {
	r := image.Rect(0, 0, w, h)
	if w < trimMinPixels || h < trimMinPixels || len(luma) != w*h {
		return r, false
	}
	minW := max(trimMinPixels, int(float64(w)*trimMinContent))
	minH := max(trimMinPixels, int(float64(h)*trimMinContent))
	for layer := range trimLayers {
		maxW, maxH := w, h // no thickness limit on the outer layer
		if layer > 0 {
			maxW = max(trimFrameMinPx, int(float64(w)*trimFrameMax))
			maxH = max(trimFrameMinPx, int(float64(h)*trimFrameMax))
		}
		before := r
		for side := range 4 {
			limit := maxH
			if side >= 2 {
				limit = maxW
			}
			n := borderDepth(luma, w, r, side, limit, minW, minH)
			switch side {
			case sideTop:
				r.Min.Y += n
			case sideBottom:
				r.Max.Y -= n
			case sideLeft:
				r.Min.X += n
			case sideRight:
				r.Max.X -= n
			}
		}
		if r == before {
			break
		}
	}
	removed := 1 - float64(r.Dx()*r.Dy())/float64(w*h)
	return r, removed >= trimMinRemoved
}

const (
	sideTop = iota
	sideBottom
	sideLeft
	sideRight
)

// borderDepth returns how many lines at the given side of r are uniform
// in the colour of the outermost one. If more than limit lines are
// uniform, or all but minW x minH of r would go, the band is not a border
// and borderDepth returns 0.
func borderDepth(luma []float32, w int, r image.Rectangle, side, limit, minW, minH int) int {
	var avail int // lines that may go
	if side <= sideBottom {
		avail = r.Dy() - minH
	} else {
		avail = r.Dx() - minW
	}
	if avail <= 0 {
		return 0
	}
	// line k's first pixel, the step between its pixels, and its length
	line := func(k int) (int, int, int) {
		switch side {
		case sideTop:
			return (r.Min.Y+k)*w + r.Min.X, 1, r.Dx()
		case sideBottom:
			return (r.Max.Y-1-k)*w + r.Min.X, 1, r.Dx()
		case sideLeft:
			return r.Min.Y*w + r.Min.X + k, w, r.Dy()
		default:
			return r.Min.Y*w + r.Max.X - 1 - k, w, r.Dy()
		}
	}
	start, step, n := line(0)
	ref := lineMedian(luma, start, step, n)
	k := 0
	for k < avail && k <= limit {
		start, step, n = line(k)
		if !uniformLine(luma, start, step, n, ref) {
			break
		}
		k++
	}
	if k > limit || k == avail {
		// Too thick for this layer, or flat up to the content minimum:
		// the image's own flat area, not a border.
		return 0
	}
	return k
}

// lineMedian returns the median of n luma values from start, step apart,
// rounded to whole levels.
func lineMedian(luma []float32, start, step, n int) float32 {
	var hist [256]int
	for i, p := 0, start; i < n; i, p = i+1, p+step {
		hist[level(luma[p])]++
	}
	half := (n + 1) / 2
	for v, c := range hist {
		half -= c
		if half <= 0 {
			return float32(v)
		}
	}
	return 255
}

// level rounds a luma value to a level in 0-255 (NaN to 0).
func level(v float32) int {
	if !(v > 0) {
		return 0
	}
	if v >= 255 {
		return 255
	}
	return int(v + 0.5)
}

// uniformLine reports whether the n luma values from start, step apart,
// are a border line in colour ref (see trimTol, trimOutliers and
// trimMaxMeanDev). It stops reading as soon as the answer is no.
func uniformLine(luma []float32, start, step, n int, ref float32) bool {
	maxOut := int(float64(n) * trimOutliers)
	maxDev := float64(n) * trimMaxMeanDev
	out := 0
	var dev float64
	for i, p := 0, start; i < n; i, p = i+1, p+step {
		d := luma[p] - ref
		if d < 0 {
			d = -d
		}
		if !(d <= trimTol) { // NaN counts as an outlier
			out++
			if out > maxOut {
				return false
			}
			d = trimTol * 4 // an outlier's deviation, capped so one bright mark does not decide
		}
		dev += float64(d)
		if dev > maxDev {
			return false
		}
	}
	return true
}

// cropPlane copies the rectangle r of the w-wide luma plane into dst,
// box-averaged down by an integer factor when the content is large (see
// viewScale), and returns the copy and its size.
func cropPlane(dst, luma []float32, w int, r image.Rectangle) ([]float32, int, int) {
	f := viewScale(r.Dx(), r.Dy())
	cw, ch := r.Dx()/f, r.Dy()/f
	dst = grow(dst, cw*ch)
	scaleInto(dst, cw, 0, 0, luma, w, r, f)
	return dst, cw, ch
}

// uncropDiv: the uncropped view pads each side by 1/uncropDiv of it, which
// restores the geometry of an image cropped by 5% on every side (0.9 *
// (1 + 2/18) = 1).
const uncropDiv = 18

// uncropPlane returns the w x h luma plane (box-averaged down when large,
// see viewScale) padded on every side by 1/uncropDiv of its size with the
// mirror image of its edge, and the padded size.
func uncropPlane(dst, luma []float32, w, h int) ([]float32, int, int) {
	f := viewScale(w, h)
	cw, ch := w/f, h/f
	px, py := (cw+uncropDiv/2)/uncropDiv, (ch+uncropDiv/2)/uncropDiv
	ow, oh := cw+2*px, ch+2*py
	dst = grow(dst, ow*oh)
	scaleInto(dst, ow, px, py, luma, w, image.Rect(0, 0, cw*f, ch*f), f)
	for y := py; y < py+ch; y++ { // left and right, by mirroring
		row := dst[y*ow : (y+1)*ow]
		for x := range px {
			row[px-1-x] = row[px+min(x, cw-1)]
			row[px+cw+x] = row[px+cw-1-min(x, cw-1)]
		}
	}
	for y := range py { // top and bottom, whole rows
		copy(dst[(py-1-y)*ow:(py-y)*ow], dst[(py+min(y, ch-1))*ow:])
		copy(dst[(py+ch+y)*ow:(py+ch+y+1)*ow], dst[(py+ch-1-min(y, ch-1))*ow:])
	}
	return dst, ow, oh
}

// viewScale returns the integer factor a view's w x h plane is
// box-averaged down by: the largest that keeps its shorter side at least
// viewHashSide (the size the fast JPEG path hashes at), and enough to keep
// it under viewMaxPixels, so that a view of a full-size 12 MP plane costs
// what one of a 300-pixel plane does. PDQ blurs to a 64x64 grid and pHash
// averages to 64x64, so the hashes move by a few bits.
func viewScale(w, h int) int {
	f := max(1, min(w, h)/viewHashSide)
	for (w/f)*(h/f) > viewMaxPixels {
		f++
	}
	return f
}

// viewHashSide and viewMaxPixels bound a view's plane (see viewScale).
const (
	viewHashSide  = 256
	viewMaxPixels = 4 << 20
)

// scaleInto writes the rectangle r of the w-wide luma plane, averaged over
// f x f boxes, into dst (stride dstW) at (x0, y0).
func scaleInto(dst []float32, dstW, x0, y0 int, luma []float32, w int, r image.Rectangle, f int) {
	blockavg.Into(dst[y0*dstW+x0:], dstW, luma, w, r, f)
}

// grow returns buf resized to n, reallocated if too small.
func grow(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}
