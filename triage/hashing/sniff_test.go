package hashing

import (
	"bytes"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"

	"github.com/winnow-forensics/winnow/triage"
)

func encoded(t testing.TB, enc func(*bytes.Buffer, image.Image) error) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := enc(&b, image.NewRGBA(image.Rect(0, 0, 16, 16))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func ftyp(major string, compat ...string) []byte {
	b := []byte{0, 0, 0, 0}
	b = append(b, "ftyp"+major+"\x00\x00\x00\x00"...)
	for _, c := range compat {
		b = append(b, c...)
	}
	b[3] = byte(len(b))
	return append(b, "\x00\x00\x00\x08free"...)
}

func tarHeader() []byte {
	h := make([]byte, 1024)
	copy(h, "file.txt")
	copy(h[257:], "ustar\x0000")
	return h
}

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		head []byte
		mime string
		kind triage.Kind
	}{
		{"jpeg", encoded(t, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) }), triage.MIMEJPEG, triage.KindImage},
		{"png", encoded(t, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) }), triage.MIMEPNG, triage.KindImage},
		{"gif", encoded(t, func(b *bytes.Buffer, m image.Image) error { return gif.Encode(b, m, nil) }), triage.MIMEGIF, triage.KindImage},
		{"bmp", encoded(t, func(b *bytes.Buffer, m image.Image) error { return bmp.Encode(b, m) }), triage.MIMEBMP, triage.KindImage},
		{"tiff", encoded(t, func(b *bytes.Buffer, m image.Image) error { return tiff.Encode(b, m, nil) }), triage.MIMETIFF, triage.KindImage},
		{"tiff big-endian", []byte("MM\x00*\x00\x00\x00\x08"), triage.MIMETIFF, triage.KindImage},
		{"webp", []byte("RIFF\x10\x00\x00\x00WEBPVP8 "), triage.MIMEWebP, triage.KindImage},
		{"heic", ftyp("heic", "mif1", "heic"), triage.MIMEHEIC, triage.KindImage},
		{"heif", ftyp("mif1", "mif1"), triage.MIMEHEIF, triage.KindImage},
		{"avif", ftyp("avif", "mif1", "avif"), triage.MIMEAVIF, triage.KindImage},
		{"mp4", ftyp("isom", "isom", "mp41"), "video/mp4", triage.KindVideo},
		{"mov", ftyp("qt  ", "qt  "), "video/quicktime", triage.KindVideo},
		{"3gp", ftyp("3gp5", "3gp5"), "video/3gpp", triage.KindVideo},
		{"old mov", []byte("\x00\x00\x00\x08wide\x00\x00\x10\x00mdat"), "video/quicktime", triage.KindVideo},
		{"webm", []byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm"), "video/webm", triage.KindVideo},
		{"mkv", []byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska"), "video/x-matroska", triage.KindVideo},
		{"avi", []byte("RIFF\x10\x00\x00\x00AVI LIST"), "video/x-msvideo", triage.KindVideo},
		{"asf", []byte("\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c"), "video/x-ms-asf", triage.KindVideo},
		{"flv", []byte("FLV\x01\x05"), "video/x-flv", triage.KindVideo},
		{"mpeg-ps", []byte("\x00\x00\x01\xba\x44"), "video/mpeg", triage.KindVideo},
		{"zip", []byte("PK\x03\x04\x14\x00"), "application/zip", triage.KindArchive},
		{"empty zip", []byte("PK\x05\x06\x00\x00"), "application/zip", triage.KindArchive},
		{"gzip", []byte("\x1f\x8b\x08\x00"), "application/gzip", triage.KindArchive},
		{"7z", []byte("7z\xbc\xaf\x27\x1c\x00\x04"), "application/x-7z-compressed", triage.KindArchive},
		{"tar", tarHeader(), "application/x-tar", triage.KindArchive},
		{"pdf", []byte("%PDF-1.7\n"), "application/pdf", triage.KindDocument},
		{"text", []byte("hello, world\n"), triage.MIMEUnknown, triage.KindUnknown},
		{"empty", nil, triage.MIMEUnknown, triage.KindUnknown},
		{"bm but not bmp", []byte("BMW owners club newsletter"), triage.MIMEUnknown, triage.KindUnknown},
		{"jpeg+zip polyglot", append([]byte("\xff\xd8\xff\xe0"), []byte("PK\x03\x04")...), triage.MIMEJPEG, triage.KindImage},
	}
	for _, tt := range tests {
		got := Sniff(tt.head)
		if got.MIME != tt.mime || got.Kind != tt.kind {
			t.Errorf("%s: Sniff = %s/%s, want %s/%s", tt.name, got.MIME, got.Kind, tt.mime, tt.kind)
		}
	}
}

func FuzzSniff(f *testing.F) {
	f.Add([]byte("\xff\xd8\xff"))
	f.Add(ftyp("heic", "mif1"))
	f.Add([]byte("\x00\x00\x00\x08wide\x00\x00\x00\x00mdat"))
	f.Add(tarHeader())
	f.Add([]byte("\x00\x00\x00\xffftyp"))
	f.Fuzz(func(t *testing.T, b []byte) {
		mt := Sniff(b)
		if mt.MIME == "" {
			t.Fatal("empty MIME type")
		}
		if mt.Decodable() && mt.Kind != triage.KindImage {
			t.Fatalf("decodable %s is not an image", mt.MIME)
		}
	})
}
