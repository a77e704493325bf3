// Package fsys holds what every file-system reader of a disk image shares:
// the File a reader reports, the byte Extents its data and its free space
// occupy, the timestamps it records, the Limits that bound it, and the FS
// interface that package disk drives. Readers (fat, exfat, ntfs, ext) read
// a volume through an io.ReaderAt and never mount, write or trust it.
package fsys

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Extent is a run of bytes [Off, Off+Len) of the volume it belongs to.
type Extent struct {
	Off, Len int64
}

// End is the offset just past the extent.
func (e Extent) End() int64 { return e.Off + e.Len }

// Times are the timestamps a file system records for a file, in UTC. A
// zero time is one the file system does not record (FAT has no change
// time, ext2 no birth time) or that was out of range.
type Times struct {
	Modified time.Time // content last written
	Accessed time.Time // last read (FAT: a date only)
	Changed  time.Time // metadata last changed (NTFS MFT entry, ext ctime)
	Created  time.Time // birth (NTFS, FAT, exFAT, ext4 crtime)
}

// File is one regular file (or NTFS alternate data stream) of a volume,
// allocated or deleted.
type File struct {
	// Path is the file's path inside the volume, "/"-separated, with no
	// leading slash ("Users/x/Pictures/a.jpg"). A deleted file whose
	// directory is gone is under "$OrphanFiles/", as The Sleuth Kit lists
	// it; an NTFS alternate data stream is "name:stream".
	Path string
	// Size is the file's length in bytes, as the file system records it.
	Size int64
	// Deleted is true when the entry is no longer allocated: its content
	// is what the file system's metadata still points to, recovered the way
	// The Sleuth Kit recovers it, and may have been overwritten since.
	Deleted bool
	// ID is the file's metadata address as The Sleuth Kit numbers it: the
	// MFT entry (NTFS), the inode (ext), the directory entry's address
	// (FAT, exFAT). With Stream it identifies the file for `icat`.
	ID uint64
	// Stream names an NTFS alternate data stream ("" for the main one).
	Stream string
	Times  Times
	// Extents are where the content lies in the volume, in file order; a
	// sparse run is an extent with Off -1. Resident content (NTFS, ext4
	// inline data) is one extent pointing at the bytes in the metadata,
	// and Data holds it as the reader decoded it.
	Extents []Extent
	Data    []byte
	// Unit is the compression unit in bytes of an NTFS-compressed stream
	// (its Extents then hold the compressed layout, units of stored,
	// compressed and sparse clusters); 0 for content stored as it is.
	Unit int64
	// Err says why the content cannot be read (compressed or encrypted
	// data, a broken run list, a chain that cycles): the file is listed,
	// Open fails with Err.
	Err error
}

// Offset is the volume offset of the file's first content byte, or -1
// when it has none (empty, sparse at the start).
func (f *File) Offset() int64 {
	if len(f.Extents) == 0 || f.Extents[0].Off < 0 {
		return -1
	}
	return f.Extents[0].Off
}

// FS is a file system opened read-only over a volume.
type FS interface {
	// Type names the file system: "ntfs", "fat12", "fat16", "fat32",
	// "exfat", "ext2", "ext3", "ext4".
	Type() string
	// Walk calls fn for every regular file, allocated and deleted, and for
	// every alternate data stream, directories first visited breadth-last
	// in the order the file system stores them. A problem confined to one
	// file is reported in File.Err; a problem with a directory is passed to
	// fn as a File with Err set and the walk goes on. Walk stops early and
	// returns fn's error or ctx's.
	Walk(ctx context.Context, fn func(*File) error) error
	// Open returns a reader of f's content (f.Size bytes). It fails with
	// f.Err when that is set.
	Open(f *File) (io.ReaderAt, error)
	// Unallocated calls fn with the volume's unallocated extents (free
	// clusters or blocks, in ascending order, adjacent runs merged). It
	// returns fn's error or ctx's, or an error when the allocation map
	// cannot be read.
	Unallocated(ctx context.Context, fn func(Extent) error) error
}

// Limits bound what a reader may spend on one volume. A zero field means
// its DefaultLimits value.
type Limits struct {
	// MaxFiles bounds the files (and directories) one walk visits.
	MaxFiles int
	// MaxDepth bounds directory nesting.
	MaxDepth int
	// MaxExtents bounds the extents of one file (a fragmented or corrupt
	// run list).
	MaxExtents int
	// MaxMeta bounds the bytes of metadata held in memory at once (a FAT,
	// a directory, an allocation bitmap chunk).
	MaxMeta int64
}

// DefaultLimits apply where a Limits field is zero.
var DefaultLimits = Limits{
	MaxFiles:   10_000_000,
	MaxDepth:   256,
	MaxExtents: 1 << 20,
	MaxMeta:    256 << 20,
}

// WithDefaults returns l with zero fields set from DefaultLimits.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits
	if l.MaxFiles > 0 {
		d.MaxFiles = l.MaxFiles
	}
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	if l.MaxExtents > 0 {
		d.MaxExtents = l.MaxExtents
	}
	if l.MaxMeta > 0 {
		d.MaxMeta = l.MaxMeta
	}
	return d
}

// ErrCorrupt is wrapped by errors about damaged or implausible metadata.
var ErrCorrupt = errors.New("corrupt file system")

// Corruptf returns an error wrapping ErrCorrupt.
func Corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}
