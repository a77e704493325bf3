//go:build !amd64

package keypoint

// resampleRowsVec is the vector path of resample's row pass, which only
// amd64 has: here it does no row and leaves them all to the Go loops.
func resampleRowsVec(a *arena, rows, src []float32, w, h int, xs []tap) int { return 0 }
