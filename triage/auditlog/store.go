package auditlog

import (
	"context"
	"crypto/ed25519"
	"io"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

// page is how many events are read from the store at once.
const page = 5000

// Checkpoint signs the head of every chain that moved since its last
// checkpoint and records it. It returns how many it recorded.
func Checkpoint(ctx context.Context, st triage.AuditStore, key ed25519.PrivateKey, now time.Time) (int, error) {
	heads, err := st.AuditChains(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, h := range heads {
		if h.Seq == 0 {
			continue
		}
		cps, err := st.Checkpoints(ctx, h.Chain)
		if err != nil {
			return n, err
		}
		if len(cps) > 0 && cps[len(cps)-1].Seq >= h.Seq {
			continue
		}
		cp := triage.AuditCheckpoint{Chain: h.Chain, Seq: h.Seq, Hash: h.Hash, At: now}
		Sign(key, &cp)
		if err := st.AddCheckpoint(ctx, &cp); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// ChainReport is the outcome of verifying one chain.
type ChainReport struct {
	Chain       string
	Events      int64
	Checkpoints int
	// Unsigned counts verified events after the last checkpoint.
	Unsigned int64
	Problem  *Problem
}

// VerifyStore walks every chain of the store (pub nil: signatures are not
// checked) and reports each.
func VerifyStore(ctx context.Context, st triage.AuditStore, pub ed25519.PublicKey) ([]ChainReport, error) {
	heads, err := st.AuditChains(ctx)
	if err != nil {
		return nil, err
	}
	var out []ChainReport
	for _, h := range heads {
		cps, err := st.Checkpoints(ctx, h.Chain)
		if err != nil {
			return out, err
		}
		v := NewVerifier(h.Chain, pub, cps)
		for after := int64(0); ; {
			evs, err := st.AuditChain(ctx, h.Chain, after, page)
			if err != nil {
				return out, err
			}
			for i := range evs {
				if !v.Add(&evs[i]) {
					break
				}
			}
			if len(evs) < page || v.problem != nil {
				break
			}
			after = evs[len(evs)-1].Seq
		}
		out = append(out, ChainReport{Chain: h.Chain, Events: v.Events(), Checkpoints: len(cps), Unsigned: v.Unsigned(), Problem: v.Done()})
	}
	return out, nil
}

// Export writes every chain of the store with its checkpoints.
func Export(ctx context.Context, st triage.AuditStore, w io.Writer, pub ed25519.PublicKey, now time.Time) (int64, error) {
	x, err := NewWriter(w, pub, now)
	if err != nil {
		return 0, err
	}
	heads, err := st.AuditChains(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	for _, h := range heads {
		cps, err := st.Checkpoints(ctx, h.Chain)
		if err != nil {
			return n, err
		}
		for i := range cps {
			if err := x.Write(CheckpointRecord(&cps[i])); err != nil {
				return n, err
			}
		}
		for after := int64(0); ; {
			evs, err := st.AuditChain(ctx, h.Chain, after, page)
			if err != nil {
				return n, err
			}
			for i := range evs {
				if err := x.Write(EventRecord(&evs[i])); err != nil {
					return n, err
				}
				n++
			}
			if len(evs) < page {
				break
			}
			after = evs[len(evs)-1].Seq
		}
	}
	return n, x.Flush()
}

// VerifyExport verifies an export read from r, with pub (nil: the key the
// export's header names).
func VerifyExport(r io.Reader, pub ed25519.PublicKey) ([]ChainReport, Header, error) {
	x, err := NewReader(r)
	if err != nil {
		return nil, Header{}, err
	}
	if pub == nil && x.Header.PublicKey != nil {
		pub = ed25519.PublicKey(x.Header.PublicKey)
	}
	var out []ChainReport
	var v *Verifier
	var chain string
	var cps []triage.AuditCheckpoint
	finish := func() {
		if v != nil {
			out = append(out, ChainReport{Chain: chain, Events: v.Events(), Checkpoints: len(cps), Unsigned: v.Unsigned(), Problem: v.Done()})
		}
		v, cps = nil, nil
	}
	for {
		rec, err := x.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, x.Header, err
		}
		if rec.Chain != chain {
			finish()
			chain = rec.Chain
		}
		switch rec.Type {
		case "checkpoint":
			if v != nil {
				return out, x.Header, triage.Errorf(triage.EINVALID, "audit export: a checkpoint of chain %s after its events", chain)
			}
			cp, err := rec.Checkpoint()
			if err != nil {
				return out, x.Header, err
			}
			cps = append(cps, cp)
		case "event":
			if v == nil {
				v = NewVerifier(chain, pub, cps)
			}
			ev, err := rec.Event()
			if err != nil {
				return out, x.Header, err
			}
			v.Add(&ev)
		}
	}
	if v == nil && cps != nil {
		v = NewVerifier(chain, pub, cps)
	}
	finish()
	return out, x.Header, nil
}
