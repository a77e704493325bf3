package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/formats"
	"github.com/winnow-forensics/winnow/triage/report"
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
	if s.Len() != 6 || s.Meta.Name != "Benign reviewed set" || s.Meta.Kind != triage.SetKindAlert {
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
		// Built from media: each image's centre is indexed too, for crops.
		if len(e.Regions) != 1 || e.Regions[0].Kind != triage.RegionCentre || e.Regions[0].PDQQuality == 0 {
			t.Errorf("entry %d regions %+v, want the centre", i, e.Regions)
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
		if r := s2.Entry(i).Regions; len(r) != 0 {
			t.Errorf("a hash list carries regions: %+v", r) // VICS has no field for them
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
	if s.Len() != 3 || s.Meta.Kind != triage.SetKindKnownGood {
		t.Fatalf("set: %d entries, kind %q", s.Len(), s.Meta.Kind)
	}
	if e := s.Entry(0); e.Extra["hashset_name"] != "SYN00001 Synthetic Set" {
		t.Errorf("entry 0: extra %v", e.Extra)
	}
}

// scanOne scans dir against the given sets and returns the report.
func scanOne(t *testing.T, dir string, sets ...string) *report.Report {
	t.Helper()
	out := filepath.Join(t.TempDir(), "out")
	args := []string{"scan", "--out", out}
	for _, s := range sets {
		args = append(args, "--hashset", s)
	}
	if code, _, stderr := runWinnow(t, append(args, dir)...); code != 0 {
		t.Fatalf("scan: exit %d\n%s", code, stderr)
	}
	r, _ := readReport(t, out)
	return r
}

// TestMixedBuildKeepsKnownGood is the regression for the "benign becomes
// known" cases of a mixed build: an NSRL list compiled with a VICS alert
// source into one set, and that set exported to VICS and imported again.
// A file listed only in NSRL is ignorable in every case; a known file
// stays known.
func TestMixedBuildKeepsKnownGood(t *testing.T) {
	dir := t.TempDir()
	seizure := filepath.Join(dir, "seizure")
	for _, p := range []string{"System/wallpaper.jpg", "DCIM/100DEMO/IMG_0001.jpg"} {
		writeFile(t, filepath.Join(seizure, filepath.Base(p)), mustReadFile(t, filepath.Join(demoDir, "seizure", p)))
	}
	check := func(what string, r *report.Report, cat string) {
		t.Helper()
		if it := byPath(r, "wallpaper.jpg"); it == nil || it.Verdict != "ignorable" || len(it.AlsoKnownGood) > 0 {
			t.Errorf("%s: wallpaper.jpg (NSRL only) is %+v, want ignorable", what, it)
		}
		if it := byPath(r, "IMG_0001.jpg"); it == nil || it.Verdict != "known" || it.Category != cat {
			t.Errorf("%s: IMG_0001.jpg is %+v, want known %s", what, it, cat)
		}
	}
	nsrl, vics := filepath.Join(demoDir, "known-good.txt"), filepath.Join(demoDir, "known.json")
	check("two sets", scanOne(t, seizure, vics, nsrl), "vic-us:1")

	mixed := filepath.Join(dir, "mixed.wset")
	code, _, stderr := runWinnow(t, "hashset", "build", "--out", mixed, nsrl, vics)
	if code != 0 || !strings.Contains(stderr, "(mixed)") {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
	check("one mixed set", scanOne(t, seizure, mixed), "vic-us:1")

	code, stdout, stderr := runWinnow(t, "hashset", "info", mixed)
	if code != 0 || !strings.Contains(stdout, "kind:     mixed") || !regexp.MustCompile(`known-good +2\n`).MatchString(stdout) {
		t.Errorf("info: %d\n%s%s", code, stdout, stderr)
	}

	// Through VICS and back, in every profile (UK needs the vic-us
	// categories mapped: there is no built-in vic-us -> caid mapping).
	for _, tt := range []struct {
		profile string
		maps    []string
		cat     string
	}{{"Default", nil, "vic-us:1"}, {"US", nil, "vic-us:1"}, {"UK", []string{"--map", "vic-us:*=caid:A"}, "caid:A"}} {
		export := filepath.Join(dir, "export-"+tt.profile+".json")
		args := append([]string{"hashset", "export", "--profile", tt.profile, "--out", export}, tt.maps...)
		code, _, stderr := runWinnow(t, append(args, mixed)...)
		if code != 0 {
			t.Fatalf("export %s: exit %d\n%s", tt.profile, code, stderr)
		}
		again := filepath.Join(dir, "again-"+tt.profile+".wset")
		if code, _, stderr := runWinnow(t, "hashset", "build", "--out", again, export); code != 0 {
			t.Fatalf("rebuild %s: exit %d\n%s", tt.profile, code, stderr)
		}
		check("exported in "+tt.profile+" and rebuilt", scanOne(t, seizure, again), tt.cat)
	}
	if code, _, stderr := runWinnow(t, "hashset", "export", "--profile", "UK", "--out", filepath.Join(dir, "x.json"), mixed); code == 0 ||
		!strings.Contains(stderr, "--map vic-us:") {
		t.Errorf("UK export without --map: exit %d\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "x.json")); !os.IsNotExist(err) {
		t.Errorf("a failed export left its file: %v", err)
	}
}

// TestAlertAndKnownGoodConflict lists one benign file both as known
// material (a test label) and in NSRL: the alert wins, and report.json,
// report.csv and report.html say that it is also listed as known-good.
func TestAlertAndKnownGoodConflict(t *testing.T) {
	dir := t.TempDir()
	seizure := filepath.Join(dir, "seizure")
	writeFile(t, filepath.Join(seizure, "wallpaper.jpg"), mustReadFile(t, filepath.Join(demoDir, "seizure", "System", "wallpaper.jpg")))
	alert := filepath.Join(dir, "alert.json")
	writeFile(t, alert, []byte(`{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media",
		"value":[{"MediaID":7,"Category":1,"MD5":"93F04D7B02BF2C029883BE33E066E3D5","Comments":"TEST LABEL on a benign image"}]}`))
	set := filepath.Join(dir, "both.wset")
	if code, _, stderr := runWinnow(t, "hashset", "build", "--out", set, "--name", "both", alert, filepath.Join(demoDir, "known-good.txt")); code != 0 {
		t.Fatalf("build: %d %s", code, stderr)
	}
	out := filepath.Join(dir, "out")
	if code, _, stderr := runWinnow(t, "scan", "--hashset", set, "--out", out, seizure); code != 0 {
		t.Fatalf("scan: %d %s", code, stderr)
	}
	r, _ := readReport(t, out)
	it := byPath(r, "wallpaper.jpg")
	if it == nil || it.Verdict != "known" || !slices.Equal(it.AlsoKnownGood, []string{"both"}) ||
		!strings.HasSuffix(it.Reason, "; also listed as known-good in both") || r.Counts.AlsoKnownGood != 1 {
		t.Fatalf("item %+v, counts %+v", it, r.Counts)
	}
	rows, err := csv.NewReader(bytes.NewReader(mustReadFile(t, filepath.Join(out, "report.csv")))).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("report.csv: %v %q", err, rows)
	}
	if col := slices.Index(rows[0], "also_known_good"); col < 0 || rows[1][col] != "both" {
		t.Errorf("report.csv: also_known_good column %d in %q", col, rows)
	}
	if html := string(mustReadFile(t, filepath.Join(out, "report.html"))); !strings.Contains(html, "Listed as known material and as known-good") {
		t.Errorf("report.html does not show the conflict")
	}
}

// fileCategories reads a hash-set file and returns its entries'
// categories, sorted.
func fileCategories(t *testing.T, path string) []string {
	t.Helper()
	src, err := formats.Open(path, formats.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var cats []string
	for {
		e, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		cats = append(cats, e.Category.String())
	}
	slices.Sort(cats)
	return cats
}

// TestExportMapsCategories exports an NCMEC set (industry categories) to
// VICS: the built-in mapping converts them and says what it lost, --map
// overrides it, and =none drops the category on purpose.
func TestExportMapsCategories(t *testing.T) {
	dir := t.TempDir()
	set := filepath.Join(dir, "ncmec.wset")
	ncmec := filepath.Join("..", "..", "triage", "formats", "testdata", "synthetic", "ncmec", "entries-synthetic.xml")
	if code, _, stderr := runWinnow(t, "hashset", "build", "--out", set, ncmec); code != 0 {
		t.Fatalf("build: %d %s", code, stderr)
	}
	for _, tt := range []struct {
		args []string
		cat  string // of the industry:A1 entry, read back
		note string
	}{
		{nil, "vic-us:1", "industry:A1 -> vic-us:1 (built in); lossy: the industry age group and act (A1-B2) are lost"},
		{[]string{"--map", "industry:A1=vic-us:2"}, "vic-us:2", "industry:A1 -> vic-us:2 (--map)"},
		{[]string{"--map", "industry:*=none"}, "", "industry:A1 -> none (dropped) (--map)"},
	} {
		out := filepath.Join(dir, "out.json")
		code, _, stderr := runWinnow(t, append(append([]string{"hashset", "export", "--out", out}, tt.args...), set)...)
		if code != 0 || !strings.Contains(stderr, tt.note) {
			t.Errorf("export %v: exit %d, stderr lacks %q:\n%s", tt.args, code, tt.note, stderr)
			continue
		}
		if cats := fileCategories(t, out); !slices.Contains(cats, tt.cat) {
			t.Errorf("export %v: categories %q, want one %q", tt.args, cats, tt.cat)
		}
	}
}
