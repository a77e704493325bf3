package hashing

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"

	"github.com/winnow-forensics/winnow/triage"
)

// Limits bound what one item may cost. The zero value of a field means its
// default (see DefaultLimits).
type Limits struct {
	// MaxPixels refuses images whose header declares more pixels
	// (decompression bombs). Checked before any pixel is allocated.
	MaxPixels int64
	// MaxImageBytes: image files larger than this are digested but not decoded.
	MaxImageBytes int64
	// BufferBytes: files up to this size are read into memory once and the
	// same bytes feed digests, sniffing and decoding; larger files are
	// streamed through the digests and, if they are images, a streaming decoder.
	BufferBytes int64
	// DecodeMemory is the total that all concurrent decodes of one Hasher may
	// hold at once; an item waits for room before it allocates pixels.
	DecodeMemory int64
	// MinSide: images with a side shorter than this get an error instead of
	// perceptual hashes (they carry too little signal to match on).
	MinSide int
	// MaxVideoBytes: a video that is neither in memory (BufferBytes) nor a
	// plain file (an archive member, a stored object) is copied into a
	// memfd for the decoder, up to this size; larger ones are digested
	// only.
	MaxVideoBytes int64
}

// DefaultLimits are the limits used where a field is zero.
var DefaultLimits = Limits{
	MaxPixels:     64_000_000,
	MaxImageBytes: 512 << 20,
	BufferBytes:   64 << 20,
	DecodeMemory:  1 << 30,
	MinSide:       8,
	MaxVideoBytes: 4 << 30,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxPixels > 0 {
		d.MaxPixels = l.MaxPixels
	}
	if l.MaxImageBytes > 0 {
		d.MaxImageBytes = l.MaxImageBytes
	}
	if l.BufferBytes > 0 {
		d.BufferBytes = l.BufferBytes
	}
	if l.DecodeMemory > 0 {
		d.DecodeMemory = l.DecodeMemory
	}
	if l.MinSide > 0 {
		d.MinSide = l.MinSide
	}
	if l.MaxVideoBytes > 0 {
		d.MaxVideoBytes = l.MaxVideoBytes
	}
	return d
}

// Validate reports limits that cannot work.
func (l Limits) Validate() error {
	switch {
	case l.MaxPixels < 0, l.MaxImageBytes < 0, l.BufferBytes < 0, l.DecodeMemory < 0, l.MinSide < 0, l.MaxVideoBytes < 0:
		return triage.Errorf(triage.EINVALID, "limits must not be negative")
	}
	return nil
}

// stdCodec is a pure-Go decoder for one format.
type stdCodec struct {
	decode func(io.Reader) (image.Image, error)
	config func(io.Reader) (image.Config, error)
}

// stdCodecs maps sniffed MIME types to decoders. The sniffed type, not the
// decoder's own detection, picks the decoder. GIF decodes the first frame.
var stdCodecs = map[string]stdCodec{
	triage.MIMEJPEG: {jpeg.Decode, jpeg.DecodeConfig},
	triage.MIMEPNG:  {png.Decode, png.DecodeConfig},
	triage.MIMEGIF:  {gif.Decode, gif.DecodeConfig},
	triage.MIMEBMP:  {bmp.Decode, bmp.DecodeConfig},
	triage.MIMETIFF: {tiff.Decode, tiff.DecodeConfig},
	triage.MIMEWebP: {webp.Decode, webp.DecodeConfig},
}

// bytesPerPixel estimates what a decoder allocates per pixel for a colour
// model, erring high.
func bytesPerPixel(m color.Model) int64 {
	switch m {
	case color.GrayModel:
		return 1
	case color.Gray16Model:
		return 2
	case color.YCbCrModel, color.NYCbCrAModel:
		return 4
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel:
		return 4
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}

// checkDims enforces the pixel limit on a declared size.
func (l Limits) checkDims(w, h int) error {
	if w <= 0 || h <= 0 {
		return triage.Errorf(triage.EINVALID, "image declares an empty size %dx%d", w, h)
	}
	if px := int64(w) * int64(h); px > l.MaxPixels {
		return triage.Errorf(triage.ETOOLARGE, "image is %dx%d (%.1f MP), over the limit of %.1f MP; raise the pixel limit to decode it",
			w, h, float64(px)/1e6, float64(l.MaxPixels)/1e6)
	}
	return nil
}

// decodeStd decodes with the pure-Go decoder for mt, reading the header
// first and refusing sizes over the limits. extra is memory per pixel the
// caller will allocate on top of the decoder's (e.g. a luma plane); it is
// part of the reservation, which the caller must release with h.mem.Release.
// r must yield the whole file; head holds at least its first bytes and is
// used for the header check.
func (h *Hasher) decodeStd(ctx context.Context, mt triage.MediaType, head []byte, r io.Reader, extra int64) (img image.Image, reserved int64, err error) {
	codec, ok := stdCodecs[mt.MIME]
	if !ok {
		return nil, 0, triage.Errorf(triage.EUNSUPPORTED, "cannot decode %s", mt.MIME)
	}
	cfg, err := codec.config(bytes.NewReader(head))
	if err != nil {
		return nil, 0, triage.Errorf(triage.EINVALID, "%s header: %v", mt.MIME, err)
	}
	if err := h.lim.checkDims(cfg.Width, cfg.Height); err != nil {
		return nil, 0, err
	}
	px := int64(cfg.Width) * int64(cfg.Height)
	reserved, err = h.mem.Acquire(ctx, px*(bytesPerPixel(cfg.ColorModel)+extra))
	if err != nil {
		return nil, 0, err
	}
	defer func() {
		if p := recover(); p != nil {
			err = triage.Errorf(triage.EINVALID, "%s: decoder failed on malformed data: %v", mt.MIME, p)
		}
		if err != nil {
			h.mem.Release(reserved)
			img, reserved = nil, 0
		}
	}()
	img, err = codec.decode(r)
	if err != nil {
		return nil, reserved, triage.Errorf(triage.EINVALID, "%s: %v", mt.MIME, err)
	}
	b := img.Bounds()
	if b.Dx() != cfg.Width || b.Dy() != cfg.Height {
		return nil, reserved, triage.Errorf(triage.EINVALID, "%s: decoded %dx%d, header said %dx%d", mt.MIME, b.Dx(), b.Dy(), cfg.Width, cfg.Height)
	}
	return img, reserved, nil
}

// DecodeImage decodes b, which must be a whole image file, with the pure-Go
// decoders under the Hasher's limits. It returns EUNSUPPORTED for types it
// cannot decode, ETOOLARGE for images over the limits and EINVALID for
// malformed data; it never panics. The image stays within the Hasher's
// memory budget until release is called.
func (h *Hasher) DecodeImage(ctx context.Context, b []byte) (img image.Image, release func(), err error) {
	mt := Sniff(b)
	if !mt.Decodable() {
		return nil, nil, unsupportedError(mt)
	}
	if int64(len(b)) > h.lim.MaxImageBytes {
		return nil, nil, tooManyBytes(int64(len(b)), h.lim.MaxImageBytes)
	}
	img, n, err := h.decodeStd(ctx, mt, b, bytes.NewReader(b), 0)
	if err != nil {
		return nil, nil, err
	}
	return img, func() { h.mem.Release(n) }, nil
}

func unsupportedError(mt triage.MediaType) error {
	switch mt.MIME {
	case triage.MIMEHEIC, triage.MIMEHEIF, triage.MIMEAVIF:
		return triage.Errorf(triage.EUNSUPPORTED, "%s detected, but this build has no HEIF/AVIF decoder (build with 'make build' and Debian's libheif-dev): no perceptual hash", mt.MIME)
	case triage.MIMEUnknown:
		return triage.Errorf(triage.EUNSUPPORTED, "not a recognised image format")
	}
	return triage.Errorf(triage.EUNSUPPORTED, "%s is not an image Winnow decodes", mt.MIME)
}

func tooManyBytes(n, limit int64) error {
	return triage.Errorf(triage.ETOOLARGE, "image file is %s, over the decode limit of %s; raise the byte limit to decode it",
		fmtBytes(n), fmtBytes(limit))
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
