package formats

import (
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
)

const icseHeader = "MD5;SHA1;PhotoDNA;Image ID;Is distributed;Victim identified;Offender identified;Series name;" +
	"Number of submissions;File Available;Media Type;Baseline"

func TestICSEFixture(t *testing.T) {
	s := samples(t)
	const file = "synthetic/icse/icse-export-synthetic.csv"
	head, err := os.ReadFile("testdata/" + file)
	if err != nil {
		t.Fatal(err)
	}
	if f, err := Detect(head, file); f != ICSE || err != nil {
		t.Errorf("Detect = %v, %v; want %v", f, err, ICSE)
	}
	const pdna = "G4bGN74GzyvRVif+CALdlMFBpcEUvLGcnrPmZJX4Zmd/vybWFqifkOipIR6UCIELYIjSwWBnTRJYbfotwFW9jabdzbg4lPpd9DHsL7tFCBBkHajHezEgbFKrlMzpKVemdw/Q6FvUI+FaTmFbi9yh/+ApAIPF8A598O6DWoO4Ofq/X1DVC4SIkdyXf8iqdSZN"
	extra := func(n, media string) map[string]string {
		return map[string]string{"Number of submissions": n, "File Available": "Yes", "Media Type": media}
	}
	want := []entrySummary{
		{Hashes: joinHashes(md5Of(s[0]), sha1Of(s[0])), Quality: -1, PhotoDNA: pdna, Size: -1, ID: "900000", Extra: extra("1", "Image"), Pos: 2},
		{Hashes: joinHashes(md5Of(s[1]), sha1Of(s[1])), Quality: -1, Size: -1, ID: "900001", Series: "SYNTHETIC SERIES",
			Flags: "distributed", Extra: extra("2", "Image"), Pos: 3},
		{Hashes: joinHashes(md5Of(s[2]), sha1Of(s[2])), Quality: -1, Size: -1, ID: "900002", Flags: "distributed", Extra: extra("3", "Video"), Pos: 4},
	}
	r := readFixture(t, file, Options{})
	checkEntries(t, r.entries, want)
	if len(r.rejects) != 0 || r.fatal != nil {
		t.Errorf("rejects %v, fatal %v", r.rejects, r.fatal)
	}
	if len(r.meta) != 0 {
		t.Errorf("meta %v, want none", r.meta)
	}
}

func TestICSEHostile(t *testing.T) {
	s := samples(t)
	row := func(i int, flags string) string {
		return s[i].MD5 + ";" + s[i].SHA1 + ";;9;" + flags + ";;1;Yes;Image"
	}
	tests := []struct {
		name    string
		in      string
		opt     Options
		want    []entrySummary
		rejects []int64
		fields  []string
		openErr string
	}{
		{name: "flags", in: icseHeader + "\n" + row(0, "y;TRUE;t") + ";YES\n" + row(1, "no;0;f") + ";n\n",
			want: []entrySummary{
				{Hashes: joinHashes(md5Of(s[0]), sha1Of(s[0])), Quality: -1, Size: -1, ID: "9",
					Flags: "victim-identified,offender-identified,distributed,baseline", Extra: map[string]string{"Number of submissions": "1", "File Available": "Yes", "Media Type": "Image"}, Pos: 2},
				{Hashes: joinHashes(md5Of(s[1]), sha1Of(s[1])), Quality: -1, Size: -1, ID: "9",
					Extra: map[string]string{"Number of submissions": "1", "File Available": "Yes", "Media Type": "Image"}, Pos: 3},
			}},
		{name: "bad flag", in: icseHeader + "\n" + row(0, "maybe;No;No") + ";No\n", rejects: []int64{2}, fields: []string{"Is distributed"}},
		{name: "short and long rows", in: icseHeader + "\n" + s[0].MD5 + "\n" + row(1, "No;No;No") + ";No;more;\"q;q\"\n",
			want: []entrySummary{
				{Hashes: md5Of(s[0]), Quality: -1, Size: -1, Pos: 2},
				{Hashes: joinHashes(md5Of(s[1]), sha1Of(s[1])), Quality: -1, Size: -1, ID: "9",
					Extra: map[string]string{"Number of submissions": "1", "File Available": "Yes", "Media Type": "Image", "column_13": "more", "column_14": "q;q"}, Pos: 3},
			}},
		{name: "bad hashes", in: icseHeader + "\n" + "abc;" + s[0].SHA1 + "\n;zz\n;\n", rejects: []int64{2, 3, 4}, fields: []string{"MD5", "SHA1", ""}},
		{name: "header case and order", in: "sha1;md5;IMAGE ID\r\n" + s[0].SHA1 + ";" + s[0].MD5 + ";7\r\n",
			want: []entrySummary{{Hashes: joinHashes(md5Of(s[0]), sha1Of(s[0])), Quality: -1, Size: -1, ID: "7", Pos: 2}}},
		{name: "category without scheme", in: "MD5;Category\n" + s[0].MD5 + ";1\n", openErr: "pass --scheme"},
		{name: "category unknown scheme", in: "MD5;Category\n" + s[0].MD5 + ";1\n", opt: Options{Scheme: "nope"}, openErr: "unknown category scheme"},
		{name: "category vic-us", in: "MD5;Category\n" + s[0].MD5 + ";1\n" + s[1].MD5 + ";\n" + s[2].MD5 + ";9\n", opt: Options{Scheme: "vic-us"},
			want: []entrySummary{
				{Hashes: md5Of(s[0]), Quality: -1, Size: -1, Category: "vic-us:1", Pos: 2},
				{Hashes: md5Of(s[1]), Quality: -1, Size: -1, Pos: 3},
			}, rejects: []int64{4}, fields: []string{"Category"}},
		{name: "category caid code", in: "MD5;Category\n" + s[0].MD5 + ";a\n" + s[1].MD5 + ";2\n", opt: Options{Scheme: "caid"},
			want: []entrySummary{
				{Hashes: md5Of(s[0]), Quality: -1, Size: -1, Category: "caid:A", Pos: 2},
				{Hashes: md5Of(s[1]), Quality: -1, Size: -1, Category: "caid:B", Pos: 3},
			}},
		{name: "no hash column", in: "Image ID;Series name\n1;x\n", openErr: "no MD5 or SHA1 column"},
		{name: "empty", in: "", openErr: "empty file"},
		{name: "unclosed quote", in: icseHeader + "\n" + s[0].MD5 + ";\"x\n" + s[1].MD5 + "\n",
			want: []entrySummary{{Hashes: md5Of(s[1]), Quality: -1, Size: -1, Pos: 3}}, rejects: []int64{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Format = ICSE
			r, err := readString(t, tt.in, tt.opt)
			if tt.openErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.openErr) {
					t.Fatalf("open error %v, want %q", err, tt.openErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			checkEntries(t, r.entries, tt.want)
			if !reflect.DeepEqual(r.rejectPos(), tt.rejects) {
				t.Errorf("rejected %v, want %v", shortList(r.rejects), tt.rejects)
			}
			for i, re := range r.rejects {
				if i < len(tt.fields) && re.Field != tt.fields[i] {
					t.Errorf("reject %d field %q, want %q (%v)", i, re.Field, tt.fields[i], re)
				}
			}
			if r.fatal != nil {
				t.Errorf("fatal %v", r.fatal)
			}
		})
	}
}

func FuzzICSE(f *testing.F) {
	addFixtures(f, "synthetic/icse/icse-export-synthetic.csv")
	f.Add([]byte("MD5;Category\n6b7053944681f9b77697ae85dec5b484;1\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzSource(t, data, Options{Format: ICSE, MaxLineBytes: 500})
		fuzzSource(t, data, Options{Format: ICSE, Scheme: triage.SchemeVICUS, MaxLineBytes: 500})
	})
}

var icseBench = sync.OnceValue(func() []byte {
	return genLines(200_000, icseHeader+"\r\n", func(b []byte, i int) []byte {
		b = appendFakeHex(b, i, 16)
		b = append(b, ';')
		b = appendFakeHex(b, i+1, 20)
		b = append(b, ";;900000;Yes;No;No;SERIES;1;Yes;Image;No\r\n"...)
		return b
	})
})

// BenchmarkICSE reads 200k ICSE rows.
func BenchmarkICSE(b *testing.B) {
	benchRead(b, icseBench(), Options{Format: ICSE}, 200_000)
}
