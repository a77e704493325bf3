package formats

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/winnow-forensics/winnow/triage"
)

// EnCase v4-v6 .hash files (FORMATS.md §5.3), binary, little-endian:
//
//	0x000  "HASH\r\n\xff\x00"    signature
//	0x008  uint32               version (2)
//	0x00C  uint32               (1; kept in Meta as "header_0x0c")
//	0x010  uint32               number of entries
//	0x408  UTF-16LE, NUL-ended  set name (up to 39 characters)
//	0x458  UTF-16LE, NUL-ended  category (up to 18 characters), e.g. "Notable" or "Known"
//	0x480  entries of 18 bytes: 16-byte MD5, 2 bytes (zero)
//
// This layout comes from forensicswiki's description, itself marked "to be
// verified", and from md5deep; it has NOT been checked against files
// written by EnCase. EnCase 7 and later keep hash libraries in another,
// undocumented store, which this reader does not read.
//
// Meta has "name", "category", "version", "count" (as the header declares
// it) and "kind": "known-good" for category Known, "known-bad" for Notable.
// Entries carry only the MD5; Pos is the entry's number (1-based). Two
// bytes after an MD5 that are not zero are kept in Extra as "trailer"
// (hex). An all-zero MD5 is a *triage.RecordError (padding, not a hash). The declared count is never used to allocate: entries are read
// until the end of the file, and a count that disagrees with what the file
// holds, or a cut-off last entry, is a fatal error after the last whole
// entry.

const (
	encaseSig        = "HASH\r\n\xff\x00"
	encaseHeaderLen  = 0x480
	encaseEntryLen   = 18
	encaseNameOff    = 0x408
	encaseNameEnd    = 0x458
	encaseCatOff     = 0x458
	encaseCatEnd     = 0x47e
	encaseVersionOff = 0x008
	encaseFieldOff   = 0x00c
	encaseCountOff   = 0x010
)

func init() {
	register(format{name: EnCase, rank: rankBinary, sniff: sniffEnCase, open: openEnCase})
}

func sniffEnCase(head []byte, _ string) bool { return bytes.HasPrefix(head, []byte(encaseSig)) }

type encaseReader struct {
	r     *bufio.Reader
	count uint32
	n     int64 // entries read
	meta  map[string]string
	err   error
}

func openEnCase(r io.Reader, _ Options) (Source, error) {
	var h [encaseHeaderLen]byte
	n, err := io.ReadFull(r, h[:])
	if !bytes.HasPrefix(h[:n], []byte(encaseSig)) {
		return nil, triage.Errorf(triage.EINVALID, "encase: no EnCase .hash signature (HASH\\r\\n\\xff\\x00) at offset 0")
	}
	if err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, triage.Errorf(triage.EINVALID, "encase: truncated header: %d of %d bytes", n, encaseHeaderLen)
		}
		return nil, fmt.Errorf("encase: %w", err)
	}
	e := &encaseReader{r: bufio.NewReaderSize(r, 64<<10)}
	e.count = binary.LittleEndian.Uint32(h[encaseCountOff:])
	version := binary.LittleEndian.Uint32(h[encaseVersionOff:])
	field := binary.LittleEndian.Uint32(h[encaseFieldOff:])
	cat := utf16z(h[encaseCatOff:encaseCatEnd])
	e.meta = map[string]string{
		"name":        utf16z(h[encaseNameOff:encaseNameEnd]),
		"category":    cat,
		"version":     strconv.FormatUint(uint64(version), 10),
		"header_0x0c": strconv.FormatUint(uint64(field), 10),
		"count":       strconv.FormatUint(uint64(e.count), 10),
	}
	switch strings.ToLower(strings.TrimSpace(cat)) {
	case "known":
		e.meta["kind"] = "known-good"
	case "notable":
		e.meta["kind"] = "known-bad"
	}
	return e, nil
}

// utf16z decodes NUL-terminated UTF-16LE text.
func utf16z(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

func (e *encaseReader) Format() Format          { return EnCase }
func (e *encaseReader) Meta() map[string]string { return maps.Clone(e.meta) }
func (e *encaseReader) Close() error            { return nil }

func (e *encaseReader) Next() (triage.Entry, error) {
	if e.err != nil {
		return triage.Entry{}, e.err
	}
	var rec [encaseEntryLen]byte
	n, err := io.ReadFull(e.r, rec[:])
	switch {
	case errors.Is(err, io.EOF):
		if e.n != int64(e.count) {
			e.err = triage.Errorf(triage.EINVALID, "encase: the header declares %d entries, the file holds %d", e.count, e.n)
		} else {
			e.err = io.EOF
		}
		return triage.Entry{}, e.err
	case errors.Is(err, io.ErrUnexpectedEOF):
		off := encaseHeaderLen + e.n*encaseEntryLen
		e.err = triage.Errorf(triage.EINVALID, "encase: entry %d at offset %#x cut off after %d of %d bytes (truncated file)", e.n+1, off, n, encaseEntryLen)
		return triage.Entry{}, e.err
	case err != nil:
		e.err = fmt.Errorf("encase: entry %d: %w", e.n+1, err)
		return triage.Entry{}, e.err
	}
	e.n++
	ent := triage.NewEntry()
	ent.Pos = e.n
	ent.Kind = entryKind(e.meta["kind"])
	copy(ent.MD5[:], rec[:16])
	ent.Algos = triage.AlgoSet(triage.AlgoMD5)
	if rec[16] != 0 || rec[17] != 0 {
		ent.SetExtra("trailer", hex.EncodeToString(rec[16:]))
	}
	if ent.MD5.IsZero() {
		return triage.Entry{}, recordErr(e.n, "md5", "all-zero MD5 (padding, not a hash)")
	}
	if err := ent.Validate(); err != nil {
		return triage.Entry{}, &triage.RecordError{Pos: e.n, Field: "md5", Err: err}
	}
	return ent, nil
}
