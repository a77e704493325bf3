package disk

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/disk/exfat"
	"github.com/winnow-forensics/winnow/triage/disk/ext"
	"github.com/winnow-forensics/winnow/triage/disk/fat"
	"github.com/winnow-forensics/winnow/triage/disk/fsys"
	"github.com/winnow-forensics/winnow/triage/disk/ntfs"
	"github.com/winnow-forensics/winnow/triage/disk/part"
	"github.com/winnow-forensics/winnow/triage/disk/probe"
)

// Volume is one partition of an image, or the whole image when it has no
// partition table.
type Volume struct {
	// Name is "p1", "p2"... (partition numbers as Linux and fdisk give
	// them), or "" for an image without a partition table.
	Name string
	// Scheme is "mbr", "gpt" or "" (no partition table); Type the
	// partition type ("0x07", a GPT type GUID) and TypeName its meaning.
	Scheme, Type, TypeName string
	// FS is the file system found in the volume: "ntfs", "fat12",
	// "fat16", "fat32", "exfat", "ext2", "ext3", "ext4" (read); "apfs",
	// "hfs+", "hfs", "bitlocker", "luks", "refs", "xfs", "btrfs", "lvm",
	// "swap", "iso9660" (detected, not read); "" (unknown).
	FS string
	// Offset and Size locate the volume in the image (Size is clamped to
	// the image).
	Offset, Size int64
	// Note says what is odd about the partition entry (outside the image).
	Note string
	// Err says why the volume's files are not listed (encrypted, a file
	// system not read, damaged); nil for a volume that was read.
	Err error
	// R reads the volume.
	R *io.SectionReader

	fs      fsys.FS
	regions *regions // whole-image carving: names carved items by region
}

// Prefix is what the inner paths of the volume's files start with: "p2/",
// or "" for an image without a partition table.
func (v *Volume) Prefix() string {
	if v.Name == "" {
		return ""
	}
	return v.Name + "/"
}

// FileSystem returns the volume's opened file system, nil when not read.
func (v *Volume) FileSystem() fsys.FS { return v.fs }

// Unallocated calls fn with the volume's unallocated extents
// (volume-relative offsets): its file system's free space when one was
// read, the whole volume when its content is unknown, nothing for
// encrypted volumes and file systems detected but not read.
func (v *Volume) Unallocated(ctx context.Context, fn func(fsys.Extent) error) error {
	switch {
	case v.fs != nil:
		return v.fs.Unallocated(ctx, fn)
	case v.FS == "" && v.Size > 0:
		return fn(fsys.Extent{Off: 0, Len: v.Size})
	}
	return nil
}

// notRead describes the file systems that are detected but not read.
var notRead = map[string]string{
	"apfs":      "APFS volume: detected, not read (export its files with an APFS tool and scan the folder)",
	"hfs+":      "HFS+ volume: detected, not read (export its files with an HFS+ tool and scan the folder)",
	"hfs":       "HFS volume: detected, not read",
	"bitlocker": "BitLocker-encrypted volume: detected, not read (decrypt it with its recovery key, e.g. dislocker, and scan the decrypted image)",
	"luks":      "LUKS-encrypted volume: detected, not read (open it with cryptsetup and scan the decrypted device image)",
	"refs":      "ReFS volume: detected, not read",
	"xfs":       "XFS volume: detected, not read",
	"btrfs":     "Btrfs volume: detected, not read",
	"lvm":       "LVM physical volume: detected, not read (activate it and image its logical volumes)",
	"swap":      "Linux swap: not a file system (carving may still find pictures in it)",
	"iso9660":   "ISO 9660 file system: detected, not read",
}

// Volumes finds the volumes of an image: the partitions of its partition
// table, or the whole image as one volume when it holds a file system
// directly or has no partition table this package reads. Each volume's
// file system is detected and, when it is one of those read, opened.
func Volumes(r io.ReaderAt, size int64, lim fsys.Limits) []*Volume {
	if fs := probe.Volume(r, size); fs != "" {
		return []*Volume{openVolume(&Volume{FS: fs, Size: size, R: io.NewSectionReader(r, 0, size)}, lim)}
	}
	parts, err := part.Read(r, size)
	if err != nil {
		return []*Volume{openVolume(&Volume{Size: size, R: io.NewSectionReader(r, 0, size)}, lim)}
	}
	var vols []*Volume
	for _, p := range parts {
		v := &Volume{Name: fmt.Sprintf("p%d", p.Number), Scheme: p.Scheme, Type: p.Type, TypeName: p.TypeName,
			Offset: p.Offset, Note: p.Note}
		if p.Number == 0 {
			v.Name = "extended@" + fmt.Sprint(p.Offset)
		}
		if p.Offset >= size || p.Size == 0 {
			v.Err = triage.Errorf(triage.EINVALID, "partition %s: %s", v.Name, p.Note)
			vols = append(vols, v)
			continue
		}
		v.Size = min(p.Size, size-p.Offset)
		v.R = io.NewSectionReader(r, p.Offset, v.Size)
		if p.TypeName == "extended" {
			v.Err = triage.Errorf(triage.EINVALID, "extended partition: %s", p.Note)
			vols = append(vols, v)
			continue
		}
		v.FS = probe.Volume(v.R, v.Size)
		vols = append(vols, openVolume(v, lim))
	}
	return vols
}

func openVolume(v *Volume, lim fsys.Limits) *Volume {
	if why, ok := notRead[v.FS]; ok {
		v.Err = triage.Errorf(triage.EUNSUPPORTED, "%s", why)
		return v
	}
	var fs fsys.FS
	var err error
	switch v.FS {
	case "":
		return v
	case "ntfs":
		fs, err = ntfs.Open(v.R, v.Size, lim)
	case "exfat":
		fs, err = exfat.Open(v.R, v.Size, lim)
	case "fat12", "fat16", "fat32":
		fs, err = fat.Open(v.R, v.Size, lim)
	case "ext2", "ext3", "ext4":
		fs, err = ext.Open(v.R, v.Size, lim)
	}
	if err != nil {
		v.Err = triage.Errorf(triage.EINVALID, "%s file system not read: %v", v.FS, err)
		return v
	}
	v.fs = fs
	return v
}

// Unpartitioned returns the image's bytes that no partition covers, in
// ascending order (nil for an image without a partition table).
func Unpartitioned(vols []*Volume, size int64) []fsys.Extent {
	var used []fsys.Extent
	for _, v := range vols {
		if v.Name == "" {
			return nil
		}
		if v.Size > 0 {
			used = append(used, fsys.Extent{Off: v.Offset, Len: v.Size})
		}
	}
	sort.Slice(used, func(i, j int) bool { return used[i].Off < used[j].Off })
	var free []fsys.Extent
	var at int64
	for _, u := range used {
		if u.Off > at {
			free = append(free, fsys.Extent{Off: at, Len: u.Off - at})
		}
		at = max(at, u.End())
	}
	if at < size {
		free = append(free, fsys.Extent{Off: at, Len: size - at})
	}
	return free
}
