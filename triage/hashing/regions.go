package hashing

import (
	"image"
	"math"
)

// Regions of a query image that may be a known image on their own: the
// picture between caption bands (a meme's text above and below, a site's
// banner), and the tiles of a collage. Trimming (trim.go) only removes
// flat borders; a band with text on it is not flat, and a collage tile is
// surrounded by other pictures. Both detectors read the luma plane the
// hasher already decoded. The band detector costs microseconds on a plane
// without bands (it stops at the first line that rules them out); the
// tile detector reads 128 rows and 128 columns of the plane, 0.4-0.8 ms
// of CPU at 640x480 and 1.2 ms at 1 MP (BenchmarkFindTiles).

const (
	// bandCover: a band row has at least this share of its pixels within
	// trimTol of the band's colour (the rest is the caption's ink).
	bandCover = 0.5
	// bandMin and bandMax bound a band's height, as a share of the
	// image's: thinner bands move the hashes little (and a flat one is
	// trimmed), thicker ones leave too little picture.
	bandMin = 0.04
	bandMax = 0.4
	// bandGap: the band ends where this share of the height (at least
	// 3 rows) in a row is not band; shorter runs are ink.
	bandGap = 0.02
	// bandInk: ink is more than this many luma levels from the band's
	// colour.
	bandInk = 48
)

// findBands returns the rectangle of the w x h luma plane between caption
// bands at the top and bottom, and whether there is a band. A band starts
// with a uniform row at the edge (as trim.go defines it), goes on while
// rows are mostly its colour, and must carry something that is not its
// colour (a flat band is a border, trimmed instead).
func findBands(luma []float32, w, h int) (image.Rectangle, bool) {
	r := image.Rect(0, 0, w, h)
	if w < trimMinPixels || h < 4*trimMinPixels || len(luma) != w*h {
		return r, false
	}
	top := bandDepth(luma, w, h, false)
	bottom := bandDepth(luma, w, h, true)
	if top == 0 && bottom == 0 || float64(h-top-bottom) < float64(h)*(1-2*bandMax) {
		return r, false
	}
	r.Min.Y, r.Max.Y = top, h-bottom
	return r, true
}

// bandDepth returns the height of the caption band at the top (or the
// bottom) of the plane, or 0.
func bandDepth(luma []float32, w, h int, bottom bool) int {
	row := func(k int) int {
		if bottom {
			return (h - 1 - k) * w
		}
		return k * w
	}
	ref := lineMedian(luma, row(0), 1, w)
	if !uniformLine(luma, row(0), 1, w, ref) {
		return 0
	}
	limit := int(float64(h) * bandMax)
	gap := max(3, int(float64(h)*bandGap))
	minCover := int(float64(w) * bandCover)
	ink := -1        // the first row with ink
	lastFlat := 0    // after the ink, the last uniform row, +1
	end, run := 0, 0 // the band's end so far, and the run of rows that are not band after it
	for k := 0; k < limit && run < gap; k++ {
		n, far := 0, 0
		for _, v := range luma[row(k) : row(k)+w] {
			d := v - ref
			if d <= trimTol && d >= -trimTol {
				n++
			} else if d > bandInk || d < -bandInk {
				far++
			}
		}
		flatRow := n >= w-int(float64(w)*trimOutliers)
		// A band row is mostly the band's colour, and the rest is ink,
		// far from it: a picture's own sky or ground near the band's
		// colour has its other pixels close to it too.
		if n < minCover || !flatRow && 2*far < w-n {
			run++
			continue
		}
		switch {
		case !flatRow && ink < 0:
			ink = k
		case flatRow && run == 0 && ink >= 0:
			lastFlat = k + 1
		}
		end, run = k+1, 0
	}
	if run < gap || ink < 0 {
		return 0 // no end within bandMax, or a flat border
	}
	if lastFlat > ink {
		// The band ends with the flat rows after its text.
		end = lastFlat
	}
	if end < int(float64(h)*bandMin) {
		return 0 // too thin
	}
	return end
}

const (
	// tileMin: a tile is at least this share of each side of the image.
	tileMin = 0.2
	// seamRows is how many rows (or columns) a seam is measured on.
	seamRows = 128
	// seamShare: a seam between two tiles is a step in luma, between two
	// adjacent columns (or rows), in at least this share of the rows it
	// crosses, each step at least seamStep levels and at least seamRatio
	// times the steps on either side of it.
	seamShare = 0.6
	seamStep  = 6
	seamRatio = 2
	// maxSeams: more seams than this across one strip are texture (a
	// fence, a brick wall), not a grid.
	maxSeams = 4
	// maxTiles bounds the tiles hashed per image.
	maxTiles = 8
)

// findTiles returns the tiles of a collage on the w x h luma plane: the
// rectangles that straight seams crossing the whole image (or the whole
// strip between two others) cut it into, each at least tileMin of the
// image's sides; nil when there is no seam. A collage's pictures meet
// along straight lines where the luma jumps in nearly every row, which a
// photograph's own edges rarely do over its full height. Seams crossing
// the whole image both ways make a grid; otherwise the strips between
// full seams are split along their own seams.
func findTiles(luma []float32, w, h int) []image.Rectangle {
	if w < 4*trimMinPixels || h < 4*trimMinPixels || len(luma) != w*h {
		return nil
	}
	full := image.Rect(0, 0, w, h)
	minW, minH := int(float64(w)*tileMin), int(float64(h)*tileMin)
	cols := split(luma, w, full, true, minW, minH, false)
	rows := split(luma, w, full, false, minW, minH, false)
	var tiles []image.Rectangle
	add := func(t image.Rectangle) {
		if len(tiles) < maxTiles && t != full {
			tiles = append(tiles, t)
		}
	}
	switch {
	case len(cols) > 1 && len(rows) > 1: // a grid: seams cross the whole image both ways
		for _, c := range cols {
			for _, r := range rows {
				add(c.Intersect(r))
			}
		}
	case len(cols) > 1: // columns, each perhaps cut into rows of its own
		for _, c := range cols {
			for _, t := range split(luma, w, c, false, minW, minH, true) {
				add(t)
			}
		}
	case len(rows) > 1:
		for _, r := range rows {
			for _, t := range split(luma, w, r, true, minW, minH, true) {
				add(t)
			}
		}
	}
	return tiles
}

// split cuts r along its seams (vertical ones, cutting columns, or
// horizontal ones) and returns the pieces at least minW x minH between
// two seams, or between a seam and an edge, and with spans also those
// that span two such pieces: within a strip, a straight edge inside a
// picture (a sea's horizon) is a seam too, and the piece across it is the
// picture. With no seam (or too many to be a grid) it returns r itself.
func split(luma []float32, w int, r image.Rectangle, vertical bool, minW, minH int, spans bool) []image.Rectangle {
	n, across, minSide := r.Dx(), r.Dy(), minW // positions along the cut axis, and the lines crossed
	if !vertical {
		n, across, minSide = r.Dy(), r.Dx(), minH
	}
	lines := min(across, seamRows)
	need := int(float64(lines) * seamShare)
	lo, hi := max(3, minSide/2), min(n-2, n-minSide/2)
	if lo >= hi {
		return []image.Rectangle{r}
	}
	// hits[i]: the lines on which the step between positions i-1 and i
	// is a seam's, at least seamStep and seamRatio times the steps
	// between i-3 and i-2 and between i+1 and i+2. Computed in memory
	// order without branches (a photograph's steps are noise to a branch
	// predictor): along each sampled row for vertical seams, row after
	// row (the sampled columns of five rows at a time) for horizontal ones.
	hits := make([]int32, n)
	base := r.Min.Y*w + r.Min.X
	lineOff := func(k int) int { return k * (across - 1) / max(1, lines-1) }
	if vertical {
		d := make([]float32, n)
		for k := range lines {
			row := luma[base+lineOff(k)*w:][:n]
			for i := lo - 2; i <= hi+1; i++ {
				d[i] = abs32(row[i] - row[i-1])
			}
			for i := lo; i < hi; i++ {
				hits[i] += seamHit(d[i], d[i-2], d[i+2])
			}
		}
	} else {
		cols := make([]int, lines)
		for k := range cols {
			cols[k] = lineOff(k)
		}
		ring := make([]float32, 5*lines) // the steps of rows m-4..m, row m at (m%5)*lines
		steps := func(m int) []float32 { return ring[(m%5)*lines:][:lines] }
		fill := func(m int) {
			cur, prev, d := luma[base+m*w:], luma[base+(m-1)*w:], steps(m)
			for k, c := range cols {
				d[k] = abs32(cur[c] - prev[c])
			}
		}
		for m := lo - 2; m < lo+2; m++ {
			fill(m)
		}
		for i := lo; i < hi; i++ {
			fill(i + 2)
			before, at, after := steps(i-2), steps(i), steps(i+2)
			var c int32
			for k := range at {
				c += seamHit(at[k], before[k], after[k])
			}
			hits[i] = c
		}
	}
	seams := []int{0}
	for i := lo; i < hi; i++ {
		if int(hits[i]) >= need && i-seams[len(seams)-1] > 3 { // a seam blurred over two steps is one
			seams = append(seams, i)
		}
	}
	if len(seams) == 1 || len(seams) > maxSeams+1 {
		return []image.Rectangle{r}
	}
	seams = append(seams, n)
	var out []image.Rectangle
	for a := range seams {
		for b := a + 1; b < len(seams) && (b == a+1 || spans && b == a+2); b++ {
			if seams[b]-seams[a] >= minSide && (spans || a > 0 || b < len(seams)-1) {
				out = append(out, cut(r, vertical, seams[a], seams[b]))
			}
		}
	}
	return out
}

// seamHit is 1 when a step s is a seam's next to the steps before and
// after it two positions away (see seamStep and seamRatio), else 0; a NaN
// is no seam.
func seamHit(s, before, after float32) int32 {
	if s >= max(seamStep, seamRatio*before, seamRatio*after) {
		return 1
	}
	return 0
}

// abs32 returns |v| (NaN stays NaN).
func abs32(v float32) float32 {
	return float32(math.Abs(float64(v)))
}

// cut returns the part of r from a to b along the cut axis.
func cut(r image.Rectangle, vertical bool, a, b int) image.Rectangle {
	if vertical {
		return image.Rect(r.Min.X+a, r.Min.Y, r.Min.X+b, r.Max.Y)
	}
	return image.Rect(r.Min.X, r.Min.Y+a, r.Max.X, r.Min.Y+b)
}
