package workers

import (
	"context"
	"io"
	"path"

	"github.com/winnow-forensics/winnow/triage"
)

// A disk image (raw/dd, split raw, EWF) is evidence like any upload:
// stored once under its SHA-256 and expanded by its task like an archive
// (expand.go), read by byte range from the store, never copied to local
// disk; each file found (deleted ones included) is a child item with its
// origin. Each segment of a multi-segment image is its own upload and
// item (its own SHA-256 in the chain of custody); the first segment's
// task opens the later ones (laptop.E02..., usb.002...) among the
// exhibit's items, by path, through besides. Later segments are hashed
// and matched, not expanded. A first segment analysed before its siblings
// arrived is retried (disk.ErrIncomplete; they are usually still
// uploading); after maxSegmentWaits attempts the image is expanded as far
// as the segments present allow and its item says which is missing.

// maxSegmentWaits is how many attempts of a first segment's task wait for
// its missing later segments.
const maxSegmentWaits = 4

// besides opens, by name, the exhibit's top-level items that lie beside
// item it (the same folder of the submission): the later segments of a
// disk image. closeAll closes what it opened.
func (w *Worker) besides(ctx context.Context, it *triage.Item) (open func(string) (io.ReaderAt, int64, error), closeAll func()) {
	var opened []io.Closer
	closeAll = func() {
		for _, c := range opened {
			c.Close()
		}
	}
	op, ok := w.cfg.Evidence.(triage.EvidenceOpener)
	if !ok || it.ParentID != 0 {
		return nil, closeAll
	}
	open = func(name string) (io.ReaderAt, int64, error) {
		p := path.Join(path.Dir(it.Path), name)
		page, err := w.cfg.Items.Items(ctx, triage.ItemFilter{ExhibitID: it.ExhibitID, Path: p, Limit: 10})
		if err != nil {
			return nil, 0, err
		}
		for _, c := range page {
			if c.ParentID == 0 && c.InnerPath == "" {
				r, n, err := op.OpenAt(ctx, c.SHA256)
				if err != nil {
					return nil, 0, err
				}
				opened = append(opened, r)
				return r, n, nil
			}
		}
		return nil, 0, triage.Errorf(triage.ENOTFOUND, "no item %s in the exhibit", p)
	}
	return open, closeAll
}
