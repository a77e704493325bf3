package carve

import (
	"context"
	"io"
	"slices"
)

// Sector is the alignment of the headers Scan looks for.
const Sector = 512

// DefaultMaxSize bounds a carved item when Options.MaxSize is 0.
const DefaultMaxSize = 64 << 20

// Item is one carved file.
type Item struct {
	// Off and Len locate the item in the ReaderAt Scan read.
	Off, Len int64
	// Ext is the usual file extension of its format, without the dot:
	// "jpg", "png", "gif", "bmp", "webp", "heic", "avif", "mp4", "mov",
	// "3gp".
	Ext string
	// Truncated is true when the file's end was not found: Len covers
	// its data up to the last part that checked out.
	Truncated bool
	// Embedded is true for the JPEG thumbnail of an EXIF segment: it lies
	// inside the JPEG item before it, or inside a JPEG too damaged to be
	// kept (its header survived, its picture did not).
	Embedded bool
}

// Options configure Scan.
type Options struct {
	// MaxSize bounds each item (DefaultMaxSize when 0); a file whose
	// header claims more is refused (BMP, WebP) or cut there (others).
	MaxSize int64
}

// readSize is how much Scan reads at once to look for headers.
const readSize = 1 << 20

// format validates a candidate of one format: check says whether the
// first bytes (at least headLen of them when the data has them) can start
// one; walk finds its extent.
type format struct {
	check func(head []byte) bool
	walk  func(s *src, off int64) (Item, bool)
	// sized formats take their length from their headers (a stated
	// size, box or block lengths) without checking the data itself: a
	// sector inside that starts another file cuts them there, or, for
	// raw formats (any bytes decode: BMP), is where the search resumes,
	// the item keeping its stated size as the decoders expect.
	sized, raw bool
}

// headLen is how many bytes check looks at.
const headLen = 32

var formats = []format{
	{isJPEG, walkJPEG, false, false},
	{isPNG, walkPNG, false, false},
	{isGIF, walkGIF, true, false},
	{isBMP, walkBMP, true, true},
	{isWebP, walkWebP, true, false},
	{isFtyp, walkISOBMFF, true, false},
}

// startsFile reports whether head (a sector's first bytes) starts a file
// of a format Scan carves.
func startsFile(head []byte) bool {
	return isJPEG(head) || isPNG(head) || isGIF(head) || isBMP(head) || isWebP(head) || isFtyp(head)
}

// Scan carves the bytes [off, end) of r: it calls fn, in ascending order
// of offset, with each item found at a sector boundary (a multiple of
// Sector from r's origin) and lying wholly inside the range, each
// followed by the EXIF thumbnails embedded in it. fn's error,
// or ctx's, stops Scan and is returned; read errors end the range.
func Scan(ctx context.Context, r io.ReaderAt, off, end int64, opt Options, fn func(Item) error) error {
	if opt.MaxSize <= 0 {
		opt.MaxSize = DefaultMaxSize
	}
	s := &src{r: r, max: opt.MaxSize, store: make([]byte, min(window, max(end-off, headLen)))}
	buf := make([]byte, min(readSize, max(end-off, 0)))
	pos := (off + Sector - 1) / Sector * Sector
	for pos < end {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, _ := r.ReadAt(buf[:min(int64(len(buf)), end-pos)], pos)
		if n == 0 {
			return nil // the end of r's data, or a read error: the range ends
		}
		next := pos + int64(n+Sector-1)/Sector*Sector
		for i := 0; i < n; i += Sector {
			head := buf[i:min(i+headLen, n)]
			if !startsFile(head) {
				continue
			}
			at := pos + int64(i)
			items := carveAt(s, at, min(end, at+opt.MaxSize))
			if len(items) == 0 {
				continue
			}
			var last int64
			for _, it := range items {
				if err := fn(it); err != nil {
					return err
				}
				last = max(last, it.Off+it.Len)
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			// Resume past the item, or at a file found inside it.
			after := (last + Sector - 1) / Sector * Sector
			if s.resume > 0 {
				after = s.resume
			}
			if after >= next {
				next = after
				break
			}
			i = int(after-pos) - Sector
		}
		pos = next
	}
	return nil
}

// carveAt tries each format at off, the item ending before limit: it
// returns the item and the thumbnails embedded in it, or the thumbnails
// of a JPEG not kept.
func carveAt(s *src, off, limit int64) []Item {
	s.reset(limit)
	head := s.get(off, headLen)
	for _, f := range formats {
		if !f.check(head) {
			continue
		}
		it, ok := f.walk(s, off)
		if ok && f.sized {
			switch q := s.nextFile(off+Sector, off+it.Len); {
			case q == off+it.Len:
			case f.raw:
				s.resume = q
			default:
				it.Len, it.Truncated = q-off, true
			}
		}
		switch {
		case ok:
			return append([]Item{it}, s.embedded...)
		case len(s.embedded) > 0:
			return slices.Clone(s.embedded)
		}
		head = s.get(off, headLen)
	}
	return nil
}

// window is the size of src's buffer: the most a walker reads at once.
const window = 64 << 10

// src reads a candidate through a window over the ReaderAt, never past
// limit.
type src struct {
	r     io.ReaderAt
	limit int64
	max   int64 // Options.MaxSize
	store []byte
	base  int64
	buf   []byte // bytes [base, base+len(buf)) of r
	short bool   // buf stops at limit or at the end of r's data
	// inner is set while a thumbnail is walked (thumbnails of thumbnails
	// are not looked for); embedded collects the thumbnails found.
	inner    bool
	embedded []Item
	// resume, when set, is where the search goes on after the item: a
	// file found inside it.
	resume int64
}

func (s *src) reset(limit int64) {
	s.limit = limit
	s.buf, s.short = nil, false
	s.embedded = s.embedded[:0]
	s.resume = 0
}

// get returns up to n (<= window) bytes at off: fewer at limit or at the
// end of the data. The slice is valid until the next call.
func (s *src) get(off int64, n int) []byte {
	if off >= s.limit || off < 0 {
		return nil
	}
	end := s.base + int64(len(s.buf))
	if off < s.base || off > end || (off+int64(n) > end && !s.short) {
		want := min(int64(len(s.store)), s.limit-off)
		m, _ := s.r.ReadAt(s.store[:want], off)
		s.base, s.buf, s.short = off, s.store[:m], int64(m) < int64(len(s.store))
		end = off + int64(m)
	}
	i := off - s.base
	return s.buf[i:min(i+int64(n), int64(len(s.buf)))]
}

// has reports whether the n bytes at off are all readable.
func (s *src) has(off, n int64) bool {
	if n <= 0 {
		return true
	}
	if off < 0 || off+n > s.limit {
		return false
	}
	b := s.get(off+n-1, 1)
	return len(b) == 1
}

// zeroSector is a sector of zeros.
var zeroSector = make([]byte, Sector)

// nextFile returns the first sector boundary in [from, to) whose sector
// starts a file of a format carved, or to.
func (s *src) nextFile(from, to int64) int64 {
	for q := (from + Sector - 1) / Sector * Sector; q < to; q += Sector {
		if startsFile(s.get(q, headLen)) {
			return q
		}
	}
	return to
}

// check decodes the header of the item with config, which Go's decoder
// of its format reads: an item it refuses is not kept.
func check(s *src, it Item, config func(io.Reader) error) (Item, bool) {
	if config(io.NewSectionReader(s.r, it.Off, it.Len)) != nil {
		return Item{}, false
	}
	return it, true
}
