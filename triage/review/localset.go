package review

import (
	"bytes"
	"context"
	"strconv"
	"strings"
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

// Promoted completes the local set's entry for confirmed member id,
// decided by d: its id, category and review provenance (Extra: the
// member, the reviewers, when, the adjudicator), and checks it. The
// hashes are the store's to fill in before.
func Promoted(e *triage.Entry, id int64, d triage.ReviewDecision) error {
	e.ID = "review-" + strconv.FormatInt(id, 10)
	e.Category = d.Category
	e.Extra = map[string]string{
		"review_member":     strconv.FormatInt(id, 10),
		"review_reviewers":  strings.Join(d.Reviewers, ","),
		"review_decided_at": d.DecidedAt.UTC().Format(time.RFC3339),
	}
	if d.Adjudicator != "" {
		e.Extra["review_adjudicator"] = d.Adjudicator
	}
	return e.Validate()
}
