package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/api"
	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// labCustomScheme is a lab's own category scheme, unknown to serve and
// worker: they learn it from the set that carries it.
const labCustomScheme = `[{"name": "lab-e2e-custom", "labels": {"X": "Lab category X", "OK": "Lab benign"},
  "ints": {"1": "X", "9": "OK"}, "ignorable": {"OK": true}}]`

// TestHelperBuildSet is not a test: TestLabCustomSchemeAndKinds runs the
// test binary again with WINNOW_HELPER_BUILD set, so that `hashset build
// --schemes` registers the custom scheme in that process only, as on the
// examiner's workstation.
func TestHelperBuildSet(t *testing.T) {
	args := os.Getenv("WINNOW_HELPER_BUILD")
	if args == "" {
		return
	}
	code, _, stderr := runWinnow(t, strings.Split(args, "\x1f")...)
	if code != 0 {
		t.Fatalf("build: exit %d\n%s", code, stderr)
	}
}

// TestLabCustomSchemeAndKinds pushes a set compiled from an NSRL list and a
// VICS file in a custom category scheme, in another process, and checks on
// the real services: the NSRL-only file is ignorable (not known), the
// alert file is known in the custom category, the file in both is known
// and its detail says it is also known-good, and the set exports from the
// database with its categories and kinds; exported in VICS, imported and
// pushed again, the NSRL-only file is still ignorable.
func TestLabCustomSchemeAndKinds(t *testing.T) {
	l := startLab(t, labEnv(t))
	dir := t.TempDir()
	files := map[string][]byte{
		"nsrl-only.jpg": triagetest.PhotoJPEG(320, 240, 700, 90),
		"custom-x.jpg":  triagetest.PhotoJPEG(320, 240, 701, 90),
		"both.jpg":      triagetest.PhotoJPEG(320, 240, 702, 90),
	}
	h := hashing.New(hashing.Options{Algos: triage.AlgosCrypto})
	fps := map[string]triage.Fingerprint{}
	for name, b := range files {
		writeFile(t, filepath.Join(dir, "seizure", name), b)
		fps[name] = h.HashBytes(context.Background(), b)
	}
	nsrl := `"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"` + "\r\n"
	for _, name := range []string{"nsrl-only.jpg", "both.jpg"} {
		fp := fps[name]
		nsrl += fmt.Sprintf("%q,%q,\"00000000\",%q,%d,9001,\"TestOS\",\"\"\r\n",
			strings.ToUpper(fp.SHA1.String()), strings.ToUpper(fp.MD5.String()), name, len(files[name]))
	}
	vics := fmt.Sprintf(`{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media","value":[
		{"MediaID":1,"Category":1,"MD5":%q,"Comments":"TEST LABEL on a benign generated image"},
		{"MediaID":2,"Category":1,"MD5":%q,"Comments":"TEST LABEL on a benign generated image"}]}`,
		fps["custom-x.jpg"].MD5, fps["both.jpg"].MD5)
	writeFile(t, filepath.Join(dir, "NSRLFile.txt"), []byte(nsrl))
	writeFile(t, filepath.Join(dir, "lab.json"), []byte(vics))
	writeFile(t, filepath.Join(dir, "schemes.json"), []byte(labCustomScheme))
	setPath := filepath.Join(dir, "lab.wset")
	build := []string{"hashset", "build", "--out", setPath, "--name", "lab-custom", "--schemes", filepath.Join(dir, "schemes.json"),
		"--scheme", "lab-e2e-custom", filepath.Join(dir, "NSRLFile.txt"), filepath.Join(dir, "lab.json")}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperBuildSet$")
	cmd.Env = append(os.Environ(), "WINNOW_HELPER_BUILD="+strings.Join(build, "\x1f"))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build in a child process: %v\n%s", err, out)
	}

	env := map[string]string{"WINNOW_SERVER": l.URL, "WINNOW_TOKEN": l.Token}
	if code, out, errs := runWinnowEnv(t, env, "hashset", "push", setPath); code != 0 {
		t.Fatalf("push: %d %s %s", code, out, errs)
	}
	var st api.SetJSON
	l.call(t, "", "GET", "/api/v1/hashsets/lab-custom", nil, &st)
	if st.Kind != triage.SetKindMixed || len(st.Schemes) != 1 || st.Schemes[0].Name != "lab-e2e-custom" {
		t.Fatalf("stored set: kind %s, schemes %+v", st.Kind, st.Schemes)
	}
	waitFor(t, 10*time.Second, "worker loads the set", func() bool { return len(l.Worker.w.Matcher().Sets()) == 1 })

	verdicts := func(exhibit string) map[string]api.ItemJSON {
		t.Helper()
		if code, out, errs := runWinnowEnv(t, env, "submit", "--case", "c-sets", "--exhibit", exhibit, "--wait", "--json", filepath.Join(dir, "seizure")); code != 0 {
			t.Fatalf("submit: %d %s %s", code, out, errs)
		}
		var page struct{ Items []api.ItemJSON }
		l.call(t, "", "GET", "/api/v1/cases/c-sets/exhibits/"+exhibit+"/items", nil, &page)
		out := map[string]api.ItemJSON{}
		for _, it := range page.Items {
			var detail api.ItemJSON
			l.call(t, "", "GET", fmt.Sprintf("/api/v1/items/%d", it.ID), nil, &detail)
			out[filepath.Base(it.Path)] = detail
		}
		return out
	}
	items := verdicts("phone")
	if it := items["nsrl-only.jpg"]; it.Verdict != triage.VerdictIgnorable || len(it.AlsoKnownGood) > 0 {
		t.Errorf("nsrl-only.jpg: %s (%s), want ignorable", it.Verdict, it.Reason)
	}
	if it := items["custom-x.jpg"]; it.Verdict != triage.VerdictKnown || it.Category != "lab-e2e-custom:X" {
		t.Errorf("custom-x.jpg: %s %q (%s), want known lab-e2e-custom:X", it.Verdict, it.Category, it.Reason)
	}
	both := items["both.jpg"]
	if both.Verdict != triage.VerdictKnown || !slices.Equal(both.AlsoKnownGood, []string{"lab-custom"}) ||
		!strings.Contains(both.Reason, "also listed as known-good in lab-custom") {
		t.Errorf("both.jpg: %s (%s), also known-good %v", both.Verdict, both.Reason, both.AlsoKnownGood)
	}
	kinds := map[string]bool{}
	for _, m := range both.Matches {
		kinds[m.SetKind] = true
	}
	if !kinds["alert"] || !kinds["known-good"] {
		t.Errorf("both.jpg matches %+v: want an alert and a known-good entry", both.Matches)
	}

	// Export from the database: CSV keeps every category and kind.
	resp := l.raw(t, "GET", "/api/v1/hashsets/lab-custom/export?format=csv")
	rows, err := csv.NewReader(resp.Body).ReadAll()
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || len(rows) != 5 {
		t.Fatalf("csv export: %d %v %q", resp.StatusCode, err, rows)
	}
	var got []string
	for _, r := range rows[1:] {
		got = append(got, r[10]+"/"+r[len(r)-1])
	}
	slices.Sort(got)
	if want := []string{"/known-good", "/known-good", "lab-e2e-custom:X/alert", "lab-e2e-custom:X/alert"}; !slices.Equal(got, want) {
		t.Errorf("csv categories/kinds %q, want %q", got, want)
	}
	// VICS: the custom category has no VICS profile; without a mapping the
	// export fails before sending anything, with a mapping it goes through.
	resp = l.raw(t, "GET", "/api/v1/hashsets/lab-custom/export?format=vics")
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(msg, []byte("--map lab-e2e-custom:X=vic-us:CODE")) {
		t.Errorf("vics export without a mapping: %d %s", resp.StatusCode, msg)
	}
	resp = l.raw(t, "GET", "/api/v1/hashsets/lab-custom/export?format=vics&map=lab-e2e-custom:*=vic-us:1")
	export, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("vics export: %d %s", resp.StatusCode, export)
	}
	exported := filepath.Join(dir, "exported.json")
	writeFile(t, exported, export)
	if cats, want := fileCategories(t, exported), []string{"vic-us:0", "vic-us:0", "vic-us:1", "vic-us:1"}; !slices.Equal(cats, want) {
		t.Errorf("vics export categories %q, want %q", cats, want)
	}

	// The export, imported and pushed in place of the set: the NSRL-only
	// file is still ignorable.
	again := filepath.Join(dir, "again.wset")
	if code, _, errs := runWinnow(t, "hashset", "build", "--out", again, "--name", "lab-custom", "--version", "2", exported); code != 0 {
		t.Fatalf("rebuild: %d %s", code, errs)
	}
	if code, out, errs := runWinnowEnv(t, env, "hashset", "push", again); code != 0 {
		t.Fatalf("push again: %d %s %s", code, out, errs)
	}
	waitFor(t, 10*time.Second, "worker reloads the set", func() bool {
		ms := l.Worker.w.Matcher().Sets()
		return len(ms) == 1 && ms[0].Version == "2"
	})
	items = verdicts("laptop")
	if it := items["nsrl-only.jpg"]; it.Verdict != triage.VerdictIgnorable {
		t.Errorf("after the VICS round trip, nsrl-only.jpg: %s (%s), want ignorable", it.Verdict, it.Reason)
	}
	if it := items["custom-x.jpg"]; it.Verdict != triage.VerdictKnown || it.Category != "vic-us:1" {
		t.Errorf("after the VICS round trip, custom-x.jpg: %s %q", it.Verdict, it.Category)
	}
}
