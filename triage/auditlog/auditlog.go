// Package auditlog makes the lab's audit log tamper-evident and checks it:
// the canonical encoding each event's hash is taken over, the signed
// checkpoints that pin a chain's head, a Verifier that walks a chain and
// names the first event that does not verify, and the export format that
// carries the log with its proofs to a court or an accreditation body.
//
// An event's hash is SHA-256 over, in order: the tag "winnow-audit-v1";
// the chain; the sequence number; the previous event's hash (32 zero
// bytes for the first); the time in microseconds since the Unix epoch;
// the user id (0 for none); user name, action and target; the number of
// detail pairs and each pair, keys in byte order; the remote address.
// Strings and byte strings are a 4-byte big-endian length and the bytes,
// integers 8 bytes big-endian two's complement, the pair count 4 bytes.
// storage/postgres computes the same hash in SQL when it records an
// event; this package is the reference, and verifies without trusting the
// database.
//
// A checkpoint's signature is Ed25519 over the tag
// "winnow-audit-checkpoint-v1", the chain, the sequence number, the hash
// and the time in microseconds, encoded the same way.
package auditlog

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

const (
	eventTag      = "winnow-audit-v1"
	checkpointTag = "winnow-audit-checkpoint-v1"
)

type encoder struct{ b []byte }

func (e *encoder) bytes(p []byte) {
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(len(p)))
	e.b = append(e.b, p...)
}
func (e *encoder) str(s string) { e.bytes([]byte(s)) }
func (e *encoder) int(n int64)  { e.b = binary.BigEndian.AppendUint64(e.b, uint64(n)) }

// Canonical returns the bytes an event's hash is taken over.
func Canonical(ev *triage.AuditEvent) []byte {
	e := encoder{b: make([]byte, 0, 256)}
	e.b = append(e.b, eventTag...)
	e.str(ev.Chain)
	e.int(ev.Seq)
	e.bytes(ev.PrevHash[:])
	e.int(ev.At.UnixMicro())
	e.int(ev.UserID)
	e.str(ev.UserName)
	e.str(ev.Action)
	e.str(ev.Target)
	keys := make([]string, 0, len(ev.Detail))
	for k := range ev.Detail {
		keys = append(keys, k)
	}
	slices.Sort(keys) // byte order
	e.b = binary.BigEndian.AppendUint32(e.b, uint32(len(keys)))
	for _, k := range keys {
		e.str(k)
		e.str(ev.Detail[k])
	}
	e.str(ev.Remote)
	return e.b
}

// Hash returns an event's hash.
func Hash(ev *triage.AuditEvent) triage.SHA256 { return sha256.Sum256(Canonical(ev)) }

// checkpointMessage is what a checkpoint's signature covers.
func checkpointMessage(cp *triage.AuditCheckpoint) []byte {
	e := encoder{}
	e.b = append(e.b, checkpointTag...)
	e.str(cp.Chain)
	e.int(cp.Seq)
	e.bytes(cp.Hash[:])
	e.int(cp.At.UnixMicro())
	return e.b
}

// KeyID names a public key: the first 8 bytes of its SHA-256, in hex.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// Sign fills in a checkpoint's key id and signature.
func Sign(key ed25519.PrivateKey, cp *triage.AuditCheckpoint) {
	cp.At = cp.At.Truncate(time.Microsecond)
	cp.KeyID = KeyID(key.Public().(ed25519.PublicKey))
	cp.Signature = ed25519.Sign(key, checkpointMessage(cp))
}

// VerifyCheckpoint reports whether a checkpoint is signed by pub.
func VerifyCheckpoint(pub ed25519.PublicKey, cp *triage.AuditCheckpoint) bool {
	return len(cp.Signature) == ed25519.SignatureSize && ed25519.Verify(pub, checkpointMessage(cp), cp.Signature)
}

// Problem is the first thing in a chain that does not verify.
type Problem struct {
	Chain string
	// Seq is the sequence number of the first event that is wrong or
	// missing; EventID its row id when the row exists.
	Seq     int64
	EventID int64
	// Kind is edited, deleted, inserted, relinked, truncated or
	// checkpoint.
	Kind    string
	Message string
}

func (p *Problem) Error() string { return p.Message }

// Verifier walks one chain's events in sequence order against the
// chain's checkpoints, and stops at the first problem.
type Verifier struct {
	chain   string
	pub     ed25519.PublicKey
	cps     map[int64]*triage.AuditCheckpoint
	lastCP  *triage.AuditCheckpoint
	next    int64 // the seq the next event must have
	prev    triage.SHA256
	prevEv  triage.AuditEvent
	prevOK  bool // prevEv's own hash verified
	events  int64
	problem *Problem
}

// NewVerifier returns a verifier of chain with its checkpoints; pub (nil:
// none) is the service's public key. A checkpoint whose signature does
// not verify is a problem before any event is read.
func NewVerifier(chain string, pub ed25519.PublicKey, cps []triage.AuditCheckpoint) *Verifier {
	v := &Verifier{chain: chain, pub: pub, cps: map[int64]*triage.AuditCheckpoint{}, next: 1}
	for i := range cps {
		cp := &cps[i]
		if cp.Chain != chain {
			continue
		}
		if pub != nil && !VerifyCheckpoint(pub, cp) {
			v.fail(cp.Seq, 0, "checkpoint", fmt.Sprintf("the checkpoint of chain %s at seq %d (%s) does not carry a valid signature of key %s: it was forged or altered",
				chain, cp.Seq, cp.At.UTC().Format(time.RFC3339), KeyID(pub)))
			return v
		}
		v.cps[cp.Seq] = cp
		if v.lastCP == nil || cp.Seq > v.lastCP.Seq {
			v.lastCP = cp
		}
	}
	return v
}

func (v *Verifier) fail(seq, id int64, kind, msg string) {
	if v.problem == nil {
		v.problem = &Problem{Chain: v.chain, Seq: seq, EventID: id, Kind: kind, Message: msg}
	}
}

// Add checks the next event of the chain; false once a problem is found.
func (v *Verifier) Add(ev *triage.AuditEvent) bool {
	if v.problem != nil {
		return false
	}
	name := fmt.Sprintf("event %d (chain %s, seq %d, %s %s at %s)", ev.ID, v.chain, ev.Seq, ev.Action, ev.Target, ev.At.UTC().Format(time.RFC3339Nano))
	switch {
	case ev.Seq > v.next:
		v.fail(v.next, 0, "deleted", fmt.Sprintf("chain %s: %s missing (deleted) before %s", v.chain, seqRange(v.next, ev.Seq-1), name))
	case ev.Seq < v.next:
		v.fail(ev.Seq, ev.ID, "inserted", fmt.Sprintf("%s repeats a sequence number already used: inserted", name))
	case ev.PrevHash != v.prev && v.prevOK && ev.Seq > 1 && Hash(ev) == ev.Hash:
		// This event is intact and records another predecessor: the one
		// before it was changed and its hash recomputed.
		p := &v.prevEv
		v.fail(p.Seq, p.ID, "edited", fmt.Sprintf("event %d (chain %s, seq %d, %s %s) was changed after it was recorded: the next event holds its original hash",
			p.ID, v.chain, p.Seq, p.Action, p.Target))
	case ev.PrevHash != v.prev:
		v.fail(ev.Seq, ev.ID, "relinked", fmt.Sprintf("%s does not link to the event before it", name))
	case Hash(ev) != ev.Hash:
		v.fail(ev.Seq, ev.ID, "edited", fmt.Sprintf("%s was changed after it was recorded: its content does not match its hash", name))
	}
	if v.problem != nil {
		return false
	}
	if cp := v.cps[ev.Seq]; cp != nil && cp.Hash != ev.Hash {
		v.fail(ev.Seq, ev.ID, "edited", fmt.Sprintf("chain %s up to %s differs from the checkpoint signed %s: an event at or before seq %d was changed and the chain recomputed",
			v.chain, name, cp.At.UTC().Format(time.RFC3339), ev.Seq))
		return false
	}
	v.prev, v.prevEv, v.prevOK = ev.Hash, *ev, true
	v.next++
	v.events++
	return true
}

// Done finishes the walk: the events read must reach the last checkpoint.
// It returns the first problem, or nil.
func (v *Verifier) Done() *Problem {
	if v.problem == nil && v.lastCP != nil && v.lastCP.Seq >= v.next {
		v.fail(v.next, 0, "truncated", fmt.Sprintf("chain %s ends at seq %d, but the checkpoint signed %s covers seq %d: %s deleted from the end",
			v.chain, v.next-1, v.lastCP.At.UTC().Format(time.RFC3339), v.lastCP.Seq, seqRange(v.next, v.lastCP.Seq)))
	}
	return v.problem
}

func seqRange(from, to int64) string {
	if from == to {
		return fmt.Sprintf("event seq %d is", from)
	}
	return fmt.Sprintf("events seq %d to %d are", from, to)
}

// Events is how many events verified.
func (v *Verifier) Events() int64 { return v.events }

// Unsigned is how many verified events follow the last checkpoint (not
// yet pinned by a signature).
func (v *Verifier) Unsigned() int64 {
	if v.lastCP == nil {
		return v.events
	}
	return v.next - 1 - v.lastCP.Seq
}
