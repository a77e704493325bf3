package formats

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
)

// TestWritePlainRoundTrip writes the hashes of fixture entries as plain
// lists and reads them back.
func TestWritePlainRoundTrip(t *testing.T) {
	nsrl := readFixture(t, "synthetic/nsrl-rds2/NSRLFile.txt", Options{}).entries
	hd := readFixture(t, "synthetic/plain/hashdeep.txt", Options{}).entries
	pdq := readFixture(t, "synthetic/pdq/pdq-photo-hasher-output.csv", Options{}).entries
	tests := []struct {
		entries []triage.Entry
		algo    triage.Algo
		lines   int
	}{
		{nsrl, triage.AlgoMD5, 5},
		{nsrl, triage.AlgoSHA1, 5},
		{nsrl, triage.AlgoSHA256, 0}, // NSRL 2.x has no SHA-256: every entry skipped
		{hd, triage.AlgoSHA256, 3},
		{pdq, triage.AlgoPDQ, 4},
		{[]triage.Entry{{PHash: 0x0123456789abcdef, Algos: triage.AlgoSet(triage.AlgoPHash)}}, triage.AlgoPHash, 1},
	}
	for _, tt := range tests {
		t.Run(tt.algo.String(), func(t *testing.T) {
			var buf bytes.Buffer
			if err := WritePlain(&buf, slices.Values(tt.entries), tt.algo); err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(buf.String(), "\n"); n != tt.lines {
				t.Fatalf("%d lines, want %d:\n%s", n, tt.lines, buf.String())
			}
			if buf.String() != strings.ToLower(buf.String()) {
				t.Errorf("not lowercase:\n%s", buf.String())
			}
			r, err := readString(t, buf.String(), Options{Format: Plain, Algo: tt.algo})
			if err != nil {
				t.Fatal(err)
			}
			var want, got []string
			for _, e := range tt.entries {
				if e.Algos.Has(tt.algo) {
					want = append(want, string(appendHash(nil, &e, tt.algo)))
				}
			}
			for _, e := range r.entries {
				got = append(got, string(appendHash(nil, &e, tt.algo)))
			}
			if !slices.Equal(got, want) || len(r.rejects) != 0 || r.fatal != nil {
				t.Errorf("read back %v (rejects %v, fatal %v), want %v", got, r.rejects, r.fatal, want)
			}
		})
	}
	if err := WritePlain(&bytes.Buffer{}, slices.Values(nsrl), triage.AlgoDHash); err == nil {
		t.Errorf("WritePlain(dhash) succeeded")
	}
}

func TestWriteCSV(t *testing.T) {
	s := samples(t)
	e := readFixture(t, "synthetic/nsrl-rds2/NSRLFile.txt", Options{}).entries[1]
	p := readFixture(t, "synthetic/pdq/threatexchange-dataset.csv", Options{}).entries[0]
	full := triage.NewEntry()
	full.MD5, full.Algos = e.MD5, triage.AlgoSet(triage.AlgoMD5|triage.AlgoPHash)
	full.PHash = 0xfedcba9876543210
	full.PhotoDNA = "AAAA+/=="
	full.Category = triage.MustParseCategory("caid:A")
	full.Series, full.Tags = `the "series"`, []string{"a", "b c"}
	full.Flags = triage.FlagVictimIdentified | triage.FlagBaseline
	full.Name, full.ID = "=cmd|' /C calc'!A0", "42"
	full.Extra = map[string]string{"z": "<&>", "a": `{"n":1}`}
	var buf bytes.Buffer
	if err := WriteCSV(&buf, slices.Values([]triage.Entry{e, p, full})); err != nil {
		t.Fatal(err)
	}
	want := "md5,sha1,sha256,pdq,pdq_quality,phash,photodna,size,name,id,category,series,tags,flags,extra,kind\n" +
		s[1].MD5 + "," + s[1].SHA1 + ",,,,,,18,\"readme, first.txt\",,,,,," +
		`"{""CRC32"":""A8405FBF"",""OpSystemCode"":""189"",""ProductCode"":""1002"",""SpecialCode"":""""}",known-good` + "\n" +
		",,,d041e9ac0c858bf252e0ac5fa4bbfcfa5a97b5ef11c9f768858cc4325a323c58,,,,,,,,,tag_a;tag_b,," +
		`"{""category"":""POSITIVE_CLASS"",""collab"":""Synthetic Collab"",""signal_type"":""pdq""}",` + "\n" +
		s[1].MD5 + ",,,,,fedcba9876543210,AAAA+/==,,=cmd|' /C calc'!A0,42,caid:A,\"the \"\"series\"\"\",a;b c,\"victim-identified,baseline\"," +
		`"{""a"":""{\""n\"":1}"",""z"":""<&>""}",` + "\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

type failWriter struct{ n int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errors.New("disk full")
	}
	return len(p), nil
}

func TestWriteErrors(t *testing.T) {
	e := triage.NewEntry()
	e.Algos = triage.AlgoSet(triage.AlgoMD5)
	e.MD5[0] = 1
	many := func(yield func(triage.Entry) bool) {
		for range 100000 {
			if !yield(e) {
				return
			}
		}
	}
	if err := WritePlain(&failWriter{n: 1000}, many, triage.AlgoMD5); err == nil || err.Error() != "disk full" {
		t.Errorf("WritePlain = %v, want disk full", err)
	}
	if err := WriteCSV(&failWriter{n: 1000}, many); err == nil || err.Error() != "disk full" {
		t.Errorf("WriteCSV = %v, want disk full", err)
	}
}
