package wire

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/winnow-forensics/winnow/triage"
)

func TestOpt(t *testing.T) {
	type doc struct {
		A Opt `json:"a"`
		B Opt `json:"b"`
	}
	b, err := json.Marshal(doc{A: "ff"})
	if err != nil || string(b) != `{"a":"ff","b":null}` {
		t.Fatalf("marshal: %s, %v", b, err)
	}
	var d doc
	d.B = "stale"
	if err := json.Unmarshal([]byte(`{"a":"00","b":null}`), &d); err != nil || d != (doc{A: "00"}) {
		t.Errorf("unmarshal: %+v, %v", d, err)
	}
	if err := json.Unmarshal([]byte(`{"a":1}`), &d); err == nil {
		t.Error("a number decoded as a string")
	}
}

func TestMatchOf(t *testing.T) {
	m := triage.Match{Set: "known", SetVersion: "1", SetKind: triage.SetKindAlert, Entry: 3, EntryID: "k3", Algo: triage.AlgoPDQ,
		Distance: 12, Dihedral: 4, Category: triage.MustParseCategory("vic-us:1"), Series: "s", Timestamps: []float64{1.5}}
	want := Match{Set: "known", SetVersion: "1", SetKind: "alert", Entry: 3, EntryID: "k3", Algorithm: "pdq", Distance: 12,
		Transform: "flipx", Category: "vic-us:1", CategoryLabel: triage.MustParseCategory("vic-us:1").Label(), Series: "s", Timestamps: []float64{1.5}}
	if diff := cmp.Diff(want, MatchOf(m)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for d, name := range Transforms {
		m.Dihedral = d
		if got := MatchOf(m).Transform; got != name {
			t.Errorf("dihedral %d: transform %q, want %q", d, got, name)
		}
	}
	m.Dihedral = 9
	if got := MatchOf(m).Transform; got != "" {
		t.Errorf("dihedral out of range: %q", got)
	}
}

// TestVersion1Item: an item of report.json format version 1 reads into
// the model and writes back with the same fields and values, so readers
// of version 1 read version 2's items.
func TestVersion1Item(t *testing.T) {
	const v1 = `{"path":"a.zip!/b.jpg","inner_path":"b.jpg","size":10,"md5":"00112233445566778899aabbccddeeff","sha1":null,"sha256":null,
		"mime":"image/jpeg","kind":"image","width":4,"height":3,"pdq":null,"pdq_quality":null,"phash":null,"dhash":null,
		"verdict":"variant","reason":"pdq distance 12 in known","category":"vic-us:1","category_label":"Category 1",
		"also_known_good":["nsrl"],"matches":[{"set":"known","set_version":"1","set_kind":"alert","entry":0,"entry_id":"k0",
		"algorithm":"pdq","distance":12,"transform":"rot90","category":"vic-us:1","category_label":"Category 1","series":"s"}],
		"error":null}`
	var it Item
	if err := json.Unmarshal([]byte(v1), &it); err != nil {
		t.Fatal(err)
	}
	out, err := json.Marshal(it)
	if err != nil {
		t.Fatal(err)
	}
	var want, got map[string]any
	json.Unmarshal([]byte(v1), &want)
	json.Unmarshal(out, &got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("version 1 item changed (-v1 +v2):\n%s", diff)
	}
}
