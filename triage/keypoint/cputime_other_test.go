//go:build !unix

package keypoint_test

// processCPU is unknown on this platform.
func processCPU() float64 { return 0 }
