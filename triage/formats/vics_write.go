package formats

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"iter"
	"slices"
	"strconv"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
)

// VICSOptions control WriteVICS.
type VICSOptions struct {
	// Shape is "hashset" (value holds Media records; the default) or "case"
	// (value holds one Case whose Media array holds the records).
	Shape string
	// Profile is the VICS 2.0 regional profile: "US" (categories in the
	// vic-us scheme), "UK" (caid) or "Default" (vic-us; the default, and
	// the only one IPED reads).
	Profile string
	// Map converts categories of other schemes to the profile's (nil: the
	// built-in mappings only; see CategoryMap).
	Map *CategoryMap
	// Case holds the case header fields (CaseID, CaseNumber, ContactName,
	// SourceApplicationName, ...) for the case shape. Values are written as
	// strings, but TotalMediaFiles and TotalPrecategorized as numbers.
	Case map[string]string
	// Compat writes numbers and booleans as strings ("18", "true"), for
	// consumers that expect the 1.x style.
	Compat bool
	// UpperHex writes hashes in upper-case hex, as NIST- and CAID-style
	// consumers expect. Lower case is the default.
	UpperHex bool
}

// vicsProfiles maps the profiles WriteVICS writes to their category
// schemes, and the code each writes for known-good entries.
var vicsProfiles = []struct{ profile, scheme, ignorable string }{
	{"US", triage.SchemeVICUS, "0"},
	{"UK", triage.SchemeCAID, "ignorable"},
	{"Default", triage.SchemeVICUS, "0"},
}

// vicsCaseOrder is the order of the well-known case header fields; others
// follow sorted by name.
var vicsCaseOrder = []string{
	"CaseID", "CaseNumber", "ContactName", "ContactTitle", "ContactOrganization", "ContactPhone", "ContactEmail",
	"SourceApplicationName", "SourceApplicationVersion", "TotalMediaFiles", "TotalPrecategorized",
}

// WriteVICS writes entries as a VICS 2.0 JSON document: UTF-8 without a
// byte-order mark, an @odata.context naming the profile and the shape,
// integers as JSON numbers, booleans as JSON booleans (or both as strings
// with Compat) and hex in lower case (upper with UpperHex). It streams: one
// Media record is written per entry as the sequence yields it.
//
// Each entry becomes a Media record: ID -> MediaID (as a number when it is a
// decimal integer, as a string otherwise), Category -> Category, MD5,
// SHA1, PhotoDNA, Size -> MediaSize,
// Series, Tags (a comma-separated string, or an array when a tag holds a
// comma or surrounding blanks), the true flags (VictimIdentified,
// OffenderIdentified, IsDistributed, IsPrecategorized, IsSuspected), Name
// -> FileName (left out when it is the FileName of the first MediaFiles
// instance, which the reader takes it from), then every Extra field under
// its own key in sorted order: JSON text (MediaFiles, Exifs, numbers,
// booleans) as JSON, everything else as a string. An Extra key that would be
// read back as one of the typed fields above (ThreatExchange's "category"
// label) is written as "Winnow.Extra.<key>", which the reader strips. Hashes and
// fields VICS has no key for are written as Winnow extensions that the VICS
// reader reads back: SHA256, PDQ, PDQQuality, PHash and Baseline. Reading
// the output with the VICS reader gives back the entries written, with the
// changes listed below.
//
// MediaIDs are unique within the document: an entry's ID is kept when no
// earlier record used it; an entry without one (its source has no ID of
// the content: NSRL, plain lists, PDQ sets), or whose ID is taken, gets
// its 1-based position, or the next number after it that is free. Numbers
// depend only on the entries and their order, so the same set exports
// with the same MediaIDs. Read back, such an entry has that number as ID.
//
// Categories are written as the profile's integers (Scheme.ToInt), after
// opt.Map converts categories of other schemes (see CategoryMap; an
// explicit mapping may also drop a category). An entry whose category is
// still in another scheme, or has no integer in it, is an EINVALID error
// that names the entry, the category and the --map that would convert it,
// and the document is left unfinished: a category is never dropped or
// converted silently.
//
// An entry of kind known-good is written with the profile's ignorable
// category (vic-us 0 Non-Pertinent, caid 8 ignorable), so that every
// reader, Winnow's included, reads it back as known-good; a known-good
// entry whose category is not ignorable is an EINVALID error (written as
// is, it would come back as known material).
//
// The Default profile is written the way IPED's Project VIC reader reads
// it (iped.engine.hashdb.HashDBTool, read for its rules; IPED reads the
// hashset shape only, not case documents): every record carries a Category
// or a flag (an uncategorised entry gets "IsPrecategorized": false, which
// says what is true), Tags and Series are strings (tags holding a comma
// are joined with commas, and a Series object becomes its name: both
// lossy), and no field of a record holds an object (an Extra object is
// written as its JSON text, which Winnow reads back unchanged).
func WriteVICS(w io.Writer, entries iter.Seq[triage.Entry], opt VICSOptions) error {
	profile, scheme, err := opt.profile()
	if err != nil {
		return err
	}
	shape, fragment := "hashset", "Media"
	switch strings.ToLower(opt.Shape) {
	case "", "hashset":
	case "case":
		shape, fragment = "case", "Cases"
	default:
		return triage.Errorf(triage.EINVALID, "vics: unknown shape %q (hashset or case)", opt.Shape)
	}
	if shape == "hashset" && len(opt.Case) > 0 {
		return triage.Errorf(triage.EINVALID, "vics: case fields given for the hashset shape")
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	b := make([]byte, 0, 4096)
	b = append(b, "{\n  \"@odata.context\": "...)
	b = appendJSONString(b, "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/"+profile+"/$metadata#"+fragment)
	b = append(b, ",\n  \"value\": ["...)
	indent := "\n    "
	if shape == "case" {
		if b, err = opt.appendCase(b); err != nil {
			return err
		}
		indent = "\n        "
	}
	if _, err := bw.Write(b); err != nil {
		return err
	}
	w2 := vicsWriter{opt: opt, scheme: scheme, profile: profile, used: map[string]struct{}{}}
	if w2.ignorable, err = profileIgnorable(profile, scheme); err != nil {
		return err
	}
	n := 0
	for e := range entries {
		n++
		b = b[:0]
		if n > 1 {
			b = append(b, ',')
		}
		b = append(b, indent...)
		if b, err = w2.appendMedia(b, &e, n); err != nil {
			return err
		}
		if _, err = bw.Write(b); err != nil {
			return err
		}
	}
	b = b[:0]
	if shape == "case" {
		if n > 0 {
			b = append(b, "\n      "...)
		}
		b = append(b, "]\n    }\n  ]\n}\n"...)
	} else {
		if n > 0 {
			b = append(b, "\n  "...)
		}
		b = append(b, "]\n}\n"...)
	}
	if _, err := bw.Write(b); err != nil {
		return err
	}
	return bw.Flush()
}

// profile resolves the profile's canonical spelling and scheme.
func (opt VICSOptions) profile() (string, *triage.Scheme, error) {
	p := opt.Profile
	if p == "" {
		p = "Default"
	}
	for _, vp := range vicsProfiles {
		if strings.EqualFold(p, vp.profile) {
			s, ok := triage.LookupScheme(vp.scheme)
			if !ok {
				return "", nil, triage.Errorf(triage.EINTERNAL, "vics: category scheme %s is not registered", vp.scheme)
			}
			return vp.profile, s, nil
		}
	}
	return "", nil, triage.Errorf(triage.EINVALID, "vics: unknown profile %q (US, UK or Default)", opt.Profile)
}

// appendCase appends the case object up to its Media array.
func (opt VICSOptions) appendCase(b []byte) ([]byte, error) {
	keys := make([]string, 0, len(opt.Case))
	for k := range opt.Case {
		if strings.EqualFold(k, "Media") {
			return nil, triage.Errorf(triage.EINVALID, "vics: case field %q is reserved for the records", k)
		}
		keys = append(keys, k)
	}
	rank := func(k string) int {
		if i := slices.Index(vicsCaseOrder, k); i >= 0 {
			return i
		}
		return len(vicsCaseOrder)
	}
	slices.SortFunc(keys, func(x, y string) int {
		if rx, ry := rank(x), rank(y); rx != ry {
			return rx - ry
		}
		return strings.Compare(x, y)
	})
	b = append(b, "\n    {"...)
	for _, k := range keys {
		v := opt.Case[k]
		b = append(b, "\n      "...)
		b = appendJSONString(b, k)
		b = append(b, ": "...)
		if (k == "TotalMediaFiles" || k == "TotalPrecategorized") && !opt.Compat && isJSONInt(v) {
			b = append(b, v...)
		} else {
			b = appendJSONString(b, v)
		}
		b = append(b, ',')
	}
	return append(b, "\n      \"Media\": ["...), nil
}

type vicsWriter struct {
	opt       VICSOptions
	scheme    *triage.Scheme
	profile   string
	ignorable triage.Category // written for known-good entries
	keys      []extraKey
	used      map[string]struct{} // MediaIDs written
}

// extraKey is an Extra field's key and the key it is written under.
type extraKey struct{ k, out string }

// vicsExtraPrefix marks an Extra field whose own key would be read back as
// a typed VICS field (or starts with the prefix itself); the VICS reader
// strips it.
const vicsExtraPrefix = "Winnow.Extra."

// profileIgnorable returns the category a profile writes for known-good
// entries: the profile's own code when its scheme (which a lab may have
// replaced) still has it as an ignorable code with an integer, else the
// ignorable code with the smallest integer.
func profileIgnorable(profile string, s *triage.Scheme) (triage.Category, error) {
	for _, vp := range vicsProfiles {
		if vp.profile == profile && s.Ignorable[vp.ignorable] {
			if _, ok := s.ToInt(vp.ignorable); ok {
				return triage.Category{Scheme: s.Name, Code: vp.ignorable}, nil
			}
		}
	}
	best, found := 0, ""
	for code := range s.Ignorable {
		if n, ok := s.ToInt(code); ok && (found == "" || n < best) {
			best, found = n, code
		}
	}
	if found == "" {
		return triage.Category{}, triage.Errorf(triage.EINVALID, "vics: scheme %s of the %s profile has no ignorable category with an integer, so known-good entries cannot be written", s.Name, profile)
	}
	return triage.Category{Scheme: s.Name, Code: found}, nil
}

// mediaID returns the MediaID of the entry at 1-based position n: its ID
// when free, else n or the next free number after it.
func (w *vicsWriter) mediaID(e *triage.Entry, n int) string {
	if _, taken := w.used[e.ID]; e.ID != "" && !taken {
		w.used[e.ID] = struct{}{}
		return e.ID
	}
	for ; ; n++ {
		id := strconv.Itoa(n)
		if _, taken := w.used[id]; !taken {
			w.used[id] = struct{}{}
			return id
		}
	}
}

// category returns the category the entry is written with (zero: none).
func (w *vicsWriter) category(e *triage.Entry, n int) (triage.Category, error) {
	c, ok := w.opt.Map.convert(e.Category, w.scheme.Name)
	if !ok || !c.IsZero() && c.Scheme != w.scheme.Name {
		if c.IsZero() {
			c = e.Category
		}
		return c, triage.Errorf(triage.EINVALID,
			"vics: entry %d (%s): category %s is in scheme %s, but the %s profile writes %s categories: map it (--map %s=%s:CODE, or =none to drop it), or choose the matching profile",
			n, entryLabel(e), c, c.Scheme, w.profile, w.scheme.Name, c, w.scheme.Name)
	}
	if e.Kind == triage.SetKindKnownGood {
		switch {
		case c.IsZero():
			return w.ignorable, nil
		case !w.scheme.Ignorable[c.Code]:
			return c, triage.Errorf(triage.EINVALID,
				"vics: entry %d (%s) is known-good but its category %s is not ignorable: written as is it would be read back as known material; map it to an ignorable category (--map %s=%s) or drop it (=none)",
				n, entryLabel(e), c, c, w.ignorable)
		}
	}
	return c, nil
}

// appendMedia appends one Media record; n is its 1-based position.
func (w *vicsWriter) appendMedia(b []byte, e *triage.Entry, n int) ([]byte, error) {
	b = append(b, '{')
	first := true
	key := func(k string) {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, k)
		b = append(b, ':')
	}
	num := func(k, v string) {
		key(k)
		if w.opt.Compat {
			b = appendJSONString(b, v)
		} else {
			b = append(b, v...)
		}
	}
	str := func(k, v string) {
		key(k)
		b = appendJSONString(b, v)
	}
	hex := func(k, v string) {
		if w.opt.UpperHex {
			v = strings.ToUpper(v)
		}
		str(k, v)
	}

	cat, err := w.category(e, n)
	if err != nil {
		return nil, err
	}
	if id := w.mediaID(e, n); isJSONInt(id) {
		num("MediaID", id)
	} else {
		str("MediaID", id)
	}
	if !cat.IsZero() {
		i, ok := w.scheme.ToInt(cat.Code)
		if !ok {
			return nil, triage.Errorf(triage.EINVALID, "vics: entry %d (%s): category %s has no VICS integer in scheme %s",
				n, entryLabel(e), cat, w.scheme.Name)
		}
		num("Category", strconv.Itoa(i))
	}
	iped := w.profile == "Default"
	if e.Algos.Has(triage.AlgoMD5) {
		hex("MD5", e.MD5.String())
	}
	if e.Algos.Has(triage.AlgoSHA1) {
		hex("SHA1", e.SHA1.String())
	}
	if e.Algos.Has(triage.AlgoSHA256) {
		hex("SHA256", e.SHA256.String())
	}
	if e.PhotoDNA != "" {
		str("PhotoDNA", e.PhotoDNA)
	}
	if e.Algos.Has(triage.AlgoPDQ) {
		hex("PDQ", e.PDQ.String())
	}
	if e.PDQQuality >= 0 {
		num("PDQQuality", strconv.Itoa(e.PDQQuality))
	}
	if e.Algos.Has(triage.AlgoPHash) {
		hex("PHash", e.PHash.String())
	}
	if e.Size >= 0 {
		num("MediaSize", strconv.FormatInt(e.Size, 10))
	}

	// Extra keys, sorted; Series, Name and MediaFiles are looked at first.
	w.keys = w.keys[:0]
	seriesKey, hasNameKey := "", false
	var mediaFiles string
	for k, v := range e.Extra {
		if f := vicsField([]byte(k)); f == vfSeries && jsonKind([]byte(v)) == '{' && json.Valid([]byte(v)) &&
			seriesName([]byte(v)) == e.Series && (seriesKey == "" || k < seriesKey) {
			seriesKey = k
		}
	}
	for k := range e.Extra {
		out := k
		switch f := vicsField([]byte(k)); {
		case isODataAnnotation([]byte(k)), k == seriesKey:
			continue
		case f == vfName:
			hasNameKey = true
		case f == vfMediaFiles:
			if mediaFiles == "" || k < mediaFiles {
				mediaFiles = k
			}
		case f == vfAltHashes:
		case f != vfNone, strings.HasPrefix(k, vicsExtraPrefix):
			// It would be read back as a typed field (a ThreatExchange
			// "category" label, a second Series): kept under the prefix.
			out = vicsExtraPrefix + k
		}
		w.keys = append(w.keys, extraKey{k, out})
	}
	slices.SortFunc(w.keys, func(a, b extraKey) int { return strings.Compare(a.out, b.out) })

	// The reader takes Name from FileName when the key is there, else from
	// a non-empty Name key (which then stays out of Extra), else from the
	// first MediaFiles instance. An Extra Name key therefore needs FileName
	// written, whatever Name is.
	if hasNameKey {
		str("FileName", e.Name)
	} else {
		derived := ""
		if mf := e.Extra[mediaFiles]; mediaFiles != "" && jsonKind([]byte(mf)) == '[' && json.Valid([]byte(mf)) {
			derived = firstFileName([]byte(mf))
		}
		if e.Name != derived {
			str("FileName", e.Name)
		}
	}
	switch {
	case seriesKey != "" && !iped:
		key(seriesKey)
		b = append(b, e.Extra[seriesKey]...)
	case e.Series != "":
		str("Series", e.Series)
	}
	if len(e.Tags) > 0 {
		key("Tags")
		if iped || tagsAsString(e.Tags) {
			b = appendJSONString(b, strings.Join(e.Tags, ","))
		} else {
			b = append(b, '[')
			for i, t := range e.Tags {
				if i > 0 {
					b = append(b, ',')
				}
				b = appendJSONString(b, t)
			}
			b = append(b, ']')
		}
	}
	for _, f := range vicsFlagOrder {
		if e.Flags.Has(f.flag) {
			key(f.key)
			if w.opt.Compat {
				b = append(b, `"true"`...)
			} else {
				b = append(b, "true"...)
			}
		}
	}
	if iped && cat.IsZero() && !e.Flags.Has(triage.FlagPrecategorized) {
		key("IsPrecategorized")
		if w.opt.Compat {
			b = append(b, `"false"`...)
		} else {
			b = append(b, "false"...)
		}
	}
	for _, k := range w.keys {
		key(k.out)
		if v := e.Extra[k.k]; iped && jsonKind([]byte(v)) == '{' {
			b = appendJSONString(b, v)
		} else {
			b = w.appendExtra(b, k.k, v)
		}
	}
	return append(b, '}'), nil
}

// vicsFlagOrder lists the flags in the order they are written.
var vicsFlagOrder = []struct {
	flag triage.EntryFlags
	key  string
}{
	{triage.FlagVictimIdentified, "VictimIdentified"},
	{triage.FlagOffenderIdentified, "OffenderIdentified"},
	{triage.FlagDistributed, "IsDistributed"},
	{triage.FlagPrecategorized, "IsPrecategorized"},
	{triage.FlagSuspected, "IsSuspected"},
	{triage.FlagBaseline, "Baseline"},
}

// vicsStringFields are the VICS Media fields whose values are strings
// whatever they look like.
var vicsStringFields = map[string]bool{
	"comments": true, "dateupdated": true, "mimetype": true, "relativefilepath": true,
	"precategorizationsource": true, "name": true,
}

// appendExtra appends an Extra value: JSON text (an array, an object, a
// number, a boolean or null, in compact form) as itself, anything else as a
// string. Compat writes numbers and booleans as strings.
func (w *vicsWriter) appendExtra(b []byte, k, v string) []byte {
	if vicsStringFields[strings.ToLower(k)] || !isCompactJSON(v) {
		return appendJSONString(b, v)
	}
	switch v[0] {
	case '{', '[', 'n':
		return append(b, v...)
	}
	if w.opt.Compat {
		return appendJSONString(b, v)
	}
	return append(b, v...)
}

// isCompactJSON reports whether s is one JSON value other than a string,
// written exactly as json.Compact would write it.
func isCompactJSON(s string) bool {
	if s == "" || s[0] == '"' || !json.Valid([]byte(s)) {
		return false
	}
	switch s[0] {
	case '{', '[':
		var buf bytes.Buffer
		if json.Compact(&buf, []byte(s)) != nil {
			return false
		}
		return buf.String() == s
	}
	return strings.TrimSpace(s) == s
}

// isJSONInt reports whether s is a decimal integer written the way a JSON
// number would be, within int64.
func isJSONInt(s string) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && strconv.FormatInt(n, 10) == s
}

// tagsAsString reports whether tags survive being joined with commas and
// split again.
func tagsAsString(tags []string) bool {
	for _, t := range tags {
		if t == "" || strings.Contains(t, ",") || strings.TrimSpace(t) != t {
			return false
		}
	}
	return true
}

// entryLabel names an entry in messages by its first hash.
func entryLabel(e *triage.Entry) string {
	switch {
	case e.Algos.Has(triage.AlgoMD5):
		return "md5 " + e.MD5.String()
	case e.Algos.Has(triage.AlgoSHA1):
		return "sha1 " + e.SHA1.String()
	case e.Algos.Has(triage.AlgoSHA256):
		return "sha256 " + e.SHA256.String()
	case e.Algos.Has(triage.AlgoPDQ):
		return "pdq " + e.PDQ.String()
	}
	return "id " + strconv.Quote(e.ID)
}
