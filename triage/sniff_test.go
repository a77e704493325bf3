package triage

import (
	"bytes"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
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
		kind Kind
	}{
		{"jpeg", encoded(t, func(b *bytes.Buffer, m image.Image) error { return jpeg.Encode(b, m, nil) }), MIMEJPEG, KindImage},
		{"png", encoded(t, func(b *bytes.Buffer, m image.Image) error { return png.Encode(b, m) }), MIMEPNG, KindImage},
		{"gif", encoded(t, func(b *bytes.Buffer, m image.Image) error { return gif.Encode(b, m, nil) }), MIMEGIF, KindImage},
		{"bmp", encoded(t, func(b *bytes.Buffer, m image.Image) error { return bmp.Encode(b, m) }), MIMEBMP, KindImage},
		{"tiff", encoded(t, func(b *bytes.Buffer, m image.Image) error { return tiff.Encode(b, m, nil) }), MIMETIFF, KindImage},
		{"tiff big-endian", []byte("MM\x00*\x00\x00\x00\x08"), MIMETIFF, KindImage},
		{"webp", []byte("RIFF\x10\x00\x00\x00WEBPVP8 "), MIMEWebP, KindImage},
		{"heic", ftyp("heic", "mif1", "heic"), MIMEHEIC, KindImage},
		{"heif", ftyp("mif1", "mif1"), MIMEHEIF, KindImage},
		{"avif", ftyp("avif", "mif1", "avif"), MIMEAVIF, KindImage},
		{"mp4", ftyp("isom", "isom", "mp41"), "video/mp4", KindVideo},
		{"mov", ftyp("qt  ", "qt  "), "video/quicktime", KindVideo},
		{"3gp", ftyp("3gp5", "3gp5"), "video/3gpp", KindVideo},
		{"old mov", []byte("\x00\x00\x00\x08wide\x00\x00\x10\x00mdat"), "video/quicktime", KindVideo},
		{"webm", []byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm"), "video/webm", KindVideo},
		{"mkv", []byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x88matroska"), "video/x-matroska", KindVideo},
		{"avi", []byte("RIFF\x10\x00\x00\x00AVI LIST"), "video/x-msvideo", KindVideo},
		{"asf", []byte("\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c"), "video/x-ms-asf", KindVideo},
		{"flv", []byte("FLV\x01\x05"), "video/x-flv", KindVideo},
		{"mpeg-ps", []byte("\x00\x00\x01\xba\x44"), "video/mpeg", KindVideo},
		{"zip", []byte("PK\x03\x04\x14\x00"), "application/zip", KindArchive},
		{"empty zip", []byte("PK\x05\x06\x00\x00"), "application/zip", KindArchive},
		{"gzip", []byte("\x1f\x8b\x08\x00"), "application/gzip", KindArchive},
		{"7z", []byte("7z\xbc\xaf\x27\x1c\x00\x04"), "application/x-7z-compressed", KindArchive},
		{"tar", tarHeader(), "application/x-tar", KindArchive},
		{"pdf", []byte("%PDF-1.7\n"), "application/pdf", KindDocument},
		{"text", []byte("hello, world\n"), MIMEUnknown, KindUnknown},
		{"empty", nil, MIMEUnknown, KindUnknown},
		{"bm but not bmp", []byte("BMW owners club newsletter"), MIMEUnknown, KindUnknown},
		{"jpeg+zip polyglot", append([]byte("\xff\xd8\xff\xe0"), []byte("PK\x03\x04")...), MIMEJPEG, KindImage},
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
		if mt.Decodable() && mt.Kind != KindImage {
			t.Fatalf("decodable %s is not an image", mt.MIME)
		}
	})
}
