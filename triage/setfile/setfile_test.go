package setfile

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"hash/crc32"
	"io"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// kindedEntries is triagetest.Entries with every seventh entry known-good,
// as an NSRL record says.
func kindedEntries(n int, seed uint64) []triage.Entry {
	es := triagetest.Entries(n, seed)
	for i := range es {
		if i%7 == 0 {
			es[i].Kind = triage.SetKindKnownGood
		}
	}
	return es
}

func TestHashSetRoundTrip(t *testing.T) {
	meta := triage.SetMeta{Name: "benign test set", Version: "3", Kind: triage.SetKindAlert, Created: time.Unix(1700000000, 0).UTC(), PDQRadius: 28}
	b := NewBuilder(meta)
	es := kindedEntries(1000, 1)
	for _, e := range es {
		if ok, err := b.Add(e); !ok || err != nil {
			t.Fatalf("add %d: %v %v", e.Pos, ok, err)
		}
	}
	if ok, err := b.Add(es[7]); ok || err != nil {
		t.Errorf("duplicate add = %v, %v; want false, nil", ok, err)
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	s, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	// Entries of both kinds: the set is mixed, each entry keeps its own;
	// the set carries the schemes of its categories.
	meta.Kind = triage.SetKindMixed
	caid, _ := triage.LookupScheme(triage.SchemeCAID)
	vicUS, _ := triage.LookupScheme(triage.SchemeVICUS)
	meta.Schemes = []triage.Scheme{*caid, *vicUS}
	if s.Len() != len(es) || !reflect.DeepEqual(s.Meta, meta) {
		t.Fatalf("loaded %d entries, meta %+v", s.Len(), s.Meta)
	}
	for i, want := range es {
		want.Kind = want.KindIn(triage.SetKindAlert)
		if want.Kind != triage.SetKindAlert && !want.Category.Ignorable() && i%7 != 0 {
			t.Fatalf("entry %d of an alert build is %s", i, want.Kind)
		}
		if s.Kind(i) != want.Kind {
			t.Fatalf("Kind(%d) = %s, want %s", i, s.Kind(i), want.Kind)
		}
		got := s.Entry(i)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("entry %d:\n got %+v\nwant %+v", i, got, want)
		}
		if s.Category(i) != want.Category {
			t.Fatalf("Category(%d) = %v", i, s.Category(i))
		}
	}
	// The MD5 column: every entry with an MD5 once, in hash order.
	ids, md5s := s.MD5s()
	n := 0
	for _, e := range es {
		if e.Algos.Has(triage.AlgoMD5) {
			n++
		}
	}
	if n != len(ids) {
		t.Errorf("md5 column has %d, want %d", len(ids), n)
	}
	for k, id := range ids {
		if md5s[k] != es[id].MD5 || !es[id].Algos.Has(triage.AlgoMD5) {
			t.Fatalf("md5 column position %d: entry %d, hash %v", k, id, md5s[k])
		}
		if k > 0 && bytes.Compare(md5s[k-1][:], md5s[k][:]) > 0 {
			t.Fatalf("md5 column not in hash order at %d", k)
		}
	}

	// Atomic file write and load.
	path := filepath.Join(t.TempDir(), "set.wset")
	if err := b.WriteFile(path); err != nil {
		t.Fatal(err)
	}
	if s2, err := ReadFile(path); err != nil || s2.Len() != len(es) {
		t.Fatalf("ReadHashSetFile: %v", err)
	}
}

func TestHashSetRejectsDamage(t *testing.T) {
	b := NewBuilder(triage.SetMeta{Name: "x", Kind: triage.SetKindKnownGood})
	for _, e := range triagetest.Entries(50, 2) {
		b.Add(e)
	}
	var buf bytes.Buffer
	b.WriteTo(&buf)
	good := buf.Bytes()
	// Flip one bit in every byte position past the header: each must be
	// refused (checksums) or, for the reserved header bytes, harmless.
	for off := 24; off < len(good); off += 7 {
		bad := bytes.Clone(good)
		bad[off] ^= 0x10
		s, err := Parse(bad)
		if err == nil {
			// Only the reserved fields of the section table may change freely.
			if rel := (off - 24) % 40; off < 24+40*9 && (rel >= 4 && rel < 8 || rel >= 28) {
				continue
			}
			t.Fatalf("flipped byte %d: loaded %d entries without error", off, s.Len())
		}
		if !errors.Is(err, ErrCorrupt) && triage.ErrorCode(err) == triage.EINTERNAL {
			t.Fatalf("flipped byte %d: unexpected error %v", off, err)
		}
	}
	for _, bad := range [][]byte{nil, []byte("WINNOWHS"), good[:len(good)/2], []byte("not a set at all, just text....")} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("ParseHashSet(%d bytes) succeeded", len(bad))
		}
	}
	future := bytes.Clone(good)
	future[8] = Version + 1
	if _, err := Parse(future); triage.ErrorCode(err) != triage.EUNSUPPORTED {
		t.Errorf("future version: %v", err)
	}
}

func TestSetMetaValidate(t *testing.T) {
	for _, m := range []triage.SetMeta{{Kind: triage.SetKindAlert}, {Name: "x", Kind: "bad"}, {Name: "x", Kind: triage.SetKindAlert, PDQRadius: 300}} {
		if m.Validate() == nil {
			t.Errorf("%+v: no error", m)
		}
	}
}

func FuzzParseHashSet(f *testing.F) {
	b := NewBuilder(triage.SetMeta{Name: "fuzz", Kind: triage.SetKindAlert})
	for _, e := range withKeypoints(withRegions(triagetest.Entries(8, 3))) {
		b.Add(e)
	}
	var buf bytes.Buffer
	b.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte("WINNOWHS\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data)
		if err != nil {
			return
		}
		for i := 0; i < s.Len(); i++ {
			s.Entry(i)
		}
	})
}

// rewrite changes the sections of a compiled set in place (edit must keep
// their lengths) and recomputes their checksums.
func rewrite(t *testing.T, buf []byte, edit func(kind uint32, data []byte)) []byte {
	t.Helper()
	buf = bytes.Clone(buf)
	nsec := int(binary.LittleEndian.Uint32(buf[12:]))
	for i := range nsec {
		p := buf[24+40*i:]
		off, n := binary.LittleEndian.Uint64(p[8:]), binary.LittleEndian.Uint64(p[16:])
		data := buf[off : off+n]
		edit(binary.LittleEndian.Uint32(p), data)
		binary.LittleEndian.PutUint32(p[24:], crc32.Checksum(data, castagnoli))
	}
	return buf
}

// asVersion1 rewrites a compiled set as version 1 wrote it: no kind in
// the records (the set's kind applies to every entry).
func asVersion1(t *testing.T, buf []byte) []byte {
	t.Helper()
	buf = rewrite(t, buf, func(kind uint32, recs []byte) {
		if kind == secRecords {
			for r := 0; r < len(recs); r += recordSize {
				recs[r+7] = 0
			}
		}
	})
	binary.LittleEndian.PutUint32(buf[8:], 1)
	return buf
}

// TestHashSetVersion1 loads sets in the format before entry kinds: a
// known-good one matches as known-good entry by entry, and a version 1
// file cannot claim to be mixed.
func TestHashSetVersion1(t *testing.T) {
	b := NewBuilder(triage.SetMeta{Name: "nsrl", Kind: triage.SetKindKnownGood})
	for _, e := range triagetest.Entries(40, 5) {
		b.Add(e)
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	s, err := Parse(asVersion1(t, buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range s.Len() {
		if e := s.Entry(i); s.Kind(i) != triage.SetKindKnownGood || e.Kind != triage.SetKindKnownGood {
			t.Fatalf("entry %d: kind %s / %s in a known-good version 1 set", i, s.Kind(i), e.Kind)
		}
	}

	mixed := NewBuilder(triage.SetMeta{Name: "mixed", Kind: triage.SetKindAlert})
	for _, e := range kindedEntries(40, 5) {
		mixed.Add(e)
	}
	buf.Reset()
	mixed.WriteTo(&buf)
	if _, err := Parse(asVersion1(t, buf.Bytes())); !errors.Is(err, ErrCorrupt) {
		t.Errorf("version 1 mixed set: %v", err)
	}
	// A version 2 record without a kind is damage.
	noKind := asVersion1(t, buf.Bytes())
	binary.LittleEndian.PutUint32(noKind[8:], 2)
	if _, err := Parse(noKind); !errors.Is(err, ErrCorrupt) {
		t.Errorf("version 2 record without a kind: %v", err)
	}
}

// TestHashSetCarriesSchemes builds a set with a custom scheme: it carries
// the scheme's definition; loaded where the scheme is unknown (as in serve
// and worker, which never see --schemes), its categories parse, label and
// are ignorable as defined; loaded where the scheme is defined otherwise,
// the conflict is reported.
func TestHashSetCarriesSchemes(t *testing.T) {
	lab := &triage.Scheme{Name: "lab-carried-a", Labels: map[string]string{"X": "Lab X", "OK": "Lab benign"},
		Ints: map[int]string{1: "X", 9: "OK"}, Ignorable: map[string]bool{"OK": true}}
	if err := triage.RegisterScheme(lab); err != nil {
		t.Fatal(err)
	}
	b := NewBuilder(triage.SetMeta{Name: "custom", Kind: triage.SetKindAlert})
	for i, c := range []string{"lab-carried-a:X", "lab-carried-a:OK"} {
		e := triagetest.Entries(2, 8)[i]
		e.Category = triage.MustParseCategory(c)
		if _, err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	// The same set with a scheme this process has never seen: the name
	// renamed in place, lab-carried-a to lab-carried-b.
	unseen := rewrite(t, buf.Bytes(), func(kind uint32, data []byte) {
		if kind == secMeta || kind == secCategories {
			copy(data, bytes.ReplaceAll(data, []byte("lab-carried-a"), []byte("lab-carried-b")))
		}
	})
	s, err := Parse(unseen)
	if err != nil {
		t.Fatal(err)
	}
	if c, err := triage.ParseCategory("lab-carried-b:OK"); err != nil || !c.Ignorable() || c.Label() != "Lab benign" {
		t.Errorf("carried scheme not adopted: %v %v", c, err)
	}
	if s.Kind(0) != triage.SetKindAlert || s.Kind(1) != triage.SetKindKnownGood || len(s.SchemeConflicts()) != 0 {
		t.Errorf("kinds %s %s, conflicts %v", s.Kind(0), s.Kind(1), s.SchemeConflicts())
	}

	other := *lab
	other.Ignorable = nil
	triage.RegisterScheme(&other)
	s, err = Parse(bytes.Clone(buf.Bytes()))
	if err != nil || !slices.Equal(s.SchemeConflicts(), []string{lab.Name}) {
		t.Errorf("conflicting definition: %v %v", s.SchemeConflicts(), err)
	}

	// A category of a scheme nobody registered cannot be written.
	bad := NewBuilder(triage.SetMeta{Name: "bad", Kind: triage.SetKindAlert})
	e := triagetest.Entries(1, 8)[0]
	e.Category = triage.Category{Scheme: "nobody-registered", Code: "1"}
	bad.Add(e)
	if _, err := bad.WriteTo(io.Discard); err == nil || !strings.Contains(err.Error(), "not registered") {
		t.Errorf("unregistered scheme: %v", err)
	}
}

// BenchmarkLoadHashSet measures loading a compiled set of 1M entries
// (scale linearly for the 10M figure in the README).
func BenchmarkLoadHashSet(b *testing.B) {
	bld := NewBuilder(triage.SetMeta{Name: "bench", Kind: triage.SetKindAlert})
	for _, e := range triagetest.Entries(1_000_000, 4) {
		bld.Add(e)
	}
	var buf bytes.Buffer
	bld.WriteTo(&buf)
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if _, err := Parse(buf.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHashSetEntryOrderColumns reads a set written before the digest
// columns were sorted (testdata/set-entry-order.wset: triagetest.Entries(120, 9),
// columns in entry order): it must load and give the same entries
// (package matching's TestMatchEntryOrderColumns matches through every
// column).
func TestHashSetEntryOrderColumns(t *testing.T) {
	s, err := ReadFile(filepath.Join("testdata", "set-entry-order.wset"))
	if err != nil {
		t.Fatal(err)
	}
	es := triagetest.Entries(120, 9)
	if s.Len() != len(es) {
		t.Fatalf("Len() = %d, want %d", s.Len(), len(es))
	}
	if s.md5.byHash || s.sha1.byHash || s.sha256.byHash {
		t.Fatalf("an entry-order column read as hash order")
	}
	for i, want := range es {
		want.Kind = triage.SetKindAlert // version 1: every entry is of the set's kind
		if got := s.Entry(i); !reflect.DeepEqual(got, want) {
			t.Fatalf("entry %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
}

// TestExtraJSON checks the fast Extra encoding against encoding/json,
// byte for byte, on plain and escaped keys and values.
func TestExtraJSON(t *testing.T) {
	for _, m := range []map[string]string{
		{"crc32": "0A1B2C3D"},
		{"b": "2", "a": "1", "c": ""},
		{"": ""},
		{"k": `quote " here`},
		{"k": `back\slash`},
		{"k": "<script>&amp;"},
		{"k": "tab\there"},
		{"k": "del\x7f"},
		{"k": "caf\u00e9"},
		{"k": "line\u2028sep"},
		{"k": "bad\xffutf8"},
		{"z\x00": "nul"},
	} {
		want, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		got, err := extraJSON(m)
		if err != nil || string(got) != string(want) {
			t.Errorf("extraJSON(%q) = %s, %v; want %s", m, got, err, want)
		}
	}
}

func FuzzExtraJSON(f *testing.F) {
	f.Add("crc32", "0A1B2C3D", "name", "x<y")
	f.Add("", "", "\x00", "\xff")
	f.Fuzz(func(t *testing.T, k1, v1, k2, v2 string) {
		m := map[string]string{k1: v1, k2: v2}
		want, _ := json.Marshal(m)
		got, _ := extraJSON(m)
		if string(got) != string(want) {
			t.Fatalf("extraJSON(%q) = %s, want %s", m, got, want)
		}
	})
}

// withRegions gives every other entry a centre region.
func withRegions(es []triage.Entry) []triage.Entry {
	for i := range es {
		if i%2 == 0 {
			r := triage.Region{Kind: triage.RegionCentre, PDQQuality: 40 + i, PHash: triage.PHash(uint64(i) * 0x9e3779b97f4a7c15)}
			r.PDQ[0], r.PDQ[31] = byte(i), byte(255-i)
			es[i].Regions = []triage.Region{r}
		}
	}
	return es
}

// TestRegions checks that entries' regions survive compilation, that a
// set without any (and a version 2 file) loads, and that damaged region
// records are refused.
func TestRegions(t *testing.T) {
	es := withRegions(triagetest.Entries(20, 5))
	b := NewBuilder(triage.SetMeta{Name: "regions", Kind: triage.SetKindAlert})
	for _, e := range es {
		if _, err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	s, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range es {
		if diff := cmp.Diff(e.Regions, s.Entry(i).Regions); diff != "" {
			t.Errorf("entry %d regions (-want +got):\n%s", i, diff)
		}
	}
	if id, r := s.Region(1); s.NumRegions() != 10 || id != 2 || r != es[2].Regions[0] || s.RegionPHash(1) != r.PHash {
		t.Errorf("%d regions, region 1 = %d, %+v", s.NumRegions(), id, r)
	}

	// No regions: no section, and a version 2 reader's file loads.
	plain := NewBuilder(triage.SetMeta{Name: "plain", Kind: triage.SetKindAlert})
	for _, e := range triagetest.Entries(5, 6) {
		plain.Add(e)
	}
	var pbuf bytes.Buffer
	plain.WriteTo(&pbuf)
	v2 := bytes.Clone(pbuf.Bytes())
	binary.LittleEndian.PutUint32(v2[8:], 2)
	if s, err := Parse(v2); err != nil || len(s.Entry(0).Regions) != 0 {
		t.Errorf("version 2 file: %v", err)
	}

	for name, edit := range map[string]func(data []byte){
		"entry out of range": func(d []byte) { binary.LittleEndian.PutUint32(d[8:], 20) },
		"out of order":       func(d []byte) { binary.LittleEndian.PutUint32(d[8+2*regionSize:], 0) },
		"unknown kind":       func(d []byte) { d[8+4] = 9 },
		"quality over 100":   func(d []byte) { d[8+5] = 101 },
		"count":              func(d []byte) { binary.LittleEndian.PutUint64(d, 11) },
	} {
		bad := rewrite(t, buf.Bytes(), func(kind uint32, data []byte) {
			if kind == secRegions {
				edit(data)
			}
		})
		if _, err := Parse(bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}
}

// withKeypoints gives every third entry a few keypoints.
func withKeypoints(es []triage.Entry) []triage.Entry {
	for i := range es {
		if i%3 == 0 {
			for k := range 2 + i%4 {
				es[i].Keypoints = append(es[i].Keypoints, triage.Keypoint{X: uint8(10 * k), Y: uint8(i), Scale: uint8(20 + k), Angle: uint8(64 * k),
					Desc: uint64(i*7+k) * 0x9e3779b97f4a7c15})
			}
		}
	}
	return es
}

// TestKeypoints checks that entries' keypoints survive compilation, that
// sets of versions 2 and 3 (which have none) and 4 (whose keypoints are
// left out) still load, and that damaged or
// hostile keypoint records are refused.
func TestKeypoints(t *testing.T) {
	es := withKeypoints(withRegions(triagetest.Entries(20, 5)))
	b := NewBuilder(triage.SetMeta{Name: "keypoints", Kind: triage.SetKindAlert})
	want := 0
	for _, e := range es {
		if _, err := b.Add(e); err != nil {
			t.Fatal(err)
		}
		want += len(e.Keypoints)
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	s, err := Parse(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range es {
		if diff := cmp.Diff(e.Keypoints, s.Entry(i).Keypoints); diff != "" {
			t.Errorf("entry %d keypoints (-want +got):\n%s", i, diff)
		}
	}
	if s.KeypointCount() != want {
		t.Fatalf("KeypointCount() = %d, want %d", s.KeypointCount(), want)
	}
	if id, k := s.Keypoint(1); id != 0 || k != es[0].Keypoints[1] {
		t.Errorf("Keypoint(1) = %d, %+v", id, k)
	}
	// A set differing only in one keypoint is another entry, not a duplicate.
	e := es[0]
	e.Keypoints = append([]triage.Keypoint(nil), e.Keypoints...)
	e.Keypoints[0].Desc++
	if added, err := b.Add(e); !added || err != nil {
		t.Errorf("entry with another keypoint: added %v, %v", added, err)
	}

	// Files of versions 2 and 3 have no keypoints section and load.
	plain := NewBuilder(triage.SetMeta{Name: "plain", Kind: triage.SetKindAlert})
	for _, e := range withRegions(triagetest.Entries(5, 6)) {
		plain.Add(e)
	}
	var pbuf bytes.Buffer
	plain.WriteTo(&pbuf)
	for _, v := range []uint32{2, 3} {
		old := bytes.Clone(pbuf.Bytes())
		binary.LittleEndian.PutUint32(old[8:], v)
		if s, err := Parse(old); err != nil || len(s.Entry(0).Keypoints) != 0 || s.KeypointCount() != 0 {
			t.Errorf("version %d file: %v", v, err)
		}
	}
	// A version 4 file's keypoints are of another descriptor: the set
	// loads without them and says how many it left out.
	v4 := bytes.Clone(buf.Bytes())
	binary.LittleEndian.PutUint32(v4[8:], 4)
	if old, err := Parse(v4); err != nil || len(old.Entry(0).Keypoints) != 0 || old.KeypointCount() != 0 || old.OldKeypoints() != want || old.Len() != len(es) {
		t.Errorf("version 4 file: %v", err)
	}
	if s.OldKeypoints() != 0 {
		t.Errorf("version %d file: OldKeypoints() = %d", Version, s.OldKeypoints())
	}

	for name, edit := range map[string]func(data []byte){
		"entry out of range": func(d []byte) { binary.LittleEndian.PutUint32(d[8:], 20) },
		"out of order":       func(d []byte) { binary.LittleEndian.PutUint32(d[8+3*keypointSize:], 0) },
		"count":              func(d []byte) { binary.LittleEndian.PutUint64(d, uint64(want+1)) },
		"huge count":         func(d []byte) { binary.LittleEndian.PutUint64(d, 1<<62) },
	} {
		bad := rewrite(t, buf.Bytes(), func(kind uint32, data []byte) {
			if kind == secKeypoints {
				edit(data)
			}
		})
		if _, err := Parse(bad); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", name, err)
		}
	}

	// More keypoints on one entry than an entry may have.
	many := triagetest.Entries(1, 7)[0]
	many.Keypoints = make([]triage.Keypoint, triage.MaxKeypoints+1)
	if _, err := NewBuilder(triage.SetMeta{Name: "x", Kind: triage.SetKindAlert}).Add(many); err == nil {
		t.Error("entry with too many keypoints: no error")
	}
	// A file whose records give one entry more than that.
	two := triagetest.Entries(2, 8)
	two[0].Keypoints = make([]triage.Keypoint, triage.MaxKeypoints)
	two[1].Keypoints = make([]triage.Keypoint, 1)
	tb := NewBuilder(triage.SetMeta{Name: "x", Kind: triage.SetKindAlert})
	for _, e := range two {
		if _, err := tb.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	var tbuf bytes.Buffer
	tb.WriteTo(&tbuf)
	bad := rewrite(t, tbuf.Bytes(), func(kind uint32, data []byte) {
		if kind == secKeypoints {
			binary.LittleEndian.PutUint32(data[8+triage.MaxKeypoints*keypointSize:], 0)
		}
	})
	if _, err := Parse(bad); !errors.Is(err, ErrCorrupt) {
		t.Errorf("entry with %d keypoints in the file: %v, want ErrCorrupt", triage.MaxKeypoints+1, err)
	}
}
