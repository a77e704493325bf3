package formats_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// IPED's acceptance rules for Project VIC JSON, as its reader
// (iped.engine.hashdb.HashDBTool: isKnownJson, checkDataModel,
// readProjectVIC, sepinf-inc/IPED) applies them, restated here from
// reading it; ipedAccepts applies them to a document and returns how many
// records IPED would store.
//
//   - The file is UTF-8 without a byte-order mark, and its root is an object
//     whose first member is the data model: "@odata.context" =
//     "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media",
//     or "odata.metadata" = ".../ICMEC/ProjectVic/DataModels/1.3.xml#Media"
//     (names and values compared without case). Any other profile (US,
//     UK, CUSTOM) or shape (#Cases) and the whole file is refused.
//   - The second member is "value" (exact case), an array, and nothing
//     follows it.
//   - In a record (an object in value): "Category" (exact case) counts when
//     it is an integer >= 0; "MD5" and "SHA1" (any case) must be strings (a
//     null or a number aborts the whole file), and count when they decode
//     to a digest; "PhotoDNA" counts when it is a 192-character string;
//     "VictimIdentified", "OffenderIdentified", "IsDistributed", "Series",
//     "IsPrecategorized" and "Tags" (any case) count when they are a
//     non-blank string or a boolean. An array or object in any of these
//     fields makes the reader lose its place in the document (it reads
//     the container's first token as the value), and an object in any
//     field starts a new record halfway: both are refused here.
//   - A record is stored when it has a digest and at least one of the
//     properties above: a record with neither a Category nor a flag (nor
//     Series, Tags, PhotoDNA) is dropped without a word.
//   - Digests other than MD5 and SHA-1 (SHA256, PDQ) are not read.
func ipedAccepts(doc []byte) (int, error) {
	if bytes.HasPrefix(doc, []byte("\xef\xbb\xbf")) {
		return 0, errors.New("starts with a byte-order mark")
	}
	dec := json.NewDecoder(bytes.NewReader(doc))
	dec.UseNumber()
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return 0, errors.New("root is not an object")
	}
	key, _ := dec.Token()
	val, _ := dec.Token()
	k, _ := key.(string)
	v, _ := val.(string)
	if !(strings.EqualFold(k, "@odata.context") && strings.EqualFold(v, "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media") ||
		strings.EqualFold(k, "odata.metadata") && strings.EqualFold(v, "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media")) {
		return 0, fmt.Errorf("unknown data model %q = %q", k, v)
	}
	if t, _ := dec.Token(); t != "value" {
		return 0, fmt.Errorf("second member %v, want value", t)
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('[') {
		return 0, errors.New("value is not an array")
	}
	stored := 0
	for dec.More() {
		if isObject, err := nextObject(dec); err != nil {
			return 0, err
		} else if !isObject {
			continue
		}
		ok, err := ipedRecord(dec)
		if err != nil {
			return 0, fmt.Errorf("record %d: %w", stored+1, err)
		}
		if ok {
			stored++
		}
	}
	if t, err := dec.Token(); err != nil || t != json.Delim(']') {
		return 0, errors.New("value does not end")
	}
	if t, err := dec.Token(); err != nil || t != json.Delim('}') {
		return 0, fmt.Errorf("a member after value: %v", t)
	}
	return stored, nil
}

// ipedRecord reads one record after its '{' and reports whether IPED
// stores it.
func ipedRecord(dec *json.Decoder) (bool, error) {
	digest, props := false, 0
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return false, err
		}
		k := kt.(string)
		t, err := dec.Token()
		if err != nil {
			return false, err
		}
		if d, isDelim := t.(json.Delim); isDelim {
			switch {
			case d == '{':
				return false, fmt.Errorf("field %s holds an object: IPED starts a new record inside it", k)
			case isIPEDField(k):
				return false, fmt.Errorf("field %s holds an array: IPED loses its place", k)
			}
			photoDNA, err := ipedArray(dec)
			if err != nil {
				return false, err
			}
			props += photoDNA
			continue
		}
		switch {
		case k == "Category":
			if n, ok := t.(json.Number); ok {
				if i, err := n.Int64(); err == nil && i >= 0 {
					props++
				}
			}
		case strings.EqualFold(k, "MD5") || strings.EqualFold(k, "SHA1"):
			s, ok := t.(string)
			if !ok {
				return false, fmt.Errorf("%s is %v, not a string: IPED aborts the file", k, t)
			}
			want := 16
			if strings.EqualFold(k, "SHA1") {
				want = 20
			}
			if b, err := hex.DecodeString(strings.TrimSpace(s)); err == nil && len(b) == want {
				digest = true
			}
		case strings.EqualFold(k, "PhotoDNA"):
			if s, ok := t.(string); ok && len(strings.TrimSpace(s)) == 192 {
				props++
			}
		case isIPEDField(k):
			switch x := t.(type) {
			case bool:
				props++
			case string:
				if strings.TrimSpace(strings.ReplaceAll(x, "|", " ")) != "" {
					props++
				}
			}
		}
	}
	if _, err := dec.Token(); err != nil { // '}'
		return false, err
	}
	return digest && props > 0, nil
}

func isIPEDField(k string) bool {
	for _, f := range []string{"VictimIdentified", "OffenderIdentified", "IsDistributed", "Series", "IsPrecategorized", "Tags"} {
		if strings.EqualFold(k, f) {
			return true
		}
	}
	return false
}

// ipedArray reads an array field after its '[' (AlternativeHashes,
// MediaFiles, ...): only a PhotoDNA given as HashName/HashValue in its
// objects counts. It returns the properties found.
func ipedArray(dec *json.Decoder) (int, error) {
	props := 0
	for dec.More() {
		if isObject, err := nextObject(dec); err != nil {
			return 0, err
		} else if !isObject {
			continue
		}
		name := ""
		for dec.More() {
			k, _ := dec.Token()
			v, err := dec.Token()
			if err != nil {
				return 0, err
			}
			if err := skipRest(dec, v); err != nil {
				return 0, err
			}
			s, _ := v.(string)
			switch {
			case strings.EqualFold(k.(string), "HashName"):
				name = strings.TrimSpace(s)
			case strings.EqualFold(k.(string), "HashValue") && strings.EqualFold(name, "PhotoDNA") && len(strings.TrimSpace(s)) == 192:
				props++
			}
		}
		dec.Token() // '}'
	}
	_, err := dec.Token() // ']'
	return props, err
}

// nextObject reads the next element of an array: true after the '{' of an
// object, false after skipping anything else.
func nextObject(dec *json.Decoder) (bool, error) {
	t, err := dec.Token()
	if err != nil {
		return false, err
	}
	if t == json.Delim('{') {
		return true, nil
	}
	return false, skipRest(dec, t)
}

// skipRest skips the rest of a value whose first token was t.
func skipRest(dec *json.Decoder, t json.Token) error {
	d, ok := t.(json.Delim)
	if !ok || d == '}' || d == ']' {
		return nil
	}
	for depth := 1; depth > 0; {
		t, err := dec.Token()
		if err == io.EOF {
			return io.ErrUnexpectedEOF
		}
		if err != nil {
			return err
		}
		switch t {
		case json.Delim('{'), json.Delim('['):
			depth++
		case json.Delim('}'), json.Delim(']'):
			depth--
		}
	}
	return nil
}

// TestIPEDRules checks the checker itself on what IPED refuses or drops,
// and that the profiles other than Default are refused as IPED does.
func TestIPEDRules(t *testing.T) {
	const def = `{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Media","value":[`
	const md5 = `"MD5":"6b7053944681f9b77697ae85dec5b484"`
	for _, tt := range []struct {
		doc    string
		stored int
		err    string
	}{
		{def + `{` + md5 + `,"Category":1}]}`, 1, ""},
		{def + `{` + md5 + `,"IsPrecategorized":false}]}`, 1, ""},
		{def + `{` + md5 + `}]}`, 0, ""},                                              // neither a Category nor a flag: dropped
		{def + `{"SHA256":"` + strings.Repeat("ab", 32) + `","Category":1}]}`, 0, ""}, // no digest IPED reads
		{def + `{` + md5 + `,"Tags":["a","b"]}]}`, 0, "holds an array"},
		{def + `{` + md5 + `,"Category":1,"Exifs":{"a":1}}]}`, 0, "holds an object"},
		{def + `{"MD5":null,"Category":1}]}`, 0, "aborts the file"},
		{def + `],"more":1}`, 0, "a member after value"},
		{strings.Replace(def, "/Default/", "/US/", 1) + `{` + md5 + `,"Category":1}]}`, 0, "unknown data model"},
		{strings.Replace(def, "#Media", "#Cases", 1) + `]}`, 0, "unknown data model"},
		{"\xef\xbb\xbf" + def + `]}`, 0, "byte-order mark"},
	} {
		n, err := ipedAccepts([]byte(tt.doc))
		if tt.err == "" && (err != nil || n != tt.stored) || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: stored %d, %v; want %d, %q", tt.doc, n, err, tt.stored, tt.err)
		}
	}
}
