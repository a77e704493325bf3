package jpegpart

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"testing"
)

// pattern is a picture with detail in every block, so that its JPEG has
// long entropy-coded data.
func pattern(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), uint8((x*x + 3*y*x + y*y) / 7), 255})
		}
	}
	return img
}

func encode(t testing.TB, img image.Image) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func fixture(t testing.TB, name string) []byte {
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// firstScan returns the offset where the first scan's entropy-coded data
// starts.
func firstScan(t testing.TB, b []byte) int {
	i := bytes.Index(b, []byte{0xff, 0xda})
	if i < 0 {
		t.Fatal("no SOS")
	}
	return i + 2 + int(b[i+2])<<8 | int(b[i+3])
}

func decodeY(t testing.TB, b []byte) *image.YCbCr {
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	y, ok := img.(*image.YCbCr)
	if !ok {
		t.Fatalf("decoded a %T", img)
	}
	return y
}

// checkRows checks that part's picture is the first rows of full's,
// luma sample for sample.
func checkRows(t *testing.T, part Part, full *image.YCbCr) {
	t.Helper()
	got := decodeY(t, part.JPEG)
	if b := got.Bounds(); b.Dx() != part.Width || b.Dy() != part.Rows {
		t.Fatalf("part decodes to %v, want %dx%d", b, part.Width, part.Rows)
	}
	for y := range part.Rows {
		g := got.Y[y*got.YStride:][:part.Width]
		w := full.Y[y*full.YStride:][:part.Width]
		if !bytes.Equal(g, w) {
			t.Fatalf("row %d of %d differs from the complete picture's", y, part.Rows)
		}
	}
}

// TestBaselineCut: a baseline file cut anywhere in its scan gives the rows
// of whole MCU rows before the cut, the same as the complete file's, and
// the longer the data the more rows.
func TestBaselineCut(t *testing.T) {
	for _, name := range []string{"go", "rst.jpg"} {
		t.Run(name, func(t *testing.T) {
			b := fixtureOr(t, name)
			full := decodeY(t, b)
			h := full.Bounds().Dy()
			q := firstScan(t, b)
			prev := 0
			for _, frac := range []float64{0.2, 0.4, 0.6, 0.8, 0.95} {
				cut := q + int(float64(len(b)-q)*frac)
				part, err := Visible(b[:cut])
				if err != nil {
					t.Fatalf("cut at %.0f%%: %v", frac*100, err)
				}
				if part.Rows <= prev || part.Rows >= h || part.Rows%16 != 0 || part.Whole {
					t.Fatalf("cut at %.0f%%: %d rows of %d (previous cut %d), whole %v", frac*100, part.Rows, h, prev, part.Whole)
				}
				prev = part.Rows
				checkRows(t, part, full)
				if _, err := jpeg.Decode(bytes.NewReader(b[:cut])); err == nil {
					t.Fatal("image/jpeg decodes the cut file: the test proves nothing")
				}
			}
			// Only the end marker missing: every row, whole.
			part, err := Visible(b[:len(b)-2])
			if err != nil || part.Rows != h || !part.Whole {
				t.Fatalf("without EOI: %+v, %v", part, err)
			}
			checkRows(t, part, full)
			if _, err := Visible(b); !errors.Is(err, ErrComplete) {
				t.Fatalf("complete file: %v, want ErrComplete", err)
			}
		})
	}
}

func fixtureOr(t *testing.T, name string) []byte {
	if name == "go" {
		return encode(t, pattern(203, 157))
	}
	return fixture(t, name)
}

// TestProgressiveCut: cut in the first (DC) scan, the rows it reached;
// cut in a later scan, every row from the complete scans before it.
func TestProgressiveCut(t *testing.T) {
	b := fixture(t, "prog.jpg")
	full := decodeY(t, b)
	w, h := full.Bounds().Dx(), full.Bounds().Dy()
	q := firstScan(t, b)
	end := scanEnd(b, q)
	if end < 0 {
		t.Fatal("first scan has no end")
	}
	dcOnly := decodeY(t, withEOI(b[:end])) // the picture from the first scan alone
	part, err := Visible(b[:q+(end-q)/2])
	if err != nil {
		t.Fatal(err)
	}
	if part.Rows == 0 || part.Rows >= h || part.Rows%16 != 0 || part.Whole {
		t.Fatalf("cut in the DC scan: %d rows of %d, whole %v", part.Rows, h, part.Whole)
	}
	checkRows(t, part, dcOnly)

	for _, cut := range []int{end + (len(b)-end)/3, len(b) - 100} {
		part, err := Visible(b[:cut])
		if err != nil {
			t.Fatal(err)
		}
		if part.Rows != h || part.Width != w || part.Whole {
			t.Fatalf("cut at %d of %d: %+v", cut, len(b), part)
		}
		decodeY(t, part.JPEG)
		if _, err := jpeg.Decode(bytes.NewReader(b[:cut])); err == nil {
			t.Fatal("image/jpeg decodes the cut file: the test proves nothing")
		}
	}
}

// TestRefused: what the walk cannot read is an error, not a guess.
func TestRefused(t *testing.T) {
	b := encode(t, pattern(64, 64))
	q := firstScan(t, b)
	arith := bytes.Clone(b)
	arith[bytes.Index(arith, []byte{0xff, 0xc0})+1] = 0xc9
	for name, in := range map[string][]byte{
		"empty":      nil,
		"not jpeg":   []byte("GIF89a........"),
		"no scan":    b[:q-20],
		"a few bits": b[:q+3],
		"arithmetic": arith[:len(arith)/2],
	} {
		if part, err := Visible(in); err == nil {
			t.Errorf("%s: %d rows, want an error", name, part.Rows)
		}
	}
}

func FuzzVisible(f *testing.F) {
	b := encode(f, pattern(48, 40))
	f.Add(b[:len(b)*2/3])
	for _, name := range []string{"prog.jpg", "rst.jpg"} {
		p := fixture(f, name)
		f.Add(p[:len(p)/2])
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		part, err := Visible(in)
		if err != nil {
			return
		}
		if part.Rows < 1 || part.Rows > part.Height {
			t.Fatalf("%d rows of %d", part.Rows, part.Height)
		}
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(part.JPEG))
		if err == nil && (cfg.Width != part.Width || cfg.Height != part.Rows) {
			t.Fatalf("part header says %dx%d, want %dx%d", cfg.Width, cfg.Height, part.Width, part.Rows)
		}
	})
}
