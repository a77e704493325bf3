package hashing

import (
	"context"
	"fmt"
	"testing"

	"github.com/winnow-forensics/winnow/triage/triagetest"
)

func TestThumbGray(t *testing.T) {
	tests := []struct {
		w, h, side, tw, th int
	}{
		{400, 300, 160, 160, 120},
		{300, 400, 160, 120, 160},
		{100, 50, 160, 100, 50},
		{1000, 3, 160, 160, 1},
	}
	for _, tt := range tests {
		luma := make([]float32, tt.w*tt.h)
		for i := range luma {
			luma[i] = float32(i % tt.w * 255 / tt.w) // a left-to-right ramp
		}
		img := thumbGray(luma, tt.w, tt.h, tt.side)
		if b := img.Bounds(); b.Dx() != tt.tw || b.Dy() != tt.th {
			t.Errorf("%dx%d at %d: got %dx%d, want %dx%d", tt.w, tt.h, tt.side, b.Dx(), b.Dy(), tt.tw, tt.th)
			continue
		}
		// The ramp survives: dark on the left, bright on the right.
		if l, r := img.GrayAt(0, 0).Y, img.GrayAt(tt.tw-1, tt.th-1).Y; l > 10 || r < 240 {
			t.Errorf("%dx%d: corners %d and %d, want a ramp from ~0 to ~255", tt.w, tt.h, l, r)
		}
	}
}

func TestHasherThumb(t *testing.T) {
	h := New(Options{ThumbSide: 96})
	fp := h.HashBytes(context.Background(), triagetest.PhotoJPEG(640, 480, 7, 85))
	if fp.Err != nil || fp.Thumb == nil {
		t.Fatalf("no thumbnail: %v", fp.Err)
	}
	if b := fp.Thumb.Bounds(); b.Dx() != 96 || b.Dy() != 72 {
		t.Errorf("thumbnail %v, want 96x72", b)
	}
	if fp := New(Options{}).HashBytes(context.Background(), triagetest.PhotoJPEG(64, 64, 7, 85)); fp.Thumb != nil {
		t.Errorf("thumbnail made without ThumbSide")
	}
}

func BenchmarkThumbGray(b *testing.B) {
	for _, sz := range [][2]int{{500, 375}, {4000, 3000}} {
		luma := make([]float32, sz[0]*sz[1])
		for i := range luma {
			luma[i] = float32(i % 251)
		}
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			for b.Loop() {
				thumbGray(luma, sz[0], sz[1], 128)
			}
		})
	}
}
