package keypoint

import "github.com/winnow-forensics/winnow/triage"

// ExtractOnce is Extract without the fill from a finer plane: the
// features of the Side plane alone.
func ExtractOnce(luma []float32, w, h, n int) []triage.Keypoint { return extract(luma, w, h, n, Side) }
