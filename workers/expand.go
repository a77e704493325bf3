package workers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/container"
	"github.com/winnow-forensics/winnow/triage/disk"
	"github.com/winnow-forensics/winnow/triage/pipeline"
)

// An uploaded archive (zip, tar, gzip, bzip2, nested) is expanded by the
// task that analyses it: each member is stored as evidence of its own,
// under its SHA-256, streamed from the archive (never to local disk), and
// recorded as a child item (parent: the archive's item; inner path: the
// member's sanitised path, nested archives joined with "!/"), which gets an
// item:analyze task of its own. Members of nested archives are children of
// the outermost archive too, so one walk with one set of limits (depth,
// members, expanded bytes, compression ratio) covers the whole tree; child
// items that are archives are hashed and matched but not expanded again.
// A carved candidate cut short that no decoder reads is not recorded but
// counted (pipeline.CheckCarved; winnow_worker_carved_undecodable_total),
// as winnow scan --carve drops it.
//
// Every step is idempotent, so a task killed half-way and run again does
// no harm: the store keeps content once, CreateItem returns the item a
// previous attempt recorded (same exhibit, path, inner path and content),
// and the analyze task id is the item's. A child recorded whose task was
// never queued is found by the reconciler.
//
// A retry also resumes: members an earlier attempt recorded (same inner
// path and size, counted so that members sharing a name are told apart
// by position) are not stored again, so an archive too large to expand
// within one task's timeout still finishes over several attempts.

// expansion counts one archive's members.
type expansion struct {
	items   int // child items recorded
	resumed int // of which an earlier attempt recorded
	skipped int // nested archives expanded from a stream, not kept whole
	// undecodable counts the carved candidates not recorded: cut short
	// and unreadable by any decoder (pipeline.CheckCarved).
	undecodable int
	problems    []string
	// recorded counts the children earlier attempts recorded, by inner
	// path and size, and seen the members met so far in this walk.
	recorded, seen map[memberKey]int
}

// problem notes why a member is not fully recorded.
func (x *expansion) problem(inner, why string) {
	x.problems = append(x.problems, inner+": "+why)
}

type memberKey struct {
	inner string
	size  int64
}

// recordedChildren counts the archive's children already recorded (one
// whose task was lost with the attempt that recorded it is the
// reconciler's, like any item left received).
func (w *Worker) recordedChildren(ctx context.Context, it *triage.Item) (map[memberKey]int, error) {
	rec := map[memberKey]int{}
	f := triage.ItemFilter{ExhibitID: it.ExhibitID, ParentID: it.ID, Limit: 1000}
	for {
		page, err := w.cfg.Items.Items(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, c := range page {
			rec[memberKey{c.InnerPath, c.Size}]++
		}
		if len(page) < f.Limit {
			return rec, nil
		}
		f.After = page[len(page)-1].ID
	}
}

// expand walks the container of that kind held in ra and records its
// members. An error return is the infrastructure's (the task retries);
// problems of the container itself are in the returned error message for
// the item.
func (w *Worker) expand(ctx context.Context, kind container.Container, it *triage.Item, ra io.ReaderAt, size int64) (itemErr error, err error) {
	x := expansion{seen: map[memberKey]int{}}
	if x.recorded, err = w.recordedChildren(ctx, it); err != nil {
		return nil, fmt.Errorf("children of item %d: %w", it.ID, err)
	}
	open, closeAll := w.besides(ctx, it)
	_, walkErr := kind.Expand(ctx, ra, size, container.Options{Limits: w.cfg.Archive, Name: path.Base(it.Path), Open: open},
		func(m *container.Member, r io.Reader) error { return w.member(ctx, it, m, r, &x) })
	closeAll()
	var infra *infraError
	switch {
	case errors.As(walkErr, &infra):
		return nil, infra.err
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case errors.Is(walkErr, disk.ErrIncomplete) && it.Attempts < maxSegmentWaits:
		// The image's later segments are probably still uploading: try
		// again later (what was recorded stays recorded).
		return nil, fmt.Errorf("item %d: %w", it.ID, walkErr)
	}
	if x.resumed > 0 {
		w.log.InfoContext(ctx, "archive expansion resumed", "item_id", it.ID, "children", x.items,
			"recorded_before", x.resumed)
	}
	w.log.DebugContext(ctx, "archive expanded", "item_id", it.ID, "children", x.items, "resumed", x.resumed,
		"streamed_archives", x.skipped, "carved_undecodable", x.undecodable, "problems", len(x.problems))
	w.m.members.Add(float64(x.items))
	w.m.undecodable.Add(float64(x.undecodable))
	if walkErr != nil {
		x.problems = append(x.problems, "archive not fully expanded: "+triage.ErrorMessage(walkErr))
	}
	if len(x.problems) == 0 {
		return nil, nil
	}
	msg := x.problems[0]
	if len(x.problems) > 1 {
		msg = fmt.Sprintf("%s (and %d more problems)", msg, len(x.problems)-1)
	}
	return triage.Errorf(triage.EINVALID, "%d members recorded; %s", x.items, msg), nil
}

// infraError carries a store or queue failure out of the expansion.
type infraError struct{ err error }

func (e *infraError) Error() string { return e.err.Error() }

// member stores one member and records its item.
func (w *Worker) member(ctx context.Context, parent *triage.Item, m *container.Member, r io.Reader, x *expansion) error {
	switch {
	case r == nil && m.Data == nil && m.Digests != nil && m.Attrs["digest_only"] == "true":
		// A file a phone extraction lists by its digests alone: recorded
		// without evidence, matched by those digests (see analyzeDigests).
		return w.digestOnly(ctx, parent, m, x)
	case r == nil && m.Data == nil && m.Digests != nil:
		// A nested container expanded from a stream: its members are
		// recorded, its own bytes were not kept.
		x.skipped++
		return nil
	case r == nil && m.Data == nil:
		x.problem(m.Inner, memberProblem(m.Err))
		return nil
	}
	if m.Err != nil {
		// Read but not expanded (a nested container too deep or too large
		// to hold): stored as it is, and the container says why.
		x.problem(m.Inner, triage.ErrorMessage(m.Err))
	}
	if m.Size >= 0 {
		k := memberKey{m.Inner, m.Size}
		x.seen[k]++
		if x.seen[k] <= x.recorded[k] {
			x.items++
			x.resumed++
			return nil // an earlier attempt recorded it
		}
	}
	// Small members go up in one request; larger ones (or ones whose
	// header lies) stream in parts.
	var src *trackReader
	if r != nil {
		src = &trackReader{r: r}
		r = src
	}
	c, rerr := pipeline.ReadContent(m, r, w.cfg.BufferBytes)
	if rerr != nil {
		x.problem(m.Inner, memberProblem(rerr))
		return nil
	}
	if pipeline.CheckCarved(ctx, w.cfg.Hasher, m, c) {
		// Failed validation by decoding, as winnow scan --carve drops it.
		x.undecodable++
		return nil
	}
	body, n := c.Stream, int64(-1)
	if c.Data != nil {
		body, n = bytes.NewReader(c.Data), int64(len(c.Data))
	}
	info, err := w.cfg.Members.Put(ctx, body, n, triage.SHA256{})
	if err != nil {
		if src != nil && src.err != nil { // the member, not the store
			x.problem(m.Inner, memberProblem(src.err))
			return nil
		}
		return &infraError{fmt.Errorf("store archive member %s: %w", m.Inner, err)}
	}
	child := triage.Item{
		ExhibitID: parent.ExhibitID, ParentID: parent.ID, Path: parent.Path, InnerPath: m.Inner, RawName: m.RawName,
		SubmitterID: parent.SubmitterID, Size: info.Size, Digests: info.Digests, Origin: m.Origin(),
	}
	var present func(context.Context) error
	if st, ok := w.cfg.Members.(triage.EvidenceStatter); ok && !info.Created {
		present = func(ctx context.Context) error { return triage.StillStored(ctx, st, info.SHA256) }
	}
	created, err := w.cfg.Items.CreateItem(ctx, &child, nil, present)
	if triage.ErrorCode(err) == triage.EINVALID { // a path over the length limit
		x.problem(m.Inner, triage.ErrorMessage(err))
		return nil
	} else if err != nil {
		return &infraError{fmt.Errorf("record archive member %s: %w", m.Inner, err)}
	}
	return w.recorded(ctx, &child, created, x)
}

// recorded counts a recorded child and queues its analysis.
func (w *Worker) recorded(ctx context.Context, child *triage.Item, created bool, x *expansion) error {
	x.items++
	if created || !child.State.Final() {
		if err := w.client.EnqueueAnalyze(ctx, child.ID); err != nil {
			return &infraError{fmt.Errorf("queue archive member %s: %w", child.InnerPath, err)}
		}
	}
	return nil
}

// digestOnly records a member known only by the digests its container
// records (Origin.DigestOnly): no evidence is stored, and its analysis
// matches those digests.
func (w *Worker) digestOnly(ctx context.Context, parent *triage.Item, m *container.Member, x *expansion) error {
	k := memberKey{m.Inner, m.Size}
	x.seen[k]++
	if x.seen[k] <= x.recorded[k] {
		x.items++
		x.resumed++
		return nil
	}
	child := triage.Item{
		ExhibitID: parent.ExhibitID, ParentID: parent.ID, Path: parent.Path, InnerPath: m.Inner, RawName: m.RawName,
		SubmitterID: parent.SubmitterID, Size: m.Size, Digests: *m.Digests, Origin: m.Origin(),
	}
	created, err := w.cfg.Items.CreateItem(ctx, &child, nil, nil)
	if triage.ErrorCode(err) == triage.EINVALID {
		x.problem(m.Inner, triage.ErrorMessage(err))
		return nil
	} else if err != nil {
		return &infraError{fmt.Errorf("record archive member %s: %w", m.Inner, err)}
	}
	return w.recorded(ctx, &child, created, x)
}

// memberProblem says why a member could not be stored.
func memberProblem(err error) string {
	if err == nil {
		return "could not be read"
	}
	return triage.ErrorMessage(err)
}
