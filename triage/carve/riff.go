package carve

import (
	"encoding/binary"
	"io"

	"golang.org/x/image/webp"
)

func isWebP(h []byte) bool {
	return len(h) >= 16 && string(h[:4]) == "RIFF" && string(h[8:15]) == "WEBPVP8" ||
		len(h) >= 16 && string(h[:4]) == "RIFF" && string(h[8:12]) == "WEBP" && string(h[12:16]) == "VP8X"
}

// walkWebP takes the WebP at off at the size its RIFF header states,
// when its chunks fill it exactly; cut short, it keeps the whole chunks
// there are when one holds the image.
func walkWebP(s *src, off int64) (Item, bool) {
	h := s.get(off, 12)
	if len(h) < 12 {
		return Item{}, false
	}
	size := 8 + int64(binary.LittleEndian.Uint32(h[4:]))
	if size < 20 || size > s.max {
		return Item{}, false
	}
	end := off + size
	p := off + 12
	image := false
	for p < end {
		c := s.get(p, 8)
		if len(c) < 8 || !fourCC(c[:4]) {
			break
		}
		typ := string(c[:4]) // c is not valid past the next read
		n := 8 + int64(binary.LittleEndian.Uint32(c[4:]))
		n += n & 1
		if p+n > end || !s.has(p, n) {
			break
		}
		switch typ {
		case "VP8 ", "VP8L", "ANMF":
			image = true
		}
		p += n
	}
	switch {
	case !image:
		return Item{}, false
	case p == end:
		return check(s, Item{Off: off, Len: size, Ext: "webp"}, webpConfig)
	}
	return check(s, Item{Off: off, Len: p - off, Ext: "webp", Truncated: true}, webpConfig)
}

// fourCC reports whether b is a printable four-character code.
func fourCC(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c > 0x7e {
			return false
		}
	}
	return true
}

func webpConfig(r io.Reader) error { _, err := webp.DecodeConfig(r); return err }
