package report

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"image"
	"image/jpeg"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/formats"
	"github.com/winnow-forensics/winnow/triage/series"
)

// fakeFP returns the fingerprint of content as if it were an image of
// w x h with the given PDQ (all zero: not hashed perceptually).
func fakeFP(content string, w, h int, pdq triage.PDQ) triage.Fingerprint {
	fp := triage.Fingerprint{Size: int64(len(content)), Type: triage.MediaType{MIME: triage.MIMEJPEG, Kind: triage.KindImage}, Width: w, Height: h}
	fp.MD5, fp.SHA1, fp.SHA256 = md5.Sum([]byte(content)), sha1.Sum([]byte(content)), sha256.Sum256([]byte(content))
	if !pdq.IsZero() {
		fp.Perceptual, fp.PDQ, fp.PDQQuality, fp.PHash = true, pdq, 100, 0x1234
		fp.PDQDihedral[0] = pdq
	}
	return fp
}

var (
	catA   = triage.MustParseCategory("vic-us:1")
	pdqA   = triage.PDQ{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}
	pdqA2  = func() triage.PDQ { p := pdqA; p[0] ^= 0xff; return p }() // 8 bits from pdqA
	pdqB   = triage.PDQ{0xf0, 0x0f, 0xaa, 0x55, 0xcc, 0x33, 0x99, 0x66, 0xf0, 0x0f, 0xaa, 0x55, 0xcc, 0x33, 0x99, 0x66, 0xf0, 0x0f, 0xaa, 0x55, 0xcc, 0x33, 0x99, 0x66, 0xf0, 0x0f, 0xaa, 0x55, 0xcc, 0x33, 0x99, 0x66}
	exactM = triage.Match{Set: "known", SetVersion: "1", SetKind: triage.SetKindAlert, Entry: 3, EntryID: "77", Algo: triage.AlgoMD5, Category: catA}
	nearM  = triage.Match{Set: "known", SetVersion: "1", SetKind: triage.SetKindAlert, Entry: 4, EntryID: "78", Algo: triage.AlgoPDQ, Distance: 12, Dihedral: 4, Category: catA}
)

type testItem struct {
	path    string
	content string
	w, h    int
	pdq     triage.PDQ
	d       triage.Decision
	ms      []triage.Match
	thumb   *image.Gray
}

// grayThumb returns a small thumbnail of one shade (to tell them apart).
func grayThumb(shade uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, 16, 12))
	for i := range g.Pix {
		g.Pix[i] = shade
	}
	return g
}

// mustReport builds a report of the items, added in reverse to check
// that the order does not matter.
func mustReport(t *testing.T, items []testItem) (*Report, map[int]*image.Gray) {
	t.Helper()
	var b Builder
	for i := len(items) - 1; i >= 0; i-- {
		ti := items[i]
		fp := fakeFP(ti.content, ti.w, ti.h, ti.pdq)
		if strings.HasSuffix(ti.path, ".zip") {
			fp.Type = triage.MediaType{MIME: "application/zip", Kind: triage.KindArchive}
		}
		it := NewItem(&fp, ti.d, ti.ms)
		it.Path, it.OuterPath = ti.path, ti.path
		if k := strings.Index(ti.path, "!/"); k >= 0 {
			it.OuterPath, it.InnerPath = ti.path[:k], ti.path[k+2:]
		}
		b.Add(it, "0", series.ItemOf(&fp, false), ti.thumb)
	}
	r := &Report{Format: FormatName, FormatVersion: FormatVersion, Tool: Tool{Name: "winnow", Version: "test"}, Complete: true,
		Started: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), Finished: time.Date(2024, 1, 2, 3, 5, 0, 0, time.UTC)}
	thumbs := b.Build(r, series.Options{})
	return r, thumbs
}

func known() triage.Decision {
	return triage.Decision{Verdict: triage.VerdictKnown, Category: catA, Reason: "md5 match in known"}
}
func variant() triage.Decision {
	return triage.Decision{Verdict: triage.VerdictVariant, Category: catA, Reason: "pdq distance 12 in known"}
}
func newD() triage.Decision { return triage.Decision{Verdict: triage.VerdictNew, Reason: "no match"} }

var sampleItems = []testItem{
	{path: "s/a.jpg", content: "A", w: 100, h: 80, pdq: pdqA, d: newD(), thumb: grayThumb(10)},
	{path: "s/a-copy.jpg", content: "A", w: 100, h: 80, pdq: pdqA, d: newD()},
	{path: "s/a-big.jpg", content: "A2", w: 400, h: 320, pdq: pdqA2, d: newD(), thumb: grayThumb(20)},
	{path: "s/b.jpg", content: "B", w: 100, h: 80, pdq: pdqB, d: newD()},
	{path: "s/k.zip!/in/known.jpg", content: "K", w: 50, h: 50, d: known(), ms: []triage.Match{nearM, exactM}},
	{path: "s/v.jpg", content: "V", w: 60, h: 60, pdq: pdqB, d: variant(), ms: []triage.Match{nearM}, thumb: grayThumb(30)},
	{path: "s/=cmd|' /C calc'!A0.jpg", content: "X", d: triage.Decision{Verdict: triage.VerdictError, Reason: "broken"}},
	{path: "s/k.zip", content: "ZIP", d: newD()},
}

func TestBuild(t *testing.T) {
	r, thumbs := mustReport(t, sampleItems)
	var paths []string
	for i, it := range r.Items {
		if it.ID != i+1 {
			t.Errorf("item %d has id %d", i, it.ID)
		}
		paths = append(paths, it.Path)
	}
	wantPaths := []string{"s/=cmd|' /C calc'!A0.jpg", "s/a-big.jpg", "s/a-copy.jpg", "s/a.jpg", "s/b.jpg", "s/k.zip", "s/k.zip!/in/known.jpg", "s/v.jpg"}
	if diff := cmp.Diff(wantPaths, paths); diff != "" {
		t.Fatalf("order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]Stack{{ID: 1, SHA256: string(r.Items[2].SHA256), Size: 1, Items: []int{3, 4}}}, r.Duplicates); diff != "" {
		t.Errorf("duplicates (-want +got):\n%s", diff)
	}
	wantGroups := []Group{
		{ID: 1, Representative: 2, Size: 3, Distinct: 2, Verdicts: map[string]int{"new": 3}, Items: []int{2, 3, 4}},
		{ID: 2, Representative: 5, Size: 2, Distinct: 2, Verdicts: map[string]int{"new": 1, "variant": 1}, Items: []int{5, 8}},
	}
	if diff := cmp.Diff(wantGroups, r.Groups); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
	wantCounts := Counts{Items: 8, Bytes: 11, Verdicts: map[string]int{"known": 1, "variant": 1, "ignorable": 0, "new": 5, "error": 1},
		Groups: 2, Duplicates: 1, DuplicateItems: 2} // the new zip (item 6) is not media: no series
	if diff := cmp.Diff(wantCounts, r.Counts); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	if len(thumbs) != 3 || thumbs[2].Pix[0] != 20 {
		t.Errorf("thumbnails %v", thumbs)
	}
	known := r.Items[6]
	if known.Matches[0].Algorithm != "md5" || known.Matches[1].Transform != "flipx" || known.Category != "vic-us:1" || known.InnerPath != "in/known.jpg" {
		t.Errorf("known item: %+v", known)
	}
}

func TestNewItemMatchCap(t *testing.T) {
	fp := fakeFP("x", 10, 10, triage.PDQ{})
	ms := make([]triage.Match, MaxMatches+5)
	for i := range ms {
		ms[i] = nearM
		ms[i].Distance = MaxMatches + 5 - i
	}
	it := NewItem(&fp, variant(), ms)
	if len(it.Matches) != MaxMatches || it.MatchesOmitted != 5 || it.Matches[0].Distance != 1 {
		t.Errorf("%d matches, %d omitted, first at %d; want %d, 5, 1", len(it.Matches), it.MatchesOmitted, it.Matches[0].Distance, MaxMatches)
	}
	nothing := NewItem(&triage.Fingerprint{Err: errors.New("x")}, triage.Decision{Verdict: triage.VerdictError}, nil)
	if nothing.SHA256 != "" || nothing.Error == "" || nothing.Matches == nil {
		t.Errorf("unread item: %+v", nothing)
	}
}

func TestWriteJSON(t *testing.T) {
	r, _ := mustReport(t, sampleItems)
	var buf bytes.Buffer
	if err := WriteJSON(&buf, r); err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"format", "format_version", "tool", "complete", "started", "finished", "inputs", "hash_sets", "options", "counts", "items", "duplicates", "groups"} {
		if _, ok := m[k]; !ok {
			t.Errorf("report.json lacks %q", k)
		}
	}
	it := m["items"].([]any)[6].(map[string]any)
	for _, k := range []string{"id", "path", "outer_path", "inner_path", "size", "md5", "sha1", "sha256", "mime", "kind", "verdict", "reason", "category", "matches", "error"} {
		if _, ok := it[k]; !ok {
			t.Errorf("item lacks %q: %v", k, it)
		}
	}
	mt := it["matches"].([]any)[0].(map[string]any)
	for _, k := range []string{"set", "set_version", "set_kind", "entry", "entry_id", "algorithm", "distance", "category"} {
		if _, ok := mt[k]; !ok {
			t.Errorf("match lacks %q: %v", k, mt)
		}
	}
}

func TestWriteCSV(t *testing.T) {
	r, _ := mustReport(t, sampleItems)
	var buf bytes.Buffer
	if err := WriteCSV(&buf, r); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(CSVColumns, rows[0]); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	if len(rows) != len(sampleItems)+1 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, row := range rows[1:] {
		for _, c := range row {
			if c != "" && strings.ContainsRune("=+-@\t\r", rune(c[0])) {
				t.Errorf("cell %q would run as a spreadsheet formula", c)
			}
		}
	}
	if got := rows[1][1]; got != "'s/=cmd|' /C calc'!A0.jpg" && !strings.HasPrefix(got, "s/") {
		t.Errorf("path cell %q", got)
	}
	if got, want := rows[7][19], "known"; got != want { // the known item's best match set
		t.Errorf("match_set = %q, want %q", got, want)
	}
}

func TestCSVCell(t *testing.T) {
	for in, want := range map[string]string{"=1+1": "'=1+1", "+x": "'+x", "-x": "'-x", "@SUM": "'@SUM", "\tx": "'\tx", "\rx": "'\rx", "a=b": "a=b", "": ""} {
		if got := CSVCell(in); got != want {
			t.Errorf("CSVCell(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteHTML(t *testing.T) {
	items := append(slicesClone(sampleItems), testItem{path: "s/<script>alert(1)</script>.jpg", content: "S", d: newD()})
	r, thumbs := mustReport(t, items)
	r.Complete, r.IncompleteReason = false, "interrupted by the user"
	var buf bytes.Buffer
	if err := WriteHTML(&buf, r, thumbs, HTMLOptions{}); err != nil {
		t.Fatal(err)
	}
	raw := buf.String()
	page := html.UnescapeString(raw) // attributes may spell "+" as &#43;
	// Nothing is loaded from elsewhere, there is no script, and names are escaped.
	if loc := regexp.MustCompile(`(?i)(src|href)\s*=\s*"(https?:|//)|url\(|@import|<script|<link`).FindString(raw); loc != "" {
		t.Errorf("page refers outside itself or runs script: %q", loc)
	}
	if !strings.Contains(raw, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("a hostile file name is not escaped")
	}
	for _, want := range []string{
		"Incomplete scan", "interrupted by the user",
		`filter:grayscale(1) blur(12px)`, `.thumb input:checked+img{filter:none}`,
		`<img src="data:image/jpeg;base64,` + thumbB64(t, 20) + `"`, // the representative of the a series
		`<img src="data:image/jpeg;base64,` + thumbB64(t, 30) + `"`, // the variant's
		"Other new files", "application/zip",
		`id="known"`, `id="variant"`, `id="new"`, `id="ignorable"`, `id="error"`, `id="duplicates"`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, thumbB64(t, 10)) || strings.Count(page, "<img ") != 2 {
		t.Errorf("want exactly the series representative's and the variant's thumbnails, got %d images", strings.Count(page, "<img "))
	}
	// Caps.
	buf.Reset()
	if err := WriteHTML(&buf, r, thumbs, HTMLOptions{Thumbnails: 1, Rows: 1}); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(buf.String(), "<img "); n != 1 || !strings.Contains(buf.String(), "more series") {
		t.Errorf("caps not applied: %d images", n)
	}
}

// thumbB64 is how WriteHTML embeds grayThumb(shade).
func thumbB64(t *testing.T, shade uint8) string {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, grayThumb(shade), &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b.Bytes())
}

func slicesClone[T any](s []T) []T { return append([]T(nil), s...) }

func TestWriteVICSRoundTrip(t *testing.T) {
	r, _ := mustReport(t, sampleItems)
	for i := range r.Items {
		r.Items[i].Modified = &r.Started
	}
	var buf bytes.Buffer
	if err := WriteVICS(&buf, r, VICSCase{CaseID: "6f1c2b7e-0d3a-4c55-9a1e-2b9f6c0a1d11", CaseNumber: "C-1", SourceApp: "Winnow", SourceVer: "test"}); err != nil {
		t.Fatal(err)
	}
	src, err := formats.NewReader(bytes.NewReader(buf.Bytes()), formats.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []triage.Entry
	for {
		e, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	// One record per distinct image content: A, A2, B, K, V and X (error items keep their digests); the zip is not media.
	if len(got) != 6 {
		t.Fatalf("%d media records, want 6:\n%s", len(got), buf.String())
	}
	byMD5 := map[triage.MD5]triage.Entry{}
	for _, e := range got {
		byMD5[e.MD5] = e
	}
	k := byMD5[md5.Sum([]byte("K"))]
	if k.Category != catA || !k.Flags.Has(triage.FlagPrecategorized) || k.SHA1 != sha1.Sum([]byte("K")) || k.Extra["PrecategorizationSource"] != `known` {
		t.Errorf("known record: %+v", k)
	}
	if !strings.Contains(k.Extra["MediaFiles"], `"ParentFileName":"k.zip"`) || !strings.Contains(k.Extra["MediaFiles"], `"FilePath":"s/k.zip!/in/"`) {
		t.Errorf("known record's instance lacks its container: %s", k.Extra["MediaFiles"])
	}
	v := byMD5[md5.Sum([]byte("V"))]
	if !v.Category.IsZero() || !v.Flags.Has(triage.FlagSuspected) {
		t.Errorf("variant record: %+v", v)
	}
	a := byMD5[md5.Sum([]byte("A"))]
	if n := strings.Count(a.Extra["MediaFiles"], `"FileName"`); n != 2 || !a.Category.IsZero() || a.PDQ != pdqA {
		t.Errorf("record A: %d instances, category %v, pdq %v: %+v", n, a.Category, a.PDQ, a)
	}
	if src.Meta()["case_id"] == "" && !strings.Contains(buf.String(), `"CaseNumber": "C-1"`) {
		t.Errorf("case header missing:\n%s", buf.String()[:300])
	}
}

// BenchmarkBuildAndWrite builds and writes the JSON, CSV and HTML reports
// of 10,000 items (new images in series of 5, with thumbnails).
func BenchmarkBuildAndWrite(b *testing.B) {
	items := make([]Item, 10_000)
	groups := make([]series.Item, len(items))
	var centre triage.PDQ
	for i := range items {
		if i%5 == 0 { // a new series: a fresh random centre
			c := sha256.Sum256([]byte(fmt.Sprint("series", i)))
			centre = triage.PDQ(c)
		}
		pdq := centre
		pdq[i%32] ^= 0x0f // a near copy
		fp := fakeFP(fmt.Sprint(i), 400, 300, pdq)
		fp.PHash = triage.PHash(binary.LittleEndian.Uint64(centre[:8]))
		items[i] = NewItem(&fp, newD(), nil)
		items[i].Path = fmt.Sprintf("seizure/dir%03d/img%05d.jpg", i%100, i)
		groups[i] = series.ItemOf(&fp, false)
	}
	thumb := grayThumb(80)
	var r *Report
	for b.Loop() {
		var bl Builder
		for i := range items {
			bl.Add(items[i], "0", groups[i], thumb)
		}
		r = &Report{}
		thumbs := bl.Build(r, series.Options{})
		for _, w := range []func(io.Writer) error{
			func(w io.Writer) error { return WriteJSON(w, r) },
			func(w io.Writer) error { return WriteCSV(w, r) },
			func(w io.Writer) error { return WriteHTML(w, r, thumbs, HTMLOptions{}) },
		} {
			if err := w(io.Discard); err != nil {
				b.Fatal(err)
			}
		}
	}
	if len(r.Groups) != len(items)/5 {
		b.Fatalf("%d series, want %d", len(r.Groups), len(items)/5)
	}
}

// TestOriginCells: the disk-image and phone columns line up with the
// header, and a carved file cut short says so.
func TestOriginCells(t *testing.T) {
	first := slices.Index(CSVColumns, "deleted")
	if n := slices.Index(CSVColumns, "partial") - first; len(originCells(nil)) != n {
		t.Fatalf("%d origin cells for %d origin columns", len(originCells(nil)), n)
	}
	o := &triage.Origin{Carved: true, Truncated: true, Offset: 4096, Length: 1000}
	cells := originCells(o)
	for col, want := range map[string]string{"carved": "true", "truncated": "true", "image_offset": "4096", "deleted": "false"} {
		if got := cells[slices.Index(CSVColumns, col)-first]; got != want {
			t.Errorf("%s = %q, want %q", col, got, want)
		}
	}
}

// TestPartialItem: an item hashed from part of a cut-short picture says so
// in report.json and report.csv.
func TestPartialItem(t *testing.T) {
	fp := &triage.Fingerprint{Type: triage.MediaType{MIME: triage.MIMEJPEG, Kind: triage.KindImage}, Perceptual: true, Partial: true, Width: 640, Height: 480}
	it := NewItem(fp, triage.Decision{Verdict: triage.VerdictNew, Reason: "no match"}, nil)
	js, err := json.Marshal(it)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(js, []byte(`"partial":true`)) {
		t.Errorf("report.json item without partial: %s", js)
	}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, &Report{Items: []Item{it}}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if got := rows[1][slices.Index(CSVColumns, "partial")]; got != "true" || len(rows[1]) != len(CSVColumns) {
		t.Errorf("partial cell %q, %d cells for %d columns", got, len(rows[1]), len(CSVColumns))
	}
	fp.Partial = false
	if js, _ := json.Marshal(NewItem(fp, triage.Decision{Verdict: triage.VerdictNew}, nil)); bytes.Contains(js, []byte(`"partial"`)) {
		t.Errorf("a whole picture says partial: %s", js)
	}
}
