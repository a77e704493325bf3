// Package heifdec decodes HEIC, HEIF and AVIF stills with libheif (cgo,
// Debian's libheif 1.15 with libde265 and dav1d) in sandboxed child
// processes.
//
// A file goes through two gates before any C code sees it: heif.Parse
// checks its box structure and declared sizes against the pixel budget in
// the calling process, and then a sandbox.Pool child (memory, CPU and
// wall-clock limits; see package sandbox) decodes it. The pixels come back
// as 8-bit RGB over a pipe. libheif applies irot, imir and clap; EXIF
// Orientation is left alone, as libheif does (callers that want it use the
// dihedral hashes).
//
// Builds without the libheif build tag (or without cgo) have no decoder:
// Available is false and Decode returns an ErrUnsupported error naming the
// build tag. The box check and EXIF reading (package heif) work in every
// build.
package heifdec

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/heif"
	"github.com/winnow-forensics/winnow/triage/sandbox"
)

// HandlerName is the sandbox handler that decodes in a child: register
// Handler under it in sandbox.Main.
const HandlerName = "heif"

var errNotBuilt = fmt.Errorf("this build has no HEIF/AVIF decoder (build with -tags libheif and Debian's libheif-dev): %w", sandbox.ErrUnsupported)

// reqHeader and respHeader are the sizes of the job's framing: the pixel
// limit before the file; the size before the pixels.
const (
	reqHeader  = 8
	respHeader = 8
)

// maxSide bounds either side of an image libheif will decode (its own
// check, on top of the pixel budget): 64K, the most ispe can declare in
// practice and what libjpeg-turbo also allows.
const maxSide = 65535

// Handler decodes one job in a sandbox child: the pixel limit (8 bytes,
// big-endian) followed by the file; it answers the width and height (4
// bytes each) followed by the RGB pixels.
func Handler(req []byte) ([]byte, error) {
	if !Available {
		return nil, errNotBuilt
	}
	if len(req) < reqHeader {
		return nil, errors.New("short request")
	}
	maxPixels := int64(binary.BigEndian.Uint64(req))
	w, h, out, err := decodeRGB(req[reqHeader:], maxSide, maxPixels, respHeader)
	var le *libError
	if errors.As(err, &le) && le.memoryError() {
		return nil, fmt.Errorf("%w: %w", err, sandbox.ErrTooLarge)
	}
	if err != nil {
		return nil, err
	}
	binary.BigEndian.PutUint32(out, uint32(w))
	binary.BigEndian.PutUint32(out[4:], uint32(h))
	return out, nil
}

// Decoder decodes HEIF and AVIF files in a sandbox pool.
type Decoder struct {
	pool *sandbox.Pool
}

// New returns a Decoder whose jobs run in pool; the pool's binary must
// register Handler under HandlerName.
func New(pool *sandbox.Pool) *Decoder { return &Decoder{pool: pool} }

// Decode checks and decodes the whole HEIF or AVIF file b. The image is
// the primary item after irot/imir/clap, alpha dropped, converted to 8-bit
// RGB (in an *image.NRGBA, opaque). info is the box check's view of the
// file, returned whenever the check passed (for EXIF and dimensions even
// when decoding then fails). Errors wrap heif.ErrInvalid, heif.ErrTooLarge
// or heif.ErrUnsupported from the check, or one of sandbox's errors from
// the decode.
func (d *Decoder) Decode(ctx context.Context, b []byte, lim heif.Limits) (img *image.NRGBA, info *heif.Image, err error) {
	info, err = heif.Parse(b, lim)
	if err != nil {
		return nil, nil, err
	}
	if !Available {
		return nil, info, errNotBuilt
	}
	maxPixels := lim.MaxPixels
	if maxPixels <= 0 {
		maxPixels = heif.DefaultLimits.MaxPixels
	}
	req := make([]byte, reqHeader+len(b))
	binary.BigEndian.PutUint64(req, uint64(maxPixels))
	copy(req[reqHeader:], b)
	out, err := d.pool.Run(ctx, HandlerName, req)
	if err != nil {
		return nil, info, err
	}
	if len(out) < respHeader {
		return nil, info, &sandbox.Error{Kind: sandbox.ErrCrashed, Msg: "decoder answered without a size"}
	}
	w, h := int(binary.BigEndian.Uint32(out)), int(binary.BigEndian.Uint32(out[4:]))
	if w <= 0 || h <= 0 || int64(w)*int64(h) > maxPixels || len(out)-respHeader != 3*w*h {
		return nil, info, &sandbox.Error{Kind: sandbox.ErrCrashed, Msg: fmt.Sprintf("decoder answered %d bytes for %dx%d", len(out), w, h)}
	}
	dw, dh := info.DisplaySize()
	if info.Type != "iovl" && (w > dw || h > dh) {
		return nil, info, &sandbox.Error{Kind: sandbox.ErrInvalid, Msg: fmt.Sprintf("decoded %dx%d, the file declares %dx%d", w, h, dw, dh)}
	}
	return toNRGBA(out[respHeader:], w, h), info, nil
}

// toNRGBA expands packed RGB to opaque NRGBA.
func toNRGBA(rgb []byte, w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	p := img.Pix
	for i, j := 0, 0; i+2 < len(rgb); i, j = i+3, j+4 {
		s := rgb[i : i+3 : i+3]
		d := p[j : j+4 : j+4]
		d[0], d[1], d[2], d[3] = s[0], s[1], s[2], 0xff
	}
	return img
}

// Still is the Decoder as a hashing.StillDecoder: HEIC, HEIF and AVIF
// stills for the Hasher (registered once in cmd/winnow/kinds.go).
type Still struct{ d *Decoder }

var _ hashing.StillDecoder = Still{}

// NewStill returns a Still decoding in pool.
func NewStill(pool *sandbox.Pool) Still { return Still{New(pool)} }

// Name names the decoder in fingerprints.
func (Still) Name() string { return Version + " (isolated)" }

// Accepts takes the HEIF family.
func (Still) Accepts(mt triage.MediaType) bool {
	return mt.MIME == triage.MIMEHEIC || mt.MIME == triage.MIMEHEIF || mt.MIME == triage.MIMEAVIF
}

// DecodeStill checks and decodes b; errors carry triage codes.
func (s Still) DecodeStill(ctx context.Context, b []byte, lim hashing.Limits) (image.Image, error) {
	img, _, err := s.d.Decode(ctx, b, heif.Limits{MaxPixels: lim.MaxPixels})
	if err != nil {
		return nil, Code(err)
	}
	return img, nil
}

// Code gives an error of Decode the triage code it deserves: what the box
// check or libheif refused is invalid, too large or unsupported; a decoder
// that crashed on the file makes it invalid; one stopped by a limit makes
// it too large.
func Code(err error) error {
	var code string
	switch {
	case errors.Is(err, heif.ErrTooLarge), errors.Is(err, sandbox.ErrTooLarge),
		errors.Is(err, sandbox.ErrCPULimit), errors.Is(err, sandbox.ErrMemoryLimit),
		errors.Is(err, sandbox.ErrTimeout), errors.Is(err, sandbox.ErrOutputLimit):
		code = triage.ETOOLARGE
	case errors.Is(err, heif.ErrUnsupported), errors.Is(err, sandbox.ErrUnsupported):
		code = triage.EUNSUPPORTED
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	default:
		code = triage.EINVALID
	}
	return triage.Errorf(code, "%v", err)
}
