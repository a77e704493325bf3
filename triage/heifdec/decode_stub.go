//go:build !libheif || !cgo

package heifdec

// Available reports whether this build decodes HEIF and AVIF (libheif).
const Available = false

// Version is the libheif version linked in: none in this build.
var Version = ""

func decodeRGB([]byte, int, int64, int) (int, int, []byte, error) {
	return 0, 0, nil, errNotBuilt
}

type libError struct{}

func (e *libError) Error() string     { return "" }
func (e *libError) memoryError() bool { return false }
