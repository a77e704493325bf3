package api

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/winnow-forensics/winnow/triage"
)

// fastParams keep the tests quick; the format is the same.
var fastParams = PasswordParams{Memory: 64, Time: 1, Threads: 1}

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery", fastParams)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=64,t=1,p=1$") {
		t.Errorf("hash %q", h)
	}
	if !checkPassword(h, "correct horse battery") || checkPassword(h, "correct horse batterY") {
		t.Errorf("check gives the wrong answer")
	}
	h2, _ := HashPassword("correct horse battery", fastParams)
	if h == h2 {
		t.Errorf("two hashes of one password are equal: no salt")
	}
	if _, err := HashPassword("short", fastParams); err == nil {
		t.Errorf("short password accepted")
	}
}

func TestParsePasswordHash(t *testing.T) {
	good, _ := HashPassword("correct horse battery", fastParams)
	for _, tc := range []struct {
		s  string
		ok bool
	}{
		{good, true},
		{"", false},
		{"$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", false},
		{"$argon2id$v=18$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", false},
		{"$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", false}, // memory bomb
		{"$argon2id$v=19$m=64,t=99,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", false},
		{"$argon2id$v=19$m=64,t=1,p=0$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", false},
		{"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFz", false}, // short key
		{"$argon2id$v=19$m=64,t=1,p=1$$aGFzaGhhc2hoYXNoaGFzaA", false},
		{"$argon2id$v=19$t=1,m=64,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", false},
		{"$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA$", false},
	} {
		if _, err := parsePasswordHash(tc.s); (err == nil) != tc.ok {
			t.Errorf("%q: err %v, want ok=%v", tc.s, err, tc.ok)
		}
	}
}

// FuzzParsePasswordHash: stored hashes are read back from the database;
// no input may panic or ask for unbounded memory.
func FuzzParsePasswordHash(f *testing.F) {
	good, _ := HashPassword("correct horse battery", fastParams)
	for _, s := range []string{good, "", "$argon2id$v=19$m=64,t=1,p=1$$", "$argon2id$v=19$m=4294967295,t=1,p=255$AAAA$AAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ph, err := parsePasswordHash(s)
		if err != nil {
			return
		}
		if ph.p.Memory > maxArgonMemory || ph.p.Time > maxArgonTime || len(ph.key) > 64 || len(ph.salt) > 64 {
			t.Fatalf("%q parsed to unbounded parameters %+v", s, ph.p)
		}
	})
}

func TestParseDecision(t *testing.T) {
	for _, tc := range []struct {
		name    string
		b       DecisionBody
		scheme  string
		want    string // category
		tags    []string
		members int
		bad     bool
	}{
		{"bare code", DecisionBody{Category: "1"}, "vic-us", "vic-us:1", nil, 0, false},
		{"full", DecisionBody{Category: "caid:a", Tags: []string{" x ", "x", "", "y"}}, "caid", "caid:A", []string{"x", "y"}, 0, false},
		{"other scheme", DecisionBody{Category: "caid:A"}, "vic-us", "", nil, 0, true},
		{"no category", DecisionBody{}, "vic-us", "", nil, 0, true},
		{"unknown code", DecisionBody{Category: "9"}, "vic-us", "", nil, 0, true},
		{"members", DecisionBody{Category: "2", Members: []string{strings.Repeat("AB", 32)}}, "vic-us", "vic-us:2", nil, 1, false},
		{"bad member", DecisionBody{Category: "2", Members: []string{"zz"}}, "vic-us", "", nil, 0, true},
	} {
		v, ms, err := parseDecision(tc.b, tc.scheme)
		if (err != nil) != tc.bad {
			t.Errorf("%s: err %v", tc.name, err)
			continue
		}
		if tc.bad {
			continue
		}
		if v.Category.String() != tc.want || len(ms) != tc.members {
			t.Errorf("%s: %s, %d members", tc.name, v.Category, len(ms))
		}
		if diff := cmp.Diff(tc.tags, v.Tags); diff != "" {
			t.Errorf("%s: tags (-want +got):\n%s", tc.name, diff)
		}
	}
}

// FuzzParseDecision: decision bodies come from reviewers' browsers.
func FuzzParseDecision(f *testing.F) {
	f.Add("1", "series", "tag,other", "notes", strings.Repeat("ab", 32))
	f.Add("caid:A", "", "", "", "")
	f.Add("vic-us:", "\xff", ",", "", "0")
	f.Fuzz(func(t *testing.T, cat, series, tags, notes, member string) {
		b := DecisionBody{Category: cat, Series: series, Tags: strings.Split(tags, ","), Notes: notes, Members: []string{member}}
		for _, scheme := range []string{"vic-us", "caid"} {
			v, _, err := parseDecision(b, scheme)
			if err == nil && (v.Category.Scheme != scheme || v.Validate(scheme) != nil) {
				t.Fatalf("accepted an invalid vote %+v", v)
			}
		}
	})
}

func TestGPSOf(t *testing.T) {
	if got := gpsOf(map[string]string{"GPSLatitude": "51.5", "GPSLongitude": "-0.125", "GPSAltitude": "12"}); got["latitude"] != 51.5 || got["longitude"] != -0.125 || got["altitude"] != 12 {
		t.Errorf("gps %v", got)
	}
	for _, exif := range []map[string]string{nil, {"GPSLatitude": "91", "GPSLongitude": "0"}, {"GPSLatitude": "x", "GPSLongitude": "0"}} {
		if got := gpsOf(exif); got != nil {
			t.Errorf("%v: %v, want nil", exif, got)
		}
	}
}

func TestReviewConfigDefaults(t *testing.T) {
	r := ReviewConfig{}.withDefaults()
	if r.RequiredVotes != 1 || r.Keys.Scheme != triage.SchemeVICUS || r.LocalSet != "winnow-local" || r.Weights.GPS != 3 || r.Lease == 0 {
		t.Errorf("defaults %+v", r)
	}
}

// TestUIHeaders: the UI is served from the binary with a strict CSP;
// everything but its static files is no-store.
func TestUIHeaders(t *testing.T) {
	s := New(Config{})
	for _, tc := range []struct {
		path, status, cache, ctype string
	}{
		{"/ui/", "200", "no-store", "text/html"},
		{"/ui/static/app.js", "200", "no-cache", "text/javascript"},
		{"/ui/static/style.css", "200", "no-cache", "text/css"},
		{"/ui/static/nope.js", "404", "no-cache", ""},
		{"/ui/static/../../auth.go", "200", "no-store", "text/html"}, // cleaned to the app page, never a source file
		{"/healthz", "200", "no-store", "application/json"},
	} {
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
		h := rec.Header()
		if fmt.Sprint(rec.Code) != tc.status || h.Get("Cache-Control") != tc.cache || !strings.HasPrefix(h.Get("Content-Type"), tc.ctype) ||
			h.Get("Content-Security-Policy") != ContentSecurityPolicy || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: %d %v", tc.path, rec.Code, h)
		}
	}
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 302 || rec.Header().Get("Location") != "/ui/" {
		t.Errorf("/: %d %v", rec.Code, rec.Header())
	}
}
