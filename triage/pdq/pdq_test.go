package pdq

import (
	"bytes"
	"cmp"
	"encoding/csv"
	"encoding/hex"
	"image"
	"image/color"
	_ "image/jpeg"
	_ "image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	_ "golang.org/x/image/webp"
)

const refDir = "../testdata/pdq-reference"

// refRow is one row of an expected/*.csv file: one or eight hashes and a
// quality.
type refRow struct {
	hashes  []Hash
	quality int
}

func parseHash(t testing.TB, s string) Hash {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		t.Fatalf("bad hash %q: %v", s, err)
	}
	return Hash(b)
}

// readExpected reads expected/<name> (hash columns, quality, path) into a
// map keyed by path.
func readExpected(t testing.TB, name string) map[string]refRow {
	t.Helper()
	f, err := os.Open(filepath.Join(refDir, "expected", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	m := make(map[string]refRow)
	for _, r := range recs {
		n := len(r)
		q, err := strconv.Atoi(r[n-2])
		if err != nil {
			t.Fatalf("%s: bad quality in %v", name, r)
		}
		var row refRow
		for _, s := range r[:n-2] {
			row.hashes = append(row.hashes, parseHash(t, s))
		}
		row.quality = q
		m[r[n-1]] = row
	}
	return m
}

func decodeFile(t testing.TB, path string) image.Image {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}

func lumaOf(t testing.TB, path string) ([]float32, int, int) {
	img := decodeFile(t, path)
	b := img.Bounds()
	return Luma(img, nil), b.Dx(), b.Dy()
}

// TestPixelsBitExact pins criterion #1: the reference decoder's pixels
// give the reference hash, quality and dihedral hashes bit for bit.
func TestPixelsBitExact(t *testing.T) {
	full := readExpected(t, "pdq-fullsize.csv")
	dih := readExpected(t, "pdq-fullsize-dihedral.csv")
	files, err := filepath.Glob(filepath.Join(refDir, "pixels", "*.rgb.png"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no pixel files: %v", err)
	}
	var hs Hasher
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".rgb.png")
		img := decodeFile(t, f)
		if _, ok := img.(*image.RGBA); !ok {
			t.Errorf("%s: decoded as %T, want *image.RGBA", base, img)
		}
		luma := Luma(img, nil)
		b := img.Bounds()
		w, h := b.Dx(), b.Dy()

		// LumaFromRGB on the packed pixels must agree exactly with Luma.
		packed := make([]byte, 0, 3*w*h)
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := img.At(x, y).(color.RGBA)
				packed = append(packed, c.R, c.G, c.B)
			}
		}
		if l2 := LumaFromRGB(packed, w, h, 3*w, nil); !slices.Equal(luma, l2) {
			t.Errorf("%s: LumaFromRGB differs from Luma", base)
		}

		want, ok := full["images/"+base+".jpg"]
		if !ok {
			t.Fatalf("%s: no expected row", base)
		}
		if alt := full["pixels/"+base+".rgb.png"]; alt.hashes[0] != want.hashes[0] || alt.quality != want.quality {
			t.Errorf("%s: expected rows for images/ and pixels/ differ", base)
		}
		got, q := hs.Hash(slices.Clone(luma), w, h)
		if got != want.hashes[0] || q != want.quality {
			t.Errorf("%s (%dx%d): got %v q=%d, want %v q=%d (distance %d)",
				base, w, h, got, q, want.hashes[0], want.quality, Distance(got, want.hashes[0]))
		}

		wantD := dih["images/"+base+".jpg"]
		gotD, qd := hs.HashDihedral(slices.Clone(luma), w, h)
		if qd != wantD.quality {
			t.Errorf("%s: dihedral quality %d, want %d", base, qd, wantD.quality)
		}
		for k := range gotD {
			if gotD[k] != wantD.hashes[k] {
				t.Errorf("%s: dihedral %d: got %v, want %v (distance %d)",
					base, k, gotD[k], wantD.hashes[k], Distance(gotD[k], wantD.hashes[k]))
			}
		}
		t.Logf("%-28s %4dx%-4d %v q=%d exact", base, w, h, got, q)
	}
}

// TestDecodedImages pins criterion #2: Go's own decoders (image/jpeg,
// image/png, x/image/webp) give hashes close to the reference hashes,
// which came from ImageMagick/libjpeg-turbo pixels. Distances for every
// file are logged.
//
// Exclusions and gates, both from ../testdata/pdq-reference/README.md:
//
//   - pte-I16.png is left out entirely. It is a 16-bit gray PNG whose hash
//     depends on the decoder's 16->8-bit policy (README, "Known
//     discrepancies"); this package scales with round(v/257) and cannot
//     match the stored row.
//   - The 10-bit bound is upstream's criterion #2, which the README states
//     for images of quality >= 80. The two labelme images of quality 3 and
//     4 are nearly flat, so their bits follow noise-level DCT coefficients
//     and move by 12-22 bits under Go's IDCT (mean luma difference 0.05 to
//     0.15 grey levels); they still count towards the mean.
func TestDecodedImages(t *testing.T) {
	full := readExpected(t, "pdq-fullsize.csv")
	dih := readExpected(t, "pdq-fullsize-dihedral.csv")
	files, err := filepath.Glob(filepath.Join(refDir, "images", "*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no images: %v", err)
	}
	var hs Hasher
	var sum, maxDist, n, sumD, maxD, nD int
	for _, f := range files {
		base := filepath.Base(f)
		if base == "pte-I16.png" {
			// Documented decoder-policy discrepancy, see the README and
			// the comment above.
			continue
		}
		want, ok := full["images/"+base]
		if !ok {
			t.Fatalf("%s: no expected row", base)
		}
		wantD, ok := dih["images/"+base]
		if !ok {
			t.Fatalf("%s: no expected dihedral row", base)
		}
		img := decodeFile(t, f)
		luma := Luma(img, nil)
		b := img.Bounds()
		got, q := hs.Hash(slices.Clone(luma), b.Dx(), b.Dy())
		gotD, qd := hs.HashDihedral(luma, b.Dx(), b.Dy())
		if gotD[0] != got || qd != q {
			t.Errorf("%s: HashDihedral[0] differs from Hash", base)
		}
		d := Distance(got, want.hashes[0])
		sum += d
		n++
		maxDist = max(maxDist, d)
		var dd []int
		for k := range gotD {
			x := Distance(gotD[k], wantD.hashes[k])
			dd = append(dd, x)
			sumD += x
			nD++
			maxD = max(maxD, x)
		}
		t.Logf("%-32s %-15T %4dx%-4d distance %2d  quality %3d (ref %3d)  dihedral %v",
			base, img, b.Dx(), b.Dy(), d, q, want.quality, dd)
		if want.quality < 80 {
			continue
		}
		if d > 10 {
			t.Errorf("%s: distance %d > 10 (got %v, want %v)", base, d, got, want.hashes[0])
		}
		for k, x := range dd {
			if x > 10 {
				t.Errorf("%s: dihedral %d: distance %d > 10", base, k, x)
			}
		}
	}
	mean := float64(sum) / float64(n)
	meanD := float64(sumD) / float64(nD)
	t.Logf("%d files: max distance %d, mean %.3f; dihedral (%d hashes) max %d, mean %.3f",
		n, maxDist, mean, nD, maxD, meanD)
	if mean > 3 {
		t.Errorf("mean distance %.3f > 3", mean)
	}
	if meanD > 3 {
		t.Errorf("mean dihedral distance %.3f > 3", meanD)
	}
}

// TestDistanceString is a known-answer test for Distance, String and the
// bit layout.
func TestDistanceString(t *testing.T) {
	var zero Hash
	if s := zero.String(); s != strings.Repeat("0", 64) {
		t.Errorf("zero.String() = %q", s)
	}
	var ones Hash
	for i := range ones {
		ones[i] = 0xff
	}
	if s := ones.String(); s != strings.Repeat("f", 64) {
		t.Errorf("ones.String() = %q", s)
	}
	if d := Distance(zero, ones); d != 256 {
		t.Errorf("Distance(zero, ones) = %d", d)
	}
	if d := Distance(ones, ones); d != 0 {
		t.Errorf("Distance(ones, ones) = %d", d)
	}

	// Bit k is coefficient (k/16, k%16): bit 0 is the last hex digit's
	// lowest bit, bit 255 the first digit's highest bit.
	var h Hash
	h.setBit(0)
	h.setBit(17)
	h.setBit(255)
	const want = "8000000000000000000000000000000000000000000000000000000000020001"
	if s := h.String(); s != want {
		t.Errorf("String() = %s, want %s", s, want)
	}
	if hex.EncodeToString(h[:]) != want || h[0] != 0x80 || h[31] != 0x01 || h[29] != 0x02 {
		t.Errorf("byte layout wrong: % x", h[:])
	}
	for k := range 256 {
		if h.Bit(k) != (k == 0 || k == 17 || k == 255) {
			t.Errorf("Bit(%d) = %v", k, h.Bit(k))
		}
	}
	if d := Distance(h, zero); d != 3 {
		t.Errorf("Distance = %d, want 3", d)
	}

	// Two published bridge hashes (original and its high-contrast edit).
	a := parseHash(t, "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")
	b := parseHash(t, "f8f8f0cee0f4a84f06370a2a068f67f0b36e26d596621e1d33e6339c4e9c9b22")
	if d := Distance(a, b); d != 6 {
		t.Errorf("Distance(bridge, high-contrast) = %d, want 6", d)
	}
	if d := Distance(b, a); d != 6 {
		t.Errorf("Distance not symmetric: %d", d)
	}
	if a.String() != "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22" {
		t.Errorf("round trip: %s", a)
	}
}

// TestSmallAndInvalid checks the reference's handling of images below
// 5 pixels and the no-panic handling of invalid arguments.
func TestSmallAndInvalid(t *testing.T) {
	var hs Hasher
	cases := []struct {
		n, w, h int
	}{
		{0, 0, 0}, {1, 1, 1}, {4, 4, 1}, {20, 4, 5}, {20, 5, 4}, {16, 4, 4},
		{25, 5, 6}, {10, -2, -5}, {0, 0, 5}, {0, 5, 0}, {6, 3, 3}, {25, 25, 0},
		{25, -5, -5},
	}
	for _, c := range cases {
		luma := make([]float32, c.n)
		for i := range luma {
			luma[i] = float32(i * 37 % 256)
		}
		h, q := hs.Hash(luma, c.w, c.h)
		if h != (Hash{}) || q != 0 {
			t.Errorf("Hash(len %d, %dx%d) = %v, %d; want zero", c.n, c.w, c.h, h, q)
		}
		hd, qd := hs.HashDihedral(luma, c.w, c.h)
		if hd != ([8]Hash{}) || qd != 0 {
			t.Errorf("HashDihedral(len %d, %dx%d) not zero", c.n, c.w, c.h)
		}
	}
	// 5x5 is the smallest hashable size.
	luma := make([]float32, 25)
	for i := range luma {
		luma[i] = float32(i * 37 % 256)
	}
	if h, _ := hs.Hash(luma, 5, 5); h == (Hash{}) {
		t.Errorf("5x5 image hashed to zero")
	}
}

// TestYCbCrLumaExhaustive checks ycbcrLuma against color.YCbCrToRGB on
// every input, and the product tables against direct float32 arithmetic.
func TestYCbCrLumaExhaustive(t *testing.T) {
	for v := range 256 {
		x := float32(v)
		if lumaTables[0][v] != float32(float32(0.299)*x) || lumaTables[1][v] != float32(float32(0.587)*x) ||
			lumaTables[2][v] != float32(float32(0.114)*x) {
			t.Fatalf("luma table entry %d", v)
		}
	}
	for y := range 256 {
		for cb := range 256 {
			for cr := range 256 {
				want := rgbLuma(color.YCbCrToRGB(uint8(y), uint8(cb), uint8(cr)))
				if got := ycbcrLuma(uint8(y), uint8(cb), uint8(cr)); got != want {
					t.Fatalf("ycbcrLuma(%d, %d, %d) = %v, want %v", y, cb, cr, got, want)
				}
			}
		}
	}
}

// TestLumaConversions checks the luma conventions of each image type.
func TestLumaConversions(t *testing.T) {
	r := image.Rect(3, -2, 10, 9) // odd sizes, non-zero origin
	w, h := r.Dx(), r.Dy()
	rng := rand.New(rand.NewPCG(1, 2))

	rgba := image.NewRGBA(r)
	nrgba := image.NewNRGBA(r)
	rgb := make([]byte, 0, 3*w*h)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.RGBA{uint8(rng.Uint32()), uint8(rng.Uint32()), uint8(rng.Uint32()), 0xff}
			rgba.SetRGBA(x, y, c)
			nrgba.SetNRGBA(x, y, color.NRGBA{c.R, c.G, c.B, uint8(rng.Uint32())})
			rgb = append(rgb, c.R, c.G, c.B)
		}
	}
	want := LumaFromRGB(rgb, w, h, 3*w, nil)
	if len(want) != w*h {
		t.Fatalf("LumaFromRGB length %d", len(want))
	}
	check := func(name string, got []float32) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: luma differs", name)
		}
	}
	check("RGBA", Luma(rgba, nil))
	check("NRGBA (alpha ignored)", Luma(nrgba, nil))
	check("generic At", Luma(struct{ image.Image }{rgba}, nil))

	// Reuse of dst, and exact arithmetic of one pixel.
	dst := make([]float32, 0, 1000)
	got := Luma(rgba, dst)
	if &got[0] != &dst[:1][0] {
		t.Errorf("dst not reused")
	}
	c := rgba.RGBAAt(r.Min.X, r.Min.Y)
	if v := float32(float32(float32(0.299)*float32(c.R))+float32(float32(0.587)*float32(c.G))) + float32(float32(0.114)*float32(c.B)); got[0] != v {
		t.Errorf("pixel 0: %v, want %v", got[0], v)
	}

	// Premultiplied RGBA with alpha < 255 is un-premultiplied.
	half := image.NewRGBA(image.Rect(0, 0, 1, 1))
	half.SetRGBA(0, 0, color.RGBA{50, 100, 0, 128}) // non-premultiplied ~ (100, 199, 0)
	if got, want := Luma(half, nil)[0], rgbLuma(100, 199, 0); got != want {
		t.Errorf("un-premultiply: %v, want %v", got, want)
	}

	// 16-bit types reduce with round(v/257).
	n64 := image.NewNRGBA64(r)
	g16 := image.NewGray16(r)
	gray := image.NewGray(r)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := nrgba.NRGBAAt(x, y)
			// Values that round back to the 8-bit ones: v*257 +- 128.
			off := uint16(rng.IntN(257)) - 128
			n64.SetNRGBA64(x, y, color.NRGBA64{uint16(c.R)*257 + off*uint16(min(c.R, 1)), uint16(c.G) * 257, uint16(c.B) * 257, 7})
			g16.SetGray16(x, y, color.Gray16{uint16(c.G)*257 + off*uint16(min(c.G, 1))})
			gray.SetGray(x, y, color.Gray{c.G})
		}
	}
	check("NRGBA64", Luma(n64, nil))
	gl := Luma(gray, nil)
	if !slices.Equal(Luma(g16, nil), gl) {
		t.Errorf("Gray16 differs from Gray")
	}
	var graw []byte
	for y := r.Min.Y; y < r.Max.Y; y++ {
		graw = append(graw, gray.Pix[gray.PixOffset(r.Min.X, y):][:w]...)
		graw = append(graw, 1, 2) // padding
	}
	if !slices.Equal(LumaFromGray(graw, w, h, w+2, nil), gl) {
		t.Errorf("LumaFromGray differs from Gray")
	}
	if gl[0] != float32(gray.GrayAt(r.Min.X, r.Min.Y).Y) {
		t.Errorf("gray luma is not the gray value")
	}
	if !slices.Equal(Luma(struct{ image.Image }{g16}, nil), gl) {
		t.Errorf("generic Gray16 differs")
	}
	if got := to8(0x807f); got != 128 {
		t.Errorf("to8(0x807f) = %d", got)
	}
	for v := range 65536 {
		if want := uint8(math.Round(float64(v) / 257)); to8(uint16(v)) != want {
			t.Fatalf("to8(%d) = %d, want %d", v, to8(uint16(v)), want)
		}
	}

	// Paletted uses the palette colours; out-of-range indices give 0.
	pal := image.NewPaletted(r, color.Palette{color.RGBA{10, 20, 30, 255}, color.NRGBA{200, 100, 50, 9}, color.Gray{77}})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 4)
	}
	pl := Luma(pal, nil)
	for i, v := range pl {
		want := []float32{rgbLuma(10, 20, 30), rgbLuma(200, 100, 50), 77, 0}[i%4]
		if v != want {
			t.Fatalf("paletted %d: %v, want %v", i, v, want)
		}
	}

	// YCbCr (all ratios) and CMYK against color.YCbCrToRGB/CMYKToRGB via At.
	for _, ratio := range []image.YCbCrSubsampleRatio{
		image.YCbCrSubsampleRatio444, image.YCbCrSubsampleRatio422,
		image.YCbCrSubsampleRatio420, image.YCbCrSubsampleRatio440,
		image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410,
	} {
		for _, rr := range []image.Rectangle{r, image.Rect(-7, -3, 6, 8), image.Rect(0, 0, 9, 5)} {
			m := image.NewYCbCr(rr, ratio)
			for _, p := range [][]byte{m.Y, m.Cb, m.Cr} {
				for i := range p {
					p[i] = uint8(rng.Uint32())
				}
			}
			var ref []float32
			for y := rr.Min.Y; y < rr.Max.Y; y++ {
				for x := rr.Min.X; x < rr.Max.X; x++ {
					c := m.YCbCrAt(x, y)
					ref = append(ref, rgbLuma(color.YCbCrToRGB(c.Y, c.Cb, c.Cr)))
				}
			}
			if !slices.Equal(Luma(m, nil), ref) {
				t.Errorf("YCbCr %v %v: luma differs from At", ratio, rr)
			}
			sub := m.SubImage(image.Rect(rr.Min.X+1, rr.Min.Y+1, rr.Max.X, rr.Max.Y))
			if !slices.Equal(Luma(sub, nil), Luma(struct{ image.Image }{sub}, nil)) {
				t.Errorf("YCbCr %v %v: sub-image luma differs from At", ratio, rr)
			}
		}
	}
	cm := image.NewCMYK(r)
	for i := range cm.Pix {
		cm.Pix[i] = uint8(rng.Uint32())
	}
	if !slices.Equal(Luma(cm, nil), Luma(struct{ image.Image }{cm}, nil)) {
		t.Errorf("CMYK fast path differs from At")
	}

	// Invalid raw arguments give nil, empty images an empty slice.
	if LumaFromRGB(rgb, w, h, 3*w-1, nil) != nil || LumaFromRGB(rgb[:len(rgb)-1], w, h, 3*w, nil) != nil ||
		LumaFromRGB(rgb, -1, h, 3*w, nil) != nil || LumaFromGray(graw, w, h+1, w+2, nil) != nil {
		t.Errorf("invalid arguments accepted")
	}
	if l := LumaFromRGB(nil, 0, 5, 0, nil); len(l) != 0 {
		t.Errorf("empty image: %v", l)
	}
	if l := Luma(image.NewRGBA(image.Rect(0, 0, 0, 3)), nil); len(l) != 0 {
		t.Errorf("empty image: %v", l)
	}
}

// ---------------------------------------------------------------------
// Naive oracle: a direct transcription of the algorithm with two
// full-size buffers and a strided four-phase box filter, used to check
// the in-place, sparse implementation on arbitrary sizes.

// naiveBox is one box-filter pass over n samples at stride, in the
// four phases of the algorithm description.
func naiveBox(in, out []float32, n, stride, win int) {
	half := (win + 2) / 2
	p1, p2, p3, p4 := half-1, win-half+1, n-win, half-1
	li, ri, oi := 0, 0, 0
	var sum float32
	cur := 0
	for range p1 {
		sum += in[ri]
		cur++
		ri += stride
	}
	for range p2 {
		sum += in[ri]
		cur++
		out[oi] = sum / float32(cur)
		ri += stride
		oi += stride
	}
	for range p3 {
		sum += in[ri]
		sum -= in[li]
		out[oi] = sum / float32(cur)
		li += stride
		ri += stride
		oi += stride
	}
	for range p4 {
		sum -= in[li]
		cur--
		out[oi] = sum / float32(cur)
		li += stride
		oi += stride
	}
}

// naiveTransform returns the 16x16 DCT and quality, or ok=false for
// images that hash to zero.
func naiveTransform(luma []float32, w, h int) (dct [16][16]float32, q int, ok bool) {
	if w < 5 || h < 5 || len(luma) != w*h {
		return dct, 0, false
	}
	var a [64][64]float32
	if w == 64 && h == 64 {
		for i := range 64 {
			copy(a[i][:], luma[i*64:])
		}
	} else {
		b1 := slices.Clone(luma)
		b2 := make([]float32, w*h)
		wr, wc := (w+127)/128, (h+127)/128
		for range 2 {
			for r := 0; r < h; r++ {
				naiveBox(b1[r*w:], b2[r*w:], w, 1, wr)
			}
			for c := 0; c < w; c++ {
				naiveBox(b2[c:], b1[c:], h, w, wc)
			}
		}
		for i := range 64 {
			ii := int((float64(i) + 0.5) * float64(h) / 64)
			for j := range 64 {
				jj := int((float64(j) + 0.5) * float64(w) / 64)
				a[i][j] = b1[ii*w+jj]
			}
		}
	}
	g := 0
	for i := range 64 {
		for j := range 64 {
			if i < 63 {
				g += int(math.Abs(float64(int(float32(float32(a[i][j]-a[i+1][j])*100) / 255))))
			}
			if j < 63 {
				g += int(math.Abs(float64(int(float32(float32(a[i][j]-a[i][j+1])*100) / 255))))
			}
		}
	}
	q = min(g/90, 100)

	var d [16][64]float32
	s := float32(math.Sqrt(2.0 / 64))
	for i := range 16 {
		for j := range 64 {
			d[i][j] = float32(float64(s) * math.Cos(math.Pi/2/64*float64(i+1)*float64(2*j+1)))
		}
	}
	var tmp [16][64]float32
	for i := range 16 {
		for j := range 64 {
			var sum float32
			for k := range 64 {
				sum += float32(d[i][k] * a[k][j])
			}
			tmp[i][j] = sum
		}
	}
	for i := range 16 {
		for j := range 16 {
			var sum float32
			for k := range 64 {
				sum += float32(tmp[i][k] * d[j][k])
			}
			dct[i][j] = sum
		}
	}
	return dct, q, true
}

// naiveBits thresholds against the 128th smallest value, found by
// counting.
func naiveBits(c [16][16]float32) Hash {
	flat := make([]float32, 0, 256)
	for i := range 16 {
		flat = append(flat, c[i][:]...)
	}
	var median float32
	for _, v := range flat {
		less, le := 0, 0
		for _, u := range flat {
			if u < v {
				less++
			}
			if u <= v {
				le++
			}
		}
		if less <= 127 && le >= 128 {
			median = v
			break
		}
	}
	var h Hash
	for k, v := range flat {
		if v > median {
			h[31-k/8] |= 1 << (k % 8)
		}
	}
	return h
}

// naiveDihedral applies the coefficient transforms as written in the
// algorithm description (B[j][i] = +-A[i][j] for the transposing ones).
func naiveDihedral(a [16][16]float32) [8][16][16]float32 {
	var out [8][16][16]float32
	for i := range 16 {
		for j := range 16 {
			v := a[i][j]
			sgn := func(neg bool) float32 {
				if neg {
					return -v
				}
				return v
			}
			out[0][i][j] = v
			out[1][j][i] = sgn(j&1 == 0)
			out[2][i][j] = sgn((i+j)&1 == 1)
			out[3][j][i] = sgn(i&1 == 0)
			out[4][i][j] = sgn(i&1 == 0)
			out[5][i][j] = sgn(j&1 == 0)
			out[6][j][i] = v
			out[7][j][i] = sgn((i+j)&1 == 1)
		}
	}
	return out
}

func naiveHashDihedral(luma []float32, w, h int) ([8]Hash, int) {
	var out [8]Hash
	c, q, ok := naiveTransform(luma, w, h)
	if !ok {
		return out, 0
	}
	for k, m := range naiveDihedral(c) {
		out[k] = naiveBits(m)
	}
	return out, q
}

// testImage returns a w x h luma image mixing a smooth pattern with
// noise, scaled to 0..255 with fractional values.
func testImage(w, h int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 7))
	l := make([]float32, w*h)
	for y := range h {
		for x := range w {
			v := 128 + 90*math.Sin(float64(x)/float64(w)*7+float64(seed))*
				math.Cos(float64(y)/float64(h)*5) + 30*rng.Float64() - 15
			l[y*w+x] = rgbLuma(uint8(max(0, min(255, v))), uint8(rng.Uint32()), uint8(v/2))
		}
	}
	return l
}

// TestMatchesNaive compares Hash and HashDihedral with the naive oracle
// on many sizes, including tiny, odd, 64x64 and very elongated ones.
func TestMatchesNaive(t *testing.T) {
	sizes := [][2]int{
		{5, 5}, {5, 6}, {6, 5}, {7, 300}, {300, 7}, {17, 33}, {34, 42}, {63, 64}, {64, 64},
		{64, 65}, {65, 65}, {100, 100}, {127, 129}, {128, 128}, {129, 127}, {255, 257},
		{256, 256}, {383, 250}, {511, 513}, {640, 480}, {1000, 37}, {1, 1000}, {1000, 5},
	}
	var hs Hasher
	for i, sz := range sizes {
		w, h := sz[0], sz[1]
		luma := testImage(w, h, uint64(i))
		wantD, wantQ := naiveHashDihedral(luma, w, h)
		got, q := hs.Hash(slices.Clone(luma), w, h)
		if got != wantD[0] || q != wantQ {
			t.Errorf("%dx%d: Hash = %v q=%d, naive %v q=%d", w, h, got, q, wantD[0], wantQ)
		}
		gotD, qd := hs.HashDihedral(slices.Clone(luma), w, h)
		if gotD != wantD || qd != wantQ {
			t.Errorf("%dx%d: HashDihedral differs from naive", w, h)
		}
	}
}

// TestDihedralVsTransformedPixels checks that the coefficient transforms
// match hashing the transformed pixels (up to decimation differences).
func TestDihedralVsTransformedPixels(t *testing.T) {
	const w, h = 300, 200
	// A smooth image: with per-pixel noise the half-pixel asymmetry of
	// even box windows would decorrelate the noise of flipped images.
	src := make([]float32, w*h)
	for y := range h {
		for x := range w {
			u, v := float64(x)/w, float64(y)/h
			src[y*w+x] = float32(128 + 60*math.Sin(3*u+1)*math.Cos(4*v+0.5) +
				40*math.Sin(9*u*v+2*u) + 20*math.Cos(11*v-5*u*u))
		}
	}
	at := func(x, y int) float32 { return src[y*w+x] }
	// Each transform as (output width, output height, source pixel of
	// output (x, y)).
	type tf struct {
		w, h int
		f    func(x, y int) float32
	}
	tfs := []tf{
		{w, h, func(x, y int) float32 { return at(x, y) }},
		{h, w, func(x, y int) float32 { return at(w-1-y, x) }},     // rot90 ccw
		{w, h, func(x, y int) float32 { return at(w-1-x, h-1-y) }}, // rot180
		{h, w, func(x, y int) float32 { return at(y, h-1-x) }},     // rot270 ccw
		{w, h, func(x, y int) float32 { return at(x, h-1-y) }},     // flip x
		{w, h, func(x, y int) float32 { return at(w-1-x, y) }},     // flip y
		{h, w, func(x, y int) float32 { return at(y, x) }},         // transpose
		{h, w, func(x, y int) float32 { return at(w-1-y, h-1-x) }}, // transverse
	}
	var hs Hasher
	dih, _ := hs.HashDihedral(slices.Clone(src), w, h)
	for k, tr := range tfs {
		l := make([]float32, tr.w*tr.h)
		for y := range tr.h {
			for x := range tr.w {
				l[y*tr.w+x] = tr.f(x, y)
			}
		}
		got, _ := hs.Hash(l, tr.w, tr.h)
		d := Distance(got, dih[k])
		t.Logf("dihedral %d: distance to hash of transformed pixels %d", k, d)
		if d > 10 {
			t.Errorf("dihedral %d: distance %d", k, d)
		}
	}
}

// FuzzHash checks that arbitrary small inputs never panic, give a quality
// in 0..100, agree between Hash and HashDihedral, and match the naive
// oracle bit for bit.
func FuzzHash(f *testing.F) {
	f.Add(uint16(5), uint16(5), []byte{0, 255, 17, 3})
	f.Add(uint16(64), uint16(64), []byte("the quick brown fox"))
	f.Add(uint16(1), uint16(1), []byte{})
	f.Add(uint16(34), uint16(42), []byte{200, 1, 2, 3, 4, 5, 6, 7, 8, 9, 250})
	f.Add(uint16(129), uint16(7), []byte{0, 0, 0, 255})
	f.Add(uint16(300), uint16(300), []byte{9, 8, 7})
	f.Fuzz(func(t *testing.T, w16, h16 uint16, data []byte) {
		w, h := 1+int(w16)%300, 1+int(h16)%300
		luma := make([]float32, w*h)
		if len(data) > 0 {
			for i := range luma {
				// Mix whole and fractional values.
				b := data[i%len(data)]
				if i%3 == 0 {
					luma[i] = rgbLuma(b, data[(i+1)%len(data)], uint8(i))
				} else {
					luma[i] = float32(b)
				}
			}
		}
		var hs Hasher
		got, q := hs.Hash(slices.Clone(luma), w, h)
		if q < 0 || q > 100 {
			t.Fatalf("quality %d", q)
		}
		gotD, qd := hs.HashDihedral(slices.Clone(luma), w, h)
		if gotD[0] != got || qd != q {
			t.Fatalf("HashDihedral[0] = %v q=%d, Hash = %v q=%d", gotD[0], qd, got, q)
		}
		wantD, wantQ := naiveHashDihedral(luma, w, h)
		if gotD != wantD || q != wantQ {
			t.Fatalf("%dx%d: differs from naive oracle", w, h)
		}
		// Inconsistent lengths must not panic.
		if x, q := hs.Hash(luma[:len(luma)-1], w, h); x != (Hash{}) || q != 0 {
			t.Fatalf("short buffer accepted")
		}
		// The plane as a scaled decode of a larger image, of any
		// proportions, and of one that is not larger: no panic, and
		// a valid quality.
		k := 1 + int(w16^h16)%8
		for _, full := range [][2]int{{w * 8 / k, h * 8 / k}, {w*8/k + int(w16)%7, h*8/k + int(h16)%7}, {w, h}, {w - 1, h}} {
			if _, q := hs.HashScaled(luma, w, h, full[0], full[1]); q < 0 || q > 100 {
				t.Fatalf("%dx%d as %dx%d: quality %d", w, h, full[0], full[1], q)
			}
			hs.HashDihedralScaled(luma, w, h, full[0], full[1])
		}
	})
}

// ---------------------------------------------------------------------
// Benchmarks. Hash blurs in place, so iterations after the first hash an
// already-blurred buffer; the work per iteration is the same.

func benchmarkHash(b *testing.B, w, h int) {
	luma := testImage(w, h, 1)
	var hs Hasher
	hs.Hash(slices.Clone(luma), w, h) // size the scratch buffers
	b.ReportAllocs()
	b.SetBytes(int64(4 * w * h))
	b.ResetTimer()
	for b.Loop() {
		hs.Hash(luma, w, h)
	}
}

func BenchmarkHash512(b *testing.B)  { benchmarkHash(b, 512, 512) }
func BenchmarkHash12MP(b *testing.B) { benchmarkHash(b, 4000, 3000) }

func BenchmarkHashDihedral512(b *testing.B) {
	luma := testImage(512, 512, 1)
	var hs Hasher
	hs.HashDihedral(slices.Clone(luma), 512, 512) // size the scratch buffers
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		hs.HashDihedral(luma, 512, 512)
	}
}

func BenchmarkLumaYCbCr12MP(b *testing.B) {
	m := image.NewYCbCr(image.Rect(0, 0, 4000, 3000), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(3, 4))
	for _, p := range [][]byte{m.Y, m.Cb, m.Cr} {
		for i := range p {
			p[i] = uint8(rng.Uint32())
		}
	}
	dst := Luma(m, nil)
	b.ReportAllocs()
	b.SetBytes(int64(len(dst)))
	for b.Loop() {
		dst = Luma(m, dst)
	}
}

// TestNth checks the quickselect that finds the median against sorting,
// on random values, many ties, signed zeros and NaNs.
func TestNth(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for trial := range 3000 {
		a := make([]float32, 1+rng.IntN(300))
		for i := range a {
			switch trial % 4 {
			case 0:
				a[i] = rng.Float32()*200 - 100
			case 1:
				a[i] = float32(rng.IntN(4)) // ties
			case 2:
				a[i] = []float32{0, float32(math.Copysign(0, -1)), 1, -1}[rng.IntN(4)]
			default:
				a[i] = rng.Float32()
				if rng.IntN(8) == 0 {
					a[i] = float32(math.NaN())
				}
			}
		}
		k := rng.IntN(len(a))
		sorted := slices.Clone(a)
		slices.Sort(sorted)
		got, want := nth(slices.Clone(a), k), sorted[k]
		if cmp.Compare(got, want) != 0 {
			t.Fatalf("trial %d: rank %d of %d values: got %v, want %v", trial, k, len(a), got, want)
		}
	}
}
