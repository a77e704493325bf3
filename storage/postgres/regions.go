package postgres

import (
	"encoding/binary"

	"github.com/winnow-forensics/winnow/triage"
)

// regionSize is the size of one region in a regions column (items and
// hashset_entries): kind, PDQ quality, PDQ, pHash (little-endian).
const regionSize = 1 + 1 + 32 + 8

// encodeRegions returns the regions column of rs (NULL for none).
func encodeRegions(rs []triage.Region) []byte {
	if len(rs) == 0 {
		return nil
	}
	b := make([]byte, 0, len(rs)*regionSize)
	for _, r := range rs {
		b = append(b, byte(r.Kind), byte(r.PDQQuality))
		b = append(b, r.PDQ[:]...)
		b = binary.LittleEndian.AppendUint64(b, uint64(r.PHash))
	}
	return b
}

// decodeRegions reads a regions column; a column that is not whole
// regions of known kinds and qualities 0-100 is an error.
func decodeRegions(b []byte) ([]triage.Region, error) {
	if len(b)%regionSize != 0 {
		return nil, triage.Errorf(triage.EINTERNAL, "stored regions are %d bytes, not a multiple of %d", len(b), regionSize)
	}
	var out []triage.Region
	for ; len(b) > 0; b = b[regionSize:] {
		r := triage.Region{Kind: triage.RegionKind(b[0]), PDQQuality: int(b[1]), PHash: triage.PHash(binary.LittleEndian.Uint64(b[34:]))}
		if !r.Kind.Valid() || r.PDQQuality > 100 {
			return nil, triage.Errorf(triage.EINTERNAL, "stored region: kind %d, quality %d", b[0], b[1])
		}
		copy(r.PDQ[:], b[2:34])
		out = append(out, r)
	}
	return out, nil
}
