package disk

import (
	"context"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/archive"
	"github.com/winnow-forensics/winnow/triage/disk/fsys"
)

// Entry is one item found in an image: a file of a file system (allocated
// or deleted), an item carved from unallocated space, or a volume that
// could not be read (Err set, no content).
type Entry struct {
	// Inner is the entry's path inside the image: "p2/Users/x/a.jpg",
	// "p2/$Unallocated/0x1a2b000.jpg", "DCIM/a.jpg" for an image without
	// a partition table. The caller prefixes the image's own path and
	// "!/".
	Inner string
	// RawName is the path as the file system stores it, Go-quoted, when
	// making Inner safe changed it.
	RawName string
	// Size is the content's length.
	Size int64
	// Origin is where the entry was found (file system, deleted/carved,
	// image offset, timestamps).
	Origin triage.Origin
	// ReaderAt reads the content (Size bytes) with random access; valid
	// until VisitFunc returns. Nil when Err is set.
	ReaderAt io.ReaderAt
	// Err says why the entry's content cannot be read.
	Err error
}

// VisitFunc receives each entry. r streams the content (nil when e.Err is
// set) and is valid only until VisitFunc returns. An error returned stops
// the walk and is returned by Walk as it is.
type VisitFunc func(e *Entry, r io.Reader) error

// Options configure Walk.
type Options struct {
	Limits fsys.Limits
	// Carve, when set, is called once per volume after its files (with
	// the volume whose Unallocated method yields the free space), and once
	// for the space outside every partition (a volume named "" whose R is
	// the whole image and whose Unallocated yields those gaps). Entries it
	// passes to emit are visited like files; CarvedEntry names them.
	Carve func(ctx context.Context, v *Volume, emit VisitFunc) error
	// WholeImage calls Carve once, with the whole image as one unknown
	// volume, instead of once per volume.
	WholeImage bool
}

// Stats count what one Walk found.
type Stats struct {
	Volumes  int   // volumes found
	Read     int   // volumes whose file system was read
	Files    int   // files visited (allocated and deleted)
	Deleted  int   // of which deleted
	Problems int   // entries with Err
	Bytes    int64 // content bytes of the files visited
}

// Walk finds the volumes of the image in r (size bytes), reads their file
// systems and calls visit for every file, deleted ones included, depth
// first in the order the file systems store them; then Carve, if set.
// Per-file and per-volume problems are entries with Err; Walk returns
// visit's error, Carve's, or ctx's.
func Walk(ctx context.Context, r io.ReaderAt, size int64, opt Options, visit VisitFunc) (Stats, error) {
	var st Stats
	vols := Volumes(r, size, opt.Limits)
	st.Volumes = len(vols)
	for _, v := range vols {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		if v.Err != nil {
			st.Problems++
			name := v.Name
			if name == "" {
				name = "$Volume"
			}
			if err := visit(&Entry{Inner: name, Size: v.Size, Origin: triage.Origin{FS: v.FS, Offset: v.Offset, Length: v.Size}, Err: v.Err}, nil); err != nil {
				return st, err
			}
			continue
		}
		if v.fs == nil {
			continue
		}
		st.Read++
		err := v.fs.Walk(ctx, func(f *fsys.File) error {
			if f.Err == nil && f.Size > v.Size && stored(f) < f.Size {
				// More bytes than the volume holds, mostly unbacked: a
				// damaged or hostile size (reading it would hash zeros
				// for ever), or a huge sparse file.
				f.Err = fmt.Errorf("claims %d bytes, more than its volume holds, with %d stored: not read", f.Size, stored(f))
			}
			e := v.entry(f)
			if e.Err != nil {
				st.Problems++
				return visit(e, nil)
			}
			rd, err := v.fs.Open(f)
			if err != nil {
				e.Err = err
				st.Problems++
				return visit(e, nil)
			}
			st.Files++
			st.Bytes += f.Size
			if f.Deleted {
				st.Deleted++
			}
			e.ReaderAt = rd
			return visit(e, io.NewSectionReader(rd, 0, f.Size))
		})
		if err != nil {
			return st, err
		}
	}
	if opt.Carve == nil {
		return st, nil
	}
	if opt.WholeImage {
		rg, err := newRegions(ctx, vols, size)
		if err != nil {
			return st, err
		}
		whole := &Volume{Size: size, R: io.NewSectionReader(r, 0, size), regions: rg}
		return st, opt.Carve(ctx, whole, visit)
	}
	for _, v := range vols {
		if v.R == nil || (v.Err != nil && v.FS != "") {
			continue // outside the image, encrypted, or a file system detected but not read
		}
		if err := opt.Carve(ctx, v, visit); err != nil {
			return st, err
		}
	}
	if gaps := Unpartitioned(vols, size); len(gaps) > 0 {
		g := &gapVolume{Volume: Volume{Size: size, R: io.NewSectionReader(r, 0, size)}, gaps: gaps}
		g.Volume.fs = g
		if err := opt.Carve(ctx, &g.Volume, visit); err != nil {
			return st, err
		}
	}
	return st, nil
}

// stored is how many of a file's bytes are backed by data.
func stored(f *fsys.File) int64 {
	n := int64(len(f.Data))
	for _, e := range f.Extents {
		if e.Off >= 0 {
			n += e.Len
		}
	}
	return n
}

// gapVolume is the space outside the partitions, as a volume whose only
// file-system trait is its free space.
type gapVolume struct {
	Volume
	gaps []fsys.Extent
}

func (g *gapVolume) Type() string                                       { return "" }
func (g *gapVolume) Walk(context.Context, func(*fsys.File) error) error { return nil }
func (g *gapVolume) Open(*fsys.File) (io.ReaderAt, error)               { return nil, fmt.Errorf("no files") }
func (g *gapVolume) Unallocated(ctx context.Context, fn func(fsys.Extent) error) error {
	for _, e := range g.gaps {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

// entry makes the Entry of a file of v.
func (v *Volume) entry(f *fsys.File) *Entry {
	raw := v.Prefix() + f.Path
	inner, changed := archive.CleanName(raw)
	e := &Entry{Inner: inner, Size: f.Size, Err: f.Err}
	if changed {
		e.RawName = strconv.Quote(raw)
	}
	if inner == "" || strings.HasSuffix(inner, "/") {
		e.Inner = v.Prefix() + "$NoName-" + strconv.FormatUint(f.ID, 10)
	}
	// The image offset, when the content lies there in one piece as it
	// is (not resident, compressed or fragmented).
	off := int64(-1)
	if len(f.Extents) == 1 && f.Extents[0].Off >= 0 && f.Extents[0].Len == f.Size && f.Data == nil && f.Unit == 0 {
		off = v.Offset + f.Extents[0].Off
	}
	e.Origin = triage.Origin{FS: v.FS, Deleted: f.Deleted, Offset: off, Length: f.Size, ID: f.ID,
		Modified: f.Times.Modified, Accessed: f.Times.Accessed, Changed: f.Times.Changed, Created: f.Times.Created}
	return e
}

// CarvedEntry names an item carved at volume offset off (length bytes,
// file extension ext without the dot): Inner is
// "<prefix>$Unallocated/0x<hex offset in the volume>.<ext>" and Origin
// records it as carved at its image offset. For the whole image
// (Options.WholeImage) the name says where the item starts: in a volume's
// free space "<prefix>$Unallocated/0x<offset in that volume>", elsewhere
// in a volume (inside a file or the file system's own data)
// "<prefix>$Allocated/0x<offset in that volume>", outside every partition
// "$Unallocated/0x<image offset>".
func (v *Volume) CarvedEntry(off, length int64, ext string) *Entry {
	if v.regions != nil {
		return v.regions.entry(off, length, ext)
	}
	return &Entry{
		Inner:  fmt.Sprintf("%s$Unallocated/0x%x.%s", v.Prefix(), off, ext),
		Size:   length,
		Origin: triage.Origin{FS: v.FS, Carved: true, Offset: v.Offset + off, Length: length},
	}
}

// regions tells, for whole-image carving, which volume an image offset
// lies in and whether it is free space there. Its memory is 16 bytes per
// free extent of the file systems.
type regions struct {
	vols []*Volume     // the volumes in the image
	free []fsys.Extent // free space, image offsets, sorted
}

func newRegions(ctx context.Context, vols []*Volume, size int64) (*regions, error) {
	rg := &regions{}
	for _, v := range vols {
		if v.R == nil || v.Size <= 0 {
			continue
		}
		rg.vols = append(rg.vols, v)
		if v.Err != nil && v.FS != "" {
			continue // encrypted or not read: its free space is unknown
		}
		err := v.Unallocated(ctx, func(e fsys.Extent) error {
			rg.free = append(rg.free, fsys.Extent{Off: v.Offset + e.Off, Len: e.Len})
			return ctx.Err()
		})
		if err != nil {
			return nil, err
		}
	}
	rg.free = append(rg.free, Unpartitioned(vols, size)...)
	sort.Slice(rg.free, func(i, j int) bool { return rg.free[i].Off < rg.free[j].Off })
	return rg, nil
}

func (rg *regions) entry(off, length int64, ext string) *Entry {
	i := sort.Search(len(rg.free), func(i int) bool { return rg.free[i].Off > off }) - 1
	kind := "$Allocated"
	if i >= 0 && off < rg.free[i].End() {
		kind = "$Unallocated"
	}
	prefix, voff, fs := "", off, ""
	for _, v := range rg.vols {
		if off >= v.Offset && off < v.Offset+v.Size {
			prefix, voff, fs = v.Prefix(), off-v.Offset, v.FS
			break
		}
	}
	return &Entry{
		Inner:  fmt.Sprintf("%s%s/0x%x.%s", prefix, kind, voff, ext),
		Size:   length,
		Origin: triage.Origin{FS: fs, Carved: true, Offset: off, Length: length},
	}
}
