package disk

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/disk/ewf"
)

// Image is an opened disk image: the acquired medium's bytes, whatever
// container holds them.
type Image struct {
	// Format is "raw", "split raw" or "ewf".
	Format string
	// Segments are the files the image was read from, in order.
	Segments []string
	r        io.ReaderAt
	size     int64
	ewf      *ewf.Image
	files    []*os.File
}

// ReadAt reads the medium.
func (im *Image) ReadAt(p []byte, off int64) (int, error) { return im.r.ReadAt(p, off) }

// Size is the medium's size in bytes.
func (im *Image) Size() int64 { return im.size }

// Close closes the segment files.
func (im *Image) Close() error {
	var first error
	for _, f := range im.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// IsImageName reports whether a file name looks like a disk image or the
// first segment of one (.E01, .001, .dd, .raw, .img).
func IsImageName(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	switch ext {
	case ".e01", ".001", ".dd", ".raw", ".img", ".ima", ".dsk", ".vhd":
		return true
	}
	return false
}

// IsLaterSegment reports whether the file at path is a later segment of
// a multi-segment image (laptop.E02, usb.002...), read with its first
// segment and not on its own: an EWF segment whose header says so, or a
// numbered part beside a ".001".
func IsLaterSegment(path string) bool {
	ext := filepath.Ext(path)
	if len(ext) == 4 && ext[1] >= '0' && ext[1] <= '9' {
		n, err := strconv.Atoi(ext[1:])
		if err != nil || n < 2 {
			return false
		}
		_, err = os.Stat(strings.TrimSuffix(path, ext) + ".001")
		return err == nil
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var h [13]byte
	if _, err := f.ReadAt(h[:], 0); err != nil || !ewf.IsSegment(h[:]) {
		return false
	}
	return binary.LittleEndian.Uint16(h[9:]) > 1
}

// ewfSegmentNumber decodes "e01".."e99", "eaa".."ezz", "faa"... (EnCase's
// naming), 0 when ext is not a segment extension.
func ewfSegmentNumber(ext string) int {
	ext = strings.ToLower(ext)
	if len(ext) != 3 {
		return 0
	}
	if ext[0] == 'e' {
		if n, err := strconv.Atoi(ext[1:]); err == nil && n > 0 {
			return n
		}
	}
	a, b, c := ext[0], ext[1], ext[2]
	if a < 'e' || a > 'z' || b < 'a' || b > 'z' || c < 'a' || c > 'z' {
		return 0
	}
	return 100 + int(a-'e')*676 + int(b-'a')*26 + int(c-'a')
}

// ewfSegmentExt is the extension of segment n, in the case of like.
func ewfSegmentExt(n int, like string) string {
	var s string
	if n < 100 {
		s = fmt.Sprintf("E%02d", n)
	} else {
		n -= 100
		s = string([]byte{byte('E' + n/676), byte('A' + n/26%26), byte('A' + n%26)})
	}
	if strings.ToLower(like) == like {
		s = strings.ToLower(s)
	}
	return s
}

// Open opens the image at path: an EWF image (its other segments are
// found beside it: laptop.E01, laptop.E02...), a split raw image given by
// its first part (usb.001, usb.002...), or a single raw file.
func Open(path string) (*Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 16)
	n, _ := f.ReadAt(head, 0)
	head = head[:n]
	f.Close()
	ext := filepath.Ext(path)
	switch {
	case ewf.IsSegment(head):
		return openEWF(path)
	case len(ext) == 4 && ext[1:] == "001":
		return openSplit(path)
	}
	return openFiles("raw", []string{path})
}

func openEWF(path string) (*Image, error) {
	im, sizes, err := openAll("ewf", append([]string{path}, Segments(path)...))
	if err != nil {
		return nil, err
	}
	var segs []ewf.Segment
	for i, f := range im.files {
		segs = append(segs, ewf.Segment{R: f, Size: sizes[i], Name: filepath.Base(im.Segments[i])})
	}
	e, err := ewf.Open(segs)
	if err != nil {
		im.Close()
		return nil, triage.Errorf(triage.EINVALID, "%v", err)
	}
	im.ewf, im.r, im.size = e, e, e.Size()
	return im, nil
}

func openSplit(path string) (*Image, error) {
	paths := append([]string{path}, Segments(path)...)
	format := "split raw"
	if len(paths) == 1 {
		format = "raw"
	}
	return openFiles(format, paths)
}

func openFiles(format string, paths []string) (*Image, error) {
	im, sizes, err := openAll(format, paths)
	if err != nil {
		return nil, err
	}
	var parts []io.ReaderAt
	for _, f := range im.files {
		parts = append(parts, f)
	}
	c := Concat(parts, sizes)
	im.r, im.size = c, c.Size()
	if len(parts) == 1 {
		im.r = parts[0]
	}
	return im, nil
}

// openAll opens the segment files of an image and returns their sizes.
func openAll(format string, paths []string) (*Image, []int64, error) {
	im := &Image{Format: format, Segments: paths}
	var sizes []int64
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			im.Close()
			return nil, nil, err
		}
		im.files = append(im.files, f)
		fi, err := f.Stat()
		if err != nil {
			im.Close()
			return nil, nil, err
		}
		sizes = append(sizes, fi.Size())
	}
	return im, sizes, nil
}

// piece is one file of a concatenation.
type piece struct {
	r         io.ReaderAt
	off, size int64
}

// concat is the concatenation of parts (a split raw image).
type concat []piece

func (c concat) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for i := range c {
		pt := c[i]
		if n == len(p) {
			break
		}
		at := off + int64(n)
		if at >= pt.off+pt.size || at < pt.off {
			continue
		}
		k := int(min(int64(len(p)-n), pt.off+pt.size-at))
		m, err := pt.r.ReadAt(p[n:n+k], at-pt.off)
		n += m
		if m < k {
			if err == nil || err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// Segments lists the later segments present beside first (a first
// segment: laptop.E01, usb.001), in order.
func Segments(first string) []string {
	var out []string
	for n := 2; ; n++ {
		p := SegmentName(first, n)
		if fi, err := os.Stat(p); p == "" || err != nil || !fi.Mode().IsRegular() {
			return out
		}
		out = append(out, p)
	}
}

// SegmentName is the path of segment n (2, 3...) of the multi-segment
// image whose first segment is first ("laptop.E01" gives "laptop.E02",
// "usb.001" gives "usb.002"), "" when first names no first segment.
func SegmentName(first string, n int) string {
	ext := filepath.Ext(first)
	base := strings.TrimSuffix(first, ext)
	switch {
	case ext == ".001" && n < 1000:
		return fmt.Sprintf("%s.%03d", base, n)
	case len(ext) == 4 && ewfSegmentNumber(ext[1:]) == 1 && n < 14972:
		return base + "." + ewfSegmentExt(n, ext[1:])
	}
	return ""
}

// Concat reads parts (of the given sizes) as one image: a split raw
// image whose parts are not files (objects in a store).
func Concat(parts []io.ReaderAt, sizes []int64) interface {
	io.ReaderAt
	Size() int64
} {
	var c concat
	var at int64
	for i, p := range parts {
		c = append(c, piece{r: p, off: at, size: sizes[i]})
		at += sizes[i]
	}
	return c
}

// Size is the concatenation's length.
func (c concat) Size() int64 {
	if len(c) == 0 {
		return 0
	}
	return c[len(c)-1].off + c[len(c)-1].size
}

// StoredMD5 and StoredSHA1 are the digests the acquiring tool stored in
// the image (EWF only), nil when none.
func (im *Image) StoredMD5() []byte {
	if im.ewf == nil {
		return nil
	}
	return im.ewf.StoredMD5()
}

// StoredSHA1: see StoredMD5.
func (im *Image) StoredSHA1() []byte {
	if im.ewf == nil {
		return nil
	}
	return im.ewf.StoredSHA1()
}

// ErrVerify is wrapped by Verify's error when the medium's digest is not
// the one stored.
var ErrVerify = errors.New("image verification failed")

// Verify reads the whole medium and compares its MD5 and SHA-1 with the
// digests the image stores; progress, if set, is called with the bytes
// read so far. It fails when the image stores no digest, when a digest
// differs (ErrVerify) or when the medium cannot be read.
func (im *Image) Verify(ctx context.Context, progress func(done, total int64)) error {
	return verify(ctx, im, im.size, im.StoredMD5(), im.StoredSHA1(), im.Format, progress)
}

// verify digests size bytes of r and compares them with the stored ones.
func verify(ctx context.Context, r io.ReaderAt, size int64, wantMD5, wantSHA1 []byte, format string, progress func(done, total int64)) error {
	if wantMD5 == nil && wantSHA1 == nil {
		return triage.Errorf(triage.EUNSUPPORTED, "the %s image stores no digest to verify against", format)
	}
	m, s := md5.New(), sha1.New()
	w := io.MultiWriter(m, s)
	buf := make([]byte, 1<<20)
	for off := int64(0); off < size; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := int(min(int64(len(buf)), size-off))
		k, err := r.ReadAt(buf[:n], off)
		if k < n {
			return fmt.Errorf("verify: reading media byte %d: %w", off+int64(k), err)
		}
		w.Write(buf[:n])
		off += int64(n)
		if progress != nil {
			progress(off, size)
		}
	}
	if wantMD5 != nil && !bytes.Equal(m.Sum(nil), wantMD5) {
		return fmt.Errorf("%w: MD5 of the media is %x, the image stores %x", ErrVerify, m.Sum(nil), wantMD5)
	}
	if wantSHA1 != nil && !bytes.Equal(s.Sum(nil), wantSHA1) {
		return fmt.Errorf("%w: SHA-1 of the media is %x, the image stores %x", ErrVerify, s.Sum(nil), wantSHA1)
	}
	return nil
}
