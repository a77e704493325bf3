package pdq

// lumaRowVec sets d[x] to rgbLuma of the pixel at p[3x:3x+3] for x from 0
// up to the largest multiple of 8 whose pixels' 32-byte loads stay within
// p (each block of 8 pixels is read as 32 bytes), with AVX2, and returns
// how many it set: 0 without AVX2. Each value is rgbLuma's to the bit:
// the 8-bit channels converted to float32 and multiplied by the same
// constants give lumaTables' products, added in the same order.
func lumaRowVec(d []float32, p []byte) int {
	n := min(len(d), (len(p)-8)/3) &^ 7
	if !vector || n <= 0 {
		return 0
	}
	lumaRowAVX2(&d[0], &p[0], n)
	return n
}

// lumaRowAVX2 is lumaRowVec's loop over n pixels (a multiple of 8, at
// least 8), reading 3n+8 bytes.
//
//go:noescape
func lumaRowAVX2(d *float32, p *byte, n int)
