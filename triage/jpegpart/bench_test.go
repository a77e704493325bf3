package jpegpart

import "testing"

// BenchmarkVisible: the walk over a cut 12 MP picture (what a cut camera
// photo costs before it is decoded).
func BenchmarkVisible(b *testing.B) {
	full := encode(b, pattern(4000, 3000))
	cut := full[:len(full)*9/10]
	b.SetBytes(int64(len(cut)))
	for b.Loop() {
		if _, err := Visible(cut); err != nil {
			b.Fatal(err)
		}
	}
}
