package phone_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/container"
	"github.com/winnow-forensics/winnow/triage/phone"
	"github.com/winnow-forensics/winnow/triage/phone/phonetest"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

var (
	t1 = time.Date(2024, 3, 1, 10, 0, 0, 0, time.UTC)
	t2 = time.Date(2024, 3, 2, 11, 30, 0, 0, time.UTC)
	t3 = time.Date(2024, 3, 3, 12, 45, 0, 0, time.UTC)
)

// got is one visited member, as the tests compare it.
type got struct {
	inner, raw string
	size       int64
	content    []byte
	digestOnly bool
	err        string
	origin     *triage.Origin
	times      container.Times
}

func expand(t *testing.T, data []byte, opt container.Options) ([]got, container.Stats, error) {
	t.Helper()
	var out []got
	st, err := phone.Extractions.Expand(context.Background(), bytes.NewReader(data), int64(len(data)), opt, func(m *container.Member, r io.Reader) error {
		g := got{inner: m.Inner, raw: m.RawName, size: m.Size, digestOnly: m.Digests != nil, origin: m.Origin(), times: m.Times}
		if m.Err != nil {
			g.err = m.Err.Error()
		}
		if r != nil {
			b, err := io.ReadAll(r)
			if err != nil {
				g.err += " read: " + err.Error()
			}
			g.content = b
		}
		out = append(out, g)
		return nil
	})
	return out, st, err
}

func find(t *testing.T, gs []got, inner string) got {
	t.Helper()
	for _, g := range gs {
		if g.inner == inner {
			return g
		}
	}
	t.Fatalf("no member %q among %d", inner, len(gs))
	return got{}
}

func TestExpandUFDR(t *testing.T) {
	photo := triagetest.PhotoJPEG(64, 48, 1, 90)
	gone := sha256.Sum256([]byte("a picture no longer on the phone"))
	data, err := phonetest.UFDR([]phonetest.Entry{
		{Path: "/private/var/mobile/Media/DCIM/100APPLE/IMG_0001.JPG", Content: photo, Created: t1, Modified: t2, Accessed: t3},
		{Path: "/private/var/mobile/Media/DCIM/100APPLE/IMG_0002.JPG", Deleted: true, Content: []byte("deleted bytes"), LocalPath: "files/Image/IMG_0002.JPG", Modified: t1, MD5: "xyz"},
		{Path: "/data/media/0/gone.jpg", SHA256: hex.EncodeToString(gone[:]), Deleted: true},
		{Path: "/data/media/0/missing.jpg", LocalPath: "files/Image/missing.jpg", MD5: "not-a-digest"},
		{Path: "/../../etc/evil\u202egpj.exe", Content: []byte("traversal"), LocalPath: "files/Image/evil.jpg"},
	}, phonetest.File{Name: "files/Other/unlisted.bin", Data: []byte("not in the report")})
	if err != nil {
		t.Fatal(err)
	}
	gs, st, err := expand(t, data, container.Options{Name: "phone.ufdr"})
	if err != nil {
		t.Fatalf("Expand: %v", err)
	}
	if st.Members != 6 || len(gs) != 6 || st.Format != "Cellebrite UFDR" {
		t.Fatalf("members: stats %d, visited %d, want 6; format %q", st.Members, len(gs), st.Format)
	}

	g := find(t, gs, "private/var/mobile/Media/DCIM/100APPLE/IMG_0001.JPG")
	if !bytes.Equal(g.content, photo) || g.err != "" || g.raw != "" {
		t.Errorf("IMG_0001: content %d bytes (want %d), err %q, raw %q", len(g.content), len(photo), g.err, g.raw)
	}
	o := g.origin
	if o == nil || o.DevicePath != "/private/var/mobile/Media/DCIM/100APPLE/IMG_0001.JPG" || o.Deleted || o.DigestOnly ||
		o.Extraction != "0 Logical" || o.FileID != "file-0" || o.FS != "Test phone" ||
		!o.Created.Equal(t1) || !o.Modified.Equal(t2) || !o.Accessed.Equal(t3) {
		t.Errorf("IMG_0001 origin = %+v", o)
	}
	if o != nil && (o.Offset < 0 || !bytes.Equal(data[o.Offset:o.Offset+o.Length], photo)) {
		t.Errorf("IMG_0001 offset %d length %d do not locate its bytes in the UFDR", o.Offset, o.Length)
	}

	// A flaw in the record (a malformed MD5) does not make a file whose
	// content was read an error.
	if g := find(t, gs, "private/var/mobile/Media/DCIM/100APPLE/IMG_0002.JPG"); g.origin == nil || !g.origin.Deleted || string(g.content) != "deleted bytes" || g.err != "" {
		t.Errorf("IMG_0002: origin %+v content %q err %q", g.origin, g.content, g.err)
	}

	g = find(t, gs, "data/media/0/gone.jpg")
	if !g.digestOnly || g.origin == nil || !g.origin.DigestOnly || !g.origin.Deleted || g.content != nil || g.err != "" {
		t.Errorf("gone.jpg: digest only %v, origin %+v, content %v, err %q", g.digestOnly, g.origin, g.content, g.err)
	}

	g = find(t, gs, "data/media/0/missing.jpg")
	if g.content != nil || !strings.Contains(g.err, "not in the UFDR") || !strings.Contains(g.err, "not a digest") {
		t.Errorf("missing.jpg: content %v, err %q", g.content, g.err)
	}

	g = find(t, gs, "etc/evil%E2%80%AEgpj.exe")
	if g.raw != `"../../etc/evil\u202egpj.exe"` || string(g.content) != "traversal" {
		t.Errorf("traversal: raw %s content %q", g.raw, g.content)
	}

	if g := find(t, gs, "$Extraction/files/Other/unlisted.bin"); string(g.content) != "not in the report" || g.origin != nil {
		t.Errorf("unlisted entry: content %q origin %+v", g.content, g.origin)
	}
}

func TestExpandUFDRDigestsMatchContent(t *testing.T) {
	// The digests handed on for a digest-only entry are those recorded.
	sum := sha256.Sum256([]byte("x"))
	data, err := phonetest.UFDR([]phonetest.Entry{{Path: "/a.jpg", SHA256: hex.EncodeToString(sum[:]), MD5: "0123456789abcdef0123456789ABCDEF"}})
	if err != nil {
		t.Fatal(err)
	}
	var d *triage.Digests
	_, err = phone.Extractions.Expand(context.Background(), bytes.NewReader(data), int64(len(data)), container.Options{}, func(m *container.Member, r io.Reader) error {
		d = m.Digests
		return nil
	})
	if err != nil || d == nil || d.SHA256 != sum || d.MD5.String() != "0123456789abcdef0123456789abcdef" || !d.SHA1.IsZero() {
		t.Fatalf("digests %+v, err %v", d, err)
	}
}

func TestExpandUFDRHostile(t *testing.T) {
	bomb := bytes.Repeat([]byte{0}, 64<<20) // deflates to ~64 KiB: over a ratio of 100
	data, err := phonetest.UFDR([]phonetest.Entry{{Path: "/bomb.bin", LocalPath: "files/bomb.bin"}, {Path: "/ok.txt", Content: []byte("ok"), LocalPath: "files/ok.txt"}},
		phonetest.File{Name: "files/bomb.bin", Data: bomb})
	if err != nil {
		t.Fatal(err)
	}
	gs, _, err := expand(t, data, container.Options{Limits: container.Limits{MaxRatio: 100, RatioFloor: 1 << 20}})
	if err != nil {
		t.Fatal(err)
	}
	if g := find(t, gs, "bomb.bin"); g.content != nil || !strings.Contains(g.err, "zip bomb") {
		t.Errorf("bomb: %d bytes read, err %q", len(g.content), g.err)
	}
	if g := find(t, gs, "ok.txt"); string(g.content) != "ok" {
		t.Errorf("ok.txt: %q", g.content)
	}

	// A report that breaks off: the files before stand, the zip's other
	// entries are still analysed, and the expansion says why.
	full, err := phonetest.UFDR([]phonetest.Entry{{Path: "/a.txt", Content: []byte("a"), LocalPath: "files/a.txt"}})
	if err != nil {
		t.Fatal(err)
	}
	var report bytes.Buffer
	if err := phonetest.WriteReport(&report, entries(2)); err != nil {
		t.Fatal(err)
	}
	cut := report.Bytes()[:report.Len()*2/3]
	broken, err := phonetest.Zip(phonetest.File{Name: "report.xml", Data: cut}, phonetest.File{Name: "files/Image/e1.jpg", Data: []byte("e1")})
	if err != nil {
		t.Fatal(err)
	}
	gs, _, err = expand(t, broken, container.Options{})
	if err == nil || !strings.Contains(err.Error(), "report.xml") {
		t.Errorf("broken report: err %v", err)
	}
	if len(gs) < 2 || gs[0].inner != "DCIM/e0.jpg" || gs[len(gs)-1].inner != "$Extraction/files/Image/e1.jpg" {
		t.Errorf("broken report: members %+v", gs)
	}
	if _, _, err := expand(t, full, container.Options{}); err != nil {
		t.Errorf("full report: %v", err)
	}
}

// entries generates n entries without content.
func entries(n int) func(*phonetest.Entry) bool {
	i := 0
	return func(e *phonetest.Entry) bool {
		if i == n {
			return false
		}
		*e = phonetest.Entry{Path: "/DCIM/e" + string(rune('0'+i%10)) + ".jpg", MD5: "00112233445566778899aabbccddeeff", Modified: t1}
		i++
		return true
	}
}

func TestExpandPlainZip(t *testing.T) {
	data, err := phonetest.Zip(phonetest.File{Name: "holiday/a.txt", Data: []byte("a")}, phonetest.File{Name: "notes/report.xml.bak", Data: []byte("b")})
	if err != nil {
		t.Fatal(err)
	}
	gs, _, err := expand(t, data, container.Options{})
	if err != nil || len(gs) != 2 || gs[0].inner != "holiday/a.txt" || gs[0].origin != nil {
		t.Fatalf("plain zip: %+v, %v", gs, err)
	}
}

// extendedTime is an Info-ZIP extended timestamp extra field with
// modification, access and creation times.
func extendedTime(m, a, c time.Time) []byte {
	b := []byte{0x55, 0x54, 13, 0, 7}
	for _, t := range []time.Time{m, a, c} {
		b = binary.LittleEndian.AppendUint32(b, uint32(t.Unix()))
	}
	return b
}

// ntfsTime is an NTFS extra field (tag 1) with the three times.
func ntfsTime(m, a, c time.Time) []byte {
	b := []byte{0x0a, 0, 32, 0, 0, 0, 0, 0, 1, 0, 24, 0}
	for _, t := range []time.Time{m, a, c} {
		b = binary.LittleEndian.AppendUint64(b, uint64(t.UnixNano()/100+116444736000000000))
	}
	return b
}

func TestExpandGrayKey(t *testing.T) {
	photo := triagetest.PhotoJPEG(32, 32, 2, 90)
	data, err := phonetest.Zip(
		phonetest.File{Name: "private/var/mobile/Media/DCIM/100APPLE/IMG_0001.JPG", Data: photo, Extra: extendedTime(t2, t3, t1)},
		phonetest.File{Name: "private/var/mobile/Media/DCIM/100APPLE/IMG_0002.JPG", Data: photo, Extra: ntfsTime(t2, t3, t1.Add(123*time.Millisecond))},
		phonetest.File{Name: "private/var/mobile/Library/SMS/sms.db", Data: []byte("db"), Modified: t1},
	)
	if err != nil {
		t.Fatal(err)
	}
	// As Info-ZIP writes it, the central directory's extended timestamp
	// keeps only the modification time (its flags still announce all
	// three): the others are read from the local header. Patch the
	// central copy of IMG_0001's field to that form, same length.
	ext := extendedTime(t2, t3, t1)
	if i := bytes.LastIndex(data, ext); i < 0 || i == bytes.Index(data, ext) {
		t.Fatal("no central copy of the extra field")
	} else {
		short := append([]byte{0x55, 0x54, 5, 0}, ext[4:9]...)
		short = append(short, 0xfe, 0xca, 4, 0, 0, 0, 0, 0)
		copy(data[i:], short)
	}
	gs, st, err := expand(t, data, container.Options{})
	if err != nil || st.Members != 3 || st.Format != "GrayKey file system" {
		t.Fatalf("Expand: %d members, format %q, %v", st.Members, st.Format, err)
	}
	for _, c := range []struct {
		inner    string
		modified time.Time
		accessed time.Time
		created  time.Time
	}{
		{"private/var/mobile/Media/DCIM/100APPLE/IMG_0001.JPG", t2, t3, t1},
		{"private/var/mobile/Media/DCIM/100APPLE/IMG_0002.JPG", t2, t3, t1.Add(123 * time.Millisecond)},
		{"private/var/mobile/Library/SMS/sms.db", t1, time.Time{}, time.Time{}},
	} {
		g := find(t, gs, c.inner)
		if o := g.origin; o == nil || o.DevicePath != "/"+c.inner || !o.Modified.Equal(c.modified) || !o.Accessed.Equal(c.accessed) || !o.Created.Equal(c.created) {
			t.Errorf("%s: origin %+v, want modified %v accessed %v created %v", c.inner, g.origin, c.modified, c.accessed, c.created)
		}
	}
}

func TestLayoutOf(t *testing.T) {
	for _, c := range []struct {
		names []string
		want  phone.Layout
	}{
		{[]string{"files/Image/a.jpg", "report.xml"}, phone.UFDR},
		{[]string{"./Report.XML"}, phone.UFDR},
		{[]string{"case/report.xml"}, phone.PlainZip},
		{[]string{"private/var/mobile/a"}, phone.GrayKey},
		{[]string{"00008030-001/private/var/mobile/a"}, phone.GrayKey},
		{[]string{"a/b/private/var/x"}, phone.PlainZip},
	} {
		var fs []phonetest.File
		for _, n := range c.names {
			fs = append(fs, phonetest.File{Name: n, Data: []byte("x")})
		}
		data, err := phonetest.Zip(fs...)
		if err != nil {
			t.Fatal(err)
		}
		z, err := openZip(data)
		if err != nil {
			t.Fatal(err)
		}
		if got := phone.LayoutOf(z); got != c.want {
			t.Errorf("LayoutOf(%q) = %v, want %v", c.names, got, c.want)
		}
	}
}

func TestExpandUFDREncrypted(t *testing.T) {
	// A password-protected UFDR: entries flagged encrypted are errors
	// saying so, report.xml included.
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"report.xml", "files/Image/a.jpg"} {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Flags: 0x1})
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("ciphertext"))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	gs, _, err := expand(t, buf.Bytes(), container.Options{})
	if err == nil || !strings.Contains(err.Error(), "encrypted") {
		t.Errorf("err = %v, want the report's encryption", err)
	}
	if len(gs) != 1 || gs[0].inner != "$Extraction/files/Image/a.jpg" || !strings.Contains(gs[0].err, "encrypted") || gs[0].content != nil {
		t.Errorf("members %+v", gs)
	}
}

func TestExpandUFDRNestedArchive(t *testing.T) {
	// A zip on the phone is expanded within the same limits, its members
	// under its device path.
	inner, err := phonetest.Zip(phonetest.File{Name: "chat/b.txt", Data: []byte("inner")})
	if err != nil {
		t.Fatal(err)
	}
	data, err := phonetest.UFDR([]phonetest.Entry{{Path: "/sdcard/Download/backup.zip", Content: inner, Modified: t1}})
	if err != nil {
		t.Fatal(err)
	}
	gs, st, err := expand(t, data, container.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(gs) != 2 || st.Members != 2 || st.Containers != 2 {
		t.Fatalf("members %+v, stats %+v", gs, st)
	}
	if g := gs[0]; g.inner != "sdcard/Download/backup.zip!/chat/b.txt" || string(g.content) != "inner" {
		t.Errorf("nested member %+v", g)
	}
	if g := gs[1]; g.inner != "sdcard/Download/backup.zip" || g.origin == nil || g.origin.DevicePath != "/sdcard/Download/backup.zip" || !g.origin.Modified.Equal(t1) {
		t.Errorf("the zip itself %+v", g)
	}
}
