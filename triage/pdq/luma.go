package pdq

import (
	"image"
	"image/color"
)

// BT.601 luma weights, as float32 constants like the reference.
const (
	lumaR = float32(0.299)
	lumaG = float32(0.587)
	lumaB = float32(0.114)
)

// lumaTables holds the float32 products lumaR*v, lumaG*v and lumaB*v for
// every 8-bit v, so that rgbLuma needs no int-to-float conversions or
// multiplications.
var lumaTables = func() (t [3][256]float32) {
	for v := range 256 {
		t[0][v] = lumaR * float32(v)
		t[1][v] = lumaG * float32(v)
		t[2][v] = lumaB * float32(v)
	}
	return t
}()

// rgbLuma returns 0.299*r + 0.587*g + 0.114*b, each product and each sum
// rounded to float32, summed left to right.
func rgbLuma(r, g, b uint8) float32 {
	t := &lumaTables
	return (t[0][r] + t[1][g]) + t[2][b]
}

// ycbcrLuma returns rgbLuma of color.YCbCrToRGB(y, cb, cr). It is the
// same fixed-point arithmetic as color.YCbCrToRGB with the clamping done
// by bit operations instead of branches (which mispredict on noisy
// chroma); the tests check that the two agree on all 2^24 inputs.
func ycbcrLuma(y, cb, cr uint8) float32 {
	yy1 := int32(y) * 0x10101
	cb1 := int32(cb) - 128
	cr1 := int32(cr) - 128
	return rgbLuma(clamp8(yy1+91881*cr1), clamp8(yy1-22554*cb1-46802*cr1), clamp8(yy1+116130*cb1))
}

// clamp8 returns min(max(v, 0), 0xffffff) >> 16 without branches.
func clamp8(v int32) uint8 {
	v &^= v >> 31 // max(v, 0)
	o := v - 0xffffff
	v -= o &^ (o >> 31) // min(v, 0xffffff)
	return uint8(v >> 16)
}

// to8 reduces a 16-bit sample to 8 bits the way ImageMagick does:
// round(v/257).
func to8(v uint16) uint8 {
	return uint8((uint32(v)*2 + 257) / 514)
}

// unpremul8 returns the non-premultiplied 8-bit value of the premultiplied
// 8-bit channel value c with alpha a (rounded, 0 when a is 0).
func unpremul8(c, a uint8) uint8 {
	if a == 0xff {
		return c
	}
	if a == 0 {
		return 0
	}
	v := (uint32(c)*255*2 + uint32(a)) / (2 * uint32(a))
	return uint8(min(v, 255))
}

// unpremul16 returns the non-premultiplied 8-bit value of the premultiplied
// 16-bit channel value c with 16-bit alpha a: round(c*255/a), which is
// round((c*65535/a)/257).
func unpremul16(c, a uint32) uint8 {
	if a == 0xffff {
		return to8(uint16(c))
	}
	if a == 0 {
		return 0
	}
	v := (uint64(c)*255*2 + uint64(a)) / (2 * uint64(a))
	return uint8(min(v, 255))
}

// Luma converts img to the row-major float32 luma buffer used by
// [Hasher.Hash], of length Dx*Dy of img.Bounds(). It reuses dst when its
// capacity is large enough and returns the (possibly new) buffer.
//
// Colour pixels give 0.299*R + 0.587*G + 0.114*B in float32 from 8-bit
// channel values; single-channel gray images (*image.Gray, *image.Gray16,
// color.Gray, color.Gray16) give the gray value itself, as the reference
// does for gray input. Alpha is ignored: the non-premultiplied colour
// channels are used (the stored values of *image.NRGBA and
// *image.NRGBA64; premultiplied values are divided by alpha first, and a
// fully transparent premultiplied pixel is black). 16-bit samples are
// reduced to 8 bits like ImageMagick, round(v/257). *image.YCbCr pixels
// are converted exactly as [color.YCbCrToRGB] does (with the chroma sample
// that (*image.YCbCr).At uses), and *image.CMYK pixels with
// [color.CMYKToRGB].
//
// *image.YCbCr (every subsample ratio), *image.RGBA, *image.NRGBA,
// *image.RGBA64, *image.NRGBA64, *image.Gray, *image.Gray16,
// *image.Paletted and *image.CMYK are converted directly from their pixel
// arrays; other images go through At. Palette indices outside the palette
// give 0.
func Luma(img image.Image, dst []float32) []float32 {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	dst = grow(dst, w*h)
	if w == 0 || h == 0 {
		return dst
	}
	switch m := img.(type) {
	case *image.YCbCr:
		lumaYCbCr(m, b, dst)
	case *image.RGBA:
		for y := 0; y < h; y++ {
			p := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			d := dst[y*w:][:w]
			for x := range d {
				s := p[4*x : 4*x+4 : 4*x+4]
				if a := s[3]; a == 0xff {
					d[x] = rgbLuma(s[0], s[1], s[2])
				} else {
					d[x] = rgbLuma(unpremul8(s[0], a), unpremul8(s[1], a), unpremul8(s[2], a))
				}
			}
		}
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			p := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			d := dst[y*w:][:w]
			for x := range d {
				s := p[4*x : 4*x+3 : 4*x+3]
				d[x] = rgbLuma(s[0], s[1], s[2])
			}
		}
	case *image.RGBA64:
		for y := 0; y < h; y++ {
			p := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:8*w]
			d := dst[y*w:][:w]
			for x := range d {
				s := p[8*x : 8*x+8 : 8*x+8]
				a := uint32(s[6])<<8 | uint32(s[7])
				d[x] = rgbLuma(
					unpremul16(uint32(s[0])<<8|uint32(s[1]), a),
					unpremul16(uint32(s[2])<<8|uint32(s[3]), a),
					unpremul16(uint32(s[4])<<8|uint32(s[5]), a))
			}
		}
	case *image.NRGBA64:
		for y := 0; y < h; y++ {
			p := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:8*w]
			d := dst[y*w:][:w]
			for x := range d {
				s := p[8*x : 8*x+6 : 8*x+6]
				d[x] = rgbLuma(
					to8(uint16(s[0])<<8|uint16(s[1])),
					to8(uint16(s[2])<<8|uint16(s[3])),
					to8(uint16(s[4])<<8|uint16(s[5])))
			}
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			p := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			d := dst[y*w:][:w]
			for x, v := range p {
				d[x] = float32(v)
			}
		}
	case *image.Gray16:
		for y := 0; y < h; y++ {
			p := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:2*w]
			d := dst[y*w:][:w]
			for x := range d {
				d[x] = float32(to8(uint16(p[2*x])<<8 | uint16(p[2*x+1])))
			}
		}
	case *image.Paletted:
		var table [256]float32
		for i, c := range m.Palette {
			if i == len(table) {
				break
			}
			table[i] = colorLuma(c)
		}
		for y := 0; y < h; y++ {
			p := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:w]
			d := dst[y*w:][:w]
			for x, v := range p {
				d[x] = table[v]
			}
		}
	case *image.CMYK:
		for y := 0; y < h; y++ {
			p := m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
			d := dst[y*w:][:w]
			for x := range d {
				s := p[4*x : 4*x+4 : 4*x+4]
				d[x] = rgbLuma(color.CMYKToRGB(s[0], s[1], s[2], s[3]))
			}
		}
	default:
		for y := 0; y < h; y++ {
			d := dst[y*w:][:w]
			for x := range d {
				d[x] = colorLuma(img.At(b.Min.X+x, b.Min.Y+y))
			}
		}
	}
	return dst
}

// lumaYCbCr fills dst from m over the rectangle b (m's bounds), using for
// each pixel the chroma sample that (*image.YCbCr).At uses.
func lumaYCbCr(m *image.YCbCr, b image.Rectangle, dst []float32) {
	w := b.Dx()
	// Horizontal chroma subsampling as a shift; the vertical subsampling
	// is handled by COffset for the first pixel of each row.
	var s uint
	switch m.SubsampleRatio {
	case image.YCbCrSubsampleRatio422, image.YCbCrSubsampleRatio420:
		s = 1
	case image.YCbCrSubsampleRatio411, image.YCbCrSubsampleRatio410:
		s = 2
	}
	x0 := b.Min.X
	if x0 < 0 && s > 0 {
		// COffset divides with truncation toward zero, which is not a
		// shift for negative x; use it per pixel in this rare case.
		for y := b.Min.Y; y < b.Max.Y; y++ {
			d := dst[(y-b.Min.Y)*w:][:w]
			for x := range d {
				yi, ci := m.YOffset(x0+x, y), m.COffset(x0+x, y)
				d[x] = ycbcrLuma(m.Y[yi], m.Cb[ci], m.Cr[ci])
			}
		}
		return
	}
	base := x0 >> s
	n := (x0+w-1)>>s - base + 1 // chroma samples per row
	for y := b.Min.Y; y < b.Max.Y; y++ {
		yr := m.Y[m.YOffset(x0, y):][:w]
		c0 := m.COffset(x0, y)
		cb := m.Cb[c0:][:n]
		cr := m.Cr[c0:][:n]
		d := dst[(y-b.Min.Y)*w:][:w]
		for x, yv := range yr {
			ci := (x0+x)>>s - base
			// Same arithmetic as ycbcrLuma, written out so that it is
			// inlined.
			yy1 := int32(yv) * 0x10101
			cb1 := int32(cb[ci]) - 128
			cr1 := int32(cr[ci]) - 128
			d[x] = rgbLuma(clamp8(yy1+91881*cr1), clamp8(yy1-22554*cb1-46802*cr1), clamp8(yy1+116130*cb1))
		}
	}
}

// colorLuma returns the luma of a single colour, with the conventions of
// Luma.
func colorLuma(c color.Color) float32 {
	switch c := c.(type) {
	case nil:
		return 0
	case color.Gray:
		return float32(c.Y)
	case color.Gray16:
		return float32(to8(c.Y))
	case color.RGBA:
		return rgbLuma(unpremul8(c.R, c.A), unpremul8(c.G, c.A), unpremul8(c.B, c.A))
	case color.NRGBA:
		return rgbLuma(c.R, c.G, c.B)
	case color.NRGBA64:
		return rgbLuma(to8(c.R), to8(c.G), to8(c.B))
	case color.YCbCr:
		return rgbLuma(color.YCbCrToRGB(c.Y, c.Cb, c.Cr))
	case color.NYCbCrA:
		return rgbLuma(color.YCbCrToRGB(c.Y, c.Cb, c.Cr))
	case color.CMYK:
		return rgbLuma(color.CMYKToRGB(c.C, c.M, c.Y, c.K))
	}
	r, g, b, a := c.RGBA()
	return rgbLuma(unpremul16(r, a), unpremul16(g, a), unpremul16(b, a))
}

// LumaFromRGB converts interleaved 8-bit RGB pixels (3 bytes per pixel,
// w pixels per row, rows stride bytes apart) to a row-major w*h luma
// buffer, 0.299*R + 0.587*G + 0.114*B in float32. It reuses dst when its
// capacity is large enough. It returns nil if w or h is negative, stride
// is less than 3*w, or pix is too short.
func LumaFromRGB(pix []byte, w, h, stride int, dst []float32) []float32 {
	if w < 0 || h < 0 || stride < 3*w {
		return nil
	}
	if w == 0 || h == 0 {
		return grow(dst, 0)
	}
	if (len(pix)-3*w)/stride < h-1 || len(pix) < 3*w {
		return nil
	}
	dst = grow(dst, w*h)
	for y := 0; y < h; y++ {
		d := dst[y*w:][:w]
		// With AVX2, the first pixels 8 at a time (their loads may read
		// into the next row, never beyond pix), the rest here.
		k := lumaRowVec(d, pix[y*stride:])
		p := pix[y*stride:][:3*w]
		for x := k; x < w; x++ {
			s := p[3*x : 3*x+3 : 3*x+3]
			d[x] = rgbLuma(s[0], s[1], s[2])
		}
	}
	return dst
}

// LumaFromGray converts 8-bit gray pixels (w per row, rows stride bytes
// apart) to a row-major w*h luma buffer holding the gray values, as the
// reference does for single-channel input. It reuses dst when its
// capacity is large enough. It returns nil if w or h is negative, stride
// is less than w, or pix is too short.
func LumaFromGray(pix []byte, w, h, stride int, dst []float32) []float32 {
	if w < 0 || h < 0 || stride < w {
		return nil
	}
	if w == 0 || h == 0 {
		return grow(dst, 0)
	}
	if len(pix) < w || (len(pix)-w)/max(stride, 1) < h-1 {
		return nil
	}
	dst = grow(dst, w*h)
	for y := 0; y < h; y++ {
		p := pix[y*stride:][:w]
		d := dst[y*w:][:w]
		for x, v := range p {
			d[x] = float32(v)
		}
	}
	return dst
}
