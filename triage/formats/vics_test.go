package formats

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/winnow-forensics/winnow/triage"
)

// vicsFixtures lists every VICS fixture.
var vicsFixtures = []string{
	"synthetic/vics/vics2-hashset-media.json",
	"synthetic/vics/vics2-case-us.json",
	"synthetic/vics/vics2-case-uk-bom-crlf.json",
	"synthetic/vics/vics1.3-hashset-media.json",
	"nist-nsrl-caid/NSRL-CAID-ART.json",
	"nist-nsrl-caid/NSRL-CAID-MPG.json",
	"nist-nsrl-caid/NSRL-CAID-MOV.json",
}

func TestVICSFixtures(t *testing.T) {
	const (
		ctx2   = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/"
		nistV  = "http://github.com/ICMEC/ProjectVic/DataModels/1.2.xml#Media"
		vicUS  = "vic-us:"
		caseUS = "6f1c2b7e-0d3a-4c55-9a1e-2b9f6c0a1d11"
	)
	caseExtra := []string{"MediaFiles", "MimeType", "RelativeFilePath"}
	nist := func(pos int64, md5, sha1 string, size int64, name string) jxWant {
		return jxWant{pos: pos, md5: md5, sha1: sha1, size: size, id: "0", category: "caid:ignorable", name: name,
			extra: []string{"MediaFiles"}}
	}
	nistMeta := map[string]string{"odata.context": nistV, "version": "1.2", "shape": "hashset", "scheme": "caid", "kind": "known-good"}
	tests := []struct {
		path  string
		want  []jxWant
		meta  map[string]string
		check func(t *testing.T, es []triage.Entry)
	}{{
		path: "synthetic/vics/vics2-hashset-media.json",
		want: []jxWant{
			{pos: 1, sample: 1, id: "1", category: vicUS + "0", photoDNA: "*", extra: []string{"DateUpdated"}},
			{pos: 2, sample: 2, id: "2", category: vicUS + "1", series: "SYNTHETIC-SERIES-A",
				flags: triage.FlagVictimIdentified | triage.FlagDistributed, extra: []string{"DateUpdated"}},
			{pos: 3, sample: 3, id: "3", category: vicUS + "2", photoDNA: "*", tags: []string{"tagA", "tagB"},
				extra: []string{"Comments", "DateUpdated"}},
			{pos: 4, sample: 4, id: "4", category: vicUS + "3", extra: []string{"DateUpdated"}},
			{pos: 5, sample: 5, id: "5", category: vicUS + "4", photoDNA: "*", extra: []string{"DateUpdated"}},
			{pos: 6, sample: 6, id: "6", extra: []string{"DateUpdated"}},
			{pos: 7, sample: 7, id: "7", category: vicUS + "1", photoDNA: "*", series: "SYNTHETIC-SERIES-A",
				flags: triage.FlagVictimIdentified | triage.FlagDistributed, extra: []string{"DateUpdated"}},
			{pos: 8, sample: 8, id: "8", category: vicUS + "0", extra: []string{"DateUpdated"}},
		},
		meta: map[string]string{"odata.context": ctx2 + "Default/$metadata#Media", "version": "2.0", "profile": "Default",
			"shape": "hashset", "scheme": "vic-us"},
		check: func(t *testing.T, es []triage.Entry) {
			if got := es[2].Extra["Comments"]; got != "synthetic test record" {
				t.Errorf("Comments = %q", got)
			}
			if got := es[0].Extra["DateUpdated"]; got != "2024-06-01T02:31:49.8300Z" {
				t.Errorf("DateUpdated = %q", got)
			}
			if !strings.HasPrefix(es[0].PhotoDNA, "HnRrechClevaPGxRM/") {
				t.Errorf("PhotoDNA not carried through unchanged: %q", es[0].PhotoDNA)
			}
		},
	}, {
		path: "synthetic/vics/vics2-case-us.json",
		want: []jxWant{
			{pos: 1, sample: 1, id: "1", name: "IMG_0001.JPG", extra: caseExtra},
			{pos: 2, sample: 2, id: "2", category: vicUS + "1", name: "IMG_0002.PNG", extra: caseExtra},
			{pos: 3, sample: 3, id: "3", name: "IMG_0003.MP4", extra: caseExtra},
			{pos: 4, sample: 4, id: "4", category: vicUS + "0", name: "IMG_0004.JPG",
				extra: []string{"Exifs", "MediaFiles", "MediaMetadata", "MimeType", "RelativeFilePath"}},
		},
		meta: map[string]string{"odata.context": ctx2 + "US/$metadata#Cases", "version": "2.0", "profile": "US",
			"shape": "case", "scheme": "vic-us", "CaseID": caseUS, "CaseNumber": "SYN-0001",
			"ContactName": "Test Examiner", "ContactOrganization": "Example Agency", "ContactEmail": "examiner@example.invalid",
			"ContactPhone": "+00 000 000", "ContactTitle": "DC", "SourceApplicationName": "SyntheticFixture",
			"SourceApplicationVersion": "0.1", "TotalMediaFiles": "4"},
		check: func(t *testing.T, es []triage.Entry) {
			var files []map[string]any
			if err := json.Unmarshal([]byte(es[1].Extra["MediaFiles"]), &files); err != nil || len(files) != 2 {
				t.Fatalf("MediaFiles of the two-instance record: %v, %d instances", err, len(files))
			}
			if files[1]["FileName"] != "copy of img.png" || files[1]["Deleted"] != true {
				t.Errorf("second instance = %v", files[1])
			}
			if got, want := es[3].Extra["Exifs"], `[{"PropertyName":"Make","PropertyValue":"ExampleCam"},{"PropertyName":"Model","PropertyValue":"X1"}]`; got != want {
				t.Errorf("Exifs = %s, want %s", got, want)
			}
			if got := es[0].Extra["RelativeFilePath"]; got != `Files\6b\70\6b7053944681f9b77697ae85dec5b484.jpg` {
				t.Errorf("RelativeFilePath = %q", got)
			}
		},
	}, {
		path: "synthetic/vics/vics2-case-uk-bom-crlf.json",
		want: []jxWant{
			{pos: 1, sample: 5, id: "1", name: `a,b "quoted" ü.jpg`, flags: triage.FlagDistributed,
				extra: []string{"DateUpdated", "MediaFiles", "MimeType", "RelativeFilePath"}},
			{pos: 2, sample: 6, noSHA1: true, id: "2", category: "caid:B", flags: triage.FlagPrecategorized,
				extra: []string{"MimeType", "PrecategorizationSource", "RelativeFilePath"}},
		},
		meta: map[string]string{"odata.context": ctx2 + "UK/$metadata#Cases", "version": "2.0", "profile": "UK",
			"shape": "case", "scheme": "caid", "CaseID": "{6F1C2B7E-0D3A-4C55-9A1E-2B9F6C0A1D12}", "CaseNumber": "SYN-UK-0002",
			"SourceApplicationName": "SyntheticFixture", "SourceApplicationVersion": "0.1"},
		check: func(t *testing.T, es []triage.Entry) {
			if got := es[0].Extra["DateUpdated"]; got != "2024-05-01T10:00:00.000+01:00Z" {
				t.Errorf("DateUpdated = %q, want the +01:00Z quirk verbatim", got)
			}
			if got := es[0].Extra["MediaFiles"]; !strings.Contains(got, `"Unallocated":"true"`) || !strings.Contains(got, `"PhysicalLocation":123456789012`) {
				t.Errorf("MediaFiles = %s", got)
			}
		},
	}, {
		path: "synthetic/vics/vics1.3-hashset-media.json",
		want: []jxWant{
			{pos: 1, sample: 1, id: "0", category: vicUS + "1", series: "SYNTHETIC-SERIES-B", flags: triage.FlagDistributed,
				photoDNA: "*", extra: []string{"AlternativeHashes", "Exifs"}},
			{pos: 2, sample: 2, id: "1", category: vicUS + "2", flags: triage.FlagDistributed, photoDNA: "*",
				extra: []string{"AlternativeHashes", "Exifs"}},
			{pos: 3, sample: 3, id: "2", category: vicUS + "0", flags: triage.FlagDistributed, photoDNA: "*",
				extra: []string{"AlternativeHashes", "Exifs"}},
		},
		meta: map[string]string{"odata.context": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media", "version": "1.3",
			"shape": "hashset", "scheme": "vic-us"},
		check: func(t *testing.T, es []triage.Entry) {
			if !strings.HasPrefix(es[0].PhotoDNA, "mV8ch/b2rAPpAum") {
				t.Errorf("PhotoDNA from AlternativeHashes = %q", es[0].PhotoDNA)
			}
			if got := es[0].Extra["Exifs"]; got != "[]" {
				t.Errorf("Exifs = %q", got)
			}
		},
	}, {
		path: "nist-nsrl-caid/NSRL-CAID-ART.json",
		want: []jxWant{nist(1, "588cd1c0e48916d8e7403310402d0a68", "e65706b487c73e992bab2a50707a9fd8b0bd6866", 488, "build2.art")},
		meta: nistMeta,
	}, {
		path: "nist-nsrl-caid/NSRL-CAID-MPG.json",
		want: []jxWant{
			nist(1, "0cef8332881a74ac9ae0e6f4c4323569", "2ec7cd699f82e0435b15b9ebf0999805155f8f90", 38733828, "eggBreak.mpg"),
			nist(2, "c44b7688a7d948229a58c2684db19de2", "e0e06a5796fc5def42e01f61f5c3678a583c4c56", 25974788, "motherScan.mpg"),
			nist(3, "4a592ac24a4b88cc5a785a25c2f1874d", "2733a289d19ad9870535e901960239b27e3d06b8", 21690372, "eelScan.mpg"),
		},
		meta: nistMeta,
	}, {
		path: "nist-nsrl-caid/NSRL-CAID-MOV.json",
		meta: nistMeta,
		check: func(t *testing.T, es []triage.Entry) {
			sizes := []int64{951, 351078, 1089, 1027, 1083, 1090, 1016, 589871, 4524457}
			if len(es) != len(sizes) {
				t.Fatalf("%d entries, want %d", len(es), len(sizes))
			}
			for i, e := range es {
				if e.Size != sizes[i] || e.Category.String() != "caid:ignorable" || !e.Category.Ignorable() ||
					e.Algos.String() != "md5,sha1" || e.Name == "" || e.ID != "0" {
					t.Errorf("entry %d: size %d category %s algos %s name %q id %q", i+1, e.Size, e.Category, e.Algos, e.Name, e.ID)
				}
			}
		},
	}}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			r := jxReadFixture(t, tt.path, Options{})
			if r.fatal != nil || len(r.rejects) != 0 {
				t.Fatalf("fatal %v, rejects %v", r.fatal, r.rejects)
			}
			if tt.want != nil {
				jxCheck(t, r.entries, tt.want)
			}
			jxCheckMeta(t, r.meta, tt.meta)
			if tt.check != nil && len(r.entries) > 0 {
				tt.check(t, r.entries)
			}
		})
	}
}

// vicsDoc wraps Media records in a VICS 2.0 hash-set document of a profile.
func vicsDoc(profile string, records ...string) string {
	return `{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/` + profile +
		`/$metadata#Media","value":[` + strings.Join(records, ",\n") + `]}`
}

func TestVICSRecordErrors(t *testing.T) {
	const (
		md5  = "6b7053944681f9b77697ae85dec5b484"
		sha1 = "8e65c752b2add10ce04cbe18412ac2011162e3a0"
	)
	r := jxMustRead(t, vicsDoc("US",
		`{"MediaID":1,"MD5":"`+md5+`"}`,
		`{"MediaID":2,"MD5":"`+md5[:31]+`"}`,
		`{"MediaID":3,"MD5":"`+md5[:31]+`x"}`,
		`{"MediaID":4,"MD5":"`+md5+`","Category":9}`,
		`{"MediaID":5,"MD5":"`+md5+`","Category":"abc"}`,
		`{"MediaID":6,"MD5":"`+md5+`","Category":1.5}`,
		`{"MediaID":7,"SHA1":""}`,
		`{"MediaID":8,"MD5":"d41d8cd98f00b204e9800998ecf8427e"}`,
		`{"MediaID":9,"MD5":"`+md5+`","MediaSize":{"n":1}}`,
		`{"MediaID":10,"MD5":"`+md5+`","MediaSize":-3}`,
		`{"MediaID":11,"MD5":"`+md5+`","Tags":7}`,
		`{"MediaID":12,"MD5":"`+md5+`","IsDistributed":"maybe"}`,
		`{"MediaID":13,"MD5":"`+md5+`","md5":"`+md5+`"}`,
		`{"MediaID":14,"MD5":"`+md5+`","SHA1":"`+sha1+`","AlternativeHashes":[{"HashName":"SHA1","HashValue":"`+strings.Repeat("0", 40)+`"}]}`,
		`{"MediaID":15,"MD5":"`+md5+`","AlternativeHashes":[{"HashName":"SHA1","HashValue":"zz"}]}`,
		`[1,2]`,
		`{"MediaID":[1],"MD5":"`+md5+`"}`,
		`{"MediaID":18,"MD5":123}`,
		`{"MediaID":19,"MD5":"`+md5+`","X":1,"X":2}`,
		`{"MediaID":20,"MD5":"`+md5+`","PDQQuality":101,"PDQ":"`+strings.Repeat("ab", 32)+`"}`,
		`{"MediaID":21,"MD5":"`+md5+`","Series":5}`,
		`{"MediaID":22,"MD5":"`+md5+`","Tags":["a",1]}`,
		`{"MediaID":23,"MD5":"`+md5+`"}`,
	), Options{})
	if r.fatal != nil {
		t.Fatal(r.fatal)
	}
	jxSteps(t, r, []jxStep{
		{pos: 1},
		{pos: 2, field: "MD5", msg: "want 32 hex digits, got 31"},
		{pos: 3, field: "MD5", msg: "not hex"},
		{pos: 4, field: "Category", msg: "category scheme vic-us does not define 9"},
		{pos: 5, field: "Category", msg: `"abc" is not an integer`},
		{pos: 6, field: "Category", msg: `"1.5" is not an integer`},
		{pos: 7, msg: "no usable hash"},
		{pos: 8, msg: "hash of the empty file"},
		{pos: 9, field: "MediaSize", msg: "an object, want an integer"},
		{pos: 10, field: "MediaSize", msg: "negative size"},
		{pos: 11, field: "Tags", msg: "a number"},
		{pos: 12, field: "IsDistributed", msg: `"maybe" is not a boolean`},
		{pos: 13, field: "md5", msg: "appears twice"},
		{pos: 14, field: "AlternativeHashes", msg: "contradicts the record's SHA1"},
		{pos: 15, field: "AlternativeHashes", msg: "SHA1: sha1: want 40 hex digits"},
		{pos: 16, msg: "record is an array, want an object"},
		{pos: 17, field: "MediaID", msg: "an array, want a string or a number"},
		{pos: 18, field: "MD5", msg: "a number, want a string"},
		{pos: 19, field: "X", msg: "appears twice"},
		{pos: 20, field: "PDQQuality", msg: "out of range"},
		{pos: 21, field: "Series", msg: "want a string or an object"},
		{pos: 22, field: "Tags", msg: "want strings"},
		{pos: 23},
	})
}

// TestVICSDrift covers the variants seen in the wild: key case, strings for
// numbers and booleans, Tags and Series shapes, null and "" categories.
func TestVICSDrift(t *testing.T) {
	s := mustSamples(t)
	r := jxMustRead(t, vicsDoc("Default",
		`{"mediaid":"7","md5":"`+strings.ToUpper(s[1].MD5)+`","Sha1":"`+s[1].SHA1+`","CATEGORY":"2","mediasize":"18",
		  "isdistributed":"TRUE","VictimIdentified":1,"OffenderIdentified":"yes","IsSuspected":true,"IsPrecategorized":"1",
		  "tags":["x, y"," z"],"series":{"Name":"S1","Id":4},"photodna":"AAAA","Unknown":{"a":[1, 2]}}`,
		`{"MediaID":8,"MD5":"`+s[2].MD5+`","Category":null,"Tags":" a , ,b,","Series":null,"VictimIdentified":null}`,
		`{"MediaID":9,"MD5":"`+s[3].MD5+`","Category":"","Tags":"","Series":""}`,
		`{"MediaID":10,"MD5":"`+s[4].MD5+`","FileName":"media.jpg","Name":"old.jpg","MediaFiles":[{"FileName":"first.jpg"}]}`,
		`{"MediaID":11,"MD5":"`+s[5].MD5+`","Name":"old.jpg","MediaFiles":[{"FileName":"first.jpg"}]}`,
		`{"MediaID":12,"MD5":"`+s[6].MD5+`","odata.id":"Media(1)","odata.type":"#Media","Exifs@odata.navigationLinkUrl":"/x","SHA256":"`+s[6].SHA256+`","PDQ":"`+strings.Repeat("0f", 32)+`","PDQQuality":"87","PHash":"00ff00ff00ff00ff","Baseline":true}`,
	), Options{})
	if r.fatal != nil || len(r.rejects) != 0 {
		t.Fatalf("fatal %v, rejects %v", r.fatal, r.rejects)
	}
	if len(r.entries) != 6 {
		t.Fatalf("%d entries", len(r.entries))
	}
	e := r.entries[0]
	want := triage.NewEntry()
	want.MD5, _ = triage.ParseMD5(s[1].MD5)
	want.SHA1, _ = triage.ParseSHA1(s[1].SHA1)
	want.Algos = triage.AlgoSet(triage.AlgoMD5 | triage.AlgoSHA1)
	want.Size, want.ID, want.Pos, want.PhotoDNA = 18, "7", 1, "AAAA"
	want.Category = triage.Category{Scheme: "vic-us", Code: "2"}
	want.Series, want.Tags = "S1", []string{"x, y", " z"}
	want.Flags = triage.FlagDistributed | triage.FlagVictimIdentified | triage.FlagOffenderIdentified |
		triage.FlagSuspected | triage.FlagPrecategorized
	want.Extra = map[string]string{"series": `{"Name":"S1","Id":4}`, "Unknown": `{"a":[1,2]}`}
	if !reflect.DeepEqual(e, want) {
		t.Errorf("entry 1 =\n\t%+v\nwant\n\t%+v", e, want)
	}
	if e := r.entries[1]; !e.Category.IsZero() || !reflect.DeepEqual(e.Tags, []string{"a", "b"}) || e.Series != "" || e.Flags != 0 {
		t.Errorf("entry 2: %+v", e)
	}
	if e := r.entries[2]; !e.Category.IsZero() || e.Tags != nil || e.Extra != nil {
		t.Errorf("entry 3: %+v", e)
	}
	if e := r.entries[3]; e.Name != "media.jpg" || e.Extra["Name"] != "old.jpg" {
		t.Errorf("entry 4: name %q extra %v", e.Name, e.Extra)
	}
	if e := r.entries[4]; e.Name != "old.jpg" {
		t.Errorf("entry 5: name %q", e.Name)
	}
	if e := r.entries[5]; e.Algos.String() != "md5,sha256,pdq,phash" || e.PDQQuality != 87 || e.Flags != triage.FlagBaseline ||
		e.SHA256.String() != s[6].SHA256 || e.Extra != nil {
		t.Errorf("entry 6: %+v", e)
	}
}

func TestVICSSchemes(t *testing.T) {
	const md5 = "6b7053944681f9b77697ae85dec5b484"
	rec := func(cat int) string { return `{"MediaID":1,"MD5":"` + md5 + `","Category":` + strconv.Itoa(cat) + `}` }
	tests := []struct {
		name, doc string
		opt       Options
		want      string // category of the one record, or
		reject    string // the record error
		scheme    string // Meta scheme
	}{
		{"US", vicsDoc("US", rec(4)), Options{}, "vic-us:4", "", "vic-us"},
		{"UK", vicsDoc("UK", rec(3)), Options{}, "caid:C", "", "caid"},
		{"UK zero", vicsDoc("UK", rec(0)), Options{}, "", "", "caid"},
		{"Default", vicsDoc("Default", rec(0)), Options{}, "vic-us:0", "", "vic-us"},
		{"CUSTOM", vicsDoc("CUSTOM", rec(2)), Options{}, "vic-us:2", "", "vic-us"},
		{"US undefined", vicsDoc("US", rec(5)), Options{}, "", "category scheme vic-us does not define 5", "vic-us"},
		{"UK undefined", vicsDoc("UK", rec(5)), Options{}, "", "category scheme caid does not define 5", "caid"},
		{"override", vicsDoc("US", rec(5)), Options{Scheme: "vic-dhs"}, "vic-dhs:5", "", "vic-dhs"},
		{"override zero", vicsDoc("US", rec(0)), Options{Scheme: "vic-dhs"}, "", "", "vic-dhs"},
		{"1.2 Media is NIST CAID", `{"odata.metadata":"http://github.com/ICMEC/ProjectVic/DataModels/1.2.xml#Media","value":[` + rec(8) + `]}`, Options{}, "caid:ignorable", "", "caid"},
		{"1.2 Cases", `{"odata.metadata":"http://github.com/ICMEC/ProjectVic/DataModels/1.2.xml#Cases","value":[{"Media":[` + rec(1) + `]}]}`, Options{}, "vic-us:1", "", "vic-us"},
		{"1.3", `{"odata.metadata":"http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media","value":[` + rec(8) + `]}`, Options{}, "", "category scheme vic-us does not define 8", "vic-us"},
		{"no URL", `{"value":[` + rec(1) + `]}`, Options{}, "vic-us:1", "", "vic-us"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := jxMustRead(t, tt.doc, tt.opt)
			if r.fatal != nil {
				t.Fatal(r.fatal)
			}
			if tt.reject != "" {
				if len(r.rejects) != 1 || !strings.Contains(r.rejects[0].Error(), tt.reject) || r.rejects[0].Field != "Category" {
					t.Errorf("rejects %v, want one containing %q", r.rejects, tt.reject)
				}
			} else if len(r.entries) != 1 || r.entries[0].Category.String() != tt.want {
				t.Errorf("entries %+v rejects %v, want category %q", r.entries, r.rejects, tt.want)
			}
			if r.meta["scheme"] != tt.scheme {
				t.Errorf("Meta scheme = %q, want %q", r.meta["scheme"], tt.scheme)
			}
		})
	}
	if _, err := jxRead(t, vicsDoc("US"), Options{Scheme: "nope"}); err == nil || !strings.Contains(err.Error(), `unknown category scheme "nope"`) {
		t.Errorf("unknown scheme: %v", err)
	}
}

// TestVICSShapes reads case documents without a data-model URL, with
// several cases, with fields after the Media array, and in UTF-16.
func TestVICSShapes(t *testing.T) {
	s := mustSamples(t)
	rec := func(n int) string { return `{"MediaID":` + strconv.Itoa(n) + `,"MD5":"` + s[n].MD5 + `"}` }
	tests := []struct {
		name    string
		doc     string
		ids     []string
		rejects int
		meta    map[string]string
	}{{
		name: "structural case",
		doc:  `{"value":[{"CaseID":"c1","Media":[` + rec(1) + `,` + rec(2) + `],"TotalMediaFiles":"2"}]}`,
		ids:  []string{"1", "2"},
		meta: map[string]string{"scheme": "vic-us", "CaseID": "c1", "TotalMediaFiles": "2"},
	}, {
		name: "structural records",
		doc:  `{"value":[` + rec(1) + `,` + rec(2) + `,3,[4]],"@odata.count":2}`,
		ids:  []string{"1", "2"}, rejects: 2,
		meta: map[string]string{"scheme": "vic-us", "@odata.count": "2"},
	}, {
		name: "two cases",
		doc: `{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Cases","value":[` +
			`{"CaseID":"c1","Media":[` + rec(1) + `]},{"CaseID":"c2","Case@odata.navigationLinkUrl":"x","Media":null},{"Media":[` + rec(3) + `],"CaseNumber":"n3"}]}`,
		ids: []string{"1", "3"},
		meta: map[string]string{"odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Cases",
			"version": "2.0", "profile": "US", "shape": "case", "scheme": "vic-us", "CaseID": "c1", "cases": "3", "case2.CaseID": "c2",
			"case3.CaseNumber": "n3"},
	}, {
		name: "utf-16",
		doc:  jxUTF16LE(`{"odata.metadata":"http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media","value":[` + rec(1) + `]}`),
		ids:  []string{"1"},
		meta: map[string]string{"odata.context": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media", "version": "1.3",
			"shape": "hashset", "scheme": "vic-us"},
	}, {
		name: "empty value",
		doc:  `{"value":null,"x":1}`,
		meta: map[string]string{"scheme": "vic-us", "x": "1"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := jxMustRead(t, tt.doc, Options{Format: VICS})
			if r.fatal != nil {
				t.Fatal(r.fatal)
			}
			var ids []string
			for _, e := range r.entries {
				ids = append(ids, e.ID)
			}
			if !reflect.DeepEqual(ids, tt.ids) || len(r.rejects) != tt.rejects {
				t.Errorf("ids %v rejects %v, want %v and %d rejects", ids, r.rejects, tt.ids, tt.rejects)
			}
			jxCheckMeta(t, r.meta, tt.meta)
		})
	}
}

// vicsProfileOf returns the profile to write a reader's entries with.
func vicsProfileOf(meta map[string]string) string {
	if meta["scheme"] == triage.SchemeCAID {
		return "UK"
	}
	if meta["profile"] == "US" {
		return "US"
	}
	return "Default"
}

// vicsCaseFields returns the case header fields of a reader's Meta.
func vicsCaseFields(meta map[string]string) map[string]string {
	c := maps.Clone(meta)
	for _, k := range []string{"odata.context", "version", "profile", "shape", "scheme", "kind", "cases"} {
		delete(c, k)
	}
	return c
}

// vicsWriteRead writes entries and reads them back.
func vicsWriteRead(t *testing.T, entries []triage.Entry, opt VICSOptions) (jxResult, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteVICS(&buf, slices.Values(entries), opt); err != nil {
		t.Fatalf("WriteVICS: %v", err)
	}
	if !json.Valid(buf.Bytes()) {
		t.Fatalf("WriteVICS wrote invalid JSON:\n%s", buf.Bytes())
	}
	r, err := jxRead(t, buf.String(), Options{})
	if err != nil || r.fatal != nil || len(r.rejects) != 0 {
		t.Fatalf("reading back: %v %v %v\n%s", err, r.fatal, r.rejects, buf.Bytes())
	}
	return r, buf.Bytes()
}

// vicsExported returns what reading back WriteVICS's output of entries
// gives, by the changes WriteVICS documents: positions renumbered, IDs
// made unique, categories of other schemes converted by the built-in
// table, known-good entries given the profile's ignorable category, and in
// the Default profile tags joined with commas and a Series object reduced
// to its name.
func vicsExported(entries []triage.Entry, profile string) []triage.Entry {
	ignorable := map[string]triage.Category{"US": triage.MustParseCategory("vic-us:0"), "UK": triage.MustParseCategory("caid:ignorable"),
		"Default": triage.MustParseCategory("vic-us:0"), "": triage.MustParseCategory("vic-us:0")}[profile]
	used := map[string]bool{}
	out := make([]triage.Entry, len(entries))
	for i, e := range entries {
		e.Pos = int64(i + 1)
		if e.ID == "" || used[e.ID] {
			for n := i + 1; ; n++ {
				if id := strconv.Itoa(n); !used[id] {
					e.ID = id
					break
				}
			}
		}
		used[e.ID] = true
		if c, ok := (*CategoryMap)(nil).convert(e.Category, ignorable.Scheme); ok {
			e.Category = c
		}
		if e.Kind == triage.SetKindKnownGood && e.Category.IsZero() {
			e.Category = ignorable
		}
		e.Kind = "" // the VICS reader leaves it to the builder
		// VICS has no field that marks a vPDQ frame: the frames come back
		// as PDQ entries (with their frame and timestamp in Extra).
		e.Algos &^= triage.AlgoSet(triage.AlgoVPDQ)
		if profile == "Default" || profile == "" {
			if len(e.Tags) > 0 && !tagsAsString(e.Tags) {
				e.Tags = splitTags(strings.Join(e.Tags, ","))
				if len(e.Tags) == 0 {
					e.Tags = nil
				}
			}
			for k, v := range e.Extra {
				if vicsField([]byte(k)) == vfSeries && jsonKind([]byte(v)) == '{' {
					e.Extra = maps.Clone(e.Extra)
					delete(e.Extra, k)
					if len(e.Extra) == 0 {
						e.Extra = nil
					}
				}
			}
		}
		out[i] = e
	}
	return out
}

// TestWriteVICSRoundTrip reads every VICS fixture, writes it in both
// shapes, with and without Compat and UpperHex, and reads it back: the
// entries must come back exactly, and the case header too.
func TestWriteVICSRoundTrip(t *testing.T) {
	for _, path := range vicsFixtures {
		orig := jxReadFixture(t, path, Options{})
		if orig.fatal != nil || len(orig.rejects) != 0 || len(orig.entries) == 0 {
			t.Fatalf("%s: fatal %v rejects %v", path, orig.fatal, orig.rejects)
		}
		for _, shape := range []string{"hashset", "case"} {
			for _, compat := range []bool{false, true} {
				opt := VICSOptions{Shape: shape, Profile: vicsProfileOf(orig.meta), Compat: compat, UpperHex: compat}
				if shape == "case" {
					opt.Case = vicsCaseFields(orig.meta)
				}
				t.Run(path+"/"+shape+"/compat="+strconv.FormatBool(compat), func(t *testing.T) {
					got, out := vicsWriteRead(t, orig.entries, opt)
					want := vicsExported(orig.entries, opt.Profile)
					if !reflect.DeepEqual(got.entries, want) {
						for i := range min(len(got.entries), len(want)) {
							if !reflect.DeepEqual(got.entries[i], want[i]) {
								t.Errorf("entry %d:\n\tgot  %+v\n\twant %+v", i+1, got.entries[i], want[i])
							}
						}
						t.Fatalf("%d entries back, want %d; document:\n%s", len(got.entries), len(want), out)
					}
					if shape == "case" && !reflect.DeepEqual(vicsCaseFields(got.meta), opt.Case) {
						t.Errorf("case fields %v, want %v", vicsCaseFields(got.meta), opt.Case)
					}
					if got.meta["kind"] != orig.meta["kind"] {
						t.Errorf("kind %q, want %q", got.meta["kind"], orig.meta["kind"])
					}
					if bytes.HasPrefix(out, []byte("\xef\xbb\xbf")) {
						t.Errorf("output starts with a byte-order mark")
					}
				})
			}
		}
	}
}

// TestWriteVICSOtherFormats writes entries from other readers (PDQ only,
// SHA-256, string IDs, no ID, a tag with a comma) and reads them back.
func TestWriteVICSOtherFormats(t *testing.T) {
	s := mustSamples(t)
	pdqOnly := triage.NewEntry()
	pdqOnly.PDQ, _ = triage.ParsePDQ("27572acf8f0d1f7117c6eba5fc07de9f9f019160a252f94641ef86632a0604b0")
	pdqOnly.Algos, pdqOnly.PDQQuality, pdqOnly.ID = triage.AlgoSet(triage.AlgoPDQ), 90, "synthetic-image-1"
	pdqOnly.Extra = map[string]string{"signalType": "ImagePDQ", "lastModtimestamp": "1704067100", "caseNumbers": `{"c":"Active"}`,
		"odd": " 1", "text": "[1, 2]", "quoted": `"q"`, "Name": "also"}
	full := triage.NewEntry()
	full.SHA256, _ = triage.ParseSHA256(s[2].SHA256)
	full.MD5, _ = triage.ParseMD5(s[2].MD5)
	full.Algos = triage.AlgoSet(triage.AlgoSHA256 | triage.AlgoMD5)
	full.Tags = []string{"a,b", "c"}
	full.Name, full.Series, full.Size = "x.jpg", "S", 0
	full.Category = triage.Category{Scheme: "vic-us", Code: "3"}
	full.Flags = triage.FlagBaseline | triage.FlagSuspected
	in := []triage.Entry{pdqOnly, full}
	got, out := vicsWriteRead(t, in, VICSOptions{Profile: "us"})
	want := slices.Clone(in)
	want[0].Pos, want[1].Pos = 1, 2
	want[1].ID = "2" // an empty ID is written as the position
	// An Extra Name key is kept; FileName (written as "") keeps Name empty.
	if !reflect.DeepEqual(got.entries, want) {
		t.Errorf("entries back:\n\t%+v\nwant\n\t%+v\n%s", got.entries, want, out)
	}
	for _, frag := range []string{`"MediaID":"synthetic-image-1"`, `"PDQQuality":90`, `"odd":" 1"`, `"text":"[1, 2]"`,
		`"caseNumbers":{"c":"Active"}`, `"Tags":["a,b","c"]`, `"MediaSize":0`, `"Baseline":true`, `"lastModtimestamp":1704067100`} {
		if !bytes.Contains(out, []byte(frag)) {
			t.Errorf("output lacks %s:\n%s", frag, out)
		}
	}
}

func TestWriteVICSOutput(t *testing.T) {
	s := mustSamples(t)
	e := triage.NewEntry()
	e.MD5, _ = triage.ParseMD5(s[4].MD5)
	e.SHA1, _ = triage.ParseSHA1(s[4].SHA1)
	e.Algos = triage.AlgoSet(triage.AlgoMD5 | triage.AlgoSHA1)
	e.ID, e.Size, e.Category = "1", 18, triage.Category{Scheme: "vic-us", Code: "4"}
	e.Flags = triage.FlagDistributed
	e.Extra = map[string]string{"MediaFiles": `[{"FileName":"IMG_0004.JPG","Deleted":false}]`, "MimeType": "image/jpeg"}
	e.Name = "IMG_0004.JPG"
	tests := []struct {
		name string
		opt  VICSOptions
		want string
	}{{
		name: "hashset",
		opt:  VICSOptions{Profile: "US"},
		want: `{
  "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media",
  "value": [
    {"MediaID":1,"Category":4,"MD5":"80996662d1b6d4b79a0894e54d01cdfc","SHA1":"c555a9081f4417410151a66f58f90be8ebe54bc6","MediaSize":18,"IsDistributed":true,"MediaFiles":[{"FileName":"IMG_0004.JPG","Deleted":false}],"MimeType":"image/jpeg"}
  ]
}
`,
	}, {
		name: "case compat upper",
		opt: VICSOptions{Shape: "case", Compat: true, UpperHex: true,
			Case: map[string]string{"Examiner": "E", "CaseNumber": "N-1", "CaseID": "id", "TotalMediaFiles": "1"}},
		want: `{
  "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/Default/$metadata#Cases",
  "value": [
    {
      "CaseID": "id",
      "CaseNumber": "N-1",
      "TotalMediaFiles": "1",
      "Examiner": "E",
      "Media": [
        {"MediaID":"1","Category":"4","MD5":"80996662D1B6D4B79A0894E54D01CDFC","SHA1":"C555A9081F4417410151A66F58F90BE8EBE54BC6","MediaSize":"18","IsDistributed":"true","MediaFiles":[{"FileName":"IMG_0004.JPG","Deleted":false}],"MimeType":"image/jpeg"}
      ]
    }
  ]
}
`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteVICS(&buf, slices.Values([]triage.Entry{e}), tt.opt); err != nil {
				t.Fatal(err)
			}
			if buf.String() != tt.want {
				t.Errorf("output:\n%s\nwant:\n%s", buf.String(), tt.want)
			}
		})
	}
	for _, shape := range []string{"hashset", "case"} {
		var buf bytes.Buffer
		if err := WriteVICS(&buf, slices.Values([]triage.Entry(nil)), VICSOptions{Shape: shape}); err != nil || !json.Valid(buf.Bytes()) {
			t.Errorf("empty %s: %v\n%s", shape, err, buf.Bytes())
		}
		r := jxMustRead(t, buf.String(), Options{})
		if len(r.entries) != 0 || r.fatal != nil || r.meta["shape"] != shape {
			t.Errorf("empty %s read back: %+v", shape, r)
		}
	}
}

func mustMap(t *testing.T, specs ...string) *CategoryMap {
	t.Helper()
	m := NewCategoryMap()
	for _, s := range specs {
		if err := m.Add(s); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func knownGood(es []triage.Entry) []triage.Entry {
	for i := range es {
		es[i].Kind = triage.SetKindKnownGood
	}
	return es
}

// TestWriteVICSCategoryMap converts categories on export: explicit
// mappings first (a code, a whole scheme, a drop), then the built-in
// table; what was converted is summed up with its loss.
func TestWriteVICSCategoryMap(t *testing.T) {
	var es []triage.Entry
	for i, c := range []string{"industry:A1", "industry:B2", "caid:B", "vic-dhs:5", "vic-us:4", "vic-us:1"} {
		e := triage.NewEntry()
		e.MD5[0], e.MD5[1], e.Algos = byte(i+1), 1, triage.AlgoSet(triage.AlgoMD5)
		e.Category = triage.MustParseCategory(c)
		es = append(es, e)
	}
	m := mustMap(t, "industry:*=vic-us:2", "industry:B2=vic-us:1", "vic-us:4=none")
	got, _ := vicsWriteRead(t, es, VICSOptions{Profile: "US", Map: m})
	var cats []string
	for _, e := range got.entries {
		cats = append(cats, e.Category.String())
	}
	if want := []string{"vic-us:2", "vic-us:1", "vic-us:1", "vic-us:0", "", "vic-us:1"}; !reflect.DeepEqual(cats, want) {
		t.Errorf("categories %q, want %q", cats, want)
	}
	want := []string{
		"1 entries: caid:B -> vic-us:1 (built in); lossy: the CAID severity (A, B, C) is lost: all become CAM",
		"1 entries: industry:A1 -> vic-us:2 (--map)",
		"1 entries: industry:B2 -> vic-us:1 (--map)",
		"1 entries: vic-dhs:5 -> vic-us:0 (built in)",
		"1 entries: vic-us:4 -> none (dropped) (--map)",
	}
	if diff := cmp.Diff(want, m.Summary()); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"industry:A1", "industry:A1=", "nope:*=none", "industry:A9=none", "industry:A1=vic-us:9"} {
		if err := NewCategoryMap().Add(bad); err == nil {
			t.Errorf("Add(%q): no error", bad)
		}
	}
}

// TestWriteVICSKnownGood writes known-good entries with the profile's
// ignorable category, so they come back known-good, and gives every
// record a unique MediaID (an NSRL product code is no media id).
func TestWriteVICSKnownGood(t *testing.T) {
	var es []triage.Entry
	for i := range 4 {
		e := triage.NewEntry()
		e.MD5[0], e.MD5[1], e.Algos = byte(i+1), 2, triage.AlgoSet(triage.AlgoMD5)
		e.Kind = triage.SetKindKnownGood
		es = append(es, e)
	}
	es[1].ID, es[2].ID, es[3].ID = "3", "3", "x" // 3 twice; entry 3 then takes the next free number
	for _, tt := range []struct{ profile, cat string }{{"US", "vic-us:0"}, {"UK", "caid:ignorable"}, {"Default", "vic-us:0"}} {
		got, out := vicsWriteRead(t, es, VICSOptions{Profile: tt.profile})
		var ids []string
		for _, e := range got.entries {
			ids = append(ids, e.ID)
			if e.Category.String() != tt.cat || e.KindIn(triage.SetKindAlert) != triage.SetKindKnownGood {
				t.Errorf("%s: entry %+v comes back as %s", tt.profile, e, e.KindIn(triage.SetKindAlert))
			}
		}
		if want := []string{"1", "3", "4", "x"}; !reflect.DeepEqual(ids, want) {
			t.Errorf("%s: MediaIDs %q, want %q\n%s", tt.profile, ids, want, out)
		}
	}
}

func TestWriteVICSErrors(t *testing.T) {
	e := triage.NewEntry()
	e.MD5, _ = triage.ParseMD5("6b7053944681f9b77697ae85dec5b484")
	e.Algos = triage.AlgoSet(triage.AlgoMD5)
	with := func(c string) []triage.Entry {
		x := e
		x.Category = triage.MustParseCategory(c)
		return []triage.Entry{e, x}
	}
	tests := []struct {
		name    string
		entries []triage.Entry
		opt     VICSOptions
		want    string
	}{
		{"other scheme", with("vic-us:1"), VICSOptions{Profile: "UK"},
			"entry 2 (md5 6b7053944681f9b77697ae85dec5b484): category vic-us:1 is in scheme vic-us, but the UK profile writes caid categories: map it (--map vic-us:1=caid:CODE, or =none to drop it)"},
		{"mapped to another scheme", with("industry:A1"), VICSOptions{Map: mustMap(t, "industry:A1=caid:A")}, "category caid:A is in scheme caid, but the Default profile"},
		{"known-good with an alert category", knownGood(with("vic-us:1")), VICSOptions{}, "entry 2 (md5 6b7053944681f9b77697ae85dec5b484) is known-good but its category vic-us:1 is not ignorable"},
		{"no integer", with("industry:A1"), VICSOptions{Profile: "UK"}, "category industry:A1 is in scheme industry"},
		{"profile", nil, VICSOptions{Profile: "FR"}, `unknown profile "FR"`},
		{"shape", nil, VICSOptions{Shape: "cases"}, `unknown shape "cases"`},
		{"case fields in hashset", nil, VICSOptions{Case: map[string]string{"CaseID": "x"}}, "case fields given for the hashset shape"},
		{"Media case field", nil, VICSOptions{Shape: "case", Case: map[string]string{"media": "x"}}, "reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := WriteVICS(io.Discard, slices.Values(tt.entries), tt.opt)
			if err == nil || !strings.Contains(err.Error(), tt.want) || triage.ErrorCode(err) != triage.EINVALID {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestWriteVICSStreams checks that records reach the writer while the
// sequence is still producing them.
func TestWriteVICSStreams(t *testing.T) {
	e := triage.NewEntry()
	e.MD5, _ = triage.ParseMD5("6b7053944681f9b77697ae85dec5b484")
	e.Algos = triage.AlgoSet(triage.AlgoMD5)
	var w countWriter
	seen := -1
	seq := func(yield func(triage.Entry) bool) {
		for i := range 100_000 {
			if i == 50_000 {
				seen = w.n
			}
			if !yield(e) {
				return
			}
		}
	}
	if err := WriteVICS(&w, seq, VICSOptions{}); err != nil {
		t.Fatal(err)
	}
	if seen < 1<<20 {
		t.Errorf("%d bytes written after 50,000 of 100,000 records: the writer buffers", seen)
	}
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

// FuzzVICS reads arbitrary documents; every entry read must survive
// WriteVICS and a second read unchanged.
func FuzzVICS(f *testing.F) {
	jxFuzzSeed(f, vicsFixtures...)
	f.Add([]byte(`{"value":[{"CaseID":"c","Media":[{"md5":"6b7053944681f9b77697ae85dec5b484","Tags":["a,b"],"Series":{"Name":1},"Name":"n","X":null}]}]}`))
	f.Add([]byte(`{"@odata.context":"DataModels/2.0.xml/UK/$metadata#Media","value":[{"MD5":"6b7053944681f9b77697ae85dec5b484","Category":"3","FileName":"","MediaFiles":"x","AlternativeHashes":[{"HashName":"sha-256","HashValue":"f458751657fb3d878dd9a8d0cd7ca6262a01b899f5ef1c92fd45cbba0502d190"}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, ok := jxFuzz(t, data, Options{Format: VICS, MaxLineBytes: 4096, MaxDepth: 12})
		if !ok || len(r.entries) == 0 {
			return
		}
		profile := vicsProfileOf(r.meta)
		if r.meta["scheme"] == triage.SchemeVICUS && profile == "UK" {
			return
		}
		want := vicsExported(r.entries, profile)
		for _, shape := range []string{"hashset", "case"} {
			var buf bytes.Buffer
			if err := WriteVICS(&buf, slices.Values(r.entries), VICSOptions{Shape: shape, Profile: profile}); err != nil {
				t.Fatalf("WriteVICS: %v", err)
			}
			back, ok := jxFuzz(t, buf.Bytes(), Options{Format: VICS, MaxDepth: 16})
			if !ok || back.fatal != nil || len(back.rejects) > 0 {
				t.Fatalf("reading back: %v %v\n%s", back.fatal, back.rejects, buf.Bytes())
			}
			if !reflect.DeepEqual(back.entries, want) {
				t.Fatalf("round trip:\n\tgot  %+v\n\twant %+v\n%s", back.entries, want, buf.Bytes())
			}
		}
	})
}

// vicsBenchRecord appends one Media record shaped like a distributed hash
// set's.
func vicsBenchRecord(b []byte, i int) []byte {
	b = append(b, `{"MediaID":`...)
	b = strconv.AppendInt(b, int64(i+1), 10)
	b = append(b, `,"Category":1,"MD5":"`...)
	b = jxHex(b, i, 16)
	b = append(b, `","SHA1":"`...)
	b = jxHex(b, i+7, 20)
	b = append(b, `","MediaSize":18,"DateUpdated":"2024-06-01T02:31:49.8300Z","IsPrecategorized":"false","VictimIdentified":true,"IsDistributed":true,"Series":"SYNTHETIC-SERIES-A"}`...)
	return b
}

// BenchmarkVICSRead reads a VICS 2.0 hash set, one record per iteration.
// Run with -benchtime=1000000x for a 1M-record set.
func BenchmarkVICSRead(b *testing.B) {
	jxBench(b, &jxGen{
		head:   `{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media","value":[`,
		sep:    ",\n",
		tail:   "]}",
		record: vicsBenchRecord,
	}, Options{Format: VICS})
}

// BenchmarkVICSReadCase reads a case export with MediaFiles.
func BenchmarkVICSReadCase(b *testing.B) {
	jxBench(b, &jxGen{
		head: `{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Cases","value":[{"CaseID":"c","Media":[`,
		sep:  ",\n",
		tail: "]}]}",
		record: func(b []byte, i int) []byte {
			b = vicsBenchRecord(b, i)
			b = b[:len(b)-1]
			return append(b, `,"MediaFiles":[{"FileName":"IMG_0001.JPG","FilePath":"\\DCIM\\100APPLE\\","Created":"2023-01-02T03:04:05Z","Deleted":false,"SourceID":"EXHIBIT-01","PhysicalLocation":1048576}]}`...)
		},
	}, Options{Format: VICS})
}

// BenchmarkVICSWrite writes b.N entries.
func BenchmarkVICSWrite(b *testing.B) {
	src, err := NewReader(&jxGen{
		head: `{"@odata.context":"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media","value":[`,
		sep:  ",", tail: "]}", record: vicsBenchRecord, n: 1000,
	}, Options{Format: VICS})
	if err != nil {
		b.Fatal(err)
	}
	var entries []triage.Entry
	for {
		e, err := src.Next()
		if err != nil {
			break
		}
		entries = append(entries, e)
	}
	seq := func(yield func(triage.Entry) bool) {
		for i := range b.N {
			if !yield(entries[i%len(entries)]) {
				return
			}
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	if err := WriteVICS(io.Discard, seq, VICSOptions{Profile: "US"}); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
