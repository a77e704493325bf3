package hashing

import "image"

// thumbGray box-averages a w x h luma plane to a grayscale thumbnail whose
// longer side is at most side pixels, keeping the aspect ratio (a plane
// already that small is copied as it is). Each output pixel is the mean of
// the input pixels that scale into it, with rows sampled: at most two
// input rows per output row are read (a thumbnail of a 12 MP plane reads
// under 2% of it), which is plenty for a 128-pixel preview.
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
	col := make([]int32, w) // output column of each input column
	width := make([]float32, tw)
	for x := range w {
		col[x] = int32(x * tw / w)
		width[col[x]]++
	}
	sums := make([]float32, tw)
	for y := range th {
		ya, yb := y*h/th, (y+1)*h/th
		rows, nr := [2]int{ya, ya + 1}, 1
		switch {
		case yb-ya >= 4:
			rows, nr = [2]int{ya + (yb-ya)/4, ya + 3*(yb-ya)/4}, 2
		case yb-ya >= 2:
			nr = 2
		}
		clear(sums)
		for _, j := range rows[:nr] {
			for x, v := range luma[j*w : (j+1)*w] {
				sums[col[x]] += v
			}
		}
		out := img.Pix[y*img.Stride : y*img.Stride+tw]
		n := float32(nr)
		for x := range tw {
			v := sums[x]/(width[x]*n) + 0.5
			out[x] = uint8(min(255, max(0, v)))
		}
	}
	return img
}
