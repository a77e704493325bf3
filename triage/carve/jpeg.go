package carve

import (
	"bytes"
	"encoding/binary"
	"image/jpeg"
	"io"
)

func isJPEG(h []byte) bool {
	return len(h) >= 4 && h[0] == 0xff && h[1] == 0xd8 && h[2] == 0xff && h[3] >= 0xc0 && h[3] != 0xff
}

// walkJPEG follows the markers of the JPEG at off, segment by segment (an
// APP1 segment with an EXIF thumbnail is skipped whole) and through scan
// data, to EOI. Cut short, it keeps the data up to the last good byte
// when a frame and a scan were seen.
func walkJPEG(s *src, off int64) (Item, bool) {
	p := off + 2
	var sof, sos bool
	good := int64(-1) // end of the last good scan data
	cut := func() (Item, bool) {
		if !sof || !sos || good <= off {
			return Item{}, false
		}
		it, ok := check(s, Item{Off: off, Len: good - off, Ext: "jpg", Truncated: true}, jpegConfig)
		if ok {
			it.Len = s.lastDecoded(it)
		}
		return it, ok
	}
	for {
		b := s.get(p, 4)
		if len(b) < 2 || b[0] != 0xff {
			return cut()
		}
		m := b[1]
		if m == 0xff { // fill byte
			p++
			continue
		}
		switch {
		case m == 0xd9: // EOI
			if !sof || !sos {
				return Item{}, false
			}
			return check(s, Item{Off: off, Len: p + 2 - off, Ext: "jpg"}, jpegConfig)
		case m >= 0xd0 && m <= 0xd7, m == 0x01: // standalone
			p += 2
			continue
		case m < 0xc0 || m == 0xd8:
			return cut()
		}
		if len(b) < 4 {
			return cut()
		}
		l := int64(binary.BigEndian.Uint16(b[2:]))
		if l < 2 || !s.has(p+2, l) {
			return cut()
		}
		switch {
		case m == 0xe1 && !s.inner:
			s.thumbnail(p+4, p+2+l)
		case m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc:
			sof = true
		case m == 0xda:
			if !sof {
				return Item{}, false
			}
			sos = true
			q, ok := scanData(s, p+2+l)
			good = q
			if !ok {
				return cut()
			}
			p = q
			continue
		}
		p += 2 + l
	}
}

// scanData skips the entropy-coded data starting at p and returns where
// the marker ending it starts (ok) or, when the data stops (a bad marker,
// a sector that starts another file or is all zeros, the end of what may
// be read), the end of the last good data.
func scanData(s *src, p int64) (int64, bool) {
	for {
		b := s.get(p, window)
		if len(b) == 0 {
			return p, false
		}
		// The data stops at a sector that starts another file or is all
		// zeros; a sector the window cuts is checked with the next one.
		n, stop := len(b), false
		for q := (p + Sector - 1) / Sector * Sector; q < p+int64(len(b)); q += Sector {
			i := int(q - p)
			sec := b[i:min(i+Sector, len(b))]
			if len(sec) < Sector && len(b) == window {
				n = i
				break
			}
			if bytes.Equal(sec, zeroSector[:len(sec)]) || startsFile(sec[:min(len(sec), headLen)]) {
				n, stop = i, true
				break
			}
		}
		seg := b[:n]
		adv := n
		for i := 0; ; {
			j := bytes.IndexByte(seg[i:], 0xff)
			if j < 0 {
				break
			}
			i += j
			if i+1 >= n {
				adv = i // a marker cut by the window: read it with the next one
				break
			}
			switch m := seg[i+1]; {
			case m == 0x00, m >= 0xd0 && m <= 0xd7:
				i += 2
			case m == 0xff:
				i++
			case m >= 0xc0 && m != 0xd8:
				return p + int64(i), true
			default:
				return p + int64(i), false
			}
		}
		if stop || len(b) < window {
			return p + int64(adv), false
		}
		p += int64(adv)
	}
}

// thumbnail carves the JPEG thumbnail of the EXIF APP1 segment data
// [p, end), if any, into s.embedded. The thumbnail's EOI ends the
// thumbnail only: the walk of the outer JPEG goes on past the segment.
func (s *src) thumbnail(p, end int64) {
	b := s.get(p, int(end-p))
	if int64(len(b)) < end-p || !bytes.HasPrefix(b, []byte("Exif\x00\x00")) {
		return
	}
	i := bytes.Index(b, []byte{0xff, 0xd8, 0xff})
	if i < 0 {
		return
	}
	limit := s.limit
	s.limit, s.inner = end, true
	it, ok := walkJPEG(s, p+int64(i))
	s.limit, s.inner = limit, false
	s.buf, s.short = nil, false // the window may stop at the old limit
	if ok && !it.Truncated {
		it.Embedded = true
		s.embedded = append(s.embedded, it)
	}
}

// errShortData is how Go's decoder says that scan data ran out.
var errShortData = jpeg.FormatError("short Huffman data")

// readAhead is how far Go's JPEG decoder reads ahead of what it decodes.
const readAhead = 4096

// maxRefine bounds the pictures lastDecoded decodes, in pixels; and a
// picture is decoded only when its data is not far too small for it
// (photos hold a byte per 3-20 pixels), so that the decoding costs in
// proportion to the data: a header claiming a large picture over little
// data is kept as the walk found it.
const (
	maxRefine     = 16 << 20
	pixelsPerByte = 64
)

// lastDecoded shortens a truncated JPEG to the data that decodes: scan
// data cut short often runs on into other data that looks like scan data
// until a byte sequence is not. The longest prefix, to a sector, that Go's
// decoder reads without a format error (running out of data is expected)
// is found by bisection below the point where the decoder failed: a few
// decodes, for truncated pictures only.
func (s *src) lastDecoded(it Item) int64 {
	cfg, err := jpeg.DecodeConfig(io.NewSectionReader(s.r, it.Off, it.Len))
	if px := int64(cfg.Width) * int64(cfg.Height); err != nil || px > maxRefine || px > pixelsPerByte*it.Len {
		return it.Len
	}
	// decodes reports whether the first n bytes decode, and how many
	// bytes the decoder had read when it stopped.
	decodes := func(n int64) (bool, int64) {
		r := io.NewSectionReader(s.r, it.Off, n)
		_, err := jpeg.Decode(r)
		at, _ := r.Seek(0, io.SeekCurrent)
		return err == nil || err == io.ErrUnexpectedEOF || err == errShortData, at
	}
	ok, at := decodes(it.Len)
	if ok {
		return it.Len
	}
	// The bad data is before at (the decoder reads ahead 4 KiB at most):
	// look just below it first.
	lo, hi := min(int64(Sector), it.Len), min(at, it.Len)
	if n := (hi - 3*readAhead) / Sector * Sector; n > lo {
		if ok, _ := decodes(n); ok {
			lo = n
		} else {
			hi = n
		}
	}
	// decodes(lo) holds (or lo is the first sector), decodes(hi) does not.
	for hi-lo > Sector {
		mid := lo + max(Sector, (hi-lo)/2/Sector*Sector)
		if ok, _ := decodes(mid); ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}

func jpegConfig(r io.Reader) error { _, err := jpeg.DecodeConfig(r); return err }
