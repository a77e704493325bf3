package formats_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/formats"
)

// record is what an independent reading of a real file finds in one
// record: the fields Winnow must carry, as text.
type record struct {
	md5, sha1, sha256, pdq, size, name, category string
}

func (r record) String() string {
	return fmt.Sprintf("md5=%s sha1=%s sha256=%s pdq=%s size=%s name=%q category=%s", r.md5, r.sha1, r.sha256, r.pdq, r.size, r.name, r.category)
}

// winnowRecord is the same view of an entry Winnow read.
func winnowRecord(e triage.Entry) record {
	var r record
	if e.Algos.Has(triage.AlgoMD5) {
		r.md5 = e.MD5.String()
	}
	if e.Algos.Has(triage.AlgoSHA1) {
		r.sha1 = e.SHA1.String()
	}
	if e.Algos.Has(triage.AlgoSHA256) {
		r.sha256 = e.SHA256.String()
	}
	if e.Algos.Has(triage.AlgoPDQ) {
		r.pdq = e.PDQ.String()
	}
	if e.Size >= 0 {
		r.size = strconv.FormatInt(e.Size, 10)
	}
	r.name, r.category = e.Name, e.Category.String()
	return r
}

// caidRecords reads NIST's CAID-format JSON with encoding/json: every
// record of value, its digests, MediaSize, the first MediaFiles FileName,
// and Category 8 as NIST's "ignorable".
func caidRecords(t *testing.T, b []byte) []record {
	var doc struct {
		Value []struct {
			MD5, SHA1  string
			MediaSize  string
			Category   int
			MediaFiles []struct{ FileName string }
		} `json:"value"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var out []record
	for _, v := range doc.Value {
		if v.Category != 8 {
			t.Fatalf("NIST CAID record with category %d", v.Category)
		}
		out = append(out, record{md5: strings.ToLower(v.MD5), sha1: strings.ToLower(v.SHA1), size: v.MediaSize,
			name: v.MediaFiles[0].FileName, category: "caid:ignorable"})
	}
	return out
}

// nsrlRecords reads an NSRLFile.txt (RDS 2.0 or 1.5 columns) with
// encoding/csv, by header name.
func nsrlRecords(t *testing.T, b []byte) []record {
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	var out []record
	for _, r := range rows[1:] {
		out = append(out, record{md5: strings.ToLower(r[col["MD5"]]), sha1: strings.ToLower(r[col["SHA-1"]]),
			size: r[col["FileSize"]], name: r[col["FileName"]]})
	}
	return out
}

// hashdeepRecords reads hashdeep output: %%%% and ## lines are headers,
// the others size,md5,sha256,filename as the header says.
func hashdeepRecords(t *testing.T, b []byte) []record {
	var out []record
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if strings.HasPrefix(line, "%%%%") || strings.HasPrefix(line, "##") {
			continue
		}
		f := strings.SplitN(line, ",", 4)
		out = append(out, record{size: f[0], md5: f[1], sha256: f[2], name: f[3]})
	}
	return out
}

// md5deepRecords reads md5deep output, with or without the size column
// (md5deep -z): [size] md5 two blanks path.
func md5deepRecords(t *testing.T, b []byte) []record {
	var out []record
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		f := strings.Fields(line)
		r := record{md5: f[len(f)-2], name: f[len(f)-1]}
		if len(f) == 3 {
			r.size = f[0]
		}
		out = append(out, r)
	}
	return out
}

// pdqLegacyRecords reads the old pdq-photo-hasher output: pdq,filename.
func pdqLegacyRecords(t *testing.T, b []byte) []record {
	var out []record
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		h, name, _ := strings.Cut(line, ",")
		out = append(out, record{pdq: h, name: name})
	}
	return out
}

// TestRealFilesIndependentCount reads the real public files of testdata
// with Winnow's readers and with an independent reading (encoding/json,
// encoding/csv, splitting lines): the same records, in the same order,
// with the same digests, sizes, names and categories; and compiled, every
// entry has the kind its source means.
func TestRealFilesIndependentCount(t *testing.T) {
	for _, tt := range []struct {
		path  string
		parse func(*testing.T, []byte) []record
		n     int
		kind  triage.SetKind
	}{
		{"nist-nsrl-caid/NSRL-CAID-ART.json", caidRecords, 1, triage.SetKindKnownGood},
		{"nist-nsrl-caid/NSRL-CAID-AVI.json", caidRecords, 30, triage.SetKindKnownGood},
		{"nist-nsrl-caid/NSRL-CAID-MOV.json", caidRecords, 9, triage.SetKindKnownGood},
		{"nist-nsrl-caid/NSRL-CAID-MPG.json", caidRecords, 3, triage.SetKindKnownGood},
		{"nist-nsrl-caid/NSRL-CAID-PSD.json", caidRecords, 26, triage.SetKindKnownGood},
		{"nist-nsrl-caid/NSRL-CAID-TIF.json", caidRecords, 31, triage.SetKindKnownGood},
		{"nist-nsrl-caid/NSRL-CAID-WMV.json", caidRecords, 95, triage.SetKindKnownGood},
		{"hashdeep/NSRL-2.0.txt", nsrlRecords, 218, triage.SetKindKnownGood},
		{"hashdeep/NSRL-1.5.txt", nsrlRecords, 218, triage.SetKindKnownGood},
		{"hashdeep/hashdeep.txt", hashdeepRecords, 3, triage.SetKindAlert},
		{"hashdeep/md5deep.txt", md5deepRecords, 4, triage.SetKindAlert},
		{"hashdeep/md5deep-size.txt", md5deepRecords, 4, triage.SetKindAlert},
		{"threatexchange-pdq/pdq-photo-hasher-legacy.txt", pdqLegacyRecords, 20, triage.SetKindAlert},
	} {
		t.Run(tt.path, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tt.path))
			if err != nil {
				t.Fatal(err)
			}
			want := tt.parse(t, b)
			if len(want) != tt.n {
				t.Fatalf("the independent reading finds %d records, want %d", len(want), tt.n)
			}
			src, err := formats.Open(filepath.Join("testdata", tt.path), formats.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			var got []triage.Entry
			for {
				e, err := src.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("record error: %v", err)
				}
				got = append(got, e)
			}
			if len(got) != len(want) {
				t.Fatalf("Winnow reads %d records, the independent reading %d", len(got), len(want))
			}
			for i := range want {
				if w := winnowRecord(got[i]); w != want[i] {
					t.Fatalf("record %d:\n\twinnow      %v\n\tindependent %v", i+1, w, want[i])
				}
			}
			set := compiled(t, tt.path, formats.Options{})
			for _, e := range set {
				if e.Kind != tt.kind {
					t.Fatalf("compiled entry %d (%s) is %s, want %s", e.Pos, winnowRecord(e), e.Kind, tt.kind)
				}
			}
		})
	}
}

// TestNSRLExportMediaIDs exports hashdeep's NSRL sample (218 records, 217
// of them ProductCode 1) to VICS: every record gets its own MediaID.
func TestNSRLExportMediaIDs(t *testing.T) {
	set := compiled(t, "hashdeep/NSRL-2.0.txt", formats.Options{})
	var buf bytes.Buffer
	if err := formats.WriteVICS(&buf, sliceSeq(set), formats.VICSOptions{}); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Value []struct{ MediaID json.Number }
	}
	if err := json.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	ids := map[json.Number]bool{}
	for _, v := range doc.Value {
		ids[v.MediaID] = true
	}
	if len(doc.Value) != len(set) || len(ids) != len(set) {
		t.Errorf("%d records, %d distinct MediaIDs, want %d", len(doc.Value), len(ids), len(set))
	}
}
