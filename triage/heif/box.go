package heif

import (
	"encoding/binary"
	"fmt"
)

// box is one ISO base media box: its four-character type and its body (the
// bytes after the header), with the body's offset in the file.
type box struct {
	typ  string
	body []byte
	off  int
}

// boxes calls fn for each box laid end to end in b, whose first byte is at
// file offset base. It stops at the first malformed header. *budget counts
// boxes read across the whole file and bounds the work on hostile input.
func boxes(b []byte, base int, budget *int, fn func(box) error) error {
	for p := 0; p < len(b); {
		if *budget--; *budget < 0 {
			return errorf("more than %d boxes", maxBoxes)
		}
		if len(b)-p < 8 {
			return errorf("truncated box header at offset %d", base+p)
		}
		size := uint64(binary.BigEndian.Uint32(b[p:]))
		typ := string(b[p+4 : p+8])
		hdr := 8
		switch size {
		case 0: // to the end of the enclosing space
			size = uint64(len(b) - p)
		case 1:
			if len(b)-p < 16 {
				return errorf("truncated large box header at offset %d", base+p)
			}
			size = binary.BigEndian.Uint64(b[p+8:])
			hdr = 16
		}
		if typ == "uuid" {
			hdr += 16
		}
		if size < uint64(hdr) || size > uint64(len(b)-p) {
			return errorf("box %q at offset %d declares %d bytes, %d remain", printable(typ), base+p, size, len(b)-p)
		}
		if err := fn(box{typ: typ, body: b[p+hdr : p+int(size)], off: base + p + hdr}); err != nil {
			return err
		}
		p += int(size)
	}
	return nil
}

// reader reads big-endian fields from a box body, remembering the first
// overrun instead of panicking; callers check err once after a group of
// reads.
type reader struct {
	b   []byte
	p   int
	err error
	typ string
}

func newReader(bx box) *reader { return &reader{b: bx.body, typ: bx.typ} }

func (r *reader) need(n int) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || len(r.b)-r.p < n {
		r.err = errorf("box %q is truncated", printable(r.typ))
		return false
	}
	return true
}

func (r *reader) u8() uint32 {
	if !r.need(1) {
		return 0
	}
	v := r.b[r.p]
	r.p++
	return uint32(v)
}

func (r *reader) u16() uint32 {
	if !r.need(2) {
		return 0
	}
	v := binary.BigEndian.Uint16(r.b[r.p:])
	r.p += 2
	return uint32(v)
}

func (r *reader) u32() uint32 {
	if !r.need(4) {
		return 0
	}
	v := binary.BigEndian.Uint32(r.b[r.p:])
	r.p += 4
	return v
}

// uint reads an unsigned field of n bytes (0, 2, 4 or 8; 0 reads as 0).
func (r *reader) uint(n int) uint64 {
	switch n {
	case 0:
		return 0
	case 2:
		return uint64(r.u16())
	case 4:
		return uint64(r.u32())
	case 8:
		hi := uint64(r.u32())
		return hi<<32 | uint64(r.u32())
	}
	if r.err == nil {
		r.err = errorf("box %q has a %d-byte field", printable(r.typ), n)
	}
	return 0
}

func (r *reader) fourcc() string {
	if !r.need(4) {
		return ""
	}
	s := string(r.b[r.p : r.p+4])
	r.p += 4
	return s
}

// fullBox reads a FullBox header: version and 24-bit flags.
func (r *reader) fullBox() (version, flags uint32) {
	v := r.u32()
	return v >> 24, v & 0xffffff
}

// cstring skips a NUL-terminated string.
func (r *reader) cstring() {
	for r.need(1) {
		c := r.b[r.p]
		r.p++
		if c == 0 {
			return
		}
	}
}

func (r *reader) rest() []byte {
	if r.err != nil {
		return nil
	}
	return r.b[r.p:]
}

// printable renders a four-character code that may hold any bytes.
func printable(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return fmt.Sprintf("%x", s)
		}
	}
	return s
}
