//go:build !amd64

package keypoint

// convolveVec is the vector path of the blur's loops, which only amd64
// has: here it writes no output and leaves them all to the Go loops.
func convolveVec(out, src []float32, offs []int, k []float32) int { return 0 }

// differenceVec is the vector path of the difference of two rows: here
// it writes nothing.
func differenceVec(d, a, b []float32) int { return 0 }
