package phone

import (
	"testing"

	"github.com/winnow-forensics/winnow/triage/container"
)

func FuzzExtraTimes(f *testing.F) {
	f.Add([]byte{0x55, 0x54, 13, 0, 7, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})
	f.Add([]byte{0x0a, 0, 32, 0, 0, 0, 0, 0, 1, 0, 24, 0, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{0x55, 0x54, 1, 0, 7})
	f.Fuzz(func(t *testing.T, extra []byte) {
		var tm container.Times
		extraTimes(&tm, extra)
	})
}
