package workers

import (
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/winnow-forensics/winnow/triage"
)

// SweepResult is what an orphan collection did.
type SweepResult struct {
	Removed  int // contents no item referred to
	Incoming int // temporary objects of uploads that never completed
}

// sweepBatch is how many stored contents are looked up at a time.
const sweepBatch = 1000

// SweepOrphans removes the stored contents that no item refers to and that
// were stored more than OrphanGrace ago: what an upload left when its item
// was never recorded (the request failed, the service stopped, the
// database refused the row). Each removal is audited
// (evidence.orphan_removed) in the transaction that claims the content;
// an upload of the same content meanwhile is refused until the removal
// ends (triage.OrphanStore), so no item ever refers to removed content.
func (w *Worker) SweepOrphans(ctx context.Context) (SweepResult, error) {
	var res SweepResult
	if w.cfg.Sweeper == nil || w.cfg.Orphans == nil {
		return res, nil
	}
	// A collection that stopped midway left its tombstones: end them (a
	// content still stored is claimed again below).
	if err := w.cfg.Orphans.DropTombstones(ctx, nil); err != nil {
		return res, err
	}
	before := time.Now().Add(-w.cfg.OrphanGrace)
	n, err := w.cfg.Sweeper.RemoveIncoming(ctx, before)
	res.Incoming = n
	if err != nil {
		return res, err
	}
	audit := func(sum triage.SHA256) []triage.AuditEvent {
		return []triage.AuditEvent{{UserName: "winnow-worker", Action: triage.AuditOrphanRemoved, Target: "evidence/" + sum.String(),
			Detail: map[string]string{"grace": w.cfg.OrphanGrace.String()}}}
	}
	batch := make([]triage.SHA256, 0, sweepBatch)
	flush := func() error {
		claimed, err := w.cfg.Orphans.ClaimOrphans(ctx, batch, audit)
		batch = batch[:0]
		var removeErr error
		for _, sum := range claimed {
			if removeErr = w.cfg.Sweeper.Remove(ctx, sum); removeErr != nil {
				break
			}
			res.Removed++
		}
		// The tombstones end even when a removal failed: the content is
		// claimed again by the next collection.
		if err := w.cfg.Orphans.DropTombstones(context.WithoutCancel(ctx), claimed); err != nil {
			return err
		}
		if err != nil {
			return err
		}
		return removeErr
	}
	err = w.cfg.Sweeper.Stored(ctx, before, func(sum triage.SHA256) error {
		if batch = append(batch, sum); len(batch) == sweepBatch {
			return flush()
		}
		return nil
	})
	if err == nil && len(batch) > 0 {
		err = flush()
	}
	return res, err
}

func (w *Worker) handleSweep(ctx context.Context, t *asynq.Task) error {
	res, err := w.SweepOrphans(ctx)
	w.m.orphans.WithLabelValues("evidence").Add(float64(res.Removed))
	w.m.orphans.WithLabelValues("incoming").Add(float64(res.Incoming))
	if res.Removed+res.Incoming > 0 {
		w.log.InfoContext(ctx, "orphan collection removed stored objects no item refers to",
			"contents", res.Removed, "incoming", res.Incoming, "grace", w.cfg.OrphanGrace)
	}
	if err != nil {
		return fmt.Errorf("orphan collection: %w", err)
	}
	return nil
}
