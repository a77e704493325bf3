package video

import (
	"context"
	"errors"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/sandbox"
)

// Decoder is ffmpeg as the Hasher's FrameDecoder (registered once in
// cmd/winnow/kinds.go).
type Decoder struct {
	// Limits bound each video; MaxPixels and MaxMemoryFile also follow the
	// Hasher's limits when those are lower.
	Limits Limits
}

var _ hashing.FrameDecoder = Decoder{}

// Name names the decoder in fingerprints.
func (Decoder) Name() string { return "ffmpeg (isolated)" }

// Accepts takes every video type Winnow sniffs.
func (Decoder) Accepts(mt triage.MediaType) bool { return mt.Kind == triage.KindVideo }

// Frames reads in's frames sampled every interval seconds (0: every
// frame). Errors carry triage codes.
func (d Decoder) Frames(ctx context.Context, in hashing.VideoInput, interval float64, lim hashing.Limits, yield func(hashing.Frame) error) (hashing.VideoMeta, error) {
	vl := d.Limits.withDefaults()
	vl.MaxPixels = min(vl.MaxPixels, lim.MaxPixels)
	vl.MaxMemoryFile = min(vl.MaxMemoryFile, lim.MaxVideoBytes)
	src := Source{Path: in.Path, File: in.File, Data: in.Data}
	info, err := Frames(ctx, src, Options{Interval: interval, Limits: vl}, func(f Frame) error {
		return yield(hashing.Frame{Index: f.Index, Timestamp: f.Timestamp, Image: f.Image})
	})
	meta := hashing.VideoMeta{Width: info.Width, Height: info.Height, Codec: info.Codec,
		Duration: info.Duration, FPS: info.FPS, Rotation: info.Rotation}
	return meta, Code(err)
}

// Code gives an error of Frames the triage code it deserves: a file ffmpeg
// cannot read, or that crashed it, is invalid; one over a limit too large;
// one without a video stream unsupported.
func Code(err error) error {
	var code string
	var te *triage.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &te), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, ErrTooLarge), errors.Is(err, sandbox.ErrCPULimit), errors.Is(err, sandbox.ErrMemoryLimit),
		errors.Is(err, sandbox.ErrTimeout), errors.Is(err, sandbox.ErrOutputLimit):
		code = triage.ETOOLARGE
	case errors.Is(err, ErrUnsupported):
		code = triage.EUNSUPPORTED
	default:
		code = triage.EINVALID
	}
	return triage.Errorf(code, "%v", err)
}
