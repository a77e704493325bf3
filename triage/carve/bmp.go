package carve

import (
	"encoding/binary"
	"io"

	"golang.org/x/image/bmp"
)

func isBMP(h []byte) bool {
	if len(h) < 30 || h[0] != 'B' || h[1] != 'M' || binary.LittleEndian.Uint32(h[6:]) != 0 {
		return false
	}
	switch binary.LittleEndian.Uint32(h[14:]) {
	case 12, 40, 52, 56, 64, 108, 124:
		return true
	}
	return false
}

// walkBMP takes the BMP at off at the size its header states, when the
// header's geometry is coherent with it; cut short by the end of the
// range, it keeps what there is past the header.
func walkBMP(s *src, off int64) (Item, bool) {
	h := s.get(off, 54)
	if len(h) < 30 {
		return Item{}, false
	}
	size := int64(binary.LittleEndian.Uint32(h[2:]))
	data := int64(binary.LittleEndian.Uint32(h[10:]))
	dib := int64(binary.LittleEndian.Uint32(h[14:]))
	var w, ht, bpp, comp int64
	if dib == 12 {
		w, ht = int64(binary.LittleEndian.Uint16(h[18:])), int64(int16(binary.LittleEndian.Uint16(h[20:])))
		bpp = int64(binary.LittleEndian.Uint16(h[24:]))
	} else {
		if len(h) < 34 {
			return Item{}, false
		}
		w, ht = int64(int32(binary.LittleEndian.Uint32(h[18:]))), int64(int32(binary.LittleEndian.Uint32(h[22:])))
		if binary.LittleEndian.Uint16(h[26:]) != 1 {
			return Item{}, false // planes
		}
		bpp = int64(binary.LittleEndian.Uint16(h[28:]))
		comp = int64(binary.LittleEndian.Uint32(h[30:]))
	}
	ht = max(ht, -ht)
	switch bpp {
	case 1, 2, 4, 8, 16, 24, 32:
	default:
		return Item{}, false
	}
	if w <= 0 || ht <= 0 || w > 1<<16 || ht > 1<<16 || data < 14+dib || data >= size || size > s.max {
		return Item{}, false
	}
	if comp == 0 || comp == 3 || comp == 6 { // uncompressed rows, padded to 4 bytes
		if data+(w*bpp+31)/32*4*ht > size {
			return Item{}, false
		}
	} else if comp > 6 {
		return Item{}, false
	}
	it := Item{Off: off, Len: size, Ext: "bmp"}
	if !s.has(off, size) {
		end := s.limit
		if b := s.get(end-1, 1); len(b) == 0 {
			return Item{}, false // r's data ends before the range does
		}
		if end-off <= data {
			return Item{}, false
		}
		it.Len, it.Truncated = end-off, true
	}
	return check(s, it, bmpConfig)
}

func bmpConfig(r io.Reader) error { _, err := bmp.DecodeConfig(r); return err }
