package triagetest

import "syscall"

// ThreadCPU returns the CPU time of the calling OS thread: benchmarks lock
// their goroutine to a thread and report queries per CPU second next to
// queries per wall-clock second, which other processes on a shared machine
// would otherwise distort.
func ThreadCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// ProcessCPU returns the CPU time of the whole process: for code that runs
// goroutines of its own (the hashing pipeline digests in parallel).
func ProcessCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
