package formats

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/winnow-forensics/winnow/triage"
)

// Plain lists: one hash per line, in any of the shapes hashing tools print.
//
//	6B7053944681F9B77697AE85DEC5B484                  bare hash (any case, surrounding blanks allowed)
//	6b70...b484  dir/file.jpg                          md5sum, sha1sum, sha256sum (text mode)
//	6b70...b484 *dir/file.jpg                          the same in binary mode (Extra "mode": "binary")
//	\6b70...b484  dir\\odd\nname                       GNU escaped name (backslash, newline)
//	6b70...b484 dir/file.jpg                           md5 -r (one blank)
//	18 6b70...b484 dir/file.jpg                        md5deep with size
//	MD5 (dir/file.jpg) = 6b70...b484                   BSD / openssl (the tag names the algorithm)
//	%%%% HASHDEEP-1.0                                  hashdeep: the column header names the algorithms,
//	%%%% size,md5,sha256,filename                      "##" lines are comments, then rows
//
// Blank lines and lines starting with '#' are skipped; anything else that
// is not a hash line is a *triage.RecordError. The algorithm follows from
// the length: 32 hex digits MD5, 40 SHA-1. 64 hex digits are SHA-256 or
// PDQ, which nothing in a bare list tells apart: unless the line's own tag
// (BSD) or the file's header (hashdeep) decides, Options.Algo must say
// (triage.AlgoSHA256 or triage.AlgoPDQ), else the first such line is a
// fatal error. 16 hex digits are read as pHash only with Options.Algo
// triage.AlgoPHash.

func init() {
	register(format{name: Plain, rank: rankPlain, sniff: sniffPlain, open: openPlain})
}

// Detection ranks of this file's formats (FORMATS.md §6): binary signatures
// first, then exact CSV headers, then the X-Ways first-line type, then plain
// lists last.
const (
	rankBinary = 10  // EnCase signature
	rankHeader = 40  // exact CSV headers: NSRL, HashKeeper, ICSE, PDQ CSV shapes
	rankXWays  = 80  // first line names a hash type
	rankPlain  = 100 // anything that looks like hashes, one per line
)

// ambiguous64 is the message for a 64-hex value nothing disambiguates.
const ambiguous64 = "64 hex digits could be SHA-256 or PDQ: pass --algo sha256 or --algo pdq"

type plainReader struct {
	lines *lineScanner
	opt   Options
	meta  map[string]string
	err   error // sticky: io.EOF or a fatal error

	hashdeep []string // hashdeep column names, once the header is seen
}

func openPlain(r io.Reader, opt Options) (Source, error) {
	p := &plainReader{lines: newLineScanner(r, opt.maxLine()), opt: opt, meta: map[string]string{}}
	// Read the hashdeep header eagerly so that Meta is complete after open.
	for {
		line, err := p.lines.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return p, nil
			}
			if isLineTooLong(err) {
				p.lines.unread(nil, err)
				return p, nil
			}
			return nil, fmt.Errorf("plain list: %w", err)
		}
		t := bytes.TrimSpace(line)
		if !p.header(t) {
			p.lines.unread(line, nil)
			return p, nil
		}
	}
}

// header consumes a hashdeep header or comment line and reports whether it did.
func (p *plainReader) header(t []byte) bool {
	switch {
	case bytes.HasPrefix(t, []byte("%%%%")):
		v := string(bytes.TrimSpace(t[4:]))
		if bytes.HasPrefix(bytes.ToUpper([]byte(v)), []byte("HASHDEEP")) {
			p.meta["version"] = v
			return true
		}
		cols := bytes.Split([]byte(v), []byte(","))
		p.hashdeep = p.hashdeep[:0]
		for _, c := range cols {
			p.hashdeep = append(p.hashdeep, string(bytes.ToLower(bytes.TrimSpace(c))))
		}
		p.meta["columns"] = v
		return true
	case p.hashdeep != nil && bytes.HasPrefix(t, []byte("##")):
		c := bytes.TrimSpace(t[2:])
		if v, ok := bytes.CutPrefix(c, []byte("Invoked from:")); ok {
			p.meta["invoked_from"] = string(bytes.TrimSpace(v))
		} else if v, ok := bytes.CutPrefix(c, []byte("$ ")); ok {
			p.meta["command"] = string(bytes.TrimSpace(v))
		}
		return true
	}
	return false
}

func (p *plainReader) Format() Format          { return Plain }
func (p *plainReader) Meta() map[string]string { return maps.Clone(p.meta) }
func (p *plainReader) Close() error            { return nil }

func (p *plainReader) Next() (triage.Entry, error) {
	for p.err == nil {
		line, err := p.lines.next()
		pos := p.lines.n
		if err != nil {
			if isLineTooLong(err) {
				return triage.Entry{}, err
			}
			if !errors.Is(err, io.EOF) {
				err = fmt.Errorf("plain list: line %d: %w", pos+1, err)
			}
			p.err = err
			break
		}
		t := bytes.TrimSpace(line)
		if len(t) == 0 || p.header(t) || t[0] == '#' {
			continue
		}
		e, err := p.parse(line, t, pos)
		if err != nil {
			if !triage.IsRecordError(err) {
				p.err = err
			}
			return triage.Entry{}, err
		}
		return e, nil
	}
	return triage.Entry{}, p.err
}

// parse reads one non-blank, non-comment line; t is line without
// surrounding blanks.
func (p *plainReader) parse(line, t []byte, pos int64) (triage.Entry, error) {
	e := triage.NewEntry()
	e.Pos = pos
	var err error
	switch {
	case p.hashdeep != nil:
		err = p.parseHashdeep(&e, t)
	case isBSDLine(t):
		err = parseBSD(&e, t)
	default:
		err = p.parseSum(&e, bytes.TrimLeft(line, " \t"), t)
	}
	if err != nil {
		return triage.Entry{}, err
	}
	if err := e.Validate(); err != nil {
		return triage.Entry{}, &triage.RecordError{Pos: pos, Err: err}
	}
	return e, nil
}

// parseSum reads a bare hash, an md5sum-style line or an md5deep line with
// a size. line has its leading blanks removed, t all surrounding blanks.
func (p *plainReader) parseSum(e *triage.Entry, line, t []byte) error {
	escaped := false
	if line[0] == '\\' { // GNU: the name holds a backslash or newline
		escaped = true
		line, t = line[1:], t[1:]
	}
	i := bytes.IndexAny(t, " \t")
	if i < 0 {
		return p.setHexByLen(e, "hash", t)
	}
	tok := t[:i]
	if isHex(tok) && !(isDigits(tok) && !hashLenKnown(len(tok))) {
		if err := p.setHexByLen(e, "hash", tok); err != nil {
			return err
		}
		rest := line[i:]
		switch {
		case bytes.HasPrefix(rest, []byte(" *")):
			e.SetExtra("mode", "binary")
			rest = rest[2:]
		case bytes.HasPrefix(rest, []byte("  ")):
			rest = rest[2:]
		default:
			rest = bytes.TrimLeft(rest, " \t")
		}
		e.Name = nameString(rest, escaped)
		return nil
	}
	if isDigits(tok) { // md5deep -z: size, hash, name
		rest := bytes.TrimLeft(t[i:], " \t")
		j := bytes.IndexAny(rest, " \t")
		if j < 0 || !isHex(rest[:j]) {
			return recordErr(e.Pos, "", "not a hash line")
		}
		size, err := strconv.ParseInt(string(tok), 10, 64)
		if err != nil {
			return recordErr(e.Pos, "size", "%q is not a file size", tok)
		}
		if err := p.setHexByLen(e, "hash", rest[:j]); err != nil {
			return err
		}
		e.Size = size
		e.Name = nameString(bytes.TrimLeft(rest[j:], " \t"), escaped)
		return nil
	}
	return recordErr(e.Pos, "", "not a hash line: %s", quoteShort(t))
}

// setHexByLen stores a hex hash whose algorithm follows from its length.
func (p *plainReader) setHexByLen(e *triage.Entry, field string, h []byte) error {
	if !isHex(h) {
		return recordErr(e.Pos, "", "not a hash line: %s", quoteShort(h))
	}
	var a triage.Algo
	switch len(h) {
	case 32:
		a = triage.AlgoMD5
	case 40:
		a = triage.AlgoSHA1
	case 64:
		switch p.opt.Algo {
		case triage.AlgoSHA256, triage.AlgoPDQ:
			a = p.opt.Algo
		default:
			return triage.Errorf(triage.EINVALID, "plain list: line %d: %s", e.Pos, ambiguous64)
		}
	case 16:
		if p.opt.Algo != triage.AlgoPHash {
			return recordErr(e.Pos, field, "16 hex digits: a pHash? pass --algo phash")
		}
		a = triage.AlgoPHash
	default:
		return recordErr(e.Pos, field, "%d hex digits is not an MD5 (32), SHA-1 (40) or SHA-256/PDQ (64)", len(h))
	}
	return setHash(e, a, field, h)
}

// parseHashdeep reads a row under a "%%%% size,md5,...,filename" header.
// The file name is the last column and may hold commas.
func (p *plainReader) parseHashdeep(e *triage.Entry, t []byte) error {
	cols := p.hashdeep
	for k, col := range cols {
		var v []byte
		if k == len(cols)-1 {
			v, t = t, nil
		} else {
			i := bytes.IndexByte(t, ',')
			if i < 0 {
				return recordErr(e.Pos, "", "hashdeep row has %d columns, the header %d", k+1, len(cols))
			}
			v, t = t[:i], t[i+1:]
		}
		switch col {
		case "size":
			n, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil || n < 0 {
				return recordErr(e.Pos, col, "%s is not a file size", quoteShort(v))
			}
			e.Size = n
		case "md5":
			if err := setHash(e, triage.AlgoMD5, col, v); err != nil {
				return err
			}
		case "sha1":
			if err := setHash(e, triage.AlgoSHA1, col, v); err != nil {
				return err
			}
		case "sha256":
			if err := setHash(e, triage.AlgoSHA256, col, v); err != nil {
				return err
			}
		case "filename":
			e.Name = string(v)
		default: // tiger, whirlpool, sha512, ...: kept verbatim
			e.SetExtra(col, string(v))
		}
	}
	return nil
}

// isBSDLine reports whether t looks like "TAG (name) = hash".
func isBSDLine(t []byte) bool {
	i := bytes.IndexByte(t, '(')
	if i < 2 {
		return false
	}
	tag := bytes.TrimRight(t[:i], " ")
	for _, c := range tag {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return bytes.LastIndex(t, []byte(")= ")) > i || bytes.LastIndex(t, []byte(") = ")) > i
}

// parseBSD reads "MD5 (name) = hash" (also "SHA256 (name) = hash" and
// openssl's "SHA2-256(name)= hash"); the tag decides the algorithm.
func parseBSD(e *triage.Entry, t []byte) error {
	i := bytes.IndexByte(t, '(')
	tag := string(bytes.ToUpper(bytes.TrimRight(t[:i], " ")))
	j := bytes.LastIndex(t, []byte(")"))
	rest := bytes.TrimLeft(t[j+1:], " ")
	rest = bytes.TrimSpace(bytes.TrimPrefix(rest, []byte("=")))
	var a triage.Algo
	switch tag {
	case "MD5":
		a = triage.AlgoMD5
	case "SHA1", "SHA-1":
		a = triage.AlgoSHA1
	case "SHA256", "SHA-256", "SHA2-256":
		a = triage.AlgoSHA256
	default:
		return recordErr(e.Pos, "algorithm", "%s hashes are not ones Winnow matches (MD5, SHA-1, SHA-256)", quoteShort([]byte(tag)))
	}
	if err := setHash(e, a, tag, rest); err != nil {
		return err
	}
	e.Name = string(t[i+1 : j])
	return nil
}

// sniffPlain reports whether the first significant line of head is a hash
// line of one of the shapes above, or a hashdeep header.
func sniffPlain(head []byte, _ string) bool {
	for i := 0; i < 50 && len(head) > 0; i++ {
		line, rest, found := bytes.Cut(head, []byte("\n"))
		if !found && len(head) >= SniffLen {
			return false // the line is cut off
		}
		head = rest
		t := bytes.TrimSpace(line)
		switch {
		case len(t) == 0, t[0] == '#':
			continue
		case bytes.HasPrefix(t, []byte("%%%% HASHDEEP")):
			return true
		case isBSDLine(t):
			return true
		}
		t = bytes.TrimPrefix(t, []byte(`\`))
		tok, rest, _ := bytes.Cut(t, []byte(" "))
		if isDigits(tok) && !hashLenKnown(len(tok)) && len(rest) > 0 { // md5deep with a size
			tok, _, _ = bytes.Cut(bytes.TrimLeft(rest, " "), []byte(" "))
		}
		tok, _, _ = bytes.Cut(tok, []byte("\t"))
		return isHex(tok) && (hashLenKnown(len(tok)) || len(tok) == 16)
	}
	return false
}

// Text helpers shared by the line-oriented readers of this package.

// hashLenKnown reports whether n hex digits are an MD5, SHA-1 or SHA-256/PDQ.
func hashLenKnown(n int) bool { return n == 32 || n == 40 || n == 64 }

// hexDigit marks the bytes that are hex digits. A table, not comparisons:
// on random hex the comparisons mispredict often enough to dominate a
// plain-list import.
var hexDigit = func() (t [256]bool) {
	for _, c := range []byte("0123456789abcdefABCDEF") {
		t[c] = true
	}
	return t
}()

func isHex(b []byte) bool {
	ok := len(b) > 0
	for _, c := range b {
		ok = ok && hexDigit[c]
	}
	return ok
}

func isDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// setHash parses the hex hash b (either case, surrounding blanks allowed)
// for algorithm a into e. A bad value is a *triage.RecordError on field.
func setHash(e *triage.Entry, a triage.Algo, field string, b []byte) error {
	b = bytes.TrimSpace(b)
	var dst []byte
	var ph [8]byte
	switch a {
	case triage.AlgoMD5:
		dst = e.MD5[:]
	case triage.AlgoSHA1:
		dst = e.SHA1[:]
	case triage.AlgoSHA256:
		dst = e.SHA256[:]
	case triage.AlgoPDQ:
		dst = e.PDQ[:]
	case triage.AlgoPHash:
		dst = ph[:]
	default:
		return recordErr(e.Pos, field, "%v hashes are not stored in hash-set entries", a)
	}
	// Decode in place (no allocation on the hot path); on failure let the
	// triage Parse function word the error.
	if len(b) != 2*len(dst) {
		return &triage.RecordError{Pos: e.Pos, Field: field, Err: parseErr(a, string(b))}
	}
	if _, err := hex.Decode(dst, b); err != nil {
		clear(dst)
		return &triage.RecordError{Pos: e.Pos, Field: field, Err: parseErr(a, string(b))}
	}
	if a == triage.AlgoPHash {
		var v uint64
		for _, c := range ph {
			v = v<<8 | uint64(c)
		}
		e.PHash = triage.PHash(v)
	}
	e.Algos |= triage.AlgoSet(a)
	return nil
}

// parseErr returns the triage Parse function's error for a bad value.
func parseErr(a triage.Algo, s string) error {
	s = shorten(s)
	var err error
	switch a {
	case triage.AlgoMD5:
		_, err = triage.ParseMD5(s)
	case triage.AlgoSHA1:
		_, err = triage.ParseSHA1(s)
	case triage.AlgoSHA256:
		_, err = triage.ParseSHA256(s)
	case triage.AlgoPDQ:
		_, err = triage.ParsePDQ(s)
	case triage.AlgoPHash:
		_, err = triage.ParsePHash(s)
	}
	if err == nil {
		err = triage.Errorf(triage.EINVALID, "%v: %q is not a hash", a, s)
	}
	return err
}

// shorten cuts s for an error message so that a giant field does not make
// a giant error.
func shorten(s string) string {
	const max = 80
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

// quoteShort quotes b for an error message, shortened.
func quoteShort(b []byte) string { return strconv.Quote(shorten(string(b))) }

// nameString turns a file-name field into a string. Names that are not
// UTF-8 are taken as ISO-8859-1 (what NSRL and old Windows tools write),
// which maps every byte to one character, so nothing is lost. escaped
// undoes GNU coreutils' escaping ("\\" and "\n").
func nameString(b []byte, escaped bool) string {
	if escaped && bytes.IndexByte(b, '\\') >= 0 {
		out := make([]byte, 0, len(b))
		for i := 0; i < len(b); i++ {
			if b[i] == '\\' && i+1 < len(b) {
				switch b[i+1] {
				case '\\':
					out = append(out, '\\')
					i++
					continue
				case 'n':
					out = append(out, '\n')
					i++
					continue
				case 'r':
					out = append(out, '\r')
					i++
					continue
				}
			}
			out = append(out, b[i])
		}
		b = out
	}
	return textString(b)
}

// textString converts b to a string, decoding it as ISO-8859-1 when it is
// not valid UTF-8.
func textString(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}

// lineScanner reads lines of bounded length. A line longer than the bound
// is skipped (read through to its end without being kept) and reported as a
// *triage.RecordError, so memory stays bounded whatever the input.
type lineScanner struct {
	br  *bufio.Reader
	max int
	n   int64 // number of the last line returned (1-based)
	buf []byte
	err error // sticky read error

	// one line pushed back by unread
	back    []byte
	backErr error
	hasBack bool
	bomDone bool
}

// errLineTooLong marks a skipped over-long line.
var errLineTooLong = errors.New("line too long")

func newLineScanner(r io.Reader, max int) *lineScanner {
	return &lineScanner{br: bufio.NewReaderSize(newTextStream(r), 64<<10), max: max}
}

// isLineTooLong reports whether err is a skipped over-long line.
func isLineTooLong(err error) bool { return errors.Is(err, errLineTooLong) }

// next returns the next line without its terminator (LF or CRLF). The
// slice is only valid until the next call. At the end it returns io.EOF;
// an over-long line gives a *triage.RecordError wrapping errLineTooLong;
// a read error is returned as is and repeats.
func (s *lineScanner) next() ([]byte, error) {
	if s.hasBack {
		s.hasBack = false
		return s.back, s.backErr
	}
	if s.err != nil {
		return nil, s.err
	}
	s.buf = s.buf[:0]
	var line []byte
	n, tooLong, direct := 0, false, false
	for {
		chunk, err := s.br.ReadSlice('\n')
		n += len(chunk)
		if !tooLong {
			switch {
			case n > s.max+2: // +2 for CRLF
				tooLong, s.buf = true, s.buf[:0]
			case err == nil && len(s.buf) == 0:
				line, direct = chunk, true
			default:
				s.buf = append(s.buf, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			s.err = err
			return nil, err
		}
		if err != nil && n == 0 {
			s.err = io.EOF
			return nil, io.EOF
		}
		if err != nil {
			s.err = io.EOF // last line without a terminator; EOF next time
		}
		break
	}
	s.n++
	if !direct {
		line = s.buf
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if !s.bomDone {
		s.bomDone = true
		line = bytes.TrimPrefix(line, []byte("\xef\xbb\xbf"))
	}
	if tooLong || len(line) > s.max {
		return nil, &triage.RecordError{Pos: s.n, Err: fmt.Errorf("%w: more than %d bytes", errLineTooLong, s.max)}
	}
	return line, nil
}

// unread pushes a line (copied) or a line error back; the next call to next
// returns it again.
func (s *lineScanner) unread(line []byte, err error) {
	s.back = append(s.back[:0], line...)
	s.backErr, s.hasBack = err, true
}

// newTextStream returns r with a leading UTF-16 byte-order mark decoded:
// UTF-16 text (as some Windows exporters write) is turned into UTF-8 as it
// streams. Other input is returned unchanged (a UTF-8 BOM is dropped by
// lineScanner).
func newTextStream(r io.Reader) io.Reader {
	br := bufio.NewReaderSize(r, 64<<10)
	bom, _ := br.Peek(2)
	switch {
	case bytes.Equal(bom, []byte{0xff, 0xfe}):
		br.Discard(2)
		return &utf16Stream{r: br, be: false}
	case bytes.Equal(bom, []byte{0xfe, 0xff}):
		br.Discard(2)
		return &utf16Stream{r: br, be: true}
	}
	return br
}

// utf16Stream decodes UTF-16 into UTF-8. Unpaired surrogates and a
// trailing odd byte become U+FFFD.
type utf16Stream struct {
	r    *bufio.Reader
	be   bool
	out  []byte // decoded bytes not yet returned
	hi   rune   // pending high surrogate
	done bool
}

func (u *utf16Stream) Read(p []byte) (int, error) {
	for len(u.out) == 0 {
		if u.done {
			return 0, io.EOF
		}
		if err := u.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, u.out)
	u.out = u.out[n:]
	return n, nil
}

func (u *utf16Stream) fill() error {
	var in [2048]byte
	n, err := io.ReadFull(u.r, in[:])
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		u.done = true
	} else if err != nil {
		return err
	}
	out := u.out[:0]
	for i := 0; i+1 < n; i += 2 {
		var c rune
		if u.be {
			c = rune(in[i])<<8 | rune(in[i+1])
		} else {
			c = rune(in[i+1])<<8 | rune(in[i])
		}
		switch {
		case utf16.IsSurrogate(c) && c < 0xdc00:
			if u.hi != 0 {
				out = utf8.AppendRune(out, utf8.RuneError)
			}
			u.hi = c
			continue
		case utf16.IsSurrogate(c):
			if u.hi != 0 {
				c = utf16.DecodeRune(u.hi, c)
			} else {
				c = utf8.RuneError
			}
			u.hi = 0
		case u.hi != 0:
			out = utf8.AppendRune(out, utf8.RuneError)
			u.hi = 0
		}
		out = utf8.AppendRune(out, c)
	}
	if u.done && (u.hi != 0 || n%2 == 1) {
		out = utf8.AppendRune(out, utf8.RuneError)
		u.hi = 0
	}
	u.out = out
	return nil
}
