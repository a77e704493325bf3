package hashing

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"sync"
	"time"

	"github.com/corona10/goimagehash"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/internal/budget"
	"github.com/winnow-forensics/winnow/triage/jpegpart"
	"github.com/winnow-forensics/winnow/triage/jpegturbo"
	"github.com/winnow-forensics/winnow/triage/keypoint"
	"github.com/winnow-forensics/winnow/triage/pdq"
	"github.com/winnow-forensics/winnow/triage/sandbox"
)

// Hasher is the hashing engine: it fingerprints files with one read each,
// under Limits. It is safe for concurrent use; run one call per core.
type Hasher struct {
	algos   triage.AlgoSet
	lim     Limits
	mem     *budget.Bytes
	scratch sync.Pool // *scratch
	turbo   bool
	views   bool
	regions bool
	// keypoints is how many local features to extract (0: none), and
	// skipKeypoints says which files need none (Options.SkipKeypoints).
	keypoints     int
	skipKeypoints func(triage.Digests) bool
	// turboMinSide, turboFullPixels and turboGray tune the libjpeg-turbo
	// path; they are fields (not constants) so the scale benchmark can
	// sweep them.
	turboMinSide    int
	turboFullPixels int64
	turboGray       bool
	thumbSide       int
	decoders        []Decoder

	frameInterval float64 // seconds; 0: every frame
}

// Options configure a Hasher.
type Options struct {
	Algos  triage.AlgoSet // zero means AlgosDefault
	Limits Limits
	// ThumbSide, when positive, makes images hashed perceptually also get
	// Fingerprint.Thumb, at most this many pixels on its longer side. It is
	// box-averaged from the luma plane the hashes are computed from (no
	// second decode), so it is grayscale.
	ThumbSide int
	// NoFastJPEG turns the libjpeg-turbo path off even when it was built in.
	NoFastJPEG bool
	// JPEGMinSide overrides TurboMinSide: libjpeg-turbo decodes at the
	// smallest scale k/8 whose shorter side is at least this many pixels.
	// Larger is closer to the full-size convention and slower.
	JPEGMinSide int
	// Views turns on the derived views (Fingerprint.Views) that matching
	// queries: hash with it to match against sets (scans, the lab
	// service); `winnow hash` and hash-set building leave it off. Views
	// cost one more PDQ and pHash, of a plane downscaled to the fast JPEG
	// path's size, for the uncropped view of every image (its mirror image
	// comes from the same DCTs), and another for each image with a
	// border, a skew, caption bands or each collage tile; looking for them
	// takes well under a millisecond. See README, "Verdict rules" and
	// "What is left of the image", for the figures.
	Views bool
	// Regions turns on the hashes of parts of the image that a hash set
	// built from it indexes for crops (Fingerprint.Regions, see
	// triage.Region): hash with it to build sets from media (`winnow
	// hashset build`, entries promoted from review). One more PDQ and
	// pHash per region, of a plane downscaled as a view's is.
	Regions bool
	// Keypoints, when positive, is how many local features of each image
	// to extract (Fingerprint.Keypoints, see package keypoint):
	// keypoint.Known to build sets from media, keypoint.Query to match
	// against sets that carry them (the Matcher says whether any does:
	// Matcher.WantsKeypoints). About 2 ms of CPU per image on amd64 with
	// AVX2 (4 ms without), from the luma plane already decoded, and about
	// 4 times that for a drawing filled from a finer plane (README, "Local
	// features").
	Keypoints int
	// SkipKeypoints, if not nil, is asked with a file's digests whether
	// its local features are needed: it returns true for a file already
	// known exactly, whose verdict they could not change
	// (Matcher.KnownExactly). Asked only with Keypoints, of images hashed
	// in memory (HashBytes, HashFile within the buffer), once the digests
	// computed beside the decoder are done; a streamed file's digests come
	// only at its end, so it always gets them.
	SkipKeypoints func(triage.Digests) bool
	// Decoders decode media the built-in decoders do not (see Decoder);
	// the first that accepts a type decodes it.
	Decoders []Decoder
	// FrameInterval is vPDQ's seconds between hashed video frames
	// (AlgoVPDQ): 0 means DefaultFrameInterval, a negative value every
	// frame.
	FrameInterval float64
}

// New returns a Hasher.
func New(opt Options) *Hasher {
	if opt.Algos == 0 {
		opt.Algos = triage.AlgosDefault
	}
	lim := opt.Limits.withDefaults()
	return &Hasher{
		algos: opt.Algos,
		lim:   lim,
		mem:   budget.New(lim.DecodeMemory),
		turbo: jpegturbo.Available && !opt.NoFastJPEG,
		views: opt.Views, regions: opt.Regions, keypoints: opt.Keypoints, skipKeypoints: opt.SkipKeypoints,

		turboMinSide:    cmp.Or(opt.JPEGMinSide, TurboMinSide),
		turboFullPixels: TurboFullPixels,
		turboGray:       true,
		thumbSide:       opt.ThumbSide,
		decoders:        opt.Decoders,

		frameInterval: frameInterval(opt.FrameInterval),
	}
}

func frameInterval(v float64) float64 {
	switch {
	case v == 0:
		return DefaultFrameInterval
	case v < 0:
		return 0
	}
	return v
}

// Algos returns the algorithms the Hasher computes.
func (h *Hasher) Algos() triage.AlgoSet { return h.algos }

// WithAlgos returns a Hasher like h computing only algos, sharing h's
// decode-memory budget (the lab worker uses it to skip digests the upload
// already computed and the store verified).
func (h *Hasher) WithAlgos(algos triage.AlgoSet) *Hasher {
	return &Hasher{
		algos: algos, lim: h.lim, mem: h.mem, turbo: h.turbo, views: h.views, regions: h.regions, keypoints: h.keypoints, skipKeypoints: h.skipKeypoints,
		turboMinSide: h.turboMinSide, turboFullPixels: h.turboFullPixels, turboGray: h.turboGray, thumbSide: h.thumbSide, decoders: h.decoders,
		frameInterval: h.frameInterval,
	}
}

// WithKeypoints returns a copy of h that extracts n local features of
// each image (Options.Keypoints; 0: none).
func (h *Hasher) WithKeypoints(n int) *Hasher {
	c := h.WithAlgos(h.algos)
	c.keypoints = n
	return c
}

// Limits returns the hasher's limits, defaults filled in.
func (h *Hasher) Limits() Limits { return h.lim }

// FastJPEG reports whether JPEGs are decoded with libjpeg-turbo.
func (h *Hasher) FastJPEG() bool { return h.turbo }

// scratch is per-call working memory, pooled so that steady-state hashing
// does not allocate large buffers.
type scratch struct {
	file  []byte
	luma  []float32
	gray  []byte
	view  []float32 // a derived view's plane
	view2 []float32 // and a second one, for a view derived in two steps
	pdq   pdq.Hasher
}

func (h *Hasher) getScratch() *scratch {
	if s, ok := h.scratch.Get().(*scratch); ok {
		return s
	}
	return new(scratch)
}

// HashFile fingerprints the regular file at path. Files up to
// Limits.BufferBytes are read into memory once; larger ones are streamed.
// Problems with the file are reported in Fingerprint.Err, never as panics.
func (h *Hasher) HashFile(ctx context.Context, path string) triage.Fingerprint {
	f, err := os.Open(path)
	if err != nil {
		return triage.Fingerprint{Err: triage.Errorf(triage.EINVALID, "open: %v", triage.UnwrapPath(err))}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return triage.Fingerprint{Err: triage.Errorf(triage.EINVALID, "stat: %v", triage.UnwrapPath(err))}
	}
	if !fi.Mode().IsRegular() {
		return triage.Fingerprint{Err: triage.Errorf(triage.EUNSUPPORTED, "not a regular file (%s)", fi.Mode().Type())}
	}
	// A video is decoded from its path (ffmpeg reads the file itself)
	// while the digests read it here.
	head := make([]byte, SniffLen)
	n, _ := f.ReadAt(head, 0)
	if mt := Sniff(head[:n]); mt.Kind == triage.KindVideo {
		if d := h.frames(mt); d != nil {
			return h.hashVideoFile(ctx, f, path, mt, d)
		}
	}
	return h.HashReader(ctx, f, fi.Size())
}

// HashReader fingerprints everything r yields. size is the expected length,
// or -1 if unknown; it only chooses between the in-memory and the streaming
// path, and a stream that turns out longer is still read whole.
func (h *Hasher) HashReader(ctx context.Context, r io.Reader, size int64) triage.Fingerprint {
	if size >= 0 && size <= h.lim.BufferBytes {
		s := h.getScratch()
		defer h.scratch.Put(s)
		t0 := time.Now()
		buf, err := readAll(r, size, h.lim.BufferBytes, s.file[:0])
		s.file = buf[:0]
		read := time.Since(t0)
		if err == nil {
			fp := h.hashBytes(ctx, buf, s)
			fp.Times.Read = read
			return fp
		}
		if !errors.Is(err, errGrew) {
			return triage.Fingerprint{Err: triage.Errorf(triage.EINVALID, "read: %v", err)}
		}
		// The file grew past the buffer while we read it: stream the rest.
		r = io.MultiReader(bytes.NewReader(buf), r)
	}
	return h.hashStream(ctx, r)
}

var errGrew = errors.New("file larger than its stated size")

// readAll reads r, expected to hold size bytes, into buf. It returns errGrew
// (and what it read) if the stream holds more than limit bytes.
func readAll(r io.Reader, size, limit int64, buf []byte) ([]byte, error) {
	if int64(cap(buf)) < size+1 {
		buf = make([]byte, 0, size+1)
	}
	for {
		if len(buf) == cap(buf) {
			if int64(len(buf)) > limit {
				return buf, errGrew
			}
			buf = append(buf, 0)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			if int64(len(buf)) > limit {
				return buf, errGrew
			}
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// HashBytes fingerprints an in-memory file.
func (h *Hasher) HashBytes(ctx context.Context, b []byte) triage.Fingerprint {
	s := h.getScratch()
	defer h.scratch.Put(s)
	return h.hashBytes(ctx, b, s)
}

func (h *Hasher) hashBytes(ctx context.Context, b []byte, s *scratch) triage.Fingerprint {
	fp := triage.Fingerprint{Size: int64(len(b)), Type: Sniff(b)}
	dg := newDigester(h.algos)
	var wg sync.WaitGroup
	digested := make(chan struct{})
	wg.Go(func() {
		t0 := time.Now()
		fp.Digests = dg.sumBytes(b)
		fp.Times.Digest = time.Since(t0)
		close(digested)
	})
	if h.algos.Image() && fp.Type.Kind == triage.KindImage {
		fp.Err = h.perceptual(ctx, &fp, b, nil, s, func() triage.Digests {
			<-digested
			return fp.Digests
		})
	}
	if d := h.frames(fp.Type); d != nil {
		fp.Err = h.video(ctx, &fp, d, VideoInput{Data: b}, s)
	}
	wg.Wait()
	return fp
}

// hashStream is the path for files over the buffer budget: one read feeds
// the digests and, for images, a streaming decoder on its own goroutine.
func (h *Hasher) hashStream(ctx context.Context, r io.Reader) triage.Fingerprint {
	var fp triage.Fingerprint
	br := bufio.NewReaderSize(r, SniffLen)
	head, _ := br.Peek(SniffLen)
	fp.Type = Sniff(head)
	dg := newDigester(h.algos)

	var tee *io.PipeWriter
	done := make(chan error, 1)
	if h.algos.Image() && fp.Type.Kind == triage.KindImage {
		pr, pw := io.Pipe()
		tee = pw
		go func() {
			s := h.getScratch()
			defer h.scratch.Put(s)
			err := h.perceptual(ctx, &fp, nil, pr, s, nil)
			pr.CloseWithError(errDecoderDone) // unblocks the writer if the decoder stopped early
			done <- err
		}()
	}
	// A video is copied into a memfd as the digests read it, and decoded
	// from there afterwards.
	var mem *memfdWriter
	if d := h.frames(fp.Type); d != nil {
		f, err := sandbox.Memfd("winnow-video")
		if err != nil {
			fp.Err = triage.Errorf(triage.EINTERNAL, "%v", err)
		} else {
			defer f.Close()
			mem = &memfdWriter{f: f, limit: h.lim.MaxVideoBytes}
		}
	}
	t0 := time.Now()
	var w io.Writer
	if tee != nil {
		w = tee
	}
	if mem != nil {
		w = mem
	}
	n, dig, err := dg.sumStream(br, w)
	fp.Times.Read = time.Since(t0)
	if tee != nil {
		tee.Close()
		if perr := <-done; perr != nil && fp.Err == nil {
			fp.Err = perr
		}
	}
	fp.Size, fp.Digests = n, dig
	if err != nil {
		fp.Err = triage.Errorf(triage.EINVALID, "read: %v", err)
	} else if mem != nil {
		fp.Err = mem.err
		if mem.err == nil {
			s := h.getScratch()
			fp.Err = h.video(ctx, &fp, h.frames(fp.Type), VideoInput{File: mem.f}, s)
			h.scratch.Put(s)
		}
	}
	return fp
}

var errDecoderDone = errors.New("decoder finished")

// ErrUndecodable is in the chain of a Fingerprint.Err when the decoder
// could not read the picture (malformed or cut-short data, a JPEG with too
// few rows to hash, a video of which no frame decodes), as opposed to a
// limit, an unsupported type or a picture too small to hash. Its message
// and code are the decoder's error's.
var ErrUndecodable = errors.New("not decodable")

// decodeError is a decoder's error marked ErrUndecodable.
type decodeError struct{ err error }

func (e *decodeError) Error() string   { return e.err.Error() }
func (e *decodeError) Unwrap() []error { return []error{e.err, ErrUndecodable} }

// undecodable marks err ErrUndecodable when it says the data is malformed
// (EINVALID).
func undecodable(err error) error {
	if triage.ErrorCode(err) != triage.EINVALID {
		return err
	}
	return &decodeError{err}
}

// streamHeadLen is how much of a streamed image is buffered to read its
// header before decoding starts.
const streamHeadLen = 1 << 20

// perceptual decodes an image, from b if it is in memory or else from the
// stream r, and fills in the perceptual fields of fp. digests, if not nil,
// waits for the file's digests (for Options.SkipKeypoints). It returns the
// per-item error, if any.
func (h *Hasher) perceptual(ctx context.Context, fp *triage.Fingerprint, b []byte, r io.Reader, s *scratch, digests func() triage.Digests) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = triage.Errorf(triage.EINTERNAL, "hashing failed: %v", p)
		}
	}()
	if !fp.Type.Decodable() && h.still(fp.Type) == nil {
		return unsupportedError(fp.Type)
	}
	if r == nil && int64(len(b)) > h.lim.MaxImageBytes {
		return tooManyBytes(int64(len(b)), h.lim.MaxImageBytes)
	}
	t0 := time.Now()
	ras, reserved, err := h.decodeLuma(ctx, fp.Type, b, r, s)
	defer h.mem.Release(reserved)
	fp.Times.Decode = time.Since(t0)
	if err != nil {
		return undecodable(err)
	}
	fp.Width, fp.Height, fp.Decoder, fp.Partial = cmp.Or(ras.fullW, ras.srcW), cmp.Or(ras.fullH, ras.srcH), ras.decoder, ras.partial
	if min(ras.srcW, ras.srcH) < h.lim.MinSide {
		return triage.Errorf(triage.EINVALID, "image is %dx%d: too small to hash perceptually (minimum %d pixels a side)",
			ras.srcW, ras.srcH, h.lim.MinSide)
	}
	t1 := time.Now()
	if h.thumbSide > 0 {
		fp.Thumb = thumbGray(ras.luma, ras.w, ras.h, h.thumbSide)
	}
	h.hashLuma(fp, ras, s, func() bool {
		return h.keypoints > 0 && (h.skipKeypoints == nil || digests == nil || !h.skipKeypoints(digests()))
	})
	fp.Times.Hash = time.Since(t1)
	fp.Perceptual = true
	return nil
}

// raster is a decoded luma plane and what produced it.
type raster struct {
	luma       []float32
	w, h       int // the plane's size
	srcW, srcH int // the size of the picture decoded
	decoder    string
	// partial: the plane is the part of a cut-short picture its data
	// holds; fullW and fullH are then the declared size (0: srcW, srcH).
	partial      bool
	fullW, fullH int
}

// decodeLuma turns an image into a luma plane. JPEGs go through
// libjpeg-turbo's DCT-domain scaled decode when it is built in; everything
// else, and any JPEG libjpeg-turbo refuses, through the pure-Go decoders.
// An in-memory JPEG that neither decodes because it is cut short is
// decoded from the part its data holds (decodePartial).
func (h *Hasher) decodeLuma(ctx context.Context, mt triage.MediaType, b []byte, r io.Reader, s *scratch) (raster, int64, error) {
	if d := h.still(mt); d != nil && !mt.Decodable() {
		if b == nil {
			return raster{}, 0, triage.Errorf(triage.ETOOLARGE, "%s image over %s: not decoded (raise the buffer limit to decode it)", mt.MIME, fmtBytes(h.lim.BufferBytes))
		}
		return h.decodeStill(ctx, d, b, s)
	}
	ras, n, err := h.decodeWhole(ctx, mt, b, r, s)
	if err != nil && b != nil && mt.MIME == triage.MIMEJPEG && triage.ErrorCode(err) == triage.EINVALID {
		if part, perr := jpegpart.Visible(b); perr == nil {
			return h.decodePartial(ctx, mt, part, s)
		}
	}
	return ras, n, err
}

// decodePartial decodes the visible part of a cut-short JPEG: the rows
// its data holds, without the padding a decoder would fill in for the
// rest (package jpegpart). Fewer than 32 rows, or an eighth of the
// picture, is too little to hash.
func (h *Hasher) decodePartial(ctx context.Context, mt triage.MediaType, part jpegpart.Part, s *scratch) (raster, int64, error) {
	if err := h.lim.checkDims(part.Width, part.Height); err != nil {
		return raster{}, 0, err
	}
	if part.Rows < max(32, part.Height/8) {
		return raster{}, 0, triage.Errorf(triage.EINVALID, "jpeg cut short: too little of the picture (%d of %d rows)", part.Rows, part.Height)
	}
	ras, n, err := h.decodeWhole(ctx, mt, part.JPEG, nil, s)
	if err != nil {
		return raster{}, 0, err
	}
	ras.fullW, ras.fullH, ras.partial = part.Width, part.Height, !part.Whole
	if ras.partial {
		ras.decoder += fmt.Sprintf(" (rows 0-%d of %d: cut short)", part.Rows-1, part.Height)
	}
	return ras, n, nil
}

// decodeWhole decodes a whole image file (decodeLuma without the partial
// path).
func (h *Hasher) decodeWhole(ctx context.Context, mt triage.MediaType, b []byte, r io.Reader, s *scratch) (raster, int64, error) {
	if b != nil && mt.MIME == triage.MIMEJPEG && h.turbo {
		ras, n, err := h.decodeTurbo(ctx, b, s)
		if err == nil || triage.ErrorCode(err) == triage.ETOOLARGE {
			return ras, n, err
		}
		// Fall through: CMYK and other rarities are left to image/jpeg, and a
		// file libjpeg-turbo rejects gets a second opinion.
	}
	head := b
	if r != nil {
		br := bufio.NewReaderSize(r, streamHeadLen)
		head, _ = br.Peek(streamHeadLen)
		r = br
	} else {
		r = bytes.NewReader(b)
	}
	img, n, err := h.decodeStd(ctx, mt, head, r, 4)
	if err != nil {
		return raster{}, 0, err
	}
	bd := img.Bounds()
	s.luma = pdq.Luma(img, s.luma)
	return raster{luma: s.luma, w: bd.Dx(), h: bd.Dy(), srcW: bd.Dx(), srcH: bd.Dy(), decoder: "go"}, n, nil
}

// TurboMinSide is the default shortest side, in pixels, that
// libjpeg-turbo's scaled decode keeps: it picks the smallest DCT scale
// factor whose output is at least this large (a 12 MP photo decodes at 1/8,
// 500x375). PDQ of a scaled plane is computed with the reference's
// full-size filter weights (pdq.Hasher.HashScaled), which keeps 12 MP
// photos within about one bit of the reference on average at 1/8 scale.
// See README, "Fast JPEG path".
const TurboMinSide = 256

// TurboFullPixels is the size up to which the fast path decodes JPEGs at
// full size (to RGB, exactly as the reference tools), whatever
// TurboMinSide says: ordinary photos of up to a few megapixels then get
// PDQ hashes bit-identical to Meta's reference, where a scaled decode
// drifts by 1-7 bits on average (README, "Fast JPEG path"). A 3 MP photo
// decoded at full size costs about as much CPU as a 12 MP one at 1/8.
const TurboFullPixels = 3_500_000

func (h *Hasher) decodeTurbo(ctx context.Context, b []byte, s *scratch) (raster, int64, error) {
	hdr, err := jpegturbo.DecodeHeader(b)
	if err != nil {
		return raster{}, 0, triage.Errorf(triage.EINVALID, "%v", err)
	}
	if err := h.lim.checkDims(hdr.Width, hdr.Height); err != nil {
		return raster{}, 0, err
	}
	// The scaled plane is at most full size: reserve for the worst case of
	// one gray byte and one float per pixel at the chosen scale.
	minSide := h.turboMinSide
	if int64(hdr.Width)*int64(hdr.Height) <= h.turboFullPixels {
		minSide = 0
	}
	sw, sh := turboScaledSize(hdr.Width, hdr.Height, minSide)
	// Images decoded at full size are decoded to RGB and converted to luma
	// exactly as the reference does, which makes their PDQ bit-exact with
	// the reference tools (same libjpeg-turbo pixels). Scaled decodes go
	// straight to the Y channel: the same weighting, no chroma work.
	format := jpegturbo.RGB
	if h.turboGray && (sw != hdr.Width || sh != hdr.Height) {
		format = jpegturbo.Gray
	}
	n, err := h.mem.Acquire(ctx, int64(sw)*int64(sh)*int64(4+format.BytesPerPixel()))
	if err != nil {
		return raster{}, 0, err
	}
	img, err := jpegturbo.Decode(b, jpegturbo.Options{Format: format, MinSide: minSide, MaxPixels: h.lim.MaxPixels}, s.gray)
	if err == nil && img.Warning != "" {
		// A truncated or damaged file that libjpeg-turbo would pad with
		// gray: hash what image/jpeg makes of it instead (usually an
		// error), so both builds give the same answer.
		err = fmt.Errorf("jpegturbo: %s", img.Warning)
	}
	if err != nil {
		h.mem.Release(n)
		if errors.Is(err, jpegturbo.ErrTooLarge) {
			return raster{}, 0, triage.Errorf(triage.ETOOLARGE, "%v", err)
		}
		return raster{}, 0, triage.Errorf(triage.EINVALID, "%v", err)
	}
	s.gray = img.Pix[:0]
	if img.Format == jpegturbo.Gray {
		s.luma = pdq.LumaFromGray(img.Pix, img.Width, img.Height, img.Stride, s.luma)
	} else {
		s.luma = pdq.LumaFromRGB(img.Pix, img.Width, img.Height, img.Stride, s.luma)
	}
	dec := "libjpeg-turbo"
	if img.Width != hdr.Width {
		dec = fmt.Sprintf("libjpeg-turbo %dx%d", img.Width, img.Height)
	}
	return raster{luma: s.luma, w: img.Width, h: img.Height, srcW: hdr.Width, srcH: hdr.Height, decoder: dec}, n, nil
}

// turboScaledSize predicts the size of libjpeg-turbo's scaled decode, whose
// down-scaling factors are k/8 for k = 1..8 and whose output sides are
// rounded up, so that memory can be reserved before decoding. minSide 0
// means full size.
func turboScaledSize(w, h, minSide int) (int, int) {
	for k := 1; k < 8 && minSide > 0; k++ {
		sw, sh := (w*k+7)/8, (h*k+7)/8
		if min(sw, sh) >= minSide {
			return sw, sh
		}
	}
	return w, h
}

// smallSide is the size of the thumbnail the 64-bit hashes are computed
// from (see hashLuma).
const smallSide = 64

// hashLuma computes the perceptual hashes from a luma plane.
//
// pHash, dHash and aHash: the plane is box-averaged to 64x64 (each output
// pixel the mean of the input pixels whose index scales into it, aspect
// ratio not kept), rounded to 8-bit gray, and handed to goimagehash, whose
// own resize is then the identity (pHash) or a small 64x64 -> 9x8 / 8x8
// bilinear step (dHash, aHash). Feeding goimagehash the full image instead
// would cost ~35 MB of allocation per 12 MP photo.
//
// PDQ runs last because it blurs the plane in place; the derived views
// (see View) are copied out of the plane and hashed before it, and the
// local features are found before it when keypoints (nil: never) says so.
func (h *Hasher) hashLuma(fp *triage.Fingerprint, ras raster, s *scratch, keypoints func() bool) {
	h.hash64(fp, ras.luma, ras.w, ras.h)
	if h.views && h.algos&triage.AlgoSet(triage.AlgoPDQ|triage.AlgoPDQDihedral|triage.AlgoPHash) != 0 {
		full := image.Rect(0, 0, ras.srcW, ras.srcH)
		content, trimmed := findContent(ras.luma, ras.w, ras.h)
		if r := content; trimmed {
			var w, hh int
			s.view, w, hh = cropPlane(s.view[:0], ras.luma, ras.w, r)
			h.hashView(fp, triage.View{Kind: triage.ViewTrimmed, Rect: scaleRect(r, ras.w, ras.h, ras.srcW, ras.srcH)}, w, hh, s, false)
		}
		if r, ok := findBands(ras.luma, ras.w, ras.h); ok {
			var w, hh int
			s.view, w, hh = cropPlane(s.view[:0], ras.luma, ras.w, r)
			h.hashView(fp, triage.View{Kind: triage.ViewBanded, Rect: scaleRect(r, ras.w, ras.h, ras.srcW, ras.srcH)}, w, hh, s, false)
		}
		for _, r := range findTiles(ras.luma, ras.w, ras.h) {
			if trimmed && sameRect(r, content, ras.w/50+1, ras.h/50+1) {
				continue // the picture inside a border is the trimmed view already
			}
			var w, hh int
			s.view, w, hh = cropPlane(s.view[:0], ras.luma, ras.w, r)
			h.hashView(fp, triage.View{Kind: triage.ViewTile, Rect: scaleRect(r, ras.w, ras.h, ras.srcW, ras.srcH)}, w, hh, s, false)
		}
		if deg, fill, ok := findSkew(ras.luma, ras.w, ras.h); ok {
			var w, hh int
			var kept [][2]int
			s.view, w, hh, kept = deskewPlane(s.view[:0], ras.luma, ras.w, ras.h, deg, fill)
			r, trim := findContent(s.view, w, hh)
			trim = trim && fillAround(s.view, w, hh, fill)
			var cw, ch int
			if trim { // the canvas grew to hold the picture, or the picture sits on a canvas of the fill's colour
				s.view2, cw, ch = cropPlane(s.view2[:0], s.view, w, r)
			}
			// Whole, with the corners a rotation on its own canvas cut off
			// filled in: the known image may be a picture on a canvas of the
			// fill's colour, which trimming would take away.
			fillCorners(s.view, w, kept)
			h.hashView(fp, triage.View{Kind: triage.ViewDeskewed, Rect: full, Angle: deg}, w, hh, s, false)
			if trim {
				s.view, s.view2 = s.view2, s.view
				h.hashView(fp, triage.View{Kind: triage.ViewDeskewed, Rect: full, Angle: deg}, cw, ch, s, false)
			}
		}
		var w, hh int
		s.view, w, hh = uncropPlane(s.view[:0], ras.luma, ras.w, ras.h)
		h.hashView(fp, triage.View{Kind: triage.ViewUncropped, Rect: full}, w, hh, s, true)
	}
	if h.regions && h.algos.Has(triage.AlgoPDQ) && h.algos.Has(triage.AlgoPHash) {
		for _, k := range []triage.RegionKind{triage.RegionCentre} {
			var w, hh int
			s.view, w, hh = cropPlane(s.view[:0], ras.luma, ras.w, k.Rect(ras.w, ras.h))
			ph := phashDihedral(boxGray(s.view, w, hh, smallSide))[0]
			q, quality := s.pdq.Hash(s.view, w, hh)
			fp.Regions = append(fp.Regions, triage.Region{Kind: k, PDQ: triage.PDQ(q), PDQQuality: quality, PHash: ph})
		}
	}
	if keypoints != nil && keypoints() {
		fp.Keypoints = keypoint.Extract(ras.luma, ras.w, ras.h, h.keypoints)
	}
	h.hashPDQ(&fp.PDQ, &fp.PDQQuality, &fp.PDQDihedral, ras, s)
}

// hashView computes v's hashes from the plane in s.view and adds it to fp;
// with mirror, it also adds v's mirror image (View.Mirrored), whose
// hashes come from the same DCTs. A view's pHash comes from
// phashDihedral's own DCT rather than goimagehash (which takes 20 times
// as long for the same bits, bar a rare tie at the median): views are
// only matched, never reported.
func (h *Hasher) hashView(fp *triage.Fingerprint, v triage.View, w, hgt int, s *scratch, mirror bool) {
	m := v
	m.Mirrored = true
	if h.algos.Has(triage.AlgoPHash) {
		ph := phashDihedral(boxGray(s.view, w, hgt, smallSide))
		v.PHash, m.PHash = ph[0], ph[dihedralMirror]
	}
	if h.algos&triage.AlgoSet(triage.AlgoPDQ|triage.AlgoPDQDihedral) != 0 {
		if mirror {
			hs, quality := s.pdq.HashDihedral(s.view, w, hgt)
			v.PDQ, v.PDQQuality = triage.PDQ(hs[0]), quality
			m.PDQ, m.PDQQuality = triage.PDQ(hs[dihedralMirror]), quality
		} else {
			q, quality := s.pdq.Hash(s.view, w, hgt)
			v.PDQ, v.PDQQuality = triage.PDQ(q), quality
		}
	}
	fp.Views = append(fp.Views, v)
	if mirror {
		fp.Views = append(fp.Views, m)
	}
}

// dihedralMirror is the left/right mirror image's index in the dihedral
// order (flip y).
const dihedralMirror = 5

// phash returns pHash of a 64x64 thumbnail and, when the dihedral hashes
// are asked for, its dihedral set (whose first element is the pHash).
func (h *Hasher) phash(small *image.Gray) (triage.PHash, [8]triage.PHash) {
	var dih [8]triage.PHash
	v, err := goimagehash.PerceptionHash(small)
	if err != nil {
		return 0, dih
	}
	ph := triage.PHash(v.GetHash())
	if h.algos.Has(triage.AlgoPDQDihedral) {
		dih = phashDihedral(small)
		dih[0] = ph
	}
	return ph, dih
}

// hash64 computes the 64-bit hashes the Hasher is asked for from a luma plane.
func (h *Hasher) hash64(fp *triage.Fingerprint, luma []float32, w, hgt int) {
	if h.algos&triage.AlgoSet(triage.AlgoPHash|triage.AlgoDHash|triage.AlgoAHash) == 0 {
		return
	}
	small := boxGray(luma, w, hgt, smallSide)
	if h.algos.Has(triage.AlgoPHash) {
		fp.PHash, fp.PHashDihedral = h.phash(small)
	}
	if h.algos.Has(triage.AlgoDHash) {
		if v, err := goimagehash.DifferenceHash(small); err == nil {
			fp.DHash = triage.DHash(v.GetHash())
		}
	}
	if h.algos.Has(triage.AlgoAHash) {
		if v, err := goimagehash.AverageHash(small); err == nil {
			fp.AHash = triage.AHash(v.GetHash())
		}
	}
}

// hashPDQ computes PDQ (or the dihedral set, whose first is PDQ) of a
// luma plane, blurring it in place. A plane the JPEG fast path decoded at
// reduced scale is hashed as the reference would hash the full-size image
// (pdq.Hasher.HashScaled).
func (h *Hasher) hashPDQ(dst *triage.PDQ, quality *int, dih *[8]triage.PDQ, ras raster, s *scratch) {
	switch {
	case h.algos.Has(triage.AlgoPDQDihedral):
		hs, q := s.pdq.HashDihedralScaled(ras.luma, ras.w, ras.h, ras.srcW, ras.srcH)
		for i := range hs {
			dih[i] = triage.PDQ(hs[i])
		}
		*dst, *quality = dih[0], q
	case h.algos.Has(triage.AlgoPDQ):
		v, q := s.pdq.HashScaled(ras.luma, ras.w, ras.h, ras.srcW, ras.srcH)
		*dst, *quality = triage.PDQ(v), q
	}
}

// sameRect reports whether a and b differ by at most dx and dy pixels
// on every side.
func sameRect(a, b image.Rectangle, dx, dy int) bool {
	d := func(u, v, m int) bool { return u-v <= m && v-u <= m }
	return d(a.Min.X, b.Min.X, dx) && d(a.Max.X, b.Max.X, dx) && d(a.Min.Y, b.Min.Y, dy) && d(a.Max.Y, b.Max.Y, dy)
}

// scaleRect maps a rectangle of a w x h plane to the coordinates of the
// sw x sh image it was decoded from (a scaled JPEG decode), rounding
// outwards.
func scaleRect(r image.Rectangle, w, h, sw, sh int) image.Rectangle {
	if w == sw && h == sh {
		return r
	}
	return image.Rect(r.Min.X*sw/w, r.Min.Y*sh/h, min(sw, (r.Max.X*sw+w-1)/w), min(sh, (r.Max.Y*sh+h-1)/h))
}

// boxGray averages a w x h luma plane down to an n x n 8-bit gray image.
// Output pixel (x, y) is the mean of the input pixels (i, j) with
// i*n/w == x and j*n/h == y; when a side is shorter than n, input pixels are
// repeated (nearest neighbour) instead. Each input row's part of a block
// is summed alone, and the rows' sums are added to the block's in row
// order; the rows are summed 4 at a time, whose sums do not wait on each
// other (a third of the time of one at a time, the same bits).
func boxGray(luma []float32, w, h, n int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, n, n))
	sums := make([]float64, n)
	counts := make([]int, n)
	x0 := make([]int, 2*n) // column span of each output column
	for x := range n {
		xa, xb := (x*w+n-1)/n, ((x+1)*w+n-1)/n
		if xb <= xa { // upscaling: nearest column
			xa, xb = x*w/n, x*w/n+1
		}
		x0[2*x], x0[2*x+1] = xa, xb
	}
	for y := 0; y < n; y++ {
		ya, yb := (y*h+n-1)/n, ((y+1)*h+n-1)/n
		if yb <= ya { // upscaling: nearest row
			ya, yb = y*h/n, y*h/n+1
		}
		clear(sums)
		clear(counts)
		j := ya
		for ; j+4 <= yb; j += 4 {
			r0, r1, r2, r3 := luma[j*w:(j+1)*w], luma[(j+1)*w:(j+2)*w], luma[(j+2)*w:(j+3)*w], luma[(j+3)*w:(j+4)*w]
			for x := range n {
				xa, xb := x0[2*x], x0[2*x+1]
				var s0, s1, s2, s3 float64
				for i := xa; i < xb; i++ {
					s0 += float64(r0[i])
					s1 += float64(r1[i])
					s2 += float64(r2[i])
					s3 += float64(r3[i])
				}
				sums[x] += s0
				sums[x] += s1
				sums[x] += s2
				sums[x] += s3
				counts[x] += 4 * (xb - xa)
			}
		}
		for ; j < yb; j++ {
			row := luma[j*w : (j+1)*w]
			for x := range n {
				xa, xb := x0[2*x], x0[2*x+1]
				var sum float64
				for _, v := range row[xa:xb] {
					sum += float64(v)
				}
				sums[x] += sum
				counts[x] += xb - xa
			}
		}
		for x := 0; x < n; x++ {
			v := sums[x]/float64(counts[x]) + 0.5
			img.Pix[y*img.Stride+x] = uint8(min(255, max(0, v)))
		}
	}
	return img
}
