package phone

import (
	"bufio"
	"context"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/container"
)

// The report.xml of a UFDR, as far as Winnow reads it (element and
// attribute names as public parsers and published samples show them:
// SEilers/UFEDLib's MetaData/TaggedFiles.cs, DFIRScience/UFDR2DIR, the
// report.xml excerpts in the ALEAPP issue tracker):
//
//	<project xmlns="http://pa.cellebrite.com/report/2.0" ...>
//	  <sourceExtractions>
//	    <extractionInfo id="0" name="Logical" type="..." />
//	  </sourceExtractions>
//	  <taggedFiles>
//	    <file fs="..." fsid="..." path="/private/var/.../IMG_0001.JPG" name="IMG_0001.JPG"
//	          size="215418" id="b231534c-..." extractionId="0" deleted="Intact" embedded="false" ...>
//	      <accessInfo>
//	        <timestamp name="CreationTime" formattedTimestamp="...">2020-08-08T15:50:58.000+00:00</timestamp>
//	        <timestamp name="ModifyTime">...</timestamp>  (also AccessTime, ChangeTime)
//	      </accessInfo>
//	      <metadata section="File">
//	        <item name="Local Path"><![CDATA[files\Image\IMG_0001.JPG]]></item>
//	        <item name="SHA256"><![CDATA[...]]></item>
//	        <item name="MD5"><![CDATA[...]]></item>
//	      </metadata>
//	      <metadata section="MetaData">...</metadata>
//	    </file>
//	  </taggedFiles>
//	  <decodedData>...</decodedData>
//	</project>
//
// Everything else (decoded chats, contacts, other metadata sections,
// unknown elements and namespaces) is skipped as it streams past.

// File is one <file> of a report's taggedFiles.
type File struct {
	// Path is the file's path on the device as recorded; Name its name.
	Path, Name string
	// FS names the file system (or extraction source) that held it, ID
	// is its id in the report, Extraction the id of the extraction that
	// found it and ExtractionName that extraction's name, when the
	// report's sourceExtractions names it.
	FS, ID, Extraction, ExtractionName string
	// Deleted is the deletion state as recorded: "Intact", "Deleted",
	// "Trash", "Unknown"...
	Deleted string
	// Size is the recorded size, -1 when there is none.
	Size  int64
	Times container.Times
	// LocalPath is where the content lies in the UFDR zip ("files\Image\
	// IMG_0001.JPG", backslashes as recorded); empty when the report holds
	// no content for the file.
	LocalPath string
	// Digests are those the report records; a zero field is unknown.
	Digests triage.Digests
	// Err is a problem with the record itself (a malformed digest or
	// size); what could be read stands.
	Err error
}

// IsDeleted reports whether the file's deletion state says it was deleted
// on the device (deleted, or in a trash folder).
func (f *File) IsDeleted() bool {
	return strings.EqualFold(f.Deleted, "Deleted") || strings.EqualFold(f.Deleted, "Trash")
}

// Extraction is one <extractionInfo> of a report.
type Extraction struct {
	ID, Name, Type string
}

// ReportLimits bound what reading one report.xml may cost; a zero field
// means its default.
type ReportLimits struct {
	// MaxToken bounds one XML token: an element's start tag with its
	// attributes, a run of text or CDATA (default 1 MiB).
	MaxToken int64
	// MaxDepth bounds element nesting (default 64).
	MaxDepth int
	// MaxExtractions bounds the extractions remembered (default 64).
	MaxExtractions int
}

func (l ReportLimits) withDefaults() ReportLimits {
	if l.MaxToken <= 0 {
		l.MaxToken = 1 << 20
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = 64
	}
	if l.MaxExtractions <= 0 {
		l.MaxExtractions = 64
	}
	return l
}

// maxValue bounds the text kept of one value Winnow reads (a timestamp, a
// digest, a local path); longer text is cut, and for a digest or a time an
// error on the file.
const maxValue = 64 << 10

// ErrReportToken is wrapped by ReadReport's error when one XML token is
// over ReportLimits.MaxToken.
var ErrReportToken = errors.New("an XML token is over the size limit")

// ReadReport streams a UFDR report.xml from r, with memory bounded by lim
// whatever its size, and calls onFile for each file of its taggedFiles, in
// order (the *File is valid only during the call). Extractions are
// collected as they appear (reports list them before the files). It
// returns the first error of onFile as it is, ctx's error, or an EINVALID
// error for a report that is not well-formed XML or breaks a limit; the
// files visited before stand.
func ReadReport(ctx context.Context, r io.Reader, lim ReportLimits, onFile func(*File) error) ([]Extraction, error) {
	lim = lim.withDefaults()
	g := &guard{r: bufio.NewReaderSize(r, 64<<10), max: lim.MaxToken}
	d := xml.NewDecoder(g)
	p := parser{lim: lim}
	for n := 0; ; n++ {
		if n&1023 == 0 && ctx.Err() != nil {
			return p.extractions, ctx.Err()
		}
		g.mark = g.pos
		tok, err := d.Token()
		switch {
		case err == io.EOF:
			if p.depth != 0 {
				return p.extractions, triage.Errorf(triage.EINVALID, "report.xml: unexpected end")
			}
			return p.extractions, nil
		case errors.Is(err, ErrReportToken):
			return p.extractions, triage.Errorf(triage.EINVALID, "report.xml: %v (over %d bytes) at byte %d", ErrReportToken, lim.MaxToken, g.pos)
		case err != nil:
			return p.extractions, triage.Errorf(triage.EINVALID, "report.xml: %v", err)
		}
		if err := p.token(tok, onFile); err != nil {
			return p.extractions, err
		}
	}
}

// parser is the state of one ReadReport: the open elements and the file
// being read.
type parser struct {
	lim         ReportLimits
	depth       int
	stack       []string // local names of the open elements
	extractions []Extraction
	file        *File  // the <file> being read, nil outside one
	fileDepth   int    // depth of its element
	section     string // the open <metadata>'s section
	value       string // what the open value element (timestamp, item) is: "" for none
	text        strings.Builder
	fallback    string // a timestamp's formattedTimestamp attribute
}

func (p *parser) token(tok xml.Token, onFile func(*File) error) error {
	switch t := tok.(type) {
	case xml.StartElement:
		if p.depth++; p.depth > p.lim.MaxDepth {
			return triage.Errorf(triage.EINVALID, "report.xml: elements nested over %d deep", p.lim.MaxDepth)
		}
		parent := ""
		if len(p.stack) > 0 {
			parent = p.stack[len(p.stack)-1]
		}
		p.stack = append(p.stack, t.Name.Local)
		p.start(t, parent)
	case xml.CharData:
		if p.value != "" && p.text.Len() < maxValue {
			p.text.Write(t[:min(len(t), maxValue-p.text.Len())])
		}
	case xml.EndElement:
		p.depth--
		p.stack = p.stack[:len(p.stack)-1]
		return p.end(t, onFile)
	}
	return nil
}

func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

func (p *parser) start(t xml.StartElement, parent string) {
	switch {
	case t.Name.Local == "extractionInfo" && p.file == nil:
		if len(p.extractions) < p.lim.MaxExtractions {
			p.extractions = append(p.extractions, Extraction{ID: attr(t, "id"), Name: attr(t, "name"), Type: attr(t, "type")})
		}
	case t.Name.Local == "file" && parent == "taggedFiles" && p.file == nil:
		f := &File{Path: attr(t, "path"), Name: attr(t, "name"), FS: attr(t, "fs"), ID: attr(t, "id"),
			Extraction: attr(t, "extractionId"), Deleted: attr(t, "deleted"), Size: -1}
		if s := attr(t, "size"); s != "" {
			n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			if err != nil || n < 0 {
				f.Err = errors.Join(f.Err, triage.Errorf(triage.EINVALID, "report.xml records a size of %.40q", s))
			} else {
				f.Size = n
			}
		}
		p.file, p.fileDepth = f, p.depth
	case p.file == nil:
	case t.Name.Local == "metadata":
		p.section = attr(t, "section")
	case t.Name.Local == "timestamp" && parent == "accessInfo":
		p.begin("time:"+attr(t, "name"), attr(t, "formattedTimestamp"))
	case t.Name.Local == "item" && parent == "metadata" && p.section == "File":
		p.begin("item:"+attr(t, "name"), attr(t, "value"))
	}
}

// begin starts reading a value element's text.
func (p *parser) begin(what, fallback string) {
	p.value, p.fallback = what, fallback
	p.text.Reset()
}

func (p *parser) end(t xml.EndElement, onFile func(*File) error) error {
	f := p.file
	switch {
	case f == nil:
	case p.depth+1 == p.fileDepth:
		p.file, p.section, p.value = nil, "", ""
		for _, e := range p.extractions {
			if e.ID == f.Extraction {
				f.ExtractionName = e.Name
				break
			}
		}
		return onFile(f)
	case t.Name.Local == "metadata":
		p.section = ""
	case p.value != "" && (t.Name.Local == "timestamp" || t.Name.Local == "item"):
		v, alt := strings.TrimSpace(p.text.String()), strings.TrimSpace(p.fallback)
		if v == "" {
			v, alt = alt, ""
		}
		p.setValue(f, p.value, v, alt)
		p.value = ""
	}
	return nil
}

// setValue records one timestamp or File-section item on f; alt is the
// value an attribute gives as well (a timestamp's formattedTimestamp),
// tried when v cannot be read.
func (p *parser) setValue(f *File, what, v, alt string) {
	if v == "" {
		return
	}
	kind, name, _ := strings.Cut(what, ":")
	if kind == "time" {
		var dst *time.Time
		switch name {
		case "CreationTime":
			dst = &f.Times.Created
		case "ModifyTime":
			dst = &f.Times.Modified
		case "AccessTime":
			dst = &f.Times.Accessed
		case "ChangeTime":
			dst = &f.Times.Changed
		default:
			return
		}
		t, err := parseTime(v)
		if err != nil && alt != "" {
			t, err = parseTime(alt)
		}
		if err != nil {
			f.Err = errors.Join(f.Err, triage.Errorf(triage.EINVALID, "report.xml records a %s of %.40q", name, v))
			return
		}
		*dst = t
		return
	}
	switch strings.ToUpper(strings.ReplaceAll(name, " ", "")) {
	case "LOCALPATH":
		f.LocalPath = v
	case "MD5":
		f.Err = errors.Join(f.Err, setDigest(f.Digests.MD5[:], "MD5", v))
	case "SHA1":
		f.Err = errors.Join(f.Err, setDigest(f.Digests.SHA1[:], "SHA-1", v))
	case "SHA256":
		f.Err = errors.Join(f.Err, setDigest(f.Digests.SHA256[:], "SHA-256", v))
	}
}

// setDigest decodes hex digest v into dst.
func setDigest(dst []byte, name, v string) error {
	v = strings.ReplaceAll(v, "-", "")
	if hex.DecodedLen(len(v)) != len(dst) {
		return triage.Errorf(triage.EINVALID, "report.xml records an %s of %.80q, not a digest", name, v)
	}
	if _, err := hex.Decode(dst, []byte(v)); err != nil {
		clear(dst)
		return triage.Errorf(triage.EINVALID, "report.xml records an %s of %.80q, not a digest", name, v)
	}
	return nil
}

// timeLayouts are the timestamp forms reports use: ISO 8601 with an
// offset, or without one (taken as UTC).
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999"}

func parseTime(v string) (time.Time, error) {
	var err error
	for _, l := range timeLayouts {
		var t time.Time
		if t, err = time.Parse(l, v); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}

// guard is the decoder's input: it fails a read once more than max bytes
// have gone by since mark (the start of the current token), so that one
// huge token cannot grow the decoder's buffers without bound.
type guard struct {
	r         *bufio.Reader
	pos, mark int64
	max       int64
}

func (g *guard) ReadByte() (byte, error) {
	if g.pos-g.mark >= g.max {
		return 0, ErrReportToken
	}
	b, err := g.r.ReadByte()
	if err == nil {
		g.pos++
	}
	return b, err
}

func (g *guard) Read(b []byte) (int, error) {
	room := g.max - (g.pos - g.mark)
	if room <= 0 {
		return 0, ErrReportToken
	}
	if int64(len(b)) > room {
		b = b[:room]
	}
	n, err := g.r.Read(b)
	g.pos += int64(n)
	return n, err
}
