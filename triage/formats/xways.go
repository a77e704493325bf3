package formats

import (
	"bytes"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
)

// X-Ways text hash sets (FORMATS.md §4.1, §5.4): the first line names the
// hash type, then one hash per line, usually with CRLF line ends:
//
//	MD5
//	6B7053944681F9B77697AE85DEC5B484
//
// Types read: MD5, SHA-1 (hex, or the 32-character Base32 X-Ways may
// write) and SHA-256; other types X-Ways knows (CRC32, MD4, ED2K, SHA-512,
// ...) are a fatal error naming the type. X-Ways takes the set's name from
// the file name, which a stream reader does not see; Meta has "hash_type"
// as the first line spells it. Each entry's Pos is its line number.

func init() {
	register(format{name: XWays, rank: rankXWays, sniff: sniffXWays, open: openXWays})
}

// xwaysTypes maps the upper-cased first line to the algorithm, or 0 for
// a type X-Ways knows that Winnow does not match on.
var xwaysTypes = map[string]triage.Algo{
	"MD5": triage.AlgoMD5, "SHA-1": triage.AlgoSHA1, "SHA1": triage.AlgoSHA1,
	"SHA-256": triage.AlgoSHA256, "SHA256": triage.AlgoSHA256,
	"CRC32": 0, "MD4": 0, "ED2K": 0, "SHA-512": 0, "SHA512": 0, "SHA-384": 0,
	"RIPEMD-128": 0, "RIPEMD-160": 0, "TIGER": 0, "ADLER32": 0, "PHOTODNA": 0,
}

func sniffXWays(head []byte, _ string) bool {
	first, rest, _ := bytes.Cut(head, []byte("\n"))
	if _, ok := xwaysTypes[strings.ToUpper(string(bytes.TrimSpace(first)))]; !ok {
		return false
	}
	for len(rest) > 0 {
		var line []byte
		line, rest, _ = bytes.Cut(rest, []byte("\n"))
		if t := bytes.TrimSpace(line); len(t) > 0 {
			return isBase32OrHex(t)
		}
	}
	return true
}

func isBase32OrHex(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

type xwaysReader struct {
	lines *lineScanner
	algo  triage.Algo
	meta  map[string]string
	err   error
}

func openXWays(r io.Reader, opt Options) (Source, error) {
	x := &xwaysReader{lines: newLineScanner(r, opt.maxLine())}
	for {
		line, err := x.lines.next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, triage.Errorf(triage.EINVALID, "xways: empty file, want the hash type on the first line")
			}
			return nil, fmt.Errorf("xways: line %d: %w", x.lines.n, err)
		}
		t := strings.TrimSpace(string(line))
		if t == "" {
			continue
		}
		a, ok := xwaysTypes[strings.ToUpper(t)]
		switch {
		case !ok:
			return nil, triage.Errorf(triage.EINVALID, "xways: line %d: %s is not a hash type (want MD5, SHA-1 or SHA-256)", x.lines.n, quoteShort([]byte(t)))
		case a == 0:
			return nil, triage.Errorf(triage.EUNSUPPORTED, "xways: line %d: %s hashes are not ones Winnow matches (MD5, SHA-1, SHA-256)", x.lines.n, t)
		}
		x.algo = a
		x.meta = map[string]string{"hash_type": t}
		return x, nil
	}
}

func (x *xwaysReader) Format() Format          { return XWays }
func (x *xwaysReader) Meta() map[string]string { return maps.Clone(x.meta) }
func (x *xwaysReader) Close() error            { return nil }

func (x *xwaysReader) Next() (triage.Entry, error) {
	for x.err == nil {
		line, err := x.lines.next()
		pos := x.lines.n
		if err != nil {
			if triage.IsRecordError(err) {
				return triage.Entry{}, err
			}
			if !errors.Is(err, io.EOF) {
				err = fmt.Errorf("xways: line %d: %w", pos+1, err)
			}
			x.err = err
			break
		}
		t := bytes.TrimSpace(line)
		if len(t) == 0 {
			continue
		}
		e := triage.NewEntry()
		e.Pos = pos
		field := x.meta["hash_type"]
		if x.algo == triage.AlgoSHA1 && len(t) == 32 {
			// Base32 SHA-1: 20 bytes in 32 characters A-Z2-7.
			n, err := base32.StdEncoding.Decode(e.SHA1[:], bytes.ToUpper(t))
			if err != nil || n != len(e.SHA1) {
				return triage.Entry{}, recordErr(pos, field, "%s is neither hex nor Base32", quoteShort(t))
			}
			e.Algos |= triage.AlgoSet(triage.AlgoSHA1)
		} else if err := setHash(&e, x.algo, field, t); err != nil {
			return triage.Entry{}, err
		}
		if err := e.Validate(); err != nil {
			return triage.Entry{}, &triage.RecordError{Pos: pos, Err: err}
		}
		return e, nil
	}
	return triage.Entry{}, x.err
}
