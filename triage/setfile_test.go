package triage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func testEntries(n int, seed uint64) []Entry {
	rng := rand.New(rand.NewPCG(seed, 1))
	cats := []Category{{}, MustParseCategory("vic-us:1"), MustParseCategory("caid:A"), MustParseCategory("vic-us:0")}
	var es []Entry
	for i := 0; i < n; i++ {
		e := NewEntry()
		e.Pos = int64(i + 1)
		switch i % 4 {
		case 0:
			e.Algos = AlgosCrypto
			for k := range e.MD5 {
				e.MD5[k] = byte(rng.Uint32())
			}
			for k := range e.SHA1 {
				e.SHA1[k] = byte(rng.Uint32())
			}
			for k := range e.SHA256 {
				e.SHA256[k] = byte(rng.Uint32())
			}
			e.Size = int64(rng.IntN(1 << 30))
		case 1:
			e.Algos = AlgoSet(AlgoPDQ)
			for k := range e.PDQ {
				e.PDQ[k] = byte(rng.Uint32())
			}
			e.PDQQuality = rng.IntN(101)
		case 2:
			e.Algos = AlgoSet(AlgoPHash | AlgoMD5)
			e.PHash = PHash(rng.Uint64())
			e.MD5[0], e.MD5[1] = byte(i), byte(i>>8)
			e.PhotoDNA = "AAEC"
		default:
			e.Algos = AlgoSet(AlgoSHA256 | AlgoPDQ)
			e.SHA256[0], e.SHA256[5] = byte(i), 7
			e.PDQ[3] = byte(i)
		}
		e.Category = cats[i%len(cats)]
		if i%7 == 0 {
			e.Kind = SetKindKnownGood // as an NSRL record says
		}
		e.ID = fmt.Sprint(1000 + i)
		if i%3 == 0 {
			e.Name = fmt.Sprintf("dir/ñame,%d \"q\".jpg", i)
			e.Series = "Series " + fmt.Sprint(i%5)
			e.Tags = []string{"a", "b c"}
			e.Flags = FlagVictimIdentified | FlagDistributed
			e.Extra = map[string]string{"IsPrecategorized": "true", "Nested": `{"x":[1,2]}`}
		}
		es = append(es, e)
	}
	return es
}

func TestHashSetRoundTrip(t *testing.T) {
	meta := SetMeta{Name: "benign test set", Version: "3", Kind: SetKindAlert, Created: time.Unix(1700000000, 0).UTC(), PDQRadius: 28}
	b := NewHashSetBuilder(meta)
	es := testEntries(1000, 1)
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
	s, err := ParseHashSet(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	// Entries of both kinds: the set is mixed, each entry keeps its own;
	// the set carries the schemes of its categories.
	meta.Kind = SetKindMixed
	caid, _ := LookupScheme(SchemeCAID)
	vicUS, _ := LookupScheme(SchemeVICUS)
	meta.Schemes = []Scheme{*caid, *vicUS}
	if s.Len() != len(es) || !reflect.DeepEqual(s.Meta, meta) {
		t.Fatalf("loaded %d entries, meta %+v", s.Len(), s.Meta)
	}
	for i, want := range es {
		want.Kind = want.KindIn(SetKindAlert)
		if want.Kind != SetKindAlert && !want.Category.Ignorable() && i%7 != 0 {
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
		if e.Algos.Has(AlgoMD5) {
			n++
		}
	}
	if n != len(ids) {
		t.Errorf("md5 column has %d, want %d", len(ids), n)
	}
	for k, id := range ids {
		if md5s[k] != es[id].MD5 || !es[id].Algos.Has(AlgoMD5) {
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
	if s2, err := ReadHashSetFile(path); err != nil || s2.Len() != len(es) {
		t.Fatalf("ReadHashSetFile: %v", err)
	}
}

func TestHashSetRejectsDamage(t *testing.T) {
	b := NewHashSetBuilder(SetMeta{Name: "x", Kind: SetKindKnownGood})
	for _, e := range testEntries(50, 2) {
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
		s, err := ParseHashSet(bad)
		if err == nil {
			// Only the reserved fields of the section table may change freely.
			if rel := (off - 24) % 40; off < 24+40*9 && (rel >= 4 && rel < 8 || rel >= 28) {
				continue
			}
			t.Fatalf("flipped byte %d: loaded %d entries without error", off, s.Len())
		}
		if !errors.Is(err, ErrCorruptSet) && ErrorCode(err) == EINTERNAL {
			t.Fatalf("flipped byte %d: unexpected error %v", off, err)
		}
	}
	for _, bad := range [][]byte{nil, []byte("WINNOWHS"), good[:len(good)/2], []byte("not a set at all, just text....")} {
		if _, err := ParseHashSet(bad); err == nil {
			t.Errorf("ParseHashSet(%d bytes) succeeded", len(bad))
		}
	}
	future := bytes.Clone(good)
	future[8] = SetFileVersion + 1
	if _, err := ParseHashSet(future); ErrorCode(err) != EUNSUPPORTED {
		t.Errorf("future version: %v", err)
	}
}

func TestSetMetaValidate(t *testing.T) {
	for _, m := range []SetMeta{{Kind: SetKindAlert}, {Name: "x", Kind: "bad"}, {Name: "x", Kind: SetKindAlert, PDQRadius: 300}} {
		if m.Validate() == nil {
			t.Errorf("%+v: no error", m)
		}
	}
}

func FuzzParseHashSet(f *testing.F) {
	b := NewHashSetBuilder(SetMeta{Name: "fuzz", Kind: SetKindAlert})
	for _, e := range testEntries(8, 3) {
		b.Add(e)
	}
	var buf bytes.Buffer
	b.WriteTo(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte("WINNOWHS\x01\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseHashSet(data)
		if err != nil {
			return
		}
		for i := 0; i < s.Len(); i++ {
			s.Entry(i)
		}
	})
}

// asVersion1 rewrites a compiled set as version 1 wrote it: no kind in
// the records (the set's kind applies to every entry).
func asVersion1(t *testing.T, buf []byte) []byte {
	t.Helper()
	buf = bytes.Clone(buf)
	binary.LittleEndian.PutUint32(buf[8:], 1)
	nsec := int(binary.LittleEndian.Uint32(buf[12:]))
	for i := range nsec {
		p := buf[24+40*i:]
		if binary.LittleEndian.Uint32(p) != secRecords {
			continue
		}
		off, n := binary.LittleEndian.Uint64(p[8:]), binary.LittleEndian.Uint64(p[16:])
		recs := buf[off : off+n]
		for r := 0; r < len(recs); r += recordSize {
			recs[r+7] = 0
		}
		binary.LittleEndian.PutUint32(p[24:], crc32.Checksum(recs, castagnoli))
	}
	return buf
}

// TestHashSetVersion1 loads sets in the format before entry kinds: a
// known-good one matches as known-good entry by entry, and a version 1
// file cannot claim to be mixed.
func TestHashSetVersion1(t *testing.T) {
	b := NewHashSetBuilder(SetMeta{Name: "nsrl", Kind: SetKindKnownGood})
	for _, e := range testEntries(40, 5) {
		e.Kind = ""
		b.Add(e)
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	s, err := ParseHashSet(asVersion1(t, buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for i := range s.Len() {
		if e := s.Entry(i); s.Kind(i) != SetKindKnownGood || e.Kind != SetKindKnownGood {
			t.Fatalf("entry %d: kind %s / %s in a known-good version 1 set", i, s.Kind(i), e.Kind)
		}
	}
	m := NewMatcher(MatcherOptions{})
	m.AddSet(s)
	e := s.Entry(0)
	if ms := m.Match(&Fingerprint{Digests: Digests{MD5: e.MD5, SHA1: e.SHA1, SHA256: e.SHA256}}); len(ms) == 0 || ms[0].SetKind != SetKindKnownGood {
		t.Fatalf("matches %+v", ms)
	}

	mixed := NewHashSetBuilder(SetMeta{Name: "mixed", Kind: SetKindAlert})
	for _, e := range testEntries(40, 5) {
		mixed.Add(e)
	}
	buf.Reset()
	mixed.WriteTo(&buf)
	if _, err := ParseHashSet(asVersion1(t, buf.Bytes())); !errors.Is(err, ErrCorruptSet) {
		t.Errorf("version 1 mixed set: %v", err)
	}
	// A version 2 record without a kind is damage.
	noKind := asVersion1(t, buf.Bytes())
	binary.LittleEndian.PutUint32(noKind[8:], 2)
	if _, err := ParseHashSet(noKind); !errors.Is(err, ErrCorruptSet) {
		t.Errorf("version 2 record without a kind: %v", err)
	}
}

// TestHashSetCarriesSchemes builds a set with a custom scheme and loads it
// in a process that does not know the scheme (as serve and worker are):
// the categories parse, label and are ignorable as defined; a process
// that knows the scheme otherwise keeps its own and is told.
func TestHashSetCarriesSchemes(t *testing.T) {
	lab := &Scheme{Name: "lab-test-carried", Labels: map[string]string{"X": "Lab X", "OK": "Lab benign"},
		Ints: map[int]string{1: "X", 9: "OK"}, Ignorable: map[string]bool{"OK": true}}
	if err := RegisterScheme(lab); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { forgetScheme(lab.Name) })
	b := NewHashSetBuilder(SetMeta{Name: "custom", Kind: SetKindAlert})
	for i, c := range []string{"lab-test-carried:X", "lab-test-carried:OK"} {
		e := testEntries(2, 8)[i]
		e.Category, e.Kind = MustParseCategory(c), ""
		if _, err := b.Add(e); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := b.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	forgetScheme(lab.Name) // as in another process
	s, err := ParseHashSet(bytes.Clone(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if c, err := ParseCategory("lab-test-carried:OK"); err != nil || !c.Ignorable() || c.Label() != "Lab benign" {
		t.Errorf("carried scheme not adopted: %v %v", c, err)
	}
	if s.Kind(0) != SetKindAlert || s.Kind(1) != SetKindKnownGood || len(s.SchemeConflicts()) != 0 {
		t.Errorf("kinds %s %s, conflicts %v", s.Kind(0), s.Kind(1), s.SchemeConflicts())
	}

	other := *lab
	other.Ignorable = nil
	forgetScheme(lab.Name)
	RegisterScheme(&other)
	s, err = ParseHashSet(bytes.Clone(buf.Bytes()))
	if err != nil || !slices.Equal(s.SchemeConflicts(), []string{lab.Name}) {
		t.Errorf("conflicting definition: %v %v", s.SchemeConflicts(), err)
	}

	// A category of a scheme nobody registered cannot be written.
	bad := NewHashSetBuilder(SetMeta{Name: "bad", Kind: SetKindAlert})
	e := testEntries(1, 8)[0]
	e.Category = Category{"nobody-registered", "1"}
	bad.Add(e)
	if _, err := bad.WriteTo(io.Discard); err == nil || !strings.Contains(err.Error(), "not registered") {
		t.Errorf("unregistered scheme: %v", err)
	}
}

// forgetScheme removes a scheme from the registry (tests only).
func forgetScheme(name string) {
	schemesMu.Lock()
	defer schemesMu.Unlock()
	delete(schemes, name)
}

// BenchmarkLoadHashSet measures loading a compiled set of 1M entries
// (scale linearly for the 10M figure in the README).
func BenchmarkLoadHashSet(b *testing.B) {
	bld := NewHashSetBuilder(SetMeta{Name: "bench", Kind: SetKindAlert})
	for _, e := range testEntries(1_000_000, 4) {
		bld.Add(e)
	}
	var buf bytes.Buffer
	bld.WriteTo(&buf)
	b.SetBytes(int64(buf.Len()))
	for b.Loop() {
		if _, err := ParseHashSet(buf.Bytes()); err != nil {
			b.Fatal(err)
		}
	}
}

// TestHashSetEntryOrderColumns reads a set written before the digest
// columns were sorted (testdata/set-entry-order.wset: testEntries(120, 9),
// columns in entry order): it must load, give the same entries, and
// match through every column.
func TestHashSetEntryOrderColumns(t *testing.T) {
	s, err := ReadHashSetFile(filepath.Join("testdata", "set-entry-order.wset"))
	if err != nil {
		t.Fatal(err)
	}
	es := testEntries(120, 9)
	if s.Len() != len(es) {
		t.Fatalf("Len() = %d, want %d", s.Len(), len(es))
	}
	if s.md5.byHash || s.sha1.byHash || s.sha256.byHash {
		t.Fatalf("an entry-order column read as hash order")
	}
	for i, want := range es {
		want.Kind = SetKindAlert // version 1: every entry is of the set's kind
		if got := s.Entry(i); !reflect.DeepEqual(got, want) {
			t.Fatalf("entry %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
	m := NewMatcher(MatcherOptions{})
	m.AddSet(s)
	for i, e := range es {
		if !e.Algos.Has(AlgoMD5) {
			continue
		}
		fp := Fingerprint{Digests: Digests{MD5: e.MD5}}
		if ms := m.Match(&fp); len(ms) != 1 || ms[0].Entry != i {
			t.Fatalf("MD5 of entry %d: matches %+v", i, ms)
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
