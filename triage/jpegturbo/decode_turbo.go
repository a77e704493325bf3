//go:build turbojpeg && cgo

package jpegturbo

/*
#cgo LDFLAGS: -lturbojpeg
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>

// Error reporting must happen in the same C call as the failing function:
// for errors raised inside libjpeg, TurboJPEG 2.1 keeps the message in a
// thread-local buffer, and consecutive cgo calls may run on different OS
// threads.
enum { wj_ok = 0, wj_warning = 1, wj_fatal = 2 };

typedef struct {
	int code;
	char msg[256];
} wj_status;

static void wj_fail(tjhandle h, wj_status *st) {
	const char *s = tjGetErrorStr2(h);
	st->code = tjGetErrorCode(h) == TJERR_WARNING ? wj_warning : wj_fatal;
	if (s == NULL) s = "unknown error";
	strncpy(st->msg, s, sizeof st->msg - 1);
	st->msg[sizeof st->msg - 1] = 0;
}

static tjhandle wj_init(wj_status *st) {
	tjhandle h = tjInitDecompress();
	st->code = wj_ok; st->msg[0] = 0;
	if (h == NULL) wj_fail(NULL, st);
	return h;
}

static void wj_header(tjhandle h, const unsigned char *buf, unsigned long n,
		int *w, int *ht, int *subsamp, int *cs, wj_status *st) {
	*w = 0; *ht = 0; *subsamp = -1; *cs = -1;
	st->code = wj_ok; st->msg[0] = 0;
	if (tjDecompressHeader3(h, buf, n, w, ht, subsamp, cs) != 0) wj_fail(h, st);
}

static void wj_decode(tjhandle h, const unsigned char *buf, unsigned long n,
		unsigned char *dst, int w, int pitch, int ht, int pf, int flags,
		wj_status *st) {
	st->code = wj_ok; st->msg[0] = 0;
	if (tjDecompress2(h, buf, n, dst, w, pitch, ht, pf, flags) != 0) wj_fail(h, st);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"image/color"
	"math"
	"sort"
	"strings"
	"sync"
	"unsafe"
)

// Available reports whether this build has the libjpeg-turbo decoder.
const Available = true

// Version describes the decoder backing this build.
const Version = "libjpeg-turbo (TurboJPEG API)"

// decompressor owns one tjhandle for the duration of one call.
//
// Handles are deliberately not pooled. libjpeg keeps quantization and
// Huffman tables in the handle across datastreams (that is how abbreviated
// "tables-only" + "image-only" streams work), so a pooled handle would let a
// hostile or broken file that lacks DQT/DHT segments decode with the tables
// of whichever file the handle saw before: the output would depend on
// processing order. A fresh handle fails (missing DQT) or uses the standard
// Huffman tables instead, every time. tjInitDecompress+tjDestroy costs about
// 1µs (BenchmarkHandle), which is noise next to any real decode.
type decompressor struct {
	h C.tjhandle
}

func newDecompressor() (*decompressor, error) {
	var cst C.wj_status
	h := C.wj_init(&cst)
	if h == nil {
		return nil, fmt.Errorf("jpegturbo: tjInitDecompress: %s", C.GoString(&cst.msg[0]))
	}
	return &decompressor{h: h}, nil
}

func (d *decompressor) destroy() {
	if d.h != nil {
		C.tjDestroy(d.h)
		d.h = nil
	}
}

type status struct {
	code int // C.wj_ok, C.wj_warning, C.wj_fatal
	msg  string
}

func (d *decompressor) header(data []byte) (w, h, subsamp, cs int, st status) {
	var cw, ch, css, ccs C.int
	var cst C.wj_status
	C.wj_header(d.h, (*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)),
		&cw, &ch, &css, &ccs, &cst)
	st.code = int(cst.code)
	if st.code != C.wj_ok {
		st.msg = C.GoString(&cst.msg[0])
	}
	return int(cw), int(ch), int(css), int(ccs), st
}

func (d *decompressor) decode(data, dst []byte, w, pitch, h, pf, flags int) status {
	var cst C.wj_status
	C.wj_decode(d.h, (*C.uchar)(unsafe.Pointer(&data[0])), C.ulong(len(data)),
		(*C.uchar)(unsafe.Pointer(&dst[0])), C.int(w), C.int(pitch), C.int(h),
		C.int(pf), C.int(flags), &cst)
	st := status{code: int(cst.code)}
	if st.code != C.wj_ok {
		st.msg = C.GoString(&cst.msg[0])
	}
	return st
}

// warningPrefixes are the beginnings of libjpeg's non-fatal (JWRN_*)
// messages in jerror.h; no fatal (JERR_*) message starts with any of them.
var warningPrefixes = []string{
	"Corrupt JPEG data:",         // bad Huffman/arithmetic code, extraneous bytes, premature end of data segment, RST resync, bad ICC marker
	"Premature end of JPEG file", // JWRN_JPEG_EOF (not JERR_INPUT_EOF "Premature end of input file")
	"Unknown Adobe color transform code",
	"Warning: unknown JFIF revision number",
	"Inconsistent progression sequence",
	"Invalid SOS parameters for sequential JPEG",
	"Application transferred too many scanlines",
}

// isWarning reports whether msg is one of libjpeg's warning messages.
//
// TurboJPEG 2.1's tjGetErrorCode returns TJERR_WARNING whenever a warning
// occurred during the call, even if a fatal error followed it (the fatal
// error does not clear the flag). The message left behind is the fatal one
// in that case, so an unrecognised message under TJERR_WARNING is treated as
// fatal: the output rows may not all have been written.
func isWarning(msg string) bool {
	for _, p := range warningPrefixes {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// tooLargeError is an ErrTooLarge with its own message (so that the text
// is not "jpegturbo: decode: jpegturbo: image too large: ...").
type tooLargeError struct{ msg string }

func (e *tooLargeError) Error() string        { return e.msg }
func (e *tooLargeError) Is(target error) bool { return target == ErrTooLarge }

// scale is a DCT scaling factor num/denom.
type scale struct{ num, denom int }

func (s scale) apply(dim int) int { return (dim*s.num + s.denom - 1) / s.denom } // TJSCALED

var (
	scalesOnce sync.Once
	scales     []scale // factors <= 1, ascending
)

// downScales returns the library's scaling factors that are <= 1, smallest
// first.
func downScales() []scale {
	scalesOnce.Do(func() {
		var n C.int
		p := C.tjGetScalingFactors(&n)
		if p != nil && n > 0 {
			for _, f := range unsafe.Slice(p, int(n)) {
				s := scale{int(f.num), int(f.denom)}
				if s.num > 0 && s.denom > 0 && s.num <= s.denom {
					scales = append(scales, s)
				}
			}
		}
		sort.Slice(scales, func(i, j int) bool {
			return scales[i].num*scales[j].denom < scales[j].num*scales[i].denom
		})
		if len(scales) == 0 || scales[len(scales)-1] != (scale{1, 1}) {
			scales = append(scales, scale{1, 1})
		}
	})
	return scales
}

// chooseScale returns the smallest factor whose scaled min(w, h) is >=
// minSide, or 1/1.
func chooseScale(w, h, minSide int) scale {
	if minSide <= 0 {
		return scale{1, 1}
	}
	m := min(w, h)
	for _, s := range downScales() {
		if s.apply(m) >= minSide {
			return s
		}
	}
	return scale{1, 1}
}

var subsampNames = [...]string{
	C.TJSAMP_444:  "4:4:4",
	C.TJSAMP_422:  "4:2:2",
	C.TJSAMP_420:  "4:2:0",
	C.TJSAMP_GRAY: "gray",
	C.TJSAMP_440:  "4:4:0",
	C.TJSAMP_411:  "4:1:1",
}

var colorspaceNames = [...]string{
	C.TJCS_RGB:   "RGB",
	C.TJCS_YCbCr: "YCbCr",
	C.TJCS_GRAY:  "gray",
	C.TJCS_CMYK:  "CMYK",
	C.TJCS_YCCK:  "YCCK",
}

func name(names []string, i int) string {
	if i >= 0 && i < len(names) && names[i] != "" {
		return names[i]
	}
	return "unknown"
}

// readHeader runs tjDecompressHeader3 and interprets its result. TurboJPEG
// 2.1 reports failure for headers that are fine but (a) carry a libjpeg
// warning, such as extraneous bytes before a marker, or (b) use a chroma
// subsampling it has no TJSAMP constant for; the dimensions are valid in
// both cases, so they are accepted. A tables-only datastream has no image.
func readHeader(d *decompressor, data []byte) (Header, error) {
	w, h, ss, cs, st := d.header(data)
	if w <= 0 || h <= 0 {
		msg := st.msg
		if st.code == C.wj_ok {
			// Tables-only stream, or one that ends inside the tables.
			msg = "no image in JPEG datastream"
		}
		if strings.HasPrefix(msg, "Maximum supported image dimension") {
			// libjpeg refuses dimensions above JPEG_MAX_DIMENSION (65500)
			// before our MaxPixels check can run; classify it the same way.
			return Header{}, &tooLargeError{"image too large: " + msg}
		}
		return Header{}, errors.New(msg)
	}
	return Header{
		Width:       w,
		Height:      h,
		Subsampling: name(subsampNames[:], ss),
		Colorspace:  name(colorspaceNames[:], cs),
	}, nil
}

// DecodeHeader reads the dimensions, subsampling and colorspace of a JPEG
// image without decoding it. Errors have the form
// "jpegturbo: header: <libjpeg-turbo message>".
func DecodeHeader(data []byte) (Header, error) {
	if len(data) == 0 {
		return Header{}, fmt.Errorf("jpegturbo: header: empty input")
	}
	d, err := newDecompressor()
	if err != nil {
		return Header{}, err
	}
	defer d.destroy()
	hdr, err := readHeader(d, data)
	if err != nil {
		return Header{}, fmt.Errorf("jpegturbo: header: %w", err)
	}
	return hdr, nil
}

// Decode decodes a JPEG image into an 8-bit Gray or RGB raster.
//
// The raster is written into dst when cap(dst) is large enough (for CMYK
// sources 4 bytes per output pixel are needed during decoding), otherwise
// into a newly allocated slice. Decode never panics on malformed input: fatal
// libjpeg-turbo errors are returned as "jpegturbo: decode: <message>". A
// non-fatal warning (typically a truncated file) is not an error: the decoded
// image is returned with Image.Warning set; see the package documentation.
// Grayscale JPEGs decoded as RGB have R = G = B.
func Decode(data []byte, opt Options, dst []byte) (Image, error) {
	bpp := opt.Format.BytesPerPixel()
	if bpp == 0 {
		return Image{}, fmt.Errorf("jpegturbo: decode: invalid output format %v", opt.Format)
	}
	if len(data) == 0 {
		return Image{}, fmt.Errorf("jpegturbo: decode: empty input")
	}
	d, err := newDecompressor()
	if err != nil {
		return Image{}, err
	}
	defer d.destroy()
	return decode(d, data, opt, dst, bpp)
}

func decode(d *decompressor, data []byte, opt Options, dst []byte, bpp int) (Image, error) {
	hdr, err := readHeader(d, data)
	if err != nil {
		return Image{}, fmt.Errorf("jpegturbo: decode: %w", err)
	}
	if limit := opt.maxPixels(); limit > 0 && int64(hdr.Width)*int64(hdr.Height) > limit {
		return Image{}, fmt.Errorf("jpegturbo: decode: %w", &tooLargeError{fmt.Sprintf(
			"image too large: %dx%d is more than %d pixels", hdr.Width, hdr.Height, limit)})
	}

	s := chooseScale(hdr.Width, hdr.Height, opt.MinSide)
	w, h := s.apply(hdr.Width), s.apply(hdr.Height)

	pf, dbpp := C.TJPF_GRAY, 1
	if opt.Format == RGB {
		pf, dbpp = C.TJPF_RGB, 3
	}
	cmyk := hdr.Colorspace == "CMYK" || hdr.Colorspace == "YCCK"
	if cmyk {
		pf, dbpp = C.TJPF_CMYK, 4 // libjpeg cannot convert CMYK to RGB/gray
	}
	need := int64(w) * int64(h) * int64(dbpp)
	if need > math.MaxInt || int64(w)*int64(dbpp) > math.MaxInt32 {
		return Image{}, fmt.Errorf("jpegturbo: decode: %w", &tooLargeError{fmt.Sprintf(
			"image too large: %dx%d output does not fit in memory", w, h)})
	}
	var buf []byte
	if int64(cap(dst)) >= need {
		buf = dst[:need]
	} else {
		buf = make([]byte, need)
	}

	flags := C.TJFLAG_LIMITSCANS | C.TJFLAG_ACCURATEDCT
	if opt.Fast {
		flags = C.TJFLAG_LIMITSCANS | C.TJFLAG_FASTDCT | C.TJFLAG_FASTUPSAMPLE
	}
	st := d.decode(data, buf, w, w*dbpp, h, pf, flags)
	if st.code == C.wj_fatal || (st.code == C.wj_warning && !isWarning(st.msg)) {
		return Image{}, fmt.Errorf("jpegturbo: decode: %s", st.msg)
	}

	if cmyk {
		buf = cmykConvert(buf, w*h, opt.Format)
	}
	img := Image{
		Width:  w,
		Height: h,
		Stride: w * bpp,
		Format: opt.Format,
		Pix:    buf[:w*h*bpp],
	}
	if st.code == C.wj_warning {
		img.Warning = st.msg
	}
	return img, nil
}

// cmykConvert converts n Adobe-inverted CMYK pixels (as produced by
// libjpeg-turbo's TJPF_CMYK output) in place to RGB or gray, matching what
// image/jpeg followed by color conversion produces: image/jpeg's
// image.CMYK holds 255-v for each libjpeg sample v.
func cmykConvert(p []byte, n int, f Format) []byte {
	switch f {
	case RGB:
		// In place: pixel i is read from 4i..4i+3 before 3i..3i+2 is
		// written, and 3i+2 < 4(i+1).
		for i := range n {
			s := p[4*i : 4*i+4 : 4*i+4]
			r, g, b := color.CMYKToRGB(255-s[0], 255-s[1], 255-s[2], 255-s[3])
			t := p[3*i : 3*i+3 : 3*i+3]
			t[0], t[1], t[2] = r, g, b
		}
		return p[:3*n]
	default:
		for i := range n {
			s := p[4*i : 4*i+4 : 4*i+4]
			// color.CMYK.RGBA with the inversion folded in, then the
			// color.GrayModel formula.
			w := uint32(s[3]) * 0x101
			r := uint32(s[0]) * 0x101 * w / 0xffff
			g := uint32(s[1]) * 0x101 * w / 0xffff
			b := uint32(s[2]) * 0x101 * w / 0xffff
			p[i] = uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 24)
		}
		return p[:n]
	}
}
