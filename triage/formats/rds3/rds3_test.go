package rds3

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/formats"
)

const fixture = "../testdata/synthetic/nsrl-rds3/RDS_synthetic_minimal.db"

type result struct {
	entries []triage.Entry
	rejects []*triage.RecordError
	fatal   error
}

func readAll(tb testing.TB, src formats.Source) result {
	tb.Helper()
	var r result
	for i := 0; ; i++ {
		if i > 1_000_000 {
			tb.Fatalf("reader does not end")
		}
		e, err := src.Next()
		var re *triage.RecordError
		switch {
		case errors.As(err, &re):
			r.rejects = append(r.rejects, re)
			continue
		case errors.Is(err, io.EOF):
			return r
		case err != nil:
			r.fatal = err
			if _, again := src.Next(); again == nil {
				tb.Fatalf("after %v, Next succeeded", err)
			}
			return r
		}
		if err := e.Validate(); err != nil {
			tb.Fatalf("entry %d: %v", e.Pos, err)
		}
		r.entries = append(r.entries, e)
	}
}

type sample struct{ MD5, SHA1, SHA256, CRC32 string }

func samples(t testing.TB) []sample {
	b, err := os.ReadFile("../testdata/synthetic/EXPECTED-HASHES.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Items []sample }
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Items) != 8 {
		t.Fatalf("EXPECTED-HASHES.json: %v", err)
	}
	return doc.Items
}

func TestFixture(t *testing.T) {
	s := samples(t)
	src, err := Open(fixture, formats.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.Format() != formats.NSRL3 {
		t.Errorf("format %v", src.Format())
	}
	wantMeta := map[string]string{
		"kind": "known-good", "name": "NSRL RDS 2099.01.1", "version": "2099.01.1", "build_set": "synthetic",
		"build_date": "2099-01-01 00:00:00", "release_date": "2099-01-02 00:00:00", "description": "synthetic test fixture, not NIST data",
	}
	if m := src.Meta(); !reflect.DeepEqual(m, wantMeta) {
		t.Errorf("meta %v\nwant %v", m, wantMeta)
	}
	r := readAll(t, src)
	if len(r.rejects) != 0 || r.fatal != nil {
		t.Fatalf("rejects %v, fatal %v", r.rejects, r.fatal)
	}
	type row struct {
		sample    int
		name, pkg string
		pos       int64
	}
	want := []row{
		{0, "setup.exe", "1001", 1}, {1, "readme, first.txt", "1002", 2}, {2, `odd "name".dll`, "1001", 3},
		{3, "icon.png", "1002", 4}, {4, "same-hash-other-product.png", "1001", 5}, {3, "dup-name.png", "1001", 6},
	}
	if len(r.entries) != len(want) {
		t.Fatalf("%d entries, want %d", len(r.entries), len(want))
	}
	distinct := map[triage.SHA256]bool{}
	for i, w := range want {
		e, x := r.entries[i], s[w.sample]
		if e.MD5.String() != x.MD5 || e.SHA1.String() != x.SHA1 || e.SHA256.String() != x.SHA256 ||
			e.Algos != triage.AlgosCrypto || e.Name != w.name || e.ID != "" || e.Size != 18 || e.Pos != w.pos ||
			e.Kind != triage.SetKindKnownGood || !reflect.DeepEqual(e.Extra, map[string]string{"crc32": x.CRC32, "package_id": w.pkg}) || e.PDQQuality != -1 || !e.Category.IsZero() {
			t.Errorf("entry %d: %+v, want %+v of %+v", i, e, w, x)
		}
		distinct[e.SHA256] = true
	}
	if len(distinct) != 5 {
		t.Errorf("%d distinct hashes, want 5", len(distinct))
	}
	if err := src.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// mustDB creates a SQLite database at path with the given statements.
func mustDB(t *testing.T, path string, stmts ...string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

const rdsSchema = `CREATE TABLE FILE (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL, crc32 VARCHAR NOT NULL,
	file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL, package_id INTEGER NOT NULL);
	CREATE TABLE PKG (package_id INTEGER NOT NULL, name VARCHAR NOT NULL)`

func TestBadRows(t *testing.T) {
	s := samples(t)
	path := filepath.Join(t.TempDir(), "rows.db")
	mustDB(t, path, rdsSchema,
		`INSERT INTO FILE VALUES ('`+s[0].SHA256+`', '`+s[0].SHA1+`', '`+s[0].MD5+`', '`+s[0].CRC32+`', 'a', 18, 1)`,
		`INSERT INTO FILE VALUES ('ZZ', '`+s[0].SHA1+`', '`+s[0].MD5+`', '', 'b', 18, 1)`,
		`INSERT INTO FILE VALUES ('`+s[1].SHA256+`', '`+s[1].SHA1[1:]+`', '`+s[1].MD5+`', '', 'c', 18, 1)`,
		`INSERT INTO FILE VALUES ('`+s[1].SHA256+`', '`+s[1].SHA1+`', '`+s[1].MD5+`', '', 'd', 'big', 1)`,
		`INSERT INTO FILE VALUES ('', '', 'd41d8cd98f00b204e9800998ecf8427e', '', 'e', 0, 1)`,
		`INSERT INTO FILE VALUES (X'00ff', '', '', '', 'f', 0, 1)`,
		`INSERT INTO FILE VALUES ('`+s[2].SHA256+`', '', '', '', 'g', 18, 2)`,
	)
	src, err := Open(path, formats.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r := readAll(t, src)
	var names []string
	for _, e := range r.entries {
		names = append(names, e.Name)
	}
	var pos []int64
	var fields []string
	for _, re := range r.rejects {
		pos, fields = append(pos, re.Pos), append(fields, re.Field)
	}
	if !reflect.DeepEqual(names, []string{"a", "g"}) || r.fatal != nil ||
		!reflect.DeepEqual(pos, []int64{2, 3, 4, 5, 6}) || !reflect.DeepEqual(fields, []string{"sha256", "sha1", "file_size", "", "sha256"}) {
		t.Errorf("names %v, rejects %v %v (%v), fatal %v", names, pos, fields, r.rejects, r.fatal)
	}
	if g := r.entries[1]; g.Algos != triage.AlgoSet(triage.AlgoSHA256) || g.Extra["package_id"] != "2" {
		t.Errorf("sha256-only row: %+v", g)
	}
}

func TestNotRDS(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	fix, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	other := filepath.Join(dir, "other.db")
	mustDB(t, other, "CREATE TABLE hashes (md5 BLOB)", "CREATE TABLE db_properties (name, value)")
	view := filepath.Join(dir, "view.db")
	mustDB(t, view, "CREATE TABLE PKG (package_id)", "CREATE VIEW FILE AS SELECT 1 AS sha256")
	cols := filepath.Join(dir, "cols.db")
	mustDB(t, cols, "CREATE TABLE PKG (package_id)", "CREATE TABLE FILE (sha256, sha1, md5)")
	curated := filepath.Join(dir, "curated.db")
	mustDB(t, curated, "CREATE TABLE METADATA (x)", "CREATE VIEW FILE AS SELECT 1 AS sha256")
	tests := []struct{ name, path, want string }{
		{"text file", write("a.txt", []byte("MD5\n6b7053944681f9b77697ae85dec5b484\n")), "not a SQLite file"},
		{"empty", write("empty.db", nil), "not a SQLite file"},
		{"missing", filepath.Join(dir, "missing.db"), "no such file"},
		{"tsk database", other, "no FILE table"},
		{"FILE is a view", view, "no FILE table"},
		{"missing columns", cols, "FILE lacks the columns crc32, file_name, file_size, package_id"},
		{"curated layout", curated, "2021 \"curated\" layout"},
		{"header only", write("head.db", fix[:100]), "cannot read the SQLite database (corrupt or truncated?)"},
		{"garbage after header", write("garbage.db", append(append([]byte{}, fix[:100]...), strings.Repeat("\xa5", 8000)...)), "cannot read the SQLite database"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := Open(tt.path, formats.Options{})
			if err == nil {
				src.Close()
				t.Fatalf("Open succeeded")
			}
			if !strings.Contains(err.Error(), tt.want) || triage.ErrorCode(err) != triage.EINVALID {
				t.Errorf("error %v, want EINVALID %q", err, tt.want)
			}
		})
	}
}

// TestCorrupt damages the fixture in many ways: every damaged file gives
// an error or fewer rows, never a panic or a hang.
func TestCorrupt(t *testing.T) {
	fix, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var cases [][]byte
	for _, n := range []int{4096, 8192, 12288, 20000, 36864, 40959} { // truncations
		cases = append(cases, fix[:n])
	}
	for off := 4096; off < len(fix); off += 1024 { // a zeroed kilobyte on every page
		b := append([]byte{}, fix...)
		clear(b[off : off+1024])
		cases = append(cases, b)
	}
	for off := 4096; off < len(fix); off += 512 { // flipped bytes
		b := append([]byte{}, fix...)
		for i := off; i < off+64; i++ {
			b[i] ^= 0x5a
		}
		cases = append(cases, b)
	}
	// Random damage, reproducible: flipped bytes, cut-offs, pages copied over
	// others (coverage-guided fuzzing runs slowly through the instrumented
	// SQLite engine, so this stress test does the bulk of the work).
	rng := rand.New(rand.NewPCG(1, 2))
	for range 600 {
		b := append([]byte{}, fix...)
		switch rng.IntN(3) {
		case 0:
			for range 1 + rng.IntN(16) {
				b[rng.IntN(len(b))] = byte(rng.Uint32())
			}
		case 1:
			b = b[:rng.IntN(len(b))]
		case 2:
			from, to, n := rng.IntN(len(b)), rng.IntN(len(b)), 1+rng.IntN(4096)
			copy(b[to:], b[from:min(len(b), from+n)])
		}
		cases = append(cases, b)
	}
	errs := 0
	for i, b := range cases {
		p := filepath.Join(dir, "c.db")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		src, err := Open(p, formats.Options{})
		if err != nil {
			errs++
			continue
		}
		r := readAll(t, src)
		src.Close()
		if r.fatal != nil || len(r.rejects) > 0 {
			errs++
		} else if len(r.entries) > 6 {
			t.Errorf("case %d: %d entries from a damaged 6-row database", i, len(r.entries))
		}
	}
	if errs == 0 {
		t.Errorf("no damaged file gave an error")
	}
	t.Logf("%d damaged files, %d gave errors", len(cases), errs)
}

func FuzzOpen(f *testing.F) {
	fix, err := os.ReadFile(fixture)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(fix)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "f.db")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		src, err := Open(p, formats.Options{})
		if err != nil {
			return
		}
		defer src.Close()
		readAll(t, src)
	})
}

// BenchmarkRead reads a generated database of 1M FILE rows.
func BenchmarkRead(b *testing.B) {
	const rows = 1_000_000
	path := filepath.Join(b.TempDir(), "bench.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range []string{rdsSchema, `INSERT INTO FILE
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 1000000)
		SELECT printf('%064X', i), printf('%040X', i), printf('%032X', i), printf('%08X', i), 'file_' || i || '.dll', i % 100000, 1001 FROM n`,
	} {
		if _, err := db.Exec(s); err != nil {
			b.Fatal(err)
		}
	}
	db.Close()
	for _, k := range []int{1, maxReaders} {
		b.Run(fmt.Sprintf("readers=%d", min(k, runtime.GOMAXPROCS(0))), func(b *testing.B) {
			defer func(r int) { maxReaders = r }(maxReaders)
			maxReaders = k
			b.ReportAllocs()
			for range b.N {
				src, err := Open(path, formats.Options{})
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for {
					_, err := src.Next()
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				src.Close()
				if n != rows {
					b.Fatalf("%d entries, want %d", n, rows)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}

// TestChunkedScan reads the same databases through one cursor and in
// chunks of a few rowids, by up to 8 readers: the same entries, rejects,
// record numbers and order, including rowid gaps (deleted rows), negative
// rowids, a chunk with no rows and a table with none.
func TestChunkedScan(t *testing.T) {
	s := samples(t)
	dir := t.TempDir()
	gaps := filepath.Join(dir, "gaps.db")
	stmts := []string{rdsSchema}
	for i := -7; i < 60; i++ {
		sm := s[(i+7)%len(s)]
		switch {
		case i%11 == 0:
			stmts = append(stmts, fmt.Sprintf(`INSERT INTO FILE (rowid, sha256, sha1, md5, crc32, file_name, file_size, package_id) VALUES (%d, 'ZZ', '', '', '', 'bad%d', 1, 1)`, i, i))
		default:
			stmts = append(stmts, fmt.Sprintf(`INSERT INTO FILE (rowid, sha256, sha1, md5, crc32, file_name, file_size, package_id) VALUES (%d, '%s', '%s', '%s', '%s', 'f%d', %d, %d)`,
				i, sm.SHA256, sm.SHA1, sm.MD5, sm.CRC32, i, 100+i, 1000+i))
		}
	}
	stmts = append(stmts, "DELETE FROM FILE WHERE rowid BETWEEN 20 AND 33", "DELETE FROM FILE WHERE rowid % 7 = 3")
	mustDB(t, gaps, stmts...)
	empty := filepath.Join(dir, "empty.db")
	mustDB(t, empty, rdsSchema)

	read := func(path string, readers int, chunk int64) result {
		defer func(r int, c int64) { maxReaders, chunkRows = r, c }(maxReaders, chunkRows)
		maxReaders, chunkRows = readers, chunk
		src, err := Open(path, formats.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		if got := src.(*source).scan != nil; got != (readers > 1 && runtime.GOMAXPROCS(0) > 1) {
			t.Fatalf("%s, %d readers: chunked %v", path, readers, got)
		}
		return readAll(t, src)
	}
	for _, path := range []string{gaps, empty, fixture} {
		want := read(path, 1, chunkRows)
		for _, k := range []int{2, 3, 8} {
			for _, chunk := range []int64{1, 2, 5, 64} {
				got := read(path, k, chunk)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s, %d readers, chunks of %d: %d entries %d rejects %v, want %d %d %v",
						filepath.Base(path), k, chunk, len(got.entries), len(got.rejects), got.fatal, len(want.entries), len(want.rejects), want.fatal)
				}
			}
		}
		if path == gaps && (len(want.entries) == 0 || len(want.rejects) == 0) {
			t.Fatalf("gaps.db: %d entries, %d rejects", len(want.entries), len(want.rejects))
		}
	}
}

// TestChunkedScanClose closes a chunked scan that is still reading.
func TestChunkedScanClose(t *testing.T) {
	defer func(c int64) { chunkRows = c }(chunkRows)
	chunkRows = 1
	src, err := Open(fixture, formats.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Next(); err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestSparseRowids: rowids spread wider than the file has bytes are read
// through one cursor, not as millions of empty chunks.
func TestSparseRowids(t *testing.T) {
	s := samples(t)
	path := filepath.Join(t.TempDir(), "sparse.db")
	mustDB(t, path, rdsSchema,
		`INSERT INTO FILE (rowid, sha256, sha1, md5, crc32, file_name, file_size, package_id) VALUES (1, '`+s[0].SHA256+`', '', '', '', 'a', 1, 1)`,
		`INSERT INTO FILE (rowid, sha256, sha1, md5, crc32, file_name, file_size, package_id) VALUES (1099511627776, '`+s[1].SHA256+`', '', '', '', 'b', 1, 1)`)
	src, err := Open(path, formats.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if src.(*source).scan != nil {
		t.Error("sparse rowids read in chunks")
	}
	if r := readAll(t, src); len(r.entries) != 2 || r.entries[1].Name != "b" || r.entries[1].Pos != 2 {
		t.Errorf("entries %+v", r.entries)
	}
}

// FuzzFileRow decodes FILE rows of any bytes, apart from SQLite (FuzzOpen
// runs slowly: coverage instrumentation of the transpiled SQLite makes
// each execution take seconds). A row is an entry that validates or a
// *triage.RecordError; it never panics.
func FuzzFileRow(f *testing.F) {
	s := samples(f)
	f.Add(s[0].SHA256, s[0].SHA1, s[0].MD5, s[0].CRC32, "a.dll", "18", "1001", true)
	f.Add("ZZ", "", "d41d8cd98f00b204e9800998ecf8427e", "", "", "big", "", false)
	f.Add(strings.ToLower(s[1].SHA256), s[1].SHA1[1:], "", "\xff", "\x00", "-1", "x", true)
	f.Fuzz(func(t *testing.T, sha256, sha1, md5, crc32, name, size, pkg string, valid bool) {
		row := fileRow{sha256: sql.RawBytes(sha256), sha1: sql.RawBytes(sha1), md5: sql.RawBytes(md5), crc32: sql.RawBytes(crc32),
			name: sql.RawBytes(name), size: sql.NullString{String: size, Valid: valid}, pkg: sql.NullString{String: pkg, Valid: valid}}
		e, err := row.entry()
		if err != nil {
			var re *triage.RecordError
			if !errors.As(err, &re) {
				t.Fatalf("%T %v, want a *triage.RecordError", err, err)
			}
			return
		}
		if err := e.Validate(); err != nil || e.Name != name {
			t.Fatalf("entry %+v: %v", e, err)
		}
	})
}
