package phone

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"strconv"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/archive"
	"github.com/winnow-forensics/winnow/triage/container"
)

// Kind is the phone-extraction container kind. It claims every zip: a
// UFDR (report.xml at the root) or a GrayKey file system (the phone's
// "private/var/" tree) is expanded as a phone, any other zip as a plain
// archive (archive.Walk), so Kind must come before archive.Archives in a
// list of kinds.
type Kind struct {
	// Report bounds the reading of a UFDR's report.xml.
	Report ReportLimits
}

// Extractions is the phone-extraction kind with default settings.
var Extractions = &Kind{}

var _ container.Container = (*Kind)(nil)

// Detect implements container.Container: a zip is this kind's (what kind
// of zip only its directory tells, when it is expanded).
func (k *Kind) Detect(mt triage.MediaType) (string, error) {
	if mt.MIME == "application/zip" {
		return "zip", nil
	}
	return "", nil
}

// Layout is what a zip holds, as far as this package is concerned.
type Layout int

// The layouts Expand tells apart.
const (
	PlainZip Layout = iota
	UFDR
	GrayKey
)

func (l Layout) String() string {
	return [...]string{"zip", "Cellebrite UFDR", "GrayKey file system"}[l]
}

// LayoutOf tells the layout of a zip from its directory: a UFDR holds
// report.xml at its root; a GrayKey full-file-system zip holds the
// phone's "private/var/" tree at its root or under one folder.
func LayoutOf(z *archive.ZipDir) Layout {
	gray := false
	for _, f := range z.Files {
		if f.Mode().IsDir() {
			continue
		}
		name := localKey(f.Name)
		if strings.EqualFold(name, "report.xml") {
			return UFDR
		}
		if !gray {
			_, rest, _ := strings.Cut(name, "/")
			gray = strings.HasPrefix(name, "private/var/") || strings.HasPrefix(rest, "private/var/")
		}
	}
	if gray {
		return GrayKey
	}
	return PlainZip
}

// Expand implements container.Container: a UFDR's files are visited in
// the order its report.xml lists them, then the zip entries no file names;
// a GrayKey zip's members in the zip's order, with their time stamps;
// another zip as archive.Walk expands it.
func (k *Kind) Expand(ctx context.Context, r io.ReaderAt, size int64, opt container.Options, visit container.VisitFunc) (container.Stats, error) {
	z, err := archive.OpenZip(r, size, opt.Limits)
	if err != nil {
		return archive.Walk(ctx, r, size, opt, visit) // its own error, the same way
	}
	switch LayoutOf(z) {
	case UFDR:
		return k.expandUFDR(ctx, r, size, z, opt, visit)
	case GrayKey:
		return expandGrayKey(ctx, r, size, z, opt, visit)
	}
	return archive.Walk(ctx, r, size, opt, visit)
}

// visitError carries visit's error through ReadReport.
type visitError struct{ err error }

func (e *visitError) Error() string { return e.err.Error() }

// ufdr is the state of one UFDR expansion.
type ufdr struct {
	ctx    context.Context
	r      io.ReaderAt
	z      *archive.ZipDir
	lim    container.Limits
	visit  container.VisitFunc
	byName map[string]int // zip entries by their name with forward slashes
	used   []bool         // entries a file of the report named (and report.xml)
	// x hands on members with content, expanding the archives among
	// them; n numbers the UFDR's own members, plain counts those visited
	// without content.
	x        *archive.Expander
	n, plain int
	total    int64 // bytes declared by the entries read
}

// stats are the expansion's counts.
func (u *ufdr) stats() container.Stats {
	xs := u.x.Stats()
	return container.Stats{Members: u.plain + xs.Members, Containers: 1 + xs.Containers, Bytes: xs.Bytes, Format: UFDR.String()}
}

func (k *Kind) expandUFDR(ctx context.Context, r io.ReaderAt, size int64, z *archive.ZipDir, opt container.Options, visit container.VisitFunc) (container.Stats, error) {
	u := &ufdr{ctx: ctx, r: r, z: z, lim: opt.Limits.WithDefaults(), visit: visit,
		byName: make(map[string]int, len(z.Files)), used: make([]bool, len(z.Files))}
	u.x = archive.NewExpander(ctx, size, opt, visit)
	report := -1
	for i, f := range z.Files {
		if f.Mode().IsDir() {
			continue
		}
		key := localKey(f.Name)
		if report < 0 && strings.EqualFold(key, "report.xml") {
			report = i
		}
		u.byName[key] = i
	}
	u.used[report] = true
	rerr := z.Problem(report)
	if rerr == nil {
		var rc io.ReadCloser
		if rc, rerr = z.Files[report].Open(); rerr == nil {
			_, rerr = ReadReport(ctx, rc, k.Report, u.file)
			rc.Close()
		}
	}
	var ve *visitError
	switch {
	case errors.As(rerr, &ve):
		return u.stats(), ve.err
	case ctx.Err() != nil:
		return u.stats(), ctx.Err()
	}
	// The entries no file names (all of them, when report.xml cannot be
	// read): the UFDR's content is analysed whatever its report says.
	for i, f := range z.Files {
		if u.used[i] || f.Mode().IsDir() {
			continue
		}
		if err := ctx.Err(); err != nil {
			return u.stats(), err
		}
		raw := "$Extraction/" + strings.TrimLeft(f.Name, "/")
		m := u.newMember(raw)
		m.Times.Modified = f.Modified
		if err := u.content(m, i); err != nil {
			return u.stats(), err
		}
	}
	if rerr != nil {
		return u.stats(), fmt.Errorf("report.xml not fully read (the files it lists after this point are named by their place in the UFDR, under $Extraction/): %w", rerr)
	}
	return u.stats(), nil
}

// localKey is a zip entry's name, or a report's Local Path, as a lookup
// key: forward slashes, no leading "./" or "/".
func localKey(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	for strings.HasPrefix(name, "./") || strings.HasPrefix(name, "/") {
		name = strings.TrimPrefix(strings.TrimPrefix(name, "./"), "/")
	}
	return name
}

// newMember starts the next member, named by raw (a device path or an
// entry's name), sanitised.
func (u *ufdr) newMember(raw string) *container.Member {
	n := u.n
	u.n++
	raw = strings.TrimLeft(raw, "/")
	name, changed := archive.CleanName(raw)
	if name == "" {
		name, changed = fmt.Sprintf("unnamed-%d", n+1), true
	}
	m := &container.Member{Inner: name, Name: name, Index: n, Indexes: []int{n}, Depth: 1, Size: -1}
	if changed {
		m.RawName = strconv.Quote(raw)
	}
	return m
}

// file visits one file of the report.
func (u *ufdr) file(f *File) error {
	if err := u.ctx.Err(); err != nil {
		return err
	}
	raw := f.Path
	if raw == "" { // a file recovered with no path
		raw = "$NoPath/" + strings.ReplaceAll(cmpOr(f.Name, f.ID, strconv.Itoa(u.n+1)), "/", "_")
	}
	m := u.newMember(raw)
	// A flaw in the record (a malformed time or digest) is reported only
	// when nothing else is known of the file: it must not turn a file whose
	// content or digest was read into an error.
	m.Size, m.Times, m.Deleted = f.Size, f.Times, f.IsDeleted()
	m.Attrs = map[string]string{"fs": f.FS, "file_id": f.ID}
	if f.Path != "" {
		m.Attrs["device_path"] = f.Path
	}
	if f.Extraction != "" {
		m.Attrs["extraction"] = strings.TrimSpace(f.Extraction + " " + f.ExtractionName)
	}
	i, inZip := -1, false
	if f.LocalPath != "" {
		i, inZip = u.byName[localKey(f.LocalPath)]
	}
	var err error
	switch {
	case inZip:
		u.used[i] = true
		err = u.content(m, i)
	case f.Digests != triage.Digests{}:
		d := f.Digests
		m.Digests, m.Size, m.Type = &d, max(m.Size, 0), TypeByName(raw)
		m.Attrs["digest_only"] = "true"
		err = u.visitPlain(m)
	case f.LocalPath != "":
		m.Err = errors.Join(triage.Errorf(triage.ENOTFOUND, "report.xml places the content at %.200q, which is not in the UFDR, and records no digest", f.LocalPath), f.Err)
		err = u.visitPlain(m)
	default:
		m.Err = errors.Join(triage.Errorf(triage.ENOTFOUND, "report.xml lists the file without content or digest"), f.Err)
		err = u.visitPlain(m)
	}
	if err != nil {
		return &visitError{err}
	}
	return nil
}

// TypeByName is the type of a file known only by its digests: its MIME
// type guessed from its name's extension, so that a picture the report
// lists whose content is gone still says what it was; its kind stays
// unknown, since nothing was decoded (it joins no series and no review
// group: there is nothing to look at).
func TypeByName(name string) triage.MediaType {
	mime := map[string]string{
		".jpg": triage.MIMEJPEG, ".jpeg": triage.MIMEJPEG, ".png": triage.MIMEPNG, ".gif": triage.MIMEGIF,
		".heic": triage.MIMEHEIC, ".webp": triage.MIMEWebP, ".mp4": "video/mp4", ".m4v": "video/mp4", ".mov": "video/quicktime",
	}[strings.ToLower(path.Ext(name))]
	if mime == "" {
		mime = triage.MIMEUnknown
	}
	return triage.MediaType{MIME: mime, Kind: triage.KindUnknown}
}

func cmpOr(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// content visits m with the content of zip entry i, or with the reason
// it is not read. The error is visit's or ctx's.
func (u *ufdr) content(m *container.Member, i int) error {
	f := u.z.Files[i]
	if f.UncompressedSize64 <= math.MaxInt64 {
		m.Size = int64(f.UncompressedSize64)
	}
	if perr := u.z.Problem(i); perr != nil {
		m.Err = errors.Join(perr, m.Err)
		return u.visitPlain(m)
	}
	if u.total += m.Size; u.total > u.lim.MaxTotalBytes {
		m.Err = errors.Join(triage.Errorf(triage.ETOOLARGE, "the UFDR's files are over the limit of %d bytes for one input: not read", u.lim.MaxTotalBytes), m.Err)
		return u.visitPlain(m)
	}
	rc, err := f.Open()
	if err != nil {
		m.Err = errors.Join(triage.Errorf(triage.EINVALID, "zip: %v", err), m.Err)
		return u.visitPlain(m)
	}
	defer rc.Close()
	if f.Method == zip.Store {
		// Stored: the bytes lie in the UFDR in one piece, for random
		// access and for the examiner.
		if off, err := f.DataOffset(); err == nil {
			m.ReaderAt = io.NewSectionReader(u.r, off, m.Size)
			m.Offset, m.Length = off, m.Size
		}
	}
	compressed := int64(-1)
	if f.CompressedSize64 <= math.MaxInt64 {
		compressed = int64(f.CompressedSize64)
	}
	return u.x.Member(m, rc, compressed)
}

// visitPlain visits a member without content.
func (u *ufdr) visitPlain(m *container.Member) error {
	u.plain++
	return u.visit(m, nil)
}
