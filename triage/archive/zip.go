package archive

import (
	"archive/zip"
	"bufio"
	"compress/bzip2"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"math"
	"sort"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/container"
)

// Zip compression methods Walk reads besides store and deflate.
const zipBzip2 = 12

// zipMethodNames names the methods that Walk reports as unsupported.
var zipMethodNames = map[uint16]string{
	1: "shrink", 6: "implode", 9: "deflate64", 14: "LZMA", 93: "zstd", 95: "xz", 96: "JPEG", 97: "WavPack", 98: "PPMd", 99: "AES-encrypted",
}

// ZipDir is a zip archive's directory, checked the way Walk checks it:
// the member count within Limits.MaxEntries, members whose compressed data
// overlaps another's found. Other container kinds that are zips at heart
// (phone extractions) read their members through it.
type ZipDir struct {
	// Files are the archive's members, in the order its directory lists
	// them; the caller opens them (bzip2 is registered).
	Files    []*zip.File
	overlaps []error
	lim      container.Limits
}

// OpenZip reads the directory of the zip held in r (size bytes) within
// lim. It returns an EINVALID error for a file that is not a readable
// zip, ETOOLARGE for one with more members than lim allows.
func OpenZip(r io.ReaderAt, size int64, lim container.Limits) (*ZipDir, error) {
	lim = lim.WithDefaults()
	if err := checkZipDirectory(r, size, lim.MaxEntries); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, triage.Errorf(triage.EINVALID, "zip: %v", err)
	}
	zr.RegisterDecompressor(zipBzip2, func(r io.Reader) io.ReadCloser { return io.NopCloser(bzip2.NewReader(r)) })
	return &ZipDir{Files: zr.File, overlaps: zipOverlaps(zr.File), lim: lim}, nil
}

// Problem returns why member i is not read, or nil: a link or special
// file, encryption, an unsupported compression method, data overlapping
// another member's, a declared size over the limit for one member or a
// declared expansion over the ratio limit (a zip bomb).
func (z *ZipDir) Problem(i int) error {
	return zipMemberProblem(z.Files[i], z.overlaps[i], z.lim)
}

// walkZip expands a zip archive.
func (w *walker) walkZip(r io.ReaderAt, size int64, at loc) error {
	w.stats.Containers++
	z, err := OpenZip(r, size, w.lim)
	if err != nil {
		return err
	}
	for i, f := range z.Files {
		if err := w.canceled(); err != nil {
			return err
		}
		if f.Mode().IsDir() {
			continue
		}
		m := w.newMember(at, f.Name, i)
		m.Times.Modified = f.Modified
		if f.UncompressedSize64 <= math.MaxInt64 {
			m.Size = int64(f.UncompressedSize64)
		}
		if m.Err = z.Problem(i); m.Err != nil {
			w.stats.Members++
			if err := w.call(m, nil); err != nil {
				return err
			}
			continue
		}
		rc, err := f.Open()
		if err != nil {
			w.stats.Members++
			m.Err = triage.Errorf(triage.EINVALID, "zip: %v", err)
			if err := w.call(m, nil); err != nil {
				return err
			}
			continue
		}
		compressed := int64(-1)
		if f.CompressedSize64 <= math.MaxInt64 {
			compressed = int64(f.CompressedSize64)
		}
		err = w.member(m, rc, compressed)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// zipMemberProblem returns why a zip member is not read within lim, or nil.
func zipMemberProblem(f *zip.File, overlaps error, lim container.Limits) error {
	mode := f.Mode()
	switch {
	case mode&fs.ModeSymlink != 0:
		return triage.Errorf(triage.EUNSUPPORTED, "symbolic link inside the archive: not followed")
	case mode&(fs.ModeDevice|fs.ModeNamedPipe|fs.ModeSocket|fs.ModeCharDevice|fs.ModeIrregular) != 0:
		return triage.Errorf(triage.EUNSUPPORTED, "special file (%s) inside the archive: skipped", mode.Type())
	case f.Flags&0x1 != 0 || f.Method == 99:
		return triage.Errorf(triage.EUNSUPPORTED, "encrypted member: cannot be read without the password (decrypt the archive and scan it again)")
	case f.Method != zip.Store && f.Method != zip.Deflate && f.Method != zipBzip2:
		name := zipMethodNames[f.Method]
		if name == "" {
			name = "unknown"
		}
		return triage.Errorf(triage.EUNSUPPORTED, "compression method %d (%s) is not supported: member not read", f.Method, name)
	case overlaps != nil:
		return overlaps
	case f.UncompressedSize64 > uint64(lim.MaxMemberBytes):
		return triage.Errorf(triage.ETOOLARGE, "member declares %s, over the limit of %s for one member: not read", fmtBytes(clampInt64(f.UncompressedSize64)), fmtBytes(lim.MaxMemberBytes))
	case f.UncompressedSize64 > uint64(lim.RatioFloor) && f.UncompressedSize64/max(f.CompressedSize64, 1) > uint64(lim.MaxRatio):
		return triage.Errorf(triage.ETOOLARGE, "member declares %s from %s compressed, more than %d times (zip bomb?): not read",
			fmtBytes(clampInt64(f.UncompressedSize64)), fmtBytes(clampInt64(f.CompressedSize64)), lim.MaxRatio)
	}
	return nil
}

func clampInt64(v uint64) int64 {
	if v > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(v)
}

// zipOverlaps finds members whose compressed data overlaps another
// member's, the trick of "non-recursive" zip bombs that make thousands of
// entries share one compressed kernel. It returns a per-member error (nil
// where fine), indexed like files.
func zipOverlaps(files []*zip.File) []error {
	out := make([]error, len(files))
	type span struct {
		start, end int64
		i          int
	}
	spans := make([]span, 0, len(files))
	for i, f := range files {
		if f.Mode().IsDir() && f.CompressedSize64 == 0 {
			continue
		}
		off, err := f.DataOffset()
		if err != nil {
			out[i] = triage.Errorf(triage.EINVALID, "zip: local header damaged: %v", err)
			continue
		}
		end := off + clampInt64(f.CompressedSize64)
		if end < off {
			end = math.MaxInt64
		}
		spans = append(spans, span{off, end, i})
	}
	sort.Slice(spans, func(a, b int) bool { return spans[a].start < spans[b].start })
	var reach int64 = -1 // the furthest end so far
	reachIdx := -1
	for _, s := range spans {
		// Zero-length data cannot share anything.
		if s.start < reach && s.end > s.start {
			err := triage.Errorf(triage.ETOOLARGE, "member's data overlaps another member's (a zip-bomb technique): not read")
			out[s.i] = err
			if reachIdx >= 0 {
				out[reachIdx] = err
			}
		}
		if s.end > reach {
			reach, reachIdx = s.end, s.i
		}
	}
	return out
}

// checkZipDirectory counts the central directory records of a zip from
// its end record, before archive/zip allocates one File per record, and
// refuses archives holding more than maxEntries. A file it cannot make
// sense of is left to archive/zip's own checks.
func checkZipDirectory(r io.ReaderAt, size int64, maxEntries int) error {
	eocd, cdOff, cdSize, declared, ok := readZipEnd(r, size)
	if !ok {
		return nil
	}
	if declared > uint64(maxEntries) {
		return tooManyMembers(maxEntries)
	}
	// archive/zip reads records from the directory offset as long as they
	// look like records, whatever the count says; count them the same way
	// from both places it may start (the stated offset, and the offset
	// corrected for data prepended to the archive).
	starts := []int64{int64(cdOff)}
	if base := eocd - int64(cdSize) - int64(cdOff); base > 0 {
		starts = append(starts, base+int64(cdOff))
	}
	for _, start := range starts {
		if countZipRecords(r, size, start, maxEntries+1) > maxEntries {
			return tooManyMembers(maxEntries)
		}
	}
	return nil
}

func tooManyMembers(n int) error {
	return triage.Errorf(triage.ETOOLARGE, "zip holds more than %d members: not expanded (raise the member limit to expand it)", n)
}

// readZipEnd finds the end of central directory record (and its zip64
// form) and returns its offset, the directory's offset and size and the
// declared record count.
func readZipEnd(r io.ReaderAt, size int64) (eocd int64, cdOff, cdSize, count uint64, ok bool) {
	const eocdLen = 22
	if size < eocdLen {
		return 0, 0, 0, 0, false
	}
	tail := min(size, eocdLen+math.MaxUint16)
	buf := make([]byte, tail)
	if _, err := r.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return 0, 0, 0, 0, false
	}
	p := -1
	for i := len(buf) - eocdLen; i >= 0; i-- {
		if string(buf[i:i+4]) == "PK\x05\x06" {
			p = i
			break
		}
	}
	if p < 0 {
		return 0, 0, 0, 0, false
	}
	b := buf[p:]
	eocd = size - tail + int64(p)
	count = uint64(binary.LittleEndian.Uint16(b[10:]))
	cdSize = uint64(binary.LittleEndian.Uint32(b[12:]))
	cdOff = uint64(binary.LittleEndian.Uint32(b[16:]))
	if count == 0xffff || cdSize == 0xffffffff || cdOff == 0xffffffff {
		// The zip64 end locator sits just before the end record.
		var loc [20]byte
		if eocd >= 20 {
			if _, err := r.ReadAt(loc[:], eocd-20); err == nil && string(loc[:4]) == "PK\x06\x07" {
				off := binary.LittleEndian.Uint64(loc[8:])
				var z [56]byte
				if off <= math.MaxInt64-56 && int64(off)+56 <= size {
					if _, err := r.ReadAt(z[:], int64(off)); err == nil && string(z[:4]) == "PK\x06\x06" {
						eocd = int64(off)
						count = binary.LittleEndian.Uint64(z[32:])
						cdSize = binary.LittleEndian.Uint64(z[40:])
						cdOff = binary.LittleEndian.Uint64(z[48:])
					}
				}
			}
		}
	}
	if cdOff > math.MaxInt64 || cdSize > math.MaxInt64 {
		return 0, 0, 0, 0, false
	}
	return eocd, cdOff, cdSize, count, true
}

// countZipRecords counts consecutive central directory records from off,
// stopping at limit.
func countZipRecords(r io.ReaderAt, size, off int64, limit int) int {
	const recLen = 46
	if off < 0 || off >= size {
		return 0
	}
	br := bufio.NewReaderSize(io.NewSectionReader(r, off, size-off), 64<<10)
	var hdr [recLen]byte
	n := 0
	for n < limit {
		if _, err := io.ReadFull(br, hdr[:]); err != nil || string(hdr[:4]) != "PK\x01\x02" {
			break
		}
		n++
		skip := int(binary.LittleEndian.Uint16(hdr[28:])) + int(binary.LittleEndian.Uint16(hdr[30:])) + int(binary.LittleEndian.Uint16(hdr[32:]))
		if d, err := br.Discard(skip); err != nil || d != skip {
			break
		}
	}
	return n
}
