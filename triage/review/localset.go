package review

import (
	"bytes"
	"context"
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/setfile"
)

// EnsureLocalSet makes the local hash set named name exist, ready for
// promotions: an empty compiled set file (the same bytes every time, so
// every server stores the same object) put into files, and its row
// (sets.EnsureLocalSet). Workers load it like any pushed set and pick up
// the promoted entries as they are added. ECONFLICT when a set of that
// name exists and is not an alert set.
func EnsureLocalSet(ctx context.Context, files triage.EvidencePutter, sets interface {
	EnsureLocalSet(ctx context.Context, st *triage.StoredSet) error
}, name string) error {
	b := setfile.NewBuilder(triage.SetMeta{Name: name, Version: "local", Kind: triage.SetKindAlert,
		Description: "content confirmed in Winnow's review queue", Created: time.Unix(0, 0).UTC()})
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		return err
	}
	info, err := files.Put(ctx, bytes.NewReader(buf.Bytes()), int64(buf.Len()), triage.SHA256{})
	if err != nil {
		return err
	}
	st := triage.StoredSet{Name: name, Version: "local", Kind: triage.SetKindAlert, Description: "content confirmed in review",
		SHA256: info.SHA256, Size: info.Size}
	return sets.EnsureLocalSet(ctx, &st)
}
