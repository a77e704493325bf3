package hashing

import (
	"context"
	"image"
	"io"
	"os"
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/pdq"
	"github.com/winnow-forensics/winnow/triage/vpdq"
)

// FrameDecoder is a Decoder of videos: it reads the frames vPDQ samples.
type FrameDecoder interface {
	Decoder
	// Frames decodes the video in in and calls yield with each frame
	// sampled as Meta's vPDQ reference samples them: the frames whose
	// index (among decoded frames, from 0) is a multiple of int(interval ×
	// fps), or every frame when interval is 0. The frame's pixels are
	// only valid during yield. It stops at yield's first error and returns
	// it. It returns what it learnt of the video whenever it got that far,
	// and an error with a code (EINVALID, ETOOLARGE, EUNSUPPORTED) for a
	// video it could not read to the end.
	Frames(ctx context.Context, in VideoInput, interval float64, lim Limits, yield func(Frame) error) (VideoMeta, error)
}

// VideoInput is the video a FrameDecoder reads: a plain file's path, the
// whole content in memory, or an open file holding it (a memfd).
type VideoInput struct {
	Path string
	Data []byte
	File *os.File
}

// Frame is one sampled frame.
type Frame struct {
	Index     int
	Timestamp float64 // seconds
	Image     image.Image
}

// VideoMeta is what a FrameDecoder learns of a video.
type VideoMeta struct {
	Width, Height int
	Codec         string
	Duration, FPS float64
	Rotation      int
}

// DefaultFrameInterval is vPDQ's default seconds between hashed frames.
const DefaultFrameInterval = 1.0

// frames returns the registered frame decoder of type mt, or nil.
func (h *Hasher) frames(mt triage.MediaType) FrameDecoder {
	if mt.Kind != triage.KindVideo || !h.algos.Has(triage.AlgoVPDQ) {
		return nil
	}
	for _, d := range h.decoders {
		if fd, ok := d.(FrameDecoder); ok && fd.Accepts(mt) {
			return fd
		}
	}
	return nil
}

// video hashes a video's sampled frames into fp.Frames, describes it in
// fp.Video, and makes its contact sheet the thumbnail. It returns the
// per-item error.
func (h *Hasher) video(ctx context.Context, fp *triage.Fingerprint, d FrameDecoder, in VideoInput, s *scratch) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = triage.Errorf(triage.EINTERNAL, "hashing failed: %v", p)
		}
	}()
	t0 := time.Now()
	var decode, hash time.Duration
	sh := newSheet()
	flt := vpdq.Filter{MinQuality: vpdq.MinQuality, NearDuplicate: vpdq.NearDuplicate}
	informative := 0
	var reserved int64
	defer func() { h.mem.Release(reserved) }()
	meta, err := d.Frames(ctx, in, h.frameInterval, h.lim, func(f Frame) error {
		t1 := time.Now()
		b := f.Image.Bounds()
		w, hh := b.Dx(), b.Dy()
		if reserved == 0 {
			// The luma plane, for the whole video: frames share it.
			n, err := h.mem.Acquire(ctx, int64(w)*int64(hh)*4)
			if err != nil {
				return err
			}
			reserved = n
		}
		s.luma = pdq.Luma(f.Image, s.luma)
		var thumb *image.Gray
		if h.thumbSide > 0 && sh.wants() {
			thumb = thumbGray(s.luma, w, hh, h.thumbSide) // before PDQ blurs the plane
		}
		t2 := time.Now()
		v, q := s.pdq.Hash(s.luma, w, hh)
		keep := flt.Keep(q, v)
		if keep {
			informative++
		}
		fp.Frames = append(fp.Frames, triage.FrameHash{Frame: f.Index, Quality: q, PDQ: triage.PDQ(v), Timestamp: f.Timestamp})
		if thumb != nil {
			sh.add(triage.FrameRef{Frame: f.Index, Timestamp: f.Timestamp}, thumb, keep)
		}
		decode += t2.Sub(t1)
		hash += time.Since(t2)
		return nil
	})
	fp.Times.Hash = hash
	fp.Times.Decode = time.Since(t0) - hash
	if len(fp.Frames) == 0 {
		err = undecodable(err)
	}
	if meta.Width > 0 {
		fp.Width, fp.Height = meta.Width, meta.Height
		fp.Decoder = d.Name()
		fp.Video = &triage.VideoInfo{Codec: meta.Codec, Duration: meta.Duration, FPS: meta.FPS, Rotation: meta.Rotation, Informative: informative}
		fp.Thumb, fp.Video.Sheet = sh.image()
	}
	return err
}

// hashVideoFile fingerprints the video file f at path: ffmpeg reads the
// file itself while the digests stream through it here.
func (h *Hasher) hashVideoFile(ctx context.Context, f *os.File, path string, mt triage.MediaType, d FrameDecoder) triage.Fingerprint {
	fp := triage.Fingerprint{Type: mt}
	dg := newDigester(h.algos)
	done := make(chan struct{})
	var n int64
	var dig triage.Digests
	var rerr error
	go func() {
		defer close(done)
		t0 := time.Now()
		n, dig, rerr = dg.sumStream(f, nil)
		fp.Times.Read = time.Since(t0)
	}()
	s := h.getScratch()
	defer h.scratch.Put(s)
	verr := h.video(ctx, &fp, d, VideoInput{Path: path}, s)
	<-done
	fp.Size, fp.Digests, fp.Err = n, dig, verr
	if rerr != nil {
		fp.Err = triage.Errorf(triage.EINVALID, "read: %v", rerr)
	}
	return fp
}

// memfdWriter copies a streamed video into a memfd, up to a limit, so that
// the decoder can read it after the digests have (never a file on disk).
type memfdWriter struct {
	f     *os.File
	n     int64
	limit int64
	err   error
}

func (w *memfdWriter) Write(p []byte) (int, error) {
	if w.err == nil {
		if w.n+int64(len(p)) > w.limit {
			w.err = triage.Errorf(triage.ETOOLARGE, "video stream over %s: not decoded (raise the in-memory video limit)", fmtBytes(w.limit))
		} else if _, err := w.f.Write(p); err != nil {
			w.err = triage.Errorf(triage.EINTERNAL, "video: copy to memory: %v", err)
		}
		w.n += int64(len(p))
	}
	return len(p), nil
}

var _ io.Writer = (*memfdWriter)(nil)
