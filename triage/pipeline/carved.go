package pipeline

import (
	"context"
	"errors"
	"io"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/container"
	"github.com/winnow-forensics/winnow/triage/hashing"
)

// A carved candidate is validated by decoding: one marked truncated (its
// end was not found) that no decoder reads is not an item. winnow scan
// drops it in the engine once it is hashed (Progress.CarvedUndecodable
// counts it); the lab worker checks it with CheckCarved before recording
// the member, with the same hashing profile, so both drop the same ones.
// A JPEG cut short hashes from the rows it holds and stays; a complete
// carved file that does not decode stays an item with its error (an
// anomaly worth a look); files read from a file system or an archive are
// never dropped.

// truncated reports whether m is a carved candidate whose end was not
// found.
func truncated(m *container.Member) bool {
	return m != nil && m.Carved && m.Attrs["carved"] == "truncated"
}

// Undecodable reports whether member m, fingerprinted as fp, fails
// validation by decoding: carved, marked truncated, and its decoder could
// not read it (hashing.ErrUndecodable).
func Undecodable(m *container.Member, fp *triage.Fingerprint) bool {
	return truncated(m) && errors.Is(fp.Err, hashing.ErrUndecodable)
}

// CheckCarved is the check for an intake that records members before
// hashing them (the lab worker): it hashes a carved member marked
// truncated with h, from its content c in memory or else from
// m.ReaderAt, and reports whether it is Undecodable. Other members are
// not hashed (false).
func CheckCarved(ctx context.Context, h *hashing.Hasher, m *container.Member, c Content) bool {
	if !truncated(m) {
		return false
	}
	var fp triage.Fingerprint
	switch {
	case c.Data != nil:
		fp = h.HashBytes(ctx, c.Data)
	case m.ReaderAt != nil && m.Size >= 0:
		fp = h.HashReader(ctx, io.NewSectionReader(m.ReaderAt, 0, m.Size), m.Size)
	default:
		return false
	}
	return Undecodable(m, &fp)
}
