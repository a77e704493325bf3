package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
)

// The reference hash lists live with the index package's test data.
const matchData = "../../triage/index/testdata"

// matchPair is one output line of winnow match.
type matchPair struct{ q, i, d int }

func parsePairs(t *testing.T, out string) []matchPair {
	t.Helper()
	var ps []matchPair
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		f := strings.Split(l, "\t")
		if len(f) != 3 {
			t.Fatalf("output line %q: want 3 tab-separated fields", l)
		}
		var p matchPair
		for k, dst := range []*int{&p.q, &p.i, &p.d} {
			n, err := strconv.Atoi(f[k])
			if err != nil {
				t.Fatalf("output line %q: %v", l, err)
			}
			*dst = n
		}
		ps = append(ps, p)
	}
	return ps
}

func cmpPair(a, b matchPair) int {
	if a.q != b.q {
		return a.q - b.q
	}
	return a.i - b.i
}

func decodeStats(t *testing.T, stderr string) map[string]float64 {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	var st map[string]float64
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &st); err != nil {
		t.Fatalf("last stderr line is not a JSON stats object: %q: %v", stderr, err)
	}
	for _, k := range []string{"load_s", "build_s", "query_s", "qps", "index_entries", "queries", "pairs", "index_bytes"} {
		if _, ok := st[k]; !ok {
			t.Errorf("stats: field %q missing in %s", k, lines[len(lines)-1])
		}
	}
	return st
}

// readExpectedCSV reads the reference pairs (1-based line numbers) as
// 0-based pairs.
func readExpectedCSV(t *testing.T, path string) []matchPair {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var ps []matchPair
	for _, r := range recs[1:] { // header
		q, _ := strconv.Atoi(r[0])
		i, _ := strconv.Atoi(r[2])
		d, _ := strconv.Atoi(r[4])
		ps = append(ps, matchPair{q - 1, i - 1, d})
	}
	return ps
}

// TestMatchReferencePairs: needles against the haystack at distance 31 must
// give exactly the 250 pairs of the reference CSV, whatever the number of
// workers.
func TestMatchReferencePairs(t *testing.T) {
	want := readExpectedCSV(t, filepath.Join(matchData, "hashsets-needles-vs-haystack-d31.csv"))
	if len(want) != 250 {
		t.Fatalf("reference CSV has %d pairs, want 250", len(want))
	}
	slices.SortFunc(want, cmpPair)
	var first string
	for _, workers := range []string{"1", "3", "8"} {
		code, out, stderr := runWinnow(t, "match", "--algo", "pdq", "--max-distance", "31",
			"--index", filepath.Join(matchData, "haystack.txt"),
			"--queries", filepath.Join(matchData, "needles.txt"), "--workers", workers)
		if code != 0 {
			t.Fatalf("workers=%s: exit %d, stderr:\n%s", workers, code, stderr)
		}
		got := parsePairs(t, out)
		if !slices.IsSortedFunc(got, cmpPair) {
			t.Errorf("workers=%s: output not sorted by query line, then index line", workers)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("workers=%s: got %d pairs, want the reference's %d\nfirst got: %v\nfirst want: %v",
				workers, len(got), len(want), got[:min(3, len(got))], want[:3])
		}
		if first == "" {
			first = out
		} else if out != first {
			t.Errorf("workers=%s: output differs from workers=1", workers)
		}
		st := decodeStats(t, stderr)
		for k, v := range map[string]float64{"pairs": 250, "queries": 100, "index_entries": 1350} {
			if st[k] != v {
				t.Errorf("stats %s = %v, want %v", k, st[k], v)
			}
		}
	}
}

// bruteForce returns every pair within d, comparing the hashes with the
// triage package's own distance functions.
func bruteForce(t *testing.T, algo, index, queries string, d int) []matchPair {
	t.Helper()
	type hash struct {
		line int
		pdq  triage.PDQ
		ph   triage.PHash
	}
	read := func(path string) []hash {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var hs []hash
		for n, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
			l = strings.TrimSpace(l)
			if l == "" {
				continue
			}
			h := hash{line: n}
			var err error
			if algo == "pdq" {
				h.pdq, err = triage.ParsePDQ(l)
			} else {
				h.ph, err = triage.ParsePHash(l)
			}
			if err != nil {
				t.Fatalf("%s line %d: %v", path, n, err)
			}
			hs = append(hs, h)
		}
		return hs
	}
	var ps []matchPair
	idx := read(index)
	for _, q := range read(queries) {
		for _, h := range idx {
			dist := q.ph.Distance(h.ph)
			if algo == "pdq" {
				dist = q.pdq.Distance(h.pdq)
			}
			if dist <= d {
				ps = append(ps, matchPair{q.line, h.line, dist})
			}
		}
	}
	return ps
}

// messUp rewrites a hash list the way files arrive from other tools:
// blank lines, CRLF, surrounding white space and upper case.
func messUp(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	for n, l := range strings.Split(strings.TrimSuffix(string(b), "\n"), "\n") {
		switch n % 5 {
		case 0:
			sb.WriteString("\r\n") // a blank line first: it still counts
		case 1:
			l = "  " + strings.ToUpper(l) + "\t"
		case 2:
			l = strings.ToUpper(l[:8]) + l[8:]
		}
		sb.WriteString(l)
		if n%2 == 0 {
			sb.WriteString("\r\n")
		} else {
			sb.WriteString("\n")
		}
	}
	sb.WriteString("\n \n") // trailing blank lines
	writeFile(t, dst, []byte(sb.String()))
}

// TestMatchAgainstBruteForce runs the upstream .dat hash lists (64- and
// 256-bit), cleaned and messed up, at several distances.
func TestMatchAgainstBruteForce(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		algo           string
		index, queries string
		dists          []int
	}{
		{"phash", "long64.dat", "short64.dat", []int{0, 1, 10, 20, 32, 64}},
		{"phash", "long64.dat", "long64.dat", []int{0, 8, 16, 24}},
		{"pdq", "long256.dat", "short256.dat", []int{0, 31, 100, 128, 256}},
		{"pdq", "haystack.txt", "long256.dat", []int{31, 90}},
		{"pdq", "order256.dat", "short256.dat", []int{1, 4, 10, 130}},
		{"pdq", "needles.txt", "haystack.txt", []int{0, 10, 31, 40}},
	}
	for _, c := range cases {
		for _, messy := range []bool{false, true} {
			idx, qs := filepath.Join(matchData, c.index), filepath.Join(matchData, c.queries)
			if messy {
				mi, mq := filepath.Join(dir, "i-"+c.index), filepath.Join(dir, "q-"+c.queries)
				messUp(t, idx, mi)
				messUp(t, qs, mq)
				idx, qs = mi, mq
			}
			for _, d := range c.dists {
				name := fmt.Sprintf("%s/%s-vs-%s/d=%d/messy=%v", c.algo, c.queries, c.index, d, messy)
				t.Run(name, func(t *testing.T) {
					code, out, stderr := runWinnow(t, "match", "--algo", c.algo, "--max-distance", strconv.Itoa(d),
						"--index", idx, "--queries", qs)
					if code != 0 {
						t.Fatalf("exit %d, stderr:\n%s", code, stderr)
					}
					want := bruteForce(t, c.algo, idx, qs, d)
					got := parsePairs(t, out)
					if !slices.Equal(got, want) {
						t.Fatalf("got %d pairs, brute force %d", len(got), len(want))
					}
					if st := decodeStats(t, stderr); st["pairs"] != float64(len(want)) {
						t.Errorf("stats pairs = %v, want %d", st["pairs"], len(want))
					}
				})
			}
		}
	}
}

// TestMatchLineNumbers pins the 0-based numbering with blank lines counted.
func TestMatchLineNumbers(t *testing.T) {
	dir := t.TempDir()
	a := strings.Repeat("a", 64)
	b := strings.Repeat("0", 63) + "1"
	writeFile(t, filepath.Join(dir, "idx"), []byte("\n"+a+"\r\n\n  "+strings.ToUpper(a)+"  \n"+b))
	writeFile(t, filepath.Join(dir, "q"), []byte(b+"\n\n"+a+"\n"))
	code, out, stderr := runWinnow(t, "match", "--algo", "pdq", "--max-distance", "0",
		"--index", filepath.Join(dir, "idx"), "--queries", filepath.Join(dir, "q"))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if want := "0\t4\t0\n2\t1\t0\n2\t3\t0\n"; out != want {
		t.Errorf("output:\n%q\nwant\n%q", out, want)
	}
	// The defaults are pdq at distance 31; "aa..." and "00...01" are 127
	// bits apart, so the pairs stay the same.
	code, out, _ = runWinnow(t, "match", "--index", filepath.Join(dir, "idx"), "--queries", filepath.Join(dir, "q"))
	if code != 0 || out != "0\t4\t0\n2\t1\t0\n2\t3\t0\n" {
		t.Errorf("default algo and distance: exit %d, output %q", code, out)
	}
}

func TestMatchErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	writeFile(t, good, []byte(strings.Repeat("ab", 32)+"\n"))
	bad := func(name, content string) string {
		p := filepath.Join(dir, name)
		writeFile(t, p, []byte(content))
		return p
	}
	h := strings.Repeat("ab", 32)
	for _, c := range []struct {
		name    string
		args    []string
		code    int
		message string // in stderr
	}{
		{"no index", []string{"--queries", good}, 2, "--index FILE is required"},
		{"no queries", []string{"--index", good}, 2, "--queries FILE is required"},
		{"bad algo", []string{"--algo", "md5", "--index", good, "--queries", good}, 2, "--algo must be pdq or phash"},
		{"negative distance", []string{"--max-distance", "-3", "--index", good, "--queries", good}, 2, "--max-distance"},
		{"missing file", []string{"--index", filepath.Join(dir, "nope"), "--queries", good}, 1, "nope"},
		{"short hash", []string{"--index", bad("short", h+"\n\n"+h[:60]+"\n"), "--queries", good}, 1, "short:3: want 64 hex digits"},
		{"not hex", []string{"--index", good, "--queries", bad("nothex", h+"\r\n"+h[:63]+"g\r\n")}, 1, "nothex:2:"},
		{"two hashes on a line", []string{"--index", bad("two", h+" "+h+"\n"), "--queries", good}, 1, "two:1:"},
		{"pdq file as phash", []string{"--algo", "phash", "--index", good, "--queries", good}, 1, "want 16 hex digits"},
		{"stray argument", []string{"--index", good, "--queries", good, "extra"}, 2, "unexpected argument"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := runWinnow(t, append([]string{"match"}, c.args...)...)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, c.code, stderr)
			}
			if !strings.Contains(stderr, c.message) {
				t.Errorf("stderr %q does not mention %q", stderr, c.message)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
}

func TestMatchHelp(t *testing.T) {
	code, out, _ := runWinnow(t, "help", "match")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, s := range []string{"--algo", "--max-distance", "--index", "--queries", "--workers", "query_line<TAB>index_line<TAB>distance", "load_s"} {
		if !strings.Contains(out, s) {
			t.Errorf("help does not mention %q", s)
		}
	}
}
