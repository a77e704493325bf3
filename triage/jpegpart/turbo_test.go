//go:build turbojpeg && cgo

package jpegpart

import (
	"bytes"
	"testing"

	"github.com/winnow-forensics/winnow/triage/jpegturbo"
)

// TestTurboPadding measures what libjpeg-turbo fills in below the end of a
// cut file's data (the package documentation states it): mid-gray
// (128, 128, 128) for every MCU row after the one where the data ends, in
// a baseline file and in a progressive one cut in its first (DC) scan; and
// that the rows Visible keeps are the rows libjpeg-turbo decoded from the
// data, luma sample for sample (bar, in a progressive file with DC only,
// the 32 rows above the boundary that libjpeg's block smoothing blends
// with the padding below it).
func TestTurboPadding(t *testing.T) {
	base := encode(t, pattern(203, 157))
	prog := fixture(t, "prog.jpg")
	for _, c := range []struct {
		name   string
		b      []byte
		cut    int
		smooth int // rows libjpeg-turbo's block smoothing blends across the boundary (measured)
	}{
		{"baseline", base, firstScan(t, base) + (len(base)-firstScan(t, base))/2, 0},
		{"restart", fixture(t, "rst.jpg"), len(fixture(t, "rst.jpg")) / 2, 0},
		{"progressive DC scan", prog, firstScan(t, prog) + (scanEnd(prog, firstScan(t, prog))-firstScan(t, prog))/2, 32},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := c.b[:c.cut]
			part, err := Visible(in)
			if err != nil {
				t.Fatal(err)
			}
			rgb, err := jpegturbo.Decode(in, jpegturbo.Options{Format: jpegturbo.RGB}, nil)
			if err != nil || rgb.Warning == "" {
				t.Fatalf("libjpeg-turbo: %v, warning %q: want a padded picture and a warning", err, rgb.Warning)
			}
			// Luma is mid-gray from the MCU row after the one where the
			// data ends; RGB one row later (the fancy upsampling of
			// chroma blends the last decoded chroma row into it). A
			// progressive file with DC only is smoothed across blocks
			// (libjpeg's block smoothing): 32 rows more.
			full, err := jpegturbo.Decode(in, jpegturbo.Options{Format: jpegturbo.Gray}, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, img := range []struct {
				ras  jpegturbo.Image
				from int
			}{{full, part.Rows + 16 + c.smooth}, {rgb, part.Rows + 17 + c.smooth}} {
				r := img.ras
				gray128 := bytes.Repeat([]byte{128}, r.Stride)
				for y := img.from; y < r.Height; y++ {
					if row := r.Pix[y*r.Stride:][:r.Stride]; !bytes.Equal(row, gray128) {
						t.Fatalf("%v row %d (data ends in rows %d-%d): not mid-gray: %v", r.Format, y, part.Rows, part.Rows+15, row[:12])
					}
				}
			}
			if part.Rows+17+c.smooth >= rgb.Height {
				t.Fatalf("cut too late to see the padding: %d rows of %d", part.Rows, rgb.Height)
			}
			// The kept rows: the same luma as libjpeg-turbo's decode of
			// the cut file.
			got, err := jpegturbo.Decode(part.JPEG, jpegturbo.Options{Format: jpegturbo.Gray}, nil)
			if err != nil || got.Warning != "" || got.Height != part.Rows {
				t.Fatalf("part: %v, warning %q, %d rows, want %d", err, got.Warning, got.Height, part.Rows)
			}
			n := (part.Rows - c.smooth) * got.Stride
			if !bytes.Equal(got.Pix[:n], full.Pix[:n]) {
				t.Fatalf("the %d rows kept differ from libjpeg-turbo's decode of the cut file", part.Rows)
			}
		})
	}
}
