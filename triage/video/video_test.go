package video_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/winnow-forensics/winnow/triage/sandbox"
	"github.com/winnow-forensics/winnow/triage/video"
)

func TestMain(m *testing.M) {
	sandbox.Main(nil)
	os.Exit(m.Run())
}

var errAny = errors.New("any error")

const sample = "../vpdq/testdata/test-padded-dimensions.mp4"

func TestProbe(t *testing.T) {
	info, err := video.Probe(context.Background(), video.Source{Path: sample}, video.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := video.Info{Codec: "h264", Width: 1080, Height: 1080, FPS: 30, Duration: 5, Frames: 150, Format: "mov,mp4,m4a,3gp,3g2,mj2", PixFmt: "yuv420p"}
	if info != want {
		t.Fatalf("Probe = %+v, want %+v", info, want)
	}
}

func TestStep(t *testing.T) {
	for _, tt := range []struct {
		interval, fps float64
		want          int
	}{{1, 30, 30}, {1, 29.97, 29}, {0.5, 25, 12}, {1, 0.5, 1}, {2, 23.976, 47}} {
		if got := video.Step(tt.interval, tt.fps); got != tt.want {
			t.Errorf("Step(%v, %v) = %d, want %d", tt.interval, tt.fps, got, tt.want)
		}
	}
}

// TestSources: a path, bytes and a ReaderAt give the same frames.
func TestSources(t *testing.T) {
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(sample)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var first []uint8
	for i, src := range []video.Source{{Path: sample}, {Data: data}, {ReaderAt: f, Size: int64(len(data))}} {
		var idx []int
		var sum []uint8
		_, err := video.Frames(context.Background(), src, video.Options{Interval: 2}, func(fr video.Frame) error {
			idx = append(idx, fr.Index)
			sum = append(sum, fr.Image.Pix[len(fr.Image.Pix)/2])
			return nil
		})
		if err != nil {
			t.Fatalf("source %d: %v", i, err)
		}
		if len(idx) != 3 || idx[1] != 60 || idx[2] != 120 {
			t.Fatalf("source %d: frames %v, want 0, 60, 120", i, idx)
		}
		if i == 0 {
			first = sum
		} else if string(sum) != string(first) {
			t.Fatalf("source %d: pixels differ from the path's", i)
		}
	}
}

// TestHostile: what is not a readable video, or is over the limits, is an
// error of its own kind, never a hang or a crash of this process.
func TestHostile(t *testing.T) {
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	garbage := make([]byte, 50_000)
	for i := range garbage {
		garbage[i] = byte(i * 7919 >> 3)
	}
	damaged := append([]byte{}, data...)
	for i := len(damaged) / 3; i < len(damaged)/3+4000; i++ {
		damaged[i] ^= 0xa5
	}
	tests := []struct {
		name string
		src  video.Source
		lim  video.Limits
		want error
	}{
		{"garbage", video.Source{Data: garbage}, video.Limits{}, video.ErrInvalid},
		{"truncated", video.Source{Data: data[:len(data)/2]}, video.Limits{}, nil},
		{"damaged", video.Source{Data: damaged}, video.Limits{}, nil},
		{"frames too large", video.Source{Data: data}, video.Limits{MaxPixels: 1000 * 1000}, video.ErrTooLarge},
		{"too many frames", video.Source{Data: data}, video.Limits{MaxFrames: 10}, video.ErrTooLarge},
		{"too big for memory", video.Source{Data: data}, video.Limits{MaxMemoryFile: 1000}, video.ErrTooLarge},
		// ffmpeg reports allocation failures in its own words ("Error
		// submitting video frame to the encoder"): any error will do.
		{"memory limit", video.Source{Data: data}, video.Limits{Memory: 80 << 20}, errAny},
		{"missing", video.Source{Path: filepath.Join(t.TempDir(), "none.mp4")}, video.Limits{}, video.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			_, err := video.Frames(context.Background(), tt.src, video.Options{Limits: tt.lim}, func(video.Frame) error { n++; return nil })
			t.Logf("%d frames, %v", n, err)
			if tt.want == nil {
				return // ffmpeg may recover what it can; it must end either way
			}
			if tt.want == errAny && err != nil {
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Frames = %v, want %v", err, tt.want)
			}
		})
	}
}
