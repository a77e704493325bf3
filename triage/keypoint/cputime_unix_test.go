//go:build unix

package keypoint_test

import "syscall"

// processCPU returns the CPU time (user + system) the process has used so
// far, in seconds, or 0 if unknown: benchmarks report it per operation,
// which other processes on a shared machine do not distort as they do
// the wall-clock figure.
func processCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
