package formats

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
)

func TestPDQFixtures(t *testing.T) {
	s := samples(t)
	const (
		pdq0 = "pdq:d041e9ac0c858bf252e0ac5fa4bbfcfa5a97b5ef11c9f768858cc4325a323c58"
		pdq1 = "pdq:27572acf8f0d1f7117c6eba5fc07de9f9f019160a252f94641ef86632a0604b0"
		pdq2 = "pdq:7582c2eb1683dc9673b50bac03ebe085bb7f903d949841bb203e267e956ea5dd"
		pdq3 = "pdq:8177c9d6f4d61da10890aa4d7145d1ad585ecd2dd4f1c1dc43292a45a2829829"
	)
	pdqEntry := func(pos int64, h string, q int, name string, extra map[string]string) entrySummary {
		return entrySummary{Hashes: h, Quality: q, Size: -1, Name: name, Extra: extra, Pos: pos}
	}
	keyedExtra := map[string]string{"norm": "128", "delta": "0"}
	tests := []struct {
		file   string
		want   []entrySummary
		count  int // when want is nil
		first  entrySummary
		last   entrySummary
		layout string
	}{
		// Qualities below 50 are kept: the matcher decides.
		{file: "synthetic/pdq/pdq-photo-hasher-output.csv", layout: pdqHasher, want: []entrySummary{
			pdqEntry(1, pdq0, 100, "images/img0.jpg", nil), pdqEntry(2, pdq1, 87, "images/img1.jpg", nil),
			pdqEntry(3, pdq2, 49, "images/img2.jpg", nil), pdqEntry(4, pdq3, 0, "images/img3.jpg", nil),
		}},
		{file: "synthetic/pdq/pdq-keyed-output.txt", layout: pdqKeyed, want: []entrySummary{
			pdqEntry(1, pdq0, 100, "img0.jpg", keyedExtra), pdqEntry(2, pdq1, 87, "img1.jpg", keyedExtra),
		}},
		{file: "synthetic/pdq/threatexchange-dataset.csv", layout: pdqTEDataset, want: []entrySummary{
			{Hashes: pdq0, Quality: -1, Size: -1, Tags: []string{"tag_a", "tag_b"}, Pos: 2,
				Extra: map[string]string{"signal_type": "pdq", "collab": "Synthetic Collab", "category": "POSITIVE_CLASS"}},
			{Hashes: md5Of(s[0]), Quality: -1, Size: -1, Pos: 3,
				Extra: map[string]string{"signal_type": "video_md5", "collab": "Synthetic Collab", "category": "INVESTIGATION_SEED"}},
		}},
		{file: "threatexchange-pdq/PDQMD5TestData.csv", layout: pdqFilePath, count: 18,
			first: pdqEntry(2, "pdq:d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22", -1, "../../../../data/misc-images/b.jpg", nil),
			last:  pdqEntry(19, "md5:9ffbb242d27f51a14e9c3633abead255", -1, "../../../../../tmk/sample-videos/chair-orig-22-fhd-no-bar.mp4", nil)},
		// Meta's older pdq-photo-hasher: no quality column.
		{file: "threatexchange-pdq/pdq-photo-hasher-legacy.txt", layout: pdqLegacy, count: 20,
			first: pdqEntry(1, "pdq:f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22", -1, "./dih/bridge-1-original.jpg", nil),
			last:  pdqEntry(20, "pdq:1f811b9d2e7fbc6613c0c3f30e041f9df69b836303e10f067fcdfc12c02d01f9", -1, "./pen-and-coaster.png", nil)},
		{file: "threatexchange-pdq/vpdq-doorknob-hd-no-bar.txt", layout: pdqVPDQ, count: 120,
			first: pdqEntry(1, "pdq:dadb999c25266273529cadac89cb52c22324ad3bce99726c38668d93c799f07c", 100, "",
				map[string]string{"frame": "0", "timestamp": "0.000"}),
			last: pdqEntry(120, "pdq:b4b64a53b4b64b4ba4b4a4b424a6b4b44b4bb4b4a4b60b95955f4a4bb5b62eb5", 74, "",
				map[string]string{"frame": "119", "timestamp": "3.967"})},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			head, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if f, err := Detect(head, tt.file); f != PDQCSV || err != nil {
				t.Errorf("Detect = %v, %v; want %v", f, err, PDQCSV)
			}
			r := readFixture(t, tt.file, Options{})
			if tt.want != nil {
				checkEntries(t, r.entries, tt.want)
			} else {
				if len(r.entries) != tt.count {
					t.Fatalf("got %d entries, want %d", len(r.entries), tt.count)
				}
				checkEntries(t, []triage.Entry{r.entries[0], r.entries[tt.count-1]}, []entrySummary{tt.first, tt.last})
			}
			if len(r.rejects) != 0 || r.fatal != nil {
				t.Errorf("rejects %v, fatal %v", r.rejects, r.fatal)
			}
			if want := map[string]string{"layout": tt.layout}; !reflect.DeepEqual(r.meta, want) {
				t.Errorf("meta %v, want %v", r.meta, want)
			}
		})
	}
	// The FilePath,Hash file holds 16 PDQ hashes and 2 MD5s.
	r := readFixture(t, "threatexchange-pdq/PDQMD5TestData.csv", Options{})
	var pdqs, md5s int
	for _, e := range r.entries {
		switch {
		case strings.HasPrefix(hashes(e), "pdq:"):
			pdqs++
		case strings.HasPrefix(hashes(e), "md5:"):
			md5s++
		}
	}
	if pdqs != 16 || md5s != 2 {
		t.Errorf("PDQMD5TestData.csv: %d PDQ and %d MD5 entries, want 16 and 2", pdqs, md5s)
	}
}

// TestPDQAssumedQuality: quality-less PDQ hashes get a quality only when
// asked; recorded qualities are never changed.
func TestPDQAssumedQuality(t *testing.T) {
	r := readFixture(t, "threatexchange-pdq/pdq-photo-hasher-legacy.txt", Options{AssumePDQQuality: 100})
	for _, e := range r.entries {
		if e.PDQQuality != 100 {
			t.Fatalf("entry %d: quality %d, want 100 (assumed)", e.Pos, e.PDQQuality)
		}
	}
	r = readFixture(t, "synthetic/pdq/pdq-photo-hasher-output.csv", Options{AssumePDQQuality: 100})
	if q := r.entries[2].PDQQuality; q != 49 {
		t.Errorf("recorded quality 49 became %d", q)
	}
	if _, err := NewReader(strings.NewReader("x"), Options{Format: PDQCSV, AssumePDQQuality: 101}); err == nil {
		t.Error("quality 101 accepted")
	}
	// A line "<pdq>,<digits>" is the current layout (quality), a name
	// that is not a number the legacy one.
	for line, want := range map[string]string{
		"f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22,87\n":      pdqHasher,
		"f8f8f0cce0f4e84d0e370a22028f67f0b36e2ed596623e1d33e6339c4e9c9b22,a,b.jpg\n": pdqLegacy,
	} {
		if got, _ := pdqLayout([]byte(line)); got != want {
			t.Errorf("%q: layout %q, want %q", line, got, want)
		}
	}
}

func TestPDQHostile(t *testing.T) {
	h := "d041e9ac0c858bf252e0ac5fa4bbfcfa5a97b5ef11c9f768858cc4325a323c58"
	tests := []struct {
		name    string
		in      string
		names   []string
		quality []int
		rejects []int64
		fields  []string
		openErr string
	}{
		{name: "hasher bad quality and hash", in: h + ",101,a\n" + h + ",x,b\n" + h[1:] + ",5,c\n" + h + ",50,d,with,commas\n" + h + "\n",
			names: []string{"d,with,commas", ""}, quality: []int{50, -1}, rejects: []int64{1, 2, 3}, fields: []string{"quality", "quality", "hash"}},
		{name: "hasher header", in: "hash,quality,filename\r\n" + h + ",9,x\r\n", names: []string{"x"}, quality: []int{9}},
		{name: "keyed", in: "hash=" + h + ",quality=7,filename=a,b=c\n" + h + ",norm=1\nnorm=1,quality=3\nhash=zz\nhash=" + h + ",odd\n",
			names: []string{"a,b=c", "", ""}, quality: []int{7, -1, -1}, rejects: []int64{3, 4}, fields: []string{"hash", "hash"}},
		{name: "vpdq", in: "0,100," + h + ",0.000\n1,100," + h + "\n2,x," + h + ",1\nz,1," + h + ",1\n3,1," + h + ",x\n4,99," + h + ",1.5,extra\n",
			names: []string{"", ""}, quality: []int{100, 99}, rejects: []int64{2, 3, 4, 5}, fields: []string{"", "quality", "frame", "timestamp"}},
		{name: "te unknown signal", in: "signal_type,signal_str,collab,category,tags\nurl,http://x,c,POSITIVE_CLASS,\n" +
			"pdq," + h + ",\"a, b\",NEGATIVE_CLASS,x y\nvideo_md5,zz,c,,\n",
			names: []string{""}, quality: []int{-1}, rejects: []int64{2, 4}, fields: []string{"signal_type", "signal_str"}},
		{name: "filepath bad length", in: "FilePath,Hash\na,abc\nb," + h + "\n", names: []string{"b"}, quality: []int{-1}, rejects: []int64{2}, fields: []string{"Hash"}},
		{name: "not pdq", in: "hello,world\n", openErr: "not a PDQ list"},
		{name: "empty", in: "\n", openErr: "empty file"},
		{name: "huge line", in: h + ",1,a\n" + h + ",1," + strings.Repeat("x", 3000) + "\n" + h + ",2,b\n",
			names: []string{"a", "b"}, quality: []int{1, 2}, rejects: []int64{2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := readString(t, tt.in, Options{Format: PDQCSV, MaxLineBytes: 1000})
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
			var quality []int
			for _, e := range r.entries {
				names = append(names, e.Name)
				quality = append(quality, e.PDQQuality)
			}
			if !reflect.DeepEqual(names, tt.names) || !reflect.DeepEqual(quality, tt.quality) {
				t.Errorf("names %q qualities %v, want %q %v", names, quality, tt.names, tt.quality)
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
				t.Errorf("fatal %v", r.fatal)
			}
		})
	}
}

func FuzzPDQCSV(f *testing.F) {
	addFixtures(f, "synthetic/pdq/pdq-photo-hasher-output.csv", "synthetic/pdq/pdq-keyed-output.txt",
		"synthetic/pdq/threatexchange-dataset.csv", "threatexchange-pdq/PDQMD5TestData.csv", "threatexchange-pdq/pdq-photo-hasher-legacy.txt")
	b, err := os.ReadFile("testdata/threatexchange-pdq/vpdq-doorknob-hd-no-bar.txt")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b[:600])
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzSource(t, data, Options{Format: PDQCSV, MaxLineBytes: 500})
	})
}

var pdqBench = sync.OnceValue(func() []byte {
	return genLines(1_000_000, "", func(b []byte, i int) []byte {
		b = appendFakeHex(b, i, 32)
		b = append(b, ",87,images/img.jpg\n"...)
		return b
	})
})

// BenchmarkPDQCSV reads 1M pdq-photo-hasher lines.
func BenchmarkPDQCSV(b *testing.B) {
	benchRead(b, pdqBench(), Options{Format: PDQCSV}, 1_000_000)
}
