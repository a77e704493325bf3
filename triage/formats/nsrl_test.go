package formats

import (
	"archive/zip"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
)

// nsrlWant is what the NSRLFile.txt fixture holds.
func nsrlWant(t *testing.T) []entrySummary {
	s := samples(t)
	row := func(pos int64, i int, name, product, special string) entrySummary {
		return entrySummary{
			Hashes: joinHashes(md5Of(s[i]), sha1Of(s[i])), Quality: -1, Size: s[i].Size, Name: name,
			Extra: map[string]string{"CRC32": s[i].CRC32, "OpSystemCode": "189", "ProductCode": product, "SpecialCode": special}, Pos: pos,
		}
	}
	return []entrySummary{
		row(2, 0, "setup.exe", "1001", ""),
		row(3, 1, "readme, first.txt", "1002", ""),
		row(4, 2, `odd "name".dll`, "1001", "S"),
		row(5, 3, "icon.png", "1002", ""),
		row(6, 3, "same-hash-other-product.png", "1003", ""),
	}
}

func TestNSRLFixture(t *testing.T) {
	head, err := os.ReadFile("testdata/synthetic/nsrl-rds2/NSRLFile.txt")
	if err != nil {
		t.Fatal(err)
	}
	if f, err := Detect(head, "NSRLFile.txt"); f != NSRL2 || err != nil {
		t.Errorf("Detect = %v, %v; want %v", f, err, NSRL2)
	}
	// The side tables are not hash lists.
	for _, side := range []string{"NSRLProd.txt", "NSRLOS.txt", "NSRLMfg.txt"} {
		b, err := os.ReadFile("testdata/synthetic/nsrl-rds2/" + side)
		if err != nil {
			t.Fatal(err)
		}
		if f, err := Detect(b, side); err == nil {
			t.Errorf("Detect(%s) = %v, want an error", side, f)
		}
	}
	r := readFixture(t, "synthetic/nsrl-rds2/NSRLFile.txt", Options{})
	checkEntries(t, r.entries, nsrlWant(t))
	if len(r.rejects) != 0 || r.fatal != nil {
		t.Errorf("rejects %v, fatal %v", r.rejects, r.fatal)
	}
	if want := map[string]string{"kind": "known-good", "layout": "rds2"}; !reflect.DeepEqual(r.meta, want) {
		t.Errorf("meta %v, want %v", r.meta, want)
	}
}

// TestNSRLZip reads NSRLFile.txt straight from a zip of the four RDS 2.x
// files, as NIST ships them, through Open.
func TestNSRLZip(t *testing.T) {
	for _, order := range [][]string{
		{"NSRLFile.txt", "NSRLMfg.txt", "NSRLOS.txt", "NSRLProd.txt"},
		{"NSRLProd.txt", "NSRLOS.txt", "NSRLMfg.txt", "NSRLFile.txt"},
	} {
		path := filepath.Join(t.TempDir(), "rds_2.x.zip")
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		zw := zip.NewWriter(f)
		for _, name := range order {
			b, err := os.ReadFile(filepath.Join("testdata/synthetic/nsrl-rds2", name))
			if err != nil {
				t.Fatal(err)
			}
			w, err := zw.Create("RDS_2.x/" + name)
			if err != nil {
				t.Fatal(err)
			}
			w.Write(b)
		}
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		src, err := Open(path, Options{})
		if err != nil {
			t.Fatalf("Open(zip): %v", err)
		}
		if src.Format() != NSRL2 {
			t.Errorf("format %v, want %v", src.Format(), NSRL2)
		}
		r := collect(t, src)
		if err := src.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		checkEntries(t, r.entries, nsrlWant(t))
		if len(r.rejects) != 0 || r.fatal != nil {
			t.Errorf("rejects %v, fatal %v", r.rejects, r.fatal)
		}
	}
}

func TestNSRLHostile(t *testing.T) {
	s := samples(t)
	row := func(i int, name string) string {
		return `"` + strings.ToUpper(s[i].SHA1) + `","` + strings.ToUpper(s[i].MD5) + `","` + s[i].CRC32 + `","` + name + `",18,1001,"189",""`
	}
	ok0, ok1 := row(0, "a"), row(1, "b")
	tests := []struct {
		name    string
		in      string
		opt     Options
		names   []string // names of the entries
		rejects []int64
		fields  []string
		openErr string
		fatal   string
	}{
		{name: "bad sha1", in: `"ZZ` + ok0[3:] + "\n" + ok1, names: []string{"b"}, rejects: []int64{2}, fields: []string{"SHA-1"}},
		{name: "short sha1", in: `"` + ok0[2:] + "\n" + ok1, names: []string{"b"}, rejects: []int64{2}, fields: []string{"SHA-1"}},
		{name: "bad size", in: strings.Replace(ok0, ",18,", ",-5,", 1) + "\n" + strings.Replace(ok0, ",18,", ",x,", 1) + "\n" + ok1,
			names: []string{"b"}, rejects: []int64{2, 3}, fields: []string{"FileSize", "FileSize"}},
		{name: "field count", in: ok0 + `,"extra"` + "\n" + `"a","b"` + "\n" + ok1, names: []string{"b"}, rejects: []int64{2, 3}, fields: []string{"", ""}},
		{name: "empty-file md5", in: strings.Replace(ok0, strings.ToUpper(s[0].MD5), "D41D8CD98F00B204E9800998ECF8427E", 1) + "\n" + ok1,
			names: []string{"b"}, rejects: []int64{2}, fields: []string{""}},
		{name: "no hashes", in: `"","","","x",1,1,"1",""` + "\n" + ok1, names: []string{"b"}, rejects: []int64{2}},
		// An unclosed quote costs its own line only: reading resumes on the next.
		{name: "unclosed quote", in: row(0, `a"",18,1,"1","`) + "\n" + ok1 + "\n" + row(2, "c"), names: []string{"b", "c"}, rejects: []int64{2}},
		{name: "unclosed quote at end", in: ok1 + "\n" + `"` + strings.ToUpper(s[0].SHA1) + `","x`, names: []string{"b"}, rejects: []int64{3}},
		{name: "quoted newline", in: row(0, "two\r\nlines") + "\n" + ok1, names: []string{"two\nlines", "b"}},
		{name: "lenient stray quote", in: row(0, `say "hi" now`) + "\n" + ok1, names: []string{`say "hi" now`, "b"}},
		{name: "huge line", in: row(0, strings.Repeat("x", 3000)) + "\n" + ok1, opt: Options{MaxLineBytes: 1000}, names: []string{"b"}, rejects: []int64{2}},
		// A quoted field open for more than maxCSVLines lines is dropped and
		// each line after it read again as a record of its own.
		{name: "quoted field over too many lines", in: row(0, "x\n"+strings.Repeat("y\n", 70)) + "\n" + ok1,
			names: []string{"b"}, rejects: posRange(2, 73)},
		{name: "quoted field over too many bytes", in: row(0, "x\n"+strings.Repeat("y", 600)+"\n"+strings.Repeat("y", 600)) + "\n" + ok1,
			opt: Options{MaxLineBytes: 1000}, names: []string{"b"}, rejects: []int64{2, 3, 4}},
		{name: "latin-1 name", in: row(0, "caf\xe9") + "\n", names: []string{"café"}},
		{name: "blank lines", in: "\n" + ok0 + "\n\n\n" + ok1 + "\n\n", names: []string{"a", "b"}},
		{name: "rds 1.5 layout", in: nsrlHeader15 + "\n" + `"` + strings.ToUpper(s[0].SHA1) + `","f.txt",18,7,"WIN","` +
			strings.Repeat("0", 32) + `","` + s[0].MD5 + `","` + s[0].CRC32 + `",""`, names: []string{"f.txt"}},
		{name: "not nsrl", in: `"ProductCode","ProductName"` + "\n1,\"x\"\n", openErr: "not an NSRLFile.txt header"},
		{name: "empty", in: "", openErr: "empty file"},
		{name: "header only", in: nsrlHeader2 + "\r\n"},
		{name: "binary junk", in: "\x00\xff\x00\"\n\x01", openErr: "not an NSRLFile.txt header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if !strings.HasPrefix(in, `"SHA-1"`) && tt.openErr == "" {
				in = nsrlHeader2 + "\r\n" + in
			}
			tt.opt.Format = NSRL2
			r, err := readString(t, in, tt.opt)
			if tt.openErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.openErr) {
					t.Fatalf("open error %v, want %q", err, tt.openErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			var names []string
			for _, e := range r.entries {
				names = append(names, e.Name)
			}
			if !reflect.DeepEqual(names, tt.names) {
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
			if r.fatal != nil {
				t.Errorf("fatal error %v", r.fatal)
			}
		})
	}
}

// posRange lists the positions from..to.
func posRange(from, to int64) []int64 {
	var p []int64
	for i := from; i <= to; i++ {
		p = append(p, i)
	}
	return p
}

// shortList prints at most the first 5 record errors.
func shortList(errs []*triage.RecordError) string {
	var s []string
	for i, e := range errs {
		if i == 5 {
			s = append(s, fmt.Sprintf("... (%d in all)", len(errs)))
			break
		}
		s = append(s, e.Error())
	}
	return "[" + strings.Join(s, "; ") + "]"
}

func TestNSRL15Extra(t *testing.T) {
	s := samples(t)
	in := nsrlHeader15 + "\n" + `"` + s[0].SHA1 + `","f.txt",18,7,"WIN","` + strings.Repeat("0", 32) + `","` + s[0].MD5 + `","` + s[0].CRC32 + `",""`
	r, err := readString(t, in, Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, r.entries, []entrySummary{{
		Hashes: joinHashes(md5Of(s[0]), sha1Of(s[0])), Quality: -1, Size: 18, Name: "f.txt", Pos: 2,
		Extra: map[string]string{"ProductCode": "7", "OpSystemCode": "WIN", "MD4": strings.Repeat("0", 32), "CRC32": s[0].CRC32, "SpecialCode": ""},
	}})
	if r.meta["layout"] != "rds1.5" {
		t.Errorf("meta %v", r.meta)
	}
}

func FuzzNSRL(f *testing.F) {
	addFixtures(f, "synthetic/nsrl-rds2/NSRLFile.txt")
	f.Add([]byte(nsrlHeader2 + "\n\"a\"\"b\",\"c\nd\",1\n\"x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzSource(t, data, Options{Format: NSRL2, MaxLineBytes: 500})
	})
}

var nsrlBench = sync.OnceValue(func() []byte {
	return genLines(1_000_000, nsrlHeader2+"\r\n", func(b []byte, i int) []byte {
		b = append(b, '"')
		b = appendFakeHex(b, i, 20)
		b = append(b, `","`...)
		b = appendFakeHex(b, i+7, 16)
		b = append(b, `","`...)
		b = appendFakeHex(b, i+3, 4)
		b = append(b, `","file_`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `.dll",`...)
		b = strconv.AppendInt(b, int64(i%100000), 10)
		b = append(b, `,1001,"189",""`+"\r\n"...)
		return b
	})
})

// BenchmarkNSRL reads 1M NSRLFile.txt lines.
func BenchmarkNSRL(b *testing.B) {
	benchRead(b, nsrlBench(), Options{Format: NSRL2}, 1_000_000)
}
