package hashing_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/sandbox"
	"github.com/winnow-forensics/winnow/triage/video"
)

// TestMain lets this test binary serve as the sandbox child that runs
// ffmpeg.
func TestMain(m *testing.M) {
	sandbox.Main(nil)
	os.Exit(m.Run())
}

const sampleVideo = "../vpdq/testdata/test-padded-dimensions.mp4"

// referenceFrames are the reference C++ tool's hashes of the sample video.
func referenceFrames(t *testing.T) map[int]string {
	f, err := os.Open("../vpdq/testdata/regenerated-ffmpeg5.1/test-padded-dimensions.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[int]string{}
	sc := bufio.NewScanner(f)
	for i := 0; sc.Scan(); i++ {
		out[i] = sc.Text()
	}
	return out
}

// TestVideo: a video gets its digests, its vPDQ frames (sampled and hashed
// as the reference does), a description and a contact sheet, from a path,
// from memory and from a stream alike.
func TestVideo(t *testing.T) {
	data, err := os.ReadFile(sampleVideo)
	if err != nil {
		t.Fatal(err)
	}
	ref := referenceFrames(t)
	opt := hashing.Options{Algos: triage.AlgosMatch, Decoders: []hashing.Decoder{video.Decoder{}}, ThumbSide: 64}
	h := hashing.New(opt)
	opt.Limits.BufferBytes = 4096 // everything larger is streamed
	streamed := hashing.New(opt)
	ctx := context.Background()
	for name, fp := range map[string]triage.Fingerprint{
		"file":   h.HashFile(ctx, sampleVideo),
		"bytes":  h.HashBytes(ctx, data),
		"stream": streamed.HashReader(ctx, bytes.NewReader(data), int64(len(data))),
	} {
		if fp.Err != nil || fp.SHA256.IsZero() || fp.Width != 1080 || fp.Type.Kind != triage.KindVideo {
			t.Fatalf("%s: err %v, %dx%d, %v", name, fp.Err, fp.Width, fp.Height, fp.Type)
		}
		if len(fp.Frames) != 5 {
			t.Fatalf("%s: %d frames, want 5", name, len(fp.Frames))
		}
		for i, f := range fp.Frames {
			want := ref[30*i]
			if got := strings.Join([]string{itoa(f.Frame), itoa(f.Quality), f.PDQ.String()}, ","); !strings.HasPrefix(want, got+",") {
				t.Errorf("%s: frame %d = %s, want %s", name, i, got, want)
			}
		}
		v := fp.Video
		if v == nil || v.FPS != 30 || v.Duration != 5 || v.Sheet == nil || fp.Thumb == nil || v.Informative == 0 {
			t.Fatalf("%s: video %+v, thumb %v", name, v, fp.Thumb != nil)
		}
		if b := fp.Thumb.Bounds(); b.Dx() != v.Sheet.Columns*v.Sheet.CellWidth+(v.Sheet.Columns-1)*v.Sheet.Gutter {
			t.Errorf("%s: sheet %v does not match its layout %+v", name, b, v.Sheet)
		}
	}
}

// TestVideoErrors: what ffmpeg cannot read is the item's error; its
// digests stay.
func TestVideoErrors(t *testing.T) {
	data, err := os.ReadFile(sampleVideo)
	if err != nil {
		t.Fatal(err)
	}
	h := hashing.New(hashing.Options{Algos: triage.AlgosMatch, Decoders: []hashing.Decoder{video.Decoder{}}})
	ctx := context.Background()
	junk := append(append([]byte{}, data[:64]...), bytes.Repeat([]byte{0x5a}, 20000)...)
	fp := h.HashBytes(ctx, junk)
	if triage.ErrorCode(fp.Err) != triage.EINVALID || fp.SHA256.IsZero() || fp.Frames != nil {
		t.Fatalf("junk: %v", fp.Err)
	}
	t.Logf("junk: %v", fp.Err)
	small := hashing.New(hashing.Options{Algos: triage.AlgosMatch, Decoders: []hashing.Decoder{video.Decoder{}},
		Limits: hashing.Limits{BufferBytes: 4096, MaxVideoBytes: 10_000}})
	fp = small.HashReader(ctx, bytes.NewReader(data), -1)
	if triage.ErrorCode(fp.Err) != triage.ETOOLARGE || fp.SHA256.IsZero() {
		t.Fatalf("a stream over the in-memory video limit: %v", fp.Err)
	}
	// Without vPDQ, a video is digested only.
	fp = hashing.New(hashing.Options{Decoders: []hashing.Decoder{video.Decoder{}}}).HashBytes(ctx, data)
	if fp.Err != nil || fp.Frames != nil || fp.Decoder != "" {
		t.Fatalf("default algorithms: %+v", fp)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
