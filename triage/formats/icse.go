package formats

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
)

// INTERPOL ICSE CSV export (FORMATS.md §5.1): ';'-separated, a header row
// naming at least
//
//	MD5;SHA1;PhotoDNA;Image ID;Is distributed;Victim identified;Offender identified;
//	Series name;Number of submissions;File Available;Media Type;Baseline
//
// matched case-insensitively, in any order; rows may be shorter or longer
// than the header. MD5 and SHA1 become the hashes, PhotoDNA is carried
// through as written, Image ID is the ID and Series name the Series. The
// yes/no columns (y/yes/t/true/1, n/no/f/false/0, empty = not stated) set
// FlagDistributed, FlagVictimIdentified, FlagOffenderIdentified and
// FlagBaseline ("Baseline": INTERPOL baseline material, illegal in every
// member country — not known-good). Every other column (Number of
// submissions, File Available, Media Type, ...) goes to Extra under its
// header name; cells beyond the header under "column_N".
//
// Categories: an ICSE export carries none (tools treat every ICSE row as
// known material and give the set one category on import), so entries are
// uncategorised. Should a file have a "Category" column, its values are
// read in the scheme Options.Scheme names (integers through the scheme's
// VICS mapping, or a code of the scheme); without Options.Scheme such a
// file is refused, since nothing in it says which scheme its values use.

func init() {
	register(format{name: ICSE, rank: rankHeader, sniff: sniffICSE, open: openICSE})
}

func sniffICSE(head []byte, _ string) bool {
	line, _, _ := bytes.Cut(head, []byte("\n"))
	l := strings.ToLower(string(line))
	return strings.Contains(l, ";") && strings.Contains(l, "md5") &&
		strings.Contains(l, "image id") && strings.Contains(l, "victim identified")
}

// ICSE column roles beyond the shared ones.
const (
	icsePhotoDNA = 100 + iota
	icseSeries
	icseCategory
	icseFlag
)

type icseReader struct {
	csv    *csvReader
	cols   columns
	flags  []triage.EntryFlags // for icseFlag columns
	scheme *triage.Scheme
	meta   map[string]string
	err    error
}

func openICSE(r io.Reader, opt Options) (Source, error) {
	c := newCSVReader(r, ';', opt.maxLine())
	fields, _, err := c.next()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, triage.Errorf(triage.EINVALID, "icse: empty file, want a header row")
		}
		return nil, fmt.Errorf("icse: line 1: %w", err)
	}
	x := &icseReader{csv: c, meta: map[string]string{}}
	hasHash := false
	for _, f := range fields {
		name := strings.TrimSpace(textString(f))
		role, flag := colExtra, triage.EntryFlags(0)
		switch strings.ToLower(name) {
		case "md5":
			role, hasHash = colMD5, true
		case "sha1", "sha-1":
			role, hasHash = colSHA1, true
		case "sha256", "sha-256":
			role, hasHash = colSHA256, true
		case "photodna":
			role = icsePhotoDNA
		case "image id":
			role = colID
		case "series name":
			role = icseSeries
		case "category":
			role = icseCategory
		case "is distributed":
			role, flag = icseFlag, triage.FlagDistributed
		case "victim identified":
			role, flag = icseFlag, triage.FlagVictimIdentified
		case "offender identified":
			role, flag = icseFlag, triage.FlagOffenderIdentified
		case "baseline":
			role, flag = icseFlag, triage.FlagBaseline
		}
		x.cols.add(name, role)
		x.flags = append(x.flags, flag)
		if role == icseCategory && x.scheme == nil {
			if opt.Scheme == "" {
				return nil, triage.Errorf(triage.EINVALID,
					"icse: the file has a Category column and nothing says which scheme its values use: pass --scheme (one of %s)",
					strings.Join(triage.SchemeNames(), ", "))
			}
			s, ok := triage.LookupScheme(opt.Scheme)
			if !ok {
				return nil, triage.Errorf(triage.EINVALID, "icse: unknown category scheme %q (known: %s)", opt.Scheme, strings.Join(triage.SchemeNames(), ", "))
			}
			x.scheme = s
			x.meta["scheme"] = s.Name
		}
	}
	if !hasHash {
		return nil, triage.Errorf(triage.EINVALID, "icse: line 1: the header names no MD5 or SHA1 column")
	}
	return x, nil
}

func (x *icseReader) Format() Format          { return ICSE }
func (x *icseReader) Meta() map[string]string { return maps.Clone(x.meta) }
func (x *icseReader) Close() error            { return nil }

func (x *icseReader) Next() (triage.Entry, error) {
	if x.err != nil {
		return triage.Entry{}, x.err
	}
	fields, pos, err := x.csv.next()
	if err != nil {
		if !triage.IsRecordError(err) {
			if !errors.Is(err, io.EOF) {
				err = fmt.Errorf("icse: line %d: %w", pos, err)
			}
			x.err = err
		}
		return triage.Entry{}, err
	}
	e := triage.NewEntry()
	e.Pos = pos
	for i, f := range fields {
		if i >= len(x.cols.roles) {
			e.SetExtra("column_"+strconv.Itoa(i+1), textString(f))
			continue
		}
		name := x.cols.header[i]
		switch x.cols.roles[i] {
		case icsePhotoDNA:
			e.PhotoDNA = string(bytes.TrimSpace(f))
		case icseSeries:
			e.Series = textString(bytes.TrimSpace(f))
		case icseFlag:
			v, ok := parseYesNo(f)
			if !ok {
				return triage.Entry{}, recordErr(pos, name, "%s is not yes or no", quoteShort(f))
			}
			if v {
				e.Flags |= x.flags[i]
			}
		case icseCategory:
			c, err := categoryIn(x.scheme, f)
			if err != nil {
				return triage.Entry{}, recordErr(pos, name, "%w", err)
			}
			e.Category = c
		default:
			if err := x.cols.fillCell(&e, i, f); err != nil {
				return triage.Entry{}, err
			}
		}
	}
	e.ID = strings.TrimSpace(e.ID)
	if err := e.Validate(); err != nil {
		return triage.Entry{}, &triage.RecordError{Pos: pos, Err: err}
	}
	return e, nil
}

// parseYesNo reads a yes/no cell. An empty cell is false ("not stated").
func parseYesNo(b []byte) (v, ok bool) {
	b = bytes.TrimSpace(b)
	for _, w := range [...]string{"y", "yes", "t", "true", "1"} {
		if bytes.EqualFold(b, []byte(w)) {
			return true, true
		}
	}
	for _, w := range [...]string{"n", "no", "f", "false", "0", ""} {
		if bytes.EqualFold(b, []byte(w)) {
			return false, true
		}
	}
	return false, false
}

// categoryIn reads a category cell in scheme s: empty is uncategorised, an
// integer goes through the scheme's VICS mapping, anything else must be one
// of its codes.
func categoryIn(s *triage.Scheme, b []byte) (triage.Category, error) {
	v := strings.TrimSpace(string(b))
	if v == "" {
		return triage.Category{}, nil
	}
	if n, err := strconv.Atoi(v); err == nil {
		c, ok := s.FromInt(n)
		if !ok {
			return triage.Category{}, triage.Errorf(triage.EINVALID, "scheme %s has no category %d", s.Name, n)
		}
		return c, nil
	}
	c, err := triage.ParseCategory(s.Name + ":" + v)
	if err != nil {
		return triage.Category{}, err
	}
	return c, nil
}
