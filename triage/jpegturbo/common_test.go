package jpegturbo

import (
	"bytes"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestAvailableMatchesBuild runs in both builds.
func TestAvailableMatchesBuild(t *testing.T) {
	if Available != wantAvailable {
		t.Fatalf("Available = %v, want %v for this build", Available, wantAvailable)
	}
	if Available != (Version != "") {
		t.Errorf("Available = %v but Version = %q", Available, Version)
	}
	_, err := Decode(nil, Options{}, nil)
	if !Available && !errors.Is(err, ErrUnavailable) {
		t.Errorf("Decode without library: err = %v, want ErrUnavailable", err)
	}
	if Available && (err == nil || errors.Is(err, ErrUnavailable)) {
		t.Errorf("Decode(nil) with library: err = %v, want a decode error", err)
	}
	if _, err := DecodeHeader(nil); !Available && !errors.Is(err, ErrUnavailable) {
		t.Errorf("DecodeHeader without library: err = %v, want ErrUnavailable", err)
	}
}

// encodeJPEG encodes m with image/jpeg (4:2:0 for color images).
func encodeJPEG(tb testing.TB, m image.Image, quality int) []byte {
	tb.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, m, &jpeg.Options{Quality: quality}); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// smallRGB returns a w x h color test pattern.
func smallRGB(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			i := m.PixOffset(x, y)
			m.Pix[i+0] = uint8(x * 255 / max(w, 1))
			m.Pix[i+1] = uint8(y * 255 / max(h, 1))
			m.Pix[i+2] = uint8(rng.IntN(256))
			m.Pix[i+3] = 255
		}
	}
	return m
}

// smallGray returns a w x h gray test pattern.
func smallGray(w, h int) *image.Gray {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			m.Pix[y*m.Stride+x] = uint8((x*x + 3*y) & 0xff)
		}
	}
	return m
}

const bigW, bigH = 4000, 3000

var (
	bigOnce sync.Once
	bigJPEG []byte
)

// camera12MP returns a synthetic, photo-like 4000x3000 JPEG (quality 90,
// 4:2:0, as written by image/jpeg), generated once per process.
func camera12MP(tb testing.TB) []byte {
	bigOnce.Do(func() {
		bigJPEG = encodeJPEG(tb, syntheticPhoto(bigW, bigH), 90)
	})
	return bigJPEG
}

// syntheticPhoto draws smooth gradients (sky, ground), soft-edged shaded
// shapes, a low-frequency texture and per-pixel sensor-like noise.
func syntheticPhoto(w, h int) *image.RGBA {
	rng := rand.New(rand.NewPCG(12, 34))
	c := make([]float32, w*h*3) // working canvas
	set := func(x, y int, v [3]float64, a float64) {
		i := 3 * (y*w + x)
		for k := range 3 {
			c[i+k] = float32(float64(c[i+k])*(1-a) + v[k]*a)
		}
	}
	randColor := func() [3]float64 {
		return [3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255}
	}

	// Background: sky gradient over a darker ground, plus texture.
	horizon := 0.55 * float64(h)
	for y := range h {
		fy := float64(y)
		for x := range w {
			fx := float64(x)
			var v [3]float64
			if fy < horizon {
				t := fy / horizon
				v = [3]float64{70 + 120*t, 120 + 90*t, 220 + 25*t}
			} else {
				t := (fy - horizon) / (float64(h) - horizon)
				v = [3]float64{90 - 40*t, 110 - 50*t, 50 - 20*t}
			}
			tex := 18 * math.Sin(fx/37+math.Sin(fy/53)) * math.Cos(fy/29-fx/91)
			set(x, y, [3]float64{v[0] + tex, v[1] + tex, v[2] + tex}, 1)
		}
	}
	// Soft-edged, radially shaded discs.
	for range 40 {
		cx, cy := rng.Float64()*float64(w), rng.Float64()*float64(h)
		r := 40 + rng.Float64()*float64(h)/6
		col := randColor()
		for y := max(0, int(cy-r-2)); y < min(h, int(cy+r+2)); y++ {
			for x := max(0, int(cx-r-2)); x < min(w, int(cx+r+2)); x++ {
				dx, dy := float64(x)-cx, float64(y)-cy
				d := math.Sqrt(dx*dx + dy*dy)
				a := math.Min(1, math.Max(0, r+1-d)/2)
				if a > 0 {
					s := 0.75 + 0.25*math.Max(0, 1-d/r)
					set(x, y, [3]float64{col[0] * s, col[1] * s, col[2] * s}, a)
				}
			}
		}
	}
	// Hard-edged, horizontally shaded "buildings".
	for range 25 {
		x0, y1 := rng.IntN(w), h/2+rng.IntN(h/2)
		x1, y0 := min(w, x0+50+rng.IntN(500)), max(0, y1-300)
		col := randColor()
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				s := 0.6 + 0.4*float64(x-x0)/float64(x1-x0)
				set(x, y, [3]float64{col[0] * s, col[1] * s, col[2] * s}, 1)
			}
		}
	}
	// Sensor noise (partly correlated across channels) and quantization.
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for p := range w * h {
		n := rng.NormFloat64() * 4
		for k := range 3 {
			v := float64(c[3*p+k]) + n + rng.NormFloat64()*2
			m.Pix[4*p+k] = uint8(math.Max(0, math.Min(255, math.Round(v))))
		}
		m.Pix[4*p+3] = 255
	}
	return m
}

// BenchmarkStdlibDecode12MP decodes the synthetic 12 MP JPEG with
// image/jpeg, for comparison with BenchmarkDecode12MP.
func BenchmarkStdlibDecode12MP(b *testing.B) {
	data := camera12MP(b)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
	}
}

// toRGB converts any image to packed RGB the way image/draw does.
func toRGB(m image.Image) (w, h int, pix []byte) {
	b := m.Bounds()
	w, h = b.Dx(), b.Dy()
	pix = make([]byte, 0, w*h*3)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := m.At(x, y).RGBA()
			pix = append(pix, uint8(r>>8), uint8(g>>8), uint8(bb>>8))
		}
	}
	return w, h, pix
}

// toGray returns the luminance image/jpeg users would get: the Y plane of
// a YCbCr JPEG, the samples of a gray JPEG, and color.GrayModel otherwise.
func toGray(m image.Image) (w, h int, pix []byte) {
	b := m.Bounds()
	w, h = b.Dx(), b.Dy()
	pix = make([]byte, 0, w*h)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			switch mm := m.(type) {
			case *image.YCbCr:
				pix = append(pix, mm.Y[mm.YOffset(x, y)])
			default:
				pix = append(pix, color.GrayModel.Convert(m.At(x, y)).(color.Gray).Y)
			}
		}
	}
	return w, h, pix
}
