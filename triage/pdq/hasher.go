package pdq

// minHashableDim is the smallest width and height that is hashed; smaller
// images get the zero hash and quality 0, as in the reference.
const minHashableDim = 5

// Hasher computes PDQ hashes. It holds scratch buffers that are reused
// between calls, so that hashing images of the same size allocates
// nothing after the first call. The zero value is ready to use. A Hasher
// is not safe for concurrent use; use one per goroutine.
type Hasher struct {
	lines []float32  // copies of four rows for the first row pass: 4*w
	strip []float32  // copy of a column strip: stripWidth*h
	mid   []float32  // second row pass at the 64 sampled columns: h*64
	vec   rowScratch // the row passes' vector path (amd64 with AVX2)

	cols, rows [64]int // sampled column and row indices

	scaledCols, scaledRows scaledGrid // HashScaled's weights

	tail   [4 * 64]float32
	buf64  [64 * 64]float32
	t      [16 * 64]float32
	dct    [256]float32
	aux    [256]float32
	sorted [256]float32
}

// Hash returns the PDQ hash and quality (0..100) of the w x hgt luma image
// stored row-major in luma (see [Luma]).
//
// The blur works in place: luma is overwritten with intermediate results
// (its contents afterwards are unspecified). Apart from the Hasher's own
// buffers, which grow to O(w+hgt), nothing is allocated.
//
// If w or hgt is less than 5, the result is the zero Hash and quality 0,
// as in the reference. Invalid arguments (w <= 0, hgt <= 0 or
// len(luma) != w*hgt) also give the zero Hash and quality 0; Hash never
// panics.
func (h *Hasher) Hash(luma []float32, w, hgt int) (Hash, int) {
	q, ok := h.transform(luma, w, hgt)
	if !ok {
		return Hash{}, 0
	}
	return thresholdBits(&h.dct, &h.sorted), q
}

// HashDihedral returns the hashes of the eight dihedral transforms of the
// image, in the order original, rotate 90 (counter-clockwise), rotate 180,
// rotate 270 (counter-clockwise), flip x (top/bottom mirror), flip y
// (left/right mirror), flip plus-one (transpose) and flip minus-one
// (transverse), together with the quality of the image.
//
// All eight come from the one DCT of the image, by sign changes and
// transposition of the coefficients, as in the reference; the first
// equals [Hasher.Hash] of the same input. The arguments, the in-place use
// of luma and the handling of small or invalid input are as for
// [Hasher.Hash] (all eight hashes are zero then).
//
// The reference's dihedral function blurs even a 64x64 input, whereas its
// single-hash function (and this package, for both) uses a 64x64 input
// unblurred; for that one size the hashes may differ from the reference's
// dihedral output by rounding-level noise.
func (h *Hasher) HashDihedral(luma []float32, w, hgt int) ([8]Hash, int) {
	var out [8]Hash
	q, ok := h.transform(luma, w, hgt)
	if !ok {
		return out, 0
	}
	for k, t := range dihedrals {
		t.apply(&h.aux, &h.dct)
		out[k] = thresholdBits(&h.aux, &h.sorted)
	}
	return out, q
}

// transform fills h.dct with the 16x16 DCT of the image and returns its
// quality. It reports false for inputs that hash to zero.
func (h *Hasher) transform(luma []float32, w, hgt int) (int, bool) {
	if w <= 0 || hgt <= 0 || len(luma)%w != 0 || len(luma)/w != hgt {
		return 0, false
	}
	if w < minHashableDim || hgt < minHashableDim {
		return 0, false
	}
	if w == 64 && hgt == 64 {
		// Already at the target size: used as is, like the reference.
		copy(h.buf64[:], luma)
	} else {
		h.downsample(luma, w, hgt)
	}
	q := quality(&h.buf64)
	dct64To16(&h.dct, &h.t, &h.buf64)
	return q, true
}

// downsample blurs luma (in place for the first two passes) and stores
// the 64x64 decimation of the fully blurred image in h.buf64.
func (h *Hasher) downsample(luma []float32, w, hgt int) {
	for i := range 64 {
		h.cols[i] = (2*i + 1) * w / 128
		h.rows[i] = (2*i + 1) * hgt / 128
	}
	winRow := windowSize(w) // window along each row
	winCol := windowSize(hgt)

	h.lines = grow(h.lines, 4*w)
	h.strip = grow(h.strip, stripWidth*hgt)
	h.mid = grow(h.mid, 64*hgt)

	// Pass 1 along rows, in place: eight rows at a time with AVX2, where
	// there is, then four at a time.
	vec := h.vec.prepare(w, winRow)
	r := 0
	for ; vec && r+8 <= hgt; r += 8 {
		h.vec.rows(luma, r)
	}
	l0, l1, l2, l3 := h.lines[:w], h.lines[w:2*w], h.lines[2*w:3*w], h.lines[3*w:4*w]
	for ; r < hgt; r += 4 {
		n := min(4, hgt-r)
		row := func(k int) []float32 {
			k = r + min(k, n-1)
			return luma[k*w : k*w+w]
		}
		d0, d1, d2, d3 := row(0), row(1), row(2), row(3)
		copy(l0, d0)
		copy(l1, d1)
		copy(l2, d2)
		copy(l3, d3)
		boxRows4(d0, d1, d2, d3, l0, l1, l2, l3, winRow)
	}

	// Pass 1 along columns, in place, in strips of adjacent columns.
	for c := 0; c < w; c += stripWidth {
		boxColumnsStrip(luma, w, hgt, c, min(stripWidth, w-c), winCol, h.strip)
	}

	// Pass 2 along rows, only at the sampled columns.
	for r = 0; vec && r+8 <= hgt; r += 8 {
		h.vec.rowsSampled(h.mid[r*64:], luma, r, &h.cols)
	}
	for ; r < hgt; r += 4 {
		n := min(4, hgt-r)
		row := func(k int) []float32 {
			k = r + min(k, n-1)
			return luma[k*w : k*w+w]
		}
		out := h.mid[r*64:]
		if n < 4 {
			// The last group repeats its final row; collect it aside.
			out = h.tail[:]
		}
		boxRowsSampled4(out, row(0), row(1), row(2), row(3), winRow, &h.cols)
		if n < 4 {
			copy(h.mid[r*64:(r+n)*64], out)
		}
	}

	// Pass 2 along columns, only at the sampled columns and rows.
	boxColumnsSampled(&h.buf64, h.mid, hgt, winCol, &h.rows)
}

// grow returns s resliced to length n, reallocating if its capacity is
// smaller.
func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}
