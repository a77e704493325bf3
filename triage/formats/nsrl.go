package formats

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"

	"github.com/winnow-forensics/winnow/triage"
)

// NIST NSRL RDS 2.x: NSRLFile.txt, quoted CSV with a header row and CRLF
// line ends (FORMATS.md §3.1):
//
//	"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"
//	"8E65...E3A0","6B70...B484","31490E05","setup.exe",18,1001,"189",""
//
// The RDS 1.5 column order ("SHA-1","FileName","FileSize","ProductCode",
// "OpSystemCode","MD4","MD5","CRC32","SpecialCode") is read too: columns are
// found by their header names. An entry gets the SHA-1 and MD5, FileName as
// Name and FileSize as Size; ProductCode, CRC32, OpSystemCode, SpecialCode
// (and MD4 in 1.5) go to Extra under their column names. ProductCode is not
// the ID: thousands of files share one product, and an ID identifies the
// content (it becomes a VICS MediaID on export). The
// product, OS and manufacturer tables (NSRLProd.txt, NSRLOS.txt,
// NSRLMfg.txt) are not joined: ProductCode and OpSystemCode are the keys
// into them, and an importer that wants product names reads them itself.
// The same hash appears once per product; merging is the importer's job.
// File names that are not UTF-8 are read as ISO-8859-1. Every entry is of
// kind known-good, and Meta has "kind": "known-good" (the NSRL lists known
// software, to be filtered out) and
// "layout" ("rds2" or "rds1.5").

// The exact headers of NSRLFile.txt, as md5deep and TSK detect them.
const (
	nsrlHeader2  = `"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"`
	nsrlHeader15 = `"SHA-1","FileName","FileSize","ProductCode","OpSystemCode","MD4","MD5","CRC32","SpecialCode"`
)

func init() {
	register(format{name: NSRL2, rank: rankHeader, sniff: sniffNSRL, open: openNSRL})
}

func sniffNSRL(head []byte, _ string) bool {
	line, _, _ := bytes.Cut(head, []byte("\n"))
	line = bytes.TrimRight(line, "\r")
	return string(line) == nsrlHeader2 || string(line) == nsrlHeader15
}

// Roles of the columns of a CSV header, for the readers that map columns
// by name.
const (
	colExtra = iota // kept verbatim in Extra under the column name
	colMD5
	colSHA1
	colSHA256
	colName
	colSize
	colID
)

type nsrlReader struct {
	csv  *csvReader
	cols columns
	meta map[string]string
	err  error
}

func openNSRL(r io.Reader, opt Options) (Source, error) {
	c := newCSVReader(r, ',', opt.maxLine())
	fields, _, err := c.next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, triage.Errorf(triage.EINVALID, "nsrl: empty file, want an NSRLFile.txt header")
		}
		return nil, fmt.Errorf("nsrl: line 1: %w", err)
	}
	n := &nsrlReader{csv: c, meta: map[string]string{"kind": "known-good"}}
	seen := map[string]bool{}
	for _, f := range fields {
		name := textString(f)
		role := colExtra
		switch name {
		case "SHA-1":
			role = colSHA1
		case "MD5":
			role = colMD5
		case "SHA-256":
			role = colSHA256
		case "FileName":
			role = colName
		case "FileSize":
			role = colSize
		}
		seen[name] = true
		n.cols.add(name, role)
	}
	if !seen["SHA-1"] || !seen["FileName"] || !seen["ProductCode"] {
		return nil, triage.Errorf(triage.EINVALID, "nsrl: line 1: not an NSRLFile.txt header (want %s)", nsrlHeader2)
	}
	switch c.lastLine {
	case nsrlHeader2:
		n.meta["layout"] = "rds2"
	case nsrlHeader15:
		n.meta["layout"] = "rds1.5"
	}
	return n, nil
}

func (n *nsrlReader) Format() Format          { return NSRL2 }
func (n *nsrlReader) Meta() map[string]string { return maps.Clone(n.meta) }
func (n *nsrlReader) Close() error            { return nil }

func (n *nsrlReader) Next() (triage.Entry, error) {
	if n.err != nil {
		return triage.Entry{}, n.err
	}
	fields, pos, err := n.csv.next()
	if err != nil {
		if !triage.IsRecordError(err) {
			if !errors.Is(err, io.EOF) {
				err = fmt.Errorf("nsrl: line %d: %w", pos, err)
			}
			n.err = err
		}
		return triage.Entry{}, err
	}
	if len(fields) != len(n.cols.header) {
		return triage.Entry{}, recordErr(pos, "", "%d fields, the header has %d", len(fields), len(n.cols.header))
	}
	e := triage.NewEntry()
	e.Pos = pos
	e.Kind = triage.SetKindKnownGood // NSRL lists known software
	if err := n.cols.fill(&e, fields); err != nil {
		return triage.Entry{}, err
	}
	if err := e.Validate(); err != nil {
		return triage.Entry{}, &triage.RecordError{Pos: pos, Err: err}
	}
	return e, nil
}

// columns maps the cells of a delimited record to entry fields by the
// roles of their columns.
type columns struct {
	header []string
	roles  []int
	// last holds the latest string of each ID or Extra column: such values
	// repeat from row to row (product and OS codes, set ids), and reusing
	// the string saves an allocation per cell.
	last []string
}

func (c *columns) add(name string, role int) {
	c.header = append(c.header, name)
	c.roles = append(c.roles, role)
	c.last = append(c.last, "")
}

// text returns cell i as a string, reusing the previous row's when equal.
func (c *columns) text(i int, f []byte) string {
	if string(f) == c.last[i] {
		return c.last[i]
	}
	s := textString(f)
	c.last[i] = s
	return s
}

// fill sets the entry fields of a record; cells beyond the header go to
// Extra as "column_N".
func (c *columns) fill(e *triage.Entry, fields [][]byte) error {
	for i, f := range fields {
		if i >= len(c.roles) {
			e.SetExtra("column_"+strconv.Itoa(i+1), textString(f))
			continue
		}
		if err := c.fillCell(e, i, f); err != nil {
			return err
		}
	}
	return nil
}

// fillCell sets the entry field for cell i. An empty hash or size is
// absent; a bad one is a *triage.RecordError.
func (c *columns) fillCell(e *triage.Entry, i int, f []byte) error {
	name := c.header[i]
	switch c.roles[i] {
	case colMD5:
		return setHashIfAny(e, triage.AlgoMD5, name, f)
	case colSHA1:
		return setHashIfAny(e, triage.AlgoSHA1, name, f)
	case colSHA256:
		return setHashIfAny(e, triage.AlgoSHA256, name, f)
	case colName:
		e.Name = textString(f)
	case colSize:
		f = bytes.TrimSpace(f)
		if len(f) == 0 {
			return nil
		}
		size, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil || size < 0 {
			return recordErr(e.Pos, name, "%s is not a file size", quoteShort(f))
		}
		e.Size = size
	case colID:
		e.ID = c.text(i, f)
	default:
		e.SetExtra(name, c.text(i, f))
	}
	return nil
}

// setHashIfAny is setHash for a field that may be empty.
func setHashIfAny(e *triage.Entry, a triage.Algo, field string, f []byte) error {
	if len(bytes.TrimSpace(f)) == 0 {
		return nil
	}
	return setHash(e, a, field, f)
}

// csvReader reads delimited records (RFC 4180 quoting, read leniently: a
// quote inside an unquoted field is literal, a stray quote inside a quoted
// field too) over a lineScanner, with bounded record size. A quoted field
// may span lines; one that is not closed within maxCSVLines lines or the
// byte bound is a *triage.RecordError for the line it started on, and
// reading resumes with the line after it, so one stray quote costs one
// record. Blank lines are skipped.
//
// It is written here rather than taken from encoding/csv because
// encoding/csv cannot bound a record (an unclosed quote makes it read the
// whole stream into memory) nor resume after one, and because it avoids
// copying fields on the hot path.
type csvReader struct {
	lines    *lineScanner
	sep      byte
	max      int
	lastLine string // the raw text of the header line (first record only)

	rec     []byte
	buf     []byte
	fields  [][]byte
	pending []pendingLine // lines pushed back after a failed multi-line record
	first   bool
}

type pendingLine struct {
	line []byte
	n    int64
	err  error
}

// maxCSVLines bounds how many lines one quoted field may span.
const maxCSVLines = 64

func newCSVReader(r io.Reader, sep byte, max int) *csvReader {
	return &csvReader{lines: newLineScanner(r, max), sep: sep, max: max, first: true}
}

// line returns the next physical line and its number.
func (c *csvReader) line() ([]byte, int64, error) {
	if len(c.pending) > 0 {
		p := c.pending[0]
		c.pending = c.pending[1:]
		return p.line, p.n, p.err
	}
	l, err := c.lines.next()
	return l, c.lines.n, err
}

// next returns the fields of the next record and the number of the line
// it starts on. The fields are only valid until the next call. Errors:
// io.EOF at the end, *triage.RecordError for an over-long or unclosed
// record (the next call goes on), anything else is a read error.
func (c *csvReader) next() ([][]byte, int64, error) {
	for {
		line, pos, err := c.line()
		if err != nil {
			return nil, pos, err
		}
		if len(line) == 0 {
			continue
		}
		if c.first {
			c.first = false
			c.lastLine = string(line)
		}
		if !c.split(line) {
			return c.fields, pos, nil
		}
		// An open quote: the record goes on over the next lines.
		c.rec = append(c.rec[:0], line...)
		var taken []pendingLine
		fail := func(why string) ([][]byte, int64, error) {
			c.pending = append(taken, c.pending...)
			return nil, pos, recordErr(pos, "", "quoted field not closed %s", why)
		}
		for len(taken) < maxCSVLines {
			l, n, err := c.line()
			if err != nil {
				if errors.Is(err, io.EOF) {
					return fail("at the end of the file")
				}
				if triage.IsRecordError(err) {
					taken = append(taken, pendingLine{n: n, err: err})
					return fail("before an over-long line")
				}
				return nil, pos, err
			}
			if len(c.rec)+1+len(l) > c.max {
				taken = append(taken, pendingLine{line: append([]byte(nil), l...), n: n})
				return fail(fmt.Sprintf("within %d bytes", c.max))
			}
			taken = append(taken, pendingLine{line: append([]byte(nil), l...), n: n})
			c.rec = append(c.rec, '\n')
			c.rec = append(c.rec, l...)
			if !c.split(c.rec) {
				return c.fields, pos, nil
			}
		}
		return fail(fmt.Sprintf("within %d lines", maxCSVLines))
	}
}

// split splits one record into c.fields and reports whether a quoted field
// is still open at its end. Fields point into line or c.buf.
func (c *csvReader) split(line []byte) (open bool) {
	c.fields = c.fields[:0]
	c.buf = c.buf[:0]
	i := 0
	for {
		var f []byte
		if i < len(line) && line[i] == '"' {
			i++
			start, simple := len(c.buf), true
			for {
				j := bytes.IndexByte(line[i:], '"')
				if j < 0 {
					return true
				}
				seg := line[i : i+j]
				i += j + 1
				atEnd := i == len(line) || line[i] == c.sep
				if simple && atEnd {
					f = seg
					break
				}
				simple = false
				c.buf = append(c.buf, seg...)
				if atEnd {
					f = c.buf[start:len(c.buf):len(c.buf)]
					break
				}
				// A doubled quote, or (leniently) a stray one: one literal quote.
				c.buf = append(c.buf, '"')
				if line[i] == '"' {
					i++
				}
			}
		} else {
			j := bytes.IndexByte(line[i:], c.sep)
			if j < 0 {
				j = len(line) - i
			}
			f = line[i : i+j : i+j]
			i += j
		}
		c.fields = append(c.fields, f)
		if i >= len(line) {
			return false
		}
		i++ // the separator
	}
}
