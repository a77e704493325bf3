package blockavg

import "image"

// Into writes the rectangle r of the srcW-wide plane src, averaged over
// f x f blocks (r's sides are multiples of f), into dst with stride dstW:
// block (x, y) at dst[y*dstW+x]. Each output is each row's f values of
// its block summed from 0 in order, the rows' sums added in order, times
// 1/f²; f = 1 copies the values as they are. Four blocks of a row are
// summed side by side, so that their sums do not wait on each other (a
// third of the time of one block after the other, the same sums).
func Into(dst []float32, dstW int, src []float32, srcW int, r image.Rectangle, f int) {
	cw, ch := r.Dx()/f, r.Dy()/f
	if f == 1 {
		for y := range ch {
			s := (r.Min.Y+y)*srcW + r.Min.X
			copy(dst[y*dstW:][:cw], src[s:s+cw])
		}
		return
	}
	inv := 1 / float32(f*f)
	for y := range ch {
		out := dst[y*dstW:][:cw]
		clear(out)
		for j := range f {
			row := src[(r.Min.Y+y*f+j)*srcW+r.Min.X:][:cw*f]
			x := 0
			for ; x+4 <= cw; x += 4 {
				b := row[x*f : (x+4)*f]
				b0, b1, b2, b3 := b[:f], b[f:2*f], b[2*f:3*f], b[3*f:4*f]
				var s0, s1, s2, s3 float32
				for k, v := range b0 {
					s0 += v
					s1 += b1[k]
					s2 += b2[k]
					s3 += b3[k]
				}
				out[x] += s0
				out[x+1] += s1
				out[x+2] += s2
				out[x+3] += s3
			}
			for ; x < cw; x++ {
				var s float32
				for _, v := range row[x*f : x*f+f] {
					s += v
				}
				out[x] += s
			}
		}
		for x := range out {
			out[x] *= inv
		}
	}
}
