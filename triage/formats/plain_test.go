package formats

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"

	"github.com/winnow-forensics/winnow/triage"
)

// Test support for the text and binary format readers.

// sample is one item of testdata/synthetic/EXPECTED-HASHES.json.
type sample struct {
	MD5, SHA1, SHA256, CRC32 string
	Size                     int64
}

var (
	samplesOnce sync.Once
	samplesList []sample
)

// samples returns the expected hashes of synthetic-sample-1..8 (index 0 is
// sample 1).
func samples(tb testing.TB) []sample {
	tb.Helper()
	samplesOnce.Do(func() {
		b, err := os.ReadFile(filepath.Join("testdata", "synthetic", "EXPECTED-HASHES.json"))
		if err != nil {
			return
		}
		var doc struct {
			Items []sample `json:"items"`
		}
		if json.Unmarshal(b, &doc) == nil {
			samplesList = doc.Items
		}
	})
	if len(samplesList) != 8 {
		tb.Fatalf("EXPECTED-HASHES.json: want 8 items, got %d", len(samplesList))
	}
	return samplesList
}

// readResult is everything a source gave.
type readResult struct {
	entries []triage.Entry
	rejects []*triage.RecordError
	fatal   error
	meta    map[string]string
}

// rejectPos lists the positions of the rejected records.
func (r readResult) rejectPos() []int64 {
	var p []int64
	for _, e := range r.rejects {
		p = append(p, e.Pos)
	}
	return p
}

// collect reads src to the end (or the first fatal error) and checks the
// reader's contract on the way: entries validate and carry a position,
// positions grow, record errors carry a position, the end repeats.
func collect(tb testing.TB, src Source) readResult {
	tb.Helper()
	var r readResult
	var last int64
	for i := 0; ; i++ {
		if i > 10_000_000 {
			tb.Fatalf("reader does not end")
		}
		e, err := src.Next()
		if err != nil {
			var re *triage.RecordError
			if errors.As(err, &re) {
				if re.Pos <= 0 {
					tb.Fatalf("record error without a position: %v", err)
				}
				r.rejects = append(r.rejects, re)
				continue
			}
			if !errors.Is(err, io.EOF) {
				r.fatal = err
			}
			if _, again := src.Next(); again == nil || again.Error() != err.Error() {
				tb.Fatalf("after %v, Next returned %v", err, again)
			}
			break
		}
		if verr := e.Validate(); verr != nil {
			tb.Fatalf("entry at %d does not validate: %v", e.Pos, verr)
		}
		if e.Pos <= 0 || e.Pos < last {
			tb.Fatalf("entry position %d after %d", e.Pos, last)
		}
		last = e.Pos
		r.entries = append(r.entries, e)
	}
	r.meta = src.Meta()
	return r
}

// readString reads text in format f.
func readString(tb testing.TB, text string, opt Options) (readResult, error) {
	tb.Helper()
	src, err := NewReader(strings.NewReader(text), opt)
	if err != nil {
		return readResult{}, err
	}
	defer src.Close()
	return collect(tb, src), nil
}

// readFixture opens a file under testdata with Open (detecting the format
// unless opt says it) and reads it.
func readFixture(tb testing.TB, path string, opt Options) readResult {
	tb.Helper()
	src, err := Open(filepath.Join("testdata", filepath.FromSlash(path)), opt)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	defer src.Close()
	return collect(tb, src)
}

// hashes summarises an entry's hashes as "algo:hex" strings, sorted.
func hashes(e triage.Entry) string {
	var s []string
	if e.Algos.Has(triage.AlgoMD5) {
		s = append(s, "md5:"+e.MD5.String())
	}
	if e.Algos.Has(triage.AlgoSHA1) {
		s = append(s, "sha1:"+e.SHA1.String())
	}
	if e.Algos.Has(triage.AlgoSHA256) {
		s = append(s, "sha256:"+e.SHA256.String())
	}
	if e.Algos.Has(triage.AlgoPDQ) {
		s = append(s, "pdq:"+e.PDQ.String())
	}
	if e.Algos.Has(triage.AlgoPHash) {
		s = append(s, "phash:"+e.PHash.String())
	}
	sort.Strings(s)
	return strings.Join(s, " ")
}

// entrySummary is what the fixture tests compare: every Entry field, with
// the hashes as text.
type entrySummary struct {
	Hashes   string
	Quality  int
	PhotoDNA string
	Size     int64
	Name, ID string
	Category string
	Series   string
	Tags     []string
	Flags    string
	Extra    map[string]string
	Pos      int64
}

func summarize(e triage.Entry) entrySummary {
	return entrySummary{
		Hashes: hashes(e), Quality: e.PDQQuality, PhotoDNA: e.PhotoDNA, Size: e.Size,
		Name: e.Name, ID: e.ID, Category: e.Category.String(), Series: e.Series,
		Tags: e.Tags, Flags: e.Flags.String(), Extra: e.Extra, Pos: e.Pos,
	}
}

// checkEntries compares entries field by field.
func checkEntries(t *testing.T, got []triage.Entry, want []entrySummary) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d entries, want %d", len(got), len(want))
	}
	for i := 0; i < len(got) && i < len(want); i++ {
		if g := summarize(got[i]); !reflect.DeepEqual(g, want[i]) {
			t.Errorf("entry %d:\n got %+v\nwant %+v", i, g, want[i])
		}
	}
}

// md5s and friends build hash summaries from the samples.
func md5Of(s sample) string    { return "md5:" + s.MD5 }
func sha1Of(s sample) string   { return "sha1:" + s.SHA1 }
func sha256Of(s sample) string { return "sha256:" + s.SHA256 }

func joinHashes(h ...string) string {
	sort.Strings(h)
	return strings.Join(h, " ")
}

// plainEntry is an entry summary with nothing but hashes and a position.
func plainEntry(pos int64, h ...string) entrySummary {
	return entrySummary{Hashes: joinHashes(h...), Quality: -1, Size: -1, Flags: "", Pos: pos}
}

func TestPlainFixtures(t *testing.T) {
	s := samples(t)
	named := func(pos int64, name string, h ...string) entrySummary {
		e := plainEntry(pos, h...)
		e.Name = name
		return e
	}
	binary := named(4, "binary mode.png", md5Of(s[3]))
	binary.Extra = map[string]string{"mode": "binary"}
	deep := func(pos int64, i int) entrySummary {
		e := named(pos, fmt.Sprintf("/synthetic/f%d.bin", i), md5Of(s[i]), sha256Of(s[i]))
		e.Size = 18
		return e
	}
	pdqFirst, pdqLast := "pdq:98736629670cc19fc9f23862f66cce1f599e32c78e236c78619d202e9e66c157",
		"pdq:ffdf5b2402a59df01cc526cbc3c24af849f273b751bfda2708a3a5052a97b548"

	tests := []struct {
		file    string
		opt     Options
		want    []entrySummary // nil: only count and ends are checked
		count   int
		first   string // hashes of the first entry, when want is nil
		last    string
		rejects []int64
		fatal   string
		meta    map[string]string
	}{
		{file: "synthetic/plain/md5sum.txt", want: []entrySummary{
			named(1, "dir/file 0.jpg", md5Of(s[0])), named(2, "dir/file 1.jpg", md5Of(s[1])),
			named(3, "dir/file 2.jpg", md5Of(s[2])), binary,
		}, meta: map[string]string{}},
		{file: "synthetic/plain/bsd-md5.txt", want: []entrySummary{
			named(1, "f0.bin", md5Of(s[0])), named(2, "f1.bin", md5Of(s[1])),
		}, meta: map[string]string{}},
		{file: "synthetic/plain/hashdeep.txt", want: []entrySummary{deep(6, 0), deep(7, 1), deep(8, 2)},
			meta: map[string]string{"version": "HASHDEEP-1.0", "columns": "size,md5,sha256,filename",
				"invoked_from": "/synthetic", "command": "hashdeep -r ."}},
		// Without --algo the 64-hex line on line 5 stops the import.
		{file: "synthetic/plain/mixed-one-per-line.txt", want: []entrySummary{
			plainEntry(3, md5Of(s[0])), plainEntry(4, sha1Of(s[1])),
		}, fatal: "line 5: " + ambiguous64, meta: map[string]string{}},
		{file: "synthetic/plain/mixed-one-per-line.txt", opt: Options{Algo: triage.AlgoSHA256}, want: []entrySummary{
			plainEntry(3, md5Of(s[0])), plainEntry(4, sha1Of(s[1])), plainEntry(5, sha256Of(s[2])), plainEntry(7, md5Of(s[3])),
		}, rejects: []int64{6}, meta: map[string]string{}},
		{file: "synthetic/plain/mixed-one-per-line.txt", opt: Options{Algo: triage.AlgoPDQ}, want: []entrySummary{
			plainEntry(3, md5Of(s[0])), plainEntry(4, sha1Of(s[1])), plainEntry(5, "pdq:"+s[2].SHA256), plainEntry(7, md5Of(s[3])),
		}, rejects: []int64{6}, meta: map[string]string{}},
		{file: "threatexchange-pdq/pdq-needles.txt", opt: Options{Algo: triage.AlgoPDQ},
			count: 100, first: pdqFirst, last: pdqLast, meta: map[string]string{}},
		{file: "threatexchange-pdq/pdq-needles.txt", fatal: "line 1: " + ambiguous64, meta: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.opt.Algo.String(), func(t *testing.T) {
			head, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if f, err := Detect(head, tt.file); f != Plain || err != nil {
				t.Errorf("Detect = %v, %v; want plain", f, err)
			}
			r := readFixture(t, tt.file, tt.opt)
			if tt.want != nil {
				checkEntries(t, r.entries, tt.want)
			} else {
				if len(r.entries) != tt.count {
					t.Fatalf("got %d entries, want %d", len(r.entries), tt.count)
				}
				if tt.count > 0 && (hashes(r.entries[0]) != tt.first || hashes(r.entries[tt.count-1]) != tt.last) {
					t.Errorf("first/last = %s / %s, want %s / %s", hashes(r.entries[0]), hashes(r.entries[tt.count-1]), tt.first, tt.last)
				}
			}
			if got := r.rejectPos(); !reflect.DeepEqual(got, tt.rejects) {
				t.Errorf("rejected %v, want %v", got, tt.rejects)
			}
			if tt.fatal == "" && r.fatal != nil || tt.fatal != "" && (r.fatal == nil || !strings.Contains(r.fatal.Error(), tt.fatal)) {
				t.Errorf("fatal error %v, want %q", r.fatal, tt.fatal)
			}
			if !reflect.DeepEqual(r.meta, tt.meta) {
				t.Errorf("meta %v, want %v", r.meta, tt.meta)
			}
		})
	}
}

// utf16LE encodes s as UTF-16LE with a byte-order mark.
func utf16LE(s string) string {
	var b bytes.Buffer
	b.WriteString("\xff\xfe")
	for _, u := range utf16.Encode([]rune(s)) {
		b.WriteByte(byte(u))
		b.WriteByte(byte(u >> 8))
	}
	return b.String()
}

func TestPlainHostile(t *testing.T) {
	s := samples(t)
	md5 := s[0].MD5
	tests := []struct {
		name    string
		in      string
		opt     Options
		want    []string // hashes of the entries
		rejects []int64
		fields  []string // Field of each reject
		fatal   string
		names   []string // Name of each entry, when given
	}{
		{name: "garbage", in: "zz\n" + md5 + "\nnot a hash at all\n", want: []string{md5Of(s[0])},
			rejects: []int64{1, 3}, fields: []string{"", ""}},
		{name: "wrong length", in: md5[:31] + "\n" + md5 + "0\n" + md5 + "\n", want: []string{md5Of(s[0])},
			rejects: []int64{1, 2}, fields: []string{"hash", "hash"}},
		{name: "sha512 length", in: strings.Repeat("ab", 64) + "\n", rejects: []int64{1}, fields: []string{"hash"}},
		{name: "empty file hash", in: "d41d8cd98f00b204e9800998ecf8427e\n" + md5 + "\n", want: []string{md5Of(s[0])},
			rejects: []int64{1}, fields: []string{""}},
		{name: "huge line", in: md5 + "\n" + strings.Repeat("a", 5000) + "\n" + s[1].MD5 + "\n", opt: Options{MaxLineBytes: 1000},
			want: []string{md5Of(s[0]), md5Of(s[1])}, rejects: []int64{2}, fields: []string{""}},
		{name: "huge last line", in: md5 + "\n" + strings.Repeat("a", 5000), opt: Options{MaxLineBytes: 1000},
			want: []string{md5Of(s[0])}, rejects: []int64{2}, fields: []string{""}},
		{name: "phash needs algo", in: "0123456789abcdef\n", rejects: []int64{1}, fields: []string{"hash"}},
		{name: "phash", in: "0123456789ABCDEF\n", opt: Options{Algo: triage.AlgoPHash}, want: []string{"phash:0123456789abcdef"}},
		{name: "bsd tags", in: "SHA256 (a b) = " + s[0].SHA256 + "\nSHA1 (c) = " + s[0].SHA1 + "\nSHA2-256(d)= " + s[1].SHA256 +
			"\nSHA512 (e) = " + strings.Repeat("ab", 64) + "\n",
			want: []string{sha256Of(s[0]), sha1Of(s[0]), sha256Of(s[1])}, names: []string{"a b", "c", "d"},
			rejects: []int64{4}, fields: []string{"algorithm"}},
		{name: "bsd bad hex", in: "MD5 (x) = " + md5[:30] + "zz\n", rejects: []int64{1}, fields: []string{"MD5"}},
		{name: "gnu escaped", in: `\` + md5 + `  dir\\a\nb` + "\n", want: []string{md5Of(s[0])}, names: []string{"dir\\a\nb"}},
		{name: "md5 -r and md5deep size", in: md5 + " one\n18 " + s[1].MD5 + " two words\n",
			want: []string{md5Of(s[0]), md5Of(s[1])}, names: []string{"one", "two words"}},
		{name: "sha256sum needs algo", in: s[0].SHA256 + "  f\n", fatal: "line 1: " + ambiguous64},
		{name: "sha256sum", in: s[0].SHA256 + "  f\n", opt: Options{Algo: triage.AlgoSHA256}, want: []string{sha256Of(s[0])}, names: []string{"f"}},
		{name: "utf-16 and bom", in: utf16LE(md5 + "\r\n" + s[1].SHA1 + "\r\n"), want: []string{md5Of(s[0]), sha1Of(s[1])}},
		{name: "utf-8 bom crlf", in: "\xef\xbb\xbf" + md5 + "\r\n", want: []string{md5Of(s[0])}},
		{name: "latin-1 name", in: md5 + "  caf\xe9.jpg\n", want: []string{md5Of(s[0])}, names: []string{"café.jpg"}},
		{name: "hashdeep bad size and hash", in: "%%%% HASHDEEP-1.0\n%%%% size,md5,sha1,filename\nx," + md5 + "," + s[0].SHA1 + ",a\n18,zz," + s[0].SHA1 + ",b\n18," + md5 + "\n18," + md5 + "," + s[0].SHA1 + ",a,b,c\n",
			want: []string{joinHashes(md5Of(s[0]), sha1Of(s[0]))}, names: []string{"a,b,c"},
			rejects: []int64{3, 4, 5}, fields: []string{"size", "md5", ""}},
		{name: "nul bytes", in: "\x00\x00\x00\n" + md5 + "\n", want: []string{md5Of(s[0])}, rejects: []int64{1}, fields: []string{""}},
		{name: "empty", in: ""},
		{name: "only comments", in: "# a\n\n#b\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Format = Plain
			r, err := readString(t, tt.in, tt.opt)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			var got, names []string
			for _, e := range r.entries {
				got = append(got, hashes(e))
				names = append(names, e.Name)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("entries %v, want %v", got, tt.want)
			}
			if tt.names != nil && !reflect.DeepEqual(names, tt.names) {
				t.Errorf("names %q, want %q", names, tt.names)
			}
			if !reflect.DeepEqual(r.rejectPos(), tt.rejects) {
				t.Errorf("rejected %v, want %v", shortList(r.rejects), tt.rejects)
			}
			for i, re := range r.rejects {
				if i < len(tt.fields) && re.Field != tt.fields[i] {
					t.Errorf("reject %d field %q, want %q (%v)", i, re.Field, tt.fields[i], re)
				}
			}
			if tt.fatal == "" && r.fatal != nil || tt.fatal != "" && (r.fatal == nil || !strings.Contains(r.fatal.Error(), tt.fatal)) {
				t.Errorf("fatal error %v, want %q", r.fatal, tt.fatal)
			}
		})
	}
}

// fuzzSource reads data in format f to the end with the contract checks of
// collect. It is the body of every reader's fuzz target.
func fuzzSource(t *testing.T, data []byte, opt Options) {
	src, err := NewReader(bytes.NewReader(data), opt)
	if err != nil {
		if src != nil {
			t.Fatalf("error and a source")
		}
		return
	}
	defer src.Close()
	r := collect(t, src)
	if n := int64(len(r.entries) + len(r.rejects)); n > int64(bytes.Count(data, []byte("\n"))+2) && opt.Format != EnCase {
		t.Fatalf("%d records from %d lines", n, bytes.Count(data, []byte("\n"))+1)
	}
}

// addFixtures seeds a fuzz target with fixture files.
func addFixtures(f *testing.F, paths ...string) {
	for _, p := range paths {
		b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(p)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

func FuzzPlain(f *testing.F) {
	addFixtures(f, "synthetic/plain/md5sum.txt", "synthetic/plain/bsd-md5.txt", "synthetic/plain/hashdeep.txt",
		"synthetic/plain/mixed-one-per-line.txt")
	f.Add([]byte(`\6b7053944681f9b77697ae85dec5b484  a\\b` + "\n18 6b7053944681f9b77697ae85dec5b484 x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzSource(t, data, Options{Format: Plain, MaxLineBytes: 300})
		fuzzSource(t, data, Options{Format: Plain, Algo: triage.AlgoPDQ, MaxLineBytes: 300})
	})
}

// genLines builds n lines with line(i) for a benchmark input.
func genLines(n int, header string, line func(b []byte, i int) []byte) []byte {
	b := make([]byte, 0, n*64)
	b = append(b, header...)
	for i := range n {
		b = line(b, i)
	}
	return b
}

// appendFakeHex appends 2*n hex digits derived from i.
func appendFakeHex(b []byte, i, n int) []byte {
	const digits = "0123456789ABCDEF"
	x := uint64(i)*0x9e3779b97f4a7c15 + 1
	for k := 0; k < 2*n; k++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b = append(b, digits[x&15])
	}
	return b
}

// benchRead reads input in format opt.Format b.N times and reports records/s.
func benchRead(b *testing.B, input []byte, opt Options, records int) {
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		src, err := NewReader(bytes.NewReader(input), opt)
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
		if n != records {
			b.Fatalf("read %d records, want %d", n, records)
		}
	}
	b.ReportMetric(float64(records)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
}

var plainBench = sync.OnceValue(func() []byte {
	return genLines(1_000_000, "", func(b []byte, i int) []byte {
		return append(appendFakeHex(b, i, 16), '\n')
	})
})

// BenchmarkPlain reads a list of 1M MD5s, one per line.
func BenchmarkPlain(b *testing.B) {
	benchRead(b, plainBench(), Options{Format: Plain}, 1_000_000)
}
