package hashing

import (
	"context"
	"image"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/pdq"
)

// Decoder decodes a family of media the built-in decoders do not (HEIC,
// AVIF). Decoders read untrusted input: they must bound it by the Limits
// they are given, and run a library that is not memory-safe isolated (a
// child process, WebAssembly), handing it the content by pipe, memfd or
// stdin, never through a temporary file. A Decoder is registered once, in
// Options.Decoders, by the one function in cmd that lists them, and then
// serves winnow scan, winnow hash, hashset build and the lab worker.
type Decoder interface {
	// Name names the decoder in Fingerprint.Decoder ("libheif 1.15").
	Name() string
	// Accepts reports whether the decoder decodes media of sniffed type mt.
	Accepts(mt triage.MediaType) bool
}

// StillDecoder is a Decoder of still images.
type StillDecoder interface {
	Decoder
	// DecodeStill decodes the image file b (the whole file). It checks the
	// dimensions the file declares against lim.MaxPixels before it
	// allocates pixels, and returns an error with a code (EINVALID for a
	// damaged file, ETOOLARGE for one over a limit, EUNAVAILABLE when the
	// decoder itself is missing or failed) that becomes the item's error.
	DecodeStill(ctx context.Context, b []byte, lim Limits) (image.Image, error)
}

// still returns the registered still decoder of type mt, or nil.
func (h *Hasher) still(mt triage.MediaType) StillDecoder {
	for _, d := range h.decoders {
		if sd, ok := d.(StillDecoder); ok && sd.Accepts(mt) {
			return sd
		}
	}
	return nil
}

// decodeStill decodes b with d into a luma raster, counting its pixels
// against the decode budget.
func (h *Hasher) decodeStill(ctx context.Context, d StillDecoder, b []byte, s *scratch) (raster, int64, error) {
	img, err := d.DecodeStill(ctx, b, h.lim)
	if err != nil {
		return raster{}, 0, err
	}
	bd := img.Bounds()
	if err := h.lim.checkDims(bd.Dx(), bd.Dy()); err != nil {
		return raster{}, 0, err
	}
	n, err := h.mem.Acquire(ctx, int64(bd.Dx())*int64(bd.Dy())*4)
	if err != nil {
		return raster{}, 0, err
	}
	s.luma = pdq.Luma(img, s.luma)
	return raster{luma: s.luma, w: bd.Dx(), h: bd.Dy(), srcW: bd.Dx(), srcH: bd.Dy(), decoder: d.Name()}, n, nil
}
