package pdq

// PDQ of a plane decoded at reduced scale.
//
// A JPEG decoded in the DCT domain at 1/8 of its size gives, for each 8x8
// block, the mean of the block's pixels; at k/8 each output pixel is close
// to the mean of the 8/k x 8/k pixels it covers. Blurring that small plane
// with the Jarosz filter sized for the small plane (what [Hasher.Hash]
// does) is not the filter the reference applies to the full-size image:
// the sampled positions shift by up to half a block and the box windows
// round differently, which moves a PDQ hash of a 12 MP photo decoded at
// 1/8 about 6 bits from the reference's.
//
// The reference's 64x64 buffer is a linear function of the full-size
// image, separable into one weight vector per sampled row and column (two
// box-filter passes, then the sample). The scaled functions below apply
// those full-size weights, each summed over the full-size pixels that one
// plane pixel stands for: exact when every block is uniform, and otherwise
// off only by the correlation, within a block, of pixel values with the
// slope of the tent filter.

// scaledTaps is one sampled row or column: the plane indexes from first
// on, and their weights.
type scaledTaps struct {
	first int
	w     []float32
}

// HashScaled is [Hasher.Hash] for a w x hgt plane that a decoder scaled
// down from a fullW x fullH image (see the comment above): it returns
// what the reference would compute from the full-size image, closely. With
// fullW == w and fullH == hgt it is [Hasher.Hash], which blurs luma in
// place; otherwise luma is not modified. A plane larger than the image,
// or an image too small to hash, gives the zero Hash and quality 0.
func (h *Hasher) HashScaled(luma []float32, w, hgt, fullW, fullH int) (Hash, int) {
	if fullW == w && fullH == hgt {
		return h.Hash(luma, w, hgt)
	}
	q, ok := h.transformScaled(luma, w, hgt, fullW, fullH)
	if !ok {
		return Hash{}, 0
	}
	return thresholdBits(&h.dct, &h.sorted), q
}

// HashDihedralScaled is [Hasher.HashDihedral] for a scaled plane, as
// HashScaled is for [Hasher.Hash].
func (h *Hasher) HashDihedralScaled(luma []float32, w, hgt, fullW, fullH int) ([8]Hash, int) {
	if fullW == w && fullH == hgt {
		return h.HashDihedral(luma, w, hgt)
	}
	var out [8]Hash
	q, ok := h.transformScaled(luma, w, hgt, fullW, fullH)
	if !ok {
		return out, 0
	}
	for k, t := range dihedrals {
		t.apply(&h.aux, &h.dct)
		out[k] = thresholdBits(&h.aux, &h.sorted)
	}
	return out, q
}

func (h *Hasher) transformScaled(luma []float32, w, hgt, fullW, fullH int) (int, bool) {
	if w <= 0 || hgt <= 0 || len(luma)%w != 0 || len(luma)/w != hgt {
		return 0, false
	}
	if fullW < minHashableDim || fullH < minHashableDim || fullW < w || fullH < hgt || fullW == 64 && fullH == 64 {
		return 0, false
	}
	// A k/8 DCT-scaled decode has sides ceil(n*k/8); plane pixel P then
	// holds full-size pixels p with p*k/8 == P.
	cnum, cden, rnum, rden := w, fullW, hgt, fullH
	for k := 1; k < 8; k++ {
		if (fullW*k+7)/8 == w && (fullH*k+7)/8 == hgt {
			cnum, cden, rnum, rden = k, 8, k, 8
			break
		}
	}
	cols := h.scaledCols.get(w, fullW, cnum, cden)
	rows := h.scaledRows.get(hgt, fullH, rnum, rden)
	// Rows first: mid[r*64+i] is plane row r filtered at sampled column i.
	h.mid = grow(h.mid, 64*hgt)
	for r := range hgt {
		line := luma[r*w : r*w+w]
		out := (*[64]float32)(h.mid[r*64:])
		for i := range cols {
			c := &cols[i]
			var s float32
			for k, wt := range c.w {
				s += wt * line[c.first+k]
			}
			out[i] = s
		}
	}
	for j := range rows {
		rt := &rows[j]
		var acc [64]float32
		for k, wt := range rt.w {
			src := (*[64]float32)(h.mid[(rt.first+k)*64:])
			for i := range acc {
				acc[i] += wt * src[i]
			}
		}
		copy(h.buf64[j*64:j*64+64], acc[:])
	}
	q := quality(&h.buf64)
	dct64To16(&h.dct, &h.t, &h.buf64)
	return q, true
}

// scaledGrid caches the taps of one dimension for the last geometry.
type scaledGrid struct {
	m, n, num, den int
	taps           [64]scaledTaps
}

// get returns the taps for a plane dimension of m pixels standing for n
// full-size pixels, full-size pixel p falling in plane pixel p*num/den.
func (g *scaledGrid) get(m, n, num, den int) *[64]scaledTaps {
	if g.m != m || g.n != n || g.num != num || g.den != den {
		g.m, g.n, g.num, g.den = m, n, num, den
		scaledWeights(&g.taps, m, n, num, den)
	}
	return &g.taps
}

// scaledWeights fills out with, for each of the 64 samples along a
// full-size dimension of n pixels, the weights of the reference's two
// box-filter passes summed over the full-size pixels that each of the m
// plane pixels covers.
func scaledWeights(out *[64]scaledTaps, m, n, num, den int) {
	win := windowSize(n)
	lead, head := boxGeometry(win)
	// window(o) is the span of full-size pixels averaged at output o.
	window := func(o int) (int, int) { return max(0, o-head+1), min(n-1, o+lead) }
	plane := func(p int) int { return min(m-1, p*num/den) }
	var wts []float64
	for i := range out {
		s := (2*i + 1) * n / 128
		a, b := window(s)
		lo, _ := window(a)
		_, hi := window(b)
		first, last := plane(lo), plane(hi)
		wts = append(wts[:0], make([]float64, last-first+1)...)
		sa := float64(b - a + 1)
		for k := a; k <= b; k++ {
			ka, kb := window(k)
			wk := 1 / (sa * float64(kb-ka+1))
			for p := ka; p <= kb; p++ {
				wts[plane(p)-first] += wk
			}
		}
		t := scaledTaps{first: first, w: out[i].w[:0]}
		for _, v := range wts {
			t.w = append(t.w, float32(v))
		}
		out[i] = t
	}
}
