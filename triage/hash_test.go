package triage

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
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

func TestKnownDigests(t *testing.T) {
	// Known answers for "abc" (FIPS 180 / RFC 1321 test vectors).
	d := newDigester(AlgosCrypto).sumBytes([]byte("abc"))
	if got, want := d.MD5.String(), "900150983cd24fb0d6963f7d28e17f72"; got != want {
		t.Errorf("md5 = %s, want %s", got, want)
	}
	if got, want := d.SHA1.String(), "a9993e364706816aba3e25717850c26c9cd0d89d"; got != want {
		t.Errorf("sha1 = %s, want %s", got, want)
	}
	if got, want := d.SHA256.String(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"; got != want {
		t.Errorf("sha256 = %s, want %s", got, want)
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

func TestDigestStreamMatchesBytes(t *testing.T) {
	data := make([]byte, 3*streamChunkSize+12345)
	for i := range data {
		data[i] = byte(i*7 + i>>9)
	}
	want := Digests{MD5: md5.Sum(data), SHA1: sha1.Sum(data), SHA256: sha256.Sum256(data)}
	for _, algos := range []AlgoSet{AlgosCrypto, AlgoSet(AlgoSHA256), AlgoSet(AlgoMD5 | AlgoSHA1)} {
		var tee strings.Builder
		n, got, err := newDigester(algos).sumStream(strings.NewReader(string(data)), &tee)
		if err != nil || n != int64(len(data)) {
			t.Fatalf("%v: sumStream = %d, %v", algos, n, err)
		}
		if tee.Len() != len(data) {
			t.Errorf("%v: tee got %d bytes, want %d", algos, tee.Len(), len(data))
		}
		if algos.Has(AlgoMD5) && got.MD5 != want.MD5 || algos.Has(AlgoSHA1) && got.SHA1 != want.SHA1 ||
			algos.Has(AlgoSHA256) && got.SHA256 != want.SHA256 {
			t.Errorf("%v: stream digests %+v, want %+v", algos, got, want)
		}
		if b := newDigester(algos).sumBytes(data); b != got {
			t.Errorf("%v: bytes digests %+v differ from stream %+v", algos, b, got)
		}
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
