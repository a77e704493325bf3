//go:build !amd64

package pdq

// lumaRowVec is the vector path of LumaFromRGB's rows, which only amd64
// has: here it converts no pixel and leaves them all to the Go loop.
func lumaRowVec(d []float32, p []byte) int { return 0 }
