//go:build !turbojpeg || !cgo

package jpegturbo

// Available reports whether this build has the libjpeg-turbo decoder.
const Available = false

// Version describes the decoder backing this build ("" when unavailable).
const Version = ""

// DecodeHeader returns ErrUnavailable in builds without libjpeg-turbo.
func DecodeHeader(data []byte) (Header, error) {
	return Header{}, ErrUnavailable
}

// Decode returns ErrUnavailable in builds without libjpeg-turbo.
func Decode(data []byte, opt Options, dst []byte) (Image, error) {
	return Image{}, ErrUnavailable
}
