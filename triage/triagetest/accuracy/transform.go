package accuracy

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand/v2"

	"golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/f64"
	"golang.org/x/image/math/fixed"

	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// Transform is one edit of the benchmark: what re-posted copies of an
// image go through. Apply never modifies its input.
type Transform struct {
	Name string
	// Target is the recall the issue asks for, in percent (0: none).
	Target float64
	// Apply edits the image; seed makes random edits (noise) repeatable.
	Apply func(img *image.RGBA, seed uint64) *image.RGBA
	// PNG: the result is saved as PNG (screenshots are); otherwise as JPEG
	// at Quality.
	PNG     bool
	Quality int
}

// Encode applies t to img and encodes the result as the file a scan would
// find.
func (t Transform) Encode(img *image.RGBA, seed uint64) ([]byte, error) {
	out := t.Apply(img, seed)
	var buf bytes.Buffer
	var err error
	if t.PNG {
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, out)
	} else {
		err = jpeg.Encode(&buf, out, &jpeg.Options{Quality: t.Quality})
	}
	if err != nil {
		return nil, fmt.Errorf("%s: encode: %w", t.Name, err)
	}
	return buf.Bytes(), nil
}

// saveQuality is the JPEG quality edited copies are saved at, as image
// editors and sharing sites commonly do.
const saveQuality = 85

// Transforms returns the edits, in the order the table lists them.
func Transforms() []Transform {
	return []Transform{
		{Name: "jpeg q50", Target: 98, Apply: identity, Quality: 50},
		{Name: "half size", Target: 98, Apply: halfSize, Quality: saveQuality},
		{Name: "grayscale", Target: 98, Apply: grayscale, Quality: saveQuality},
		{Name: "gamma 2", Target: 98, Apply: gamma2, Quality: saveQuality},
		{Name: "blur sigma 2", Target: 98, Apply: blur2, Quality: saveQuality},
		{Name: "watermark", Target: 98, Apply: watermark, Quality: saveQuality},
		{Name: "mirror", Target: 98, Apply: mirror, Quality: saveQuality},
		{Name: "rotate 90", Target: 98, Apply: rotate90, Quality: saveQuality},
		{Name: "noise", Target: 98, Apply: noise, Quality: saveQuality},
		{Name: "20% black border", Target: 90, Apply: border20, Quality: saveQuality},
		{Name: "screenshot", Target: 90, Apply: screenshot, PNG: true},
		{Name: "crop 5%", Target: 75, Apply: crop5, Quality: saveQuality},
		{Name: "rotate 4 deg", Target: 70, Apply: rotate4, Quality: saveQuality},
		{Name: "white frame 8%", Target: 90, Apply: whiteFrame, Quality: saveQuality},
		{Name: "on plain canvas", Target: 90, Apply: onCanvas, Quality: saveQuality},
		// Issue 16, part 3: edits no published perceptual hash survives;
		// measured as a baseline (targets are the issue's).
		{Name: "crop 10%", Target: 95, Apply: crop10, Quality: saveQuality},
		{Name: "asymmetric crop", Target: 90, Apply: cropAsym, Quality: saveQuality},
		{Name: "mirror + crop 5%", Target: 95, Apply: mirrorCrop, Quality: saveQuality},
		{Name: "caption bands", Target: 95, Apply: captionBands, Quality: saveQuality},
		{Name: "banner", Target: 95, Apply: banner, Quality: saveQuality},
		{Name: "collage quarter", Target: 80, Apply: collage, Quality: saveQuality},
		{Name: "rotate 8 deg", Target: 90, Apply: rotate8, Quality: saveQuality},
		{Name: "re-upload chain", Target: 95, Apply: reupload, Quality: 40},
	}
}

func identity(img *image.RGBA, _ uint64) *image.RGBA { return img }

func newRGBA(w, h int) *image.RGBA { return image.NewRGBA(image.Rect(0, 0, w, h)) }

// halfSize scales to half the width and height (bilinear, as most tools).
func halfSize(img *image.RGBA, _ uint64) *image.RGBA {
	b := img.Bounds()
	out := newRGBA(max(1, b.Dx()/2), max(1, b.Dy()/2))
	draw.BiLinear.Scale(out, out.Bounds(), img, b, draw.Src, nil)
	return out
}

// grayscale keeps only luma (Rec. 601 weights), saved as a colour image.
func grayscale(img *image.RGBA, _ uint64) *image.RGBA {
	out := clone(img)
	for i := 0; i < len(out.Pix); i += 4 {
		p := out.Pix[i : i+3 : i+3]
		y := uint8(math.Round(0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])))
		p[0], p[1], p[2] = y, y, y
	}
	return out
}

// gamma2 applies gamma 2 the way ImageMagick's -gamma 2 does:
// out = in^(1/2), which lifts the shadows.
func gamma2(img *image.RGBA, _ uint64) *image.RGBA {
	var lut [256]uint8
	for v := range lut {
		lut[v] = uint8(math.Round(255 * math.Pow(float64(v)/255, 0.5)))
	}
	out := clone(img)
	for i := 0; i < len(out.Pix); i += 4 {
		out.Pix[i], out.Pix[i+1], out.Pix[i+2] = lut[out.Pix[i]], lut[out.Pix[i+1]], lut[out.Pix[i+2]]
	}
	return out
}

// blur2 is a Gaussian blur with sigma 2 pixels (separable, kernel radius
// 3 sigma, edges clamped).
func blur2(img *image.RGBA, _ uint64) *image.RGBA {
	const sigma = 2.0
	r := int(math.Ceil(3 * sigma))
	k := make([]float64, 2*r+1)
	var sum float64
	for i := range k {
		x := float64(i - r)
		k[i] = math.Exp(-x * x / (2 * sigma * sigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	tmp := make([]float64, w*h*3)
	src := clone(img)
	for y := range h {
		for x := range w {
			var acc [3]float64
			for i, kv := range k {
				xx := min(w-1, max(0, x+i-r))
				p := src.Pix[y*src.Stride+4*xx:]
				acc[0] += kv * float64(p[0])
				acc[1] += kv * float64(p[1])
				acc[2] += kv * float64(p[2])
			}
			copy(tmp[(y*w+x)*3:], acc[:])
		}
	}
	out := newRGBA(w, h)
	for y := range h {
		for x := range w {
			var acc [3]float64
			for i, kv := range k {
				yy := min(h-1, max(0, y+i-r))
				t := tmp[(yy*w+x)*3:]
				acc[0] += kv * t[0]
				acc[1] += kv * t[1]
				acc[2] += kv * t[2]
			}
			p := out.Pix[y*out.Stride+4*x:]
			p[0], p[1], p[2], p[3] = clamp8(acc[0]), clamp8(acc[1]), clamp8(acc[2]), 255
		}
	}
	return out
}

func clamp8(v float64) uint8 { return uint8(math.Max(0, math.Min(255, math.Round(v)))) }

// watermark draws a semi-transparent caption (43% opaque white, 60% of the
// width) across the middle and a small one in the bottom-left corner. The text is set in x/image's
// 7x13 bitmap font and scaled up, so no font file is needed.
func watermark(img *image.RGBA, _ uint64) *image.RGBA {
	out := clone(img)
	b := out.Bounds()
	w := b.Dx() * 3 / 5
	stamp(out, "SAMPLE PHOTO", image.Rect((b.Dx()-w)/2, b.Dy()/2-w/24, (b.Dx()+w)/2, b.Dy()/2+w/24), 110)
	h := max(8, b.Dy()/24)
	stamp(out, "(c) winnow-benchmark", image.Rect(b.Dx()/40, b.Dy()-b.Dy()/40-h, b.Dx()/40+h*20*7/13, b.Dy()-b.Dy()/40), 200)
	return out
}

// stamp renders text in white with the given opacity (0-255), scaled to
// fill r.
func stamp(dst *image.RGBA, text string, r image.Rectangle, alpha uint8) {
	face := basicfont.Face7x13
	mask := image.NewAlpha(image.Rect(0, 0, 7*len(text), 13))
	d := font.Drawer{Dst: mask, Src: image.NewUniform(color.Alpha{alpha}), Face: face, Dot: fixed.P(0, 11)}
	d.DrawString(text)
	big := image.NewAlpha(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.BiLinear.Scale(big, big.Bounds(), mask, mask.Bounds(), draw.Src, nil)
	draw.DrawMask(dst, r, image.White, image.Point{}, big, image.Point{}, draw.Over)
}

// mirror flips left to right.
func mirror(img *image.RGBA, _ uint64) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := newRGBA(w, h)
	for y := range h {
		for x := range w {
			copy(out.Pix[y*out.Stride+4*(w-1-x):][:4], img.Pix[y*img.Stride+4*x:][:4])
		}
	}
	return out
}

// rotate90 rotates a quarter turn clockwise.
func rotate90(img *image.RGBA, _ uint64) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := newRGBA(h, w)
	for y := range h {
		for x := range w {
			copy(out.Pix[x*out.Stride+4*(h-1-y):][:4], img.Pix[y*img.Stride+4*x:][:4])
		}
	}
	return out
}

// noise adds Gaussian noise of standard deviation 12 levels to every
// channel.
func noise(img *image.RGBA, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, 0x6e6f697365))
	out := clone(img)
	for i := 0; i < len(out.Pix); i += 4 {
		for c := range 3 {
			out.Pix[i+c] = clamp8(float64(out.Pix[i+c]) + 12*rng.NormFloat64())
		}
	}
	return out
}

// border20 pads with black: 20% of the width on the left and on the right,
// 20% of the height above and below.
func border20(img *image.RGBA, _ uint64) *image.RGBA {
	b := img.Bounds()
	px, py := b.Dx()/5, b.Dy()/5
	out := newRGBA(b.Dx()+2*px, b.Dy()+2*py)
	draw.Draw(out, out.Bounds(), image.Black, image.Point{}, draw.Src)
	draw.Draw(out, b.Add(image.Pt(px, py)), img, b.Min, draw.Src)
	return out
}

// whiteFrame puts the image inside a plain white frame 8% of its longer
// side wide, as galleries and print layouts do.
func whiteFrame(img *image.RGBA, _ uint64) *image.RGBA {
	b := img.Bounds()
	f := max(b.Dx(), b.Dy()) * 8 / 100
	out := newRGBA(b.Dx()+2*f, b.Dy()+2*f)
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(out, b.Add(image.Pt(f, f)), img, b.Min, draw.Src)
	return out
}

// onCanvas scales the image to 80% and places it off centre on a plain
// canvas of another shape (square, light gray), as a post or a slide
// does.
func onCanvas(img *image.RGBA, _ uint64) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx()*4/5, b.Dy()*4/5
	side := max(b.Dx(), b.Dy())
	out := newRGBA(side, side)
	draw.Draw(out, out.Bounds(), image.NewUniform(color.Gray{225}), image.Point{}, draw.Src)
	x0, y0 := (side-w)/4, (side-h)/3
	draw.BiLinear.Scale(out, image.Rect(x0, y0, x0+w, y0+h), img, b, draw.Src, nil)
	return out
}

// screenshot is the image shown at 90% size on a white page, off centre,
// inside a 2-pixel light-gray frame: a screenshot of a web page or a
// viewer, saved as PNG.
func screenshot(img *image.RGBA, _ uint64) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx()*9/10, b.Dy()*9/10
	cw, ch := b.Dx()*5/4, b.Dy()*8/5
	out := newRGBA(cw, ch)
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	x0, y0 := cw/12, ch/4
	const frame = 2
	draw.Draw(out, image.Rect(x0-frame, y0-frame, x0+w+frame, y0+h+frame), image.NewUniform(color.Gray{200}), image.Point{}, draw.Src)
	draw.BiLinear.Scale(out, image.Rect(x0, y0, x0+w, y0+h), img, b, draw.Src, nil)
	return out
}

// crop5 cuts 5% of the width and height off every side.
func crop5(img *image.RGBA, _ uint64) *image.RGBA {
	b := img.Bounds()
	dx, dy := b.Dx()/20, b.Dy()/20
	r := image.Rect(b.Min.X+dx, b.Min.Y+dy, b.Max.X-dx, b.Max.Y-dy)
	out := newRGBA(r.Dx(), r.Dy())
	draw.Draw(out, out.Bounds(), img, r.Min, draw.Src)
	return out
}

// rotate4 rotates 4 degrees counter-clockwise about the centre, keeping
// the canvas size; the corners that come into view are black.
func rotate4(img *image.RGBA, _ uint64) *image.RGBA { return rotate(img, 4) }

// rotate8 is rotate4 by 8 degrees.
func rotate8(img *image.RGBA, _ uint64) *image.RGBA { return rotate(img, 8) }

// cropTo returns the part of img inside r (relative to its origin).
func cropTo(img *image.RGBA, r image.Rectangle) *image.RGBA {
	r = r.Add(img.Bounds().Min)
	out := newRGBA(r.Dx(), r.Dy())
	draw.Draw(out, out.Bounds(), img, r.Min, draw.Src)
	return out
}

// crop10 cuts 10% of the width and height off every side.
func crop10(img *image.RGBA, _ uint64) *image.RGBA {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	return cropTo(img, image.Rect(w/10, h/10, w-w/10, h-h/10))
}

// cropAsym cuts a quarter of the width off the left and 8% of the height
// off the top.
func cropAsym(img *image.RGBA, _ uint64) *image.RGBA {
	w, h := img.Bounds().Dx(), img.Bounds().Dy()
	return cropTo(img, image.Rect(w/4, h*8/100, w, h))
}

// mirrorCrop mirrors, then crops 5% of every side.
func mirrorCrop(img *image.RGBA, seed uint64) *image.RGBA { return crop5(mirror(img, seed), seed) }

// captionBands adds a white band above and below, each 15% of the height,
// with black text in it: a meme.
func captionBands(img *image.RGBA, _ uint64) *image.RGBA {
	b := img.Bounds()
	band := b.Dy() * 15 / 100
	out := newRGBA(b.Dx(), b.Dy()+2*band)
	draw.Draw(out, out.Bounds(), image.White, image.Point{}, draw.Src)
	draw.Draw(out, b.Sub(b.Min).Add(image.Pt(0, band)), img, b.Min, draw.Src)
	tw := b.Dx() * 4 / 5
	th := min(band*3/4, tw*13/(7*22))
	ink(out, "WHEN THE BENCHMARK RUNS", image.Rect((b.Dx()-tw)/2, (band-th)/2, (b.Dx()+tw)/2, (band+th)/2), color.Black)
	y := band + b.Dy()
	ink(out, "AND NOTHING MATCHES", image.Rect((b.Dx()-tw)/2, y+(band-th)/2, (b.Dx()+tw)/2, y+(band+th)/2), color.Black)
	return out
}

// banner appends a dark band of 18% of the height below the image, with a
// line of white text: a site's or channel's banner.
func banner(img *image.RGBA, _ uint64) *image.RGBA {
	b := img.Bounds()
	band := b.Dy() * 18 / 100
	out := newRGBA(b.Dx(), b.Dy()+band)
	draw.Draw(out, out.Bounds(), image.NewUniform(color.RGBA{30, 40, 90, 255}), image.Point{}, draw.Src)
	draw.Draw(out, b.Sub(b.Min), img, b.Min, draw.Src)
	tw := b.Dx() * 3 / 5
	th := min(band/2, tw*13/(7*20))
	ink(out, "winnow-benchmark.example", image.Rect(b.Dx()/20, b.Dy()+(band-th)/2, b.Dx()/20+tw, b.Dy()+(band+th)/2), color.White)
	return out
}

// collage makes a 2x2 grid of the image's size: the image, at half size,
// in the top-left tile, and three other generated scenes (from seed) in the
// others.
func collage(img *image.RGBA, seed uint64) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx()/2, b.Dy()/2
	out := newRGBA(2*w, 2*h)
	draw.BiLinear.Scale(out, image.Rect(0, 0, w, h), img, b, draw.Src, nil)
	for i, at := range []image.Point{{w, 0}, {0, h}, {w, h}} {
		other := triagetest.Photo(w, h, seed*4+uint64(i)+1)
		draw.Draw(out, image.Rect(at.X, at.Y, at.X+w, at.Y+h), other, image.Point{}, draw.Src)
	}
	return out
}

// reupload is what a picture goes through when it is saved and posted
// again a few times: saved as JPEG at 75 by a first site, then cropped by
// 3% of every side, scaled to 70%, its saturation raised by 30%, and saved
// by a second site at quality 40 (Encode, from Transforms).
func reupload(img *image.RGBA, _ uint64) *image.RGBA {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 75}); err != nil {
		panic(err) // encoding to memory fails only on a bad image
	}
	dec, err := jpeg.Decode(&buf)
	if err != nil {
		panic(err)
	}
	b := dec.Bounds()
	dx, dy := b.Dx()*3/100, b.Dy()*3/100
	crop := image.Rect(b.Min.X+dx, b.Min.Y+dy, b.Max.X-dx, b.Max.Y-dy)
	out := newRGBA(max(1, crop.Dx()*7/10), max(1, crop.Dy()*7/10))
	draw.BiLinear.Scale(out, out.Bounds(), dec, crop, draw.Src, nil)
	for i := 0; i < len(out.Pix); i += 4 {
		p := out.Pix[i : i+3 : i+3]
		y := 0.299*float64(p[0]) + 0.587*float64(p[1]) + 0.114*float64(p[2])
		for c := range p {
			p[c] = clamp8(y + 1.3*(float64(p[c])-y))
		}
	}
	return out
}

// ink renders text, scaled to fill r, in colour c.
func ink(dst *image.RGBA, text string, r image.Rectangle, c color.Color) {
	mask := image.NewAlpha(image.Rect(0, 0, 7*len(text), 13))
	d := font.Drawer{Dst: mask, Src: image.Opaque, Face: basicfont.Face7x13, Dot: fixed.P(0, 11)}
	d.DrawString(text)
	big := image.NewAlpha(image.Rect(0, 0, r.Dx(), r.Dy()))
	draw.BiLinear.Scale(big, big.Bounds(), mask, mask.Bounds(), draw.Src, nil)
	draw.DrawMask(dst, r, image.NewUniform(c), image.Point{}, big, image.Point{}, draw.Over)
}

// rotate rotates deg degrees counter-clockwise about the centre, keeping
// the canvas size; the corners that come into view are black.
func rotate(img *image.RGBA, deg float64) *image.RGBA {
	b := img.Bounds()
	out := newRGBA(b.Dx(), b.Dy())
	draw.Draw(out, out.Bounds(), image.Black, image.Point{}, draw.Src)
	th := deg * math.Pi / 180
	c, s := math.Cos(th), math.Sin(th)
	cx, cy := float64(b.Dx())/2, float64(b.Dy())/2
	// dst = R * (src - centre) + centre
	m := f64.Aff3{c, s, cx - c*cx - s*cy, -s, c, cy + s*cx - c*cy}
	draw.BiLinear.Transform(out, m, img, b, draw.Over, nil)
	return out
}

// clone copies img into a new RGBA with bounds at the origin.
func clone(img *image.RGBA) *image.RGBA {
	b := img.Bounds()
	out := newRGBA(b.Dx(), b.Dy())
	draw.Draw(out, out.Bounds(), img, b.Min, draw.Src)
	return out
}
