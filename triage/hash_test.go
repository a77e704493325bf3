package triage

import (
	"strings"
	"testing"
)

func TestParseString(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		parse func(string) (string, error)
	}{
		{"md5", "d41d8cd98f00b204e9800998ecf8427e", func(s string) (string, error) { h, err := ParseMD5(s); return h.String(), err }},
		{"sha1", "da39a3ee5e6b4b0d3255bfef95601890afd80709", func(s string) (string, error) { h, err := ParseSHA1(s); return h.String(), err }},
		{"sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", func(s string) (string, error) { h, err := ParseSHA256(s); return h.String(), err }},
		{"pdq", "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22", func(s string) (string, error) { h, err := ParsePDQ(s); return h.String(), err }},
		{"phash", "00ff00ff00ff00ff", func(s string) (string, error) { h, err := ParsePHash(s); return h.String(), err }},
		{"dhash", "8000000000000001", func(s string) (string, error) { h, err := ParseDHash(s); return h.String(), err }},
		{"ahash", "0123456789abcdef", func(s string) (string, error) { h, err := ParseAHash(s); return h.String(), err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse(strings.ToUpper(tt.in) + "\n")
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			if got != tt.in {
				t.Errorf("round trip = %q, want %q (lowercase)", got, tt.in)
			}
			for _, bad := range []string{"", tt.in[1:], tt.in + "0", "g" + tt.in[1:]} {
				if _, err := tt.parse(bad); ErrorCode(err) != EINVALID {
					t.Errorf("parse(%q) error = %v, want code %s", bad, err, EINVALID)
				}
			}
		})
	}
}

func TestDistance(t *testing.T) {
	a, _ := ParsePDQ("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")
	b := a
	b[0] ^= 0x80
	b[31] ^= 0x03
	b[17] ^= 0xff
	var zero, ones PDQ
	for i := range ones {
		ones[i] = 0xff
	}
	tests := []struct {
		name string
		got  int
		want int
	}{
		{"pdq same", a.Distance(a), 0},
		{"pdq 11 bits", a.Distance(b), 11},
		{"pdq symmetric", b.Distance(a), 11},
		{"pdq all", zero.Distance(ones), 256},
		{"phash", PHash(0).Distance(PHash(0xff)), 8},
		{"dhash", DHash(1 << 63).Distance(DHash(1)), 2},
		{"ahash", AHash(^uint64(0)).Distance(AHash(0)), 64},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: distance = %d, want %d", tt.name, tt.got, tt.want)
		}
	}
	// PDQ hashes are comparable values usable as map keys.
	m := map[PDQ]int{a: 1}
	if m[b] != 0 || m[a] != 1 {
		t.Error("PDQ map lookup failed")
	}
}

func TestParseAlgoSet(t *testing.T) {
	tests := []struct {
		in   string
		want AlgoSet
		err  bool
	}{
		{"md5", AlgoSet(AlgoMD5), false},
		{"MD5, sha-256", AlgoSet(AlgoMD5 | AlgoSHA256), false},
		{"default", AlgosDefault, false},
		{"all", AlgosAll, false},
		{"crypto,pdq", AlgosCrypto | AlgoSet(AlgoPDQ), false},
		{"pdq8", AlgoSet(AlgoPDQDihedral), false},
		{"", 0, true},
		{"md6", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseAlgoSet(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseAlgoSet(%q) = %v, %v; want %v, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
	if got := AlgosDefault.String(); got != "md5,sha1,sha256,pdq,phash,dhash" {
		t.Errorf("AlgosDefault.String() = %q", got)
	}
}

func FuzzParseHashes(f *testing.F) {
	f.Add("d41d8cd98f00b204e9800998ecf8427e")
	f.Add("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22")
	f.Add("00ff00ff00ff00ff")
	f.Add(" DA39A3EE5E6B4B0D3255BFEF95601890AFD80709\r\n")
	f.Add("zz")
	f.Fuzz(func(t *testing.T, s string) {
		check := func(kind string, str string, err error) {
			if err == nil && str != strings.ToLower(strings.TrimSpace(s)) {
				t.Fatalf("%s: parse(%q).String() = %q", kind, s, str)
			}
			if err != nil && ErrorCode(err) != EINVALID {
				t.Fatalf("%s: error %v has code %s", kind, err, ErrorCode(err))
			}
		}
		m, err := ParseMD5(s)
		check("md5", m.String(), err)
		s1, err := ParseSHA1(s)
		check("sha1", s1.String(), err)
		s2, err := ParseSHA256(s)
		check("sha256", s2.String(), err)
		p, err := ParsePDQ(s)
		check("pdq", p.String(), err)
		ph, err := ParsePHash(s)
		check("phash", ph.String(), err)
		dh, err := ParseDHash(s)
		check("dhash", dh.String(), err)
	})
}
