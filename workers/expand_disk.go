package workers

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/archive"
	"github.com/winnow-forensics/winnow/triage/disk"
	"github.com/winnow-forensics/winnow/triage/disk/ewf"
	"github.com/winnow-forensics/winnow/triage/disk/fsys"
)

// A disk image (raw/dd, split raw, EWF) is evidence like any upload:
// stored once under its SHA-256 and read by byte range here, never copied
// to local disk. Its file systems are walked and every file (deleted ones
// included) is stored and recorded as a child item, exactly as archive
// members are: the same idempotent, resumable steps (see expand.go), with
// the file's origin (file system, deleted, image offset, timestamps)
// recorded on the child. Each segment of a multi-segment image is its own
// upload and item (its own SHA-256 in the chain of custody); the first
// segment's item is the image: its task opens the other segments of the
// same exhibit by name (laptop.E02..., usb.002...) and expands the image
// once. Later segments are hashed and matched, not expanded. A first
// segment analysed before its siblings have arrived is retried (they are
// usually still uploading); after maxSegmentWaits attempts the image is
// expanded as far as the segments present allow.

// maxSegmentWaits is how many attempts of the first segment's task wait
// for missing later segments.
const maxSegmentWaits = 4

// mayBeDiskImage reports whether an item could be a disk image: content
// of no type the sniffer knows, large enough to hold a partition table
// and a file system.
func mayBeDiskImage(fp triage.Fingerprint) bool {
	return fp.Type.Kind == triage.KindUnknown && fp.Size >= 32<<10
}

// isDiskImage looks at the first 64 KiB of ra.
func isDiskImage(ra io.ReaderAt) bool {
	head := make([]byte, 64<<10)
	n, _ := ra.ReadAt(head, 0)
	head = head[:n]
	if ewf.IsSegment(head) && len(head) >= 13 && binary.LittleEndian.Uint16(head[9:]) > 1 {
		return false // a later EWF segment: expanded with the first
	}
	return disk.LooksLikeImage(head)
}

// errWaitSegments asks for a retry: later segments are not recorded yet.
var errWaitSegments = errors.New("waiting for the image's later segments to be uploaded")

// expandDisk walks the disk image held in ra (and the later segments of
// an EWF or split raw image) and records its files.
func (w *Worker) expandDisk(ctx context.Context, it *triage.Item, ra io.ReaderAt, size int64) (itemErr error, err error) {
	img, closeAll, missing, err := w.openImage(ctx, it, ra, size)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	if img == nil {
		return triage.Errorf(triage.EINVALID, "disk image not read: %s", missing), nil
	}
	x := expansion{seen: map[memberKey]int{}}
	if x.recorded, err = w.recordedChildren(ctx, it); err != nil {
		return nil, fmt.Errorf("children of item %d: %w", it.ID, err)
	}
	n := 0
	st, walkErr := disk.Walk(ctx, img, img.Size(), disk.Options{Limits: fsys.Limits{}}, func(e *disk.Entry, r io.Reader) error {
		m := &archive.Member{Inner: e.Inner, Name: e.Inner, RawName: e.RawName, Index: n, Indexes: []int{n}, Depth: 1,
			Size: e.Size, ModTime: e.Origin.Modified, Err: e.Err}
		n++
		o := e.Origin
		return w.member(ctx, it, m, r, &x, &o)
	})
	var infra *infraError
	switch {
	case errors.As(walkErr, &infra):
		return nil, infra.err
	case ctx.Err() != nil:
		return nil, ctx.Err()
	}
	if x.resumed > 0 {
		w.log.InfoContext(ctx, "disk image expansion resumed", "item_id", it.ID, "children", x.items, "recorded_before", x.resumed)
	}
	w.log.InfoContext(ctx, "disk image expanded", "item_id", it.ID, "volumes", st.Volumes, "read", st.Read,
		"children", x.items, "resumed", x.resumed, "deleted", st.Deleted, "problems", len(x.problems))
	w.m.members.Add(float64(x.items))
	if walkErr != nil {
		x.problems = append(x.problems, "disk image not fully read: "+triage.ErrorMessage(walkErr))
	}
	if missing != "" {
		x.problems = append([]string{missing}, x.problems...)
	}
	return x.itemError("files"), nil
}

// openImage opens the image whose first segment is it: with its later
// segments for EWF and split raw images. missing says which segments are
// absent when the image is read without them (or not at all: img nil).
func (w *Worker) openImage(ctx context.Context, it *triage.Item, ra io.ReaderAt, size int64) (img interface {
	io.ReaderAt
	Size() int64
}, closeAll func(), missing string, err error) {
	var closers []io.Closer
	closeAll = func() {
		for _, c := range closers {
			c.Close()
		}
	}
	head := make([]byte, 16)
	k, _ := ra.ReadAt(head, 0)
	name := path.Base(it.Path)
	ext := path.Ext(name)
	isEWF := ewf.IsSegment(head[:k])
	if !isEWF && ext != ".001" {
		return sized{ra, size}, closeAll, "", nil
	}
	var segs []ewf.Segment
	segs = append(segs, ewf.Segment{R: ra, Size: size, Name: name})
	var parts []io.ReaderAt
	var partSizes []int64
	parts, partSizes = append(parts, ra), append(partSizes, size)
	for i := 2; ; i++ {
		next := disk.SegmentName(it.Path, i)
		if next == "" {
			break
		}
		sib, err := w.cfg.Items.Items(ctx, triage.ItemFilter{ExhibitID: it.ExhibitID, Path: next, Limit: 10})
		if err != nil {
			return nil, closeAll, "", fmt.Errorf("segments of item %d: %w", it.ID, err)
		}
		var seg *triage.Item
		for i := range sib {
			if sib[i].ParentID == 0 && sib[i].InnerPath == "" {
				seg = &sib[i]
			}
		}
		if seg == nil {
			break
		}
		op, ok := w.cfg.Evidence.(triage.EvidenceOpener)
		if !ok {
			return nil, closeAll, "later segments not read: the evidence store gives no random access", nil
		}
		r, n, err := op.OpenAt(ctx, seg.SHA256)
		if err != nil {
			return nil, closeAll, "", fmt.Errorf("segment %s: %w", next, err)
		}
		closers = append(closers, r)
		segs = append(segs, ewf.Segment{R: r, Size: n, Name: path.Base(next)})
		parts, partSizes = append(parts, r), append(partSizes, n)
	}
	if !isEWF {
		return disk.Concat(parts, partSizes), closeAll, "", nil
	}
	e, err := ewf.Open(segs)
	switch {
	case err == nil && e.Complete():
		return e, closeAll, "", nil
	case err == nil && it.Attempts < maxSegmentWaits:
		return nil, closeAll, "", fmt.Errorf("item %d (%s, %d segments so far): %w", it.ID, name, len(segs), errWaitSegments)
	case err == nil:
		return e, closeAll, fmt.Sprintf("segment %d of the image was never submitted: what lies in it and after it is not read", len(segs)+1), nil
	}
	return nil, closeAll, err.Error(), nil
}

// sized is a reader with a size.
type sized struct {
	io.ReaderAt
	n int64
}

func (s sized) Size() int64 { return s.n }
