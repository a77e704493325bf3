package triage

import (
	"strings"
	"testing"
)

func TestParseCategory(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		label   string
		ignore  bool
		errPart string
	}{
		{"vic-us:1", "vic-us:1", "Child Abuse Material (CAM)", false, ""},
		{"vic-us:0", "vic-us:0", "Non-Pertinent", true, ""},
		{"vic-dhs:5", "vic-dhs:5", "Non-Pertinent", true, ""},
		{"caid:A", "caid:A", "Category A", false, ""},
		{"caid:a", "caid:A", "Category A", false, ""},
		{" industry:B2 ", "industry:B2", "Pubescent, lascivious exhibition", false, ""},
		{"vic-us:9", "", "", false, "has no code"},
		{"nosuch:1", "", "", false, "unknown scheme"},
		{"1", "", "", false, "SCHEME:CODE"},
		{"vic-dhs:0", "", "", false, "has no code"}, // DHS 0 means uncategorised, not a code
	}
	for _, tt := range tests {
		c, err := ParseCategory(tt.in)
		if tt.errPart != "" {
			if err == nil || !strings.Contains(err.Error(), tt.errPart) {
				t.Errorf("ParseCategory(%q) error = %v, want one containing %q", tt.in, err, tt.errPart)
			}
			continue
		}
		if err != nil || c.String() != tt.want || c.Label() != tt.label || c.Ignorable() != tt.ignore {
			t.Errorf("ParseCategory(%q) = %v (%q, ignorable %v), %v; want %s (%q, %v)", tt.in, c, c.Label(), c.Ignorable(), err, tt.want, tt.label, tt.ignore)
		}
	}
	var zero Category
	if !zero.IsZero() || zero.String() != "" || zero.Ignorable() {
		t.Error("zero category must be 'uncategorised'")
	}
}

// TestSchemeIntegers pins the integer mappings that differ between schemes:
// Project VIC's 0 is non-pertinent, the DHS scheme's 0 is uncategorised
// and its 5 non-pertinent.
func TestSchemeIntegers(t *testing.T) {
	tests := []struct {
		scheme string
		n      int
		want   string
		ok     bool
	}{
		{SchemeVICUS, 0, "vic-us:0", true},
		{SchemeVICUS, 1, "vic-us:1", true},
		{SchemeVICUS, 5, "", false},
		{SchemeVICDHS, 0, "", true},
		{SchemeVICDHS, 5, "vic-dhs:5", true},
		{SchemeCAID, 1, "caid:A", true},
		{SchemeCAID, 8, "caid:ignorable", true},
		{SchemeCAID, 0, "", true},
	}
	for _, tt := range tests {
		s, _ := LookupScheme(tt.scheme)
		c, ok := s.FromInt(tt.n)
		if ok != tt.ok || c.String() != tt.want {
			t.Errorf("%s.FromInt(%d) = %v, %v; want %q, %v", tt.scheme, tt.n, c, ok, tt.want, tt.ok)
		}
		if tt.want != "" {
			if n, ok := s.ToInt(c.Code); !ok || n != tt.n {
				t.Errorf("%s.ToInt(%s) = %d, %v", tt.scheme, c.Code, n, ok)
			}
		}
	}
}

func TestLoadSchemes(t *testing.T) {
	cfg := `[{"name":"lab-x","labels":{"red":"Red","green":"Green"},"ints":{"1":"red","2":"green","0":""},"ignorable":{"green":true}}]`
	names, err := LoadSchemes(strings.NewReader(cfg))
	if err != nil || len(names) != 1 {
		t.Fatalf("LoadSchemes: %v %v", names, err)
	}
	c, err := ParseCategory("lab-x:green")
	if err != nil || !c.Ignorable() {
		t.Errorf("custom scheme: %v %v", c, err)
	}
	s, _ := LookupScheme("lab-x")
	if c, ok := s.FromInt(1); !ok || c.Code != "red" {
		t.Errorf("custom ints: %v", c)
	}
	for _, bad := range []string{
		`[{"name":"","labels":{"a":"A"}}]`,
		`[{"name":"b","labels":{}}]`,
		`[{"name":"c","labels":{"a":"A"},"ints":{"x":"a"}}]`,
		`[{"name":"d","labels":{"a":"A"},"ints":{"1":"zz"}}]`,
		`[{"name":"e","labels":{"a":"A"},"unknown":1}]`,
		`{`,
	} {
		if _, err := LoadSchemes(strings.NewReader(bad)); err == nil {
			t.Errorf("LoadSchemes(%s): no error", bad)
		}
	}
}

func TestEntryFlags(t *testing.T) {
	f, err := ParseEntryFlags("victim-identified, distributed")
	if err != nil || f != FlagVictimIdentified|FlagDistributed || f.String() != "victim-identified,distributed" {
		t.Errorf("ParseEntryFlags = %v (%s), %v", f, f, err)
	}
	if _, err := ParseEntryFlags("nope"); err == nil {
		t.Error("unknown flag accepted")
	}
}

func TestEntryValidate(t *testing.T) {
	e := NewEntry()
	if e.Validate() == nil {
		t.Error("entry without hashes accepted")
	}
	e.Algos = AlgoSet(AlgoMD5)
	e.MD5 = emptyMD5
	if err := e.Validate(); err == nil || !strings.Contains(err.Error(), "empty file") {
		t.Errorf("empty-file MD5: %v", err)
	}
	e.MD5[0] = 1
	if err := e.Validate(); err != nil {
		t.Errorf("valid entry: %v", err)
	}
}

// TestSplitCategory reads stored categories of any scheme, registered or
// not, and refuses what is not SCHEME:CODE instead of returning nothing.
func TestSplitCategory(t *testing.T) {
	for in, want := range map[string]Category{"": {}, "vic-us:1": {"vic-us", "1"}, "lab-never-registered:X": {"lab-never-registered", "X"}} {
		if got, err := SplitCategory(in); err != nil || got != want {
			t.Errorf("SplitCategory(%q) = %v, %v", in, got, err)
		}
	}
	for _, bad := range []string{"1", ":1", "vic-us:"} {
		if _, err := SplitCategory(bad); ErrorCode(err) != EINVALID {
			t.Errorf("SplitCategory(%q): %v", bad, err)
		}
	}
}

// TestEntryKind: an entry's own kind wins; one without is known-good on an
// ignorable category or in a known-good set, else alert.
func TestEntryKind(t *testing.T) {
	e := NewEntry()
	for _, tt := range []struct {
		kind SetKind
		cat  string
		set  SetKind
		want SetKind
	}{
		{SetKindKnownGood, "vic-us:1", SetKindAlert, SetKindKnownGood},
		{SetKindAlert, "vic-us:0", SetKindKnownGood, SetKindAlert},
		{"", "vic-us:0", SetKindAlert, SetKindKnownGood},
		{"", "", SetKindKnownGood, SetKindKnownGood},
		{"", "vic-us:1", SetKindMixed, SetKindAlert},
		{"", "", "", SetKindAlert},
	} {
		e.Kind, e.Category = tt.kind, Category{}
		if tt.cat != "" {
			e.Category = MustParseCategory(tt.cat)
		}
		if got := e.KindIn(tt.set); got != tt.want {
			t.Errorf("kind %q, category %q in a %q set: %s, want %s", tt.kind, tt.cat, tt.set, got, tt.want)
		}
	}
	if _, err := ParseSetKind("mixed"); err == nil {
		t.Error("an entry kind of mixed accepted")
	}
}
