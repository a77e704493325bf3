//go:build !amd64

package keypoint

// orientRow is the vector path of the orientation histogram's rows, which
// only amd64 has: here it computes nothing and leaves every row to the Go
// loop.
func orientRow(wt []float64, bin []int32, up, row, down []float32, x0, n int, wts []float64, dx0, dy2 int) bool {
	return false
}
