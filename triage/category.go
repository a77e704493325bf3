package triage

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Category is a classification in a named scheme, such as Project VIC's
// "vic-us:1" or CAID's "caid:A". Categories are never bare integers: the
// same integer means different things in different schemes (Project VIC
// and the older DHS scheme swap 0 and 5). The zero value means
// uncategorised, which is not the same as any scheme's code 0.
type Category struct {
	Scheme string
	Code   string
}

// IsZero reports whether c is "no category".
func (c Category) IsZero() bool { return c == Category{} }

// String returns SCHEME:CODE, or "" for no category.
func (c Category) String() string {
	if c.IsZero() {
		return ""
	}
	return c.Scheme + ":" + c.Code
}

// Label returns the human label of the category in its scheme, or its
// String form if the scheme or code is unknown.
func (c Category) Label() string {
	if s, ok := LookupScheme(c.Scheme); ok {
		if l, ok := s.Labels[c.Code]; ok {
			return l
		}
	}
	return c.String()
}

// Ignorable reports whether the category marks material as not pertinent
// (known-benign), so that a match on it yields the verdict "ignorable".
func (c Category) Ignorable() bool {
	s, ok := LookupScheme(c.Scheme)
	return ok && s.Ignorable[c.Code]
}

// Scheme is a category scheme: its codes, their labels, which codes are
// ignorable, and how the integers of VICS files map to codes.
type Scheme struct {
	Name string `json:"name"`
	// Labels maps every code of the scheme to its human label.
	Labels map[string]string `json:"labels"`
	// Ints maps the integer Category of VICS records to codes. An integer
	// not in the map is rejected on import; one mapped to "" means
	// uncategorised.
	Ints map[int]string `json:"ints,omitempty"`
	// Ignorable lists the codes that mark known-benign material.
	Ignorable map[string]bool `json:"ignorable,omitempty"`
	// Description says where the scheme comes from.
	Description string `json:"description,omitempty"`
}

// Validate reports a scheme that cannot be used.
func (s *Scheme) Validate() error {
	if s.Name == "" || strings.ContainsAny(s.Name, ": \t") {
		return Errorf(EINVALID, "scheme name %q: must be non-empty, without spaces or colons", s.Name)
	}
	if len(s.Labels) == 0 {
		return Errorf(EINVALID, "scheme %s: no codes", s.Name)
	}
	for code := range s.Labels {
		if code == "" || strings.ContainsAny(code, " \t") {
			return Errorf(EINVALID, "scheme %s: bad code %q", s.Name, code)
		}
	}
	for i, code := range s.Ints {
		if _, ok := s.Labels[code]; code != "" && !ok {
			return Errorf(EINVALID, "scheme %s: integer %d maps to unknown code %q", s.Name, i, code)
		}
	}
	for code := range s.Ignorable {
		if _, ok := s.Labels[code]; !ok {
			return Errorf(EINVALID, "scheme %s: ignorable code %q is not a code", s.Name, code)
		}
	}
	return nil
}

// FromInt converts a VICS integer category into a Category of the scheme.
// ok is false when the scheme does not define the integer.
func (s *Scheme) FromInt(n int) (Category, bool) {
	code, ok := s.Ints[n]
	if !ok {
		return Category{}, false
	}
	if code == "" {
		return Category{}, true
	}
	return Category{s.Name, code}, true
}

// ToInt converts a code back to its VICS integer (the smallest one if
// several map to it). ok is false for codes with no integer.
func (s *Scheme) ToInt(code string) (int, bool) {
	best, found := 0, false
	for n, c := range s.Ints {
		if c == code && (!found || n < best) {
			best, found = n, true
		}
	}
	return best, found
}

// Built-in scheme names.
const (
	SchemeVICUS    = "vic-us"
	SchemeVICDHS   = "vic-dhs"
	SchemeCAID     = "caid"
	SchemeIndustry = "industry"
)

func builtinSchemes() []*Scheme {
	return []*Scheme{{
		Name:        SchemeVICUS,
		Description: "Project VIC US profile (VICS 'US'); absent Category means uncategorised",
		Labels: map[string]string{
			"0": "Non-Pertinent",
			"1": "Child Abuse Material (CAM)",
			"2": "Child Exploitive (Non-CAM) / Age Difficult",
			"3": "CGI / Animation - Child Exploitive",
			"4": "Comparison Images",
		},
		Ints:      map[int]string{0: "0", 1: "1", 2: "2", 3: "3", 4: "4"},
		Ignorable: map[string]bool{"0": true},
	}, {
		Name:        SchemeVICDHS,
		Description: "legacy DHS scheme: 0 and 5 swapped relative to vic-us (0 uncategorised, 5 non-pertinent)",
		Labels: map[string]string{
			"1": "Child Exploitation (Illegal)",
			"2": "Child Exploitation (Non-Illegal / Age Difficult)",
			"3": "CGI / Animation (Child Exploitive)",
			"4": "Exemplar / Comparison (Internal Use Only)",
			"5": "Non-Pertinent",
		},
		Ints:      map[int]string{0: "", 1: "1", 2: "2", 3: "3", 4: "4", 5: "5"},
		Ignorable: map[string]bool{"5": true},
	}, {
		Name: SchemeCAID,
		Description: "UK CAID legal categories (Sentencing Council 2014). The VICS UK integer mapping is not " +
			"publicly documented: the default (1=A, 2=B, 3=C, 8=ignorable as in NIST's CAID-format known-good " +
			"sets) must be confirmed against a real CAID release; override it with a custom scheme",
		Labels: map[string]string{
			"A":            "Category A",
			"B":            "Category B",
			"C":            "Category C",
			"non-indecent": "Not indecent",
			"ignorable":    "Ignorable / known good",
		},
		Ints:      map[int]string{0: "", 1: "A", 2: "B", 3: "C", 4: "non-indecent", 8: "ignorable"},
		Ignorable: map[string]bool{"non-indecent": true, "ignorable": true},
	}, {
		Name:        SchemeIndustry,
		Description: "industry classification: A = prepubescent, B = pubescent; 1 = sex act, 2 = lascivious exhibition",
		Labels: map[string]string{
			"A1": "Prepubescent, sex act",
			"A2": "Prepubescent, lascivious exhibition",
			"B1": "Pubescent, sex act",
			"B2": "Pubescent, lascivious exhibition",
		},
	}}
}

var (
	schemesMu sync.RWMutex
	schemes   = func() map[string]*Scheme {
		m := map[string]*Scheme{}
		for _, s := range builtinSchemes() {
			m[s.Name] = s
		}
		return m
	}()
)

// LookupScheme returns the registered scheme with the given name.
func LookupScheme(name string) (*Scheme, bool) {
	schemesMu.RLock()
	defer schemesMu.RUnlock()
	s, ok := schemes[name]
	return s, ok
}

// SchemeNames lists the registered schemes, sorted.
func SchemeNames() []string {
	schemesMu.RLock()
	defer schemesMu.RUnlock()
	var names []string
	for n := range schemes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// RegisterScheme adds a custom scheme, or replaces a built-in one (a lab
// that knows CAID's real integer mapping replaces "caid").
func RegisterScheme(s *Scheme) error {
	if err := s.Validate(); err != nil {
		return err
	}
	schemesMu.Lock()
	defer schemesMu.Unlock()
	schemes[s.Name] = s
	return nil
}

// LoadSchemes registers the schemes of a JSON configuration: an array of
// objects {"name", "labels", "ints", "ignorable", "description"}, where
// "ints" has string keys ("1": "A").
func LoadSchemes(r io.Reader) ([]string, error) {
	var raw []struct {
		Scheme
		Ints map[string]string `json:"ints"`
	}
	dec := json.NewDecoder(io.LimitReader(r, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, Errorf(EINVALID, "category schemes: %v", err)
	}
	var names []string
	for _, r := range raw {
		s := r.Scheme
		s.Ints = map[int]string{}
		for k, v := range r.Ints {
			n, err := strconv.Atoi(k)
			if err != nil {
				return nil, Errorf(EINVALID, "scheme %s: ints key %q is not an integer", s.Name, k)
			}
			s.Ints[n] = v
		}
		if err := RegisterScheme(&s); err != nil {
			return nil, err
		}
		names = append(names, s.Name)
	}
	return names, nil
}

// ParseCategory parses SCHEME:CODE, e.g. "vic-us:1" or "caid:A". The scheme
// must be registered and the code one of its codes ("caid:a" is accepted
// for "caid:A").
func ParseCategory(s string) (Category, error) {
	scheme, code, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || scheme == "" || code == "" {
		return Category{}, Errorf(EINVALID, "category %q: want SCHEME:CODE, e.g. vic-us:1 or caid:A (schemes: %s)",
			s, strings.Join(SchemeNames(), ", "))
	}
	sc, found := LookupScheme(scheme)
	if !found {
		return Category{}, Errorf(EINVALID, "category %q: unknown scheme %q (known: %s)", s, scheme, strings.Join(SchemeNames(), ", "))
	}
	if _, ok := sc.Labels[code]; ok {
		return Category{scheme, code}, nil
	}
	for c := range sc.Labels {
		if strings.EqualFold(c, code) {
			return Category{scheme, c}, nil
		}
	}
	codes := make([]string, 0, len(sc.Labels))
	for c := range sc.Labels {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	return Category{}, Errorf(EINVALID, "category %q: scheme %s has no code %q (codes: %s)", s, scheme, code, strings.Join(codes, ", "))
}

// SplitCategory parses SCHEME:CODE as stored, without looking the scheme
// up: for categories a store wrote itself, whose scheme may be a custom
// one carried by a hash set rather than registered in this process. ""
// is no category; anything else without a scheme and a code is an error.
func SplitCategory(s string) (Category, error) {
	if s == "" {
		return Category{}, nil
	}
	scheme, code, ok := strings.Cut(s, ":")
	if !ok || scheme == "" || code == "" {
		return Category{}, Errorf(EINVALID, "category %q: want SCHEME:CODE", s)
	}
	return Category{scheme, code}, nil
}

// AdoptSchemes registers the schemes that no scheme of the same name is
// registered for (a hash set carries the definitions of the schemes its
// categories use), and returns the names of those registered with a
// different definition: the registered one stays, and the caller says
// so.
func AdoptSchemes(ss []Scheme) (conflicts []string) {
	schemesMu.Lock()
	defer schemesMu.Unlock()
	for i := range ss {
		s := ss[i]
		cur, ok := schemes[s.Name]
		switch {
		case !ok:
			schemes[s.Name] = &s
		case !sameScheme(cur, &s):
			conflicts = append(conflicts, s.Name)
		}
	}
	return conflicts
}

// sameScheme reports whether two schemes define the same codes, integers
// and ignorable codes.
func sameScheme(a, b *Scheme) bool {
	return maps.Equal(a.Labels, b.Labels) && maps.Equal(a.Ints, b.Ints) && maps.Equal(ignorableSet(a), ignorableSet(b))
}

func ignorableSet(s *Scheme) map[string]bool {
	m := map[string]bool{}
	for c, ok := range s.Ignorable {
		if ok {
			m[c] = true
		}
	}
	return m
}

// MustParseCategory is ParseCategory for constants; it panics on error.
func MustParseCategory(s string) Category {
	c, err := ParseCategory(s)
	if err != nil {
		panic(fmt.Sprintf("triage: %v", err))
	}
	return c
}
