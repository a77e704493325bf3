package setfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

func TestHashSetRoundTrip(t *testing.T) {
	meta := triage.SetMeta{Name: "benign test set", Version: "3", Kind: triage.KindAlert, Created: time.Unix(1700000000, 0).UTC(), PDQRadius: 28}
	b := NewBuilder(meta)
	es := triagetest.Entries(1000, 1)
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
	if s.Len() != len(es) || !reflect.DeepEqual(s.Meta, meta) {
		t.Fatalf("loaded %d entries, meta %+v", s.Len(), s.Meta)
	}
	for i, want := range es {
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
	b := NewBuilder(triage.SetMeta{Name: "x", Kind: triage.KindKnownGood})
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
	v2 := bytes.Clone(good)
	v2[8] = 2
	if _, err := Parse(v2); triage.ErrorCode(err) != triage.EUNSUPPORTED {
		t.Errorf("future version: %v", err)
	}
}

func TestSetMetaValidate(t *testing.T) {
	for _, m := range []triage.SetMeta{{Kind: triage.KindAlert}, {Name: "x", Kind: "bad"}, {Name: "x", Kind: triage.KindAlert, PDQRadius: 300}} {
		if m.Validate() == nil {
			t.Errorf("%+v: no error", m)
		}
	}
}

func FuzzParseHashSet(f *testing.F) {
	b := NewBuilder(triage.SetMeta{Name: "fuzz", Kind: triage.KindAlert})
	for _, e := range triagetest.Entries(8, 3) {
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

// BenchmarkLoadHashSet measures loading a compiled set of 1M entries
// (scale linearly for the 10M figure in the README).
func BenchmarkLoadHashSet(b *testing.B) {
	bld := NewBuilder(triage.SetMeta{Name: "bench", Kind: triage.KindAlert})
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
