package hashing

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/jpegpart"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// TestTruncatedJPEG: a JPEG cut short is hashed from the rows its data
// holds, marked partial, with its declared size and the digests of its
// bytes; a fragment too small stays an error. Both builds (libjpeg-turbo
// and pure Go) take this path.
func TestTruncatedJPEG(t *testing.T) {
	const w, h = 400, 300
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			v := uint8((x/25+y/25)%2*160 + x*60/w)
			img.Set(x, y, color.RGBA{v, uint8(y * 255 / h), 255 - v, 255})
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	hs := New(Options{})
	ctx := context.Background()

	cut := b[:len(b)*6/10]
	fp := hs.HashBytes(ctx, cut)
	if fp.Err != nil || !fp.Perceptual || !fp.Partial || fp.Width != w || fp.Height != h {
		t.Fatalf("cut at 60%%: err %v, perceptual %v, partial %v, %dx%d", fp.Err, fp.Perceptual, fp.Partial, fp.Width, fp.Height)
	}
	if fp.SHA256 != triage.SHA256(sha256.Sum256(cut)) {
		t.Error("the digests are not of the file's bytes")
	}
	if !strings.Contains(fp.Decoder, "cut short") {
		t.Errorf("decoder %q does not say which rows", fp.Decoder)
	}
	// The hashes are those of the rows the data holds, cut out of the
	// complete picture (within PDQ's usual match distance, 31), far from
	// the whole picture's.
	part, err := jpegpart.Visible(cut)
	if err != nil {
		t.Fatal(err)
	}
	full, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	var top bytes.Buffer
	if err := png.Encode(&top, full.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(0, 0, w, part.Rows))); err != nil {
		t.Fatal(err)
	}
	want := hs.HashBytes(ctx, top.Bytes())
	whole := hs.HashBytes(ctx, b)
	// (The decoders' chroma at the last rows and the PNG's RGB luma move
	// a few bits: 14 with image/jpeg, 20 with libjpeg-turbo.)
	if d := fp.PDQ.Distance(want.PDQ); d > 31 || fp.PDQ.Distance(whole.PDQ) < 64 {
		t.Errorf("PDQ %d bits from the top %d rows' (%d from the whole picture's)", d, part.Rows, fp.PDQ.Distance(whole.PDQ))
	}
	if whole.Partial || whole.Err != nil {
		t.Errorf("the complete file: partial %v, %v", whole.Partial, whole.Err)
	}

	// A fragment: under 1/8 of the rows.
	q := bytes.Index(b, []byte{0xff, 0xda})
	fp = hs.HashBytes(ctx, b[:q+(len(b)-q)/20])
	if fp.Err == nil || fp.Perceptual || !strings.Contains(triage.ErrorMessage(fp.Err), "too little of the picture") {
		t.Errorf("fragment: perceptual %v, err %v", fp.Perceptual, fp.Err)
	}
}

// TestUndecodable: the error of a decoder that cannot read the picture
// (a PNG cut short, a JPEG fragment) is marked ErrUndecodable and keeps
// its code and message; a JPEG cut short hashes, and an error that is not
// the decoder's (a picture too small to hash) is not marked.
func TestUndecodable(t *testing.T) {
	hs := New(Options{})
	ctx := context.Background()
	var p bytes.Buffer
	if err := png.Encode(&p, triagetest.Photo(320, 240, 7)); err != nil {
		t.Fatal(err)
	}
	j := triagetest.PhotoJPEG(400, 300, 8, 90)
	sos := bytes.Index(j, []byte{0xff, 0xda})
	var tiny bytes.Buffer
	if err := png.Encode(&tiny, image.NewGray(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name        string
		b           []byte
		err, marked bool
	}{
		{"PNG cut at 60%", p.Bytes()[:p.Len()*6/10], true, true},
		{"JPEG fragment", j[:sos+(len(j)-sos)/20], true, true},
		{"JPEG cut at 60%", j[:len(j)*6/10], false, false},
		{"whole PNG", p.Bytes(), false, false},
		{"4x4 PNG", tiny.Bytes(), true, false},
		{"text", []byte("not a picture at all"), false, false},
	} {
		fp := hs.HashBytes(ctx, tc.b)
		if (fp.Err != nil) != tc.err || errors.Is(fp.Err, ErrUndecodable) != tc.marked {
			t.Errorf("%s: err %v, marked undecodable %v; want error %v, marked %v", tc.name, fp.Err, errors.Is(fp.Err, ErrUndecodable), tc.err, tc.marked)
		}
		if tc.marked && triage.ErrorCode(fp.Err) != triage.EINVALID {
			t.Errorf("%s: code %q, want %q", tc.name, triage.ErrorCode(fp.Err), triage.EINVALID)
		}
	}
}
