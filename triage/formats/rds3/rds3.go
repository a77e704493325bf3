// Package rds3 reads NIST NSRL RDS v3 hash sets: the SQLite databases
// (RDS_<release>_<set>.db) NIST has published since 2022, in place of the
// RDS 2.x text files (FORMATS.md §3.2). It lives apart from package formats
// so that only programs that need it link a SQLite engine: the pure-Go
// modernc.org/sqlite, opened read-only and immutable, so the database file
// is never written, locked or journalled.
//
// Entries come from the FILE table, one per row, streamed through a cursor
// (a modern set has some 440 million rows): sha256, sha1 and md5 are the
// hashes, file_name the Name, file_size the Size; package_id (the key into
// PKG, like ProductCode in RDS 2.x, shared by every file of a package, so
// not an ID of the content) and crc32 go to Extra. Every entry is of kind
// known-good.
// The same hashes appear once per package; merging is the importer's job.
// The DISTINCT_HASH view is not used: it is computed, not stored, and
// would make SQLite sort the whole table in temporary storage before the
// first row. PKG, OS and MFG are not joined either: PKG's key is not
// package_id alone, so a join would repeat rows.
package rds3

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/formats"
)

// sqliteMagic starts every SQLite 3 database file.
const sqliteMagic = "SQLite format 3\x00"

// fileColumns are the FILE columns an RDS v3 database has and this package reads.
var fileColumns = []string{"sha256", "sha1", "md5", "crc32", "file_name", "file_size", "package_id"}

// source reads the FILE table of an RDS v3 database: through one cursor,
// or (scan.go) through several connections reading chunks of rowids.
type source struct {
	db   *sql.DB
	rows *sql.Rows // the sequential cursor; nil when scanning in chunks
	scan *chunkScan
	meta map[string]string
	pos  int64
	err  error
}

var _ formats.Source = (*source)(nil)

// Open opens an RDS v3 database read-only and checks that it is one: a
// SQLite file with a FILE table holding the RDS v3 columns and a PKG
// table. Anything else is refused with an EINVALID error. opt is accepted
// for symmetry with formats.Open; RDS v3 needs none of its settings. The
// caller must Close the source.
func Open(path string, opt formats.Options) (formats.Source, error) {
	size, err := checkMagic(path)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, triage.Errorf(triage.EINVALID, "open %s: %v", path, err)
	}
	// mode=ro and immutable=1: SQLite opens the file read-only, takes no
	// locks and never looks for a journal or WAL, so evidence-adjacent
	// reference data is never modified. query_only is a second guard.
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}
	dsn := u.String() + "?mode=ro&immutable=1&_query_only=1&_pragma=cell_size_check(1)&_pragma=trusted_schema(0)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, triage.Errorf(triage.EINVALID, "open %s: %v", path, err)
	}
	k := readers()
	db.SetMaxOpenConns(k)
	s := &source{db: db, meta: map[string]string{"kind": "known-good"}}
	if err := s.check(path); err != nil {
		db.Close()
		return nil, err
	}
	s.readVersion()
	if lo, hi, ok := s.rowidSpan(size); ok && k > 1 {
		s.scan = startChunkScan(db, lo, hi, k)
		return s, nil
	}
	s.rows, err = db.QueryContext(context.Background(), selectFile)
	if err != nil {
		db.Close()
		return nil, triage.Errorf(triage.EINVALID, "%s: read FILE: %v", path, err)
	}
	return s, nil
}

// selectFile reads every FILE row, in rowid order.
var selectFile = "SELECT " + strings.Join(fileColumns, ", ") + " FROM FILE"

// checkMagic checks that path is a SQLite file and returns its size.
func checkMagic(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, triage.Errorf(triage.EINVALID, "open hash set: %v", err)
	}
	defer f.Close()
	var head [len(sqliteMagic)]byte
	if _, err := io.ReadFull(f, head[:]); err != nil || string(head[:]) != sqliteMagic {
		return 0, triage.Errorf(triage.EINVALID, "%s is not an NSRL RDS v3 database: not a SQLite file", path)
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, triage.Errorf(triage.EINVALID, "open hash set: %v", err)
	}
	return fi.Size(), nil
}

// check refuses databases that are not RDS v3: FILE must be a table (not a
// view that could compute anything) with the RDS v3 columns, and PKG must
// exist.
func (s *source) check(path string) error {
	notRDS := func(why string, args ...any) error {
		return triage.Errorf(triage.EINVALID, "%s is not an NSRL RDS v3 database: %s", path, fmt.Sprintf(why, args...))
	}
	unreadable := func(err error) error {
		return triage.Errorf(triage.EINVALID, "%s: cannot read the SQLite database (corrupt or truncated?): %v", path, err)
	}
	tables := map[string]string{}
	rows, err := s.db.Query("SELECT name, type FROM sqlite_master WHERE type IN ('table', 'view')")
	if err != nil {
		return unreadable(err)
	}
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			rows.Close()
			return unreadable(err)
		}
		if len(tables) < 1000 {
			tables[strings.ToUpper(name)] = typ
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return unreadable(err)
	}
	if tables["FILE"] != "table" {
		if _, ok := tables["METADATA"]; ok {
			return notRDS("it has the 2021 \"curated\" layout (METADATA table), which is not supported")
		}
		return notRDS("no FILE table")
	}
	if _, ok := tables["PKG"]; !ok {
		return notRDS("no PKG table")
	}
	cols := map[string]bool{}
	rows, err = s.db.Query("SELECT name FROM pragma_table_info('FILE')")
	if err != nil {
		return unreadable(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return unreadable(err)
		}
		cols[strings.ToLower(name)] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return unreadable(err)
	}
	var missing []string
	for _, c := range fileColumns {
		if !cols[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return notRDS("FILE lacks the columns %s", strings.Join(missing, ", "))
	}
	return nil
}

// readVersion puts the VERSION row (release, build set, dates,
// description) into Meta, if there is one.
func (s *source) readVersion() {
	var v, set, build, release, desc sql.NullString
	err := s.db.QueryRow("SELECT CAST(version AS TEXT), CAST(build_set AS TEXT), CAST(build_date AS TEXT), "+
		"CAST(release_date AS TEXT), CAST(description AS TEXT) FROM VERSION LIMIT 1").
		Scan(&v, &set, &build, &release, &desc)
	if err != nil {
		return
	}
	for k, x := range map[string]sql.NullString{
		"version": v, "build_set": set, "build_date": build, "release_date": release, "description": desc,
	} {
		if x.Valid {
			s.meta[k] = limit(x.String, 4096)
		}
	}
	if v.Valid {
		s.meta["name"] = "NSRL RDS " + limit(v.String, 4096)
	}
}

// limit cuts s to at most n bytes.
func limit(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// Format returns formats.NSRL3.
func (s *source) Format() formats.Format { return formats.NSRL3 }

// Meta returns "kind": "known-good" and the VERSION row: "version",
// "build_set", "build_date", "release_date", "description", and "name"
// ("NSRL RDS <version>").
func (s *source) Meta() map[string]string { return maps.Clone(s.meta) }

// Next returns the entry for the next FILE row, or io.EOF after the last.
// A row with a malformed hash or size is a *triage.RecordError (Pos is the
// row's number in scan order, 1-based) and reading goes on; a database
// error (a corrupt file) is fatal and repeats.
func (s *source) Next() (triage.Entry, error) {
	if s.err != nil {
		return triage.Entry{}, s.err
	}
	if s.scan != nil {
		return s.nextChunked()
	}
	if !s.rows.Next() {
		s.err = io.EOF
		if err := s.rows.Err(); err != nil {
			s.err = triage.Errorf(triage.EINVALID, "nsrl rds3: after row %d: %v", s.pos, err)
		}
		return triage.Entry{}, s.err
	}
	s.pos++
	e, err := decodeRow(s.rows)
	return withPos(e, err, s.pos)
}

// withPos numbers a decoded row: rows are numbered in scan order, which
// only the consumer of the rows knows.
func withPos(e triage.Entry, err error, pos int64) (triage.Entry, error) {
	if err != nil {
		if re, ok := err.(*triage.RecordError); ok {
			re.Pos = pos
		}
		return triage.Entry{}, err
	}
	e.Pos = pos
	return e, nil
}

// decodeRow decodes the current FILE row of rows (the columns of
// selectFile). A malformed row is a *triage.RecordError without Pos.
func decodeRow(rows *sql.Rows) (triage.Entry, error) {
	var f fileRow
	if err := rows.Scan(&f.sha256, &f.sha1, &f.md5, &f.crc32, &f.name, &f.size, &f.pkg); err != nil {
		return triage.Entry{}, &triage.RecordError{Err: err}
	}
	return f.entry()
}

// fileRow is one FILE row's columns as SQLite gave them: whatever a
// database holds, any of them may be any bytes, or NULL.
type fileRow struct {
	sha256, sha1, md5, crc32, name sql.RawBytes
	size, pkg                      sql.NullString
}

// entry decodes the row (FuzzFileRow).
func (f *fileRow) entry() (triage.Entry, error) {
	e := triage.NewEntry()
	e.Kind = triage.SetKindKnownGood // NSRL lists known software
	for _, h := range []struct {
		name string
		a    triage.Algo
		v    []byte
		dst  []byte
	}{
		{"sha256", triage.AlgoSHA256, f.sha256, e.SHA256[:]},
		{"sha1", triage.AlgoSHA1, f.sha1, e.SHA1[:]},
		{"md5", triage.AlgoMD5, f.md5, e.MD5[:]},
	} {
		if len(h.v) == 0 {
			continue
		}
		if err := decodeHex(h.a, h.dst, h.v); err != nil {
			return triage.Entry{}, &triage.RecordError{Field: h.name, Err: err}
		}
		e.Algos |= triage.AlgoSet(h.a)
	}
	e.Name = string(f.name)
	if f.size.Valid && f.size.String != "" {
		n, err := strconv.ParseInt(f.size.String, 10, 64)
		if err != nil || n < 0 {
			return triage.Entry{}, &triage.RecordError{Field: "file_size", Err: fmt.Errorf("%q is not a file size", limit(f.size.String, 256))}
		}
		e.Size = n
	}
	if f.pkg.Valid {
		e.SetExtra("package_id", f.pkg.String)
	}
	e.SetExtra("crc32", string(f.crc32))
	if err := e.Validate(); err != nil {
		return triage.Entry{}, &triage.RecordError{Err: err}
	}
	return e, nil
}

// decodeHex decodes the hex digest v (either case) into dst, without
// allocating on the common path; other values go through the triage
// Parse function, which also words the error.
func decodeHex(a triage.Algo, dst, v []byte) error {
	if len(v) == 2*len(dst) {
		if _, err := hex.Decode(dst, v); err == nil {
			return nil
		}
	}
	if len(v) > 256 {
		v = v[:256]
	}
	var h []byte
	var err error
	switch a {
	case triage.AlgoSHA256:
		var x triage.SHA256
		x, err = triage.ParseSHA256(string(v))
		h = x[:]
	case triage.AlgoSHA1:
		var x triage.SHA1
		x, err = triage.ParseSHA1(string(v))
		h = x[:]
	default:
		var x triage.MD5
		x, err = triage.ParseMD5(string(v))
		h = x[:]
	}
	copy(dst, h)
	return err
}

// Close ends the scan and closes the database.
func (s *source) Close() error {
	var err error
	if s.rows != nil {
		err = s.rows.Close()
	}
	if s.scan != nil {
		s.scan.stop()
	}
	if cerr := s.db.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, sql.ErrConnDone) {
		err = nil
	}
	return err
}
