package transpose

import (
	"math"
	"math/rand/v2"
	"testing"
)

// rowsOf returns 8 rows of w random floats (any bits: NaNs and
// infinities move like any other value) and their transpose by index.
func rowsOf(rng *rand.Rand, w int) (rows [8][]float32, want []float32) {
	want = make([]float32, 8*w)
	for i := range rows {
		rows[i] = make([]float32, w)
		for x := range rows[i] {
			rows[i][x] = math.Float32frombits(rng.Uint32())
			want[8*x+i] = rows[i][x]
		}
	}
	return rows, want
}

// TestTranspose: In8 and Out8, with AVX2 and with the Go loops, move
// every float of every n multiple of 8 up to 64 to its place and touch
// nothing beyond n.
func TestTranspose(t *testing.T) {
	defer func(v bool) { Vector = v }(Vector)
	rng := rand.New(rand.NewPCG(1, 2))
	for _, vec := range []bool{true, false} {
		if vec && !Vector {
			continue
		}
		Vector = vec
		for n := 0; n <= 64; n += 8 {
			w := n + 3
			rows, want := rowsOf(rng, w)
			tr := make([]float32, 8*w+5)
			const mark = 0x7fc0dead
			for i := range tr {
				tr[i] = math.Float32frombits(mark)
			}
			In8(tr, &rows, n)
			for j, v := range tr {
				exp := uint32(mark)
				if j < 8*n {
					exp = math.Float32bits(want[j])
				}
				if math.Float32bits(v) != exp {
					t.Fatalf("AVX2 %v, n %d: In8 t[%d] = %08x, want %08x", vec, n, j, math.Float32bits(v), exp)
				}
			}
			var back [8][]float32
			for i := range back {
				back[i] = make([]float32, w)
				for x := range back[i] {
					back[i][x] = math.Float32frombits(mark)
				}
			}
			Out8(&back, want, n)
			for i := range back {
				for x, v := range back[i] {
					exp := uint32(mark)
					if x < n {
						exp = math.Float32bits(rows[i][x])
					}
					if math.Float32bits(v) != exp {
						t.Fatalf("AVX2 %v, n %d: Out8 row %d [%d] = %08x, want %08x", vec, n, i, x, math.Float32bits(v), exp)
					}
				}
			}
		}
	}
}

// TestBounds: n not a multiple of 8, negative, or beyond t or any row
// panics before a float is written.
func TestBounds(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range []struct {
		name       string
		n, tl, row int // n, len(t), and the length of the short row
	}{
		{"n odd", 12, 128, 16},
		{"n negative", -8, 128, 16},
		{"t short", 16, 127, 16},
		{"row short", 16, 128, 15},
	} {
		for short := range 8 {
			rows, _ := rowsOf(rng, 16)
			rows[short] = rows[short][:c.row]
			tr := make([]float32, c.tl)
			panics := func(f func()) (p bool) {
				defer func() { p = recover() != nil }()
				f()
				return false
			}
			if !panics(func() { In8(tr, &rows, c.n) }) {
				t.Errorf("%s (row %d): In8 did not panic", c.name, short)
			}
			for _, v := range tr {
				if v != 0 {
					t.Fatalf("%s: In8 wrote before panicking", c.name)
				}
			}
			var zero [8][]float32
			for i := range zero {
				zero[i] = make([]float32, len(rows[i]))
			}
			if !panics(func() { Out8(&zero, tr, c.n) }) {
				t.Errorf("%s (row %d): Out8 did not panic", c.name, short)
			}
			for _, r := range zero {
				for _, v := range r {
					if v != 0 {
						t.Fatalf("%s: Out8 wrote before panicking", c.name)
					}
				}
			}
		}
	}
}
