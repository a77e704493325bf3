package archive

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/container"
	"github.com/winnow-forensics/winnow/triage/hashing"
)

// Format is an archive format that Walk expands.
type Format string

// The formats Walk expands.
const (
	Zip   Format = "zip"
	Tar   Format = "tar"
	Gzip  Format = "gzip"
	Bzip2 Format = "bzip2"
)

// FormatOf returns the archive format of a sniffed type: "" when the type
// is not an archive, or an EUNSUPPORTED error for archives that are
// recognised but not expanded (7z, RAR, xz).
func FormatOf(mt triage.MediaType) (Format, error) {
	switch mt.MIME {
	case "application/zip":
		return Zip, nil
	case "application/x-tar":
		return Tar, nil
	case "application/gzip":
		return Gzip, nil
	case "application/x-bzip2":
		return Bzip2, nil
	case "application/x-7z-compressed":
		return "", notExpanded("7z")
	case "application/vnd.rar":
		return "", notExpanded("RAR")
	case "application/x-xz":
		return "", notExpanded("xz")
	}
	if mt.Kind == triage.KindArchive {
		return "", notExpanded(mt.MIME)
	}
	return "", nil
}

// Archives is the container kind of the formats Walk expands.
var Archives container.Container = archives{}

type archives struct{}

func (archives) Detect(mt triage.MediaType) (string, error) {
	f, err := FormatOf(mt)
	return string(f), err
}

func (archives) Expand(ctx context.Context, r io.ReaderAt, size int64, opt container.Options, visit container.VisitFunc) (container.Stats, error) {
	return Walk(ctx, r, size, opt, visit)
}

// mediaTypeOf is the type of an archive of format f.
func mediaTypeOf(f Format) triage.MediaType {
	mime := map[Format]string{Zip: "application/zip", Tar: "application/x-tar", Gzip: "application/gzip", Bzip2: "application/x-bzip2"}[f]
	return triage.MediaType{MIME: mime, Kind: triage.KindArchive}
}

func notExpanded(what string) error {
	return triage.Errorf(triage.EUNSUPPORTED, "%s archive: recognised but not expanded (extract it with its own tool and scan the folder)", what)
}

// Walk expands the archive held in r (size bytes) and calls visit for each
// member, depth first, in the order the archive stores them. A member that
// is itself an archive is expanded within the limits and visited after its
// own members. Walk returns when every member was visited, or with an
// error: ctx's error, visit's error, or an archive-level problem (not an
// archive, a damaged directory, a limit that ends the whole input); with
// an archive-level error the members visited so far stand.
//
// Walk reads r only through ReadAt, so r may be a file, a byte slice
// reader or an object in a store. It is safe to run several Walks at once;
// one Walk calls visit from one goroutine at a time.
func Walk(ctx context.Context, r io.ReaderAt, size int64, opt container.Options, visit container.VisitFunc) (container.Stats, error) {
	w := &walker{ctx: ctx, lim: opt.Limits.WithDefaults(), visit: visit, inputSize: size}
	head := make([]byte, min(size, hashing.SniffLen))
	if _, err := r.ReadAt(head, 0); err != nil && err != io.EOF {
		return w.stats, triage.Errorf(triage.EINVALID, "read archive: %v", err)
	}
	f, err := FormatOf(hashing.Sniff(head))
	switch {
	case err != nil:
		return w.stats, err
	case f == "":
		return w.stats, triage.Errorf(triage.EINVALID, "not an archive Winnow expands (zip, tar, gzip, bzip2)")
	case f == Zip:
		err = w.walkZip(r, size, loc{depth: 1})
	default:
		err = w.walkStream(io.NewSectionReader(r, 0, size), f, loc{depth: 1}, opt.Name)
	}
	return w.stats, unwrapFatal(err)
}

// Expander hands on the members of a container of another kind (a phone
// extraction) as Walk hands on its own: a member that is itself an
// archive is expanded within the limits, its members visited first. One
// Expander serves one input, so the limits on bytes in all and on the
// input's expansion ratio hold across its members.
type Expander struct{ w *walker }

// NewExpander returns an Expander for an input of size bytes, with
// opt.Limits, calling visit as Walk does.
func NewExpander(ctx context.Context, size int64, opt container.Options, visit container.VisitFunc) *Expander {
	return &Expander{&walker{ctx: ctx, lim: opt.Limits.WithDefaults(), visit: visit, inputSize: size}}
}

// Member hands m, read from r, to visit; when m is an archive within the
// depth limit (m.Depth+1), its members are visited first (inner paths
// under m.Inner + "!/") and m after them with Format set. compressed is
// m's compressed size in the input, or -1. Reads from r are bounded like
// Walk's. The error is visit's, ctx's, or a limit that ends the whole
// input; problems of m itself are on m.
func (x *Expander) Member(m *container.Member, r io.Reader, compressed int64) error {
	return unwrapFatal(x.w.member(m, r, compressed))
}

// Stats are what the Expander's members held: the members handed to
// Member and the members of the archives among them, the archives
// expanded and the bytes read.
func (x *Expander) Stats() container.Stats { return x.w.stats }

// walker is the state of one Walk.
type walker struct {
	ctx       context.Context
	lim       container.Limits
	visit     container.VisitFunc
	inputSize int64
	stats     container.Stats
	nested    int64 // bytes of nested zips held in memory
	// stop is set when a limit that ends the whole input was hit.
	stop error
}

// fatalError wraps an error that ends the walk: the visitor's, the
// context's or an input-wide limit. Every other error is about one archive
// and is recorded on it.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

// isFatal reports whether err ends the walk.
func isFatal(err error) bool {
	var fe *fatalError
	return errors.As(err, &fe)
}

// unwrapFatal returns the error a fatal error carries, for Walk's caller.
func unwrapFatal(err error) error {
	var fe *fatalError
	if errors.As(err, &fe) {
		return fe.err
	}
	return err
}

// call visits m and reports what ends the walk.
func (w *walker) call(m *container.Member, r io.Reader) error {
	if err := w.visit(m, r); err != nil {
		return &fatalError{err}
	}
	if w.stop != nil {
		return &fatalError{w.stop}
	}
	return w.canceled()
}

// canceled returns the context's error as a fatal error, or nil.
func (w *walker) canceled() error {
	if err := w.ctx.Err(); err != nil {
		return &fatalError{err}
	}
	return nil
}

// loc is where an archive's members go: their inner path prefix, depth
// and the indexes of the archives above them.
type loc struct {
	prefix  string
	depth   int
	indexes []int
}

// inside returns the location of the members of archive member m.
func inside(m *container.Member) loc { return loc{m.Inner + "!/", m.Depth + 1, m.Indexes} }

// newMember starts a member record from its stored name.
func (w *walker) newMember(at loc, raw string, index int) *container.Member {
	name, changed := CleanName(raw)
	if name == "" {
		name = fmt.Sprintf("unnamed-%d", index+1)
		changed = true
	}
	m := &container.Member{Name: name, Inner: at.prefix + name, Index: index, Depth: at.depth, Size: -1,
		Indexes: append(at.indexes[:len(at.indexes):len(at.indexes)], index)}
	if changed {
		m.RawName = quote(raw)
	}
	return m
}

// member handles one readable member: it sniffs it and either hands it to
// visit or, if it is an archive within the depth limit, expands it.
// compressed is its compressed size, or -1.
func (w *walker) member(m *container.Member, r io.Reader, compressed int64) error {
	w.stats.Members++
	c := &memberReader{r: r, w: w, declared: m.Size, compressed: compressed}
	br := bufio.NewReaderSize(c, hashing.SniffLen)
	head, _ := br.Peek(hashing.SniffLen)
	f, ferr := FormatOf(hashing.Sniff(head))
	switch {
	case ferr != nil:
		m.Err = ferr
		return w.call(m, br)
	case f == "":
		return w.call(m, br)
	case m.Depth+1 > w.lim.MaxDepth:
		m.Err = triage.Errorf(triage.ETOOLARGE, "%s archive nested %d deep: not expanded (the limit is %d levels)", f, m.Depth+1, w.lim.MaxDepth)
		return w.call(m, br)
	case f == Zip:
		return w.nestedZip(m, br)
	}
	return w.nestedStream(m, br, f)
}

// nestedZip expands a zip found inside another archive from memory.
func (w *walker) nestedZip(m *container.Member, r io.Reader) error {
	room := w.lim.MaxNestedBytes - w.nested
	if m.Size > room {
		m.Err = triage.Errorf(triage.ETOOLARGE, "zip archive of %s inside an archive is over the in-memory limit of %s: not expanded (extract it and scan it, or raise the limit)",
			fmtBytes(m.Size), fmtBytes(w.lim.MaxNestedBytes))
		return w.call(m, r)
	}
	buf, err := io.ReadAll(io.LimitReader(r, room+1))
	if err != nil {
		m.Err = triage.Errorf(triage.EINVALID, "read: %v", err)
		return w.call(m, nil)
	}
	if int64(len(buf)) > room {
		// Only a member of undeclared size gets here: digest what was read
		// and the rest.
		m.Err = triage.Errorf(triage.ETOOLARGE, "zip archive inside an archive is over the in-memory limit of %s: not expanded (extract it and scan it, or raise the limit)",
			fmtBytes(w.lim.MaxNestedBytes))
		return w.call(m, io.MultiReader(bytesReader(buf), r))
	}
	w.nested += int64(len(buf))
	defer func() { w.nested -= int64(len(buf)) }()
	m.Size = int64(len(buf))
	err = w.walkZip(bytesReader(buf), int64(len(buf)), inside(m))
	if isFatal(err) {
		return err
	}
	m.Format, m.Data, m.Err = string(Zip), buf, err
	return w.call(m, bytesReader(buf))
}

// nestedStream expands a tar, gzip or bzip2 stream found inside another
// archive as it reads it, digesting the bytes on the way.
func (w *walker) nestedStream(m *container.Member, r io.Reader, f Format) error {
	d := hashing.NewStreamDigests()
	tee := io.TeeReader(r, d)
	err := w.walkStream(tee, f, inside(m), path.Base(m.Name))
	if isFatal(err) {
		return err
	}
	// The rest of the member (tar padding, trailing data) for the digests.
	if _, rerr := io.Copy(io.Discard, tee); rerr != nil && err == nil {
		err = triage.Errorf(triage.EINVALID, "read: %v", rerr)
	}
	m.Format, m.Err, m.Size = string(f), err, d.Len()
	dg := d.Sum()
	m.Digests = &dg
	m.Type = mediaTypeOf(f)
	return w.call(m, nil)
}

// walkStream expands a tar, gzip or bzip2 stream.
func (w *walker) walkStream(r io.Reader, f Format, at loc, name string) error {
	w.stats.Containers++
	switch f {
	case Tar:
		return w.walkTar(r, at)
	case Gzip, Bzip2:
		return w.walkCompressed(r, f, at, name)
	}
	return triage.Errorf(triage.EINTERNAL, "archive: cannot stream %s", f)
}

// memberReader counts the bytes read out of one member and enforces the
// limits on them.
type memberReader struct {
	r          io.Reader
	w          *walker
	n          int64
	declared   int64 // declared size, -1 if none
	compressed int64 // compressed size, -1 if unknown
	err        error
}

func (c *memberReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.w.stats.Bytes += int64(n)
	if lerr := c.check(); lerr != nil {
		c.err = lerr
		return n, lerr
	}
	return n, err
}

func (c *memberReader) check() error {
	w, l := c.w, &c.w.lim
	switch {
	case c.declared >= 0 && c.n > c.declared:
		return triage.Errorf(triage.EINVALID, "member holds more than the %d bytes its header declares (damaged or hostile archive)", c.declared)
	case c.n > l.MaxMemberBytes:
		return triage.Errorf(triage.ETOOLARGE, "member expands to more than %s, the limit for one member", fmtBytes(l.MaxMemberBytes))
	case c.compressed >= 0 && c.n > l.RatioFloor && c.n/max(c.compressed, 1) > l.MaxRatio:
		return triage.Errorf(triage.ETOOLARGE, "member expands more than %d times its compressed size (zip bomb?): not read further", l.MaxRatio)
	}
	if w.stop == nil {
		switch total := w.stats.Bytes; {
		case total > l.MaxTotalBytes:
			w.stop = triage.Errorf(triage.ETOOLARGE, "archive expands to more than %s in all: the rest is not expanded (raise the limit to go on)", fmtBytes(l.MaxTotalBytes))
		case total > l.RatioFloor && total/max(w.inputSize, 1) > l.MaxRatio:
			w.stop = triage.Errorf(triage.ETOOLARGE, "archive expands to more than %d times its size (zip bomb?): the rest is not expanded", l.MaxRatio)
		}
	}
	return w.stop
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<40:
		return fmt.Sprintf("%.1f TiB", float64(n)/(1<<40))
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// stripExt removes a compression suffix from a file name to name the
// stream's content: "a.txt.gz" -> "a.txt", "a.tgz" -> "a.tar".
func stripExt(name string, f Format) string {
	lower := strings.ToLower(name)
	var pairs [][2]string
	switch f {
	case Gzip:
		pairs = [][2]string{{".tgz", ".tar"}, {".gz", ""}, {".gzip", ""}}
	case Bzip2:
		pairs = [][2]string{{".tbz2", ".tar"}, {".tbz", ".tar"}, {".bz2", ""}}
	}
	for _, p := range pairs {
		if strings.HasSuffix(lower, p[0]) && len(name) > len(p[0]) {
			return name[:len(name)-len(p[0])] + p[1]
		}
	}
	return ""
}
