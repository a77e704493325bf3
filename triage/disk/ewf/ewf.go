// Package ewf reads Expert Witness Compression Format images (EnCase's
// .E01, .E02... segment files, EWF version 1 as EnCase 1-7, FTK Imager and
// ewfacquire write them) as one io.ReaderAt of the acquired media, and
// the MD5 and SHA-1 the acquiring tool stored, for verification.
//
// Segments are read through io.ReaderAt, so they may be files or objects
// in a store. Nothing is trusted: section chains are bounded and must move
// forward, chunk tables are loaded on demand (a multi-terabyte image is
// never indexed in memory at once), every chunk is checked (Adler-32 of a
// stored chunk, zlib's own checksum of a compressed one) and a chunk that
// is missing, truncated or damaged is a read error for the bytes in it,
// never zeros. EWF version 2 (.Ex01) is recognised and refused.
package ewf

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/adler32"
	"io"

	"github.com/winnow-forensics/winnow/triage/disk/fsys"
	"sort"
	"sync"
)

var (
	sigV1 = []byte("EVF\x09\x0d\x0a\xff\x00")
	sigV2 = []byte("EVF2\x0d\x0a\x81\x00")
	// sigL01 is a logical evidence file (.L01): files, not a medium.
	sigL01 = []byte("LVF\x09\x0d\x0a\xff\x00")
)

// ErrNotEWF is returned by Open for data that is not an EWF segment.
var ErrNotEWF = errors.New("not an EWF image")

// IsSegment reports whether head (the first bytes of a file) starts an EWF
// segment of any version.
func IsSegment(head []byte) bool {
	return bytes.HasPrefix(head, sigV1) || bytes.HasPrefix(head, sigV2) || bytes.HasPrefix(head, sigL01)
}

// Limits bound what Open accepts.
const (
	maxSections   = 1 << 20  // sections per segment
	maxChunkBytes = 16 << 20 // ewfacquire allows 32768 sectors of 512 bytes
	maxTableCache = 8        // chunk tables held at once
	maxChunkCache = 4 << 20  // bytes of decompressed chunks held at once
	descriptorLen = 76
	fileHeaderLen = 13
)

// Segment is one segment file of an image.
type Segment struct {
	R    io.ReaderAt
	Size int64
	// Name is used in error messages ("laptop.E02").
	Name string
}

// Image is an opened EWF image. It is safe for concurrent use.
type Image struct {
	segs       []Segment
	size       int64 // media bytes
	chunkSize  int64
	chunks     int64
	tables     []table
	md5, sha1  []byte
	complete   bool // the last segment ends with a "done" section
	MediaFlags byte

	mu         sync.Mutex
	tableCache map[int][]uint32
	tableOrder []int
	chunkCache map[int64][]byte
	chunkOrder []int64
}

// table is one table section: the chunks [first, first+count) of segment
// seg, entries at off, chunk offsets relative to base; the chunk data ends
// by end at the latest.
type table struct {
	seg       int
	first     int64
	count     int64
	off, base int64
	end       int64
}

// Open reads the sections of the given segments (in any order: each
// records its number) and returns the image they hold. Segments must be
// numbered 1..n without gaps; a damaged segment is an error here, a
// damaged chunk an error when read.
func Open(segs []Segment) (*Image, error) {
	if len(segs) == 0 {
		return nil, ErrNotEWF
	}
	type numbered struct {
		n int
		s Segment
	}
	var ns []numbered
	for _, s := range segs {
		var h [fileHeaderLen]byte
		if err := fsys.ReadFull(s.R, h[:], 0); err != nil {
			return nil, fmt.Errorf("ewf: %s: %w", s.Name, ErrNotEWF)
		}
		switch {
		case bytes.HasPrefix(h[:], sigV2):
			return nil, fmt.Errorf("ewf: %s: EWF version 2 (.Ex01) is not supported: convert it with ewfexport to .E01 or raw", s.Name)
		case bytes.HasPrefix(h[:], sigL01):
			return nil, fmt.Errorf("ewf: %s: a logical evidence file (.L01) is not a disk image: export its files and scan the folder", s.Name)
		case !bytes.HasPrefix(h[:], sigV1):
			return nil, fmt.Errorf("ewf: %s: %w", s.Name, ErrNotEWF)
		}
		ns = append(ns, numbered{int(binary.LittleEndian.Uint16(h[9:])), s})
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i].n < ns[j].n })
	im := &Image{tableCache: map[int][]uint32{}, chunkCache: map[int64][]byte{}}
	for i, x := range ns {
		if x.n != i+1 {
			if i > 0 && x.n == ns[i-1].n {
				return nil, fmt.Errorf("ewf: %s and %s are both segment %d", ns[i-1].s.Name, x.s.Name, x.n)
			}
			return nil, fmt.Errorf("ewf: segment %d is missing (found %s as segment %d): give every segment file", i+1, x.s.Name, x.n)
		}
		im.segs = append(im.segs, x.s)
	}
	// Without a "done" section the image is incomplete (a segment missing
	// at the end, an acquisition cut short): it keeps the size its volume
	// section declares, and reading chunks no table covers fails.
	for i := range im.segs {
		done, err := im.readSections(i)
		if err != nil {
			return nil, err
		}
		if done {
			im.complete = true
			break
		}
	}
	if im.chunkSize == 0 {
		return nil, fmt.Errorf("ewf: %s: no volume section: the image is damaged", im.segs[0].Name)
	}
	return im, nil
}

// readSections walks the section chain of segment i; done reports a
// "done" section (the last segment).
func (im *Image) readSections(i int) (done bool, err error) {
	s := im.segs[i]
	off := int64(fileHeaderLen)
	var prevSectors int64 = -1 // start of the latest sectors section's data
	for n := 0; ; n++ {
		if n >= maxSections {
			return false, fmt.Errorf("ewf: %s: more than %d sections", s.Name, maxSections)
		}
		var d [descriptorLen]byte
		if off+descriptorLen > s.Size {
			return false, fmt.Errorf("ewf: %s is truncated (section at %d past its end, %d bytes): the segment is incomplete", s.Name, off, s.Size)
		}
		if err := fsys.ReadFull(s.R, d[:], off); err != nil {
			return false, fmt.Errorf("ewf: %s: %w", s.Name, err)
		}
		if adler32.Checksum(d[:72]) != binary.LittleEndian.Uint32(d[72:]) {
			return false, fmt.Errorf("ewf: %s: section descriptor at %d is damaged (checksum)", s.Name, off)
		}
		typ := string(bytes.TrimRight(d[:16], "\x00"))
		next := int64(binary.LittleEndian.Uint64(d[16:]))
		size := int64(binary.LittleEndian.Uint64(d[24:]))
		data := off + descriptorLen
		if size < descriptorLen || size > s.Size-off {
			size = s.Size - off // a damaged size: the section runs to the end at most
		}
		switch typ {
		case "volume", "disk":
			if err := im.readVolume(s, data, size-descriptorLen); err != nil {
				return false, err
			}
		case "sectors":
			prevSectors = data
		case "table":
			if err := im.addTable(i, off, data, size-descriptorLen, prevSectors); err != nil {
				return false, err
			}
		case "hash":
			b := make([]byte, 16)
			if err := fsys.ReadFull(s.R, b, data); err == nil {
				im.md5 = nonZero(b)
			}
		case "digest":
			b := make([]byte, 36)
			if err := fsys.ReadFull(s.R, b, data); err == nil {
				im.md5 = nonZero(b[:16])
				im.sha1 = nonZero(b[16:36])
			}
		case "done":
			return true, nil
		case "next":
			return false, nil
		}
		if next <= off || next > s.Size {
			if next == off && (typ == "done" || typ == "next") {
				return typ == "done", nil
			}
			return false, fmt.Errorf("ewf: %s: section %q at %d points to %d: the segment is damaged or truncated", s.Name, typ, off, next)
		}
		off = next
	}
}

func nonZero(b []byte) []byte {
	for _, c := range b {
		if c != 0 {
			return b
		}
	}
	return nil
}

func (im *Image) readVolume(s Segment, off, n int64) error {
	if im.chunkSize != 0 {
		return nil // the first volume section stands; later ones repeat it
	}
	var v [24]byte
	if n < int64(len(v)) {
		return fmt.Errorf("ewf: %s: volume section too short", s.Name)
	}
	if err := fsys.ReadFull(s.R, v[:], off); err != nil {
		return fmt.Errorf("ewf: %s: volume section: %w", s.Name, err)
	}
	chunks := int64(binary.LittleEndian.Uint32(v[4:]))
	spc := int64(binary.LittleEndian.Uint32(v[8:]))
	bps := int64(binary.LittleEndian.Uint32(v[12:]))
	sectors := int64(binary.LittleEndian.Uint64(v[16:]))
	cs := spc * bps
	if spc == 0 || bps == 0 || cs > maxChunkBytes || bps > 1<<16 {
		return fmt.Errorf("ewf: %s: implausible geometry (%d sectors of %d bytes per chunk)", s.Name, spc, bps)
	}
	if sectors < 0 || sectors > (1<<62)/bps {
		return fmt.Errorf("ewf: %s: implausible sector count %d", s.Name, sectors)
	}
	im.chunkSize = cs
	im.size = sectors * bps
	im.chunks = (im.size + cs - 1) / cs
	if chunks != 0 && chunks < im.chunks {
		im.chunks = chunks
		im.size = min(im.size, chunks*cs)
	}
	return nil
}

// addTable records a table section (EnCase 1 stores chunks after the
// entries in the table section itself; later versions in the sectors
// section before it).
func (im *Image) addTable(seg int, secOff, off, n, sectorsData int64) error {
	s := im.segs[seg]
	var h [24]byte
	if n < 24 {
		return fmt.Errorf("ewf: %s: table section at %d too short", s.Name, secOff)
	}
	if err := fsys.ReadFull(s.R, h[:], off); err != nil {
		return fmt.Errorf("ewf: %s: table at %d: %w", s.Name, secOff, err)
	}
	count := int64(binary.LittleEndian.Uint32(h[0:]))
	base := int64(binary.LittleEndian.Uint64(h[8:]))
	if count == 0 {
		return nil
	}
	if count > (n-24)/4 || base < 0 || base > s.Size {
		return fmt.Errorf("ewf: %s: table at %d claims %d entries in %d bytes", s.Name, secOff, count, n)
	}
	end := secOff // chunk data ends where the table section begins
	if sectorsData < 0 {
		end = s.Size // EnCase 1: chunks follow the entries, bounded by the segment
	}
	first := int64(0)
	if k := len(im.tables); k > 0 {
		first = im.tables[k-1].first + im.tables[k-1].count
	}
	im.tables = append(im.tables, table{seg: seg, first: first, count: count, off: off + 24, base: base, end: end})
	return nil
}

// Complete reports whether the image's last segment was among those
// given (its section chain ends with "done"); an image without it reads
// only as far as the given segments go.
func (im *Image) Complete() bool { return im.complete }

// Size is the acquired medium's size in bytes.
func (im *Image) Size() int64 { return im.size }

// ChunkSize is the size of the chunks the image is stored in.
func (im *Image) ChunkSize() int64 { return im.chunkSize }

// StoredMD5 and StoredSHA1 return the digests the acquiring tool stored
// for the whole medium, nil when it stored none.
func (im *Image) StoredMD5() []byte  { return im.md5 }
func (im *Image) StoredSHA1() []byte { return im.sha1 }

// entries returns the offsets table of table t, through a small cache.
func (im *Image) entries(t int) ([]uint32, error) {
	im.mu.Lock()
	e, ok := im.tableCache[t]
	im.mu.Unlock()
	if ok {
		return e, nil
	}
	tb := im.tables[t]
	buf := make([]byte, tb.count*4)
	if err := fsys.ReadFull(im.segs[tb.seg].R, buf, tb.off); err != nil {
		return nil, fmt.Errorf("ewf: %s: table at %d: %w", im.segs[tb.seg].Name, tb.off, err)
	}
	e = make([]uint32, tb.count)
	for i := range e {
		e[i] = binary.LittleEndian.Uint32(buf[4*i:])
	}
	im.mu.Lock()
	if len(im.tableOrder) >= maxTableCache {
		delete(im.tableCache, im.tableOrder[0])
		im.tableOrder = im.tableOrder[1:]
	}
	im.tableCache[t] = e
	im.tableOrder = append(im.tableOrder, t)
	im.mu.Unlock()
	return e, nil
}

// ChunkError is a read error of one chunk: the bytes of the medium in
// [Offset, Offset+Length) cannot be read from the image.
type ChunkError struct {
	Offset, Length int64
	Reason         string
}

func (e *ChunkError) Error() string {
	return fmt.Sprintf("ewf: media bytes %d-%d cannot be read: %s", e.Offset, e.Offset+e.Length-1, e.Reason)
}

// chunk returns chunk c decompressed, through a small cache.
func (im *Image) chunk(c int64) ([]byte, error) {
	im.mu.Lock()
	b, ok := im.chunkCache[c]
	im.mu.Unlock()
	if ok {
		return b, nil
	}
	fail := func(why string, args ...any) error {
		return &ChunkError{Offset: c * im.chunkSize, Length: im.chunkSize, Reason: fmt.Sprintf(why, args...)}
	}
	t := sort.Search(len(im.tables), func(i int) bool { return im.tables[i].first+im.tables[i].count > c })
	if t == len(im.tables) || im.tables[t].first > c {
		return nil, fail("no chunk table covers it (a segment is missing or truncated)")
	}
	tb := im.tables[t]
	ents, err := im.entries(t)
	if err != nil {
		return nil, fail("%v", err)
	}
	i := c - tb.first
	compressed := ents[i]&(1<<31) != 0
	off := tb.base + int64(ents[i]&0x7fffffff)
	end := tb.end
	if i+1 < tb.count {
		if next := tb.base + int64(ents[i+1]&0x7fffffff); next > off {
			end = min(end, next)
		}
	}
	seg := im.segs[tb.seg]
	end = min(end, seg.Size)
	want := min(im.chunkSize, im.size-c*im.chunkSize)
	var out []byte
	if compressed {
		n := min(end-off, im.chunkSize+im.chunkSize/64+1024) // deflate expands stored data by 5 bytes per 64 KiB
		if n <= 0 {
			return nil, fail("its data lies outside %s", seg.Name)
		}
		raw := make([]byte, n)
		m, err := seg.R.ReadAt(raw, off)
		if m == 0 && err != nil {
			return nil, fail("%s: %v", seg.Name, err)
		}
		zr, err := zlib.NewReader(bytes.NewReader(raw[:m]))
		if err != nil {
			return nil, fail("damaged compressed chunk: %v", err)
		}
		out = make([]byte, im.chunkSize)
		k, err := io.ReadFull(zr, out)
		if err == io.ErrUnexpectedEOF && int64(k) >= want {
			err = nil
		}
		if err == nil {
			// Reading to the end makes zlib check its Adler-32.
			var one [1]byte
			if _, e := zr.Read(one[:]); e != io.EOF && e != nil {
				err = e
			}
		}
		if err != nil || int64(k) < want {
			return nil, fail("damaged compressed chunk (%d of %d bytes): %v", k, want, err)
		}
	} else {
		if off+want+4 > end && off+want > seg.Size {
			return nil, fail("its data lies outside %s (truncated segment)", seg.Name)
		}
		out = make([]byte, want+4)
		m, err := seg.R.ReadAt(out, off)
		if int64(m) < want {
			return nil, fail("%s is truncated: %v", seg.Name, err)
		}
		if int64(m) == want+4 && off+want+4 <= end {
			if adler32.Checksum(out[:want]) != binary.LittleEndian.Uint32(out[want:]) {
				return nil, fail("checksum mismatch: the chunk is damaged")
			}
		}
		out = out[:want]
	}
	im.mu.Lock()
	if len(im.chunkOrder) >= max(2, maxChunkCache/int(im.chunkSize)) {
		delete(im.chunkCache, im.chunkOrder[0])
		im.chunkOrder = im.chunkOrder[1:]
	}
	im.chunkCache[c] = out
	im.chunkOrder = append(im.chunkOrder, c)
	im.mu.Unlock()
	return out, nil
}

// ReadAt reads the acquired medium.
func (im *Image) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("ewf: negative offset")
	}
	n := 0
	for n < len(p) {
		at := off + int64(n)
		if at >= im.size {
			return n, io.EOF
		}
		c := at / im.chunkSize
		b, err := im.chunk(c)
		if err != nil {
			return n, err
		}
		in := at - c*im.chunkSize
		if in >= int64(len(b)) {
			return n, io.ErrUnexpectedEOF
		}
		n += copy(p[n:], b[in:])
	}
	return n, nil
}
