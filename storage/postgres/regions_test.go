package postgres

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/winnow-forensics/winnow/triage"
)

func TestRegionsColumn(t *testing.T) {
	rs := []triage.Region{{Kind: triage.RegionCentre, PDQ: triage.PDQ{1, 2, 3, 31: 9}, PDQQuality: 100, PHash: 0x8000_0000_0000_0001}}
	b := encodeRegions(rs)
	if len(b) != regionSize {
		t.Fatalf("%d bytes", len(b))
	}
	got, err := decodeRegions(b)
	if err != nil || !cmp.Equal(got, rs) {
		t.Fatalf("decode = %+v, %v; want %+v", got, err, rs)
	}
	if encodeRegions(nil) != nil {
		t.Errorf("no regions are not NULL")
	}
	if got, err := decodeRegions(nil); got != nil || err != nil {
		t.Errorf("NULL = %+v, %v", got, err)
	}
	for _, bad := range [][]byte{b[:regionSize-1], append([]byte{0}, b[1:]...), append([]byte{1, 101}, b[2:]...)} {
		if _, err := decodeRegions(bad); err == nil {
			t.Errorf("% x decoded", bad)
		}
	}
}

// FuzzRegionsColumn: any bytes decode or fail without panicking, and what
// decodes encodes back to the same bytes.
func FuzzRegionsColumn(f *testing.F) {
	f.Add(encodeRegions([]triage.Region{{Kind: triage.RegionCentre, PDQ: triage.PDQ{7}, PDQQuality: 88, PHash: 42}}))
	f.Add([]byte{})
	f.Add(make([]byte, 2*regionSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		rs, err := decodeRegions(b)
		if err != nil {
			return
		}
		if got := encodeRegions(rs); !bytes.Equal(got, b) && len(b) > 0 {
			t.Fatalf("% x -> %+v -> % x", b, rs, got)
		}
	})
}
