package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/archive"
	"github.com/winnow-forensics/winnow/triage/disk"
	"github.com/winnow-forensics/winnow/triage/disk/fsys"
	"github.com/winnow-forensics/winnow/triage/report"
)

// diskImage marks an expansion of a disk image rather than an archive.
const diskImage archive.Format = "disk image"

// isDiskImage reports whether a scanned file is a disk image to read: an
// EWF first segment, or a raw image whose first sectors hold a partition
// table or a file system. Later segments (laptop.E02, usb.002) are items
// of their own, read with their first segment.
func isDiskImage(path string, fp triage.Fingerprint) bool {
	if fp.Type.Kind != triage.KindUnknown || fp.Size < 32<<10 || disk.IsLaterSegment(path) {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 64<<10)
	n, _ := f.ReadAt(head, 0)
	return disk.LooksLikeImage(head[:n])
}

// expandDisk reads the file systems of one disk image, sending a job per
// file (deleted ones included), then records the image's own item.
func (s *scanner) expandDisk(ctx context.Context, x *expansion) {
	defer s.pending.Done()
	j, fp := x.j, x.fp
	info := &report.ArchiveInfo{Format: "disk image"}
	direct := map[string]int{}
	im, err := disk.Open(j.file)
	if err == nil {
		info.Format = im.Format + " disk image"
		if s.cfg.verifyImage && im.Format == "ewf" {
			if verr := im.Verify(ctx, nil); verr != nil {
				fp.Err = triage.Errorf(triage.EINVALID, "image verification: %v", verr)
			} else {
				info.Verified = storedDigests(im)
			}
		}
		cr := &progressReaderAt{r: im, size: im.Size(), done: &s.partBytes}
		n := 0
		_, err = disk.Walk(ctx, cr, im.Size(), disk.Options{Limits: fsys.Limits{}}, func(e *disk.Entry, r io.Reader) error {
			m := &archive.Member{Inner: e.Inner, Name: e.Inner, RawName: e.RawName, Index: n, Indexes: []int{n},
				Depth: 1, Size: e.Size, ModTime: e.Origin.Modified, Err: e.Err}
			n++
			o := e.Origin
			return s.member(ctx, j, m, r, direct, &o)
		})
		s.partBytes.Add(-cr.counted.Load())
		im.Close()
	}
	if err != nil && fp.Err == nil {
		switch {
		case ctx.Err() != nil:
			fp.Err = triage.Errorf(triage.EUNAVAILABLE, "disk image not fully read: the scan was interrupted")
		default:
			fp.Err = fmt.Errorf("disk image not fully read: %w", err)
		}
	}
	s.archives.Add(1)
	info.Members = direct[""]
	j.archive = info
	s.record(j, &fp)
}

// storedDigests names the digests an image stores ("md5, sha1").
func storedDigests(im *disk.Image) string {
	var d []string
	if im.StoredMD5() != nil {
		d = append(d, "md5")
	}
	if im.StoredSHA1() != nil {
		d = append(d, "sha1")
	}
	return strings.Join(d, ", ")
}
