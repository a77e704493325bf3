package keypoint

import "math"

// resample scales the w x h plane to dw x dh with a triangle filter as
// wide as the scale factor (an area average when shrinking, bilinear when
// enlarging), rows then columns.
func resample(src []float32, w, h, dw, dh int) []float32 {
	if f := min(w/dw, h/dh) / 2; f >= 2 {
		// Far larger: average f x f blocks first, which costs one pass
		// instead of a triangle of 2f taps per input pixel.
		src, w, h = boxReduce(src, w, h, f)
	}
	xs, ys := taps(w, dw), taps(h, dh)
	rows := make([]float32, dw*h)
	for y := range h {
		in, out := src[y*w:y*w+w], rows[y*dw:y*dw+dw]
		for x, t := range xs {
			var s float32
			for k, wt := range t.w {
				s += wt * in[t.first+k]
			}
			out[x] = s
		}
	}
	dst := make([]float32, dw*dh)
	for y, t := range ys {
		out := dst[y*dw : y*dw+dw]
		for k, wt := range t.w {
			in := rows[(t.first+k)*dw : (t.first+k)*dw+dw]
			for x := range out {
				out[x] += wt * in[x]
			}
		}
	}
	return dst
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

// gaussian blurs the w x h plane in place by sigma, edges clamped: rows,
// then columns a whole row at a time (so the inner loops run along
// memory).
func gaussian(p []float32, w, h int, sigma float64) {
	r := int(math.Ceil(3 * sigma))
	k := make([]float32, 2*r+1)
	var sum float64
	for i := -r; i <= r; i++ {
		v := math.Exp(-float64(i*i) / (2 * sigma * sigma))
		k[i+r] = float32(v)
		sum += v
	}
	for i := range k {
		k[i] /= float32(sum)
	}
	line := make([]float32, w+2*r)
	for y := range h {
		row := p[y*w : y*w+w]
		for i := range r {
			line[i], line[r+w+i] = row[0], row[w-1]
		}
		copy(line[r:], row)
		for x := range row {
			win := line[x : x+2*r+1]
			var s float32
			for j, kv := range k {
				s += kv * win[j]
			}
			row[x] = s
		}
	}
	src := make([]float32, len(p[:w*h]))
	copy(src, p)
	for y := range h {
		out := p[y*w : y*w+w]
		clear(out)
		for j, kv := range k {
			yy := max(0, min(h-1, y+j-r))
			in := src[yy*w : yy*w+w]
			for x := range out {
				out[x] += kv * in[x]
			}
		}
	}
}

// halve returns the plane at half size, each pixel the mean of 2x2 (a
// mean rather than every other pixel, so that the mirror image's scale
// space is the mirror image of the scale space).
func halve(p []float32, w, h int) ([]float32, int, int) {
	hw, hh := w/2, h/2
	out := make([]float32, hw*hh)
	for y := range hh {
		r0, r1 := p[2*y*w:], p[(2*y+1)*w:]
		for x := range hw {
			out[y*hw+x] = (r0[2*x] + r0[2*x+1] + r1[2*x] + r1[2*x+1]) / 4
		}
	}
	return out, hw, hh
}

// boxReduce returns the plane with each f x f block averaged (the last
// partial row and column of blocks dropped).
func boxReduce(src []float32, w, h, f int) ([]float32, int, int) {
	bw, bh := w/f, h/f
	out := make([]float32, bw*bh)
	inv := 1 / float32(f*f)
	for by := range bh {
		acc := out[by*bw : by*bw+bw]
		for y := by * f; y < by*f+f; y++ {
			row := src[y*w : y*w+bw*f]
			for bx := range acc {
				var s float32
				for _, v := range row[bx*f : bx*f+f] {
					s += v
				}
				acc[bx] += s
			}
		}
		for bx := range acc {
			acc[bx] *= inv
		}
	}
	return out, bw, bh
}
