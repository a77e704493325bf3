package keypoint

import "golang.org/x/sys/cpu"

// vector is whether convolveVec and differenceVec use AVX2: the CPU and
// the system support it. (The tests turn it off to compare with the Go
// loops.)
var vector = cpu.X86.HasAVX2

// convolveVec sets out[x], for x from 0 up to the largest multiple of 8
// at most len(out), to the sum over the taps j of k[j]*src[offs[j]+x],
// with AVX2: 8 outputs at a time, each the sum the Go loops give, to the
// bit (a multiply, then an add, in the taps' order from 0). It returns
// the number of outputs written, 0 without AVX2 or when the offsets do
// not fit src, which leaves every output, and every panic, to the Go
// loops.
func convolveVec(out, src []float32, offs []int, k []float32) int {
	n := len(out) &^ 7
	if !vector || n == 0 || len(k) == 0 || len(offs) != len(k) {
		return 0
	}
	for _, o := range offs {
		if o < 0 || o > len(src)-n {
			return 0
		}
	}
	convolveAVX2(&out[0], &src[0], n, &offs[0], &k[0], len(k))
	return n
}

// convolveAVX2 is convolveVec's loop over n outputs (a multiple of 8, at
// least 8) and nk taps (at least 1), all within the slices.
//
//go:noescape
func convolveAVX2(out, src *float32, n int, offs *int, k *float32, nk int)

// differenceVec sets d[x] to a[x]-b[x] for x from 0 up to the largest
// multiple of 8 at most len(d), with AVX2, and returns the number of
// differences written: 0 without AVX2 or when a or b is shorter.
func differenceVec(d, a, b []float32) int {
	n := len(d) &^ 7
	if !vector || n == 0 || len(a) < n || len(b) < n {
		return 0
	}
	differenceAVX2(&d[0], &a[0], &b[0], n)
	return n
}

// differenceAVX2 is differenceVec's loop over n floats (a multiple of 8,
// at least 8).
//
//go:noescape
func differenceAVX2(d, a, b *float32, n int)
