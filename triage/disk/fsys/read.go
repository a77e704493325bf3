package fsys

import (
	"errors"
	"io"
)

// ExtentReader reads a file's content from the extents it occupies on a
// volume: sparse extents (Off -1) read as zeros, and bytes past the last
// extent but within Size (a file whose runs end early) also read as zeros,
// as The Sleuth Kit returns them.
type ExtentReader struct {
	vol     io.ReaderAt
	extents []Extent
	starts  []int64 // file offset of each extent
	size    int64
}

// NewExtentReader returns a reader of size bytes laid out in extents of vol.
func NewExtentReader(vol io.ReaderAt, extents []Extent, size int64) *ExtentReader {
	starts := make([]int64, len(extents))
	var at int64
	for i, e := range extents {
		starts[i] = at
		at += e.Len
	}
	return &ExtentReader{vol: vol, extents: extents, starts: starts, size: size}
}

// Size is the content's length.
func (r *ExtentReader) Size() int64 { return r.size }

// ReadAt implements io.ReaderAt.
func (r *ExtentReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= r.size {
		return 0, io.EOF
	}
	want := len(p)
	if int64(want) > r.size-off {
		p = p[:r.size-off]
	}
	n := 0
	// Binary search for the extent holding off.
	lo, hi := 0, len(r.extents)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if r.starts[m]+r.extents[m].Len <= off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	for i := lo; n < len(p); i++ {
		if i >= len(r.extents) {
			clear(p[n:])
			n = len(p)
			break
		}
		e := r.extents[i]
		in := off + int64(n) - r.starts[i]
		k := min(int64(len(p)-n), e.Len-in)
		if e.Off < 0 {
			clear(p[n : n+int(k)])
		} else {
			m, err := r.vol.ReadAt(p[n:n+int(k)], e.Off+in)
			if m < int(k) {
				if err == nil || err == io.EOF {
					err = io.ErrUnexpectedEOF
				}
				return n + m, err
			}
		}
		n += int(k)
	}
	if n < want {
		return n, io.EOF
	}
	return n, nil
}

// BytesReader is content held in memory (resident data), as an
// io.ReaderAt.
type BytesReader []byte

// ReadAt implements io.ReaderAt.
func (b BytesReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= int64(len(b)) {
		return 0, io.EOF
	}
	n := copy(p, b[off:])
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// ReadFull reads len(p) bytes at off. Unlike a bare ReadAt it accepts the
// io.EOF that some readers (object stores) return with a full read that
// ends exactly at the end of their data.
func ReadFull(r io.ReaderAt, p []byte, off int64) error {
	n, err := r.ReadAt(p, off)
	if n == len(p) {
		return nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// Content returns a reader of f's content on the volume vol: its resident
// Data, or its Extents; f.Err when that is set. File-system readers' Open
// methods are this.
func Content(vol io.ReaderAt, f *File) (io.ReaderAt, error) {
	if f.Err != nil {
		return nil, f.Err
	}
	if f.Data != nil {
		return BytesReader(f.Data), nil
	}
	return NewExtentReader(vol, f.Extents, f.Size), nil
}
