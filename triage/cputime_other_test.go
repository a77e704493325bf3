//go:build !linux

package triage

func threadCPU() float64 { return 0 }
