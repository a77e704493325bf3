package archive

import (
	"github.com/winnow-forensics/winnow/triage/container"

	"archive/tar"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

// fuzzLimits keep each fuzz run small.
var fuzzLimits = container.Limits{MaxDepth: 4, MaxEntries: 64, MaxMemberBytes: 1 << 20, MaxTotalBytes: 4 << 20, MaxRatio: 50, RatioFloor: 256 << 10, MaxNestedBytes: 1 << 20}

// fuzzWalk walks b and checks what every walk must guarantee, whatever
// the input: no panic, bounded output, safe names.
func fuzzWalk(t *testing.T, b []byte) {
	var total int64
	_, _ = Walk(context.Background(), bytes.NewReader(b), int64(len(b)), container.Options{Limits: fuzzLimits, Name: "f.gz"}, func(m *container.Member, r io.Reader) error {
		checkName(t, m.Inner)
		if m.Depth < 1 || m.Depth > fuzzLimits.MaxDepth {
			t.Fatalf("%q at depth %d", m.Inner, m.Depth)
		}
		if r != nil {
			n, _ := io.Copy(io.Discard, r)
			if n > fuzzLimits.MaxMemberBytes+64<<10 {
				t.Fatalf("%q yielded %d bytes, over the member limit", m.Inner, n)
			}
			total += n
		}
		return nil
	})
	// Nested archives are read once to expand and once more by the
	// visitor, so the visitor may see up to twice the limit.
	if total > 2*fuzzLimits.MaxTotalBytes+1<<20 {
		t.Fatalf("visitor read %d bytes, over the total limit", total)
	}
}

func checkName(t *testing.T, inner string) {
	for _, part := range strings.Split(inner, "!/") {
		if part == "" || strings.HasPrefix(part, "/") || !utf8.ValidString(part) {
			t.Fatalf("unsafe inner path %q", inner)
		}
		for _, el := range strings.Split(part, "/") {
			if el == "" || el == "." || el == ".." || strings.ContainsAny(el, "\x00\\") {
				t.Fatalf("unsafe element %q in %q", el, inner)
			}
		}
	}
}

func FuzzZip(f *testing.F) {
	inner := mustZip(f, file{"c.txt", []byte("deep")})
	f.Add(mustZip(f, file{"a/b.txt", []byte("b")}, file{"n.zip", inner}, file{"../x", []byte("x")}))
	f.Add(mustZip(f, file{"z", zeros(1 << 16)}))
	f.Add(mustZip(f, file{"t.tgz", mustGzip(f, "", mustTar(f, reg("x", []byte("x"))))}))
	f.Add([]byte("PK\x05\x06\x00\x00\x00\x00\xff\xff\xff\xff\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(fuzzWalk)
}

func FuzzTar(f *testing.F) {
	f.Add(mustTar(f, reg("a.txt", []byte("a")), reg("/abs/../b", []byte("b")),
		tarEntry{hdr: tar.Header{Name: "l", Typeflag: tar.TypeSymlink, Linkname: "/etc"}}))
	f.Add(mustGzip(f, "", mustTar(f, reg("x.zip", mustZip(f, file{"y", []byte("y")})))))
	f.Add(mustGzip(f, "name.txt", zeros(1<<16)))
	f.Add(mustRead(f, "hello.txt.bz2"))
	f.Fuzz(fuzzWalk)
}

func FuzzCleanName(f *testing.F) {
	for _, s := range []string{"a/b", "../../x", `C:\x\y`, "a\x00b", "\u202e", "x!/y", "//", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		name, _ := CleanName(raw)
		if name == "" {
			return
		}
		if strings.Contains(name, "!/") {
			t.Fatalf("CleanName(%q) = %q holds the nesting separator", raw, name)
		}
		checkName(t, name)
		if again, changed := CleanName(name); again != name || changed {
			t.Fatalf("CleanName is not idempotent: %q -> %q -> %q", raw, name, again)
		}
	})
}
