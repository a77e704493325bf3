// Package video reads the frames of a video with Debian's ffmpeg and
// ffprobe (5.1), run as sandboxed child processes (package sandbox): no
// standard input, only the file and pipe protocols (no network), memory and
// CPU limits, the first video stream only, no autorotation, and output
// bounded in frames and bytes.
//
// The evidence reaches ffmpeg as its own path when it is a plain file, and
// otherwise as a memfd (an anonymous in-memory file the child inherits),
// never as a temporary file on disk. Frames come back as full-resolution
// RGBA over a pipe, sampled as Meta's vPDQ reference samples them: the
// frames whose index (counting decoded frames from 0) is a multiple of
// int(interval × fps), with fps the stream's average frame rate (its base
// rate when that is unknown), and timestamp index / fps.
package video

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/winnow-forensics/winnow/triage/sandbox"
)

// Errors that this package's errors wrap, besides sandbox's (a crash or a
// limit). Test with errors.Is.
var (
	// ErrInvalid: ffmpeg could not read the file as a video.
	ErrInvalid = errors.New("not a readable video")
	// ErrTooLarge: over Limits.
	ErrTooLarge = errors.New("video over the limits")
	// ErrUnsupported: no video stream, or no ffmpeg on this machine.
	ErrUnsupported = errors.New("unsupported video")
)

// Error is an error from this package: one of the sentinels above (or
// sandbox's) and a message for people.
type Error struct {
	Kind error
	Msg  string
}

// Error returns the message.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the kind.
func (e *Error) Unwrap() error { return e.Kind }

func errorf(kind error, format string, args ...any) error {
	return &Error{kind, fmt.Sprintf(format, args...)}
}

// Limits bound one video. Zero fields take the defaults.
type Limits struct {
	// MaxPixels bounds a frame (width × height).
	MaxPixels int64
	// MaxFrames bounds the frames read (sampled frames, not decoded ones).
	MaxFrames int
	// MaxMemoryFile is the largest video that is not a plain file (an
	// archive member, an object from the store) that is copied into a
	// memfd for ffmpeg.
	MaxMemoryFile int64
	// Memory is ffmpeg's private memory limit (see sandbox.Limits).
	Memory int64
	// CPU is ffmpeg's CPU time: Base plus PerSecond for each second of
	// video (by the container's duration, or a default when unknown).
	CPUBase, CPUPerSecond time.Duration
}

// DefaultLimits: 8K frames, an hour of video at one frame a second, 4 GiB
// in memory; ffmpeg gets 2 GiB and 30 s plus 2 s of CPU per second of video
// (1080p H.264 decodes at about 0.1 s per second of video here).
var DefaultLimits = Limits{
	MaxPixels:     7680 * 4320,
	MaxFrames:     36_000,
	MaxMemoryFile: 4 << 30,
	Memory:        2 << 30,
	CPUBase:       30 * time.Second,
	CPUPerSecond:  2 * time.Second,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxPixels > 0 {
		d.MaxPixels = l.MaxPixels
	}
	if l.MaxFrames > 0 {
		d.MaxFrames = l.MaxFrames
	}
	if l.MaxMemoryFile > 0 {
		d.MaxMemoryFile = l.MaxMemoryFile
	}
	if l.Memory > 0 {
		d.Memory = l.Memory
	}
	if l.CPUBase > 0 {
		d.CPUBase = l.CPUBase
	}
	if l.CPUPerSecond > 0 {
		d.CPUPerSecond = l.CPUPerSecond
	}
	return d
}

// Source is the video to read: a plain file's path, an open file holding
// it (a memfd, passed to ffmpeg as it is), or its content (Data, or
// ReaderAt and Size), which goes to ffmpeg as a memfd.
type Source struct {
	Path     string
	File     *os.File
	Data     []byte
	ReaderAt io.ReaderAt
	Size     int64
}

// Info is what ffprobe says of the first video stream.
type Info struct {
	Codec         string
	Width, Height int
	// FPS is the frame rate vPDQ samples by: the average frame rate, or
	// the base rate when the average is unknown.
	FPS float64
	// Duration in seconds (0 when unknown) and Frames, the frame count the
	// container declares (0 when unknown).
	Duration float64
	Frames   int
	// Rotation is the display-matrix rotation in degrees, reported only:
	// frames are not rotated (vPDQ hashes them as stored).
	Rotation int
	Format   string
	// PixFmt is the decoder's pixel format ("yuv420p").
	PixFmt string
}

// Frame is one sampled frame. Image's pixels are only valid during the
// callback that receives it (the buffer is reused); copy what you keep.
type Frame struct {
	Index     int     // 0-based among decoded frames
	Timestamp float64 // seconds: Index / FPS
	Image     *image.NRGBA
}

// Options configure Frames.
type Options struct {
	// Interval is vPDQ's seconds_per_hash: a frame is read when its index
	// is a multiple of int(Interval × fps) (at least 1); 0 reads every
	// frame.
	Interval float64
	// Threads is ffmpeg's decoding threads; 0 lets ffmpeg choose.
	Threads int
	Limits  Limits
}

// Tools are the ffmpeg and ffprobe binaries.
type Tools struct {
	FFmpeg, FFprobe string
}

var (
	lookOnce sync.Once
	tools    Tools
	lookErr  error
)

// LookTools finds ffmpeg and ffprobe on PATH (once per process).
func LookTools() (Tools, error) {
	lookOnce.Do(func() {
		var e1, e2 error
		tools.FFmpeg, e1 = exec.LookPath("ffmpeg")
		tools.FFprobe, e2 = exec.LookPath("ffprobe")
		if errors.Join(e1, e2) != nil {
			lookErr = errorf(ErrUnsupported, "video needs ffmpeg and ffprobe on PATH (Debian: apt-get install ffmpeg)")
		}
	})
	return tools, lookErr
}

// input prepares src for a child: the URL ffmpeg opens and the files the
// child must inherit. done releases them.
func input(src Source, lim Limits) (url string, extra []*os.File, done func(), err error) {
	if src.Path != "" {
		fi, err := os.Stat(src.Path)
		if err != nil {
			return "", nil, nil, errorf(ErrInvalid, "video: %v", err)
		}
		if !fi.Mode().IsRegular() {
			return "", nil, nil, errorf(ErrUnsupported, "video: not a regular file")
		}
		abs := src.Path
		if !strings.HasPrefix(abs, "/") {
			wd, err := os.Getwd()
			if err != nil {
				return "", nil, nil, err
			}
			abs = wd + "/" + abs
		}
		return "file:" + abs, nil, func() {}, nil
	}
	// The child's first inherited file is its descriptor 3.
	const inherited = "file:/proc/self/fd/3"
	if src.File != nil {
		return inherited, []*os.File{src.File}, func() {}, nil
	}
	size := int64(len(src.Data))
	if src.Data == nil {
		size = src.Size
	}
	if size > lim.MaxMemoryFile {
		return "", nil, nil, errorf(ErrTooLarge, "video of %d bytes in memory, over the limit of %d", size, lim.MaxMemoryFile)
	}
	f, err := sandbox.Memfd("winnow-video")
	if err != nil {
		return "", nil, nil, err
	}
	if src.Data != nil {
		_, err = f.Write(src.Data)
	} else {
		_, err = io.Copy(f, io.NewSectionReader(src.ReaderAt, 0, src.Size))
	}
	if err != nil {
		f.Close()
		return "", nil, nil, fmt.Errorf("video: fill memfd: %w", err)
	}
	return inherited, []*os.File{f}, func() { f.Close() }, nil
}

// common are the arguments every ffmpeg and ffprobe run gets: no banner,
// errors only, only the file and pipe protocols.
var common = []string{"-hide_banner", "-loglevel", "error", "-protocol_whitelist", "file,pipe"}

// probeLimits are ffprobe's: it reads headers and a few packets.
var probeLimits = sandbox.Limits{Memory: 512 << 20, CPU: 20 * time.Second}

// Probe describes src's first video stream.
func Probe(ctx context.Context, src Source, lim Limits) (Info, error) {
	t, err := LookTools()
	if err != nil {
		return Info{}, err
	}
	lim = lim.withDefaults()
	url, extra, done, err := input(src, lim)
	if err != nil {
		return Info{}, err
	}
	defer done()
	return probe(ctx, t, url, extra)
}

func probe(ctx context.Context, t Tools, url string, extra []*os.File) (Info, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	args := append(append([]string{}, common...),
		"-select_streams", "v:0",
		"-show_entries", "stream=codec_name,width,height,pix_fmt,avg_frame_rate,r_frame_rate,nb_frames,duration:stream_side_data=rotation:format=duration,format_name",
		"-of", "json", url)
	cmd, err := sandbox.Command(ctx, probeLimits, t.FFprobe, args...)
	if err != nil {
		return Info{}, err
	}
	cmd.ExtraFiles = extra
	var stdout, stderr limitedBuffer
	stdout.max, stderr.max = 1<<20, 4<<10
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := sandbox.ExitError(cmd, cmd.Run(), stderr.Bytes()); err != nil {
		if ctx.Err() != nil {
			return Info{}, errorf(sandbox.ErrTimeout, "ffprobe took longer than a minute; stopped")
		}
		if errors.Is(err, sandbox.ErrExit) {
			return Info{}, errorf(ErrInvalid, "not a readable video: %s", lastLine(stderr.Bytes()))
		}
		return Info{}, err
	}
	var out struct {
		Streams []struct {
			Codec    string `json:"codec_name"`
			PixFmt   string `json:"pix_fmt"`
			Width    int    `json:"width"`
			Height   int    `json:"height"`
			AvgRate  string `json:"avg_frame_rate"`
			BaseRate string `json:"r_frame_rate"`
			NbFrames string `json:"nb_frames"`
			Duration string `json:"duration"`
			SideData []struct {
				Rotation float64 `json:"rotation"`
			} `json:"side_data_list"`
		} `json:"streams"`
		Format struct {
			Name     string `json:"format_name"`
			Duration string `json:"duration"`
		} `json:"format"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		return Info{}, errorf(ErrInvalid, "ffprobe output: %v", err)
	}
	if len(out.Streams) == 0 {
		return Info{}, errorf(ErrUnsupported, "no video stream")
	}
	s := out.Streams[0]
	info := Info{Codec: s.Codec, Width: s.Width, Height: s.Height, Format: out.Format.Name, PixFmt: s.PixFmt}
	info.FPS = rate(s.AvgRate)
	if info.FPS == 0 {
		info.FPS = rate(s.BaseRate)
	}
	info.Frames, _ = strconv.Atoi(s.NbFrames)
	info.Duration, _ = strconv.ParseFloat(s.Duration, 64)
	if d, err := strconv.ParseFloat(out.Format.Duration, 64); err == nil && d > info.Duration {
		info.Duration = d
	}
	if len(s.SideData) > 0 {
		info.Rotation = int(s.SideData[0].Rotation)
	}
	if info.Width <= 0 || info.Height <= 0 {
		return info, errorf(ErrInvalid, "video stream declares no size")
	}
	if info.FPS <= 0 || math.IsInf(info.FPS, 0) || math.IsNaN(info.FPS) {
		return info, errorf(ErrInvalid, "video stream declares no frame rate")
	}
	return info, nil
}

// validPixFmt accepts a pixel format name as ffprobe prints them, so that
// it can go into a filter graph as it is.
func validPixFmt(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// rate parses an ffprobe rational "num/den".
func rate(s string) float64 {
	n, d, ok := strings.Cut(s, "/")
	if !ok {
		return 0
	}
	num, err1 := strconv.ParseFloat(n, 64)
	den, err2 := strconv.ParseFloat(d, 64)
	if err1 != nil || err2 != nil || den == 0 || num < 0 {
		return 0
	}
	return num / den
}

// Step returns vPDQ's frame step for an interval and a frame rate:
// int(interval × fps), at least 1.
func Step(interval, fps float64) int {
	return max(1, int(interval*fps))
}

// Frames probes src and calls fn with each sampled frame in order. It
// stops at fn's first error and returns it. Info is returned whenever the
// probe worked, with the error of the decode, if any.
func Frames(ctx context.Context, src Source, opt Options, fn func(Frame) error) (Info, error) {
	t, err := LookTools()
	if err != nil {
		return Info{}, err
	}
	lim := opt.Limits.withDefaults()
	url, extra, done, err := input(src, lim)
	if err != nil {
		return Info{}, err
	}
	defer done()
	info, err := probe(ctx, t, url, extra)
	if err != nil {
		return info, err
	}
	if px := int64(info.Width) * int64(info.Height); px > lim.MaxPixels {
		return info, errorf(ErrTooLarge, "video frames are %dx%d, over the limit of %.1f MP", info.Width, info.Height, float64(lim.MaxPixels)/1e6)
	}
	step := 1
	if opt.Interval > 0 {
		step = Step(opt.Interval, info.FPS)
	}
	seconds := info.Duration
	if seconds <= 0 {
		seconds = 3600
	}
	cpu := lim.CPUBase + time.Duration(seconds*float64(lim.CPUPerSecond))
	args := append([]string{"-nostdin"}, common...)
	args = append(args, "-noautorotate", "-threads", strconv.Itoa(opt.Threads), "-i", url,
		"-map", "0:v:0", "-an", "-sn", "-dn")
	if step > 1 {
		// The select filter takes any pixel format, so ffmpeg would be free
		// to convert every decoded frame to RGB before it: pin its input to
		// the decoder's format, and only the selected frames are converted.
		vf := fmt.Sprintf("select=not(mod(n\\,%d))", step)
		if validPixFmt(info.PixFmt) {
			vf = "format=" + info.PixFmt + "," + vf
		}
		args = append(args, "-vf", vf)
	}
	// Every selected frame exactly once, at the stream's own size, converted
	// to RGB by swscale with area averaging as the reference does; the raw
	// "encoder" on one thread (its frame threads only cost stacks).
	args = append(args, "-fps_mode", "passthrough", "-sws_flags", "area", "-threads", "1",
		"-s", fmt.Sprintf("%dx%d", info.Width, info.Height),
		"-pix_fmt", "rgba", "-f", "rawvideo", "pipe:1")
	// The wall clock: ten times the CPU limit, against a machine too busy
	// to give ffmpeg its time.
	ctx, cancel := context.WithTimeout(ctx, 10*cpu)
	defer cancel()
	cmd, err := sandbox.Command(ctx, sandbox.Limits{Memory: lim.Memory, CPU: cpu}, t.FFmpeg, args...)
	if err != nil {
		return info, err
	}
	cmd.ExtraFiles = extra
	var stderr limitedBuffer
	stderr.max = 4 << 10
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return info, err
	}
	if err := cmd.Start(); err != nil {
		return info, fmt.Errorf("video: start ffmpeg: %w", err)
	}
	ferr := readFrames(bufio.NewReaderSize(stdout, 1<<20), info, step, lim.MaxFrames, fn)
	if ferr != nil {
		cmd.Process.Kill()
	}
	werr := cmd.Wait()
	switch {
	case ferr != nil:
		return info, ferr
	case ctx.Err() != nil:
		return info, errorf(sandbox.ErrTimeout, "ffmpeg took longer than %v; stopped", 10*cpu)
	}
	if err := sandbox.ExitError(cmd, werr, stderr.Bytes()); err != nil {
		if errors.Is(err, sandbox.ErrExit) {
			return info, errorf(ErrInvalid, "ffmpeg could not decode the video: %s", lastLine(stderr.Bytes()))
		}
		return info, err
	}
	return info, nil
}

func readFrames(r io.Reader, info Info, step, maxFrames int, fn func(Frame) error) error {
	img := image.NewNRGBA(image.Rect(0, 0, info.Width, info.Height))
	for n := 0; ; n++ {
		if _, err := io.ReadFull(r, img.Pix); err != nil {
			if err == io.EOF {
				return nil
			}
			if err == io.ErrUnexpectedEOF {
				return nil // ffmpeg stopped mid-frame: Wait reports why
			}
			return err
		}
		if n >= maxFrames {
			return errorf(ErrTooLarge, "video has more than %d sampled frames; raise the frame limit", maxFrames)
		}
		idx := n * step
		if err := fn(Frame{Index: idx, Timestamp: float64(idx) / info.FPS, Image: img}); err != nil {
			return err
		}
	}
}

// limitedBuffer keeps the first max bytes written to it and drops the rest.
type limitedBuffer struct {
	bytes.Buffer
	max int
}

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	s := strings.TrimSpace(lines[len(lines)-1])
	if s == "" {
		return "no reason given"
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
