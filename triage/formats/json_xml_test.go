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
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf16"

	"github.com/winnow-forensics/winnow/triage"
)

// Test support for the JSON and XML readers (VICS, StopNCII, NCMEC, C4All).
// Helpers carry a jx prefix to keep clear of the text-format tests' helpers.

// jxSample is one item of testdata/synthetic/EXPECTED-HASHES.json.
type jxSample struct {
	MD5, SHA1, SHA256 string
	Size              int64
}

// jxSamples returns the expected hashes of synthetic-sample-1..8; index 0
// is unused so that jxSamples(t)[n] is sample n.
var jxSamples = sync.OnceValues(func() ([]jxSample, error) {
	b, err := os.ReadFile(filepath.Join("testdata", "synthetic", "EXPECTED-HASHES.json"))
	if err != nil {
		return nil, err
	}
	var doc struct{ Items []jxSample }
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if len(doc.Items) != 8 {
		return nil, fmt.Errorf("EXPECTED-HASHES.json: %d items, want 8", len(doc.Items))
	}
	return append([]jxSample{{}}, doc.Items...), nil
})

func mustSamples(tb testing.TB) []jxSample {
	tb.Helper()
	s, err := jxSamples()
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// jxResult is everything a source gave: entries, rejected records, the
// fatal error (nil after a clean end) and the final Meta.
type jxResult struct {
	entries []triage.Entry
	rejects []*triage.RecordError
	fatal   error
	meta    map[string]string
}

// jxCollect reads src to its end and checks the reader contract on the
// way: entries validate (deletions aside) and their positions grow, record
// errors carry a position, the final error repeats.
func jxCollect(tb testing.TB, src Source) jxResult {
	tb.Helper()
	var r jxResult
	var last int64
	for i := 0; ; i++ {
		if i > 5_000_000 {
			tb.Fatalf("the reader does not end")
		}
		e, err := src.Next()
		if err != nil {
			var re *triage.RecordError
			if errors.As(err, &re) {
				if re.Pos <= last {
					tb.Fatalf("record error at %d after %d: %v", re.Pos, last, err)
				}
				last = re.Pos
				r.rejects = append(r.rejects, re)
				continue
			}
			if err != io.EOF {
				r.fatal = err
				if triage.ErrorCode(err) != triage.EINVALID {
					tb.Fatalf("fatal error without the invalid code: %v", err)
				}
			}
			if _, again := src.Next(); again == nil || again.Error() != err.Error() {
				tb.Fatalf("after %v, Next returned %v", err, again)
			}
			break
		}
		if !IsDeletion(&e) {
			if verr := e.Validate(); verr != nil {
				tb.Fatalf("entry %d does not validate: %v", e.Pos, verr)
			}
		}
		if e.Pos <= last {
			tb.Fatalf("entry at %d after %d", e.Pos, last)
		}
		last = e.Pos
		r.entries = append(r.entries, e)
	}
	r.meta = src.Meta()
	return r
}

// jxRead reads text with opt.
func jxRead(tb testing.TB, text string, opt Options) (jxResult, error) {
	tb.Helper()
	src, err := NewReader(strings.NewReader(text), opt)
	if err != nil {
		return jxResult{}, err
	}
	defer src.Close()
	return jxCollect(tb, src), nil
}

// jxMustRead reads text and fails on an open error.
func jxMustRead(tb testing.TB, text string, opt Options) jxResult {
	tb.Helper()
	r, err := jxRead(tb, text, opt)
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	return r
}

// jxReadFixture opens a file under testdata with Open, detecting its format.
func jxReadFixture(tb testing.TB, path string, opt Options) jxResult {
	tb.Helper()
	src, err := Open(filepath.Join("testdata", filepath.FromSlash(path)), opt)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	defer src.Close()
	return jxCollect(tb, src)
}

// jxWant is what a test expects of one entry. Zero fields are checked to be
// zero too, except where noted.
type jxWant struct {
	pos      int64
	sample   int    // synthetic-sample-N: MD5 (and SHA1 unless noSHA1) and Size from EXPECTED-HASHES.json
	md5      string // when sample is 0
	sha1     string
	noSHA1   bool
	pdq      string
	size     int64 // when sample is 0; -1 unknown
	noSize   bool  // the sample's size is not in the source
	id       string
	category string
	series   string
	name     string
	tags     []string
	flags    triage.EntryFlags
	photoDNA string   // "" none, "*" any, else exact
	extra    []string // Extra keys, sorted
}

// jxCheck compares entries with what is wanted.
func jxCheck(t *testing.T, got []triage.Entry, want []jxWant) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d entries, want %d", len(got), len(want))
	}
	s := mustSamples(t)
	for i := range min(len(got), len(want)) {
		e, w := got[i], want[i]
		var errs []string
		check := func(field string, g, w any) {
			if !reflect.DeepEqual(g, w) {
				errs = append(errs, fmt.Sprintf("%s = %#v, want %#v", field, g, w))
			}
		}
		md5, sha1, size := w.md5, w.sha1, w.size
		if w.sample > 0 {
			md5, size = s[w.sample].MD5, s[w.sample].Size
			if w.noSize {
				size = -1
			}
			if !w.noSHA1 {
				sha1 = s[w.sample].SHA1
			}
		}
		var algos triage.AlgoSet
		if md5 != "" {
			algos |= triage.AlgoSet(triage.AlgoMD5)
			check("MD5", e.MD5.String(), md5)
		}
		if sha1 != "" {
			algos |= triage.AlgoSet(triage.AlgoSHA1)
			check("SHA1", e.SHA1.String(), sha1)
		}
		if w.pdq != "" {
			algos |= triage.AlgoSet(triage.AlgoPDQ)
			check("PDQ", e.PDQ.String(), w.pdq)
		}
		check("Algos", e.Algos.String(), algos.String())
		check("Size", e.Size, size)
		check("Pos", e.Pos, w.pos)
		check("ID", e.ID, w.id)
		check("Category", e.Category.String(), w.category)
		check("Series", e.Series, w.series)
		check("Name", e.Name, w.name)
		check("Tags", e.Tags, w.tags)
		check("Flags", e.Flags.String(), w.flags.String())
		switch w.photoDNA {
		case "*":
			if len(e.PhotoDNA) != 192 {
				errs = append(errs, fmt.Sprintf("PhotoDNA has %d characters, want 192", len(e.PhotoDNA)))
			}
		default:
			check("PhotoDNA", e.PhotoDNA, w.photoDNA)
		}
		check("PDQQuality", e.PDQQuality, -1)
		keys := slices.Sorted(func(yield func(string) bool) {
			for k := range e.Extra {
				if !yield(k) {
					return
				}
			}
		})
		if len(keys) == 0 {
			keys = nil
		}
		check("Extra keys", keys, w.extra)
		if len(errs) > 0 {
			t.Errorf("entry %d:\n\t%s", i+1, strings.Join(errs, "\n\t"))
		}
	}
}

// jxCheckMeta compares Meta with what is wanted, exactly.
func jxCheckMeta(t *testing.T, got, want map[string]string) {
	t.Helper()
	for k, w := range want {
		if g, ok := got[k]; !ok || g != w {
			t.Errorf("Meta[%q] = %q, want %q", k, g, w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("Meta[%q] = %q, not expected", k, g)
		}
	}
}

// jxUTF16LE encodes s as UTF-16LE with a byte-order mark.
func jxUTF16LE(s string) string {
	b := []byte{0xff, 0xfe}
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return string(b)
}

// jxStep is one result of Next in a record-error test: an entry at pos, or
// a record error at pos in field whose message contains msg.
type jxStep struct {
	pos   int64
	field string // "" for an entry, unless msg is set
	msg   string // "" for an entry
}

// jxSteps checks the sequence of results of a source.
func jxSteps(t *testing.T, r jxResult, want []jxStep) {
	t.Helper()
	var got []jxStep
	ei, ri := 0, 0
	for ei < len(r.entries) || ri < len(r.rejects) {
		if ri >= len(r.rejects) || ei < len(r.entries) && r.entries[ei].Pos < r.rejects[ri].Pos {
			got = append(got, jxStep{pos: r.entries[ei].Pos})
			ei++
			continue
		}
		re := r.rejects[ri]
		got = append(got, jxStep{pos: re.Pos, field: re.Field, msg: re.Error()})
		ri++
	}
	if len(got) != len(want) {
		t.Errorf("results:\n\t%v\nwant\n\t%v", got, want)
		return
	}
	for i, w := range want {
		g := got[i]
		if g.pos != w.pos || g.field != w.field || (w.msg == "") != (g.msg == "") || !strings.Contains(g.msg, w.msg) {
			t.Errorf("result %d = {pos %d, field %q, %q}, want {pos %d, field %q, containing %q}",
				i+1, g.pos, g.field, g.msg, w.pos, w.field, w.msg)
		}
	}
}

// jxFuzz reads data to the end as the format in opt and checks the reader
// contract; it returns the result for further checks.
func jxFuzz(t *testing.T, data []byte, opt Options) (jxResult, bool) {
	src, err := NewReader(bytes.NewReader(data), opt)
	if err != nil {
		if src != nil {
			t.Fatalf("an error and a source")
		}
		if triage.ErrorCode(err) != triage.EINVALID {
			t.Fatalf("open error without the invalid code: %v", err)
		}
		return jxResult{}, false
	}
	defer src.Close()
	r := jxCollect(t, src)
	if int64(len(r.entries)+len(r.rejects)) > int64(len(data)) {
		t.Fatalf("%d records from %d bytes", len(r.entries)+len(r.rejects), len(data))
	}
	return r, true
}

// jxFuzzSeed adds fixture files to a fuzz corpus.
func jxFuzzSeed(f *testing.F, paths ...string) {
	for _, p := range paths {
		b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(p)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// jxGen is a reader that generates a document on the fly: head, then
// record(i) for i in 0..n-1 separated by sep, then tail. Benchmarks read
// millions of records without holding them.
type jxGen struct {
	head, sep, tail string
	record          func(b []byte, i int) []byte
	n, i            int
	buf             []byte
	state           int
}

func (g *jxGen) Read(p []byte) (int, error) {
	for len(g.buf) == 0 {
		switch {
		case g.state == 0:
			g.buf = append(g.buf, g.head...)
			g.state = 1
		case g.state == 1 && g.i < g.n:
			for k := 0; k < 64 && g.i < g.n; k++ {
				if g.i > 0 {
					g.buf = append(g.buf, g.sep...)
				}
				g.buf = g.record(g.buf, g.i)
				g.i++
			}
		case g.state == 1:
			g.buf = append(g.buf, g.tail...)
			g.state = 2
		default:
			return 0, io.EOF
		}
	}
	n := copy(p, g.buf)
	g.buf = g.buf[n:]
	if len(g.buf) == 0 {
		g.buf = g.buf[:0:cap(g.buf)]
	}
	return n, nil
}

// jxHex appends 2*n lowercase hex digits derived from i.
func jxHex(b []byte, i, n int) []byte {
	const digits = "0123456789abcdef"
	x := uint64(i)*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019
	for range 2 * n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b = append(b, digits[x&15])
	}
	return b
}

// jxBench reads b.N generated records and reports records per second.
func jxBench(b *testing.B, g *jxGen, opt Options) {
	g.n = b.N
	b.ReportAllocs()
	src, err := NewReader(g, opt)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	n := 0
	for {
		_, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.StopTimer()
	if n != b.N {
		b.Fatalf("read %d records, want %d", n, b.N)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
}

// ---- StopNCII ---------------------------------------------------------------

func TestStopNCIIFixture(t *testing.T) {
	r := jxReadFixture(t, "synthetic/stopncii/fetchhashes-synthetic.json", Options{})
	if r.fatal != nil || len(r.rejects) != 0 {
		t.Fatalf("fatal %v, rejects %v", r.fatal, r.rejects)
	}
	s := mustSamples(t)
	jxCheck(t, r.entries, []jxWant{{
		pos: 1, pdq: "27572acf8f0d1f7117c6eba5fc07de9f9f019160a252f94641ef86632a0604b0", size: -1,
		tags:  []string{"t1"},
		extra: []string{"CSPFeedbacks", "caseNumbers", "hashStatus", "lastModtimestamp", "signalType"},
	}, {
		pos: 2, md5: s[3].MD5, size: -1,
		extra: []string{"CSPFeedbacks", "caseNumbers", "hashStatus", "lastModtimestamp", "signalType", ExtraDeleted},
	}})
	jxCheckMeta(t, r.meta, map[string]string{
		"count": "2", "nextPageToken": "synthetic-token", "nextSetTimestamp": "1704067200",
		"hasMoreRecords": "false", "kind": "ncii",
	})
	if len(r.entries) == 2 {
		e0, e1 := r.entries[0], r.entries[1]
		if IsDeletion(&e0) || !IsDeletion(&e1) {
			t.Errorf("IsDeletion = %v, %v; want false, true", IsDeletion(&e0), IsDeletion(&e1))
		}
		want := map[string]string{
			"CSPFeedbacks":     `[{"source":"ExampleCSP","feedbackValue":"Blocked","tags":["t1"]}]`,
			"caseNumbers":      `{"SYN-CASE-1":"Active"}`,
			"hashStatus":       "Active",
			"lastModtimestamp": "1704067100",
			"signalType":       "ImagePDQ",
		}
		if !reflect.DeepEqual(e0.Extra, want) {
			t.Errorf("Extra = %v, want %v", e0.Extra, want)
		}
	}
}

func TestStopNCIIRecords(t *testing.T) {
	const pdq = "d041e9ac0c858bf252e0ac5fa4bbfcfa5a97b5ef11c9f768858cc4325a323c58"
	doc := `{"hashRecords":[
		{"signalType":"ImagePDQ","hashValue":"` + pdq + `"},
		{"signalType":"VideoTMK","hashValue":"abc"},
		{"signalType":"ImagePDQ","hashValue":"xyz"},
		{"signalType":"VideoMD5"},
		{"signalType":"VideoMD5","hashValue":"D41D8CD98F00B204E9800998ECF8427E"},
		{"signalType":"imagepdq","hashValue":"` + strings.ToUpper(pdq) + `","hashStatus":"Deleted","CSPFeedbacks":[{"tags":["a","b"]},{"tags":["b"]}]},
		{"signalType":5,"hashValue":"` + pdq + `"},
		{"signalType":"ImagePDQ","hashValue":"` + pdq + `","CSPFeedbacks":{"x":1}},
		[1,2],
		{"signalType":"ImagePDQ","hashValue":"` + pdq + `","hashValue":"` + pdq + `"}
	],"nextPageToken":"after"}`
	r := jxMustRead(t, doc, Options{})
	if r.fatal != nil {
		t.Fatal(r.fatal)
	}
	jxSteps(t, r, []jxStep{
		{pos: 1},
		{pos: 2, field: "signalType", msg: "VideoTMK"},
		{pos: 3, field: "hashValue", msg: "want 64 hex digits"},
		{pos: 4, field: "hashValue", msg: "missing"},
		{pos: 5, field: "hashValue", msg: "empty file"},
		{pos: 6},
		{pos: 7, field: "signalType", msg: "a number, want a string"},
		{pos: 8, field: "CSPFeedbacks", msg: "want an array"},
		{pos: 9, msg: "want an object"},
		{pos: 10, field: "hashValue", msg: "twice"},
	})
	if len(r.entries) == 2 {
		e := r.entries[1]
		if e.PDQ.String() != pdq || !reflect.DeepEqual(e.Tags, []string{"a", "b"}) || !IsDeletion(&e) {
			t.Errorf("entry 6: pdq %s tags %v deletion %v", e.PDQ, e.Tags, IsDeletion(&e))
		}
	}
	if r.meta["nextPageToken"] != "after" {
		t.Errorf("Meta = %v, want the token after the records", r.meta)
	}
}

func FuzzStopNCII(f *testing.F) {
	jxFuzzSeed(f, "synthetic/stopncii/fetchhashes-synthetic.json")
	f.Add([]byte(`{"hashRecords":[{"signalType":"VideoMD5","hashValue":"6b7053944681f9b77697ae85dec5b484","CSPFeedbacks":[{"tags":"x,y"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		jxFuzz(t, data, Options{Format: StopNCII, MaxLineBytes: 512, MaxDepth: 8})
	})
}

func BenchmarkStopNCIIRead(b *testing.B) {
	g := &jxGen{
		head: `{"count":1000,"nextPageToken":"t","hasMoreRecords":true,"hashRecords":[`,
		sep:  ",\n",
		tail: "]}",
		record: func(b []byte, i int) []byte {
			b = append(b, `{"lastModtimestamp":1704067100,"signalType":"ImagePDQ","hashValue":"`...)
			b = jxHex(b, i, 32)
			return append(b, `","hashStatus":"Active","caseNumbers":{"c":"Active"},"CSPFeedbacks":[]}`...)
		},
	}
	jxBench(b, g, Options{Format: StopNCII})
}

// ---- NCMEC --------------------------------------------------------------------

func TestNCMECFixture(t *testing.T) {
	r := jxReadFixture(t, "synthetic/ncmec/entries-synthetic.xml", Options{})
	if r.fatal != nil || len(r.rejects) != 0 {
		t.Fatalf("fatal %v, rejects %v", r.fatal, r.rejects)
	}
	jxCheck(t, r.entries, []jxWant{{
		pos: 1, sample: 1, noSize: true, id: "synthetic-image-1", category: "industry:A1", photoDNA: "*",
		extra: []string{"element", "member", "member@id", "timestamp"},
	}, {
		pos: 2, size: -1, id: "synthetic-image-0",
		extra: []string{"element", "member", "member@id", "timestamp", ExtraDeleted},
	}, {
		pos: 3, sample: 2, noSHA1: true, noSize: true, id: "synthetic-video-1",
		extra: []string{"element", "member", "member@id", "timestamp"},
	}})
	jxCheckMeta(t, r.meta, map[string]string{
		"scheme":              "industry",
		"namespace":           "https://hashsharing.ncmec.org/hashsharing/v2",
		"images@count":        "2",
		"images@maxTimestamp": "2024-01-02T00:00:00Z",
		"videos@count":        "1",
		"videos@maxTimestamp": "2024-01-01T00:00:00Z",
		"next":                "/v2/entries?from=2024-01-01T00%3A00%3A00.000Z&to=2024-01-03T00%3A00%3A00.000Z&start=1001&size=1000&max=2000",
	})
	if len(r.entries) == 3 {
		want := []map[string]string{
			{"element": "image", "member": "Example Member", "member@id": "42", "timestamp": "2024-01-01T00:00:00Z"},
			{"element": "deletedImage", "member": "Example Member", "member@id": "42", "timestamp": "2024-01-02T00:00:00Z", ExtraDeleted: "true"},
			{"element": "video", "member": "Another Member", "member@id": "43", "timestamp": "2024-01-01T00:00:00Z"},
		}
		for i, e := range r.entries {
			if !reflect.DeepEqual(e.Extra, want[i]) {
				t.Errorf("entry %d: Extra = %v, want %v", i+1, e.Extra, want[i])
			}
			if IsDeletion(&e) != (i == 1) {
				t.Errorf("entry %d: IsDeletion = %v", i+1, IsDeletion(&e))
			}
		}
		if !strings.HasPrefix(r.entries[0].PhotoDNA, "zOApjvi3aCJukZ5Z") {
			t.Errorf("PhotoDNA = %q", r.entries[0].PhotoDNA)
		}
	}
}

func TestNCMECRecords(t *testing.T) {
	const md5 = "6b7053944681f9b77697ae85dec5b484"
	doc := `<?xml version="1.0"?>
<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2"><images>
<image><id>1</id><classification>b2</classification><fingerprints><md5>` + md5 + `</md5><netclean>NC1</netclean><pdq q="90">d041e9ac0c858bf252e0ac5fa4bbfcfa5a97b5ef11c9f768858cc4325a323c58</pdq></fingerprints>
  <feedback><affirmative type="md5"><reason>r1</reason><reason>r2</reason></affirmative></feedback></image>
<image><id>2</id><classification>Z9</classification><fingerprints><md5>` + md5 + `</md5></fingerprints></image>
<image><id>3</id><fingerprints><md5>` + strings.Repeat("zz", 16) + `</md5></fingerprints></image>
<image><id>4</id><fingerprints><sha1>` + md5 + `</sha1></fingerprints></image>
<image><id>5</id></image>
<image><id>6</id><id>7</id><fingerprints><md5>` + md5 + `</md5></fingerprints></image>
<image><id>8</id><fingerprints><md5>` + md5 + `</md5><md5>` + md5 + `</md5></fingerprints></image>
<image><id>9</id><classification/><fingerprints><md5>` + strings.ToUpper(md5) + `</md5></fingerprints></image>
<deletedVideo><id>10</id></deletedVideo>
<deletedImage><member>m</member></deletedImage>
</images></queryResult>`
	r := jxMustRead(t, doc, Options{})
	if r.fatal != nil {
		t.Fatal(r.fatal)
	}
	jxSteps(t, r, []jxStep{
		{pos: 1},
		{pos: 2, field: "classification", msg: `scheme industry has no code "Z9" (line 5)`},
		{pos: 3, field: "md5", msg: "not hex"},
		{pos: 4, field: "sha1", msg: "want 40 hex digits"},
		{pos: 5, msg: "no usable hash (line 8)"},
		{pos: 6, field: "id", msg: "twice"},
		{pos: 7, field: "md5", msg: "twice"},
		{pos: 8},
		{pos: 9},
		{pos: 10, field: "id", msg: "a deletion names the record it removes"},
	})
	if len(r.entries) != 3 {
		return
	}
	e := r.entries[0]
	if e.Category.String() != "industry:B2" || e.Algos.String() != "md5,pdq" {
		t.Errorf("entry 1: category %s algos %s", e.Category, e.Algos)
	}
	wantExtra := map[string]string{
		"element":               "image",
		"fingerprints.netclean": "NC1",
		"fingerprints.pdq@q":    "90",
		"feedback":              `{"affirmative":{"@type":"md5","reason":["r1","r2"]}}`,
	}
	if !reflect.DeepEqual(e.Extra, wantExtra) {
		t.Errorf("entry 1: Extra = %v, want %v", e.Extra, wantExtra)
	}
	if e := r.entries[1]; !e.Category.IsZero() || e.MD5.String() != md5 {
		t.Errorf("entry 8: category %q md5 %s", e.Category, e.MD5)
	}
	if e := r.entries[2]; !IsDeletion(&e) || e.ID != "10" || e.Extra["element"] != "deletedVideo" {
		t.Errorf("entry 9: %+v", e)
	}
}

func TestNCMECScheme(t *testing.T) {
	doc := `<queryResult><images><image><classification>1</classification><fingerprints><md5>6b7053944681f9b77697ae85dec5b484</md5></fingerprints></image></images></queryResult>`
	r := jxMustRead(t, doc, Options{Scheme: triage.SchemeVICUS})
	if len(r.entries) != 1 || r.entries[0].Category.String() != "vic-us:1" {
		t.Errorf("entries %v rejects %v, want one in vic-us:1", r.entries, r.rejects)
	}
	if _, err := jxRead(t, doc, Options{Scheme: "nope"}); err == nil || !strings.Contains(err.Error(), `unknown category scheme "nope"`) {
		t.Errorf("unknown scheme: %v", err)
	}
}

func FuzzNCMEC(f *testing.F) {
	jxFuzzSeed(f, "synthetic/ncmec/entries-synthetic.xml")
	f.Add([]byte(`<queryResult><videos><video a="b"><x><y>1</y><y z="2"/></x><fingerprints><pdq>00</pdq></fingerprints></video></videos><paging><next>n</next></paging><other>o</other></queryResult>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		jxFuzz(t, data, Options{Format: NCMEC, MaxLineBytes: 1024, MaxDepth: 8})
	})
}

func BenchmarkNCMECRead(b *testing.B) {
	g := &jxGen{
		head: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2"><images count="1000" maxTimestamp="2024-01-02T00:00:00Z">`,
		sep:  "\n",
		tail: "</images></queryResult>",
		record: func(b []byte, i int) []byte {
			b = append(b, `<image><member id="42">Example Member</member><timestamp>2024-01-01T00:00:00Z</timestamp><id>`...)
			b = jxHex(b, i, 8)
			b = append(b, `</id><classification>A1</classification><fingerprints><md5>`...)
			b = jxHex(b, i, 16)
			b = append(b, `</md5><sha1>`...)
			b = jxHex(b, i+1, 20)
			return append(b, `</sha1></fingerprints></image>`...)
		},
	}
	jxBench(b, g, Options{Format: NCMEC})
}

// ---- C4All ----------------------------------------------------------------------

func TestC4AllFixture(t *testing.T) {
	r := jxReadFixture(t, "synthetic/c4all/C4P-synthetic.xml", Options{})
	if r.fatal != nil || len(r.rejects) != 0 {
		t.Fatalf("fatal %v, rejects %v", r.fatal, r.rejects)
	}
	extra := []string{"accessed", "aspectRatio", "bitDepth", "created", "deleted", "element", "encaseHash", "fileoffset",
		"myDescription", "myUnique", "notes", "path", "physicalLocation", "picture", "subCat", "tagged", "written"}
	jxCheck(t, r.entries, []jxWant{
		{pos: 1, sample: 1, noSHA1: true, id: "1", name: `EXH-1\Users\x\Pictures\img1.jpg`, extra: extra},
		{pos: 2, sample: 2, noSHA1: true, id: "2", name: `EXH-1\Users\x\Pictures\img2.jpg`, extra: extra},
	})
	jxCheckMeta(t, r.meta, map[string]string{"version": "2.0", "source": "X-Ways", "dll": "Griffeye Extraction 1.61", "scheme": "caid"})
	if len(r.entries) == 2 {
		e := r.entries[0]
		want := map[string]string{
			"accessed": "133000000000000000", "aspectRatio": "", "bitDepth": "", "created": "133000000000000000",
			"deleted": "0", "element": "Image", "encaseHash": "0", "fileoffset": "0", "myDescription": "existing file",
			"myUnique": "0", "notes": "", "path": `6B\70\`, "physicalLocation": "4096",
			"picture": "6B7053944681F9B77697AE85DEC5B484", "subCat": "", "tagged": "0", "written": "133000000000000000",
		}
		if !reflect.DeepEqual(e.Extra, want) {
			t.Errorf("Extra = %v, want %v", e.Extra, want)
		}
		if IsDeletion(&e) {
			t.Errorf("C4All's <deleted> FILETIME taken for a deletion")
		}
	}
}

func TestC4AllRecords(t *testing.T) {
	const md5 = "6B7053944681F9B77697AE85DEC5B484"
	doc := "<?xml version=\"1.0\"  encoding=\"utf-16\"?>\r\n<ReportIndex version=\"2.0\">\r\n" +
		"<Movie><movie>" + md5 + "</movie><category>3</category><id>1</id><fileSize>7</fileSize><fullpath><![CDATA[C:\\v.mp4]]></fullpath></Movie>\r\n" +
		"<Image><hash>" + md5 + "</hash><category>7</category></Image>\r\n" +
		"<Image><hash>" + md5 + "</hash><category>x</category></Image>\r\n" +
		"<Image><hash>" + md5 + "</hash><fileSize>-5</fileSize></Image>\r\n" +
		"<Image><hash>123</hash></Image>\r\n" +
		"<Image><picture>pic</picture></Image>\r\n" +
		"<Image><hash>" + md5 + "</hash><category>8</category><notes>ü \"quoted\" &amp; more</notes></Image>\r\n" +
		"</ReportIndex>\r\n"
	for _, enc := range []struct {
		name string
		text string
	}{{"utf-16le", jxUTF16LE(doc)}, {"utf-8", strings.Replace(doc, "utf-16", "utf-8", 1)}} {
		t.Run(enc.name, func(t *testing.T) {
			r := jxMustRead(t, enc.text, Options{})
			if r.fatal != nil {
				t.Fatal(r.fatal)
			}
			jxSteps(t, r, []jxStep{
				{pos: 1},
				{pos: 2, field: "category", msg: "scheme caid does not define 7"},
				{pos: 3, field: "category", msg: "not an integer"},
				{pos: 4, field: "fileSize", msg: "not a size"},
				{pos: 5, field: "hash", msg: "want 32 hex digits"},
				{pos: 6, field: "hash", msg: "no usable hash"},
				{pos: 7},
			})
			if len(r.entries) != 2 {
				return
			}
			if e := r.entries[0]; e.Category.String() != "caid:C" || e.Size != 7 || e.Name != `C:\v.mp4` ||
				e.MD5.String() != strings.ToLower(md5) || e.Extra["element"] != "Movie" {
				t.Errorf("entry 1: %+v", e)
			}
			if e := r.entries[1]; e.Category.String() != "caid:ignorable" || e.Extra["notes"] != `ü "quoted" & more` {
				t.Errorf("entry 7: %+v", e)
			}
		})
	}
}

func FuzzC4All(f *testing.F) {
	jxFuzzSeed(f, "synthetic/c4all/C4P-synthetic.xml")
	f.Add([]byte(`<ReportIndex><Image><hash>6b7053944681f9b77697ae85dec5b484</hash><category>1</category><fileSize>1</fileSize></Image></ReportIndex>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		jxFuzz(t, data, Options{Format: C4All, MaxLineBytes: 1024, MaxDepth: 8})
	})
}

func BenchmarkC4AllRead(b *testing.B) {
	g := &jxGen{
		head: jxUTF16LE("<?xml version=\"1.0\"  encoding=\"utf-16\"?>\r\n\t<ReportIndex version=\"2.0\" source=\"X-Ways\">\r\n"),
		tail: jxUTF16LE("</ReportIndex>\r\n"),
		record: func(b []byte, i int) []byte {
			h := string(jxHex(nil, i, 16))
			return append(b, jxUTF16LE("\t\t<Image>\r\n\t\t\t<path><![CDATA[6B\\70\\]]></path>\r\n\t\t\t<picture>" + h + "</picture>\r\n\t\t\t<category>0</category>\r\n\t\t\t<id>1</id>\r\n" +
				"\t\t\t<fullpath><![CDATA[EXH-1\\Users\\x\\img.jpg]]></fullpath>\r\n\t\t\t<hash>" + h + "</hash>\r\n\t\t\t<fileSize>18</fileSize>\r\n\t\t</Image>\r\n")[2:]...)
		},
	}
	jxBench(b, g, Options{Format: C4All})
}

// ---- hostile input, all four readers ------------------------------------------------

// TestJSONXMLHostile feeds malformed, truncated, deep and huge documents to
// every reader: each must end with a clear fatal error naming the position,
// without panicking and within its memory bounds.
func TestJSONXMLHostile(t *testing.T) {
	const md5 = "6b7053944681f9b77697ae85dec5b484"
	vicsRec := `{"MediaID":1,"MD5":"` + md5 + `"}`
	vicsDoc := func(records string) string {
		return `{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media","value":[` + records + `]}`
	}
	huge := strings.Repeat("x", 3<<20)
	deepJSON := strings.Repeat("[", 200) + strings.Repeat("]", 200)
	deepXML := strings.Repeat("<a>", 200) + strings.Repeat("</a>", 200)
	ncmecRec := `<image><id>1</id><fingerprints><md5>` + md5 + `</md5></fingerprints></image>`
	tests := []struct {
		name    string
		format  Format
		text    string
		entries int
		open    string // error from NewReader, or
		fatal   string // the fatal error from Next
	}{
		{"vics not JSON", VICS, "hello", 0, "not valid JSON", ""},
		{"vics empty", VICS, "", 0, "truncated", ""},
		{"vics array", VICS, "[1,2]", 0, "want a JSON object", ""},
		{"vics no value", VICS, `{"@odata.context":"x"}`, 0, `no "value" array`, ""},
		{"vics value not array", VICS, `{"value":{}}`, 0, `"value" is an object, want an array`, ""},
		{"vics truncated in record", VICS, vicsDoc(vicsRec + `,{"MediaID":2,"MD5":"` + md5[:10]), 1, "", "truncated"},
		{"vics truncated after record", VICS, vicsDoc(vicsRec)[:len(vicsDoc(vicsRec))-2], 1, "", "truncated"},
		{"vics syntax error", VICS, vicsDoc(vicsRec + `,{"MD5" "x"}`), 1, "", "not valid JSON"},
		{"vics line numbers", VICS, "{\n\"value\": [\n" + vicsRec + ",\n{\"MD5\": x}]}", 1, "", "line 4, byte"},
		{"vics missing comma", VICS, vicsDoc(vicsRec + vicsRec), 1, "", `'{' where ',' or ']' was expected`},
		{"vics trailing comma", VICS, vicsDoc(vicsRec + ","), 1, "", `']' where a value was expected`},
		{"vics missing colon", VICS, `{"value" []}`, 0, `'[' where ':' was expected`, ""},
		{"vics bad key", VICS, `{value: []}`, 0, `'v' where a key was expected`, ""},
		{"vics trailing data", VICS, vicsDoc(vicsRec) + "xyz", 1, "", "data after the end"},
		{"vics deep record", VICS, vicsDoc(vicsRec + `,{"MD5":"` + md5 + `","X":` + deepJSON + `}`), 1, "", "nesting deeper than 64"},
		{"vics deep envelope", VICS, `{"x":` + deepJSON + `,"value":[]}`, 0, "nesting deeper than 64", ""},
		{"vics deep case", VICS, `{"value":[{"CaseID":` + deepJSON + `}]}`, 0, "", "nesting deeper than 64"},
		{"vics huge string", VICS, vicsDoc(vicsRec + `,{"MD5":"` + md5 + `","Comments":"` + huge + `"}`), 1, "", "larger than 1048576 bytes"},
		{"vics huge key", VICS, `{"` + huge + `":1,"value":[]}`, 0, "larger than 1048576 bytes", ""},
		{"vics huge case header", VICS, `{"value":[{"A":"` + huge[:600<<10] + `","B":"` + huge[:600<<10] + `","Media":[]}]}`, 0, "", "exceed"},
		{"vics many cases", VICS, `{"value":[` + strings.Repeat(`{"CaseID":"0123456789abcdef0123456789abcdef","Media":[]},`, 40000) + `{}]}`, 0, "", "document header fields exceed 1048576 bytes"},
		{"vics many small records", VICS, vicsDoc(strings.Repeat(vicsRec+",", 20000) + vicsRec), 20001, "", ""},
		{"stopncii not JSON", StopNCII, "<x/>", 0, "not valid JSON", ""},
		{"stopncii no records", StopNCII, `{"count":0}`, 0, `no "hashRecords" array`, ""},
		{"stopncii null records", StopNCII, `{"hashRecords":null,"count":0}`, 0, "", ""},
		{"stopncii truncated", StopNCII, `{"hashRecords":[{"signalType":"VideoMD5","hashValue":"` + md5 + `"},{"sig`, 1, "", "truncated"},
		{"stopncii deep", StopNCII, `{"hashRecords":[{"caseNumbers":` + deepJSON + `}]}`, 0, "", "nesting deeper than 64"},
		{"stopncii huge", StopNCII, `{"hashRecords":[{"x":"` + huge + `"}]}`, 0, "", "larger than 1048576 bytes"},
		{"ncmec not XML", NCMEC, "{}", 0, "text outside the root element", ""},
		{"ncmec empty", NCMEC, "", 0, "no root element", ""},
		{"ncmec wrong root", NCMEC, "<ReportIndex/>", 0, "the root element is <ReportIndex>, want <queryResult>", ""},
		{"ncmec truncated", NCMEC, "<queryResult><images>" + ncmecRec + "<image><id>2</id><finger", 1, "", "truncated"},
		{"ncmec mismatched tag", NCMEC, "<queryResult><images>" + ncmecRec + "<image></images>", 1, "", "line 1"},
		{"ncmec deep", NCMEC, "<queryResult><images>" + ncmecRec + "<image>" + deepXML + "</image></images></queryResult>", 1, "", "nesting deeper than 64"},
		{"ncmec huge text", NCMEC, "<queryResult><images>" + ncmecRec + "<image><x>" + huge + "</x></image></images></queryResult>", 1, "", "larger than 1048576 bytes"},
		{"ncmec many small fields", NCMEC, "<queryResult><images>" + ncmecRec + "<image>" + strings.Repeat("<x>1</x>", 200000) + "</image></images></queryResult>", 1, "", "larger than 1048576 bytes"},
		{"ncmec huge attribute", NCMEC, `<queryResult a="` + huge + `"/>`, 0, "larger than 1048576 bytes", ""},
		{"ncmec second root", NCMEC, "<queryResult></queryResult><queryResult/>", 0, "", "a second root element"},
		{"ncmec entity", NCMEC, `<!DOCTYPE x [<!ENTITY e "boom">]><queryResult>&e;</queryResult>`, 0, "", "invalid character entity"},
		{"ncmec unknown charset", NCMEC, `<?xml version="1.0" encoding="koi8-r"?><queryResult/>`, 0, "unsupported encoding", ""},
		{"ncmec latin1", NCMEC, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><queryResult><images>" + ncmecRec + "</images><x>\xe9</x></queryResult>", 1, "", ""},
		{"c4all truncated utf16", C4All, jxUTF16LE("<ReportIndex><Image><hash>" + md5 + "</hash></Image><Image><ha")[:80], 0, "", "truncated"},
		{"c4all odd byte", C4All, jxUTF16LE("<ReportIndex><Image><hash>"+md5+"</hash></Image></ReportIndex>") + "\x00", 1, "", "text outside the root"},
		{"c4all deep", C4All, "<ReportIndex>" + deepXML + "</ReportIndex>", 0, "", "nesting deeper than 64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := jxRead(t, tt.text, Options{Format: tt.format})
			if tt.open != "" || err != nil {
				if err == nil || tt.open == "" || !strings.Contains(err.Error(), tt.open) {
					t.Fatalf("open error %v, want %q", err, tt.open)
				}
				if !jxHasPosition(err) {
					t.Errorf("open error %q names no position", err)
				}
				return
			}
			if len(r.entries) != tt.entries {
				t.Errorf("%d entries, want %d (rejects %v)", len(r.entries), tt.entries, r.rejects)
			}
			if tt.fatal == "" && r.fatal != nil || tt.fatal != "" && (r.fatal == nil || !strings.Contains(r.fatal.Error(), tt.fatal)) {
				t.Fatalf("fatal error %v, want %q", r.fatal, tt.fatal)
			}
			if r.fatal != nil && !jxHasPosition(r.fatal) {
				t.Errorf("fatal error %q names no position", r.fatal)
			}
		})
	}
}

// jxHasPosition reports whether an error message names a byte offset or a
// line.
func jxHasPosition(err error) bool {
	return strings.Contains(err.Error(), ": byte ") || strings.Contains(err.Error(), ": line ")
}

// TestJSONXMLDetect checks that Detect picks each fixture's format.
func TestJSONXMLDetect(t *testing.T) {
	tests := []struct {
		path string
		want Format
	}{
		{"synthetic/vics/vics2-hashset-media.json", VICS},
		{"synthetic/vics/vics2-case-us.json", VICS},
		{"synthetic/vics/vics2-case-uk-bom-crlf.json", VICS},
		{"synthetic/vics/vics1.3-hashset-media.json", VICS},
		{"nist-nsrl-caid/NSRL-CAID-ART.json", VICS},
		{"nist-nsrl-caid/NSRL-CAID-MOV.json", VICS},
		{"nist-nsrl-caid/NSRL-CAID-MPG.json", VICS},
		{"synthetic/stopncii/fetchhashes-synthetic.json", StopNCII},
		{"synthetic/ncmec/entries-synthetic.xml", NCMEC},
		{"synthetic/c4all/C4P-synthetic.xml", C4All},
	}
	for _, tt := range tests {
		b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(tt.path)))
		if err != nil {
			t.Fatal(err)
		}
		if got, err := Detect(b[:min(len(b), SniffLen)], tt.path); got != tt.want || err != nil {
			t.Errorf("Detect(%s) = %q, %v; want %q", tt.path, got, err, tt.want)
		}
	}
	for _, s := range []string{
		`{"value":[{"MediaID":1,"MD5":"6b7053944681f9b77697ae85dec5b484"}]}`,
		"\ufeff{\"@odata.context\": \"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/UK/$metadata#Cases\"",
		jxUTF16LE(`{"odata.metadata":"http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media","value":[]}`),
	} {
		if got, _ := Detect([]byte(s), ""); got != VICS {
			t.Errorf("Detect(%.40q) = %q, want vics", s, got)
		}
	}
	for _, s := range []string{`{"@odata.context":"http://example.com/$metadata#Orders","value":[{"Id":1}]}`, `{"a":1}`, `<root/>`} {
		if got, _ := Detect([]byte(s), ""); got == VICS || got == StopNCII || got == NCMEC || got == C4All {
			t.Errorf("Detect(%q) = %q, want none of the JSON/XML formats", s, got)
		}
	}
}
