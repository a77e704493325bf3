//go:build turbojpeg && cgo

package jpegturbo

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

const wantAvailable = true

const imagesDir = "../testdata/pdq-reference/images"

func testJPEGs(t *testing.T) []string {
	t.Helper()
	var files []string
	for _, pat := range []string{"*.jpg", "*.jpeg"} {
		m, err := filepath.Glob(filepath.Join(imagesDir, pat))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no JPEGs in %s", imagesDir)
	}
	return files
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// diff returns the max and mean absolute per-sample difference.
func diff(a, b []byte) (maxd int, mean float64) {
	var sum int64
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		maxd = max(maxd, d)
		sum += int64(d)
	}
	return maxd, float64(sum) / float64(len(a))
}

// TestMatchesImageJPEG compares full-size decodes with image/jpeg.
//
// The IDCTs agree to within 1 (see the Gray rows). The accurate RGB mode
// additionally differs from image/jpeg in chroma upsampling: libjpeg-turbo's
// default "fancy" (triangle-filter) upsampling of 4:2:0/4:2:2 chroma versus
// image/jpeg's nearest-neighbour chroma. Against plain image/jpeg that gives
// max differences of 20-60 at sharp colour edges (and a mean of ~14 on
// pte-rgb.jpeg, a pattern with per-pixel colour detail), so accurate RGB is
// asserted against image/jpeg's own YCbCr planes upsampled with
// libjpeg-turbo's triangle filter (fancyRGB), and the plain difference is only
// logged. Fast mode (TJFLAG_FASTUPSAMPLE replicates chroma like image/jpeg)
// is asserted against plain image/jpeg.
func TestMatchesImageJPEG(t *testing.T) {
	for _, name := range testJPEGs(t) {
		t.Run(filepath.Base(name), func(t *testing.T) {
			data := readFile(t, name)
			ref, err := jpeg.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("image/jpeg: %v", err)
			}
			hdr, err := DecodeHeader(data)
			if err != nil {
				t.Fatalf("DecodeHeader: %v", err)
			}
			rw, rh := ref.Bounds().Dx(), ref.Bounds().Dy()
			_, _, plainRGB := toRGB(ref)
			_, _, plainGray := toGray(ref)
			fancy, haveFancy := fancyRGB(ref)
			for _, fast := range []bool{false, true} {
				for _, f := range []Format{RGB, Gray} {
					img, err := Decode(data, Options{Format: f, Fast: fast}, nil)
					if err != nil {
						t.Fatalf("Decode(%v, fast=%v): %v", f, fast, err)
					}
					if img.Warning != "" {
						t.Errorf("unexpected warning %q", img.Warning)
					}
					if img.Width != rw || img.Height != rh || img.Stride != rw*f.BytesPerPixel() ||
						len(img.Pix) != img.Stride*img.Height || img.Format != f {
						t.Fatalf("got %dx%d stride %d len %d format %v, want %dx%d %v",
							img.Width, img.Height, img.Stride, len(img.Pix), img.Format, rw, rh, f)
					}
					want, against := plainGray, "image/jpeg"
					if f == RGB {
						want = plainRGB
					}
					maxd, mean := diff(img.Pix, want)
					mode := "accurate"
					if fast {
						mode = "fast"
					}
					line := fmt.Sprintf("%-30s %-4v %-8s (%-5s %-5s %4dx%-4d) vs image/jpeg: max|d|=%3d mean|d|=%6.3f",
						filepath.Base(name), f, mode, hdr.Colorspace, hdr.Subsampling, rw, rh, maxd, mean)
					if f == RGB && !fast && haveFancy {
						against = "image/jpeg+fancy upsampling"
						maxd, mean = diff(img.Pix, fancy)
						line += fmt.Sprintf("; vs image/jpeg+fancy: max|d|=%3d mean|d|=%6.3f", maxd, mean)
					}
					t.Log(line)
					if mean >= 1.5 || maxd > 16 {
						t.Errorf("%v %s: differs from %s: max %d mean %.3f", f, mode, against, maxd, mean)
					}
				}
			}
		})
	}
}

// fancyRGB converts an image/jpeg *image.YCbCr to RGB after upsampling the
// chroma like libjpeg-turbo's h2v1/h2v2 "fancy" upsamplers (jdsample.c:
// 3/4 nearer + 1/4 further sample per dimension, edge samples replicated,
// alternating rounding bias). Non-YCbCr images are converted as by toRGB.
// ok is false for subsampling ratios the reference does not implement.
func fancyRGB(m image.Image) (pix []byte, ok bool) {
	yc, isYCbCr := m.(*image.YCbCr)
	if !isYCbCr {
		_, _, pix = toRGB(m)
		return pix, true
	}
	b := yc.Rect
	w, h := b.Dx(), b.Dy()
	var hs, vs int // horizontal, vertical factor
	switch yc.SubsampleRatio {
	case image.YCbCrSubsampleRatio444:
		hs, vs = 1, 1
	case image.YCbCrSubsampleRatio422:
		hs, vs = 2, 1
	case image.YCbCrSubsampleRatio420:
		hs, vs = 2, 2
	default:
		return nil, false
	}
	cw, ch := (w+hs-1)/hs, (h+vs-1)/vs
	if hs == 2 && cw <= 2 { // libjpeg-turbo falls back to replication
		return nil, false
	}
	up := func(plane []byte) []byte {
		at := func(x, y int) int { // clamped: edge rows are replicated
			y = min(max(y, 0), ch-1)
			return int(plane[y*yc.CStride+x])
		}
		out := make([]byte, w*h)
		for oy := range h {
			cy, near := oy/vs, oy/vs
			if vs == 2 {
				if oy%2 == 0 {
					near = cy - 1
				} else {
					near = cy + 1
				}
			}
			colsum := func(x int) int {
				if vs == 1 {
					return at(x, cy)
				}
				return 3*at(x, cy) + at(x, near)
			}
			for ox := range w {
				var v int
				switch {
				case hs == 1 && vs == 1:
					v = colsum(ox)
				case hs == 1: // 4:4:0 not implemented
				case vs == 1: // h2v1: (3*this + neighbour + bias) >> 2
					cx := ox / 2
					this := colsum(cx)
					switch {
					case ox%2 == 0 && cx == 0, ox%2 == 1 && cx == cw-1:
						v = this
					case ox%2 == 0:
						v = (3*this + colsum(cx-1) + 1) >> 2
					default:
						v = (3*this + colsum(cx+1) + 2) >> 2
					}
				default: // h2v2
					cx := ox / 2
					this := colsum(cx)
					switch {
					case ox%2 == 0 && cx == 0:
						v = (4*this + 8) >> 4
					case ox%2 == 1 && cx == cw-1:
						v = (4*this + 7) >> 4
					case ox%2 == 0:
						v = (3*this + colsum(cx-1) + 8) >> 4
					default:
						v = (3*this + colsum(cx+1) + 7) >> 4
					}
				}
				out[oy*w+ox] = byte(v)
			}
		}
		return out
	}
	cb, cr := up(yc.Cb), up(yc.Cr)
	pix = make([]byte, 0, w*h*3)
	for y := range h {
		for x := range w {
			r, g, bb := color.YCbCrToRGB(yc.Y[yc.YOffset(b.Min.X+x, b.Min.Y+y)], cb[y*w+x], cr[y*w+x])
			pix = append(pix, r, g, bb)
		}
	}
	return pix, true
}

func TestHeader(t *testing.T) {
	for _, tc := range []struct {
		name       string
		data       []byte
		w, h       int
		ss, cs     string
		fromStdlib bool
	}{
		{"go-color", encodeJPEG(t, smallRGB(33, 17, 1), 90), 33, 17, "4:2:0", "YCbCr", true},
		{"go-gray", encodeJPEG(t, smallGray(20, 9), 90), 20, 9, "gray", "gray", true},
		{"cmyk", readFile(t, filepath.Join(imagesDir, "mode-CMYK.jpg")), 1600, 1004, "", "", false},
	} {
		hdr, err := DecodeHeader(tc.data)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		t.Logf("%s: %+v", tc.name, hdr)
		if hdr.Width != tc.w || hdr.Height != tc.h {
			t.Errorf("%s: %dx%d, want %dx%d", tc.name, hdr.Width, hdr.Height, tc.w, tc.h)
		}
		if tc.fromStdlib && (hdr.Subsampling != tc.ss || hdr.Colorspace != tc.cs) {
			t.Errorf("%s: %s/%s, want %s/%s", tc.name, hdr.Subsampling, hdr.Colorspace, tc.ss, tc.cs)
		}
		if tc.name == "cmyk" && hdr.Colorspace != "CMYK" && hdr.Colorspace != "YCCK" {
			t.Errorf("cmyk: colorspace %s", hdr.Colorspace)
		}
	}
}

// factors are the DCT scaling factors <= 1 libjpeg-turbo supports.
var factors = [][2]int{{1, 8}, {1, 4}, {3, 8}, {1, 2}, {5, 8}, {3, 4}, {7, 8}, {1, 1}}

func ceilScale(d, num, den int) int { return (d*num + den - 1) / den }

// expectedDims implements the MinSide rule independently of the package.
func expectedDims(w, h, minSide int) (int, int) {
	if minSide > 0 {
		for _, f := range factors {
			if ceilScale(min(w, h), f[0], f[1]) >= minSide {
				return ceilScale(w, f[0], f[1]), ceilScale(h, f[0], f[1])
			}
		}
	}
	return w, h
}

func TestScaledDims(t *testing.T) {
	if got := fmt.Sprint(downScales()); got != "[{1 8} {1 4} {3 8} {1 2} {5 8} {3 4} {7 8} {1 1}]" {
		t.Errorf("library scaling factors <= 1: %s", got)
	}
	inputs := map[string][]byte{
		"bridge-1-original.jpg (1600x1004)": readFile(t, filepath.Join(imagesDir, "bridge-1-original.jpg")),
		"misc-wee.jpg (34x42)":              readFile(t, filepath.Join(imagesDir, "misc-wee.jpg")),
		"go 333x101":                        encodeJPEG(t, smallRGB(333, 101, 2), 85),
		"go gray 97x1":                      encodeJPEG(t, smallGray(97, 1), 85),
	}
	for name, data := range inputs {
		hdr, err := DecodeHeader(data)
		if err != nil {
			t.Fatal(err)
		}
		sides := []int{0, 1, 2, 5, 13, 32, 64, 100, 127, 128, 200, 256, 376, 377, 500, 1004, 1005, 5000}
		for _, f := range factors { // exact boundaries
			s := ceilScale(min(hdr.Width, hdr.Height), f[0], f[1])
			sides = append(sides, s, s+1)
		}
		for _, side := range sides {
			for _, f := range []Format{Gray, RGB} {
				img, err := Decode(data, Options{Format: f, MinSide: side}, nil)
				if err != nil {
					t.Fatalf("%s MinSide=%d: %v", name, side, err)
				}
				ww, wh := expectedDims(hdr.Width, hdr.Height, side)
				if img.Width != ww || img.Height != wh || len(img.Pix) != ww*wh*f.BytesPerPixel() {
					t.Errorf("%s MinSide=%d %v: got %dx%d (len %d), want %dx%d",
						name, side, f, img.Width, img.Height, len(img.Pix), ww, wh)
				}
				if side <= min(hdr.Width, hdr.Height) && min(img.Width, img.Height) < side {
					t.Errorf("%s MinSide=%d: min side %d too small", name, side, min(img.Width, img.Height))
				}
			}
		}
	}
}

// TestScaledContent checks that a DCT-scaled decode looks like a box-filtered
// full-size decode (i.e. scaling really is a downscale of the same picture).
func TestScaledContent(t *testing.T) {
	data := readFile(t, filepath.Join(imagesDir, "bridge-1-original.jpg"))
	full, err := Decode(data, Options{Format: RGB}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{2, 4, 8} {
		img, err := Decode(data, Options{Format: RGB, MinSide: 1004 / k}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if img.Width != 1600/k || img.Height != (1004+k-1)/k {
			t.Fatalf("1/%d: %dx%d", k, img.Width, img.Height)
		}
		// Box-downscale the full decode, whole blocks only.
		h := 1004 / k
		box := make([]byte, 0, img.Width*h*3)
		for y := range h {
			for x := range img.Width {
				for c := range 3 {
					sum := 0
					for dy := range k {
						for dx := range k {
							sum += int(full.Pix[(y*k+dy)*full.Stride+(x*k+dx)*3+c])
						}
					}
					box = append(box, byte((sum+k*k/2)/(k*k)))
				}
			}
		}
		maxd, mean := diff(img.Pix[:len(box)], box)
		t.Logf("1/%d vs box filter: max|d|=%d mean|d|=%.3f", k, maxd, mean)
		if mean > 3 {
			t.Errorf("1/%d: mean difference %.3f from box-filtered full decode", k, mean)
		}
	}
}

func TestGrayJPEGAsRGB(t *testing.T) {
	data := encodeJPEG(t, smallGray(50, 30), 90)
	g, err := Decode(data, Options{Format: Gray}, nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Decode(data, Options{Format: RGB}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range g.Pix {
		if c.Pix[3*i] != v || c.Pix[3*i+1] != v || c.Pix[3*i+2] != v {
			t.Fatalf("pixel %d: gray %d, rgb %v", i, v, c.Pix[3*i:3*i+3])
		}
	}
}

// TestCMYK checks the CMYK path at full and reduced size: the Gray output
// must be the color.GrayModel luminance of the RGB output (±1 for the 8-bit
// rounding of RGB), and the 4-byte-per-pixel scratch space lives in the
// returned buffer. Agreement with image/jpeg is in TestMatchesImageJPEG.
func TestCMYK(t *testing.T) {
	data := readFile(t, filepath.Join(imagesDir, "mode-CMYK.jpg"))
	for _, side := range []int{0, 126} {
		rgb, err := Decode(data, Options{Format: RGB, MinSide: side}, nil)
		if err != nil {
			t.Fatal(err)
		}
		gray, err := Decode(data, Options{Format: Gray, MinSide: side}, make([]byte, 0, 1))
		if err != nil {
			t.Fatal(err)
		}
		if rgb.Width != gray.Width || rgb.Height != gray.Height {
			t.Fatalf("dims differ: %dx%d vs %dx%d", rgb.Width, rgb.Height, gray.Width, gray.Height)
		}
		if n := gray.Width * gray.Height; len(gray.Pix) != n || cap(gray.Pix) < 4*n || len(rgb.Pix) != 3*n {
			t.Errorf("len/cap: gray %d/%d rgb %d", len(gray.Pix), cap(gray.Pix), len(rgb.Pix))
		}
		worst := 0
		for i, g := range gray.Pix {
			c := color.RGBA{rgb.Pix[3*i], rgb.Pix[3*i+1], rgb.Pix[3*i+2], 255}
			y := int(color.GrayModel.Convert(c).(color.Gray).Y)
			worst = max(worst, abs(y-int(g)))
		}
		t.Logf("MinSide %d: %dx%d, max |gray - lum(rgb)| = %d", side, rgb.Width, rgb.Height, worst)
		if worst > 1 {
			t.Errorf("MinSide %d: gray differs from luminance of RGB by %d", side, worst)
		}
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func TestDstReuse(t *testing.T) {
	data := encodeJPEG(t, smallRGB(40, 30, 3), 90)
	dst := make([]byte, 10, 40*30*3+7)
	img, err := Decode(data, Options{Format: RGB}, dst)
	if err != nil {
		t.Fatal(err)
	}
	if &img.Pix[0] != &dst[:1][0] || len(img.Pix) != 40*30*3 {
		t.Errorf("dst with enough capacity was not reused")
	}
	small := make([]byte, 40*30*3-1)
	img2, err := Decode(data, Options{Format: RGB}, small)
	if err != nil {
		t.Fatal(err)
	}
	if &img2.Pix[0] == &small[0] {
		t.Errorf("dst without enough capacity was used")
	}
	if !bytes.Equal(img.Pix, img2.Pix) {
		t.Errorf("reused and fresh buffers decode differently")
	}
}

func TestInvalidFormat(t *testing.T) {
	data := encodeJPEG(t, smallRGB(8, 8, 4), 90)
	if _, err := Decode(data, Options{Format: Format(7)}, nil); err == nil {
		t.Error("Format(7) accepted")
	}
}

// patchSOF returns a copy of data with the SOFn frame size replaced.
func patchSOF(t *testing.T, data []byte, w, h int) []byte {
	t.Helper()
	out := bytes.Clone(data)
	for i := 2; i+9 < len(out); {
		if out[i] != 0xff {
			t.Fatalf("bad marker at %d", i)
		}
		m := out[i+1]
		if m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc {
			out[i+5], out[i+6] = byte(h>>8), byte(h)
			out[i+7], out[i+8] = byte(w>>8), byte(w)
			return out
		}
		i += 2 + int(out[i+2])<<8 | int(out[i+3])
	}
	t.Fatal("no SOF")
	return nil
}

func TestMaxPixels(t *testing.T) {
	data := encodeJPEG(t, smallRGB(64, 48, 5), 90)
	if _, err := Decode(data, Options{MaxPixels: 64 * 48}, nil); err != nil {
		t.Errorf("MaxPixels = w*h: %v", err)
	}
	_, err := Decode(data, Options{MaxPixels: 64*48 - 1, MinSide: 8}, nil)
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("MaxPixels = w*h-1: err = %v, want ErrTooLarge", err)
	}

	// 65535x65535 is refused by libjpeg itself (JPEG_MAX_DIMENSION is
	// 65500); 65500x65500 passes libjpeg and is refused by MaxPixels. Both
	// must fail from the header, before the pixel buffer is allocated.
	for _, dim := range []int{65535, 65500} {
		huge := patchSOF(t, data, dim, dim)
		hdr, err := DecodeHeader(huge)
		t.Logf("DecodeHeader %dx%d: %+v %v", dim, dim, hdr, err)
		if dim == 65500 && (err != nil || hdr.Width != dim || hdr.Height != dim) {
			t.Fatalf("patched header: %+v %v", hdr, err)
		}
		for _, opt := range []Options{{}, {Format: RGB}, {MaxPixels: 1 << 20}, {MaxPixels: 1 << 31, MinSide: 100}} {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			_, err := Decode(huge, opt, nil)
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			t.Logf("%dx%d %+v: %v (allocated %d bytes)", dim, dim, opt, err, alloc)
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("%dx%d %+v: err = %v, want ErrTooLarge", dim, dim, opt, err)
			}
			if alloc > 1<<16 {
				t.Errorf("%dx%d %+v: allocated %d bytes before refusing", dim, dim, opt, alloc)
			}
		}
	}
}

func TestBadInput(t *testing.T) {
	photo := readFile(t, filepath.Join(imagesDir, "bridge-1-original.jpg"))
	small := encodeJPEG(t, smallRGB(64, 48, 6), 90)
	rng := rand.New(rand.NewPCG(7, 8))
	random := make([]byte, 4096)
	for i := range random {
		random[i] = byte(rng.Uint32())
	}
	randomAfterSOI := append([]byte{0xff, 0xd8}, random...)
	png := readFile(t, filepath.Join(imagesDir, "misc-c.png"))

	for _, tc := range []struct {
		name string
		data []byte
	}{
		{"nil", nil},
		{"zero bytes", []byte{}},
		{"one zero byte", []byte{0}},
		{"SOI only", []byte{0xff, 0xd8}},
		{"SOI EOI", []byte{0xff, 0xd8, 0xff, 0xd9}},
		{"random", random},
		{"random after SOI", randomAfterSOI},
		{"png", png},
		{"small truncated in headers", small[:200]},
		{"zero width", patchSOF(t, small, 0, 48)},
		{"no DQT", stripSegment(t, small, 0xdb)},
		// A warning (extraneous bytes) followed by a fatal error (second
		// SOF after the scan): TurboJPEG 2.1 reports TJERR_WARNING.
		{"warning then fatal", warningThenFatal(t, small)},
	} {
		for _, opt := range []Options{{Format: RGB}, {Format: Gray, MinSide: 10, Fast: true}} {
			img, err := Decode(tc.data, opt, nil)
			if err == nil {
				t.Errorf("%s: no error (%dx%d, warning %q)", tc.name, img.Width, img.Height, img.Warning)
				continue
			}
			if !strings.HasPrefix(err.Error(), "jpegturbo: decode: ") {
				t.Errorf("%s: error %q lacks prefix", tc.name, err)
			}
			t.Logf("%s: %v", tc.name, err)
		}
		if _, err := DecodeHeader(tc.data); err == nil && tc.name != "no DQT" && tc.name != "warning then fatal" {
			t.Errorf("%s: DecodeHeader: no error", tc.name)
		}
	}

	// A file truncated in the middle of the entropy-coded data still
	// decodes; the missing part is reported as a warning.
	img, err := Decode(photo[:len(photo)/2], Options{Format: RGB}, nil)
	if err != nil {
		t.Fatalf("truncated photo: %v", err)
	}
	t.Logf("truncated photo: %dx%d warning %q", img.Width, img.Height, img.Warning)
	if img.Width != 1600 || img.Height != 1004 || !strings.Contains(img.Warning, "Premature end") {
		t.Errorf("truncated photo: %dx%d warning %q", img.Width, img.Height, img.Warning)
	}
	// Extraneous bytes before a marker: a warning from the header parser
	// must not make the file undecodable.
	junk := append(append(bytes.Clone(small[:2]), 1, 2, 3), small[2:]...)
	img, err = Decode(junk, Options{Format: RGB}, nil)
	if err != nil || !strings.Contains(img.Warning, "extraneous bytes") {
		t.Errorf("extraneous bytes: err %v, warning %q", err, img.Warning)
	}
}

// warningThenFatal inserts junk bytes before the first marker after SOI
// (a libjpeg warning) and a duplicate SOF segment before EOI (fatal).
func warningThenFatal(t *testing.T, data []byte) []byte {
	t.Helper()
	var sof []byte
	for i := 2; i+4 < len(data); {
		n := 2 + int(data[i+2])<<8 | int(data[i+3])
		if data[i+1] == 0xc0 {
			sof = data[i : i+n]
			break
		}
		i += n
	}
	if sof == nil || !bytes.HasSuffix(data, []byte{0xff, 0xd9}) {
		t.Fatal("unexpected test JPEG layout")
	}
	out := append(bytes.Clone(data[:2]), 1, 2, 3)
	out = append(out, data[2:len(data)-2]...)
	out = append(out, sof...)
	return append(out, 0xff, 0xd9)
}

// progressiveGray hand-assembles a w x h grayscale progressive JPEG (SOF2)
// whose image is flat mid-gray: one DC-first scan in which every block's DC
// difference is coded with a 1-bit Huffman code, repeated scans times.
// libjpeg accepts the repeated scans (each repeats Ah=Al=0), which makes
// this a cheap way to get many scans.
func progressiveGray(w, h, scans int) []byte {
	seg := func(marker byte, payload ...byte) []byte {
		n := len(payload) + 2
		return append([]byte{0xff, marker, byte(n >> 8), byte(n)}, payload...)
	}
	out := []byte{0xff, 0xd8}
	out = append(out, seg(0xdb, append([]byte{0}, bytes.Repeat([]byte{1}, 64)...)...)...)
	out = append(out, seg(0xc2, 8, byte(h>>8), byte(h), byte(w>>8), byte(w), 1, 1, 0x11, 0)...)
	out = append(out, seg(0xc4, append([]byte{0x00, 1}, append(make([]byte, 15), 0)...)...)...)
	blocks := ((w + 7) / 8) * ((h + 7) / 8)
	data := make([]byte, (blocks+7)/8) // one 0 bit per block ...
	if blocks%8 != 0 {
		data[len(data)-1] = 0xff >> (blocks % 8) // ... padded with 1 bits
	}
	for range scans {
		out = append(out, seg(0xda, 1, 1, 0x00, 0, 0, 0x00)...)
		out = append(out, data...)
	}
	return append(out, 0xff, 0xd9)
}

// TestProgressive decodes hand-made progressive JPEGs, including one with
// more scans than TJFLAG_LIMITSCANS allows (500).
func TestProgressive(t *testing.T) {
	one := progressiveGray(40, 24, 1)
	ref, err := jpeg.Decode(bytes.NewReader(one))
	if err != nil {
		t.Fatalf("image/jpeg: %v", err)
	}
	_, _, want := toGray(ref)
	img, err := Decode(one, Options{Format: Gray}, nil)
	if err != nil || img.Warning != "" || !bytes.Equal(img.Pix, want) {
		t.Fatalf("1 scan: err %v warning %q, equal to image/jpeg: %v", err, img.Warning, bytes.Equal(img.Pix, want))
	}
	img, err = Decode(progressiveGray(40, 24, 500), Options{Format: RGB}, nil)
	t.Logf("500 scans: %dx%d warning %q err %v", img.Width, img.Height, img.Warning, err)
	if err != nil || img.Pix[0] != want[0] {
		t.Errorf("500 scans: err %v", err)
	}
	_, err = Decode(progressiveGray(40, 24, 501), Options{Format: RGB}, nil)
	t.Logf("501 scans: %v", err)
	if err == nil || !strings.Contains(err.Error(), "more than 500 scans") {
		t.Errorf("501 scans: err %v, want scan limit error", err)
	}
}

// stripSegment removes the first marker segment of type m before SOS.
func stripSegment(t *testing.T, data []byte, m byte) []byte {
	t.Helper()
	for i := 2; i+4 < len(data); {
		mk := data[i+1]
		n := 2 + int(data[i+2])<<8 | int(data[i+3])
		if mk == m {
			return append(bytes.Clone(data[:i]), data[i+n:]...)
		}
		if mk == 0xda {
			break
		}
		i += n
	}
	t.Fatalf("no segment %#x", m)
	return nil
}

// TestNoStateBetweenCalls: a stream without quantization tables must fail
// even right after a good decode (a reused libjpeg handle would silently
// use the previous file's tables).
func TestNoStateBetweenCalls(t *testing.T) {
	good := encodeJPEG(t, smallRGB(64, 48, 9), 90)
	bad := stripSegment(t, good, 0xdb)
	for range 3 {
		if _, err := Decode(good, Options{Format: RGB}, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := Decode(bad, Options{Format: RGB}, nil); err == nil {
			t.Fatal("stream without DQT decoded after a good decode")
		}
	}
}

func TestConcurrent(t *testing.T) {
	data := encodeJPEG(t, smallRGB(120, 80, 10), 90)
	want, err := Decode(data, Options{Format: RGB}, nil)
	if err != nil {
		t.Fatal(err)
	}
	bad := data[:200]
	errc := make(chan error, 8)
	for g := range 8 {
		go func() {
			var dst []byte
			for i := range 50 {
				if (g+i)%3 == 0 {
					if _, err := Decode(bad, Options{Format: RGB}, nil); err == nil {
						errc <- errors.New("bad input decoded")
						return
					}
					continue
				}
				img, err := Decode(data, Options{Format: RGB}, dst)
				if err != nil || !bytes.Equal(img.Pix, want.Pix) {
					errc <- fmt.Errorf("concurrent decode: %v", err)
					return
				}
				dst = img.Pix
			}
			errc <- nil
		}()
	}
	for range 8 {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
}

// BenchmarkDecode12MP decodes the synthetic 4000x3000 camera-like JPEG at
// each DCT scale, output format and IDCT/upsampling mode.
func BenchmarkDecode12MP(b *testing.B) {
	data := camera12MP(b)
	for _, sc := range []struct {
		name    string
		minSide int
	}{{"full", 0}, {"1_2", bigH / 2}, {"1_4", bigH / 4}, {"1_8", bigH / 8}} {
		for _, f := range []Format{Gray, RGB} {
			for _, fast := range []bool{false, true} {
				mode := "accurate"
				if fast {
					mode = "fast"
				}
				b.Run(fmt.Sprintf("scale=%s/%v/%s", sc.name, f, mode), func(b *testing.B) {
					opt := Options{Format: f, MinSide: sc.minSide, Fast: fast}
					var dst []byte
					b.SetBytes(int64(len(data)))
					for b.Loop() {
						img, err := Decode(data, opt, dst)
						if err != nil {
							b.Fatal(err)
						}
						dst = img.Pix
					}
				})
			}
		}
	}
}

// BenchmarkHandle measures creating and destroying a TurboJPEG handle, the
// per-call overhead of not pooling handles.
func BenchmarkHandle(b *testing.B) {
	for b.Loop() {
		d, err := newDecompressor()
		if err != nil {
			b.Fatal(err)
		}
		d.destroy()
	}
}

// FuzzDecode checks that arbitrary input never crashes the decoder and that
// successful decodes respect MaxPixels and the Image invariants.
func FuzzDecode(f *testing.F) {
	seeds := [][]byte{
		encodeJPEG(f, smallRGB(1, 1, 1), 90),
		encodeJPEG(f, smallRGB(17, 9, 2), 75),
		encodeJPEG(f, smallRGB(64, 48, 3), 95),
		encodeJPEG(f, smallGray(23, 31), 80),
		progressiveGray(24, 16, 1),
		progressiveGray(9, 9, 3),
	}
	for _, s := range seeds {
		f.Add(s, uint16(0), false, false)
		f.Add(s, uint16(4), true, true)
		f.Add(s[:len(s)/2], uint16(0), false, false)
		f.Add(s[:len(s)-2], uint16(2), true, false)
	}
	const maxPixels = 1 << 20
	f.Fuzz(func(t *testing.T, data []byte, minSide uint16, gray, fast bool) {
		opt := Options{Format: RGB, MinSide: int(minSide), MaxPixels: maxPixels, Fast: fast}
		if gray {
			opt.Format = Gray
		}
		hdr, herr := DecodeHeader(data)
		img, err := Decode(data, opt, nil)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "jpegturbo: decode: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		if herr != nil {
			t.Fatalf("Decode succeeded but DecodeHeader failed: %v", herr)
		}
		if int64(hdr.Width)*int64(hdr.Height) > maxPixels {
			t.Fatalf("decoded %dx%d source above MaxPixels", hdr.Width, hdr.Height)
		}
		if int64(img.Width)*int64(img.Height) > maxPixels || img.Width <= 0 || img.Height <= 0 ||
			img.Width > hdr.Width || img.Height > hdr.Height {
			t.Fatalf("image %dx%d from header %dx%d", img.Width, img.Height, hdr.Width, hdr.Height)
		}
		if img.Stride != img.Width*opt.Format.BytesPerPixel() || len(img.Pix) != img.Stride*img.Height {
			t.Fatalf("stride %d len %d for %dx%d %v", img.Stride, len(img.Pix), img.Width, img.Height, opt.Format)
		}
		if ww, wh := expectedDims(hdr.Width, hdr.Height, opt.MinSide); ww != img.Width || wh != img.Height {
			t.Fatalf("got %dx%d, want %dx%d", img.Width, img.Height, ww, wh)
		}
	})
}
