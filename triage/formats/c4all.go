package formats

// Legacy UK C4All / C4P / C4M XML reader (FORMATS.md §2.3).
//
// The files are UTF-16LE with a byte-order mark and CRLF line ends; the
// text is transcoded to UTF-8 as it streams (UTF-8 files are read too). The
// root <ReportIndex version= source= dll=> holds one <Image> (pictures) or
// <Movie> (videos) per file. Each becomes one entry:
//
//   - <hash> -> MD5 (when it is missing, <picture>/<movie> if that is 32
//     hex digits); <id> -> ID; <fileSize> -> Size; <fullpath> (the original
//     path) -> Name.
//   - <category> -> Category in the caid scheme (or Options.Scheme), by
//     integer: 0 and empty are uncategorised, an integer the scheme does not
//     define is a RecordError.
//   - Extra["element"] is Image or Movie; every other child (path, picture
//     or movie, fileoffset, created, accessed, written, deleted (FILETIME
//     values), encaseHash, myDescription, physicalLocation, myUnique,
//     tagged, subCat, notes, bitDepth, aspectRatio, ...) goes into Extra
//     under its name with its text verbatim, empty or not.
//
// Pos is the record's 1-based number. Meta holds the ReportIndex attributes
// (version, source, dll) and "scheme"; "kind" is "known-good" once Next has
// returned io.EOF if every entry carried an ignorable category. Errors and
// bounds are as for NCMEC: a bad field is a RecordError with the record's
// number, the field and the line; malformed, truncated, too deep or too
// large input is a fatal error with the line.

import (
	"encoding/xml"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
)

func init() {
	register(format{name: C4All, rank: rankXML, sniff: sniffC4All, open: openC4All})
}

func sniffC4All(head []byte, _ string) bool { return xmlRootName(head) == "ReportIndex" }

type c4allReader struct {
	xs     *xmlStream
	opt    Options
	scheme *triage.Scheme
	meta   map[string]string
	held   int
	rec    int64
	kind   kindTracker
	err    error // sticky: io.EOF or a fatal error
}

func openC4All(r io.Reader, opt Options) (Source, error) {
	c := &c4allReader{xs: newXMLStream(r, opt, "c4all"), opt: opt, meta: map[string]string{}}
	name := triage.SchemeCAID
	if opt.Scheme != "" {
		name = opt.Scheme
	}
	s, ok := triage.LookupScheme(name)
	if !ok {
		return nil, triage.Errorf(triage.EINVALID, "c4all: unknown category scheme %q (known: %s)",
			name, strings.Join(triage.SchemeNames(), ", "))
	}
	c.scheme = s
	root, err := c.xs.root("ReportIndex")
	if err != nil {
		return nil, err
	}
	for _, a := range dataAttrs(root.Attr) {
		c.meta[a.Name.Local] = a.Value
	}
	c.meta["scheme"] = s.Name
	return c, nil
}

func (c *c4allReader) Format() Format          { return C4All }
func (c *c4allReader) Meta() map[string]string { return maps.Clone(c.meta) }
func (c *c4allReader) Close() error            { return nil }

func (c *c4allReader) Next() (triage.Entry, error) {
	if c.err != nil {
		return triage.Entry{}, c.err
	}
	e, err := c.next()
	if err != nil && !triage.IsRecordError(err) {
		c.err = err
		if err == io.EOF {
			if k := c.kind.kind(); k != "" {
				c.meta["kind"] = k
			}
		}
	}
	return e, err
}

func (c *c4allReader) next() (triage.Entry, error) {
	for {
		t, err := c.xs.token()
		if err != nil {
			return triage.Entry{}, err
		}
		switch t := t.(type) {
		case nil:
			return triage.Entry{}, io.EOF
		case xml.StartElement:
			node, err := c.xs.tree(t)
			if err != nil {
				return triage.Entry{}, err
			}
			c.rec++
			return c.record(node, c.rec)
		}
	}
}

func (c *c4allReader) record(node *xmlNode, pos int64) (triage.Entry, error) {
	e := triage.NewEntry()
	e.Pos = pos
	e.SetExtra("element", node.name)
	for _, a := range node.attrs {
		if err := setExtraOnce(&e, "@"+a.Name.Local, a.Value); err != nil {
			return triage.Entry{}, xmlRecordErr(node, pos, err)
		}
	}
	var hashSeen bool
	for _, g := range node.groups() {
		var err error
		typed := true
		switch strings.ToLower(g.name) {
		case "hash":
			if err = g.single(); err == nil {
				hashSeen = true
				if s := strings.TrimSpace(g.nodes[0].text()); s != "" {
					if herr := setEntryHash(&e, vfMD5, s); herr != nil {
						err = &fieldError{g.name, herr}
					}
				}
			}
		case "id":
			if err = g.single(); err == nil {
				e.ID = strings.TrimSpace(g.nodes[0].text())
			}
		case "filesize":
			if err = g.single(); err == nil {
				if s := strings.TrimSpace(g.nodes[0].text()); s != "" {
					n, perr := strconv.ParseInt(s, 10, 64)
					if perr != nil || n < 0 {
						err = &fieldError{g.name, fmt.Errorf("%q is not a size in bytes", shortText(s))}
					}
					e.Size = n
				}
			}
		case "fullpath":
			if err = g.single(); err == nil {
				e.Name = g.nodes[0].text()
			}
		case "category":
			if err = g.single(); err == nil {
				if s := strings.TrimSpace(g.nodes[0].text()); s != "" {
					n, perr := strconv.Atoi(s)
					switch {
					case perr != nil:
						err = &fieldError{g.name, fmt.Errorf("%q is not an integer", shortText(s))}
					default:
						cat, ok := c.scheme.FromInt(n)
						if !ok {
							err = &fieldError{g.name, fmt.Errorf("category scheme %s does not define %d (if the file uses another scheme, pass it with --scheme)", c.scheme.Name, n)}
						}
						e.Category = cat
					}
				}
			}
		default:
			typed = false
			err = g.setExtra(&e, "")
		}
		if err == nil && typed {
			err = g.keepAttrs(&e)
		}
		if err != nil {
			return triage.Entry{}, xmlRecordErr(node, pos, err)
		}
	}
	if !hashSeen {
		// Clees4All names the exported copy after its MD5.
		for _, k := range []string{"picture", "movie"} {
			if s := strings.TrimSpace(e.Extra[k]); len(s) == 32 {
				if err := setEntryHash(&e, vfMD5, s); err == nil {
					break
				}
			}
		}
	}
	if err := e.Validate(); err != nil {
		return triage.Entry{}, recordErr(pos, "hash", "%s (line %d)", triage.ErrorMessage(err), node.line)
	}
	c.kind.add(e.Category)
	return e, nil
}
