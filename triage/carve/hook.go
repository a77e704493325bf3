package carve

import (
	"context"
	"io"

	"github.com/winnow-forensics/winnow/triage/disk"
	"github.com/winnow-forensics/winnow/triage/disk/fsys"
)

// Hook returns a disk.Options.Carve hook: it carves each unallocated
// extent of the volume and emits every item found as a disk entry,
// "<volume>/$Unallocated/0x<offset>.<ext>" (for the whole image, named by
// the region it starts in: see disk.Volume.CarvedEntry), carved (and
// truncated when its end was not found), with its image offset and
// length.
func Hook(opt Options) func(ctx context.Context, v *disk.Volume, emit disk.VisitFunc) error {
	return func(ctx context.Context, v *disk.Volume, emit disk.VisitFunc) error {
		return v.Unallocated(ctx, func(e fsys.Extent) error {
			return Scan(ctx, v.R, e.Off, e.End(), opt, func(it Item) error {
				ent := v.CarvedEntry(it.Off, it.Len, it.Ext)
				ent.Origin.Truncated = it.Truncated
				ent.ReaderAt = io.NewSectionReader(v.R, it.Off, it.Len)
				return emit(ent, io.NewSectionReader(v.R, it.Off, it.Len))
			})
		})
	}
}
