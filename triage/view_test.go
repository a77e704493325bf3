package triage

import (
	"image"
	"testing"

	"github.com/corona10/goimagehash"

	"github.com/winnow-forensics/winnow/triage/pdq"

	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// transformGray applies dihedral transform t (PDQ's order) to a square gray image.
func transformGray(img *image.Gray, t int) *image.Gray {
	n := img.Bounds().Dx()
	out := image.NewGray(image.Rect(0, 0, n, n))
	for y := range n {
		for x := range n {
			var sx, sy int // the source pixel of output (x, y)
			switch t {
			case 0:
				sx, sy = x, y
			case 1: // rot90 ccw
				sx, sy = n-1-y, x
			case 2:
				sx, sy = n-1-x, n-1-y
			case 3: // rot270 ccw
				sx, sy = y, n-1-x
			case 4: // flipx: top/bottom
				sx, sy = x, n-1-y
			case 5: // flipy: left/right
				sx, sy = n-1-x, y
			case 6: // transpose
				sx, sy = y, x
			case 7: // transverse
				sx, sy = n-1-y, n-1-x
			}
			out.Pix[y*out.Stride+x] = img.Pix[sy*img.Stride+sx]
		}
	}
	return out
}

// TestPHashDihedral checks the pHashes derived from one DCT against
// goimagehash's pHash of each transformed thumbnail.
func TestPHashDihedral(t *testing.T) {
	worst := 0
	for seed := range uint64(40) {
		photo := triagetest.Photo(160+int(seed)*7, 120+int(seed)*3, seed)
		small := boxGray(pdq.Luma(photo, nil), photo.Bounds().Dx(), photo.Bounds().Dy(), smallSide)
		got := phashDihedral(small)
		for k := range 8 {
			v, err := goimagehash.PerceptionHash(transformGray(small, k))
			if err != nil {
				t.Fatal(err)
			}
			d := got[k].Distance(PHash(v.GetHash()))
			worst = max(worst, d)
			if d > 1 {
				t.Errorf("seed %d, %s: pHash %016x, goimagehash of the transformed image %016x (distance %d)",
					seed, DihedralNames[k], uint64(got[k]), v.GetHash(), d)
			}
		}
	}
	t.Logf("largest difference: %d bits", worst)
}
