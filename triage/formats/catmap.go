package formats

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
)

// CategoryMap converts categories on export, from the scheme a set uses to
// the scheme the output writes (a VICS profile's). Explicit mappings come
// first: a code ("industry:A1=vic-us:1"), every code of a scheme
// ("industry:*=vic-us:1"), or a deliberate drop ("industry:*=none": the
// entry is written uncategorised). A category no explicit mapping covers
// and that is not in the target scheme goes through BuiltinMappings when
// the table has its pair; otherwise the export fails and says which
// --map would do. Used counts every conversion, so that a command can say
// what it changed (and where the change lost detail).
type CategoryMap struct {
	codes   map[triage.Category]mapTarget
	schemes map[string]mapTarget
	// Used counts the entries converted, by mapping.
	Used map[Mapping]int
}

// A Mapping converts one category to another; To is zero for a drop.
type Mapping struct {
	From, To triage.Category
	// Loss says what the conversion cannot keep ("" when nothing).
	Loss string
	// Explicit: the user asked for it (else it is built in).
	Explicit bool
}

type mapTarget struct {
	to   triage.Category
	drop bool
}

// BuiltinMappings are the well-known conversions between the built-in
// schemes, used when no explicit mapping covers a category. vic-dhs and
// vic-us number the same categories differently (0 and 5 swapped), so
// their conversions are exact. CAID's legal categories and the industry
// classification both describe abuse material by severity or age, which
// Project VIC's US categories do not record: they all become vic-us:1
// (CAM), and the distinction is lost.
var BuiltinMappings = func() []Mapping {
	var ms []Mapping
	exact := func(from, to string) {
		ms = append(ms, Mapping{From: triage.MustParseCategory(from), To: triage.MustParseCategory(to)})
	}
	for _, c := range []string{"1", "2", "3", "4"} {
		exact("vic-dhs:"+c, "vic-us:"+c)
		exact("vic-us:"+c, "vic-dhs:"+c)
	}
	exact("vic-dhs:5", "vic-us:0")
	exact("vic-us:0", "vic-dhs:5")
	lossy := func(from, to, loss string) {
		ms = append(ms, Mapping{From: triage.MustParseCategory(from), To: triage.MustParseCategory(to), Loss: loss})
	}
	for _, c := range []string{"A", "B", "C"} {
		lossy("caid:"+c, "vic-us:1", "the CAID severity (A, B, C) is lost: all become CAM")
	}
	lossy("caid:non-indecent", "vic-us:0", "not indecent becomes non-pertinent (both ignorable)")
	lossy("caid:ignorable", "vic-us:0", "")
	for _, c := range []string{"A1", "A2", "B1", "B2"} {
		lossy("industry:"+c, "vic-us:1", "the industry age group and act (A1-B2) are lost: all become CAM")
	}
	return ms
}()

// NewCategoryMap returns a map with no explicit mappings.
func NewCategoryMap() *CategoryMap {
	return &CategoryMap{codes: map[triage.Category]mapTarget{}, schemes: map[string]mapTarget{}, Used: map[Mapping]int{}}
}

// Add adds an explicit mapping FROM=TO: FROM is SCHEME:CODE or SCHEME:*,
// TO is SCHEME:CODE or "none" (drop the category).
func (m *CategoryMap) Add(spec string) error {
	from, to, ok := strings.Cut(spec, "=")
	if !ok {
		return triage.Errorf(triage.EINVALID, "category mapping %q: want FROM=TO, e.g. industry:A1=vic-us:1 or industry:*=none", spec)
	}
	var t mapTarget
	if to = strings.TrimSpace(to); strings.EqualFold(to, "none") {
		t.drop = true
	} else {
		c, err := triage.ParseCategory(to)
		if err != nil {
			return triage.Errorf(triage.EINVALID, "category mapping %q: %s", spec, triage.ErrorMessage(err))
		}
		t.to = c
	}
	from = strings.TrimSpace(from)
	if scheme, ok := strings.CutSuffix(from, ":*"); ok {
		if _, known := triage.LookupScheme(scheme); !known {
			return triage.Errorf(triage.EINVALID, "category mapping %q: unknown scheme %q (known: %s)", spec, scheme, strings.Join(triage.SchemeNames(), ", "))
		}
		m.schemes[scheme] = t
		return nil
	}
	c, err := triage.ParseCategory(from)
	if err != nil {
		return triage.Errorf(triage.EINVALID, "category mapping %q: %s", spec, triage.ErrorMessage(err))
	}
	m.codes[c] = t
	return nil
}

// convert returns c as the output writes it: an explicit mapping's target
// (zero for a drop), c itself when it is in scheme, or a built-in
// mapping's target. ok is false when none applies.
func (m *CategoryMap) convert(c triage.Category, scheme string) (triage.Category, bool) {
	if c.IsZero() {
		return c, true
	}
	if m != nil {
		t, ok := m.codes[c]
		if !ok {
			t, ok = m.schemes[c.Scheme]
		}
		if ok {
			m.Used[Mapping{From: c, To: t.to, Explicit: true}]++
			return t.to, true
		}
	}
	if c.Scheme == scheme {
		return c, true
	}
	for _, b := range BuiltinMappings {
		if b.From == c && b.To.Scheme == scheme {
			if m != nil {
				m.Used[b]++
			}
			return b.To, true
		}
	}
	return triage.Category{}, false
}

// Summary lists the conversions made, one line each, with what each lost.
func (m *CategoryMap) Summary() []string {
	var out []string
	for _, mp := range slices.SortedFunc(maps.Keys(m.Used), func(a, b Mapping) int {
		return cmp.Or(strings.Compare(a.From.String(), b.From.String()), strings.Compare(a.To.String(), b.To.String()))
	}) {
		n := m.Used[mp]
		to := mp.To.String()
		if mp.To.IsZero() {
			to = "none (dropped)"
		}
		how := "built in"
		if mp.Explicit {
			how = "--map"
		}
		line := fmt.Sprintf("%d entries: %s -> %s (%s)", n, mp.From, to, how)
		if mp.Loss != "" {
			line += "; lossy: " + mp.Loss
		}
		out = append(out, line)
	}
	return out
}
