// Package formats reads and writes the hash-set formats labs receive:
// Project VIC VICS JSON (1.x and 2.0, hash-set and case shapes, US, UK/CAID
// and Default profiles), NIST NSRL RDS 2.x text (also straight from the zip),
// plain hash lists (one per line, md5sum, BSD, hashdeep), X-Ways text sets,
// INTERPOL ICSE CSV, NCMEC XML, ThreatExchange / HMA PDQ CSV and
// pdq-photo-hasher output, StopNCII JSON, HashKeeper, EnCase .hash and the
// legacy UK C4All XML. NSRL RDS v3 (SQLite) lives in the subpackage rds3 so
// that only programs that need it link a SQLite engine.
//
// Every reader streams: real sets hold 30M+ records and none is ever loaded
// whole. Every reader is defensive: lines, fields, nesting and record counts
// are bounded; a malformed record becomes a *triage.RecordError with its
// line or record number, and the reader goes on with the next one.
package formats

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
)

// Format names a hash-set file format, as spelled on the command line.
type Format string

// The formats. Each reader file registers its format.
const (
	VICS       Format = "vics"       // Project VIC VICS JSON 1.x / 2.0, CAID (VICS UK profile), NIST CAID-format JSON
	NSRL2      Format = "nsrl-rds2"  // NIST NSRL RDS 2.x NSRLFile.txt (or the zip holding it)
	NSRL3      Format = "nsrl-rds3"  // NIST NSRL RDS v3 SQLite (package rds3)
	Plain      Format = "plain"      // one hash per line, md5sum/sha*sum, BSD "MD5 (f) = h", hashdeep
	XWays      Format = "xways"      // X-Ways text hash set: first line names the hash type
	ICSE       Format = "icse"       // INTERPOL ICSE CSV export (';'-separated)
	NCMEC      Format = "ncmec"      // NCMEC hash-sharing XML (queryResult)
	PDQCSV     Format = "pdq"        // ThreatExchange / HMA CSV, pdq-photo-hasher output, keyed PDQ output
	StopNCII   Format = "stopncii"   // StopNCII FetchHashes JSON
	HashKeeper Format = "hashkeeper" // NDIC HashKeeper .hsh / .hke
	EnCase     Format = "encase"     // EnCase v4-v6 binary .hash
	C4All      Format = "c4all"      // legacy UK C4All / C4P XML (UTF-16)
)

// Options control reading.
type Options struct {
	// Format forces the format; "" detects it from the content.
	Format Format
	// Algo says what the hashes of a plain list are where their length is
	// ambiguous (64 hex digits are SHA-256 or PDQ). Zero: decide by length
	// and fail on ambiguity with an error that asks for it.
	Algo triage.Algo
	// Scheme names the category scheme for integer categories. "" takes it
	// from the file (the VICS profile: US -> vic-us, UK -> caid) or vic-us.
	Scheme string
	// AssumePDQQuality, when 1-100, is the quality given to PDQ hashes whose
	// source records none (the legacy pdq-photo-hasher output, plain PDQ
	// lists, ...). Zero leaves them at -1, unknown: the matcher then
	// matches them like hashes of good quality (it skips only entries
	// whose recorded quality is under its minimum).
	AssumePDQQuality int
	// MaxLineBytes bounds one line or one record (default 1 MiB).
	MaxLineBytes int
	// MaxDepth bounds JSON/XML nesting (default 64).
	MaxDepth int
}

func (o Options) maxLine() int {
	if o.MaxLineBytes > 0 {
		return o.MaxLineBytes
	}
	return 1 << 20
}

func (o Options) maxDepth() int {
	if o.MaxDepth > 0 {
		return o.MaxDepth
	}
	return 64
}

// Source is an open hash-set file.
type Source interface {
	triage.EntryReader
	// Format is the format being read.
	Format() Format
	// Meta is what the file says about the set as a whole (name, version,
	// profile, case id, ...), as far as the format records it.
	Meta() map[string]string
	// Close releases the file.
	Close() error
}

// format describes one registered format.
type format struct {
	name Format
	// rank orders detection: lower runs first (binary signatures before
	// structured text before plain lists).
	rank int
	// sniff reports whether head (the first SniffLen bytes, BOM removed
	// and UTF-16 decoded) and the file name look like this format.
	sniff func(head []byte, name string) bool
	// open returns a reader over r, which yields the whole file.
	open func(r io.Reader, opt Options) (Source, error)
}

var registry = map[Format]format{}

// register adds a format; reader files call it from init.
func register(f format) {
	if _, dup := registry[f.name]; dup {
		panic("formats: duplicate format " + string(f.name))
	}
	registry[f.name] = f
}

// Formats lists the registered formats, sorted.
func Formats() []Format {
	var fs []Format
	for f := range registry {
		fs = append(fs, f)
	}
	sort.Slice(fs, func(i, j int) bool { return fs[i] < fs[j] })
	return fs
}

// ParseFormat checks a format name from the command line.
func ParseFormat(s string) (Format, error) {
	f := Format(strings.ToLower(strings.TrimSpace(s)))
	if _, ok := registry[f]; ok || f == NSRL3 {
		return f, nil
	}
	names := make([]string, 0, len(registry))
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return "", triage.Errorf(triage.EINVALID, "unknown format %q (known: %s)", s, strings.Join(names, ", "))
}

// SniffLen is how much of a file Detect looks at.
const SniffLen = 8 << 10

// Detect decides the format of a file from its first bytes and its name.
// It returns an EINVALID error naming the candidates when it cannot decide,
// so the user can pass --format.
func Detect(head []byte, name string) (Format, error) {
	head = normalizeHead(head)
	fs := make([]format, 0, len(registry))
	for _, f := range registry {
		fs = append(fs, f)
	}
	sort.Slice(fs, func(i, j int) bool {
		return fs[i].rank < fs[j].rank || fs[i].rank == fs[j].rank && fs[i].name < fs[j].name
	})
	for _, f := range fs {
		if f.sniff != nil && f.sniff(head, filepath.Base(name)) {
			return f.name, nil
		}
	}
	if bytes.HasPrefix(head, []byte("SQLite format 3\x00")) {
		return NSRL3, nil
	}
	return "", triage.Errorf(triage.EINVALID, "%s: cannot tell the hash-set format; pass --format (one of %s)", name, formatList())
}

func formatList() string {
	var s []string
	for _, f := range Formats() {
		s = append(s, string(f))
	}
	return strings.Join(s, ", ")
}

// normalizeHead strips a UTF-8 BOM and turns UTF-16 text into UTF-8 so that
// sniffers see text as text.
func normalizeHead(b []byte) []byte {
	switch {
	case bytes.HasPrefix(b, []byte{0xef, 0xbb, 0xbf}):
		return b[3:]
	case bytes.HasPrefix(b, []byte{0xff, 0xfe}), bytes.HasPrefix(b, []byte{0xfe, 0xff}):
		return decodeUTF16(b)
	}
	return b
}

// decodeUTF16 decodes UTF-16 with a BOM into UTF-8, leniently (a trailing
// odd byte is dropped, unpaired surrogates become U+FFFD).
func decodeUTF16(b []byte) []byte {
	be := b[0] == 0xfe
	b = b[2:]
	var out bytes.Buffer
	var hi rune
	for i := 0; i+1 < len(b); i += 2 {
		var u rune
		if be {
			u = rune(b[i])<<8 | rune(b[i+1])
		} else {
			u = rune(b[i+1])<<8 | rune(b[i])
		}
		switch {
		case u >= 0xd800 && u < 0xdc00:
			if hi != 0 {
				out.WriteRune(0xfffd)
			}
			hi = u
			continue
		case u >= 0xdc00 && u < 0xe000 && hi != 0:
			u = (hi-0xd800)<<10 + (u - 0xdc00) + 0x10000
		case u >= 0xdc00 && u < 0xe000:
			u = 0xfffd
		}
		if hi != 0 && u < 0x10000 {
			out.WriteRune(0xfffd)
		}
		hi = 0
		out.WriteRune(u)
	}
	return out.Bytes()
}

// NewReader returns a reader for a stream in a known format (every format
// but NSRL3, which needs a file).
func NewReader(r io.Reader, opt Options) (Source, error) {
	if opt.Format == "" {
		br := bufio.NewReaderSize(r, SniffLen)
		head, _ := br.Peek(SniffLen)
		f, err := Detect(head, "")
		if err != nil {
			return nil, err
		}
		opt.Format, r = f, br
	}
	f, ok := registry[opt.Format]
	if !ok {
		return nil, triage.Errorf(triage.EINVALID, "format %s cannot be read from a stream", opt.Format)
	}
	if opt.AssumePDQQuality < 0 || opt.AssumePDQQuality > 100 {
		return nil, triage.Errorf(triage.EINVALID, "assumed PDQ quality %d: want 1-100 (0: unknown)", opt.AssumePDQQuality)
	}
	src, err := f.open(r, opt)
	if err != nil || opt.AssumePDQQuality == 0 {
		return src, err
	}
	return &assumedQuality{Source: src, q: opt.AssumePDQQuality}, nil
}

// assumedQuality gives PDQ hashes without a quality the assumed one.
type assumedQuality struct {
	Source
	q int
}

func (a *assumedQuality) Next() (triage.Entry, error) {
	e, err := a.Source.Next()
	if err == nil && e.Algos.Has(triage.AlgoPDQ) && e.PDQQuality < 0 {
		e.PDQQuality = a.q
	}
	return e, err
}

// Open opens a hash-set file. A zip archive is opened and the hash-set file
// inside it read (for NSRL RDS 2.x, NSRLFile.txt). A HashKeeper .hsh or .hke
// file is read with its pair (OpenHashKeeper). NSRL RDS v3 databases are
// opened by package rds3; Open returns an error pointing there.
func Open(path string, opt Options) (Source, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, triage.Errorf(triage.EINVALID, "open hash set: %v", err)
	}
	head := make([]byte, SniffLen)
	n, _ := io.ReadFull(f, head)
	head = head[:n]
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, triage.Errorf(triage.EINVALID, "open hash set: %v", err)
	}
	if bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		src, err := openZip(f, path, opt)
		if err != nil {
			f.Close()
		}
		return src, err
	}
	if opt.Format == "" {
		if opt.Format, err = Detect(head, path); err != nil {
			f.Close()
			return nil, err
		}
	}
	switch opt.Format {
	case NSRL3:
		f.Close()
		return nil, triage.Errorf(triage.EINVALID, "%s is an NSRL RDS v3 SQLite database: open it with package rds3", path)
	case HashKeeper:
		// The .hke file next to the .hsh describes its sets (names,
		// notable or not): read as a pair, from either file's name.
		f.Close()
		return OpenHashKeeper(path, opt)
	}
	src, err := NewReader(f, opt)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &fileSource{Source: src, f: f}, nil
}

// fileSource closes the file after the reader.
type fileSource struct {
	Source
	f *os.File
}

func (s *fileSource) Close() error {
	err := s.Source.Close()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// recordErr builds a *triage.RecordError.
func recordErr(pos int64, field string, format string, args ...any) error {
	return &triage.RecordError{Pos: pos, Field: field, Err: fmt.Errorf(format, args...)}
}
