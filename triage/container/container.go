// Package container is what every kind of container shares: an archive, a
// disk image, a phone extraction — anything that holds files of its own.
//
// A Container expands one input into Members, each with its metadata
// (inner path, stored name, size, times, deleted or carved, where its
// bytes lie) and its content as a stream, random access where the
// container allows it, or digests the container records in place of
// content. A kind is written once, as a Container, and registered once
// (in cmd/winnow/kinds.go); winnow scan and the lab worker's expansion
// (package pipeline) then read it.
//
// Containers are hostile until proven otherwise: an expansion is bounded
// by Limits (nesting depth, members, bytes per member and in all, the
// expansion ratio, memory for nested data), and a member that cannot be
// read is a member with an error, never a crash.
package container

import (
	"context"
	"io"
	"strconv"
	"time"

	"github.com/winnow-forensics/winnow/triage"
)

// Container is one kind of container. Implementations must be safe for
// several expansions at once.
type Container interface {
	// Detect returns the container format of content of sniffed type mt
	// (hashing.Sniff decides types; a new kind adds its signatures
	// there): "" when it is not this kind, or an EUNSUPPORTED error for a
	// recognised variant this kind does not expand ("7z").
	Detect(mt triage.MediaType) (format string, err error)
	// Expand walks the container held in r (size bytes) and calls visit
	// for each member, in the order the container stores them, within
	// opt.Limits. Members that are containers of the same kind may be
	// expanded by the implementation (their members are visited first,
	// then the member itself with Format set). The problems of one member
	// are on the member (Member.Err); Expand returns an error for the
	// container as a whole (not this kind, damaged beyond reading, a limit
	// that ends the input), ctx's error, or visit's error as it is; the
	// members visited before stand. Expand reads r only through ReadAt and
	// calls visit from one goroutine at a time.
	Expand(ctx context.Context, r io.ReaderAt, size int64, opt Options, visit VisitFunc) (Stats, error)
}

// VisitFunc receives each member. r streams its content and is valid only
// until VisitFunc returns; it is nil when the member cannot be read
// (m.Err says why) or when m.Digests stand in for its content. A read
// error from r is the member's problem (damaged container, or a limit).
// An error returned by VisitFunc stops the expansion and is returned by
// Expand as it is.
type VisitFunc func(m *Member, r io.Reader) error

// Member is one file inside a container.
type Member struct {
	// Inner is the member's sanitised path inside the outermost container,
	// nested containers joined with "!/" ("photos/a.zip!/b/c.jpg"). The
	// caller prefixes the outermost container's own path and "!/".
	Inner string
	// Name is the member's sanitised path inside its own container.
	Name string
	// RawName is the name exactly as the container stores it, Go-quoted,
	// when sanitising changed more than a leading "./" (absolute paths,
	// "..", backslashes, control or bidirectional-override characters,
	// invalid UTF-8). Empty otherwise.
	RawName string
	// Index is the member's position in its own container (0-based), and
	// Indexes the positions of the member and of each container above it,
	// outermost first: with duplicate names, the only way to tell two
	// members apart.
	Index   int
	Indexes []int
	// Depth is 1 for members of the outermost container, 2 one level down.
	Depth int
	// Size is the size the container declares, or -1 when it declares
	// none (the content of a gzip or bzip2 stream).
	Size int64
	// Times are the member's time stamps as the container records them.
	Times Times
	// Deleted marks a file system entry marked deleted (its content may be
	// partly overwritten); Carved a file recovered by its signature from
	// unallocated space (its Name is made up).
	Deleted, Carved bool
	// Offset and Length locate the member's bytes in the outermost
	// container's byte stream when they lie there in one piece, so that an
	// examiner can find them again; Length is 0 when they do not.
	Offset, Length int64
	// Fragments locate them when they lie there in several pieces (a
	// carved file that runs on past blocks the file system holds).
	Fragments []triage.Fragment
	// Attrs are other facts the container records (inode, partition,
	// source application...), reported as they are, never interpreted.
	Attrs map[string]string
	// Format is set when the member is itself a container that was
	// expanded (its members were visited before it).
	Format string
	// Data holds the whole member when the container already holds it in
	// memory (a nested zip). It is never modified and may be kept.
	Data []byte
	// Digests are set, and the reader is nil, for a member whose content
	// is known only by its digests: a nested container expanded from a
	// stream and digested on the way, or a file whose digests the
	// container records.
	Digests *triage.Digests
	// Type is the member's type when the container knows it without
	// reading the content (with Digests).
	Type triage.MediaType
	// ReaderAt, when set, gives random access to the member's Size bytes
	// (a file in a disk image, in-memory data); like the reader, it is
	// valid only until VisitFunc returns. Decoders that must seek (video)
	// use it.
	ReaderAt io.ReaderAt
	// Err says why the member is not fully analysed: it could not be read
	// (the reader is nil), or it was read but not expanded (the reader is
	// set: the caller should still digest it).
	Err error
}

// Times are a member's time stamps; a zero field is unknown.
type Times struct {
	Modified, Accessed, Changed, Created time.Time
}

// Options configure one expansion.
type Options struct {
	Limits Limits
	// Name is the input's file name; it names the content of a
	// compressed stream that records no name of its own ("notes.txt.gz"
	// holds "notes.txt").
	Name string
	// Open, when set, opens a file that lies beside the input, by name:
	// the later segments of a multi-segment disk image ("laptop.E02"
	// beside "laptop.E01"). It returns an error (ENOTFOUND when there is
	// no such file) when it cannot; the caller of Expand closes what it
	// opened once Expand returns.
	Open func(name string) (io.ReaderAt, int64, error)
}

// Origin is the provenance of a member found in a disk image (its file
// system in Attrs "fs", its metadata address in "fs_id", "carved":
// "truncated" for a carved file cut short) or in a phone extraction
// (Attrs "device_path", "extraction", "file_id", and "digest_only" "true"
// for a member known by its Digests alone), nil for other members.
func (m *Member) Origin() *triage.Origin {
	fs, dev := m.Attrs["fs"], m.Attrs["device_path"]
	if fs == "" && dev == "" && !m.Deleted && !m.Carved {
		return nil
	}
	o := &triage.Origin{FS: fs, Deleted: m.Deleted, Carved: m.Carved, Offset: m.Offset, Length: m.Size,
		Modified: m.Times.Modified, Accessed: m.Times.Accessed, Changed: m.Times.Changed, Created: m.Times.Created,
		DevicePath: dev, Extraction: m.Attrs["extraction"], FileID: m.Attrs["file_id"], DigestOnly: m.Attrs["digest_only"] == "true"}
	if m.Length == 0 {
		o.Offset = -1 // not in one piece
		o.Fragments = m.Fragments
	}
	o.ID, _ = strconv.ParseUint(m.Attrs["fs_id"], 10, 64)
	o.Truncated = m.Carved && m.Attrs["carved"] == "truncated"
	return o
}

// Stats count what one expansion found.
type Stats struct {
	Members    int   // members visited, at every depth
	Containers int   // containers expanded, the outermost included
	Bytes      int64 // bytes read out of members, at every depth
	// Format, when set, names the input's format more precisely than
	// Detect could from its type ("Cellebrite UFDR" for a zip).
	Format string
}

// Limits bound what expanding one input may cost. A zero field means its
// default (DefaultLimits).
type Limits struct {
	// MaxDepth is how deep containers are expanded: members of the
	// outermost container are at depth 1, members of a container inside
	// it at depth 2. A container whose members would be deeper is
	// reported, not expanded.
	MaxDepth int
	// MaxEntries bounds the members of one container; the rest of a
	// larger one is not expanded (and the container gets an error).
	MaxEntries int
	// MaxMemberBytes bounds one member's expanded size.
	MaxMemberBytes int64
	// MaxTotalBytes bounds the bytes expanded from one input, all members
	// at all depths together.
	MaxTotalBytes int64
	// MaxRatio bounds expansion: expanded bytes over compressed bytes, per
	// member, per compressed stream and for the input as a whole.
	MaxRatio int64
	// RatioFloor is how many bytes must have been expanded before MaxRatio
	// applies, so that small, highly compressible files pass.
	RatioFloor int64
	// MaxNestedBytes bounds the memory that nested containers needing
	// random access may hold at once (they are never written to disk); a
	// nested one that does not fit is not expanded.
	MaxNestedBytes int64
}

// DefaultLimits are the limits used where a field is zero.
var DefaultLimits = Limits{
	MaxDepth:       6,
	MaxEntries:     250_000,
	MaxMemberBytes: 64 << 30,
	MaxTotalBytes:  1 << 40,
	MaxRatio:       1000,
	RatioFloor:     16 << 20,
	MaxNestedBytes: 256 << 20,
}

// WithDefaults returns l with every zero field set to its default.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits
	if l.MaxDepth > 0 {
		d.MaxDepth = l.MaxDepth
	}
	if l.MaxEntries > 0 {
		d.MaxEntries = l.MaxEntries
	}
	if l.MaxMemberBytes > 0 {
		d.MaxMemberBytes = l.MaxMemberBytes
	}
	if l.MaxTotalBytes > 0 {
		d.MaxTotalBytes = l.MaxTotalBytes
	}
	if l.MaxRatio > 0 {
		d.MaxRatio = l.MaxRatio
	}
	if l.RatioFloor > 0 {
		d.RatioFloor = l.RatioFloor
	}
	if l.MaxNestedBytes > 0 {
		d.MaxNestedBytes = l.MaxNestedBytes
	}
	return d
}
