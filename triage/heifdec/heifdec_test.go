package heifdec_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/heif"
	"github.com/winnow-forensics/winnow/triage/heif/heiftest"
	"github.com/winnow-forensics/winnow/triage/heifdec"
	"github.com/winnow-forensics/winnow/triage/sandbox"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

func TestMain(m *testing.M) {
	sandbox.Main(map[string]sandbox.Handler{heifdec.HandlerName: heifdec.Handler})
	os.Exit(m.Run())
}

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "heif", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func newDecoder(t testing.TB) *heifdec.Decoder {
	t.Helper()
	pool, err := sandbox.NewPool(sandbox.PoolOptions{Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pool.Close() })
	return heifdec.New(pool)
}

// meanDiff is the mean absolute difference per RGB channel of two images
// of one size, or -1 when the sizes differ.
func meanDiff(a, b image.Image) float64 {
	if a.Bounds().Size() != b.Bounds().Size() {
		return -1
	}
	var sum, n float64
	ab, bb := a.Bounds(), b.Bounds()
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			r1, g1, b1, _ := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, _ := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			for _, d := range []int{int(r1>>8) - int(r2>>8), int(g1>>8) - int(g2>>8), int(b1>>8) - int(b2>>8)} {
				sum += float64(max(d, -d))
				n++
			}
		}
	}
	return sum / n
}

// transformed returns src rotated anticlockwise by rot degrees, then
// mirrored (1: top to bottom, 2: left to right), as irot then imir.
func transformed(src image.Image, rot, mirror int) *image.NRGBA {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	ow, oh := w, h
	if rot == 90 || rot == 270 {
		ow, oh = h, w
	}
	dst := image.NewNRGBA(image.Rect(0, 0, ow, oh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch rot {
			case 0:
				dx, dy = x, y
			case 90:
				dx, dy = y, w-1-x
			case 180:
				dx, dy = w-1-x, h-1-y
			case 270:
				dx, dy = h-1-y, x
			}
			switch mirror {
			case 1:
				dy = oh - 1 - dy
			case 2:
				dx = ow - 1 - dx
			}
			dst.Set(dx, dy, src.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return dst
}

// source is the generated photo the fixtures were encoded from
// (../heif/testdata/make.sh: genphotos' first 320x240 photo).
func source(t *testing.T) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(triagetest.PhotoJPEG(320, 240, 1, 92)))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestDecodeFixtures(t *testing.T) {
	if !heifdec.Available {
		t.Skip("built without libheif (the pure-Go build): TestNotBuilt covers it")
	}
	d := newDecoder(t)
	src := source(t)
	ctx := context.Background()
	tests := []struct {
		file   string
		rot    int
		mirror int
	}{
		{"photo.heic", 0, 0},
		{"oriented-exif.heic", 0, 0}, // EXIF Orientation 6 is not applied
		{"alpha.heic", 0, 0},
		{"deep10.heic", 0, 0},
		{"photo.avif", 0, 0},
		{"oriented.avif", 90, 2},
		{"grid.avif", 0, 0},
		{"alpha.avif", 0, 0},
		{"deep10.avif", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			img, info, err := d.Decode(ctx, fixture(t, tt.file), heif.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			want := transformed(src, tt.rot, tt.mirror)
			diff := meanDiff(img, want)
			if diff < 0 || diff > 6 {
				t.Fatalf("decoded %v (declared %dx%d), mean difference from the source %.2f; want the source's size, < 6",
					img.Bounds().Size(), info.Width, info.Height, diff)
			}
			t.Logf("%s: %v, mean difference %.2f", tt.file, img.Bounds().Size(), diff)
		})
	}
}

// TestDecodeWritten: a HEIC grid is the tile repeated; a rotated and
// mirrored HEIC is the tile transformed.
func TestDecodeWritten(t *testing.T) {
	if !heifdec.Available {
		t.Skip("built without libheif")
	}
	d := newDecoder(t)
	ctx := context.Background()
	tile, _, err := d.Decode(ctx, heiftest.HEIC(heiftest.Options{}), heif.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	grid, _, err := d.Decode(ctx, heiftest.HEIC(heiftest.Options{Rows: 2, Columns: 3, Width: 700, Height: 500, Brand: "mif1"}), heif.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if got := grid.Bounds().Size(); got != image.Pt(700, 500) {
		t.Fatalf("grid decoded to %v, want 700x500", got)
	}
	for _, at := range []image.Point{{0, 0}, {256, 0}, {512, 256}} {
		part := grid.SubImage(image.Rectangle{Min: at, Max: at.Add(image.Pt(256, 256))}.Intersect(grid.Bounds()))
		crop := tile.SubImage(image.Rectangle{Max: part.Bounds().Size()})
		if diff := meanDiff(part, crop); diff != 0 {
			t.Errorf("grid tile at %v differs from the tile by %.2f", at, diff)
		}
	}
	for _, o := range []struct{ rot, mirror int }{{90, 0}, {180, 1}, {270, 2}, {0, 1}} {
		img, info, err := d.Decode(ctx, heiftest.HEIC(heiftest.Options{Rotation: o.rot, Mirror: o.mirror}), heif.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := meanDiff(img, transformed(tile, o.rot, o.mirror)); diff != 0 {
			t.Errorf("irot %d, imir %d (parsed %d, %d): differs from the transformed tile by %.2f", o.rot, o.mirror, info.Rotation, info.Mirror, diff)
		}
	}
}

// TestHostile: bombs are refused before the decoder runs; damaged files
// cost their own decode and nothing else.
func TestHostile(t *testing.T) {
	d := newDecoder(t)
	ctx := context.Background()
	bomb := heiftest.HEIC(heiftest.Options{Rows: 40, Columns: 40, TileSide: 512, ShareExtent: true})
	t0 := time.Now()
	_, _, err := d.Decode(ctx, bomb, heif.Limits{})
	if !errors.Is(err, heif.ErrTooLarge) {
		t.Fatalf("bomb: %v, want heif.ErrTooLarge", err)
	}
	t.Logf("bomb (%d bytes) refused in %v: %v", len(bomb), time.Since(t0), err)
	if !heifdec.Available {
		return
	}
	good := fixture(t, "photo.heic")
	// Tiles declared larger than their coded data: within the pixel
	// budget, so libheif decodes and must cope.
	lying := heiftest.HEIC(heiftest.Options{Rows: 2, Columns: 2, TileSide: 1024, ShareExtent: true})
	for i, b := range [][]byte{lying, corrupt(good, 0.5), corrupt(good, 0.8), good[:len(good)-2000]} {
		_, _, err := d.Decode(ctx, b, heif.Limits{})
		t.Logf("damaged file %d: %v", i, err)
		if _, _, err := d.Decode(ctx, good, heif.Limits{}); err != nil {
			t.Fatalf("the decode after damaged file %d: %v", i, err)
		}
	}
}

// corrupt returns b with bytes from fraction f of the way in overwritten.
func corrupt(b []byte, f float64) []byte {
	c := bytes.Clone(b)
	at := int(float64(len(c)) * f)
	for i := at; i < at+64 && i < len(c); i++ {
		c[i] ^= 0x5a
	}
	return c
}

func TestNotBuilt(t *testing.T) {
	if heifdec.Available {
		t.Skip("built with libheif")
	}
	_, info, err := newDecoder(t).Decode(context.Background(), fixture(t, "photo.heic"), heif.Limits{})
	if !errors.Is(err, sandbox.ErrUnsupported) || info == nil || info.EXIF == nil {
		t.Fatalf("pure-Go build: info %v, err %v; want the box check's info and ErrUnsupported", info, err)
	}
}

// BenchmarkDecode compares a decode in this process with one in a sandbox
// child: the difference is what isolation costs an image. The file is
// $WINNOW_BENCH_HEIF (e.g. a 12 MP HEIC made with heif-enc from genphotos),
// else the small fixture.
func BenchmarkDecode(b *testing.B) {
	if !heifdec.Available {
		b.Skip("built without libheif")
	}
	file := fixture(b, "photo.heic")
	if name := os.Getenv("WINNOW_BENCH_HEIF"); name != "" {
		var err error
		if file, err = os.ReadFile(name); err != nil {
			b.Fatal(err)
		}
	}
	req := append(make([]byte, 8), file...)
	req[2] = 0xff // pixel limit: 2^40
	b.Run("in-process", func(b *testing.B) {
		t0 := cpuTime()
		for b.Loop() {
			if _, err := heifdec.Handler(req); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(cpuTime()-t0)/float64(b.N)/1e6, "cpu-ms/op")
	})
	b.Run("sandboxed", func(b *testing.B) {
		t0 := cpuTime()
		pool, err := sandbox.NewPool(sandbox.PoolOptions{})
		if err != nil {
			b.Fatal(err)
		}
		d := heifdec.New(pool)
		for b.Loop() {
			if _, _, err := d.Decode(context.Background(), file, heif.Limits{}); err != nil {
				b.Fatal(err)
			}
		}
		pool.Close() // the child exits and its CPU time is counted
		b.ReportMetric(float64(cpuTime()-t0)/float64(b.N)/1e6, "cpu-ms/op")
	})
}

// cpuTime is the CPU time of this process and its exited children.
func cpuTime() time.Duration {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	return time.Duration(self.Utime.Nano() + self.Stime.Nano() + children.Utime.Nano() + children.Stime.Nano())
}

// TestHasher: registered in a Hasher, HEIC and AVIF files get the
// fingerprint of an image, and every hostile file an error of its own.
func TestHasher(t *testing.T) {
	pool, err := sandbox.NewPool(sandbox.PoolOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	h := hashing.New(hashing.Options{Decoders: []hashing.Decoder{heifdec.NewStill(pool)}, ThumbSide: 64})
	ctx := context.Background()
	if !heifdec.Available {
		fp := h.HashBytes(ctx, fixture(t, "photo.heic"))
		if triage.ErrorCode(fp.Err) != triage.EUNSUPPORTED || fp.SHA256.IsZero() {
			t.Fatalf("pure-Go build: %+v, want digests and an unsupported error", fp.Err)
		}
		return
	}
	plain := hashing.New(hashing.Options{})
	for _, name := range []string{"photo.heic", "grid.avif", "oriented.avif", "deep10.heic"} {
		fp := h.HashBytes(ctx, fixture(t, name))
		if fp.Err != nil || !fp.Perceptual || fp.Thumb == nil || !strings.Contains(fp.Decoder, "libheif") {
			t.Fatalf("%s: %+v", name, fp)
		}
		// The same pixels as a PNG hash the same.
		img, _, err := newDecoder(t).Decode(ctx, fixture(t, name), heif.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		want := plain.HashBytes(ctx, buf.Bytes())
		if fp.PDQ != want.PDQ || fp.PHash != want.PHash || fp.Width != want.Width || fp.Height != want.Height {
			t.Errorf("%s: PDQ %v %dx%d, the PNG of its pixels %v %dx%d", name, fp.PDQ, fp.Width, fp.Height, want.PDQ, want.Width, want.Height)
		}
	}
	bomb := heiftest.HEIC(heiftest.Options{Rows: 40, Columns: 40, TileSide: 512, ShareExtent: true})
	if fp := h.HashBytes(ctx, bomb); triage.ErrorCode(fp.Err) != triage.ETOOLARGE || fp.SHA256.IsZero() {
		t.Fatalf("bomb: %v, want its digests and a too_large error", fp.Err)
	}
	junk := append([]byte{}, fixture(t, "photo.heic")[:600]...)
	if fp := h.HashBytes(ctx, junk); triage.ErrorCode(fp.Err) != triage.EINVALID {
		t.Fatalf("truncated: %v, want invalid", fp.Err)
	}
}
