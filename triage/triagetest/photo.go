// Package triagetest holds test support shared by Winnow's packages:
// generators of benign, photo-like images, so tests and benchmarks need no
// stored media beyond the small reference set.
package triagetest

import (
	"bytes"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
)

// Photo returns a w x h camera-like image: a sky-to-ground gradient, smooth
// low-frequency colour fields, soft-edged shapes at several scales, fine
// texture and sensor noise. The same seed gives the same pixels. The content
// is abstract and benign by construction.
func Photo(w, h int, seed uint64) *image.RGBA {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	img := image.NewRGBA(image.Rect(0, 0, w, h))

	type wave struct{ fx, fy, ph, amp float64 }
	var waves [3][4]wave
	for c := range waves {
		for i := range waves[c] {
			waves[c][i] = wave{
				fx:  (rng.Float64()*4 + 0.5) * 2 * math.Pi / float64(w),
				fy:  (rng.Float64()*4 + 0.5) * 2 * math.Pi / float64(h),
				ph:  rng.Float64() * 2 * math.Pi,
				amp: 18 + rng.Float64()*22,
			}
		}
	}
	type blob struct {
		cx, cy, rx, ry float64
		col            [3]float64
		alpha          float64
	}
	blobs := make([]blob, 24)
	for i := range blobs {
		scale := math.Pow(0.6, float64(i%6))
		blobs[i] = blob{
			cx: rng.Float64() * float64(w), cy: rng.Float64() * float64(h),
			rx:    (0.05 + rng.Float64()*0.25) * float64(w) * scale,
			ry:    (0.05 + rng.Float64()*0.25) * float64(h) * scale,
			col:   [3]float64{rng.Float64() * 255, rng.Float64() * 255, rng.Float64() * 255},
			alpha: 0.4 + rng.Float64()*0.5,
		}
	}
	base := [2][3]float64{
		{90 + rng.Float64()*100, 110 + rng.Float64()*100, 150 + rng.Float64()*100},
		{40 + rng.Float64()*80, 50 + rng.Float64()*80, 30 + rng.Float64()*60},
	}
	horizon := 0.35 + rng.Float64()*0.3
	texF := 2 * math.Pi / (3 + rng.Float64()*5)

	// Precompute per-row and per-column wave terms so the inner loop is cheap.
	colT := make([][3]float64, w)
	rowT := make([][3]float64, h)
	for c := 0; c < 3; c++ {
		for x := 0; x < w; x++ {
			for _, wv := range waves[c][:2] {
				colT[x][c] += wv.amp * math.Sin(wv.fx*float64(x)+wv.ph)
			}
		}
		for y := 0; y < h; y++ {
			for _, wv := range waves[c][2:] {
				rowT[y][c] += wv.amp * math.Sin(wv.fy*float64(y)+wv.ph)
			}
		}
	}
	noise := rand.New(rand.NewPCG(seed+1, seed+2))
	for y := 0; y < h; y++ {
		t := float64(y)/float64(h) - horizon
		g := 1 / (1 + math.Exp(-t*12)) // soft horizon
		row := img.Pix[y*img.Stride : y*img.Stride+4*w]
		tex := 14 * math.Sin(texF*float64(y))
		for x := 0; x < w; x++ {
			var px [3]float64
			for c := 0; c < 3; c++ {
				px[c] = base[0][c]*(1-g) + base[1][c]*g + colT[x][c] + rowT[y][c]
			}
			tx := tex * math.Sin(texF*float64(x)*0.7+3*math.Sin(float64(y)*0.01)) * g
			for i := range blobs {
				b := &blobs[i]
				dx, dy := (float64(x)-b.cx)/b.rx, (float64(y)-b.cy)/b.ry
				d := dx*dx + dy*dy
				if d >= 1.3 {
					continue
				}
				a := b.alpha
				if d > 0.9 {
					a *= (1.3 - d) / 0.4 // soft edge
				}
				for c := 0; c < 3; c++ {
					px[c] = px[c]*(1-a) + b.col[c]*a
				}
			}
			n := noise.NormFloat64() * 4
			for c := 0; c < 3; c++ {
				v := px[c] + tx + n
				row[4*x+c] = uint8(math.Max(0, math.Min(255, v)))
			}
			row[4*x+3] = 255
		}
	}
	return img
}

// PhotoJPEG encodes Photo(w, h, seed) as a baseline 4:2:0 JPEG, as cameras
// write them.
func PhotoJPEG(w, h int, seed uint64, quality int) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, Photo(w, h, seed), &jpeg.Options{Quality: quality}); err != nil {
		panic(err) // writing to a bytes.Buffer cannot fail
	}
	return buf.Bytes()
}
