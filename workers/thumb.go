package workers

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"

	"github.com/winnow-forensics/winnow/triage"
)

// ThumbSize is the longer side of a thumbnail, in pixels.
const ThumbSize = 256

// thumbnail decodes an image with the hashing engine's bounded decoder and
// returns a small JPEG of it.
func thumbnail(ctx context.Context, h *triage.Hasher, b []byte) ([]byte, error) {
	img, release, err := h.DecodeImage(ctx, b)
	if err != nil {
		return nil, err
	}
	defer release()
	small := shrink(img, ThumbSize)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, small, &jpeg.Options{Quality: 80}); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// shrink box-filters img so that its longer side is at most limit.
func shrink(img image.Image, limit int) *image.RGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	tw, th := w, h
	if w >= h && w > limit {
		tw, th = limit, (h*limit+w/2)/w
	} else if h > w && h > limit {
		tw, th = (w*limit+h/2)/h, limit
	}
	tw, th = max(tw, 1), max(th, 1)
	out := image.NewRGBA(image.Rect(0, 0, tw, th))
	for ty := 0; ty < th; ty++ {
		y0, y1 := b.Min.Y+ty*h/th, b.Min.Y+(ty+1)*h/th
		if y1 == y0 {
			y1 = y0 + 1
		}
		for tx := 0; tx < tw; tx++ {
			x0, x1 := b.Min.X+tx*w/tw, b.Min.X+(tx+1)*w/tw
			if x1 == x0 {
				x1 = x0 + 1
			}
			// Sample at most 4x4 points per output pixel: thumbnails need
			// no more, and it bounds the cost on huge images.
			var r, g, bl, n uint32
			sy, sx := max((y1-y0)/4, 1), max((x1-x0)/4, 1)
			for y := y0; y < y1; y += sy {
				for x := x0; x < x1; x += sx {
					cr, cg, cb, _ := img.At(x, y).RGBA()
					r, g, bl, n = r+cr>>8, g+cg>>8, bl+cb>>8, n+1
				}
			}
			i := out.PixOffset(tx, ty)
			out.Pix[i], out.Pix[i+1], out.Pix[i+2], out.Pix[i+3] = uint8(r/n), uint8(g/n), uint8(bl/n), 255
		}
	}
	return out
}
