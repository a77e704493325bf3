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
	// Output column x is the mean of input columns x0[x] to x0[x+1]-1
	// (those with i*tw/w == x), summed as one run per row read.
	x0 := make([]int, tw+1)
	for x := range x0 {
		x0[x] = (x*w + tw - 1) / tw
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
			row := luma[j*w : (j+1)*w]
			for x := range tw {
				var s0, s1 float32 // two chains of additions, twice as fast as one
				run := row[x0[x]:x0[x+1]]
				for len(run) >= 2 {
					s0 += run[0]
					s1 += run[1]
					run = run[2:]
				}
				if len(run) == 1 {
					s0 += run[0]
				}
				sums[x] += s0 + s1
			}
		}
		out := img.Pix[y*img.Stride : y*img.Stride+tw]
		n := float32(nr)
		for x := range tw {
			v := sums[x]/(float32(x0[x+1]-x0[x])*n) + 0.5
			out[x] = uint8(min(255, max(0, v)))
		}
	}
	return img
}
