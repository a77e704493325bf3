package formats_test

import (
	"bytes"
	"io"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/formats"
	"github.com/winnow-forensics/winnow/triage/formats/rds3"
	"github.com/winnow-forensics/winnow/triage/setfile"
)

// readerFixtures are the hash-set files of testdata (every format, real
// and synthetic), with the options a user would need to read them.
var readerFixtures = map[string]formats.Options{
	"nist-nsrl-caid/NSRL-CAID-ART.json":              {},
	"nist-nsrl-caid/NSRL-CAID-MOV.json":              {},
	"nist-nsrl-caid/NSRL-CAID-MPG.json":              {},
	"synthetic/c4all/C4P-synthetic.xml":              {},
	"synthetic/encase/synthetic.hash":                {},
	"synthetic/hashkeeper/synthetic.hsh":             {},
	"synthetic/icse/icse-export-synthetic.csv":       {},
	"synthetic/ncmec/entries-synthetic.xml":          {},
	"synthetic/nsrl-rds2/NSRLFile.txt":               {},
	"synthetic/nsrl-rds3/RDS_synthetic_minimal.db":   {},
	"synthetic/pdq/pdq-keyed-output.txt":             {},
	"synthetic/pdq/pdq-photo-hasher-output.csv":      {},
	"synthetic/pdq/threatexchange-dataset.csv":       {},
	"synthetic/plain/bsd-md5.txt":                    {},
	"synthetic/plain/hashdeep.txt":                   {},
	"synthetic/plain/md5sum.txt":                     {},
	"synthetic/plain/mixed-one-per-line.txt":         {Algo: triage.AlgoSHA256},
	"synthetic/stopncii/fetchhashes-synthetic.json":  {},
	"synthetic/vics/vics1.3-hashset-media.json":      {},
	"synthetic/vics/vics2-case-uk-bom-crlf.json":     {},
	"synthetic/vics/vics2-case-us.json":              {},
	"synthetic/vics/vics2-hashset-media.json":        {},
	"synthetic/xways/Synthetic_Notable_Set.txt":      {},
	"synthetic/xways/Synthetic_SHA256_Set.txt":       {},
	"threatexchange-pdq/PDQMD5TestData.csv":          {},
	"threatexchange-pdq/pdq-needles.txt":             {Algo: triage.AlgoPDQ},
	"threatexchange-pdq/pdq-photo-hasher-legacy.txt": {},
	"threatexchange-pdq/vpdq-doorknob-hd-no-bar.txt": {},
}

// compiled reads a fixture and compiles it as `hashset build` does (an
// alert build: each entry's kind from its source), returning the
// compiled set's entries.
func compiled(t *testing.T, path string, opt formats.Options) []triage.Entry {
	t.Helper()
	var src formats.Source
	var err error
	if strings.HasSuffix(path, ".db") {
		src, err = rds3.Open(filepath.Join("testdata", path), opt)
	} else {
		src, err = formats.Open(filepath.Join("testdata", path), opt)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	return build(t, src)
}

func build(t *testing.T, r triage.EntryReader) []triage.Entry {
	t.Helper()
	b := setfile.NewBuilder(triage.SetMeta{Name: "roundtrip", Kind: triage.SetKindAlert})
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if triage.IsRecordError(err) || err == nil && formats.IsDeletion(&e) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := b.Add(e); err != nil {
			t.Fatalf("add %d: %v", e.Pos, err)
		}
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	s, err := setfile.Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var out []triage.Entry
	for e := range s.Entries {
		out = append(out, e)
	}
	return out
}

// TestRoundTripEveryFixture is the round-trip property for every reader
// fixture: compile it, export it in every VICS profile and shape that
// accepts it, read the export and compile it again: the same entries come
// back, with the same kinds, and the same categories or the ones the
// built-in table converts them to; the other changes are the documented
// ones (VICSExported). A profile refuses a set only for a category it
// cannot write, with an error that names the --map to use. The Default
// profile's output passes IPED's acceptance rules with every record that
// has an MD5 or SHA-1 (IPED reads no other digest).
func TestRoundTripEveryFixture(t *testing.T) {
	for path, opt := range readerFixtures {
		orig := compiled(t, path, opt)
		if len(orig) == 0 {
			t.Fatalf("%s: no entries", path)
		}
		for _, tt := range []struct{ profile, shape string }{
			{"Default", "hashset"}, {"US", "hashset"}, {"US", "case"}, {"UK", "hashset"}, {"UK", "case"},
		} {
			t.Run(path+"/"+tt.profile+"/"+tt.shape, func(t *testing.T) {
				var buf bytes.Buffer
				err := formats.WriteVICS(&buf, sliceSeq(orig), formats.VICSOptions{Profile: tt.profile, Shape: tt.shape})
				if err != nil {
					if triage.ErrorCode(err) != triage.EINVALID || !strings.Contains(err.Error(), "--map") {
						t.Fatalf("refused without saying how to map: %v", err)
					}
					t.Logf("not accepted: %v", err)
					return
				}
				back, err := formats.NewReader(bytes.NewReader(buf.Bytes()), formats.Options{Format: formats.VICS})
				if err != nil {
					t.Fatal(err)
				}
				got := build(t, back)
				want := formats.VICSExported(orig, tt.profile)
				for i := range want {
					want[i].Kind = orig[i].Kind // the kind survives
				}
				if len(got) != len(want) {
					t.Fatalf("%d entries back, want %d", len(got), len(want))
				}
				for i := range want {
					if !reflect.DeepEqual(got[i], want[i]) {
						t.Fatalf("entry %d:\n\tgot  %+v\n\twant %+v", i+1, got[i], want[i])
					}
				}
				if tt.profile != "Default" || tt.shape != "hashset" {
					return
				}
				n, err := ipedAccepts(buf.Bytes())
				if err != nil {
					t.Fatalf("IPED would refuse the file: %v", err)
				}
				readable := 0
				for _, e := range orig {
					if e.Algos.Has(triage.AlgoMD5) || e.Algos.Has(triage.AlgoSHA1) {
						readable++
					}
				}
				if n != readable {
					t.Errorf("IPED stores %d records, want %d (every one with an MD5 or SHA-1)", n, readable)
				}
			})
		}
	}
}

func sliceSeq(es []triage.Entry) func(yield func(triage.Entry) bool) {
	return func(yield func(triage.Entry) bool) {
		for _, e := range es {
			if !yield(e) {
				return
			}
		}
	}
}
