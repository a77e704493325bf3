package transpose

import "golang.org/x/sys/cpu"

// Vector is whether In8 and Out8 use AVX2: the CPU and the system support
// it. Without it they run Go loops, correct but no faster than the caller's
// own; callers check it to choose their path. (The tests turn it off to
// compare with the Go loops.)
var Vector = cpu.X86.HasAVX2

// in8 is In8 after its checks (n at least 8): p holds the rows' starts.
func in8(t []float32, rows *[8][]float32, p *[8]*float32, n int) {
	if !Vector {
		in8Go(t, rows, n)
		return
	}
	in8AVX2(&t[0], p, n)
}

// out8 is Out8 after its checks (n at least 8): p holds the rows' starts.
func out8(rows *[8][]float32, u []float32, p *[8]*float32, n int) {
	if !Vector {
		out8Go(rows, u, n)
		return
	}
	out8AVX2(p, &u[0], n)
}

// in8AVX2 sets t[8x+i] = rows[i][x] for x below n (a multiple of 8, at
// least 8), all within the arrays.
//
//go:noescape
func in8AVX2(t *float32, rows *[8]*float32, n int)

// out8AVX2 sets rows[i][x] = u[8x+i] for x below n (a multiple of 8, at
// least 8), all within the arrays.
//
//go:noescape
func out8AVX2(rows *[8]*float32, u *float32, n int)
