package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/setfile"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// TestHashsetBuildFromMedia turns a folder of (benign, generated) images
// into a set, as a lab does with reviewed material, and checks info and
// export.
func TestHashsetBuildFromMedia(t *testing.T) {
	dir := t.TempDir()
	media := filepath.Join(dir, "media")
	for i := range 5 {
		writeFile(t, filepath.Join(media, "s", string(rune('a'+i))+".jpg"), triagetest.PhotoJPEG(160, 120, uint64(i), 85))
	}
	writeFile(t, filepath.Join(media, "dup.jpg"), triagetest.PhotoJPEG(160, 120, 0, 85)) // same bytes as s/a.jpg, other name
	writeFile(t, filepath.Join(media, "empty.bin"), nil)
	out := filepath.Join(dir, "reviewed.wset")
	code, _, stderr := runWinnow(t, "hashset", "build", "--out", out, "--name", "Benign reviewed set", "--category", "vic-us:1", media)
	if code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	s, err := setfile.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 6 || s.Meta.Name != "Benign reviewed set" || s.Meta.Kind != triage.KindAlert {
		t.Fatalf("set: %d entries, meta %+v", s.Len(), s.Meta)
	}
	if st := s.Meta.Stats; st.Read != 7 || st.Imported != 6 || st.Rejected != 1 {
		t.Errorf("stats %+v, want 7 read, 6 imported, 1 rejected (the empty file)", st)
	}
	for i := 0; i < s.Len(); i++ {
		e := s.Entry(i)
		if e.Category.String() != "vic-us:1" || !e.Algos.Has(triage.AlgoPDQ) || e.Name == "" {
			t.Errorf("entry %d: %+v", i, e)
		}
	}

	code, stdout, stderr := runWinnow(t, "hashset", "info", "--json", out)
	if code != 0 {
		t.Fatalf("info: %d %s", code, stderr)
	}
	var info struct {
		Entries    int            `json:"entries"`
		Algorithms map[string]int `json:"algorithms"`
		Categories map[string]int `json:"categories"`
	}
	if err := json.Unmarshal([]byte(stdout), &info); err != nil {
		t.Fatal(err)
	}
	if info.Entries != 6 || info.Algorithms["pdq"] != 6 || info.Categories["vic-us:1"] != 6 {
		t.Errorf("info: %+v", info)
	}
	code, stdout, _ = runWinnow(t, "hashset", "info", out)
	if code != 0 || !strings.Contains(stdout, "Child Abuse Material") {
		t.Errorf("info text: %q", stdout)
	}

	code, stdout, stderr = runWinnow(t, "hashset", "export", "--format", "plain", "--algo", "sha256", out)
	if code != 0 || len(strings.Fields(stdout)) != 6 {
		t.Errorf("export plain: %d %q %s", code, stdout, stderr)
	}
	code, stdout, stderr = runWinnow(t, "hashset", "export", "--format", "vics", out)
	if code != 0 || !strings.Contains(stdout, "@odata.context") {
		t.Errorf("export vics: %d %s", code, stderr)
	}

	// Re-import the VICS export: the same hashes and categories come back.
	vics := filepath.Join(dir, "export.json")
	if err := os.WriteFile(vics, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	again := filepath.Join(dir, "again.wset")
	if code, _, stderr := runWinnow(t, "hashset", "build", "--out", again, vics); code != 0 {
		t.Fatalf("rebuild from VICS: %d %s", code, stderr)
	}
	s2, err := setfile.ReadFile(again)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Len() != 6 {
		t.Errorf("round trip through VICS: %d entries", s2.Len())
	}
	for i := 0; i < s2.Len(); i++ {
		if c := s2.Category(i); c.String() != "vic-us:1" {
			t.Errorf("round trip category %v", c)
		}
	}
}

func TestHashsetBuildErrors(t *testing.T) {
	dir := t.TempDir()
	list := filepath.Join(dir, "list.txt")
	writeFile(t, list, []byte("d41d8cd98f00b204e9800998ecf8427f\nnot-a-hash\n0cc175b9c0f1b6a831c399e269772661\n"))
	out := filepath.Join(dir, "l.wset")
	code, _, stderr := runWinnow(t, "hashset", "build", "--out", out, "--category", "caid:B", list)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "2") || !strings.Contains(stderr, "skipped") {
		t.Errorf("the bad line is not reported with its number: %s", stderr)
	}
	s, err := setfile.ReadFile(out)
	if err != nil || s.Len() != 2 || s.Meta.Stats.Rejected != 1 {
		t.Fatalf("set: %v, stats %+v", err, s.Meta.Stats)
	}
	for _, args := range [][]string{
		{"hashset", "build", list}, // no --out
		{"hashset", "build", "--out", out, "--category", "vic-us:9", list}, // bad category
		{"hashset", "build", "--out", out, "--kind", "maybe", list},
		{"hashset", "frob"},
	} {
		if code, _, _ := runWinnow(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	if code, _, stderr := runWinnow(t, "hashset", "info", list); code != 1 || !strings.Contains(stderr, "not a compiled") {
		t.Errorf("info on a text file: %d %s", code, stderr)
	}
}

// TestHashsetBuildHashKeeper builds from a HashKeeper .hsh file: the .hke
// file next to it says the set is not notable, so the set is known-good
// (it used to be read alone and became an alert set), and each entry
// keeps its set's name.
func TestHashsetBuildHashKeeper(t *testing.T) {
	out := filepath.Join(t.TempDir(), "hk.wset")
	code, _, stderr := runWinnow(t, "hashset", "build", "--out", out, "--name", "hk",
		filepath.Join("..", "..", "triage", "formats", "testdata", "synthetic", "hashkeeper", "synthetic.hsh"))
	if code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	s, err := setfile.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if s.Len() != 3 || s.Meta.Kind != triage.KindKnownGood {
		t.Fatalf("set: %d entries, kind %q", s.Len(), s.Meta.Kind)
	}
	if e := s.Entry(0); e.Extra["hashset_name"] != "SYN00001 Synthetic Set" {
		t.Errorf("entry 0: extra %v", e.Extra)
	}
}
