package heif_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/triage/heif"
	"github.com/winnow-forensics/winnow/triage/heif/heiftest"
)

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file               string
		brand, typ, codec  string
		w, h, rot          int
		mirror             heif.Mirror
		rows, cols         int
		alpha, exif        bool
		depth              int
		pixels             int64
		displayW, displayH int
	}{
		{"photo.heic", "heic", "hvc1", "hvc1", 320, 240, 0, heif.MirrorNone, 1, 1, false, true, 8, 76800, 320, 240},
		{"oriented-exif.heic", "heic", "hvc1", "hvc1", 320, 240, 0, heif.MirrorNone, 1, 1, false, true, 8, 76800, 320, 240},
		{"alpha.heic", "heic", "hvc1", "hvc1", 320, 240, 0, heif.MirrorNone, 1, 1, true, false, 8, 2 * 76800, 320, 240},
		{"deep10.heic", "heic", "hvc1", "hvc1", 320, 240, 0, heif.MirrorNone, 1, 1, false, false, 10, 76800, 320, 240},
		{"photo.avif", "avif", "av01", "av01", 320, 240, 0, heif.MirrorNone, 1, 1, false, true, 8, 76800, 320, 240},
		{"oriented.avif", "avif", "av01", "av01", 320, 240, 90, heif.MirrorLeftRight, 1, 1, false, true, 8, 76800, 240, 320},
		{"grid.avif", "avif", "grid", "av01", 320, 240, 0, heif.MirrorNone, 2, 2, false, true, 8, 2 * 76800, 320, 240},
		{"alpha.avif", "avif", "av01", "av01", 320, 240, 0, heif.MirrorNone, 1, 1, true, false, 8, 2 * 76800, 320, 240},
		{"deep10.avif", "avif", "av01", "av01", 320, 240, 0, heif.MirrorNone, 1, 1, false, false, 10, 76800, 320, 240},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			im, err := heif.Parse(mustRead(t, tt.file), heif.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			dw, dh := im.DisplaySize()
			got := []any{im.Brand, im.Type, im.Codec, im.Width, im.Height, im.Rotation, im.Mirror, im.Rows, im.Columns, im.Alpha, im.EXIF != nil, im.Depth, im.Pixels, dw, dh}
			want := []any{tt.brand, tt.typ, tt.codec, tt.w, tt.h, tt.rot, tt.mirror, tt.rows, tt.cols, tt.alpha, tt.exif, tt.depth, tt.pixels, tt.displayW, tt.displayH}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("field %d: got %v, want %v (all: %v)", i, got[i], want[i], got)
				}
			}
		})
	}
}

func TestParseEXIF(t *testing.T) {
	im, err := heif.Parse(mustRead(t, "photo.heic"), heif.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if string(im.EXIF[:4]) != "MM\x00*" && string(im.EXIF[:4]) != "II*\x00" {
		t.Fatalf("EXIF starts %q, want a TIFF header", im.EXIF[:4])
	}
	tiff := []byte("II*\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	im, err = heif.Parse(heiftest.HEIC(heiftest.Options{EXIF: tiff}), heif.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if string(im.EXIF) != string(tiff) {
		t.Fatalf("EXIF = %q, want %q", im.EXIF, tiff)
	}
}

func TestParseWritten(t *testing.T) {
	tests := []struct {
		name       string
		opt        heiftest.Options
		typ        string
		w, h, rows int
		rot        int
		mirror     heif.Mirror
		pixels     int64
	}{
		{"single", heiftest.Options{}, "hvc1", 256, 256, 1, 0, heif.MirrorNone, 65536},
		{"grid", heiftest.Options{Rows: 2, Columns: 3, Width: 700, Height: 500}, "grid", 700, 500, 2, 0, heif.MirrorNone, 6*65536 + 700*500},
		{"rotated", heiftest.Options{Rotation: 270, Mirror: 1}, "hvc1", 256, 256, 1, 270, heif.MirrorTopBottom, 65536},
		{"mif1", heiftest.Options{Brand: "mif1", Rows: 1, Columns: 2, Rotation: 90}, "grid", 512, 256, 1, 90, heif.MirrorNone, 2 * 2 * 65536},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			im, err := heif.Parse(heiftest.HEIC(tt.opt), heif.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			got := []any{im.Type, im.Codec, im.Width, im.Height, im.Rows, im.Rotation, im.Mirror, im.Pixels}
			want := []any{tt.typ, "hvc1", tt.w, tt.h, tt.rows, tt.rot, tt.mirror, tt.pixels}
			for i := range got {
				if got[i] != want[i] {
					t.Errorf("got %v, want %v", got, want)
					break
				}
			}
		})
	}
}

// TestBomb: the crafted HEIC, a 20480x20480 grid of 1,600 tiles
// of 512x512 that all share one coded extent, is refused before any
// decoder runs, and quickly.
func TestBomb(t *testing.T) {
	b := heiftest.HEIC(heiftest.Options{Rows: 40, Columns: 40, TileSide: 512, ShareExtent: true})
	t.Logf("bomb is %d bytes", len(b))
	t0 := time.Now()
	_, err := heif.Parse(b, heif.Limits{})
	if !errors.Is(err, heif.ErrTooLarge) {
		t.Fatalf("Parse = %v, want ErrTooLarge", err)
	}
	t.Logf("refused in %v: %v", time.Since(t0), err)

	// Under the pixel limit, tiles sharing an extent are counted once each.
	b = heiftest.HEIC(heiftest.Options{Rows: 30, Columns: 30, ShareExtent: true})
	_, err = heif.Parse(b, heif.Limits{MaxPixels: 200_000_000})
	if err != nil {
		t.Fatalf("a 7680x7680 grid of shared tiles under a 200 MP limit: %v", err)
	}
	_, err = heif.Parse(b, heif.Limits{})
	if !errors.Is(err, heif.ErrTooLarge) {
		t.Fatalf("the same grid (59 MP canvas + 59 MP of tiles) under 64 MP: %v, want ErrTooLarge", err)
	}
	// Sides whose product would overflow a pixel count.
	_, err = heif.Parse(heiftest.HEIC(heiftest.Options{TileSide: 1<<32 - 1}), heif.Limits{})
	if !errors.Is(err, heif.ErrTooLarge) {
		t.Fatalf("a 4294967295x4294967295 image: %v, want ErrTooLarge", err)
	}
	_, err = heif.Parse(heiftest.HEIC(heiftest.Options{Rows: 2, Columns: 2}), heif.Limits{MaxTiles: 3})
	if !errors.Is(err, heif.ErrTooLarge) {
		t.Fatalf("4 tiles under MaxTiles 3: %v, want ErrTooLarge", err)
	}
}

func BenchmarkParseBomb(b *testing.B) {
	f := heiftest.HEIC(heiftest.Options{Rows: 40, Columns: 40, TileSide: 512, ShareExtent: true})
	b.SetBytes(int64(len(f)))
	for b.Loop() {
		heif.Parse(f, heif.Limits{})
	}
}

func TestParseMalformed(t *testing.T) {
	good := heiftest.HEIC(heiftest.Options{Rows: 2, Columns: 2})
	tests := []struct {
		name string
		b    []byte
		want error
	}{
		{"empty", nil, heif.ErrInvalid},
		{"no meta", good[:24], heif.ErrInvalid},
		{"truncated", good[:len(good)/2], heif.ErrInvalid},
		{"tile data cut", good[:len(good)-100], heif.ErrInvalid},
		{"grid too small for its tiles", heiftest.HEIC(heiftest.Options{Rows: 2, Columns: 2, Width: 600, Height: 512}), heif.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := heif.Parse(tt.b, heif.Limits{})
			if !errors.Is(err, tt.want) {
				t.Fatalf("Parse = %v, want %v", err, tt.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"photo.heic", "alpha.heic", "grid.avif", "oriented.avif"} {
		f.Add(mustRead(f, name))
	}
	f.Add(heiftest.HEIC(heiftest.Options{Rows: 2, Columns: 2, Rotation: 90, Mirror: 2, EXIF: []byte("MM\x00*\x00\x00\x00\x08\x00\x00")}))
	f.Fuzz(func(t *testing.T, b []byte) {
		im, err := heif.Parse(b, heif.Limits{})
		if err != nil {
			var he *heif.Error
			if !errors.As(err, &he) {
				t.Fatalf("error %v is not a *heif.Error", err)
			}
			return
		}
		if im.Pixels > heif.DefaultLimits.MaxPixels || im.Pixels <= 0 || im.Width <= 0 || im.Height <= 0 {
			t.Fatalf("accepted %dx%d, %d pixels", im.Width, im.Height, im.Pixels)
		}
	})
}
