package carve

import (
	"encoding/binary"
	"hash/crc32"
	"image/png"
	"io"
)

const pngSig = "\x89PNG\r\n\x1a\n"

func isPNG(h []byte) bool {
	return len(h) >= 16 && string(h[:8]) == pngSig && string(h[12:16]) == "IHDR"
}

// walkPNG follows the chunks of the PNG at off, checking each CRC, to
// IEND. Cut short, it keeps the chunks up to the last good one when
// image data was seen.
func walkPNG(s *src, off int64) (Item, bool) {
	p := off + 8
	idat := false
	crc := crc32.NewIEEE()
	for {
		h := s.get(p, 8)
		if len(h) < 8 {
			break
		}
		n := int64(binary.BigEndian.Uint32(h))
		typ := [4]byte(h[4:8])
		if n > 1<<31-1 || !letters(typ[:]) || !s.has(p, 12+n) {
			break
		}
		crc.Reset()
		crc.Write(typ[:])
		for q, left := p+8, n; left > 0; {
			b := s.get(q, int(min(left, window)))
			crc.Write(b)
			q += int64(len(b))
			left -= int64(len(b))
		}
		c := s.get(p+8+n, 4)
		if len(c) < 4 || binary.BigEndian.Uint32(c) != crc.Sum32() {
			break
		}
		p += 12 + n
		switch string(typ[:]) {
		case "IDAT":
			idat = true
		case "IEND":
			if !idat {
				return Item{}, false
			}
			return check(s, Item{Off: off, Len: p - off, Ext: "png"}, pngConfig)
		}
	}
	if !idat {
		return Item{}, false
	}
	return check(s, Item{Off: off, Len: p - off, Ext: "png", Truncated: true}, pngConfig)
}

// letters reports whether b is all ASCII letters, as chunk and box types
// are.
func letters(b []byte) bool {
	for _, c := range b {
		if (c < 'A' || c > 'Z') && (c < 'a' || c > 'z') {
			return false
		}
	}
	return true
}

func pngConfig(r io.Reader) error { _, err := png.DecodeConfig(r); return err }
