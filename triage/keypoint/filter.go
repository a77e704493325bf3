package keypoint

import (
	"image"
	"math"

	"github.com/winnow-forensics/winnow/triage/internal/blockavg"
)

// resample scales the w x h plane to dw x dh with a triangle filter as
// wide as the scale factor (an area average when shrinking, bilinear when
// enlarging), rows then columns.
func resample(a *arena, src []float32, w, h, dw, dh int) []float32 {
	if f := min(w/dw, h/dh) / 2; f >= 2 {
		// Far larger: average f x f blocks first, which costs one pass
		// instead of a triangle of 2f taps per input pixel.
		src, w, h = boxReduce(a, src, w, h, f)
	}
	xs, ys := taps(w, dw), taps(h, dh)
	rows := a.alloc(dw * h)
	y := resampleRowsVec(a, rows, src, w, h, xs)
	for ; y+4 <= h; y += 4 {
		resampleRows(rows[y*dw:(y+4)*dw], src[y*w:(y+4)*w], xs)
	}
	for ; y < h; y++ {
		resampleRow(rows[y*dw:y*dw+dw], src[y*w:y*w+w], xs)
	}
	// Each output row from the rows within its taps, as the blur's
	// columns are.
	dst := a.alloc(dw * dh)
	var offs []int
	for y, t := range ys {
		offs = offs[:0]
		for k := range t.w {
			offs = append(offs, (t.first+k)*dw)
		}
		kernel(t.w).column(dst[y*dw:y*dw+dw], rows, offs)
	}
	return dst
}

// resampleRows resamples four rows (of len(in)/4 pixels) at a time, which
// shares the loads of each output's taps.
func resampleRows(out, in []float32, xs []tap) {
	w, dw := len(in)/4, len(out)/4
	in0, in1, in2, in3 := in[:w], in[w:2*w], in[2*w:3*w], in[3*w:]
	out0, out1, out2, out3 := out[:dw], out[dw:2*dw], out[2*dw:3*dw], out[3*dw:]
	for x, t := range xs {
		a, b := in0[t.first:][:len(t.w)], in1[t.first:][:len(t.w)]
		c, d := in2[t.first:][:len(t.w)], in3[t.first:][:len(t.w)]
		var s0, s1, s2, s3 float32
		for k, wt := range t.w {
			s0 += wt * a[k]
			s1 += wt * b[k]
			s2 += wt * c[k]
			s3 += wt * d[k]
		}
		out0[x], out1[x], out2[x], out3[x] = s0, s1, s2, s3
	}
}

// resampleRow resamples one row.
func resampleRow(out, in []float32, xs []tap) {
	for x, t := range xs {
		a := in[t.first:][:len(t.w)]
		var s float32
		for k, wt := range t.w {
			s += wt * a[k]
		}
		out[x] = s
	}
}

// tap is one output sample's weights over the inputs from first on.
type tap struct {
	first int
	w     []float32
}

// taps returns the normalised triangle-filter weights of each of m outputs
// over n inputs.
func taps(n, m int) []tap {
	scale := float64(n) / float64(m)
	r := max(1, scale)
	out := make([]tap, m)
	for i := range out {
		c := (float64(i)+0.5)*scale - 0.5
		lo, hi := max(0, int(math.Ceil(c-r))), min(n-1, int(math.Floor(c+r)))
		t := tap{first: lo, w: make([]float32, hi-lo+1)}
		var sum float64
		for k := lo; k <= hi; k++ {
			wt := max(0, 1-math.Abs(float64(k)-c)/r)
			t.w[k-lo] = float32(wt)
			sum += wt
		}
		if sum == 0 {
			t.w[max(0, min(hi-lo, int(math.Round(c))-lo))] = 1
			sum = 1
		}
		for k := range t.w {
			t.w[k] /= float32(sum)
		}
		out[i] = t
	}
	return out
}

// kernel is a normalised Gaussian of radius ceil(3 sigma): 2r+1 weights.
type kernel []float32

func newKernel(sigma float64) kernel {
	r := int(math.Ceil(3 * sigma))
	k := make(kernel, 2*r+1)
	var sum float64
	for i := -r; i <= r; i++ {
		v := math.Exp(-float64(i*i) / (2 * sigma * sigma))
		k[i+r] = float32(v)
		sum += v
	}
	for i := range k {
		k[i] /= float32(sum)
	}
	return k
}

// blur writes the w x h plane src blurred by k, edges clamped, to dst,
// and the difference dst-src to dog unless it is nil, using tmp (w x h)
// for the rows blurred. Both passes add the taps in the kernel's order,
// rows along a line padded with the edge values and columns down the
// rows within the radius: the sums are those of one output at a time, to
// the bit. On amd64 with AVX2, convolveVec computes 8 outputs per
// instruction that way (a multiply, then an add, as the Go loops do
// there, never fused), and differenceVec 8 differences. The Go loops,
// elsewhere and for a row's last outputs, keep 7 outputs' sums in
// registers. (7 sums and their products take the 15 registers the Go
// compiler allocates; with more, or with the loops inline in one
// function, it keeps a sum or the loop counter on the stack, and is
// slower.)
func (k kernel) blur(dst, dog, src, tmp []float32, w, h int) {
	k.rows(tmp, src, w, h)
	k.columns(dst, dog, src, tmp, w, h)
}

// rows blurs each row of src into dst.
func (k kernel) rows(dst, src []float32, w, h int) {
	r := len(k) / 2
	line := make([]float32, w+2*r)
	// offs: the offset of each tap in the line from the output's first.
	offs := make([]int, len(k))
	for j := range offs {
		offs[j] = j
	}
	for y := range h {
		row := src[y*w : y*w+w]
		for i := range r {
			line[i], line[r+w+i] = row[0], row[w-1]
		}
		copy(line[r:], row)
		k.line(dst[y*w:y*w+w], line, offs)
	}
}

// line writes the padded line blurred by k to out; offs holds 0 to
// len(k)-1, the taps' offsets for convolveVec.
func (k kernel) line(out, line []float32, offs []int) {
	x := convolveVec(out, line, offs, k)
	for ; x+7 <= len(out); x += 7 {
		var s0, s1, s2, s3, s4, s5, s6 float32
		win := line[x : x+len(k)+6]
		for j, kj := range k {
			a := win[j : j+7]
			s0 += kj * a[0]
			s1 += kj * a[1]
			s2 += kj * a[2]
			s3 += kj * a[3]
			s4 += kj * a[4]
			s5 += kj * a[5]
			s6 += kj * a[6]
		}
		o := out[x : x+7]
		o[0], o[1], o[2], o[3], o[4], o[5], o[6] = s0, s1, s2, s3, s4, s5, s6
	}
	for ; x < len(out); x++ {
		var s float32
		for j, kj := range k {
			s += kj * line[x+j]
		}
		out[x] = s
	}
}

// columns blurs each column of tmp into dst, and writes dst-src to dog
// unless it is nil, row by row while the row is at hand.
func (k kernel) columns(dst, dog, src, tmp []float32, w, h int) {
	r := len(k) / 2
	// rows[j]: the offset of the row j-r from the current one, clamped.
	rows := make([]int, len(k))
	for y := range h {
		for j := range rows {
			rows[j] = max(0, min(h-1, y+j-r)) * w
		}
		out := dst[y*w : y*w+w]
		k.column(out, tmp, rows)
		if dog != nil {
			d, in := dog[y*w:y*w+w], src[y*w:y*w+w]
			for x := differenceVec(d, out, in); x < len(d); x++ {
				d[x] = out[x] - in[x]
			}
		}
	}
}

// column writes to out the row blurred by k from the rows of src at the
// offsets rows[j] (one per tap).
func (k kernel) column(out, src []float32, rows []int) {
	rows = rows[:len(k)]
	x := convolveVec(out, src, rows, k)
	for ; x+7 <= len(out); x += 7 {
		var s0, s1, s2, s3, s4, s5, s6 float32
		for j, kj := range k {
			a := src[rows[j]+x : rows[j]+x+7]
			s0 += kj * a[0]
			s1 += kj * a[1]
			s2 += kj * a[2]
			s3 += kj * a[3]
			s4 += kj * a[4]
			s5 += kj * a[5]
			s6 += kj * a[6]
		}
		o := out[x : x+7]
		o[0], o[1], o[2], o[3], o[4], o[5], o[6] = s0, s1, s2, s3, s4, s5, s6
	}
	for ; x < len(out); x++ {
		var s float32
		for j, kj := range k {
			s += kj * src[rows[j]+x]
		}
		out[x] = s
	}
}

// halve returns the plane at half size, each pixel the mean of 2x2 (a
// mean rather than every other pixel, so that the mirror image's scale
// space is the mirror image of the scale space).
func halve(a *arena, p []float32, w, h int) ([]float32, int, int) {
	hw, hh := w/2, h/2
	out := a.alloc(hw * hh)
	for y := range hh {
		r0, r1 := p[2*y*w:], p[(2*y+1)*w:]
		for x := range hw {
			out[y*hw+x] = (r0[2*x] + r0[2*x+1] + r1[2*x] + r1[2*x+1]) / 4
		}
	}
	return out, hw, hh
}

// boxReduce returns the plane with each f x f block averaged (the last
// partial row and column of blocks dropped), as blockavg.Into sums them.
func boxReduce(a *arena, src []float32, w, h, f int) ([]float32, int, int) {
	bw, bh := w/f, h/f
	out := a.alloc(bw * bh)
	blockavg.Into(out, bw, src, w, image.Rect(0, 0, bw*f, bh*f), f)
	return out, bw, bh
}
