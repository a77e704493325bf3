package video_test

import (
	"image"
	"testing"

	"github.com/winnow-forensics/winnow/triage/video"
)

func thumb(w, h int, v uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = v
	}
	return g
}

func TestSheet(t *testing.T) {
	tests := []struct {
		offered    int
		wantFrames []int
		w, h       int
	}{
		{1, []int{0}, 40, 30},
		{3, []int{0, 1, 2}, 3*40 + 2*2, 30},
		{16, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}, 4*40 + 3*2, 4*30 + 3*2},
		// 1000 frames: the stride doubles to 64, keeping 0, 64, ..., 960,
		// of which 16 are spread evenly.
		{1000, []int{0, 64, 128, 192, 256, 320, 384, 448, 512, 576, 640, 704, 768, 832, 896, 960}, 4*40 + 3*2, 4*30 + 3*2},
	}
	for _, tt := range tests {
		s := video.NewSheet(0)
		s.Add(video.Cell{Frame: -1}, thumb(40, 30, 1), false) // a black lead-in
		for i := range tt.offered {
			s.Add(video.Cell{Frame: i, Timestamp: float64(i) / 2}, thumb(40, 30, uint8(i)), true)
		}
		img, cells := s.Image()
		var got []int
		for _, c := range cells {
			got = append(got, c.Frame)
		}
		if len(got) != len(tt.wantFrames) {
			t.Fatalf("%d offered: frames %v, want %v", tt.offered, got, tt.wantFrames)
		}
		for i := range got {
			if got[i] != tt.wantFrames[i] {
				t.Fatalf("%d offered: frames %v, want %v", tt.offered, got, tt.wantFrames)
			}
		}
		if b := img.Bounds(); b.Dx() != tt.w || b.Dy() != tt.h {
			t.Errorf("%d offered: sheet %v, want %dx%d", tt.offered, b, tt.w, tt.h)
		}
		if v := img.GrayAt(41+2+1, 1).Y; len(got) > 1 && v != uint8(got[1]) {
			t.Errorf("%d offered: the second cell holds %d, want frame %d's thumbnail", tt.offered, v, got[1])
		}
	}
	s := video.NewSheet(0)
	s.Add(video.Cell{Frame: 3}, thumb(8, 8, 0), false)
	s.Add(video.Cell{Frame: 4}, thumb(8, 8, 0), false)
	if _, cells := s.Image(); len(cells) != 1 || cells[0].Frame != 3 {
		t.Fatalf("an all-black video: cells %v, want its first frame alone", cells)
	}
	if img, _ := video.NewSheet(0).Image(); img != nil {
		t.Fatal("an empty sheet has an image")
	}
}
