package jpegpart

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Part is the visible part of a JPEG.
type Part struct {
	// JPEG is a complete JPEG of the part: the file's own bytes up to the
	// end of the last whole MCU row its data holds, then an EOI.
	JPEG []byte
	// Width and Height are the picture's declared size; Rows the rows of
	// it that JPEG holds (its height, at most Height).
	Width, Height, Rows int
	// Whole is true when nothing of the picture is missing: every scan is
	// complete and only what follows them (the end marker) is not there.
	Whole bool
}

// ErrComplete is returned for a file whose every scan and end marker are
// there: it has no missing part to leave out.
var ErrComplete = errors.New("jpeg: the file is complete")

type component struct {
	id, h, v int
}

type scanComp struct {
	c      int // index in the frame
	dc, ac int // table ids
}

// huff is a canonical Huffman decoding table (ITU T.81, F.2.2.3), with
// a lookup table for the codes of up to lutBits bits (entry: length<<8 |
// symbol, 0 for longer codes).
type huff struct {
	ok      bool
	maxcode [17]int32
	mincode [17]int32
	valptr  [17]int32
	vals    []byte
	lut     [1 << lutBits]uint16
}

const lutBits = 9

func parseDHT(seg []byte, dc, ac *[4]huff) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return errors.New("jpeg: short Huffman table")
		}
		class, id := seg[0]>>4, int(seg[0]&15)
		if class > 1 || id > 3 {
			return fmt.Errorf("jpeg: bad Huffman table class %d id %d", class, id)
		}
		var t huff
		n := 0
		code := int32(0)
		for l := 1; l <= 16; l++ {
			c := int32(seg[l])
			if c > 0 {
				t.valptr[l], t.mincode[l] = int32(n), code
				code += c
				n += int(c)
				t.maxcode[l] = code - 1
			} else {
				t.maxcode[l] = -1
			}
			if code > 1<<l {
				return errors.New("jpeg: bad Huffman code lengths")
			}
			code <<= 1
		}
		if n > 256 || len(seg) < 17+n {
			return errors.New("jpeg: short Huffman table")
		}
		t.vals, t.ok = seg[17:17+n], true
		for l := 1; l <= lutBits; l++ {
			for c := t.mincode[l]; c <= t.maxcode[l]; c++ {
				sym := t.vals[t.valptr[l]+c-t.mincode[l]]
				for x := c << (lutBits - l); x < (c+1)<<(lutBits-l); x++ {
					t.lut[x] = uint16(l)<<8 | uint16(sym)
				}
			}
		}
		if class == 0 {
			dc[id] = t
		} else {
			ac[id] = t
		}
		seg = seg[17+n:]
	}
	return nil
}

// Visible returns the part of the JPEG b that its data holds (see the
// package documentation). It returns ErrComplete for a complete file, and
// an error for a file it cannot read or whose data holds no whole MCU row.
func Visible(b []byte) (Part, error) {
	if len(b) < 4 || b[0] != 0xff || b[1] != 0xd8 {
		return Part{}, errors.New("jpeg: no start of image")
	}
	var (
		heightAt    = -1 // offset of the frame header's height field
		progressive bool
		comps       []component
		w, h        int
		hmax, vmax  int
		dc, ac      [4]huff
		ri          int
		dcSeen      bool // progressive: a complete first DC scan of component 0 was read
		lastScanEnd int  // progressive: the end of the last complete scan
	)
	// ended returns the part when the data ends between segments.
	ended := func() (Part, error) {
		if progressive && dcSeen {
			return Part{JPEG: withEOI(b[:lastScanEnd]), Width: w, Height: h, Rows: h}, nil
		}
		return Part{}, errors.New("jpeg: the data ends before the picture data")
	}
	p := 2
	for {
		if p+2 > len(b) {
			return ended()
		}
		if b[p] != 0xff {
			return Part{}, fmt.Errorf("jpeg: no marker at offset %d", p)
		}
		m := b[p+1]
		switch {
		case m == 0xff: // fill byte
			p++
			continue
		case m == 0xd9:
			return Part{}, ErrComplete
		case m >= 0xd0 && m <= 0xd7, m == 0x01:
			p += 2
			continue
		case m == 0xd8, m < 0xc0:
			return Part{}, fmt.Errorf("jpeg: unexpected marker %#x at offset %d", m, p)
		}
		if p+4 > len(b) {
			return ended()
		}
		l := int(binary.BigEndian.Uint16(b[p+2:]))
		if l < 2 {
			return Part{}, fmt.Errorf("jpeg: bad segment length at offset %d", p)
		}
		if p+2+l > len(b) {
			return ended()
		}
		seg := b[p+4 : p+2+l]
		switch {
		case m == 0xc0, m == 0xc1, m == 0xc2:
			if heightAt >= 0 {
				return Part{}, errors.New("jpeg: two frame headers")
			}
			if len(seg) < 6 || seg[0] != 8 {
				return Part{}, errors.New("jpeg: frame header: not 8-bit samples")
			}
			h, w = int(binary.BigEndian.Uint16(seg[1:])), int(binary.BigEndian.Uint16(seg[3:]))
			nf := int(seg[5])
			if h == 0 || w == 0 || nf == 0 || nf > 4 || len(seg) < 6+3*nf {
				return Part{}, errors.New("jpeg: bad frame header")
			}
			for i := range nf {
				c := seg[6+3*i:]
				cp := component{id: int(c[0]), h: int(c[1] >> 4), v: int(c[1] & 15)}
				if cp.h < 1 || cp.h > 4 || cp.v < 1 || cp.v > 4 {
					return Part{}, errors.New("jpeg: bad sampling factors")
				}
				hmax, vmax = max(hmax, cp.h), max(vmax, cp.v)
				comps = append(comps, cp)
			}
			heightAt, progressive = p+5, m == 0xc2
		case m >= 0xc3 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc:
			return Part{}, fmt.Errorf("jpeg: frame type %#x (arithmetic, lossless or hierarchical) not supported", m)
		case m == 0xc4:
			if err := parseDHT(seg, &dc, &ac); err != nil {
				return Part{}, err
			}
		case m == 0xdd:
			if len(seg) < 2 {
				return Part{}, errors.New("jpeg: short restart interval")
			}
			ri = int(binary.BigEndian.Uint16(seg))
		case m == 0xda:
			if heightAt < 0 {
				return Part{}, errors.New("jpeg: scan before the frame header")
			}
			sc, ss, ah, err := parseSOS(seg, comps)
			if err != nil {
				return Part{}, err
			}
			q := p + 2 + l
			has0 := sc[0].c == 0
			f := frame{w: w, h: h, hmax: hmax, vmax: vmax, comps: comps, ri: ri}
			if !progressive {
				if len(sc) != len(comps) {
					return Part{}, errors.New("jpeg: sequential scan without every component not supported")
				}
				part, err := f.cut(b, heightAt, q, sc, &dc, &ac, false)
				if e := scanEnd(b, q); err == nil && part.Whole && e >= 0 && b[e+1] == 0xd9 {
					return Part{}, ErrComplete
				}
				return part, err
			}
			firstDC0 := ss == 0 && ah == 0 && has0 && !dcSeen
			if e := scanEnd(b, q); e >= 0 {
				dcSeen = dcSeen || firstDC0
				lastScanEnd, p = e, e
				continue
			}
			switch {
			case firstDC0:
				return f.cut(b, heightAt, q, sc, &dc, &ac, true)
			case dcSeen:
				return Part{JPEG: withEOI(b[:p]), Width: w, Height: h, Rows: h}, nil
			}
			return Part{}, errors.New("jpeg: cut before a complete first scan of the first component")
		}
		p += 2 + l
	}
}

// parseSOS reads a scan header: its components (in the frame's order,
// as T.81 requires) with their tables, Ss and Ah.
func parseSOS(seg []byte, comps []component) (sc []scanComp, ss, ah int, err error) {
	if len(seg) < 1 {
		return nil, 0, 0, errors.New("jpeg: short scan header")
	}
	ns := int(seg[0])
	if ns < 1 || ns > len(comps) || len(seg) < 1+2*ns+3 {
		return nil, 0, 0, errors.New("jpeg: bad scan header")
	}
	for i := range ns {
		id, t := int(seg[1+2*i]), seg[2+2*i]
		c := -1
		for k, cp := range comps {
			if cp.id == id {
				c = k
			}
		}
		if c < 0 || (i > 0 && c <= sc[i-1].c) || t>>4 > 3 || t&15 > 3 {
			return nil, 0, 0, errors.New("jpeg: bad scan component")
		}
		sc = append(sc, scanComp{c: c, dc: int(t >> 4), ac: int(t & 15)})
	}
	return sc, int(seg[1+2*ns]), int(seg[3+2*ns] >> 4), nil
}

// scanEnd returns the offset of the marker that ends the entropy-coded
// data starting at q (restart markers are part of it), or -1 when the
// data runs to the end of b.
func scanEnd(b []byte, q int) int {
	for ; q+1 < len(b); q++ {
		if b[q] == 0xff {
			if m := b[q+1]; m != 0 && m != 0xff && (m < 0xd0 || m > 0xd7) {
				return q
			}
		}
	}
	return -1
}

func withEOI(b []byte) []byte {
	out := make([]byte, len(b), len(b)+2)
	copy(out, b)
	return append(out, 0xff, 0xd9)
}

type frame struct {
	w, h, hmax, vmax int
	comps            []component
	ri               int
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// cut decodes the scan whose data starts at q MCU by MCU (only the first
// DC pass of each block when dcOnly) and returns the part up to its last
// whole MCU row.
func (f frame) cut(b []byte, heightAt, q int, sc []scanComp, dc, ac *[4]huff, dcOnly bool) (Part, error) {
	for _, s := range sc {
		if !dc[s.dc].ok || (!dcOnly && !ac[s.ac].ok) {
			return Part{}, errors.New("jpeg: scan uses an undefined Huffman table")
		}
	}
	var mx, my, rowPx int
	if len(sc) == 1 {
		c := f.comps[sc[0].c]
		mx = ceilDiv(ceilDiv(f.w*c.h, f.hmax), 8)
		my = ceilDiv(ceilDiv(f.h*c.v, f.vmax), 8)
		rowPx = 8 * f.vmax / c.v
	} else {
		mx, my, rowPx = ceilDiv(f.w, 8*f.hmax), ceilDiv(f.h, 8*f.vmax), 8*f.vmax
	}
	r := newReader(b, q)
	endP, endK := q, 0 // position after the last whole MCU row
	rows := 0
	n := 0 // MCUs decoded
rowsLoop:
	for y := 0; y < my; y++ {
		for x := 0; x < mx; x++ {
			if f.ri > 0 && n > 0 && n%f.ri == 0 && !r.restart() {
				break rowsLoop
			}
			for _, s := range sc {
				blocks := 1
				if len(sc) > 1 {
					blocks = f.comps[s.c].h * f.comps[s.c].v
				}
				for range blocks {
					if !r.block(&dc[s.dc], &ac[s.ac], dcOnly) {
						break rowsLoop
					}
				}
			}
			n++
		}
		rows = y + 1
		endP, endK = r.pos()
	}
	if rows == 0 {
		return Part{}, errors.New("jpeg: the data holds no whole row of blocks")
	}
	visible := min(rows*rowPx, f.h)
	out := make([]byte, 0, endP+4)
	out = append(out, b[:endP]...)
	if endK > 0 {
		c := b[endP] | 0xff>>endK
		out = append(out, c)
		if c == 0xff {
			out = append(out, 0)
		}
	}
	out = append(out, 0xff, 0xd9)
	binary.BigEndian.PutUint16(out[heightAt:], uint16(visible))
	return Part{JPEG: out, Width: f.w, Height: f.h, Rows: visible, Whole: rows == my && !dcOnly}, nil
}

// reader reads entropy-coded data through a 64-bit accumulator, keeping
// the file offsets of the bytes it loaded so that it can tell where in the
// file the next bit is (pos).
type reader struct {
	b      []byte
	next   int    // offset of the next byte to load
	acc    uint64 // the n loaded, unread bits are its low bits
	n      int
	ring   [8]int // offsets of the last 8 bytes loaded
	loaded int
	end    bool // a marker or the end of the input stops loading
}

func newReader(b []byte, q int) *reader { return &reader{b: b, next: q} }

func (r *reader) fill() {
	for r.n <= 56 && !r.end {
		if r.next >= len(r.b) {
			r.end = true
			return
		}
		c, sz := r.b[r.next], 1
		if c == 0xff {
			if r.next+1 >= len(r.b) || r.b[r.next+1] != 0 {
				r.end = true
				return
			}
			sz = 2
		}
		r.acc = r.acc<<8 | uint64(c)
		r.ring[r.loaded%8] = r.next
		r.loaded++
		r.n += 8
		r.next += sz
	}
}

// get reads m bits (m <= 16), false when the data ends first.
func (r *reader) get(m int) (uint32, bool) {
	if r.n < m {
		r.fill()
		if r.n < m {
			return 0, false
		}
	}
	r.n -= m
	return uint32(r.acc>>r.n) & (1<<m - 1), true
}

// pos returns the offset of the byte holding the next bit and the bits of
// it already read.
func (r *reader) pos() (p, k int) {
	if r.n == 0 {
		return r.next, 0
	}
	return r.ring[(r.loaded-1-(r.n-1)/8)%8], (8 - r.n%8) % 8
}

func (r *reader) bits(m int) bool {
	for m > 16 {
		if _, ok := r.get(16); !ok {
			return false
		}
		m -= 16
	}
	_, ok := r.get(m)
	return ok
}

func (r *reader) decode(t *huff) (byte, bool) {
	if r.n < 16 {
		r.fill()
	}
	if r.n >= lutBits {
		if e := t.lut[uint32(r.acc>>(r.n-lutBits))&(1<<lutBits-1)]; e != 0 {
			r.n -= int(e >> 8)
			return byte(e), true
		}
	}
	code := int32(0)
	for l := 1; l <= 16; l++ {
		v, ok := r.get(1)
		if !ok {
			return 0, false
		}
		code = code<<1 | int32(v)
		if code <= t.maxcode[l] {
			return t.vals[t.valptr[l]+code-t.mincode[l]], true
		}
	}
	return 0, false
}

// restart skips the rest of the current byte and a restart marker.
func (r *reader) restart() bool {
	r.n -= r.n % 8
	if r.n > 0 { // whole bytes left before the marker
		return false
	}
	p := r.next
	for p+1 < len(r.b) && r.b[p] == 0xff && r.b[p+1] == 0xff { // fill bytes
		p++
	}
	if p+1 >= len(r.b) || r.b[p] != 0xff || r.b[p+1] < 0xd0 || r.b[p+1] > 0xd7 {
		return false
	}
	r.next, r.end = p+2, false
	return true
}

// block reads one block: its DC difference and, unless dcOnly, its AC
// coefficients to the end of block.
func (r *reader) block(dc, ac *huff, dcOnly bool) bool {
	s, ok := r.decode(dc)
	if !ok || s > 16 || !r.bits(int(s)) {
		return false
	}
	if dcOnly {
		return true
	}
	for k := 1; k < 64; {
		rs, ok := r.decode(ac)
		if !ok {
			return false
		}
		run, size := int(rs>>4), int(rs&15)
		if size == 0 {
			if run != 15 {
				return true
			}
			k += 16
			continue
		}
		k += run
		if k > 63 || !r.bits(size) {
			return false
		}
		k++
	}
	return true
}
