package formats

import (
	"encoding/binary"
	"encoding/hex"
	"os"
	"reflect"
	"strings"
	"testing"
)

func TestEnCaseFixture(t *testing.T) {
	s := samples(t)
	head, err := os.ReadFile("testdata/synthetic/encase/synthetic.hash")
	if err != nil {
		t.Fatal(err)
	}
	if f, err := Detect(head, "synthetic.hash"); f != EnCase || err != nil {
		t.Errorf("Detect = %v, %v; want %v", f, err, EnCase)
	}
	r := readFixture(t, "synthetic/encase/synthetic.hash", Options{})
	checkEntries(t, r.entries, []entrySummary{
		plainEntry(1, md5Of(s[0])), plainEntry(2, md5Of(s[1])), plainEntry(3, md5Of(s[2])),
	})
	if len(r.rejects) != 0 || r.fatal != nil {
		t.Errorf("rejects %v, fatal %v", r.rejects, r.fatal)
	}
	want := map[string]string{"name": "Synthetic Set", "category": "Notable", "version": "2", "header_0x0c": "1", "count": "3", "kind": "known-bad"}
	if !reflect.DeepEqual(r.meta, want) {
		t.Errorf("meta %v, want %v", r.meta, want)
	}
}

// encaseFile builds a .hash file with the given declared count and entries.
func encaseFile(count uint32, name, category string, entries ...[]byte) []byte {
	b := make([]byte, encaseHeaderLen)
	copy(b, encaseSig)
	binary.LittleEndian.PutUint32(b[encaseVersionOff:], 2)
	binary.LittleEndian.PutUint32(b[encaseFieldOff:], 1)
	binary.LittleEndian.PutUint32(b[encaseCountOff:], count)
	for i, c := range []rune(name) {
		binary.LittleEndian.PutUint16(b[encaseNameOff+2*i:], uint16(c))
	}
	for i, c := range []rune(category) {
		binary.LittleEndian.PutUint16(b[encaseCatOff+2*i:], uint16(c))
	}
	for _, e := range entries {
		b = append(b, e...)
	}
	return b
}

func encaseEntry(md5hex string, trailer ...byte) []byte {
	b, _ := hex.DecodeString(md5hex)
	return append(b, append(trailer, make([]byte, 2-len(trailer))...)...)
}

func TestEnCaseHostile(t *testing.T) {
	s := samples(t)
	e0, e1 := encaseEntry(s[0].MD5), encaseEntry(s[1].MD5)
	full := encaseFile(2, "N", "Known", e0, e1)
	tests := []struct {
		name    string
		in      []byte
		entries int
		rejects []int64
		fatal   string
		openErr string
		meta    map[string]string
	}{
		{name: "known", in: full, entries: 2, meta: map[string]string{"kind": "known-good", "name": "N"}},
		{name: "truncated entry", in: full[:len(full)-5], entries: 1, fatal: "entry 2 at offset 0x492 cut off after 13 of 18 bytes"},
		{name: "fewer than declared", in: encaseFile(1000000, "N", "", e0), entries: 1, fatal: "declares 1000000 entries, the file holds 1"},
		{name: "more than declared", in: encaseFile(0, "N", "", e0), entries: 1, fatal: "declares 0 entries, the file holds 1"},
		{name: "zero and empty-file md5", in: encaseFile(3, "", "", make([]byte, 18), encaseEntry("d41d8cd98f00b204e9800998ecf8427e"), e1),
			entries: 1, rejects: []int64{1, 2}},
		{name: "trailer kept", in: encaseFile(1, "", "", encaseEntry(s[0].MD5, 1, 2)), entries: 1},
		{name: "truncated header", in: full[:100], openErr: "truncated header: 100 of 1152 bytes"},
		{name: "no signature", in: []byte("HASH\r\n\xfe\x00"), openErr: "no EnCase .hash signature"},
		{name: "empty", in: nil, openErr: "no EnCase .hash signature"},
		{name: "odd utf-16 name", in: func() []byte {
			b := encaseFile(0, "", "")
			copy(b[encaseNameOff:], "\x00\xd8\x41\x00") // unpaired surrogate, then 'A'
			return b
		}(), meta: map[string]string{"name": "\ufffdA"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, err := NewReader(strings.NewReader(string(tt.in)), Options{Format: EnCase})
			if tt.openErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.openErr) {
					t.Fatalf("open error %v, want %q", err, tt.openErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			r := collect(t, src)
			if len(r.entries) != tt.entries {
				t.Errorf("%d entries, want %d", len(r.entries), tt.entries)
			}
			if !reflect.DeepEqual(r.rejectPos(), tt.rejects) {
				t.Errorf("rejected %v, want %v", shortList(r.rejects), tt.rejects)
			}
			if tt.fatal == "" && r.fatal != nil || tt.fatal != "" && (r.fatal == nil || !strings.Contains(r.fatal.Error(), tt.fatal)) {
				t.Errorf("fatal error %v, want %q", r.fatal, tt.fatal)
			}
			for k, v := range tt.meta {
				if r.meta[k] != v {
					t.Errorf("meta %s = %q, want %q", k, r.meta[k], v)
				}
			}
			if tt.name == "trailer kept" && r.entries[0].Extra["trailer"] != "0102" {
				t.Errorf("extra %v", r.entries[0].Extra)
			}
		})
	}
}

func FuzzEnCase(f *testing.F) {
	addFixtures(f, "synthetic/encase/synthetic.hash")
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzSource(t, data, Options{Format: EnCase})
	})
}
