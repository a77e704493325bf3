package postgres

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/winnow-forensics/winnow/triage"
)

func TestKeypointsColumn(t *testing.T) {
	kps := []triage.Keypoint{{X: 1, Y: 2, Scale: 3, Angle: 4, Desc: 0x8000_0000_0000_0001}, {X: 255, Y: 0, Scale: 80, Angle: 200, Desc: 42}}
	b := encodeKeypoints(kps)
	if len(b) != 2*keypointSize {
		t.Fatalf("%d bytes", len(b))
	}
	got, err := decodeKeypoints(b)
	if err != nil || !cmp.Equal(got, kps) {
		t.Fatalf("decode = %+v, %v; want %+v", got, err, kps)
	}
	if encodeKeypoints(nil) != nil {
		t.Errorf("no keypoints are not NULL")
	}
	if got, err := decodeKeypoints(nil); got != nil || err != nil {
		t.Errorf("NULL = %+v, %v", got, err)
	}
	full := make([]byte, triage.MaxKeypoints*keypointSize)
	if got, err := decodeKeypoints(full); len(got) != triage.MaxKeypoints || err != nil {
		t.Errorf("%d keypoints: %d, %v", triage.MaxKeypoints, len(got), err)
	}
	for _, bad := range [][]byte{b[:keypointSize-1], b[:keypointSize+1], append(full, b[:keypointSize]...)} {
		if _, err := decodeKeypoints(bad); err == nil {
			t.Errorf("%d bytes decoded", len(bad))
		}
	}
}

// FuzzKeypointsColumn: any bytes decode or fail without panicking, what
// decodes is at most triage.MaxKeypoints and encodes back to the same
// bytes.
func FuzzKeypointsColumn(f *testing.F) {
	f.Add(encodeKeypoints([]triage.Keypoint{{X: 10, Y: 20, Scale: 30, Angle: 40, Desc: 0xfedc_ba98_7654_3210}}))
	f.Add([]byte{})
	f.Add(make([]byte, keypointSize-1))
	f.Add(make([]byte, triage.MaxKeypoints*keypointSize))
	f.Add(make([]byte, (triage.MaxKeypoints+1)*keypointSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		kps, err := decodeKeypoints(b)
		if err != nil {
			return
		}
		if len(kps) > triage.MaxKeypoints {
			t.Fatalf("%d keypoints decoded", len(kps))
		}
		if got := encodeKeypoints(kps); !bytes.Equal(got, b) && len(b) > 0 {
			t.Fatalf("% x -> %+v -> % x", b, kps, got)
		}
	})
}
