package carve

import (
	"context"
	"io"
	"sort"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/disk"
	"github.com/winnow-forensics/winnow/triage/disk/fsys"
)

// maxJoined is how many free extents are carved as one stream: 1 MiB of
// extent list (16 bytes each). A volume with more free extents is carved
// in streams of this many, and a file is not followed across the seam.
const maxJoined = 1 << 16

// Hook returns a disk.Options.Carve hook: it carves the volume's
// unallocated extents as one stream, as a file system's free space reads
// once the blocks it holds are skipped, and emits every item found as a
// disk entry, "<volume>/$Unallocated/0x<offset>.<ext>" (for the whole
// image, named by the region it starts in: see disk.Volume.CarvedEntry),
// carved (and truncated when its end was not found), with its image
// offset and length. An item that runs on from one free extent into the
// next (a deleted file split by blocks the file system holds, such as
// ext4's backup superblocks) is joined across the gap and records its
// pieces in Origin.Fragments.
func Hook(opt Options) func(ctx context.Context, v *disk.Volume, emit disk.VisitFunc) error {
	return func(ctx context.Context, v *disk.Volume, emit disk.VisitFunc) error {
		var free []fsys.Extent
		var size int64
		flush := func() error {
			if len(free) == 0 {
				return nil
			}
			st := newStream(free)
			r := fsys.NewExtentReader(v.R, free, size)
			free, size = nil, 0
			return Scan(ctx, r, 0, r.Size(), opt, func(it Item) error {
				pieces := st.locate(it.Off, it.Len)
				ent := v.CarvedEntry(pieces[0].Off, it.Len, it.Ext)
				ent.Origin.Truncated = it.Truncated
				if len(pieces) == 1 {
					ent.ReaderAt = io.NewSectionReader(v.R, pieces[0].Off, it.Len)
				} else {
					ent.Origin.Offset = -1
					for _, p := range pieces {
						ent.Origin.Fragments = append(ent.Origin.Fragments, triage.Fragment{Offset: v.Offset + p.Off, Length: p.Len})
					}
					ent.ReaderAt = io.NewSectionReader(r, it.Off, it.Len)
				}
				return emit(ent, io.NewSectionReader(ent.ReaderAt, 0, it.Len))
			})
		}
		err := v.Unallocated(ctx, func(e fsys.Extent) error {
			free = append(free, e)
			size += e.Len
			if len(free) == maxJoined {
				return flush()
			}
			return nil
		})
		if err != nil {
			return err
		}
		return flush()
	}
}

// stream is free extents read one after the other: starts[i] is where
// extents[i] begins in the stream.
type stream struct {
	extents []fsys.Extent
	starts  []int64
}

func newStream(extents []fsys.Extent) *stream {
	st := &stream{extents: extents, starts: make([]int64, len(extents))}
	var at int64
	for i, e := range extents {
		st.starts[i] = at
		at += e.Len
	}
	return st
}

// locate maps n bytes at off in the stream back to the volume: the
// pieces they lie in, in order (one when they lie in one extent).
func (st *stream) locate(off, n int64) []fsys.Extent {
	i := sort.Search(len(st.extents), func(i int) bool { return st.starts[i]+st.extents[i].Len > off })
	var out []fsys.Extent
	for ; i < len(st.extents) && n > 0; i++ {
		e := st.extents[i]
		skip := off - st.starts[i]
		take := min(e.Len-skip, n)
		out = append(out, fsys.Extent{Off: e.Off + skip, Len: take})
		off += take
		n -= take
	}
	return out
}
