//go:build libheif && cgo

package heifdec

/*
#cgo pkg-config: libheif
#include <stdlib.h>
#include <string.h>
#include <libheif/heif.h>

// decode decodes the primary image of the HEIF file in data to 8-bit
// interleaved RGB, applying irot/imir/clap as libheif does. Returns NULL
// and sets *msg on failure; the caller frees the result.
static unsigned char* decode(const void* data, size_t size, int max_side, int threads,
                             int* w, int* h, int* code, const char** msg) {
	*msg = NULL;
	struct heif_context* ctx = heif_context_alloc();
	if (!ctx) { *code = heif_error_Memory_allocation_error; *msg = "cannot allocate a context"; return NULL; }
	heif_context_set_maximum_image_size_limit(ctx, max_side);
	heif_context_set_max_decoding_threads(ctx, threads);
	struct heif_error err = heif_context_read_from_memory_without_copy(ctx, data, size, NULL);
	struct heif_image_handle* handle = NULL;
	struct heif_image* img = NULL;
	unsigned char* out = NULL;
	if (err.code == heif_error_Ok) err = heif_context_get_primary_image_handle(ctx, &handle);
	if (err.code == heif_error_Ok) {
		struct heif_decoding_options* opt = heif_decoding_options_alloc();
		opt->convert_hdr_to_8bit = 1;
		err = heif_decode_image(handle, &img, heif_colorspace_RGB, heif_chroma_interleaved_RGB, opt);
		heif_decoding_options_free(opt);
	}
	if (err.code == heif_error_Ok) {
		int stride = 0;
		const uint8_t* p = heif_image_get_plane_readonly(img, heif_channel_interleaved, &stride);
		*w = heif_image_get_width(img, heif_channel_interleaved);
		*h = heif_image_get_height(img, heif_channel_interleaved);
		if (!p || *w <= 0 || *h <= 0 || stride < *w * 3 || heif_image_get_bits_per_pixel_range(img, heif_channel_interleaved) != 8) {
			*code = heif_error_Decoder_plugin_error; *msg = "decoder returned no 8-bit RGB plane";
		} else {
			out = malloc((size_t)*w * (size_t)*h * 3);
			if (!out) { *code = heif_error_Memory_allocation_error; *msg = "cannot allocate the image"; }
			else for (int y = 0; y < *h; y++) memcpy(out + (size_t)y * *w * 3, p + (size_t)y * stride, (size_t)*w * 3);
		}
	} else {
		*code = err.code;
		*msg = err.message;
	}
	// err.message points at static strings or into ctx, which is freed below.
	static __thread char buf[256];
	if (*msg) { strncpy(buf, *msg, sizeof buf - 1); buf[sizeof buf - 1] = 0; *msg = buf; }
	if (img) heif_image_release(img);
	if (handle) heif_image_handle_release(handle);
	heif_context_free(ctx);
	return out;
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	"github.com/winnow-forensics/winnow/triage/sandbox"
)

// Available reports whether this build decodes HEIF and AVIF (libheif).
const Available = true

// Version is the libheif version linked in.
var Version = "libheif " + C.GoString(C.heif_get_version())

// decodeRGB decodes in with libheif on one thread and returns the 8-bit
// RGB pixels after a header of hdr bytes, which it leaves zero. maxSide
// bounds each side and maxPixels the area (libheif's own checks; the
// caller checked the declared sizes with heif.Parse before).
func decodeRGB(in []byte, maxSide int, maxPixels int64, hdr int) (w, h int, out []byte, err error) {
	if len(in) == 0 {
		return 0, 0, nil, fmt.Errorf("libheif: empty input")
	}
	var cw, ch, code C.int
	var msg *C.char
	p := C.decode(unsafe.Pointer(&in[0]), C.size_t(len(in)), C.int(maxSide), 1, &cw, &ch, &code, &msg)
	if p == nil {
		return 0, 0, nil, &libError{code: int(code), msg: C.GoString(msg)}
	}
	defer C.free(unsafe.Pointer(p))
	w, h = int(cw), int(ch)
	if int64(w)*int64(h) > maxPixels {
		return 0, 0, nil, fmt.Errorf("libheif decoded %dx%d, over the pixel limit: %w", w, h, sandbox.ErrTooLarge)
	}
	out = make([]byte, hdr+3*w*h)
	copy(out[hdr:], unsafe.Slice((*byte)(unsafe.Pointer(p)), 3*w*h))
	return w, h, out, nil
}

// libError is an error libheif reported; code is its heif_error_code.
type libError struct {
	code int
	msg  string
}

func (e *libError) Error() string { return "libheif: " + e.msg }

// memoryError reports libheif's "memory allocation error" code.
func (e *libError) memoryError() bool { return e.code == C.heif_error_Memory_allocation_error }
