//go:build !amd64

package transpose

// Vector is whether In8 and Out8 use vector instructions, which only amd64
// has: here they run Go loops, and callers keep their own.
var Vector = false

// in8 is In8 after its checks: the Go loop.
func in8(t []float32, rows *[8][]float32, p *[8]*float32, n int) { in8Go(t, rows, n) }

// out8 is Out8 after its checks: the Go loop.
func out8(rows *[8][]float32, u []float32, p *[8]*float32, n int) { out8Go(rows, u, n) }
