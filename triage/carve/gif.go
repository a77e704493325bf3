package carve

import (
	"image/gif"
	"io"
)

func isGIF(h []byte) bool {
	return len(h) >= 6 && (string(h[:6]) == "GIF87a" || string(h[:6]) == "GIF89a")
}

// walkGIF follows the blocks of the GIF at off to its trailer. Cut short,
// it keeps the blocks up to the last whole one when an image was seen.
func walkGIF(s *src, off int64) (Item, bool) {
	lsd := s.get(off+6, 7)
	if len(lsd) < 7 {
		return Item{}, false
	}
	p := off + 13
	if lsd[4]&0x80 != 0 {
		p += 3 << (lsd[4]&7 + 1)
	}
	images := 0
	for {
		b := s.get(p, 10)
		if len(b) == 0 {
			break
		}
		switch b[0] {
		case 0x3b: // trailer
			if images == 0 {
				return Item{}, false
			}
			return check(s, Item{Off: off, Len: p + 1 - off, Ext: "gif"}, gifConfig)
		case 0x21: // extension: label, sub-blocks
			q, ok := subBlocks(s, p+2)
			if !ok || len(b) < 2 {
				return cutGIF(s, off, p, images)
			}
			p = q
		case 0x2c: // image descriptor, local colour table, LZW code size, sub-blocks
			if len(b) < 10 {
				return cutGIF(s, off, p, images)
			}
			q := p + 10
			if b[9]&0x80 != 0 {
				q += 3 << (b[9]&7 + 1)
			}
			lzw := s.get(q, 1)
			if len(lzw) == 0 || lzw[0] < 2 || lzw[0] > 11 {
				return cutGIF(s, off, p, images)
			}
			q, ok := subBlocks(s, q+1)
			if !ok {
				return cutGIF(s, off, p, images)
			}
			images++
			p = q
		default:
			return cutGIF(s, off, p, images)
		}
	}
	return cutGIF(s, off, p, images)
}

// cutGIF keeps a GIF cut short at p, when it holds an image.
func cutGIF(s *src, off, p int64, images int) (Item, bool) {
	if images == 0 {
		return Item{}, false
	}
	return check(s, Item{Off: off, Len: p - off, Ext: "gif", Truncated: true}, gifConfig)
}

// subBlocks skips the data sub-blocks at p and their terminator.
func subBlocks(s *src, p int64) (int64, bool) {
	for {
		b := s.get(p, 1)
		if len(b) == 0 {
			return p, false
		}
		if b[0] == 0 {
			return p + 1, true
		}
		p += 1 + int64(b[0])
	}
}

func gifConfig(r io.Reader) error { _, err := gif.DecodeConfig(r); return err }
