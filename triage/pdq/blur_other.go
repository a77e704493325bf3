//go:build !amd64

package pdq

// boxColumnsVec is the vector path of the column strips' box filter, which
// only amd64 has: here it filters no column and leaves them all to the Go
// loop.
func boxColumnsVec(s, dst []float32, w int, src []float32, L, win, rows int) int { return 0 }

// rowScratch would hold the row passes' vector path's buffers: here there
// is no vector path.
type rowScratch struct{}

// prepare reports that the row passes run the Go loops.
func (s *rowScratch) prepare(w, win int) bool { return false }

// rows and rowsSampled are never called: prepare reports false.
func (s *rowScratch) rows(p []float32, r int)                                     {}
func (s *rowScratch) rowsSampled(out []float32, p []float32, r int, pos *[64]int) {}
