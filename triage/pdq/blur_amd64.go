package pdq

import (
	"golang.org/x/sys/cpu"

	"github.com/winnow-forensics/winnow/triage/internal/transpose"
)

// vector is whether boxColumnsVec uses AVX2: the CPU and the system
// support it. (The tests turn it off to compare with the Go loops.)
var vector = cpu.X86.HasAVX2

// boxColumnsVec runs the full-window part of a column strip's box-filter
// pass (see boxColumnsStrip) on the strip's first n columns, n the largest
// multiple of 8 at most len(s), with AVX2: for each of rows outputs o,
// s[k] += src[(win+o)*L+k], then s[k] -= src[o*L+k], and dst[o*w+k] =
// s[k] / win, 8 columns an instruction, each the Go loop's value to the
// bit (IEEE single-precision adds, subtractions and divisions in the same
// order). It returns n, or 0 without AVX2 or when a row falls outside the
// slices, which leaves every column, and every panic, to the Go loop.
func boxColumnsVec(s, dst []float32, w int, src []float32, L, win, rows int) int {
	n := len(s) &^ 7
	if !vector || n == 0 || rows <= 0 || n > L || n > w ||
		(rows-1)*w+n > len(dst) || (win+rows-1)*L+n > len(src) {
		return 0
	}
	boxColumnsAVX2(&s[0], n, &dst[0], w, &src[0], L, win*L, rows, float32(win))
	return n
}

// boxColumnsAVX2 is boxColumnsVec's loop over n columns (a multiple of
// 8, at least 8) and rows rows (at least 1), all within the slices; the
// row added is add floats after the row subtracted.
//
//go:noescape
func boxColumnsAVX2(s *float32, n int, dst *float32, w int, src *float32, L, add, rows int, win float32)

// rowScratch holds the buffers of the row passes' vector path: 8 rows
// transposed (t: column x's 8 values at t[8x:8x+8]) and filtered (u), and
// for the rows' width and window, each output's number of samples (cnt)
// and ones (the sampled pass divides only where it samples).
type rowScratch struct {
	t, u, cnt, ones []float32
	w, win          int
}

// prepare readies the buffers for rows of w samples and a window of win,
// and reports whether the vector path runs: with AVX2 (for the transposes
// too), on rows of at least 8 samples.
func (s *rowScratch) prepare(w, win int) bool {
	if !vector || !transpose.Vector || w < 8 || win < 1 || win > w {
		return false
	}
	if s.w != w || s.win != win {
		s.t, s.u = grow(s.t, 8*w), grow(s.u, 8*w)
		s.cnt, s.ones = grow(s.cnt, w), grow(s.ones, w)
		lead, head := boxGeometry(win)
		for x := range w {
			s.cnt[x] = float32(min(w-1, x+lead) - max(0, x-head+1) + 1)
			s.ones[x] = 1
		}
		s.w, s.win = w, win
	}
	return true
}

// filter runs one box-filter pass along rows r .. r+7 of the w-wide
// plane p (w and the window as prepared) into s.u, each output divided
// by div[x]: transposed into s.t, filtered 8 rows an instruction. rows
// receives the rows.
func (s *rowScratch) filter(p []float32, r int, div []float32, rows *[8][]float32) {
	w := s.w
	p = p[r*w : (r+8)*w]
	for i := range rows {
		rows[i] = p[i*w : (i+1)*w]
	}
	n := w &^ 7
	transpose.In8(s.t, rows, n)
	for x := n; x < w; x++ {
		for i := range 8 {
			s.t[8*x+i] = p[i*w+x]
		}
	}
	lead, head := boxGeometry(s.win)
	boxRunAVX2(&s.t[0], &s.u[0], &div[0], w, lead, head)
}

// rows runs one box-filter pass along rows r .. r+7 of the w-wide plane
// p, in place: what boxRows4 gives them, to the bit.
func (s *rowScratch) rows(p []float32, r int) {
	w := s.w
	var rows [8][]float32
	s.filter(p, r, s.cnt, &rows)
	n := w &^ 7
	transpose.Out8(&rows, s.u, n)
	p = p[r*w : (r+8)*w]
	for x := n; x < w; x++ {
		for i := range 8 {
			p[i*w+x] = s.u[8*x+i]
		}
	}
}

// rowsSampled runs one box-filter pass along rows r .. r+7 of the w-wide
// plane p and stores the outputs at the columns in pos into out (row i's
// at out[64i+j]): what boxRowsSampled4 gives them, to the bit (the sums
// are divided at the sampled columns only, as there).
func (s *rowScratch) rowsSampled(out []float32, p []float32, r int, pos *[64]int) {
	var rows [8][]float32
	s.filter(p, r, s.ones, &rows)
	out = out[:8*64]
	for j, x := range pos {
		c, v := s.cnt[x], s.u[8*x:8*x+8]
		for i := range 8 {
			out[64*i+j] = v[i] / c
		}
	}
}

// boxRunAVX2 filters the 8 lines of n samples stored column by column in
// t into u, dividing output x by cnt[x]; 1 <= lead+head <= n.
//
//go:noescape
func boxRunAVX2(t, u, cnt *float32, n, lead, head int)
