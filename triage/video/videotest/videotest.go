// Package videotest makes small H.264 videos for tests from images that
// tests generate (slideshows of benign stills), with Debian's ffmpeg and
// libx264, entirely in memory: frames go to ffmpeg over a pipe and the video
// comes back over another.
package videotest

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	"os/exec"
	"testing"
)

// Slide is one still and how long it stays on screen.
type Slide struct {
	Image   image.Image
	Seconds float64
}

// Slideshow returns an MP4 (fragmented, H.264, yuv420p) of w x h frames at
// fps, showing each slide scaled to fill the frame for its time.
func Slideshow(tb testing.TB, slides []Slide, w, h, fps int) []byte {
	tb.Helper()
	cmd := exec.Command("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
		"-f", "rawvideo", "-pix_fmt", "rgba", "-s", fmt.Sprintf("%dx%d", w, h), "-r", fmt.Sprint(fps), "-i", "pipe:0",
		"-c:v", "libx264", "-preset", "ultrafast", "-crf", "20", "-pix_fmt", "yuv420p",
		"-f", "mp4", "-movflags", "frag_keyframe+empty_moov", "pipe:1")
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("videotest needs ffmpeg (Debian: apt-get install ffmpeg): %v", err)
	}
	frame := image.NewRGBA(image.Rect(0, 0, w, h))
	for _, s := range slides {
		scaleInto(frame, s.Image)
		for range int(s.Seconds*float64(fps) + 0.5) {
			if _, err := in.Write(frame.Pix); err != nil {
				tb.Fatalf("ffmpeg: %v: %s", err, stderr.String())
			}
		}
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		tb.Fatalf("ffmpeg: %v: %s", err, stderr.String())
	}
	return out.Bytes()
}

// scaleInto draws src scaled to fill dst (nearest neighbour).
func scaleInto(dst *image.RGBA, src image.Image) {
	db, sb := dst.Bounds(), src.Bounds()
	if db.Size() == sb.Size() {
		draw.Draw(dst, db, src, sb.Min, draw.Src)
		return
	}
	for y := 0; y < db.Dy(); y++ {
		sy := sb.Min.Y + y*sb.Dy()/db.Dy()
		for x := 0; x < db.Dx(); x++ {
			dst.Set(x, y, src.At(sb.Min.X+x*sb.Dx()/db.Dx(), sy))
		}
	}
}
