package formats

// NCMEC hash-sharing API v2 XML reader (FORMATS.md §4.2).
//
// A page is a <queryResult> with <images> and <videos> sections holding
// <image>/<video> records and <deletedImage>/<deletedVideo> tombstones,
// then <paging><next>. Each record becomes one entry:
//
//   - <id> -> ID; <classification> -> Category in the industry scheme (or
//     Options.Scheme), by code: "A1" -> industry:A1; a code the scheme does
//     not define is a RecordError; empty is uncategorised.
//   - <fingerprints>: <md5>, <sha1>, <sha256> and <pdq> -> hashes, <pdna> ->
//     PhotoDNA, unchanged; other fingerprint types (NETCLEAN, VIDENTIFIER,
//     TMK_PDQF, ...) go into Extra as "fingerprints.<name>".
//   - Extra["element"] is the record's element name (image, video,
//     deletedImage, deletedVideo). Every other child goes into Extra under
//     its name: a text-only child as its text, with its attributes as
//     "<name>@<attribute>" (<member id="42">Example</member> gives "member"
//     = "Example" and "member@id" = "42"); a child with children of its own
//     (feedback) as compact JSON, attributes as "@name" keys, text as
//     "#text"; a child that repeats as a JSON array. Attributes of the
//     record element itself are "@<name>".
//   - Deletions: a <deletedImage>/<deletedVideo> tombstone says NCMEC
//     withdrew the record with that <id>. It is returned as an entry with
//     the ID, no hashes and Extra["winnow:deleted"] = "true" (IsDeletion
//     reports it), not validated: an importer removes what it holds under
//     that ID. A tombstone without an <id> is a RecordError.
//
// Pos is the record's 1-based number in the page. Meta holds "scheme",
// "namespace", the section attributes ("images@count",
// "images@maxTimestamp", "videos@count", ...), "next" (the paging URL to
// fetch the next page with) and any other child of queryResult under its
// name; it is final once Next has returned io.EOF.
//
// A record with a bad field is a RecordError naming the record's number,
// the field and its line. Input that is not well-formed XML, ends inside
// the document, nests deeper than MaxDepth or has a record larger than
// MaxLineBytes ends the read with a fatal error giving the line. Only XML's
// predefined entities and character references are expanded; a DTD is
// never read.

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
)

func init() {
	register(format{name: NCMEC, rank: rankXML, sniff: sniffNCMEC, open: openNCMEC})
}

func sniffNCMEC(head []byte, _ string) bool { return xmlRootName(head) == "queryResult" }

type ncmecReader struct {
	xs     *xmlStream
	opt    Options
	scheme *triage.Scheme
	meta   map[string]string
	held   int
	rec    int64
	err    error // sticky: io.EOF or a fatal error
}

func openNCMEC(r io.Reader, opt Options) (Source, error) {
	n := &ncmecReader{xs: newXMLStream(r, opt, "ncmec"), opt: opt, meta: map[string]string{}}
	name := triage.SchemeIndustry
	if opt.Scheme != "" {
		name = opt.Scheme
	}
	s, ok := triage.LookupScheme(name)
	if !ok {
		return nil, triage.Errorf(triage.EINVALID, "ncmec: unknown category scheme %q (known: %s)",
			name, strings.Join(triage.SchemeNames(), ", "))
	}
	n.scheme = s
	n.meta["scheme"] = s.Name
	root, err := n.xs.root("queryResult")
	if err != nil {
		return nil, err
	}
	if root.Name.Space != "" {
		n.meta["namespace"] = root.Name.Space
	}
	for _, a := range root.Attr {
		if !isXMLNS(a) {
			n.meta["@"+a.Name.Local] = a.Value
		}
	}
	return n, nil
}

func (n *ncmecReader) Format() Format          { return NCMEC }
func (n *ncmecReader) Meta() map[string]string { return maps.Clone(n.meta) }
func (n *ncmecReader) Close() error            { return nil }

func (n *ncmecReader) setMeta(key, val string) error {
	if n.held += len(key) + len(val); n.held > maxMetaBytes {
		return n.xs.errorf("page fields exceed %d bytes", maxMetaBytes)
	}
	n.meta[key] = val
	return nil
}

func (n *ncmecReader) Next() (triage.Entry, error) {
	if n.err != nil {
		return triage.Entry{}, n.err
	}
	e, err := n.next()
	if err != nil && !triage.IsRecordError(err) {
		n.err = err
	}
	return e, err
}

func (n *ncmecReader) next() (triage.Entry, error) {
	xs := n.xs
	for {
		t, err := xs.token()
		if err != nil {
			return triage.Entry{}, err
		}
		switch t := t.(type) {
		case nil:
			return triage.Entry{}, io.EOF
		case xml.StartElement:
			switch {
			case xs.depth == 2 && (t.Name.Local == "images" || t.Name.Local == "videos"):
				for _, a := range t.Attr {
					if !isXMLNS(a) {
						if err := n.setMeta(t.Name.Local+"@"+a.Name.Local, a.Value); err != nil {
							return triage.Entry{}, err
						}
					}
				}
			case xs.depth == 2:
				node, err := xs.tree(t)
				if err != nil {
					return triage.Entry{}, err
				}
				if err := n.section(node); err != nil {
					return triage.Entry{}, err
				}
			case xs.depth == 3:
				node, err := xs.tree(t)
				if err != nil {
					return triage.Entry{}, err
				}
				n.rec++
				return n.record(node, n.rec)
			default:
				return triage.Entry{}, xs.errorf("unexpected element <%s>", t.Name.Local)
			}
		}
	}
}

// section files a child of queryResult other than images and videos.
func (n *ncmecReader) section(node *xmlNode) error {
	if node.name == "paging" {
		for _, g := range node.groups() {
			key := "paging." + g.name
			if g.name == "next" {
				key = "next"
			}
			if err := n.setMeta(key, g.value()); err != nil {
				return err
			}
		}
		return nil
	}
	return n.setMeta(node.name, node.value())
}

func (n *ncmecReader) record(node *xmlNode, pos int64) (triage.Entry, error) {
	e := triage.NewEntry()
	e.Pos = pos
	e.SetExtra("element", node.name)
	deleted := strings.HasPrefix(strings.ToLower(node.name), "deleted")
	if deleted {
		e.SetExtra(ExtraDeleted, "true")
	}
	for _, a := range node.attrs {
		if err := setExtraOnce(&e, "@"+a.Name.Local, a.Value); err != nil {
			return triage.Entry{}, xmlRecordErr(node, pos, err)
		}
	}
	for _, g := range node.groups() {
		var err error
		switch strings.ToLower(g.name) {
		case "id":
			if err = g.single(); err == nil {
				e.ID = strings.TrimSpace(g.nodes[0].text())
				err = g.keepAttrs(&e)
			}
		case "classification":
			if err = g.single(); err == nil {
				e.Category, err = categoryCode(n.scheme, strings.TrimSpace(g.nodes[0].text()))
				if err == nil {
					err = g.keepAttrs(&e)
				}
			}
		case "fingerprints":
			if err = g.once(); err == nil {
				err = n.fingerprints(&e, g.nodes[0])
			}
		default:
			err = g.setExtra(&e, "")
		}
		if err != nil {
			return triage.Entry{}, xmlRecordErr(node, pos, err)
		}
	}
	if deleted {
		if e.ID == "" {
			return triage.Entry{}, recordErr(pos, "id", "missing: a deletion names the record it removes by id (line %d)", node.line)
		}
		return e, nil
	}
	if err := e.Validate(); err != nil {
		return triage.Entry{}, recordErr(pos, "", "%s (line %d)", triage.ErrorMessage(err), node.line)
	}
	return e, nil
}

// xmlRecordErr turns the error of a field of an XML record into a
// RecordError that names the field and the record's line.
func xmlRecordErr(node *xmlNode, pos int64, err error) error {
	var fe *fieldError
	if errors.As(err, &fe) {
		return recordErr(pos, fe.field, "%v (line %d)", fe.err, node.line)
	}
	return recordErr(pos, "", "%v (line %d)", err, node.line)
}

// fingerprints reads the hashes of a <fingerprints> element.
func (n *ncmecReader) fingerprints(e *triage.Entry, fp *xmlNode) error {
	for _, a := range fp.attrs {
		if err := setExtraOnce(e, "fingerprints@"+a.Name.Local, a.Value); err != nil {
			return err
		}
	}
	for _, g := range fp.groups() {
		f := vfNone
		switch strings.ToLower(g.name) {
		case "md5":
			f = vfMD5
		case "sha1":
			f = vfSHA1
		case "sha256":
			f = vfSHA256
		case "pdq":
			f = vfPDQ
		case "pdna":
			if err := g.single(); err != nil {
				return err
			}
			e.PhotoDNA = strings.TrimSpace(g.nodes[0].text())
			if err := g.keepAttrs(e, "fingerprints."); err != nil {
				return err
			}
			continue
		default:
			if err := g.setExtra(e, "fingerprints."); err != nil {
				return err
			}
			continue
		}
		if err := g.single(); err != nil {
			return err
		}
		if s := strings.TrimSpace(g.nodes[0].text()); s != "" {
			if err := setEntryHash(e, f, s); err != nil {
				return &fieldError{g.name, err}
			}
		}
		if err := g.keepAttrs(e, "fingerprints."); err != nil {
			return err
		}
	}
	return nil
}

// categoryCode looks a category code up in a scheme, ignoring case; "" is
// uncategorised.
func categoryCode(s *triage.Scheme, code string) (triage.Category, error) {
	if code == "" {
		return triage.Category{}, nil
	}
	if _, ok := s.Labels[code]; ok {
		return triage.Category{Scheme: s.Name, Code: code}, nil
	}
	for c := range s.Labels {
		if strings.EqualFold(c, code) {
			return triage.Category{Scheme: s.Name, Code: c}, nil
		}
	}
	return triage.Category{}, &fieldError{"classification", fmt.Errorf("category scheme %s has no code %q", s.Name, shortText(code))}
}

// fieldError is a record error in a named field.
type fieldError struct {
	field string
	err   error
}

func (e *fieldError) Error() string { return e.field + ": " + e.err.Error() }

// setExtraOnce records a field in Extra, refusing a second value.
func setExtraOnce(e *triage.Entry, key, val string) error {
	if _, dup := e.Extra[key]; dup {
		return &fieldError{key, errors.New("the field appears twice")}
	}
	e.SetExtra(key, val)
	return nil
}

// ---- streaming XML --------------------------------------------------------

// recordBudget bounds how much input one step of a decoder (one token, one
// record) may consume. JSON and XML decoders buffer a whole token or value,
// so without it a hostile file could make them hold any amount of memory.
type recordBudget struct {
	r     io.Reader
	limit int64
	used  int64
}

// budgetChunk caps one read, so that read-ahead stays small next to the
// budget.
const budgetChunk = 32 << 10

var errOverBudget = errors.New("over the record size limit")

func newRecordBudget(r io.Reader, opt Options) *recordBudget {
	return &recordBudget{r: r, limit: int64(opt.maxLine()) + budgetChunk}
}

func (b *recordBudget) Read(p []byte) (int, error) {
	if b.used >= b.limit {
		return 0, errOverBudget
	}
	if len(p) > budgetChunk {
		p = p[:budgetChunk]
	}
	n, err := b.r.Read(p)
	b.used += int64(n)
	return n, err
}

func (b *recordBudget) reset() { b.used = 0 }

// xmlStream walks an XML document token by token within the record budget
// and the depth limit, and reads records whole as small trees.
type xmlStream struct {
	format   string
	budget   *recordBudget
	dec      *xml.Decoder
	maxDepth int
	maxLine  int
	depth    int
	ended    bool
}

func newXMLStream(r io.Reader, opt Options, format string) *xmlStream {
	b := newRecordBudget(openTextStream(r), opt)
	dec := xml.NewDecoder(b)
	dec.CharsetReader = xmlCharset
	return &xmlStream{format: format, budget: b, dec: dec, maxDepth: opt.maxDepth(), maxLine: opt.maxLine()}
}

// xmlCharset accepts the encodings the text already arrives in (UTF-16 is
// transcoded before the decoder sees it) and ISO-8859-1.
func xmlCharset(label string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(strings.TrimSpace(label)) {
	case "utf-8", "utf8", "utf-16", "utf-16le", "utf-16be", "unicode", "us-ascii", "ascii":
		return r, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1":
		return &latin1Reader{r: r}, nil
	}
	return nil, fmt.Errorf("unsupported encoding %q", label)
}

// latin1Reader turns ISO-8859-1 into UTF-8.
type latin1Reader struct {
	r   io.Reader
	buf []byte
	out []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	for len(l.out) == 0 {
		if l.buf == nil {
			l.buf = make([]byte, 2048)
		}
		n, err := l.r.Read(l.buf)
		out := l.out[:0]
		for _, c := range l.buf[:n] {
			if c < 0x80 {
				out = append(out, c)
			} else {
				out = append(out, 0xc0|c>>6, 0x80|c&0x3f)
			}
		}
		l.out = out
		if n == 0 && err != nil {
			return 0, err
		}
	}
	n := copy(p, l.out)
	l.out = l.out[n:]
	return n, nil
}

// errorf returns a fatal error at the decoder's position.
func (x *xmlStream) errorf(format string, args ...any) error {
	line, col := x.dec.InputPos()
	return triage.Errorf(triage.EINVALID, "%s: line %d, column %d: %s", x.format, line, col, fmt.Sprintf(format, args...))
}

func (x *xmlStream) fail(err error) error {
	var se *xml.SyntaxError
	switch {
	case errors.Is(err, errOverBudget):
		return x.errorf("a record or value is larger than %d bytes (MaxLineBytes)", x.maxLine)
	case errors.As(err, &se):
		if strings.Contains(se.Msg, "unexpected EOF") {
			return triage.Errorf(triage.EINVALID, "%s: line %d: truncated: the input ends inside the document", x.format, se.Line)
		}
		return triage.Errorf(triage.EINVALID, "%s: line %d: not valid XML: %s", x.format, se.Line, se.Msg)
	case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
		return x.errorf("truncated: the input ends inside the document")
	}
	return x.errorf("%v", err)
}

// token returns the next token, keeping the depth; nil (without error) at
// the end of the input outside the root element. Each token has the whole
// budget.
func (x *xmlStream) token() (xml.Token, error) {
	x.budget.reset()
	return x.rawToken()
}

// rawToken is token without a fresh budget: the tokens of one record share
// one.
func (x *xmlStream) rawToken() (xml.Token, error) {
	for {
		t, err := x.dec.Token()
		if err == io.EOF && x.depth == 0 {
			return nil, nil // after the root element, or before any
		}
		if err != nil {
			return nil, x.fail(err)
		}
		switch tt := t.(type) {
		case xml.StartElement:
			if x.ended {
				return nil, x.errorf("a second root element <%s>", tt.Name.Local)
			}
			x.depth++
			if x.depth > x.maxDepth {
				return nil, x.errorf("nesting deeper than %d", x.maxDepth)
			}
		case xml.EndElement:
			x.depth--
			if x.depth == 0 {
				x.ended = true
			}
		case xml.CharData:
			if x.depth == 0 && len(bytes.TrimSpace(tt)) > 0 {
				return nil, x.errorf("text outside the root element")
			}
		}
		return t, nil
	}
}

// root reads up to the root element and checks its name.
func (x *xmlStream) root(want string) (xml.StartElement, error) {
	for {
		t, err := x.token()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := t.(type) {
		case nil:
			return xml.StartElement{}, x.errorf("no root element")
		case xml.StartElement:
			if t.Name.Local != want {
				return xml.StartElement{}, x.errorf("the root element is <%s>, want <%s>", t.Name.Local, want)
			}
			return t.Copy(), nil
		}
	}
}

// xmlNode is an element read whole: a record or a small section.
type xmlNode struct {
	name  string
	attrs []xml.Attr
	data  []byte // the text directly inside, concatenated
	kids  []*xmlNode
	line  int
}

// tree reads the element that start opened, to its end, within one
// budget: a record, however it is made up, takes at most MaxLineBytes.
func (x *xmlStream) tree(start xml.StartElement) (*xmlNode, error) {
	line, _ := x.dec.InputPos()
	root := &xmlNode{name: start.Name.Local, attrs: dataAttrs(start.Attr), line: line}
	stack := []*xmlNode{root}
	for {
		t, err := x.rawToken()
		if err != nil {
			return nil, err
		}
		top := stack[len(stack)-1]
		switch t := t.(type) {
		case nil:
			return nil, x.errorf("truncated: the input ends inside <%s>", root.name)
		case xml.StartElement:
			line, _ := x.dec.InputPos()
			n := &xmlNode{name: t.Name.Local, attrs: dataAttrs(t.Attr), line: line}
			top.kids = append(top.kids, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				return root, nil
			}
		case xml.CharData:
			top.data = append(top.data, t...)
		}
	}
}

// dataAttrs copies the attributes that are data, leaving out namespace
// declarations.
func dataAttrs(as []xml.Attr) []xml.Attr {
	var out []xml.Attr
	for _, a := range as {
		if !isXMLNS(a) {
			out = append(out, a)
		}
	}
	return out
}

func isXMLNS(a xml.Attr) bool {
	return a.Name.Space == "xmlns" || a.Name.Space == "" && a.Name.Local == "xmlns"
}

// text returns the element's own text.
func (n *xmlNode) text() string { return string(n.data) }

// leaf reports whether the element holds only text.
func (n *xmlNode) leaf() bool { return len(n.kids) == 0 }

// value renders an element for Extra or Meta: its text if it has no
// attributes and no children, else compact JSON.
func (n *xmlNode) value() string {
	if n.leaf() && len(n.attrs) == 0 {
		return n.text()
	}
	return string(n.appendJSON(nil))
}

// appendJSON renders an element as JSON: a string for text only, else an
// object of "@attribute" keys, child names (an array when a name repeats)
// and "#text" for non-blank text.
func (n *xmlNode) appendJSON(b []byte) []byte {
	if n.leaf() && len(n.attrs) == 0 {
		return appendJSONString(b, n.text())
	}
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, k)
		b = append(b, ':')
	}
	for _, a := range n.attrs {
		key("@" + a.Name.Local)
		b = appendJSONString(b, a.Value)
	}
	for _, g := range n.groups() {
		key(g.name)
		if len(g.nodes) == 1 {
			b = g.nodes[0].appendJSON(b)
			continue
		}
		b = append(b, '[')
		for i, k := range g.nodes {
			if i > 0 {
				b = append(b, ',')
			}
			b = k.appendJSON(b)
		}
		b = append(b, ']')
	}
	if t := strings.TrimSpace(n.text()); t != "" || n.leaf() {
		key("#text")
		if n.leaf() {
			t = n.text()
		}
		b = appendJSONString(b, t)
	}
	return append(b, '}')
}

// xmlGroup is the children of an element that share a name.
type xmlGroup struct {
	name  string
	nodes []*xmlNode
}

// groups returns the children grouped by name, in order of first
// appearance.
func (n *xmlNode) groups() []xmlGroup {
	var gs []xmlGroup
outer:
	for _, k := range n.kids {
		for i := range gs {
			if gs[i].name == k.name {
				gs[i].nodes = append(gs[i].nodes, k)
				continue outer
			}
		}
		gs = append(gs, xmlGroup{k.name, []*xmlNode{k}})
	}
	return gs
}

// value renders a group: one element's value, or a JSON array.
func (g xmlGroup) value() string {
	if len(g.nodes) == 1 {
		return g.nodes[0].value()
	}
	b := []byte{'['}
	for i, n := range g.nodes {
		if i > 0 {
			b = append(b, ',')
		}
		b = n.appendJSON(b)
	}
	return string(append(b, ']'))
}

// once refuses a field that appears more than once.
func (g xmlGroup) once() error {
	if len(g.nodes) > 1 {
		return &fieldError{g.name, errors.New("the field appears twice")}
	}
	return nil
}

// single refuses a field that appears more than once or has children.
func (g xmlGroup) single() error {
	if err := g.once(); err != nil {
		return err
	}
	if !g.nodes[0].leaf() {
		return &fieldError{g.name, errors.New("want text, got elements")}
	}
	return nil
}

// keepAttrs records the attributes of a single field element in Extra as
// "<prefix><name>@<attribute>".
func (g xmlGroup) keepAttrs(e *triage.Entry, prefix ...string) error {
	p := strings.Join(prefix, "")
	for _, a := range g.nodes[0].attrs {
		if err := setExtraOnce(e, p+g.name+"@"+a.Name.Local, a.Value); err != nil {
			return err
		}
	}
	return nil
}

// setExtra records a group in Extra under prefix+name: a single text-only
// element as its text with its attributes beside it, anything else as JSON.
func (g xmlGroup) setExtra(e *triage.Entry, prefix string) error {
	if len(g.nodes) == 1 && g.nodes[0].leaf() {
		if err := setExtraOnce(e, prefix+g.name, g.nodes[0].text()); err != nil {
			return err
		}
		return g.keepAttrs(e, prefix)
	}
	return setExtraOnce(e, prefix+g.name, g.value())
}

// xmlRootName returns the local name of the first element in head, or "".
func xmlRootName(head []byte) string {
	h := head
	for {
		h = bytes.TrimLeft(h, " \t\r\n")
		if len(h) < 2 || h[0] != '<' {
			return ""
		}
		switch {
		case bytes.HasPrefix(h, []byte("<?")):
			i := bytes.Index(h, []byte("?>"))
			if i < 0 {
				return ""
			}
			h = h[i+2:]
		case bytes.HasPrefix(h, []byte("<!--")):
			i := bytes.Index(h, []byte("-->"))
			if i < 0 {
				return ""
			}
			h = h[i+3:]
		case bytes.HasPrefix(h, []byte("<!")):
			i := bytes.IndexByte(h, '>')
			if i < 0 {
				return ""
			}
			h = h[i+1:]
		default:
			h = h[1:]
			end := bytes.IndexAny(h, " \t\r\n/>")
			if end < 0 {
				return ""
			}
			name := h[:end]
			if i := bytes.IndexByte(name, ':'); i >= 0 {
				name = name[i+1:]
			}
			return string(name)
		}
	}
}
