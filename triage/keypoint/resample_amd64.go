package keypoint

import "github.com/winnow-forensics/winnow/triage/internal/transpose"

// resampleRowsVec runs resample's row pass (each output x of a row the
// sum over its taps xs[x], from 0, of weight times input, in the taps'
// order) on the first rows of the w x h plane src, 8 at a time, into the
// len(xs)-wide rows: the 8 rows transposed so that one AVX2 instruction
// multiplies, then adds, the same tap of all 8, each output the Go loop's
// value to the bit. It returns the number of rows done, a multiple of 8:
// 0 without AVX2 or when a tap or a row falls outside the slices, which
// leaves every row, and every panic, to the Go loops. The two transposed
// blocks come from a.
func resampleRowsVec(a *arena, rows, src []float32, w, h int, xs []tap) int {
	dw, n := len(xs), h&^7
	if !vector || !transpose.Vector || n == 0 || dw == 0 || w <= 0 ||
		len(src)/w < n || len(rows)/dw < n {
		return 0
	}
	for _, t := range xs {
		if t.first < 0 || t.first > w-len(t.w) {
			return 0
		}
	}
	t, u := a.alloc(8*w), a.alloc(8*dw)
	wn, dn := w&^7, dw&^7
	var in, out [8][]float32
	for y := 0; y < n; y += 8 {
		for i := range 8 {
			in[i] = src[(y+i)*w : (y+i+1)*w]
			out[i] = rows[(y+i)*dw : (y+i+1)*dw]
		}
		transpose.In8(t, &in, wn)
		for x := wn; x < w; x++ {
			for i, r := range in {
				t[8*x+i] = r[x]
			}
		}
		resampleRunAVX2(&t[0], &u[0], &xs[0], dw)
		transpose.Out8(&out, u, dn)
		for x := dn; x < dw; x++ {
			for i, r := range out {
				r[x] = u[8*x+i]
			}
		}
	}
	return n
}

// resampleRunAVX2 sets u[8x+i], for the n outputs x (at least 1), to the
// sum over xs[x]'s taps k, from 0 and in order, of xs[x].w[k] times
// t[8(xs[x].first+k)+i]: the row pass of 8 rows stored column by column
// in t, every tap within t.
//
//go:noescape
func resampleRunAVX2(t, u *float32, xs *tap, n int)
