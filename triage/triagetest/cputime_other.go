//go:build !linux

package triagetest

// ThreadCPU is 0 where the CPU time of a thread is not known.
func ThreadCPU() float64 { return 0 }

// ProcessCPU is 0 where the CPU time of the process is not known.
func ProcessCPU() float64 { return 0 }
