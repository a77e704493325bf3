package hashing

import (
	"image"
	"strconv"

	"golang.org/x/image/draw"

	"github.com/winnow-forensics/winnow/triage"
)

// Orient returns img turned upright by its EXIF orientation o (1-8, as
// exiftool -n prints the Orientation tag): rotated and mirrored so that
// it shows as a camera's viewer shows it. Orientation 1, and any value
// outside 2-8, returns img as it is. A *image.Gray stays gray; anything
// else becomes RGBA.
func Orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	// src maps a pixel of the upright output to the stored image.
	src := func(x, y int) (int, int) {
		switch o {
		case 2:
			return w - 1 - x, y
		case 3:
			return w - 1 - x, h - 1 - y
		case 4:
			return x, h - 1 - y
		case 5:
			return y, x
		case 6:
			return y, h - 1 - x
		case 7:
			return w - 1 - y, h - 1 - x
		}
		return w - 1 - y, x // 8
	}
	if g, ok := img.(*image.Gray); ok {
		out := image.NewGray(image.Rect(0, 0, ow, oh))
		for y := range oh {
			for x := range ow {
				sx, sy := src(x, y)
				out.Pix[y*out.Stride+x] = g.Pix[g.PixOffset(b.Min.X+sx, b.Min.Y+sy)]
			}
		}
		return out
	}
	out := image.NewRGBA(image.Rect(0, 0, ow, oh))
	for y := range oh {
		for x := range ow {
			sx, sy := src(x, y)
			out.Set(x, y, img.At(b.Min.X+sx, b.Min.Y+sy))
		}
	}
	return out
}

// ViewOrientation is the EXIF orientation (1-8) to apply to an image of
// type mt for viewing, from its EXIF Orientation value: none for the HEIF
// family (HEIC, HEIF, AVIF), whose decoder already applied the file's own
// irot/imir transforms and, as libheif does, leaves EXIF Orientation alone
// (applying it again would turn an iPhone photo twice).
func ViewOrientation(mt triage.MediaType, exifOrientation string) int {
	switch mt.MIME {
	case triage.MIMEHEIC, triage.MIMEHEIF, triage.MIMEAVIF:
		return 1
	}
	o, _ := strconv.Atoi(exifOrientation)
	return o
}

// Downscale returns img reduced so that its longer side is at most side
// pixels, keeping the aspect ratio (bilinear); a smaller image is
// returned as it is.
func Downscale(img image.Image, side int) image.Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if max(w, h) <= side {
		return img
	}
	tw, th := side, max(1, h*side/w)
	if h > w {
		tw, th = max(1, w*side/h), side
	}
	out := image.NewRGBA(image.Rect(0, 0, tw, th))
	draw.ApproxBiLinear.Scale(out, out.Bounds(), img, b, draw.Src, nil)
	return out
}
