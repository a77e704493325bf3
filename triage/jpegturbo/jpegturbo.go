// Package jpegturbo decodes JPEG images with libjpeg-turbo through its
// TurboJPEG C API.
//
// The real decoder is compiled only with the build tag "turbojpeg" and cgo
// enabled (it links against -lturbojpeg, e.g. Debian's libturbojpeg0-dev).
// Without the tag, or with CGO_ENABLED=0, the package still builds: Available
// is false and Decode and DecodeHeader return ErrUnavailable, so callers can
// fall back to image/jpeg.
//
// Compared with image/jpeg the decoder is faster and can use the JPEG DCT
// scaling (1/8 .. 1) to decode a reduced-size image directly (Options.MinSide),
// which is much cheaper than decoding at full size and resizing.
//
// # Robustness
//
// Decode is meant for hostile input (seized media). It never panics on bad
// data and never aborts the process: libjpeg errors are turned into Go errors.
// The source dimensions are read from the header and checked against
// Options.MaxPixels before any pixel buffer is allocated, and the number of
// progressive scans is bounded (TJFLAG_LIMITSCANS, at most 500 scans).
//
// # Warnings (truncated or slightly corrupt files)
//
// Truncated camera JPEGs (carved or partially overwritten files) are common
// in seizures. libjpeg-turbo decodes such files and pads the missing part of
// the image (typically flat gray); it signals this as a non-fatal warning
// (tjGetErrorCode == TJERR_WARNING). Decode returns the image with a nil error
// in that case and records the libjpeg message in Image.Warning, so callers
// can keep the (partial) image and still flag the file. Fatal errors return
// a non-nil error and no image. (TurboJPEG 2.1 also reports TJERR_WARNING
// when a fatal error follows a warning; such results are recognised by their
// message and returned as errors, since the raster may be incomplete.)
//
// Each call uses a fresh TurboJPEG handle (about 1µs): libjpeg keeps
// quantization and Huffman tables in a handle between images, so reused
// handles would make the decoding of a broken file depend on the file
// decoded before it.
//
// # CMYK and YCCK
//
// Four-component (Adobe CMYK/YCCK) JPEGs are decoded to CMYK by libjpeg-turbo
// and converted to RGB (or gray) in Go exactly as image/jpeg does: the
// Adobe-inverted samples are un-inverted and converted with the
// color.CMYKToRGB formula (gray with the color.GrayModel formula applied to the
// 16-bit color.CMYK RGBA values). Unlike image/jpeg, four-component files
// without an Adobe APP14 marker are accepted and treated the same way
// (libjpeg assumes CMYK for them).
package jpegturbo

import (
	"errors"
	"fmt"
)

// ErrUnavailable is returned by Decode and DecodeHeader when the package was
// built without libjpeg-turbo.
var ErrUnavailable = errors.New("jpegturbo: built without libjpeg-turbo (build with -tags turbojpeg)")

// ErrTooLarge is wrapped by the error returned when the source image has more
// pixels than allowed by Options.MaxPixels. It is detected from the JPEG
// header, before any pixel buffer is allocated.
var ErrTooLarge = errors.New("jpegturbo: image too large")

// DefaultMaxPixels is the source pixel limit used when Options.MaxPixels is 0
// (256 Mpx, e.g. 16384x16384; a full-size RGB raster of that size needs
// 768 MiB). It exists so that a zero Options value cannot be made to allocate
// the 12.9 GB a 65535x65535 header would require.
const DefaultMaxPixels int64 = 1 << 28

// Header describes a JPEG image as reported by tjDecompressHeader3.
type Header struct {
	// Width and Height are the dimensions of the full-size image in pixels.
	Width, Height int
	// Subsampling is the chrominance subsampling: "4:4:4", "4:2:2",
	// "4:2:0", "4:4:0", "4:1:1", "gray" or "unknown".
	Subsampling string
	// Colorspace is the JPEG colorspace: "RGB", "YCbCr", "gray", "CMYK",
	// "YCCK" or "unknown".
	Colorspace string
}

// Format is the pixel layout of a decoded raster.
type Format int

const (
	// Gray is 8-bit luminance, 1 byte per pixel.
	Gray Format = iota
	// RGB is 8-bit interleaved R, G, B, 3 bytes per pixel.
	RGB
)

// String returns "Gray", "RGB" or "Format(n)".
func (f Format) String() string {
	switch f {
	case Gray:
		return "Gray"
	case RGB:
		return "RGB"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// BytesPerPixel returns the number of bytes per pixel of f (0 if f is not a
// valid Format).
func (f Format) BytesPerPixel() int {
	switch f {
	case Gray:
		return 1
	case RGB:
		return 3
	}
	return 0
}

// Image is a decoded raster. Pix is ordinary Go memory.
type Image struct {
	// Width and Height are the dimensions of the (possibly scaled) image.
	Width, Height int
	// Stride is the number of bytes between the starts of consecutive rows
	// (always Width*Format.BytesPerPixel()).
	Stride int
	// Format is the pixel layout of Pix.
	Format Format
	// Pix holds Height rows of Stride bytes.
	Pix []byte
	// Warning is non-empty when libjpeg-turbo reported a non-fatal problem
	// (e.g. "Premature end of JPEG file" for a truncated file): the image
	// was decoded but parts of it may be missing or corrupt.
	Warning string
}

// Options controls Decode.
type Options struct {
	// Format is the output pixel format (Gray or RGB).
	Format Format
	// MinSide selects DCT scaling: Decode uses the smallest scaling factor
	// among 1/8, 1/4, 3/8, 1/2, 5/8, 3/4, 7/8 and 1 such that the scaled
	// min(width, height) is still >= MinSide. Scaled dimensions are
	// ceil(dim*num/denom). 0 (or a MinSide larger than the image) means
	// full size.
	MinSide int
	// MaxPixels makes Decode fail (wrapping ErrTooLarge) when the source
	// width*height exceeds it. It is checked from the header before any
	// pixel buffer is allocated. 0 means DefaultMaxPixels; a negative value
	// disables the check.
	MaxPixels int64
	// Fast selects the fast integer IDCT and non-smooth chroma upsampling
	// (TJFLAG_FASTDCT | TJFLAG_FASTUPSAMPLE) instead of the accurate ones.
	Fast bool
}

func (o Options) maxPixels() int64 {
	if o.MaxPixels == 0 {
		return DefaultMaxPixels
	}
	return o.MaxPixels
}
