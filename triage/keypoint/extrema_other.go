//go:build !amd64

package keypoint

// peaksVec is the vector path of peaks, which only amd64 has: here it
// scans no point and leaves them all to the Go loop.
func peaksVec(xs []int, d []float32, w, y, lo, hi int) ([]int, int) { return xs, lo }
