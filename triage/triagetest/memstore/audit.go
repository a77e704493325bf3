package memstore

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/auditlog"
)

// Audit is an audit log in memory (triage.AuditStore): one hash chain per
// Chain name (triage.AuditChainLab when the event names none), hashed by
// package auditlog as PostgreSQL's trigger does. The zero value is empty
// and ready; Now, when set, is the clock.
type Audit struct {
	Now func() time.Time

	mu     sync.Mutex
	events []triage.AuditEvent
	heads  map[string]triage.AuditCheckpoint // chain -> last seq and hash
	cps    []triage.AuditCheckpoint
}

var _ triage.AuditStore = (*Audit)(nil)

// validUTF8 is text as a store can hold it: invalid UTF-8 and NUL bytes
// replaced.
func validUTF8(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\ufffd"), "\x00", "\ufffd")
}

// RecordAudit implements triage.AuditStore. An action that is not valid
// text (a NUL byte, invalid UTF-8) is refused (EINVALID), as PostgreSQL
// refuses it.
func (a *Audit) RecordAudit(_ context.Context, e *triage.AuditEvent) error {
	return a.record(e)
}

// record records the events, all or none: the events of one action. A
// nil log records nothing and refuses events (EINTERNAL).
func (a *Audit) record(evs ...*triage.AuditEvent) error {
	if len(evs) == 0 {
		return nil
	}
	if a == nil {
		return triage.Errorf(triage.EINTERNAL, "memstore: no audit log to record %s in", evs[0].Action)
	}
	for _, e := range evs {
		if e.Action == "" || validUTF8(e.Action) != e.Action {
			return triage.Errorf(triage.EINVALID, "audit action %q is not text", e.Action)
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, e := range evs {
		a.append(e)
	}
	return nil
}

// recordOf records the events audit makes of res, all or none (audit
// nil: none), as an action's transaction would.
func recordOf[R any](a *Audit, audit triage.AuditOf[R], res R) error {
	if audit == nil {
		return nil
	}
	var evs []*triage.AuditEvent
	for _, e := range audit(res) {
		evs = append(evs, &e)
	}
	return a.record(evs...)
}

// append adds e to its chain; the caller holds a.mu.
func (a *Audit) append(e *triage.AuditEvent) {
	if a.heads == nil {
		a.heads = map[string]triage.AuditCheckpoint{}
	}
	if e.Chain == "" {
		e.Chain = triage.AuditChainLab
	}
	now := time.Now()
	if a.Now != nil {
		now = a.Now()
	}
	e.UserName, e.Target, e.Remote = validUTF8(e.UserName), validUTF8(e.Target), validUTF8(e.Remote)
	if len(e.Detail) == 0 {
		e.Detail = nil
	} else {
		e.Detail = maps.Clone(e.Detail)
	}
	head := a.heads[e.Chain]
	e.ID, e.At = int64(len(a.events)+1), now.UTC().Truncate(time.Microsecond)
	e.Seq, e.PrevHash = head.Seq+1, head.Hash
	e.Hash = auditlog.Hash(e)
	a.heads[e.Chain] = triage.AuditCheckpoint{Chain: e.Chain, Seq: e.Seq, Hash: e.Hash}
	a.events = append(a.events, *e)
}

// AuditEvents implements triage.AuditStore.
func (a *Audit) AuditEvents(_ context.Context, f triage.AuditFilter) ([]triage.AuditEvent, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	limit = min(limit, 1000)
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []triage.AuditEvent
	for i := len(a.events) - 1; i >= 0 && len(out) < limit; i-- {
		e := a.events[i]
		if (f.Before == 0 || e.ID < f.Before) && (f.Action == "" || e.Action == f.Action) && (f.Target == "" || e.Target == f.Target) {
			out = append(out, e)
		}
	}
	return out, nil
}

// AuditChain implements triage.AuditStore.
func (a *Audit) AuditChain(_ context.Context, chain string, after int64, limit int) ([]triage.AuditEvent, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []triage.AuditEvent
	for _, e := range a.events {
		if e.Chain == chain && e.Seq > after && len(out) < limit {
			out = append(out, e)
		}
	}
	return out, nil
}

// AuditChains implements triage.AuditStore: every chain with events or
// checkpoints, and its head.
func (a *Audit) AuditChains(context.Context) ([]triage.AuditCheckpoint, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	heads := maps.Clone(a.heads)
	if heads == nil {
		heads = map[string]triage.AuditCheckpoint{}
	}
	for _, cp := range a.cps {
		if _, ok := heads[cp.Chain]; !ok {
			heads[cp.Chain] = triage.AuditCheckpoint{Chain: cp.Chain}
		}
	}
	return slices.SortedFunc(maps.Values(heads), func(x, y triage.AuditCheckpoint) int { return strings.Compare(x.Chain, y.Chain) }), nil
}

// AddCheckpoint implements triage.AuditStore.
func (a *Audit) AddCheckpoint(_ context.Context, cp *triage.AuditCheckpoint) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !slices.ContainsFunc(a.cps, func(c triage.AuditCheckpoint) bool { return c.Chain == cp.Chain && c.Seq == cp.Seq }) {
		c := *cp
		c.Signature = slices.Clone(cp.Signature)
		a.cps = append(a.cps, c)
	}
	return nil
}

// Checkpoints implements triage.AuditStore.
func (a *Audit) Checkpoints(_ context.Context, chain string) ([]triage.AuditCheckpoint, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []triage.AuditCheckpoint
	for _, cp := range a.cps {
		if cp.Chain == chain {
			out = append(out, cp)
		}
	}
	slices.SortFunc(out, func(x, y triage.AuditCheckpoint) int { return int(x.Seq - y.Seq) })
	return out, nil
}
