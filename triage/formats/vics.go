package formats

// Project VIC VICS JSON reader (FORMATS.md §1, §2.1).
//
// Both document shapes are read: the hash-set shape, whose "value" array holds
// Media records, and the case shape, whose "value" array holds Case objects
// with a "Media" array each. Versions 1.x ("odata.metadata") and 2.0
// ("@odata.context") are read the same way; the data-model URL only supplies
// the version, the profile and the shape. A document without a URL, or with a
// fragment other than #Media/#Cases, is read structurally: a value element
// with a "Media" array is a case, any other object a Media record.
//
// Mapping of a Media record onto triage.Entry (keys match case-insensitively):
//
//   - MediaID -> ID; MD5, SHA1 -> hashes; PhotoDNA -> PhotoDNA, unchanged;
//     MediaSize -> Size; Series (string, or object {"Name": ...}) -> Series;
//     Tags (comma-separated string or array) -> Tags; VictimIdentified,
//     OffenderIdentified, IsDistributed, IsPrecategorized, IsSuspected ->
//     Flags (JSON booleans, or "true"/"false", "yes"/"no", "1"/"0" as
//     strings or numbers; null and "" are false).
//   - Category -> Category through the scheme: Options.Scheme if set, else
//     the 2.0 profile (US -> vic-us, UK -> caid, Default and others ->
//     vic-us), else for VICS 1.2 #Media documents caid (the shape NIST uses
//     for its CAID-format known-good sets, Category 8; IPED reads that URL as
//     "NIST CAID" too), else vic-us. An integer the scheme does not define is
//     a RecordError; absent, null and "" are uncategorised.
//   - Name is the media-level FileName (1.2/1.3) when the key is there (a
//     Name key beside it goes into Extra), else a non-empty Name (1.1), else
//     the FileName of the first MediaFiles instance.
//   - AlternativeHashes (1.x): SHA1, SHA256 and PhotoDNA values are carried
//     into the entry (a SHA1 that contradicts the record's SHA1 is a
//     RecordError); the array itself is kept in Extra.
//   - MediaFiles (every file instance of the content), MediaMetadata, Exifs,
//     DateUpdated, RelativeFilePath, MimeType, Comments and every other field
//     go into Extra under their own key: strings as their text, numbers and
//     booleans as their literal, arrays and objects as compact JSON. A Series
//     object is also kept in Extra. One entry is read per Media record: the
//     file instances stay together in Extra["MediaFiles"]. Media records
//     that repeat a hash are returned as they come; merging them is the
//     importer's business (ImportStats.Duplicate).
//   - OData annotations (odata.id, odata.type, Nav@odata.navigationLinkUrl
//     and other keys containing "odata.") are protocol noise derived from the
//     record's MD5 and are dropped.
//   - Winnow's own extensions, written by WriteVICS for entries from other
//     formats: SHA256, PDQ, PDQQuality, PHash and Baseline, and the prefix
//     "Winnow.Extra." of a source field whose own name is a VICS field's
//     (read back under that name, into Extra).
//
// Meta holds "odata.context" (the data-model URL, from @odata.context or
// odata.metadata), "version", "profile" (2.0), "shape" ("hashset" or
// "case"), "scheme", every other envelope key, and the fields of the case
// header (CaseID, CaseNumber, ...; fields of a second or later case are
// prefixed "case2." and so on, and "cases" counts them). "kind" is
// "known-good" when every entry read carried an ignorable category (the NIST
// CAID-format files: caid code 8). Case fields that follow the Media array,
// envelope keys after "value" and "kind" are known only once Next has
// returned io.EOF: Meta is final then.
//
// A record with a bad field (invalid hex, wrong length or type, an
// undefined category, a repeated key, no hash) is a RecordError naming the
// record's number and the field; reading goes on with the next record. A
// document that is not JSON, ends inside its structure, nests deeper than
// MaxDepth or holds a value larger than MaxLineBytes ends the read with a
// fatal error giving the line and byte.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/winnow-forensics/winnow/triage"
)

// Detection ranks of this file's and its siblings' formats (FORMATS.md §6):
// after binary signatures, before CSV headers and plain lists.
const (
	rankJSON = 20 // JSON with a recognisable envelope: VICS, StopNCII
	rankXML  = 30 // XML by root element: NCMEC queryResult, C4All ReportIndex
)

func init() {
	register(format{name: VICS, rank: rankJSON, sniff: sniffVICS, open: openVICS})
}

// sniffVICS recognises a JSON object with an OData data-model key, or,
// lacking one, a value array of records with MediaID and MD5.
func sniffVICS(head []byte, _ string) bool {
	h := bytes.TrimLeft(head, " \t\r\n")
	if len(h) == 0 || h[0] != '{' {
		return false
	}
	l := bytes.ToLower(h)
	if bytes.Contains(l, []byte(`"odata.metadata"`)) || bytes.Contains(l, []byte(`"@odata.context"`)) {
		return bytes.Contains(l, []byte("datamodels")) || bytes.Contains(l, []byte("projectvic")) ||
			bytes.Contains(l, []byte(`"md5"`))
	}
	return bytes.Contains(l, []byte(`"value"`)) && bytes.Contains(l, []byte(`"md5"`)) &&
		bytes.Contains(l, []byte(`"mediaid"`))
}

// vicsReader states.
const (
	vicsValue     = iota // in the top-level value array
	vicsCase             // in a value element (a case, or a record read key by key)
	vicsCaseMedia        // in a case's Media array
	vicsDone
)

type vicsReader struct {
	js     *jsonStream
	opt    Options
	scheme *triage.Scheme
	meta   map[string]string
	// fast is set for #Media documents: each value element is decoded whole
	// as a Media record.
	fast  bool
	state int
	rec   int64 // Media records seen
	cases int   // value elements read key by key
	// Members of the current value element, kept until it is known to be a
	// case (a Media key appears) or a record (it ends without one).
	members   []jsonMember
	isCase    bool
	heldBytes int // size of members
	metaBytes int // size of meta, bounded by maxMetaBytes
	kind      kindTracker
	err       error // sticky: io.EOF or a fatal error
}

// jsonMember is one key and raw value of an object read key by key.
type jsonMember struct {
	key string
	val []byte
}

func openVICS(r io.Reader, opt Options) (Source, error) {
	v := &vicsReader{js: newJSONStream(r, opt, "vics"), opt: opt, meta: map[string]string{}}
	if opt.Scheme != "" {
		s, ok := triage.LookupScheme(opt.Scheme)
		if !ok {
			return nil, triage.Errorf(triage.EINVALID, "vics: unknown category scheme %q (known: %s)",
				opt.Scheme, strings.Join(triage.SchemeNames(), ", "))
		}
		v.scheme = s
	}
	if err := v.js.begin(); err != nil {
		return nil, err
	}
	var version, profile, fragment string
	for {
		key, ok, err := v.js.key()
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, v.js.errorf("no \"value\" array: not a VICS document")
		}
		if strings.EqualFold(key, "value") {
			break
		}
		raw, err := v.js.value()
		if err != nil {
			return nil, err
		}
		if isODataURLKey(key) {
			url, _, _ := jsonScalar(raw)
			v.meta["odata.context"] = url
			version, profile, fragment = parseVICSURL(url)
			continue
		}
		if err := v.setMeta(key, jsonExtra(raw)); err != nil {
			return nil, err
		}
	}
	if version != "" {
		v.meta["version"] = version
	}
	if profile != "" {
		v.meta["profile"] = profile
	}
	switch strings.ToLower(fragment) {
	case "media":
		v.meta["shape"] = "hashset"
		v.fast = true
	case "cases", "case":
		v.meta["shape"] = "case"
	}
	if v.scheme == nil {
		name := triage.SchemeVICUS
		switch strings.ToUpper(profile) {
		case "UK", "CAID":
			name = triage.SchemeCAID
		case "":
			if version == "1.2" && v.fast {
				name = triage.SchemeCAID
			}
		}
		s, ok := triage.LookupScheme(name)
		if !ok {
			return nil, triage.Errorf(triage.EINTERNAL, "vics: category scheme %s is not registered", name)
		}
		v.scheme = s
	}
	v.meta["scheme"] = v.scheme.Name
	isArray, err := v.js.openArray(`"value"`)
	if err != nil {
		return nil, err
	}
	v.state = vicsValue
	if !isArray {
		if err := v.tail(); err != nil {
			return nil, err
		}
		v.state = vicsDone
	}
	return v, nil
}

// isODataURLKey reports whether key names the data-model URL.
func isODataURLKey(key string) bool {
	return strings.EqualFold(key, "@odata.context") || strings.EqualFold(key, "odata.metadata")
}

// isODataAnnotation reports whether a record key is OData protocol noise:
// odata.id, odata.type, Nav@odata.navigationLinkUrl and the like.
func isODataAnnotation(k []byte) bool {
	const odata = "odata."
	for i := 0; i+len(odata) <= len(k); i++ {
		if (i == 0 || k[i-1] == '@') && bytes.EqualFold(k[i:i+len(odata)], []byte(odata)) {
			return true
		}
	}
	return false
}

// parseVICSURL takes a data-model URL such as
// http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Cases
// apart into its version (2.0), profile (US) and fragment (Cases). Any
// DataModels/<version>.xml URL is accepted.
func parseVICSURL(url string) (version, profile, fragment string) {
	rest := url
	if i := strings.LastIndexByte(rest, '#'); i >= 0 {
		fragment = rest[i+1:]
		rest = rest[:i]
	}
	i := strings.Index(strings.ToLower(rest), "datamodels/")
	if i < 0 {
		return "", "", fragment
	}
	rest = rest[i+len("datamodels/"):]
	j := strings.Index(strings.ToLower(rest), ".xml")
	if j < 0 {
		return "", "", fragment
	}
	version, rest = rest[:j], rest[j+len(".xml"):]
	if strings.HasPrefix(rest, "/") {
		rest = rest[1:]
		if k := strings.IndexByte(rest, '/'); k >= 0 {
			profile = rest[:k]
		} else if !strings.HasPrefix(rest, "$") {
			profile = rest
		}
	}
	return version, profile, fragment
}

// maxMetaBytes bounds what Meta holds, whatever the document says.
const maxMetaBytes = 1 << 20

func (v *vicsReader) setMeta(key, val string) error {
	v.metaBytes += len(key) + len(val)
	if v.metaBytes > maxMetaBytes {
		return v.js.errorf("document header fields exceed %d bytes", maxMetaBytes)
	}
	v.meta[key] = val
	return nil
}

func (v *vicsReader) Format() Format { return VICS }
func (v *vicsReader) Close() error   { return nil }

func (v *vicsReader) Meta() map[string]string { return maps.Clone(v.meta) }

func (v *vicsReader) Next() (triage.Entry, error) {
	if v.err != nil {
		return triage.Entry{}, v.err
	}
	e, err := v.next()
	if err != nil && !triage.IsRecordError(err) {
		v.err = err
		if err == io.EOF {
			if k := v.kind.kind(); k != "" {
				v.meta["kind"] = k
			}
		}
	}
	return e, err
}

func (v *vicsReader) next() (triage.Entry, error) {
	js := v.js
	for {
		switch v.state {
		case vicsDone:
			return triage.Entry{}, io.EOF

		case vicsValue:
			more, err := js.elem()
			if err != nil {
				return triage.Entry{}, err
			}
			if !more {
				if err := v.tail(); err != nil {
					return triage.Entry{}, err
				}
				v.state = vicsDone
				continue
			}
			c, err := js.peek()
			if err != nil {
				return triage.Entry{}, js.fail(err)
			}
			if v.fast || c != '{' {
				depth := js.depth()
				raw, err := js.value()
				if err != nil {
					return triage.Entry{}, err
				}
				v.rec++
				return v.media(raw, depth, v.rec)
			}
			if err := js.enter(c); err != nil {
				return triage.Entry{}, err
			}
			v.cases++
			v.members, v.isCase, v.heldBytes = v.members[:0], false, 0
			v.state = vicsCase

		case vicsCase:
			key, ok, err := js.key()
			if err != nil {
				return triage.Entry{}, err
			}
			if !ok {
				v.state = vicsValue
				if v.isCase {
					continue
				}
				// No Media array: the element was a Media record.
				v.rec++
				return v.media(joinMembers(v.members), js.depth(), v.rec)
			}
			if strings.EqualFold(key, "Media") {
				isArray, err := js.openArray(fmt.Sprintf("case %d: \"Media\"", v.cases))
				if err != nil {
					return triage.Entry{}, err
				}
				if err := v.becomeCase(); err != nil {
					return triage.Entry{}, err
				}
				if isArray {
					v.state = vicsCaseMedia
				}
				continue
			}
			raw, err := js.value()
			if err != nil {
				return triage.Entry{}, err
			}
			if v.isCase {
				if err := v.caseField(key, raw); err != nil {
					return triage.Entry{}, err
				}
				continue
			}
			v.heldBytes += len(key) + len(raw)
			if v.heldBytes > v.opt.maxLine() {
				return triage.Entry{}, js.errorf("value element %d: fields before \"Media\" exceed %d bytes (MaxLineBytes)",
					v.cases, v.opt.maxLine())
			}
			v.members = append(v.members, jsonMember{key, bytes.Clone(raw)})

		case vicsCaseMedia:
			more, err := js.elem()
			if err != nil {
				return triage.Entry{}, err
			}
			if !more {
				v.state = vicsCase
				continue
			}
			depth := js.depth()
			raw, err := js.value()
			if err != nil {
				return triage.Entry{}, err
			}
			v.rec++
			return v.media(raw, depth, v.rec)
		}
	}
}

// becomeCase files the members held so far as case header fields.
func (v *vicsReader) becomeCase() error {
	if v.isCase {
		return v.js.errorf("case %d: a second \"Media\" array", v.cases)
	}
	v.isCase = true
	if v.cases > 1 {
		v.meta["cases"] = strconv.Itoa(v.cases)
	}
	for _, m := range v.members {
		if err := v.caseField(m.key, m.val); err != nil {
			return err
		}
	}
	v.members = v.members[:0]
	return nil
}

func (v *vicsReader) caseField(key string, raw []byte) error {
	if isODataAnnotation([]byte(key)) {
		return nil
	}
	if v.cases > 1 {
		key = "case" + strconv.Itoa(v.cases) + "." + key
	}
	return v.setMeta(key, jsonExtra(raw))
}

// tail reads the envelope keys after the value array, the closing brace and
// the end of the input.
func (v *vicsReader) tail() error {
	for {
		key, ok, err := v.js.key()
		if err != nil {
			return err
		}
		if !ok {
			return v.js.end()
		}
		raw, err := v.js.value()
		if err != nil {
			return err
		}
		if err := v.setMeta(key, jsonExtra(raw)); err != nil {
			return err
		}
	}
}

// joinMembers rebuilds an object from members read key by key.
func joinMembers(ms []jsonMember) []byte {
	b := []byte{'{'}
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, m.key)
		b = append(b, ':')
		b = append(b, m.val...)
	}
	return append(b, '}')
}

// VICS Media fields with a place in triage.Entry.
const (
	vfNone = iota
	vfMediaID
	vfCategory
	vfMD5
	vfSHA1
	vfSHA256
	vfPDQ
	vfPDQQuality
	vfPHash
	vfPhotoDNA
	vfMediaSize
	vfSeries
	vfTags
	vfVictim
	vfOffender
	vfDistributed
	vfPrecategorized
	vfSuspected
	vfBaseline
	vfFileName
	vfName
	vfAltHashes
	vfMediaFiles
)

// vicsField returns the field a key names, matching case-insensitively.
func vicsField(k []byte) int {
	var b [24]byte
	if len(k) > len(b) {
		return vfNone
	}
	n := copy(b[:], k)
	for i := range n {
		if 'A' <= b[i] && b[i] <= 'Z' {
			b[i] += 'a' - 'A'
		}
	}
	switch string(b[:n]) {
	case "mediaid":
		return vfMediaID
	case "category":
		return vfCategory
	case "md5":
		return vfMD5
	case "sha1":
		return vfSHA1
	case "sha256":
		return vfSHA256
	case "pdq":
		return vfPDQ
	case "pdqquality":
		return vfPDQQuality
	case "phash":
		return vfPHash
	case "photodna":
		return vfPhotoDNA
	case "mediasize":
		return vfMediaSize
	case "series":
		return vfSeries
	case "tags":
		return vfTags
	case "victimidentified":
		return vfVictim
	case "offenderidentified":
		return vfOffender
	case "isdistributed":
		return vfDistributed
	case "isprecategorized":
		return vfPrecategorized
	case "issuspected":
		return vfSuspected
	case "baseline":
		return vfBaseline
	case "filename":
		return vfFileName
	case "name":
		return vfName
	case "alternativehashes":
		return vfAltHashes
	case "mediafiles":
		return vfMediaFiles
	}
	return vfNone
}

var vicsFlags = map[int]triage.EntryFlags{
	vfVictim:         triage.FlagVictimIdentified,
	vfOffender:       triage.FlagOffenderIdentified,
	vfDistributed:    triage.FlagDistributed,
	vfPrecategorized: triage.FlagPrecategorized,
	vfSuspected:      triage.FlagSuspected,
	vfBaseline:       triage.FlagBaseline,
}

// media turns one Media record into an entry. depth is the nesting of the
// array holding it.
func (v *vicsReader) media(raw []byte, depth int, pos int64) (triage.Entry, error) {
	e := triage.NewEntry()
	e.Pos = pos
	var (
		seen               uint32
		fileName, name     string
		nameKey            string
		altHashes, mfiles  []byte
		altKey             string
		haveFile, haveName bool
		category           int64
		haveCategory       bool
		categoryKey        string
	)
	err := jsonMembers(raw, depth, v.opt.maxDepth(), func(k, val []byte) error {
		if isODataAnnotation(k) {
			return nil
		}
		f := vicsField(k)
		if f != vfNone {
			if seen&(1<<f) != 0 {
				return recordErr(pos, string(k), "the field appears twice")
			}
			seen |= 1 << f
		}
		switch f {
		case vfNone:
			key := strings.TrimPrefix(string(k), vicsExtraPrefix)
			if _, dup := e.Extra[key]; dup {
				return recordErr(pos, key, "the field appears twice")
			}
			e.SetExtra(key, jsonExtra(val))
		case vfMediaID:
			s, _, err := jsonScalar(val)
			if err != nil {
				return recordErr(pos, string(k), "%v", err)
			}
			e.ID = s
		case vfCategory:
			n, ok, err := jsonInt(val)
			if err != nil {
				return recordErr(pos, string(k), "%v", err)
			}
			category, haveCategory, categoryKey = n, ok, string(k)
		case vfMD5, vfSHA1, vfSHA256, vfPDQ, vfPHash:
			s, ok, err := jsonString(val)
			if err != nil {
				return recordErr(pos, string(k), "%v", err)
			}
			if ok && s != "" {
				if err := setEntryHash(&e, f, s); err != nil {
					return recordErr(pos, string(k), "%v", err)
				}
			}
		case vfPDQQuality:
			n, ok, err := jsonInt(val)
			if err != nil {
				return recordErr(pos, string(k), "%v", err)
			}
			if ok {
				if n < 0 || n > 100 {
					return recordErr(pos, string(k), "PDQ quality %d out of range 0-100", n)
				}
				e.PDQQuality = int(n)
			}
		case vfPhotoDNA:
			s, _, err := jsonString(val)
			if err != nil {
				return recordErr(pos, string(k), "%v", err)
			}
			e.PhotoDNA = s
		case vfMediaSize:
			n, ok, err := jsonInt(val)
			if err != nil {
				return recordErr(pos, string(k), "%v", err)
			}
			if ok {
				if n < 0 {
					return recordErr(pos, string(k), "negative size %d", n)
				}
				e.Size = n
			}
		case vfSeries:
			switch jsonKind(val) {
			case '{':
				e.Series = seriesName(val)
				e.SetExtra(string(k), jsonExtra(val))
			default:
				s, _, err := jsonString(val)
				if err != nil {
					return recordErr(pos, string(k), "%v (want a string or an object with a Name)", err)
				}
				e.Series = s
			}
		case vfTags:
			tags, err := parseTags(val)
			if err != nil {
				return recordErr(pos, string(k), "%v", err)
			}
			e.Tags = tags
		case vfVictim, vfOffender, vfDistributed, vfPrecategorized, vfSuspected, vfBaseline:
			b, err := jsonBool(val)
			if err != nil {
				return recordErr(pos, string(k), "%v", err)
			}
			if b {
				e.Flags |= vicsFlags[f]
			}
		case vfFileName:
			s, _, err := jsonString(val)
			if err != nil {
				return recordErr(pos, string(k), "%v", err)
			}
			fileName, haveFile = s, true
		case vfName:
			s, _, err := jsonString(val)
			if err != nil {
				return recordErr(pos, string(k), "%v", err)
			}
			name, nameKey, haveName = s, string(k), true
		case vfAltHashes:
			altHashes, altKey = val, string(k)
			e.SetExtra(altKey, jsonExtra(val))
		case vfMediaFiles:
			mfiles = val
			e.SetExtra(string(k), jsonExtra(val))
		}
		return nil
	})
	if err != nil {
		if triage.IsRecordError(err) {
			return triage.Entry{}, err
		}
		var de *depthError
		if errors.As(err, &de) {
			return triage.Entry{}, v.js.errorf("record %d: %v", pos, err)
		}
		return triage.Entry{}, recordErr(pos, "", "%v", err)
	}
	if altHashes != nil {
		if err := liftAltHashes(&e, altHashes, v.opt.maxDepth()); err != nil {
			return triage.Entry{}, recordErr(pos, altKey, "%v", err)
		}
	}
	switch {
	case haveFile:
		e.Name = fileName
		if haveName {
			e.SetExtra(nameKey, name)
		}
	case haveName && name != "":
		e.Name = name
	default:
		if haveName {
			e.SetExtra(nameKey, name)
		}
		e.Name = firstFileName(mfiles)
	}
	if haveCategory {
		c, ok := v.scheme.FromInt(int(category))
		if !ok || int64(int(category)) != category {
			return triage.Entry{}, recordErr(pos, categoryKey, "category scheme %s does not define %d (if the file uses another scheme, pass it with --scheme)",
				v.scheme.Name, category)
		}
		e.Category = c
	}
	if err := e.Validate(); err != nil {
		return triage.Entry{}, recordErr(pos, "", "%s", triage.ErrorMessage(err))
	}
	v.kind.add(e.Category)
	return e, nil
}

// setEntryHash parses one hex hash into its field of e.
func setEntryHash(e *triage.Entry, f int, s string) error {
	var err error
	switch f {
	case vfMD5:
		e.MD5, err = triage.ParseMD5(s)
		e.Algos |= triage.AlgoSet(triage.AlgoMD5)
	case vfSHA1:
		e.SHA1, err = triage.ParseSHA1(s)
		e.Algos |= triage.AlgoSet(triage.AlgoSHA1)
	case vfSHA256:
		e.SHA256, err = triage.ParseSHA256(s)
		e.Algos |= triage.AlgoSet(triage.AlgoSHA256)
	case vfPDQ:
		e.PDQ, err = triage.ParsePDQ(s)
		e.Algos |= triage.AlgoSet(triage.AlgoPDQ)
	case vfPHash:
		e.PHash, err = triage.ParsePHash(s)
		e.Algos |= triage.AlgoSet(triage.AlgoPHash)
	}
	if err != nil {
		return errors.New(triage.ErrorMessage(err))
	}
	return nil
}

// liftAltHashes carries the SHA1, SHA256 and PhotoDNA values of a 1.x
// AlternativeHashes array into e. Elements that are not objects with a
// HashName and a HashValue string are left alone (they stay in Extra).
func liftAltHashes(e *triage.Entry, raw []byte, maxDepth int) error {
	if jsonKind(raw) != '[' {
		return nil
	}
	return jsonElements(raw, 0, maxDepth, func(el []byte) error {
		if jsonKind(el) != '{' {
			return nil
		}
		var hname, hval string
		jsonMembers(el, 0, maxDepth, func(k, val []byte) error {
			s, ok, err := jsonString(val)
			if err != nil || !ok {
				return nil
			}
			switch {
			case bytes.EqualFold(k, []byte("HashName")):
				hname = s
			case bytes.EqualFold(k, []byte("HashValue")):
				hval = s
			}
			return nil
		})
		if hval == "" {
			return nil
		}
		var f int
		switch strings.ToLower(strings.ReplaceAll(hname, "-", "")) {
		case "sha1":
			f = vfSHA1
		case "sha256":
			f = vfSHA256
		case "photodna":
			if e.PhotoDNA == "" {
				e.PhotoDNA = hval
			}
			return nil
		default:
			return nil
		}
		var alt triage.Entry
		if err := setEntryHash(&alt, f, hval); err != nil {
			return fmt.Errorf("%s: %v", hname, err)
		}
		switch {
		case f == vfSHA1 && !e.Algos.Has(triage.AlgoSHA1):
			e.SHA1, e.Algos = alt.SHA1, e.Algos|alt.Algos
		case f == vfSHA1 && e.SHA1 != alt.SHA1:
			return fmt.Errorf("SHA1 %s contradicts the record's SHA1 %s", alt.SHA1, e.SHA1)
		case f == vfSHA256 && !e.Algos.Has(triage.AlgoSHA256):
			e.SHA256, e.Algos = alt.SHA256, e.Algos|alt.Algos
		case f == vfSHA256 && e.SHA256 != alt.SHA256:
			return fmt.Errorf("SHA256 %s contradicts the record's SHA256 %s", alt.SHA256, e.SHA256)
		}
		return nil
	})
}

// seriesName returns the Name of a Series object, or "".
func seriesName(raw []byte) string {
	var name string
	jsonMembers(raw, 0, 1<<30, func(k, val []byte) error {
		if bytes.EqualFold(k, []byte("Name")) {
			if s, ok, err := jsonString(val); err == nil && ok {
				name = s
			}
		}
		return nil
	})
	return name
}

// firstFileName returns the FileName of the first element of a MediaFiles
// array, or "".
func firstFileName(raw []byte) string {
	if jsonKind(raw) != '[' {
		return ""
	}
	var name string
	first := true
	jsonElements(raw, 0, 1<<30, func(el []byte) error {
		if !first {
			return errStop
		}
		first = false
		if jsonKind(el) != '{' {
			return errStop
		}
		jsonMembers(el, 0, 1<<30, func(k, val []byte) error {
			if bytes.EqualFold(k, []byte("FileName")) {
				if s, ok, err := jsonString(val); err == nil && ok {
					name = s
				}
			}
			return nil
		})
		return errStop
	})
	return name
}

var errStop = errors.New("stop")

// parseTags reads a comma-separated string (blanks trimmed, empty items
// dropped) or an array of strings (kept as they are).
func parseTags(raw []byte) ([]string, error) {
	switch jsonKind(raw) {
	case '[':
		var tags []string
		err := jsonElements(raw, 0, 1<<30, func(el []byte) error {
			s, ok, err := jsonString(el)
			if err != nil || !ok {
				return fmt.Errorf("tags array holds %s, want strings", jsonKindName(el))
			}
			tags = append(tags, s)
			return nil
		})
		return tags, err
	default:
		s, _, err := jsonString(raw)
		if err != nil {
			return nil, fmt.Errorf("%v (want a string or an array of strings)", err)
		}
		return splitTags(s), nil
	}
}

// splitTags splits a comma-separated tag list.
func splitTags(s string) []string {
	var tags []string
	for t := range strings.SplitSeq(s, ",") {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	return tags
}

// kindTracker decides a set's Meta "kind" from the entries read: a set
// whose every entry has an ignorable category is known-good.
type kindTracker struct {
	n            int64
	notIgnorable bool
	last         triage.Category
}

func (k *kindTracker) add(c triage.Category) {
	k.n++
	if k.notIgnorable {
		return
	}
	if k.n > 1 && c == k.last {
		return
	}
	k.last = c
	if !c.Ignorable() {
		k.notIgnorable = true
	}
}

func (k *kindTracker) kind() string {
	if k.n > 0 && !k.notIgnorable {
		return "known-good"
	}
	return ""
}

// ---- streaming JSON -------------------------------------------------------

// openTextStream returns r as UTF-8 text: a UTF-8 byte-order mark is
// dropped and UTF-16 is transcoded as it streams.
func openTextStream(r io.Reader) io.Reader {
	r = newTextStream(r)
	if br, ok := r.(interface {
		Peek(int) ([]byte, error)
		Discard(int) (int, error)
	}); ok {
		if b, _ := br.Peek(3); bytes.Equal(b, []byte{0xef, 0xbb, 0xbf}) {
			br.Discard(3)
		}
	}
	return r
}

// jsonStream walks a JSON document down to its record array and reads the
// records one value at a time. It is a small tokenizer of its own rather
// than encoding/json's Decoder, whose Decode scans every value twice: here a
// value is found with one bracket-matching pass over the buffered input and
// checked with json.Valid. Every value is bounded by MaxLineBytes and every
// container by MaxDepth, whatever the input.
type jsonStream struct {
	format   string
	r        *bufio.Reader
	off      int64 // bytes consumed
	line     int64 // newlines consumed
	maxDepth int
	maxLine  int
	stack    []jsonFrame // the containers entered, innermost last
	buf      []byte      // the last value read
}

// jsonFrame is a container the stream is in.
type jsonFrame struct {
	kind  byte // '{' or '['
	first bool // no member or element read yet
}

func newJSONStream(r io.Reader, opt Options, format string) *jsonStream {
	text := openTextStream(r)
	br, ok := text.(*bufio.Reader)
	if !ok {
		br = bufio.NewReaderSize(text, 64<<10)
	}
	return &jsonStream{format: format, r: br, maxDepth: opt.maxDepth(), maxLine: opt.maxLine()}
}

// errorf returns a fatal error at the stream's position.
func (s *jsonStream) errorf(format string, args ...any) error {
	return triage.Errorf(triage.EINVALID, "%s: line %d, byte %d: %s", s.format, s.line+1, s.off, fmt.Sprintf(format, args...))
}

// fail turns a read error into a fatal error.
func (s *jsonStream) fail(err error) error {
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return s.errorf("truncated: the input ends inside the document")
	}
	return s.errorf("%v", err)
}

// depth is the number of containers the stream is in.
func (s *jsonStream) depth() int { return len(s.stack) }

// discard consumes n buffered bytes, counting lines.
func (s *jsonStream) discard(b []byte) {
	s.line += int64(bytes.Count(b, []byte{'\n'}))
	s.off += int64(len(b))
	s.r.Discard(len(b))
}

// peek skips white space and returns the next byte without consuming it;
// io.EOF at the end of the input.
func (s *jsonStream) peek() (byte, error) {
	for {
		if s.r.Buffered() == 0 {
			if _, err := s.r.Peek(1); err != nil {
				return 0, err
			}
		}
		buf, _ := s.r.Peek(s.r.Buffered())
		i := 0
		for i < len(buf) && jsonSpace(buf[i]) {
			i++
		}
		if i < len(buf) {
			c := buf[i]
			s.discard(buf[:i])
			return c, nil
		}
		s.discard(buf)
	}
}

// syntax returns the error for an unexpected byte.
func (s *jsonStream) syntax(c byte, want string) error {
	return s.errorf("not valid JSON: %q where %s was expected", c, want)
}

// expect consumes the byte c after white space.
func (s *jsonStream) expect(c byte, want string) error {
	got, err := s.peek()
	if err != nil {
		return s.fail(err)
	}
	if got != c {
		return s.syntax(got, want)
	}
	s.discard([]byte{c})
	return nil
}

// push enters a container whose opening byte has been consumed.
func (s *jsonStream) push(kind byte) error {
	if len(s.stack) >= s.maxDepth {
		return s.errorf("nesting deeper than %d", s.maxDepth)
	}
	s.stack = append(s.stack, jsonFrame{kind: kind, first: true})
	return nil
}

// used records that the innermost container has had a member or element.
func (s *jsonStream) used() {
	if n := len(s.stack); n > 0 {
		s.stack[n-1].first = false
	}
}

// begin enters the document's top-level object.
func (s *jsonStream) begin() error {
	c, err := s.peek()
	if err != nil {
		return s.fail(err)
	}
	if c != '{' {
		if c == '[' {
			return s.errorf("the document is an array, want a JSON object")
		}
		return s.syntax(c, "a JSON object")
	}
	s.discard([]byte{c})
	return s.push('{')
}

// key returns the next key of the current object, or ok false once its
// closing brace has been consumed.
func (s *jsonStream) key() (string, bool, error) {
	n := len(s.stack)
	if n == 0 || s.stack[n-1].kind != '{' {
		return "", false, s.errorf("internal: key outside an object")
	}
	c, err := s.peek()
	if err != nil {
		return "", false, s.fail(err)
	}
	if c == '}' {
		s.discard([]byte{c})
		s.stack = s.stack[:n-1]
		s.used()
		return "", false, nil
	}
	if !s.stack[n-1].first {
		if c != ',' {
			return "", false, s.syntax(c, "',' or '}'")
		}
		s.discard([]byte{c})
		if c, err = s.peek(); err != nil {
			return "", false, s.fail(err)
		}
	}
	if c != '"' {
		return "", false, s.syntax(c, "a key")
	}
	lit, err := s.value()
	if err != nil {
		return "", false, err
	}
	key, err := jsonUnquote(lit)
	if err != nil {
		return "", false, s.errorf("not valid JSON: bad key")
	}
	if err := s.expect(':', "':'"); err != nil {
		return "", false, err
	}
	return key, true, nil
}

// elem reports whether another element follows in the current array, with
// the comma before it consumed; false once the closing bracket has been
// consumed.
func (s *jsonStream) elem() (bool, error) {
	n := len(s.stack)
	if n == 0 || s.stack[n-1].kind != '[' {
		return false, s.errorf("internal: element outside an array")
	}
	c, err := s.peek()
	if err != nil {
		return false, s.fail(err)
	}
	if c == ']' {
		s.discard([]byte{c})
		s.stack = s.stack[:n-1]
		s.used()
		return false, nil
	}
	if !s.stack[n-1].first {
		if c != ',' {
			return false, s.syntax(c, "',' or ']'")
		}
		s.discard([]byte{c})
		if c, err = s.peek(); err != nil {
			return false, s.fail(err)
		}
		if c == ']' {
			return false, s.syntax(c, "a value")
		}
	}
	return true, nil
}

// enter consumes the opening byte of the next value, an object or an
// array (kind, from peek).
func (s *jsonStream) enter(kind byte) error {
	s.used()
	s.discard([]byte{kind})
	return s.push(kind)
}

// openArray enters the next value if it is an array and reports true;
// null is consumed and reported false; anything else is a fatal error
// naming what (a field).
func (s *jsonStream) openArray(what string) (bool, error) {
	c, err := s.peek()
	if err != nil {
		return false, s.fail(err)
	}
	switch c {
	case '[':
		return true, s.enter(c)
	case 'n':
		_, err := s.value()
		return false, err
	}
	return false, s.errorf("%s is %s, want an array", what, jsonKindName([]byte{c}))
}

// value reads the next value whole and checks it. The bytes are valid until
// the next call.
func (s *jsonStream) value() ([]byte, error) {
	c, err := s.peek()
	if err != nil {
		return nil, s.fail(err)
	}
	s.buf = s.buf[:0]
	scalar := c != '{' && c != '[' && c != '"'
	inString, escaped, depth := false, false, 0
	for done := false; !done; {
		if s.r.Buffered() == 0 {
			if _, err := s.r.Peek(1); err != nil {
				return nil, s.fail(err)
			}
		}
		chunk, _ := s.r.Peek(s.r.Buffered())
		i := 0
	scan:
		for ; i < len(chunk); i++ {
			b := chunk[i]
			switch {
			case inString:
				switch {
				case escaped:
					escaped = false
				case b == '\\':
					escaped = true
				case b == '"':
					inString = false
					if depth == 0 {
						i++
						done = true
						break scan
					}
				}
			case scalar:
				if jsonSpace(b) || b == ',' || b == '}' || b == ']' {
					done = true
					break scan
				}
			case b == '"':
				inString = true
			case b == '{' || b == '[':
				depth++
				if len(s.stack)+depth > s.maxDepth {
					return nil, s.errorf("nesting deeper than %d", s.maxDepth)
				}
			case b == '}' || b == ']':
				depth--
				if depth == 0 {
					i++
					done = true
					break scan
				}
			}
		}
		if len(s.buf)+i > s.maxLine {
			return nil, s.errorf("a record or value is larger than %d bytes (MaxLineBytes)", s.maxLine)
		}
		s.buf = append(s.buf, chunk[:i]...)
		s.discard(chunk[:i])
	}
	if !json.Valid(s.buf) {
		var se *json.SyntaxError
		if err := json.Unmarshal(s.buf, new(json.RawMessage)); errors.As(err, &se) {
			p := min(max(int(se.Offset)-1, 0), len(s.buf))
			line := s.line + 1 - int64(bytes.Count(s.buf[p:], []byte{'\n'}))
			return nil, triage.Errorf(triage.EINVALID, "%s: line %d, byte %d: not valid JSON: %v",
				s.format, line, s.off-int64(len(s.buf)-p), se)
		}
		return nil, s.errorf("not valid JSON")
	}
	s.used()
	return s.buf, nil
}

// end checks that nothing but white space follows the document.
func (s *jsonStream) end() error {
	c, err := s.peek()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return s.fail(err)
	}
	return s.errorf("data after the end of the document (%q)", c)
}

// ---- raw JSON values ------------------------------------------------------
//
// The functions below work on one value that json.Valid has already
// checked; they still bounds-check everything so that no input can make them
// panic.

// depthError is nesting beyond Options.MaxDepth: fatal.
type depthError struct{ max int }

func (e *depthError) Error() string { return fmt.Sprintf("nesting deeper than %d", e.max) }

var errBadJSON = errors.New("malformed JSON value")

func jsonSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func jsonSkipSpace(b []byte, i int) int {
	for i < len(b) && jsonSpace(b[i]) {
		i++
	}
	return i
}

// jsonSkip returns the index just past the value starting at b[i]; depth is
// the nesting of the value's container.
func jsonSkip(b []byte, i, depth, max int) (int, error) {
	if i >= len(b) {
		return 0, errBadJSON
	}
	switch b[i] {
	case '"':
		return jsonSkipString(b, i)
	case '{', '[':
		d := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				j, err := jsonSkipString(b, i)
				if err != nil {
					return 0, err
				}
				i = j
				continue
			case '{', '[':
				d++
				if depth+d > max {
					return 0, &depthError{max}
				}
			case '}', ']':
				d--
				if d == 0 {
					return i + 1, nil
				}
			}
			i++
		}
		return 0, errBadJSON
	}
	j := i
	for j < len(b) && !jsonSpace(b[j]) && b[j] != ',' && b[j] != '}' && b[j] != ']' {
		j++
	}
	if j == i {
		return 0, errBadJSON
	}
	return j, nil
}

func jsonSkipString(b []byte, i int) (int, error) {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1, nil
		}
	}
	return 0, errBadJSON
}

// jsonMembers calls fn with each key (unescaped) and raw value of the object
// b. depth is the nesting of b's container.
func jsonMembers(b []byte, depth, max int, fn func(k, v []byte) error) error {
	i := jsonSkipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return fmt.Errorf("record is %s, want an object", jsonKindName(b))
	}
	if depth+1 > max {
		return &depthError{max}
	}
	i = jsonSkipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for {
		if i >= len(b) || b[i] != '"' {
			return errBadJSON
		}
		j, err := jsonSkipString(b, i)
		if err != nil {
			return err
		}
		key := b[i+1 : j-1]
		if !jsonPlain(key) {
			s, err := jsonUnquote(b[i:j])
			if err != nil {
				return err
			}
			key = []byte(s)
		}
		i = jsonSkipSpace(b, j)
		if i >= len(b) || b[i] != ':' {
			return errBadJSON
		}
		i = jsonSkipSpace(b, i+1)
		end, err := jsonSkip(b, i, depth+1, max)
		if err != nil {
			return err
		}
		if err := fn(key, b[i:end]); err != nil {
			return err
		}
		i = jsonSkipSpace(b, end)
		if i < len(b) && b[i] == ',' {
			i = jsonSkipSpace(b, i+1)
			continue
		}
		if i < len(b) && b[i] == '}' {
			return nil
		}
		return errBadJSON
	}
}

// jsonElements calls fn with each raw element of the array b.
func jsonElements(b []byte, depth, max int, fn func(v []byte) error) error {
	i := jsonSkipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return errBadJSON
	}
	i = jsonSkipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return nil
	}
	for {
		end, err := jsonSkip(b, i, depth+1, max)
		if err != nil {
			return err
		}
		if err := fn(b[i:end]); err != nil {
			if err == errStop {
				return nil
			}
			return err
		}
		i = jsonSkipSpace(b, end)
		if i < len(b) && b[i] == ',' {
			i = jsonSkipSpace(b, i+1)
			continue
		}
		if i < len(b) && b[i] == ']' {
			return nil
		}
		return errBadJSON
	}
}

// jsonPlain reports whether the body of a string literal needs no
// unescaping: no backslash, no control character, valid UTF-8.
func jsonPlain(s []byte) bool {
	ascii := true
	for _, c := range s {
		if c == '\\' || c < 0x20 {
			return false
		}
		if c >= utf8.RuneSelf {
			ascii = false
		}
	}
	return ascii || utf8.Valid(s)
}

// jsonUnquote decodes a string literal, quotes included.
func jsonUnquote(lit []byte) (string, error) {
	if len(lit) >= 2 && lit[0] == '"' && lit[len(lit)-1] == '"' && jsonPlain(lit[1:len(lit)-1]) {
		return string(lit[1 : len(lit)-1]), nil
	}
	var s string
	if err := json.Unmarshal(lit, &s); err != nil {
		return "", errBadJSON
	}
	return s, nil
}

// jsonKind returns the first byte of a value: '"', '{', '[', 't', 'f', 'n'
// or a digit or '-' for numbers; 0 for nothing.
func jsonKind(v []byte) byte {
	i := jsonSkipSpace(v, 0)
	if i >= len(v) {
		return 0
	}
	return v[i]
}

func jsonKindName(v []byte) string {
	switch jsonKind(v) {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	case 0:
		return "nothing"
	}
	return "a number"
}

// jsonString returns a string value; ok is false for null.
func jsonString(v []byte) (s string, ok bool, err error) {
	switch jsonKind(v) {
	case '"':
		s, err := jsonUnquote(bytes.TrimSpace(v))
		return s, err == nil, err
	case 'n':
		return "", false, nil
	}
	return "", false, fmt.Errorf("%s, want a string", jsonKindName(v))
}

// jsonScalar returns the text of a string, number or boolean; ok is false
// for null.
func jsonScalar(v []byte) (s string, ok bool, err error) {
	switch jsonKind(v) {
	case '"':
		return jsonString(v)
	case 'n':
		return "", false, nil
	case '{', '[', 0:
		return "", false, fmt.Errorf("%s, want a string or a number", jsonKindName(v))
	}
	return string(bytes.TrimSpace(v)), true, nil
}

// jsonInt returns an integer given as a number or a numeric string; ok is
// false for null and "".
func jsonInt(v []byte) (n int64, ok bool, err error) {
	var s string
	switch jsonKind(v) {
	case 'n':
		return 0, false, nil
	case '"':
		if s, _, err = jsonString(v); err != nil {
			return 0, false, err
		}
		if s = strings.TrimSpace(s); s == "" {
			return 0, false, nil
		}
	case '{', '[', 't', 'f', 0:
		return 0, false, fmt.Errorf("%s, want an integer", jsonKindName(v))
	default:
		s = string(bytes.TrimSpace(v))
	}
	n, err = strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("%q is not an integer", shortText(s))
	}
	return n, true, nil
}

// jsonBool returns a boolean given as true/false, the strings "true",
// "false", "yes", "no", "1", "0" (any case), or the numbers 1 and 0; null
// and "" are false.
func jsonBool(v []byte) (bool, error) {
	var s string
	switch jsonKind(v) {
	case 'n':
		return false, nil
	case '"':
		var err error
		if s, _, err = jsonString(v); err != nil {
			return false, err
		}
		s = strings.ToLower(strings.TrimSpace(s))
	case '{', '[', 0:
		return false, fmt.Errorf("%s, want a boolean", jsonKindName(v))
	default:
		s = string(bytes.TrimSpace(v))
	}
	switch s {
	case "true", "yes", "y", "1":
		return true, nil
	case "false", "no", "n", "0", "":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean", shortText(s))
}

// jsonExtra renders a value for Entry.Extra or Meta: a string as its text,
// a number, boolean or null as its literal, an array or object as compact
// JSON.
func jsonExtra(v []byte) string {
	switch jsonKind(v) {
	case '"':
		if s, _, err := jsonString(v); err == nil {
			return s
		}
	case '{', '[':
		if bytes.IndexAny(v, " \t\r\n") < 0 {
			return string(v) // already compact
		}
		var buf bytes.Buffer
		if err := json.Compact(&buf, v); err == nil {
			return buf.String()
		}
	}
	return string(bytes.TrimSpace(v))
}

// shortText cuts a value for an error message.
func shortText(s string) string {
	if len(s) <= 80 {
		return s
	}
	i := 77
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

// appendJSONString appends s as a JSON string literal. Invalid UTF-8
// becomes U+FFFD, as encoding/json does; <, > and & are not escaped.
func appendJSONString(b []byte, s string) []byte {
	const hexDigits = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
