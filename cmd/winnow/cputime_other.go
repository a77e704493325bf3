//go:build !unix

package main

// processCPU is unknown on this platform.
func processCPU() float64 { return 0 }
