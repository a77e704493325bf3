package formats

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
)

func TestXWaysFixtures(t *testing.T) {
	s := samples(t)
	tests := []struct {
		file string
		want []entrySummary
		meta map[string]string
	}{
		{"synthetic/xways/Synthetic_Notable_Set.txt", []entrySummary{
			plainEntry(2, md5Of(s[0])), plainEntry(3, md5Of(s[1])), plainEntry(4, md5Of(s[2])), plainEntry(5, md5Of(s[3])),
		}, map[string]string{"hash_type": "MD5"}},
		{"synthetic/xways/Synthetic_SHA256_Set.txt", []entrySummary{
			plainEntry(2, sha256Of(s[0])), plainEntry(3, sha256Of(s[1])),
		}, map[string]string{"hash_type": "SHA-256"}},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.file), func(t *testing.T) {
			head, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if f, err := Detect(head, tt.file); f != XWays || err != nil {
				t.Errorf("Detect = %v, %v; want %v", f, err, XWays)
			}
			r := readFixture(t, tt.file, Options{})
			checkEntries(t, r.entries, tt.want)
			if len(r.rejects) != 0 || r.fatal != nil {
				t.Errorf("rejects %v, fatal %v", r.rejects, r.fatal)
			}
			if !reflect.DeepEqual(r.meta, tt.meta) {
				t.Errorf("meta %v, want %v", r.meta, tt.meta)
			}
		})
	}
}

func TestXWaysHostile(t *testing.T) {
	s := samples(t)
	tests := []struct {
		name    string
		in      string
		opt     Options
		want    []string
		rejects []int64
		openErr string
		code    string
	}{
		// X-Ways may write SHA-1 in Base32.
		{name: "base32 sha1", in: "SHA-1\r\nRZS4OUVSVXIQZYCMXYMECKWCAEIWFY5A\r\nrzs4ouvsvxiqzycmxymeckwcaeiwfy5a\r\n" + s[1].SHA1 + "\r\n",
			want: []string{sha1Of(s[0]), sha1Of(s[0]), sha1Of(s[1])}},
		{name: "bad base32", in: "SHA1\nRZS4OUVSVXIQZYCMXYMECKWCAEIWFY51\n", rejects: []int64{2}},
		{name: "wrong length", in: "MD5\n" + s[0].SHA1 + "\n\n" + s[0].MD5 + "\n", want: []string{md5Of(s[0])}, rejects: []int64{2}},
		{name: "not hex", in: "md5\n" + strings.Repeat("g", 32) + "\n", rejects: []int64{2}},
		{name: "huge line", in: "MD5\n" + strings.Repeat("a", 2000) + "\n" + s[0].MD5, opt: Options{MaxLineBytes: 100},
			want: []string{md5Of(s[0])}, rejects: []int64{2}},
		{name: "empty-file hash", in: "MD5\nd41d8cd98f00b204e9800998ecf8427e\n", rejects: []int64{2}},
		{name: "unsupported type", in: "CRC32\n31490E05\n", openErr: "CRC32 hashes are not ones Winnow matches", code: triage.EUNSUPPORTED},
		{name: "not a type", in: "hello\n", openErr: "not a hash type", code: triage.EINVALID},
		{name: "empty", in: "\n\n", openErr: "empty file", code: triage.EINVALID},
		{name: "header only", in: "SHA-256\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opt.Format = XWays
			r, err := readString(t, tt.in, tt.opt)
			if tt.openErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.openErr) || triage.ErrorCode(err) != tt.code {
					t.Fatalf("open error %v, want %s %q", err, tt.code, tt.openErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			var got []string
			for _, e := range r.entries {
				got = append(got, hashes(e))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("entries %v, want %v", got, tt.want)
			}
			if !reflect.DeepEqual(r.rejectPos(), tt.rejects) {
				t.Errorf("rejected %v, want %v", shortList(r.rejects), tt.rejects)
			}
			if r.fatal != nil {
				t.Errorf("fatal %v", r.fatal)
			}
		})
	}
}

func FuzzXWays(f *testing.F) {
	addFixtures(f, "synthetic/xways/Synthetic_Notable_Set.txt", "synthetic/xways/Synthetic_SHA256_Set.txt")
	f.Add([]byte("SHA-1\r\nRZS4OUVSVXIQZYCMXYMECKWCAEIWFY5A\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fuzzSource(t, data, Options{Format: XWays, MaxLineBytes: 300})
	})
}
