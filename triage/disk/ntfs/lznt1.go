package ntfs

import (
	"encoding/binary"
	"errors"
	"io"
	"sync"

	"github.com/winnow-forensics/winnow/triage/disk/fsys"
)

// errLZNT1 is returned for compressed data that does not decode.
var errLZNT1 = errors.New("ntfs: damaged LZNT1 data")

// lznt1 decompresses LZNT1 data (MS-XCA 2.5: 4 KiB chunks, each with a
// 2-byte header, stored or compressed with 16-bit back references) into
// out, and returns how many bytes it wrote; it never writes past out.
func lznt1(in, out []byte) (int, error) {
	n := 0
	for len(in) >= 2 && n < len(out) {
		h := binary.LittleEndian.Uint16(in)
		if h == 0 {
			break // end of the stream
		}
		size := int(h&0x0fff) + 3 // the chunk, header included
		if size > len(in) {
			return n, errLZNT1
		}
		chunk := in[2:size]
		in = in[size:]
		if h&0x8000 == 0 { // stored
			n += copy(out[n:], chunk)
			continue
		}
		start := n
		end := min(len(out), start+4096)
		for i := 0; i < len(chunk) && n < end; {
			flags := chunk[i]
			i++
			for bit := 0; bit < 8 && i < len(chunk) && n < end; bit++ {
				if flags&(1<<bit) == 0 {
					out[n] = chunk[i]
					n++
					i++
					continue
				}
				if i+2 > len(chunk) {
					return n, errLZNT1
				}
				tok := int(binary.LittleEndian.Uint16(chunk[i:]))
				i += 2
				pos := n - start
				if pos == 0 {
					return n, errLZNT1
				}
				dbits := 4
				for p := pos - 1; p >= 0x10; p >>= 1 {
					dbits++
				}
				lbits := 16 - dbits
				length := tok&(1<<lbits-1) + 3
				disp := tok>>lbits + 1
				if disp > pos {
					return n, errLZNT1
				}
				for k := 0; k < length && n < end; k++ {
					out[n] = out[n-disp]
					n++
				}
			}
		}
	}
	return n, nil
}

// compressed reads an LZNT1-compressed stream unit by unit: a unit whose
// clusters are all allocated is stored, one with none is zeros, one with
// some holds compressed data.
type compressed struct {
	vol     io.ReaderAt
	ex      []fsys.Extent
	starts  []int64
	unit    int64
	size    int64
	mu      sync.Mutex
	at      int64 // the unit in buf, -1 none
	buf     []byte
	scratch []byte
}

func newCompressed(vol io.ReaderAt, ex []fsys.Extent, unit, size int64) *compressed {
	c := &compressed{vol: vol, ex: ex, unit: unit, size: size, at: -1}
	var at int64
	for _, e := range ex {
		c.starts = append(c.starts, at)
		at += e.Len
	}
	return c
}

// load decompresses unit u into c.buf.
func (c *compressed) load(u int64) error {
	if c.at == u {
		return nil
	}
	if c.buf == nil {
		c.buf, c.scratch = make([]byte, c.unit), make([]byte, 0, c.unit)
	}
	lo, hi := u*c.unit, (u+1)*c.unit
	data := c.scratch[:0]
	var stored int64
	for i, e := range c.ex {
		s, end := c.starts[i], c.starts[i]+e.Len
		if end <= lo || s >= hi || e.Off < 0 {
			continue
		}
		from, to := max(s, lo), min(end, hi)
		k := len(data)
		data = data[:k+int(to-from)]
		if err := fsys.ReadFull(c.vol, data[k:], e.Off+from-s); err != nil {
			return err
		}
		stored += to - from
	}
	clear(c.buf)
	switch {
	case stored == c.unit:
		copy(c.buf, data)
	case stored > 0:
		if _, err := lznt1(data, c.buf); err != nil {
			return err
		}
	}
	c.at = u
	return nil
}

// ReadAt implements io.ReaderAt.
func (c *compressed) ReadAt(p []byte, off int64) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if off >= c.size {
		return 0, io.EOF
	}
	want := len(p)
	if int64(want) > c.size-off {
		p = p[:c.size-off]
	}
	n := 0
	for n < len(p) {
		at := off + int64(n)
		u := at / c.unit
		if err := c.load(u); err != nil {
			return n, err
		}
		n += copy(p[n:], c.buf[at-u*c.unit:])
	}
	if n < want {
		return n, io.EOF
	}
	return n, nil
}
