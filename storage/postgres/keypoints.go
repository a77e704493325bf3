package postgres

import (
	"encoding/binary"

	"github.com/winnow-forensics/winnow/triage"
)

// keypointSize is the size of one keypoint in a keypoints column (items
// and hashset_entries): descriptor (little-endian), x, y, scale, angle.
const keypointSize = 8 + 4

// encodeKeypoints returns the keypoints column of kps (NULL for none).
func encodeKeypoints(kps []triage.Keypoint) []byte {
	if len(kps) == 0 {
		return nil
	}
	b := make([]byte, 0, len(kps)*keypointSize)
	for _, k := range kps {
		b = binary.LittleEndian.AppendUint64(b, k.Desc)
		b = append(b, k.X, k.Y, k.Scale, k.Angle)
	}
	return b
}

// decodeKeypoints reads a keypoints column; a column that is not whole
// keypoints, or holds more than triage.MaxKeypoints, is an error.
func decodeKeypoints(b []byte) ([]triage.Keypoint, error) {
	if len(b)%keypointSize != 0 {
		return nil, triage.Errorf(triage.EINTERNAL, "stored keypoints are %d bytes, not a multiple of %d", len(b), keypointSize)
	}
	if len(b) == 0 {
		return nil, nil
	}
	if n := len(b) / keypointSize; n > triage.MaxKeypoints {
		return nil, triage.Errorf(triage.EINTERNAL, "%d stored keypoints, over the %d an entry may have", n, triage.MaxKeypoints)
	}
	out := make([]triage.Keypoint, 0, len(b)/keypointSize)
	for ; len(b) > 0; b = b[keypointSize:] {
		out = append(out, triage.Keypoint{Desc: binary.LittleEndian.Uint64(b), X: b[8], Y: b[9], Scale: b[10], Angle: b[11]})
	}
	return out, nil
}
