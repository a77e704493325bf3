package triage

import "image"

// thumbGray box-averages a w x h luma plane to a grayscale thumbnail whose
// longer side is at most side pixels, keeping the aspect ratio (a plane
// already that small is copied as it is). Each output pixel is the mean of
// the input pixels that scale into it.
func thumbGray(luma []float32, w, h, side int) *image.Gray {
	tw, th := w, h
	if max(w, h) > side {
		if w >= h {
			tw, th = side, max(1, (h*side+w/2)/w)
		} else {
			tw, th = max(1, (w*side+h/2)/h), side
		}
	}
	img := image.NewGray(image.Rect(0, 0, tw, th))
	x0 := make([]int, tw+1) // the input columns of output column x: x0[x] to x0[x+1]
	for x := range x0 {
		x0[x] = x * w / tw
	}
	sums := make([]float32, tw)
	for y := range th {
		ya, yb := y*h/th, (y+1)*h/th
		clear(sums)
		for j := ya; j < yb; j++ {
			row := luma[j*w : (j+1)*w]
			for x := range tw {
				var s float32
				for _, v := range row[x0[x]:x0[x+1]] {
					s += v
				}
				sums[x] += s
			}
		}
		out := img.Pix[y*img.Stride : y*img.Stride+tw]
		for x := range tw {
			v := sums[x]/float32((yb-ya)*(x0[x+1]-x0[x])) + 0.5
			out[x] = uint8(min(255, max(0, v)))
		}
	}
	return img
}
