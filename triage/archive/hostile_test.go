package archive

import (
	"github.com/winnow-forensics/winnow/triage/container"

	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"slices"
	"strings"
	"testing"
)

// Hostile archives, made by the tests themselves (bombs are tiny when
// compressed, but generating them keeps the repository free of them).

func zeros(n int) []byte { return make([]byte, n) }

func TestZipBombDeclared(t *testing.T) {
	b := mustZip(t, file{"ok.txt", []byte("fine")}, file{"bomb.bin", zeros(2 << 20)})
	got, _, err := walkAll(t, b, container.Options{Limits: container.Limits{MaxRatio: 10, RatioFloor: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	m := byInner(got)
	if s := m["bomb.bin"]; !strings.Contains(s.err, "zip bomb") || s.data != "" {
		t.Errorf("bomb member: err %q, %d bytes read; want a zip-bomb error and nothing read", s.err, len(s.data))
	}
	if m["ok.txt"].data != "fine" {
		t.Errorf("the other member was not read: %+v", m["ok.txt"])
	}
}

// TestZipLyingSizes: a member whose header declares a few bytes but whose
// data expands to megabytes is cut off at the declared size.
func TestZipLyingSizes(t *testing.T) {
	var comp bytes.Buffer
	{
		zw := zip.NewWriter(&comp)
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: "x", Method: zip.Deflate})
		w.Write(zeros(4 << 20))
		zw.Close()
	}
	// Take the deflated data of the real archive and store it under a
	// header that lies about the size.
	zr, err := zip.NewReader(bytes.NewReader(comp.Bytes()), int64(comp.Len()))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := zr.File[0].OpenRaw()
	data := new(bytes.Buffer)
	data.ReadFrom(raw)
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	w, err := zw.CreateRaw(&zip.FileHeader{Name: "liar.bin", Method: zip.Deflate, CompressedSize64: uint64(data.Len()), UncompressedSize64: 100, CRC32: crc32.ChecksumIEEE(zeros(100))})
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data.Bytes())
	zw.Close()

	got, _, err := walkAll(t, out.Bytes(), container.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].readErr == "" || len(got[0].data) > 100+64<<10 {
		t.Errorf("got %d bytes, read error %q; want a read error near the declared 100 bytes", len(got[0].data), got[0].readErr)
	}
}

// TestGzipBomb: a gzip stream inside a larger tar, so that only the
// stream's own ratio check can catch it.
func TestGzipBomb(t *testing.T) {
	noise := make([]byte, 2<<20)
	for i := range noise {
		noise[i] = byte(i*7919 + i>>9)
	}
	b := mustTar(t, reg("noise.bin", noise), reg("bomb.gz", mustGzip(t, "", zeros(8<<20))))
	got, _, err := walkAll(t, b, container.Options{Limits: container.Limits{MaxRatio: 100, RatioFloor: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	m := byInner(got)
	if s := m["bomb.gz!/bomb"]; !strings.Contains(s.readErr, "expands more than 100 times") || len(s.data) > 4<<20 {
		t.Errorf("bomb member: %d bytes, read error %q; want the stream ratio error soon after the floor", len(s.data), s.readErr)
	}
}

// TestInputRatio: members each too small to trip the per-member check
// together expand the input past the ratio, which stops the walk.
func TestInputRatio(t *testing.T) {
	var files []file
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		files = append(files, file{n, zeros(1 << 19)})
	}
	b := mustZip(t, files...)
	got, _, err := walkAll(t, b, container.Options{Limits: container.Limits{MaxRatio: 50, RatioFloor: 1 << 20}})
	if err == nil || !strings.Contains(err.Error(), "times its size") {
		t.Fatalf("Walk error %v, want the input ratio error", err)
	}
	if len(got) > 3 {
		t.Errorf("%d members visited; the walk should stop at the third", len(got))
	}
}

func TestTotalAndMemberLimits(t *testing.T) {
	b := mustTar(t, reg("a", zeros(1<<20)), reg("big", zeros(3<<20)), reg("b", zeros(1<<20)), reg("c", zeros(1<<20)))
	got, _, err := walkAll(t, b, container.Options{Limits: container.Limits{MaxTotalBytes: 5 << 19, MaxMemberBytes: 2 << 20}})
	if err == nil || !strings.Contains(err.Error(), "in all") {
		t.Fatalf("Walk error %v, want the total-bytes error", err)
	}
	m := byInner(got)
	if !strings.Contains(m["big"].err, "over the limit") {
		t.Errorf("big member: %q, want the member limit error", m["big"].err)
	}
	if s := m["c"]; !strings.Contains(s.readErr, "in all") || len(s.data) >= 1<<20 {
		t.Errorf("member c: %d bytes, read error %q; want it cut off by the total limit", len(s.data), s.readErr)
	}
}

// TestZipOverlap: two directory entries share one member's data, the
// building block of non-recursive zip bombs.
func TestZipOverlap(t *testing.T) {
	b := mustZip(t, file{"one", []byte(strings.Repeat("x", 1000))}, file{"two", []byte("y")}, file{"three", []byte("z")})
	// Point the second central directory record at the first local header.
	recs := bytes.Split(b, []byte("PK\x01\x02"))
	if len(recs) != 4 {
		t.Fatalf("unexpected layout: %d parts", len(recs))
	}
	first := bytes.Index(b, []byte("PK\x01\x02"))
	second := first + 4 + len(recs[1])
	binary.LittleEndian.PutUint32(b[second+42:], 0)
	got, _, err := walkAll(t, b, container.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := byInner(got)
	for _, n := range []string{"one", "two"} {
		if !strings.Contains(m[n].err, "overlaps") {
			t.Errorf("%s: err %q, want an overlap error", n, m[n].err)
		}
	}
	if m["three"].data != "z" {
		t.Errorf("three: %+v, want it read", m["three"])
	}
}

func TestHostileNames(t *testing.T) {
	names := []string{"../../etc/passwd", "/abs/x.jpg", `C:\Windows\evil.jpg`, "a\x00b.jpg", "photo\u202egpj.exe", "fake.zip!/x.jpg"}
	var files []file
	var tes []tarEntry
	want := []string{"etc/passwd", "abs/x.jpg", "Windows/evil.jpg", "a%00b.jpg", "photo%E2%80%AEgpj.exe", "fake.zip%21/x.jpg"}
	for _, n := range names {
		files = append(files, file{n, []byte(n)})
		if !strings.Contains(n, "\x00") { // tar cannot store a NUL in a name
			tes = append(tes, reg(n, []byte(n)))
		}
	}
	for _, b := range [][]byte{mustZip(t, files...), mustTar(t, tes...)} {
		got, _, err := walkAll(t, b, container.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range got {
			i := slices.Index(names, s.data)
			if i < 0 || s.inner != want[i] || s.raw == "" {
				t.Errorf("member %q: inner %q raw %s; want the sanitised name with the raw name kept", s.data, s.inner, s.raw)
			}
		}
		if len(got) < len(names)-1 {
			t.Errorf("%d members, want %d", len(got), len(names))
		}
	}
}

func TestDeepNesting(t *testing.T) {
	b := mustZip(t, file{"leaf.txt", []byte("leaf")})
	for range 5 {
		b = mustZip(t, file{"n.zip", b})
	}
	got, _, err := walkAll(t, b, container.Options{Limits: container.Limits{MaxDepth: 3}})
	if err != nil {
		t.Fatal(err)
	}
	var deepest seen
	for _, s := range got {
		if s.err != "" {
			deepest = s
		}
		if s.depth > 3 {
			t.Errorf("%s at depth %d, over the limit", s.inner, s.depth)
		}
	}
	if deepest.inner != "n.zip!/n.zip!/n.zip" || !strings.Contains(deepest.err, "not expanded") || deepest.data == "" {
		t.Errorf("deepest archive %+v: want n.zip!/n.zip!/n.zip reported as not expanded, still readable", deepest)
	}
}

func TestZipUnreadableMembers(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "secret.jpg", Method: zip.Store, Flags: 0x1})
	w.Write([]byte("ciphertext"))
	w, _ = zw.CreateRaw(&zip.FileHeader{Name: "lzma.bin", Method: 14, CompressedSize64: 3, UncompressedSize64: 3})
	w.Write([]byte("abc"))
	link := &zip.FileHeader{Name: "link", Method: zip.Store}
	link.SetMode(0o777 | 1<<27) // fs.ModeSymlink
	w, _ = zw.CreateHeader(link)
	w.Write([]byte("/etc/passwd"))
	w, _ = zw.Create("fine.txt")
	w.Write([]byte("fine"))
	zw.Close()
	got, _, err := walkAll(t, buf.Bytes(), container.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := byInner(got)
	for name, want := range map[string]string{"secret.jpg": "encrypted", "lzma.bin": "LZMA", "link": "symbolic link"} {
		if s := m[name]; !strings.Contains(s.err, want) || s.data != "" {
			t.Errorf("%s: err %q data %q; want an error mentioning %q", name, s.err, s.data, want)
		}
	}
	if m["fine.txt"].data != "fine" {
		t.Errorf("fine.txt not read: %+v", m["fine.txt"])
	}
}

func TestTooManyMembers(t *testing.T) {
	var files []file
	var tes []tarEntry
	for i := range 10 {
		n := string(rune('a' + i))
		files = append(files, file{n, []byte(n)})
		tes = append(tes, reg(n, []byte(n)))
	}
	got, _, err := walkAll(t, mustZip(t, files...), container.Options{Limits: container.Limits{MaxEntries: 5}})
	if err == nil || len(got) != 0 {
		t.Errorf("zip: %d members, error %v; want none and a member-count error", len(got), err)
	}
	got, _, err = walkAll(t, mustTar(t, tes...), container.Options{Limits: container.Limits{MaxEntries: 5}})
	if err == nil || len(got) != 5 {
		t.Errorf("tar: %d members, error %v; want 5 and a member-count error", len(got), err)
	}
}

// TestZipDirectoryFlood: a central directory holding far more records
// than the end record declares is refused before archive/zip allocates
// them.
func TestZipDirectoryFlood(t *testing.T) {
	var files []file
	for i := range 300 {
		files = append(files, file{string(rune(0x4e00 + i)), nil})
	}
	b := mustZip(t, files...)
	// Make the end record claim one entry.
	eocd := bytes.LastIndex(b, []byte("PK\x05\x06"))
	binary.LittleEndian.PutUint16(b[eocd+8:], 1)
	binary.LittleEndian.PutUint16(b[eocd+10:], 1)
	_, _, err := walkAll(t, b, container.Options{Limits: container.Limits{MaxEntries: 100}})
	if err == nil || !strings.Contains(err.Error(), "more than 100 members") {
		t.Errorf("error %v, want the member-count error", err)
	}
}

func TestDamagedArchives(t *testing.T) {
	tb := mustTar(t, reg("a", []byte("aaaa")), reg("b", zeros(4096)), reg("c", []byte("c")))
	zb := mustZip(t, file{"a", []byte("a")})
	tests := []struct {
		name    string
		data    []byte
		members int
		errHas  string
	}{
		{"truncated tar", tb[:1024+512], 1, "tar"},
		{"zip without directory", zb[:len(zb)-30], 0, "zip"},
		{"garbage after PK", append([]byte("PK\x03\x04"), bytes.Repeat([]byte{0xee}, 200)...), 0, "zip"},
		{"gzip header only", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"), 0, "gzip"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, err := walkAll(t, tt.data, container.Options{Name: "x.gz"})
			n := 0
			for _, s := range got {
				if s.readErr == "" {
					n++
				}
			}
			if n != tt.members || (err == nil && !anyReadErr(got)) {
				t.Errorf("%d clean members, error %v, members %+v; want %d and an error", n, err, got, tt.members)
			}
			if err != nil && !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("error %q does not mention %s", err, tt.errHas)
			}
		})
	}
}

func anyReadErr(ss []seen) bool {
	for _, s := range ss {
		if s.readErr != "" {
			return true
		}
	}
	return false
}

func TestNestedZipOverMemoryLimit(t *testing.T) {
	inner := mustZip(t, file{"x.txt", bytes.Repeat([]byte("0123456789"), 2000)})
	outer := mustTar(t, reg("big.zip", inner), tarEntry{hdr: tar.Header{Name: "z.7z", Typeflag: tar.TypeReg, Size: 8}, data: []byte("7z\xbc\xaf\x27\x1c\x00\x04")})
	got, _, err := walkAll(t, outer, container.Options{Limits: container.Limits{MaxNestedBytes: 100}})
	if err != nil {
		t.Fatal(err)
	}
	m := byInner(got)
	if s := m["big.zip"]; !strings.Contains(s.err, "in-memory limit") || s.data != string(inner) {
		t.Errorf("big.zip: err %q, %d bytes; want not expanded but readable", s.err, len(s.data))
	}
	if _, ok := m["big.zip!/x.txt"]; ok {
		t.Errorf("big.zip was expanded")
	}
	if s := m["z.7z"]; !strings.Contains(s.err, "7z") || len(s.data) != 8 {
		t.Errorf("z.7z: %+v; want not expanded but readable", s)
	}
}
