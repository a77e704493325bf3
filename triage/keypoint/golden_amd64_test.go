package keypoint

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// goldenFeatures and goldenPlanes are the SHA-256 of what goldenHashes
// computes: features stored by an earlier build are those this one
// extracts, to the bit, with AVX2 and without. They hold on amd64 only:
// the Go compiler fuses a multiply and an add into one instruction on
// other architectures (arm64's FMADDS), which rounds once instead of
// twice.
const (
	goldenFeatures = "3678491b6b90e471c21a07556965be4be7bcfdb816ff1eb8f34beec0cf743fff"
	goldenPlanes   = "6a37e642eeb80583380d37716817ca3991a6b5559f8a11b9d1347869abc6fc5b"
)

// goldenLuma is a generated photo's luma plane.
func goldenLuma(w, h int, seed uint64) []float32 {
	img := triagetest.Photo(w, h, seed)
	out := make([]float32, w*h)
	for y := range h {
		for x := range w {
			px := img.Pix[img.PixOffset(x, y):]
			out[y*w+x] = 0.299*float32(px[0]) + 0.587*float32(px[1]) + 0.114*float32(px[2])
		}
	}
	return out
}

// goldenHashes returns the hash of the features of a few generated
// photos and of a noisy plane (NaN and infinities included), and the
// hash of one photo's first octave, every plane of it bit for bit.
func goldenHashes() (features, planes string) {
	fh := sha256.New()
	for i, s := range [][2]int{{640, 480}, {300, 201}, {123, 457}, {1000, 750}} {
		l := goldenLuma(s[0], s[1], uint64(i+1))
		fmt.Fprintln(fh, Extract(l, s[0], s[1], 500))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	noise := make([]float32, 211*157)
	for i := range noise {
		switch rng.IntN(50) {
		case 0:
			noise[i] = float32(math.NaN())
		case 1:
			noise[i] = float32(math.Inf(1 - 2*rng.IntN(2)))
		default:
			noise[i] = rng.Float32() * 300
		}
	}
	fmt.Fprintln(fh, Extract(noise, 211, 157, 500))

	ph := sha256.New()
	put := func(p []float32) {
		for _, v := range p {
			binary.Write(ph, binary.LittleEndian, math.Float32bits(v))
		}
	}
	w, h := 256, 192
	a := new(arena)
	base := resample(a, goldenLuma(640, 480, 9), 640, 480, w, h)
	blurred := a.alloc(w * h)
	baseKernel.blur(blurred, nil, base, a.alloc(w*h), w, h)
	oc := buildOctave(a, blurred, w, h)
	put(base)
	for i := range oc.g {
		put(oc.g[i])
	}
	for i := range levels + 1 {
		put(oc.d[i])
	}
	put(oc.top)
	return fmt.Sprintf("%x", fh.Sum(nil)), fmt.Sprintf("%x", ph.Sum(nil))
}

func TestGolden(t *testing.T) {
	defer func(v bool) { vector = v }(vector)
	for _, vec := range []bool{true, false} {
		vector = vec
		f, p := goldenHashes()
		if f != goldenFeatures {
			t.Errorf("AVX2 %v: features hash %s, want %s", vec, f, goldenFeatures)
		}
		if p != goldenPlanes {
			t.Errorf("AVX2 %v: scale space hash %s, want %s", vec, p, goldenPlanes)
		}
	}
}
