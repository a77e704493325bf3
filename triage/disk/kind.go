package disk

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/archive"
	"github.com/winnow-forensics/winnow/triage/container"
	"github.com/winnow-forensics/winnow/triage/disk/ewf"
	"github.com/winnow-forensics/winnow/triage/disk/fsys"
	"github.com/winnow-forensics/winnow/triage/hashing"
)

// Kind is the disk-image container kind: an image sniffed as EWF or as a
// raw disk image is expanded into the files of its file systems, deleted
// ones included, each member carrying its provenance (Deleted, Carved,
// Offset/Length, Times, Attrs "fs", "fs_id", "volume").
type Kind struct {
	// Verify re-reads an EWF image first and checks it against the MD5
	// and SHA-1 it stores; a mismatch is the image's error.
	Verify bool
	// Limits bound each file system's walk.
	Limits fsys.Limits
	// Carve, when set, carves unallocated space (see Options.Carve).
	Carve func(ctx context.Context, v *Volume, emit VisitFunc) error
	// WholeImage carves the whole image instead (Options.WholeImage).
	WholeImage bool
	// Blobs also expands files of unknown type, as raw images with no
	// partition table or file system: with Carve, pictures are carved
	// from memory dumps, swap files, exported unallocated space.
	Blobs bool
}

// Images is the disk-image kind with default settings.
var Images = &Kind{}

var _ container.Container = (*Kind)(nil)

// ErrIncomplete is wrapped by Expand's error when an EWF image's last
// segment was not found beside it: the files it reached are visited, the
// rest are not. (A lab worker waits for segments still uploading.)
var ErrIncomplete = errors.New("the image's later segments are missing")

// Detect implements container.Container.
func (k *Kind) Detect(mt triage.MediaType) (string, error) {
	switch mt.MIME {
	case triage.MIMEEWF:
		return "ewf disk image", nil
	case triage.MIMEDiskImage:
		return "raw disk image", nil
	case triage.MIMEEWF2:
		return "", triage.Errorf(triage.EUNSUPPORTED, "EWF version 2 (.Ex01) image: recognised, not read (convert it to .E01 or raw with ewfexport and scan that)")
	case triage.MIMEEWFLogical:
		return "", triage.Errorf(triage.EUNSUPPORTED, "logical evidence file (.L01/.Lx01): recognised, not read (export its files and scan the folder)")
	case triage.MIMEUnknown:
		if k.Blobs {
			return "raw data", nil
		}
	}
	return "", nil
}

// Expand implements container.Container: r is the image (the first
// segment of a multi-segment one, whose later segments opt.Open finds by
// name), its volumes and file systems are walked and every file visited.
func (k *Kind) Expand(ctx context.Context, r io.ReaderAt, size int64, opt container.Options, visit container.VisitFunc) (container.Stats, error) {
	var st container.Stats
	img, err := k.open(r, size, opt)
	var incomplete error
	switch {
	case errors.Is(err, ErrIncomplete):
		incomplete = err
	case err != nil:
		return st, err
	}
	// A failed verification is the image's error; its files are still
	// read, so that the examiner sees what a damaged image holds.
	var verr error
	if im, ok := img.(*ewf.Image); ok && k.Verify && incomplete == nil {
		if verr = verify(ctx, im, im.Size(), im.StoredMD5(), im.StoredSHA1(), "ewf", nil); ctx.Err() != nil {
			return st, ctx.Err()
		}
	}
	st.Containers = 1
	n := 0
	// Archives in the file systems (a zip on a USB stick) are expanded as
	// winnow scan expands them in a folder, within opt.Limits; every other
	// file goes to visit as it is, however large.
	nested := archive.NewExpander(ctx, img.Size(), opt, visit)
	handed, handedBytes := 0, int64(0)
	_, err = Walk(ctx, img, img.Size(), Options{Limits: k.Limits, Carve: k.Carve, WholeImage: k.WholeImage}, func(e *Entry, rd io.Reader) error {
		m := &container.Member{Inner: e.Inner, Name: e.Inner, RawName: e.RawName, Index: n, Indexes: []int{n}, Depth: 1,
			Size: e.Size, Deleted: e.Origin.Deleted, Carved: e.Origin.Carved, ReaderAt: e.ReaderAt, Err: e.Err,
			Times: container.Times{Modified: e.Origin.Modified, Accessed: e.Origin.Accessed, Changed: e.Origin.Changed, Created: e.Origin.Created},
			Attrs: map[string]string{"fs": e.Origin.FS}}
		if e.Origin.FS == "" {
			m.Attrs["fs"] = "none"
		}
		if e.Origin.Truncated {
			m.Attrs["carved"] = "truncated"
		}
		if e.Origin.ID != 0 {
			m.Attrs["fs_id"] = strconv.FormatUint(e.Origin.ID, 10)
		}
		if e.Origin.Offset >= 0 {
			m.Offset, m.Length = e.Origin.Offset, e.Size
		} else {
			m.Fragments = e.Origin.Fragments
		}
		n++
		st.Members++
		st.Bytes += max(e.Size, 0)
		if rd == nil || m.Err != nil {
			return visit(m, rd)
		}
		br := bufio.NewReaderSize(rd, hashing.SniffLen)
		head, _ := br.Peek(hashing.SniffLen)
		if f, _ := archive.FormatOf(hashing.Sniff(head)); f == "" {
			return visit(m, br)
		}
		handed, handedBytes = handed+1, handedBytes+max(e.Size, 0)
		return nested.Member(m, br, -1)
	})
	// The archives' members, at every depth, and the archives expanded.
	xs := nested.Stats()
	st.Members += xs.Members - handed
	st.Containers += xs.Containers
	st.Bytes += xs.Bytes - handedBytes
	if err == nil {
		err = errors.Join(verr, incomplete)
	}
	return st, err
}

// sized is an image's bytes.
type sized interface {
	io.ReaderAt
	Size() int64
}

// open reads an EWF image with its later segments, a split raw image
// with its later parts, or a single raw image.
func (k *Kind) open(r io.ReaderAt, size int64, opt container.Options) (sized, error) {
	var head [16]byte
	n, _ := r.ReadAt(head[:], 0)
	isEWF := ewf.IsSegment(head[:n])
	first := opt.Name
	var rs []io.ReaderAt
	var sizes []int64
	if opt.Open != nil {
		for i := 2; ; i++ {
			name := SegmentName(first, i)
			if name == "" {
				break
			}
			sr, sn, err := opt.Open(path.Base(name))
			if err != nil {
				break
			}
			rs, sizes = append(rs, sr), append(sizes, sn)
		}
	}
	if !isEWF {
		return Concat(append([]io.ReaderAt{r}, rs...), append([]int64{size}, sizes...)), nil
	}
	segs := []ewf.Segment{{R: r, Size: size, Name: first}}
	for i := range rs {
		segs = append(segs, ewf.Segment{R: rs[i], Size: sizes[i], Name: path.Base(SegmentName(first, i+2))})
	}
	im, err := ewf.Open(segs)
	if err != nil {
		return nil, triage.Errorf(triage.EINVALID, "%v", err)
	}
	if !im.Complete() {
		return im, fmt.Errorf("%w: segment %d of %s was not found (files in it and after it are not read)", ErrIncomplete, len(segs)+1, first)
	}
	return im, nil
}
