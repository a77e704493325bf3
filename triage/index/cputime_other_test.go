//go:build !linux

package index

func threadCPU() float64 { return 0 }
