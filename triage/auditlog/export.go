package auditlog

import (
	"bufio"
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

// The export format, version 1, is JSON lines: a header, then for each
// chain its checkpoints and then its events in sequence order. Every
// field an event's hash covers is there, with the hashes and signatures,
// so the log can be verified away from the lab (winnow audit verify
// --file) with the lab's published public key.

// ExportFormat names the format in the header.
const ExportFormat = "winnow-audit-export-v1"

// Header is the first line of an export.
type Header struct {
	Format     string    `json:"format"`
	ExportedAt time.Time `json:"exported_at"`
	// PublicKey is the key the checkpoints are signed with (raw, base64),
	// as the exporting service says: compare KeyID with the key the lab
	// published.
	PublicKey []byte `json:"public_key,omitempty"`
	KeyID     string `json:"key_id,omitempty"`
}

// Record is one line after the header: an event or a checkpoint.
type Record struct {
	Type string `json:"type"` // "event" or "checkpoint"
	// Event fields.
	ID       int64             `json:"id,omitempty"`
	UserID   int64             `json:"user_id,omitempty"`
	UserName string            `json:"user,omitempty"`
	Action   string            `json:"action,omitempty"`
	Target   string            `json:"target,omitempty"`
	Detail   map[string]string `json:"detail,omitempty"`
	Remote   string            `json:"remote,omitempty"`
	PrevHash string            `json:"prev_hash,omitempty"`
	// Both.
	Chain string    `json:"chain"`
	Seq   int64     `json:"seq"`
	Hash  string    `json:"hash"`
	At    time.Time `json:"at"`
	// Checkpoint fields.
	KeyID     string `json:"key_id,omitempty"`
	Signature []byte `json:"signature,omitempty"`
}

// EventRecord is an event as exported.
func EventRecord(ev *triage.AuditEvent) Record {
	return Record{Type: "event", ID: ev.ID, UserID: ev.UserID, UserName: ev.UserName, Action: ev.Action, Target: ev.Target,
		Detail: ev.Detail, Remote: ev.Remote, PrevHash: ev.PrevHash.String(), Chain: ev.Chain, Seq: ev.Seq, Hash: ev.Hash.String(), At: ev.At.UTC()}
}

// CheckpointRecord is a checkpoint as exported.
func CheckpointRecord(cp *triage.AuditCheckpoint) Record {
	return Record{Type: "checkpoint", Chain: cp.Chain, Seq: cp.Seq, Hash: cp.Hash.String(), At: cp.At.UTC(), KeyID: cp.KeyID, Signature: cp.Signature}
}

// Event returns the event of an event record.
func (r *Record) Event() (triage.AuditEvent, error) {
	ev := triage.AuditEvent{ID: r.ID, At: r.At, UserID: r.UserID, UserName: r.UserName, Action: r.Action, Target: r.Target,
		Detail: r.Detail, Remote: r.Remote, Chain: r.Chain, Seq: r.Seq}
	var err error
	if ev.PrevHash, err = triage.ParseSHA256(r.PrevHash); err != nil {
		return ev, fmt.Errorf("event %d: prev_hash: %w", r.ID, err)
	}
	if ev.Hash, err = triage.ParseSHA256(r.Hash); err != nil {
		return ev, fmt.Errorf("event %d: hash: %w", r.ID, err)
	}
	return ev, nil
}

// Checkpoint returns the checkpoint of a checkpoint record.
func (r *Record) Checkpoint() (triage.AuditCheckpoint, error) {
	cp := triage.AuditCheckpoint{Chain: r.Chain, Seq: r.Seq, At: r.At, KeyID: r.KeyID, Signature: r.Signature}
	var err error
	if cp.Hash, err = triage.ParseSHA256(r.Hash); err != nil {
		return cp, fmt.Errorf("checkpoint %s/%d: hash: %w", r.Chain, r.Seq, err)
	}
	return cp, nil
}

// Writer writes an export.
type Writer struct {
	w   *bufio.Writer
	enc *json.Encoder
}

// NewWriter writes the header and returns the writer of the records.
func NewWriter(w io.Writer, pub ed25519.PublicKey, now time.Time) (*Writer, error) {
	bw := bufio.NewWriter(w)
	x := &Writer{w: bw, enc: json.NewEncoder(bw)}
	x.enc.SetEscapeHTML(false)
	h := Header{Format: ExportFormat, ExportedAt: now.UTC()}
	if pub != nil {
		h.PublicKey, h.KeyID = pub, KeyID(pub)
	}
	return x, x.enc.Encode(h)
}

// Write writes one record.
func (x *Writer) Write(r Record) error { return x.enc.Encode(r) }

// Flush flushes the buffered records.
func (x *Writer) Flush() error { return x.w.Flush() }

// Limits of the reader: a line, and the pairs of one event's detail.
const (
	MaxLine    = 1 << 20
	MaxDetails = 1000
)

// Reader reads an export: bounded lines, strict fields.
type Reader struct {
	s      *bufio.Scanner
	Header Header
	line   int
}

// NewReader reads the header of an export.
func NewReader(r io.Reader) (*Reader, error) {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 64<<10), MaxLine)
	x := &Reader{s: s}
	if !s.Scan() {
		if err := s.Err(); err != nil {
			return nil, fmt.Errorf("audit export: %w", err)
		}
		return nil, triage.Errorf(triage.EINVALID, "audit export is empty")
	}
	x.line = 1
	if err := strictJSON(s.Bytes(), &x.Header); err != nil || x.Header.Format != ExportFormat {
		return nil, triage.Errorf(triage.EINVALID, "line 1 is not a %s header", ExportFormat)
	}
	if x.Header.PublicKey != nil && len(x.Header.PublicKey) != ed25519.PublicKeySize {
		return nil, triage.Errorf(triage.EINVALID, "the header's public key is %d bytes, not %d", len(x.Header.PublicKey), ed25519.PublicKeySize)
	}
	return x, nil
}

// Next returns the next record; io.EOF at the end.
func (x *Reader) Next() (Record, error) {
	var r Record
	if !x.s.Scan() {
		if err := x.s.Err(); err != nil {
			return r, triage.Errorf(triage.EINVALID, "audit export line %d: %v", x.line+1, err)
		}
		return r, io.EOF
	}
	x.line++
	if err := strictJSON(x.s.Bytes(), &r); err != nil {
		return r, triage.Errorf(triage.EINVALID, "audit export line %d: %v", x.line, err)
	}
	switch {
	case r.Type != "event" && r.Type != "checkpoint":
		return r, triage.Errorf(triage.EINVALID, "audit export line %d: unknown record type %q", x.line, r.Type)
	case len(r.Detail) > MaxDetails:
		return r, triage.Errorf(triage.EINVALID, "audit export line %d: more than %d detail pairs", x.line, MaxDetails)
	case r.Seq < 1:
		return r, triage.Errorf(triage.EINVALID, "audit export line %d: sequence number %d", x.line, r.Seq)
	}
	return r, nil
}

func strictJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return fmt.Errorf("more than one JSON value on the line")
	}
	return nil
}
