package formats

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func hashKeeperWant(t *testing.T, joined bool) []entrySummary {
	s := samples(t)
	var want []entrySummary
	for i := range 3 {
		extra := map[string]string{
			"hashset_id": "5", "directory": `C:\SYNTH`, "date_modified": "7/11/95 0:00:00", "time_modified": "12/30/99 9:50:00",
			"time_zone": "PST", "comments": "", "date_accessed": "", "time_accessed": "",
		}
		if joined {
			extra["hashset_name"] = "SYN00001 Synthetic Set"
			extra["notable_flag"] = "0"
		}
		want = append(want, entrySummary{
			Hashes: md5Of(s[i]), Quality: -1, Size: 18, Name: "FILE" + string(rune('1'+i)) + ".BIN", ID: "10" + string(rune('1'+i)),
			Extra: extra, Pos: int64(i + 2),
		})
	}
	return want
}

func TestHashKeeperFixture(t *testing.T) {
	for _, file := range []string{"synthetic/hashkeeper/synthetic.hsh", "synthetic/hashkeeper/synthetic.hke"} {
		head, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Fatal(err)
		}
		if f, err := Detect(head, file); f != HashKeeper || err != nil {
			t.Errorf("Detect(%s) = %v, %v; want %v", file, f, err, HashKeeper)
		}
	}
	// The .hsh file alone, as a stream.
	f, err := os.Open("testdata/synthetic/hashkeeper/synthetic.hsh")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stream, err := NewReader(f, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := collect(t, stream)
	checkEntries(t, r.entries, hashKeeperWant(t, false))
	if len(r.rejects) != 0 || r.fatal != nil || len(r.meta) != 0 {
		t.Errorf("rejects %v, fatal %v, meta %v", r.rejects, r.fatal, r.meta)
	}
	// The .hke file as a stream says what to do.
	hke, err := os.Open("testdata/synthetic/hashkeeper/synthetic.hke")
	if err != nil {
		t.Fatal(err)
	}
	defer hke.Close()
	if _, err := NewReader(hke, Options{}); err == nil || !strings.Contains(err.Error(), "import the .hsh file") {
		t.Errorf("NewReader(.hke) = %v, want an error pointing to the .hsh file", err)
	}
	// The pair, from either name.
	wantMeta := map[string]string{
		"hashset_id": "5", "name": "SYN00001 Synthetic Set", "vendor": "Example Vendor", "package": "Synthetic Package",
		"version": "1.0", "authenicated_flag": "1", "notable_flag": "0", "initials": "TST", "num_of_files": "3",
		"description": "Synthetic hash set", "date_loaded": "6/11/98 10:35:21", "kind": "known-good",
	}
	for _, path := range []string{"testdata/synthetic/hashkeeper/synthetic.hsh", "testdata/synthetic/hashkeeper/synthetic.hke"} {
		// OpenHashKeeper, and Open (what winnow hashset build uses).
		for name, open := range map[string]func(string, Options) (Source, error){"OpenHashKeeper": OpenHashKeeper, "Open": Open} {
			src, err := open(path, Options{})
			if err != nil {
				t.Fatalf("%s(%s): %v", name, path, err)
			}
			r := collect(t, src)
			if err := src.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
			checkEntries(t, r.entries, hashKeeperWant(t, true))
			if !reflect.DeepEqual(r.meta, wantMeta) {
				t.Errorf("%s(%s): meta %v\nwant %v", name, path, r.meta, wantMeta)
			}
		}
	}
}

func TestHashKeeperSets(t *testing.T) {
	s := samples(t)
	dir := t.TempDir()
	hsh := hshHeader + "\r\n1,5,\"A\",\"C:\\\",\"" + s[0].MD5 + "\",1,,,,,,\r\n2,6,\"B\",\"C:\\\",\"" + s[1].MD5 + "\",1,,,,,,\r\n" +
		"3,5,\"C\",\"C:\\\",\"NOT-HEX\",1,,,,,,\r\n4,7,\"D\",\"C:\\\",\"" + s[2].MD5 + "\",x,,,,,,\r\n"
	hke := hkeHeader + "\r\n5,\"Set 5\",,,,0,1,,1,,\r\n6,\"Set 6\",,,,0,1,,1,,\r\n"
	if err := os.WriteFile(filepath.Join(dir, "two.HSH"), []byte(hsh), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "two.HKE"), []byte(hke), 0o644); err != nil {
		t.Fatal(err)
	}
	src, err := OpenHashKeeper(filepath.Join(dir, "two.HSH"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	r := collect(t, src)
	if len(r.entries) != 2 || r.entries[0].Extra["hashset_name"] != "Set 5" || r.entries[1].Extra["hashset_name"] != "Set 6" {
		t.Errorf("entries %+v", r.entries)
	}
	if !reflect.DeepEqual(r.rejectPos(), []int64{4, 5}) || r.rejects[0].Field != "hash" || r.rejects[1].Field != "file_size" {
		t.Errorf("rejects %v", shortList(r.rejects))
	}
	if r.meta["kind"] != "known-bad" || !strings.HasPrefix(r.meta["sets"], `[{"authenicated_flag":"0"`) {
		t.Errorf("meta %v", r.meta)
	}
}

func TestHashKeeperHostile(t *testing.T) {
	for _, tt := range []struct{ name, in, openErr string }{
		{"empty", "", "empty file"},
		{"not hashkeeper", "\"a\",\"b\"\n", "not a .hsh header"},
		{"hke", hkeHeader + "\n", "import the .hsh file"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := readString(t, tt.in, Options{Format: HashKeeper})
			if err == nil || !strings.Contains(err.Error(), tt.openErr) {
				t.Errorf("open error %v, want %q", err, tt.openErr)
			}
		})
	}
	if _, err := OpenHashKeeper(filepath.Join(t.TempDir(), "missing.hsh"), Options{}); err == nil {
		t.Errorf("OpenHashKeeper(missing) succeeded")
	}
}

func FuzzHashKeeper(f *testing.F) {
	addFixtures(f, "synthetic/hashkeeper/synthetic.hsh", "synthetic/hashkeeper/synthetic.hke")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzSource(t, data, Options{Format: HashKeeper, MaxLineBytes: 500})
	})
}
