package setpush

import (
	"context"
	"io"
	"strconv"

	"github.com/winnow-forensics/winnow/triage"
)

// Sets is where a Pusher records sets.
type Sets interface {
	PutSet(ctx context.Context, st *triage.StoredSet, audit triage.AuditOf[triage.StoredSet]) (created bool, err error)
}

// Pusher records pushed hash-set files.
type Pusher struct {
	// Files keeps the compiled set files.
	Files triage.EvidencePutter
	Sets  Sets
	// Queue queues hashset:import for a set revision whose row is
	// committed.
	Queue interface {
		EnqueueImport(ctx context.Context, setID, rev int64) error
	}
	// MaxBytes bounds one file (the caller also bounds what it reads).
	MaxBytes int64
}

// Request is one pushed file.
type Request struct {
	// Name names the set; Version, Kind and Description are its
	// metadata as the file says (the import checks the file).
	Name        string
	Version     string
	Kind        triage.SetKind
	Description string
	// Body is the file; Size its length (-1: unknown).
	Body io.Reader
	Size int64
	// PushedBy is the user pushing.
	PushedBy int64
	// Audit is the push's audit event (actor and address); Push adds its
	// action, target and details.
	Audit triage.AuditEvent
}

// Result is what Push recorded.
type Result struct {
	Set triage.StoredSet
	// Created: a new file for the set (false: the set already held it).
	Created bool
	// EnqueueErr is why the import could not be queued; the set is
	// recorded and the reconciler queues the import again.
	EnqueueErr error
}

// Push records one file: the name and kind are checked and a declared
// size over MaxBytes refused (ETOOLARGE) before anything is stored; the
// file is stored, then the set and its audit event commit together; the
// import is queued after the commit when the set waits for one. EINVALID
// for a bad name or kind.
func (p *Pusher) Push(ctx context.Context, r Request) (Result, error) {
	if err := triage.ValidateName("hash set", r.Name); err != nil {
		return Result{}, err
	}
	if !r.Kind.Valid() && r.Kind != triage.SetKindMixed {
		return Result{}, triage.Errorf(triage.EINVALID, "kind %q: want alert, known-good or mixed", r.Kind)
	}
	if r.Size > p.MaxBytes {
		return Result{}, triage.Errorf(triage.ETOOLARGE, "hash-set file of %d bytes is larger than the server's limit of %d bytes", r.Size, p.MaxBytes)
	}
	info, err := p.Files.Put(ctx, r.Body, r.Size, triage.SHA256{})
	if err != nil {
		return Result{}, err
	}
	st := triage.StoredSet{Name: r.Name, Version: r.Version, Kind: r.Kind, Description: r.Description,
		SHA256: info.SHA256, Size: info.Size, PushedBy: r.PushedBy}
	var res Result
	res.Created, err = p.Sets.PutSet(ctx, &st, func(st triage.StoredSet) []triage.AuditEvent {
		ev := r.Audit
		ev.Action, ev.Target = triage.AuditHashSetPush, "hashset/"+st.Name
		ev.Detail = map[string]string{"sha256": info.SHA256.String(), "version": st.Version, "rev": strconv.FormatInt(st.Rev, 10)}
		return []triage.AuditEvent{ev}
	})
	if err != nil {
		return Result{}, err
	}
	if st.State == triage.SetImporting {
		res.EnqueueErr = p.Queue.EnqueueImport(context.WithoutCancel(ctx), st.ID, st.Rev)
	}
	res.Set = st
	return res, nil
}
