package hashing

import (
	"image"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
)

func sheetThumb(w, h int, v uint8) *image.Gray {
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
		s := newSheet()
		s.add(triage.FrameRef{Frame: -1}, sheetThumb(40, 30, 1), false) // a black lead-in
		for i := range tt.offered {
			s.add(triage.FrameRef{Frame: i, Timestamp: float64(i) / 2}, sheetThumb(40, 30, uint8(i)), true)
		}
		img, cs := s.image()
		var got []int
		for _, c := range cs.Frames {
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
	s := newSheet()
	s.add(triage.FrameRef{Frame: 3}, sheetThumb(8, 8, 0), false)
	s.add(triage.FrameRef{Frame: 4}, sheetThumb(8, 8, 0), false)
	if _, cs := s.image(); len(cs.Frames) != 1 || cs.Frames[0].Frame != 3 || cs.Columns != 1 || cs.CellWidth != 8 {
		t.Fatalf("an all-black video: sheet %+v, want its first frame alone", cs)
	}
	if img, _ := newSheet().image(); img != nil {
		t.Fatal("an empty sheet has an image")
	}
}
