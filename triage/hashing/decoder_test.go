package hashing

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

// fakeHEIC stands for an isolated HEIC decoder: it "decodes" every HEIC
// file to the same image, or fails with err.
type fakeHEIC struct {
	img image.Image
	err error
}

func (fakeHEIC) Name() string                     { return "fake-heic" }
func (fakeHEIC) Accepts(mt triage.MediaType) bool { return mt.MIME == triage.MIMEHEIC }
func (d fakeHEIC) DecodeStill(_ context.Context, _ []byte, _ Limits) (image.Image, error) {
	return d.img, d.err
}

// TestStillDecoder checks that a registered still decoder gives a HEIC
// file the fingerprint of any image with the same pixels, and that its
// errors become the item's.
func TestStillDecoder(t *testing.T) {
	img := triagetest.Photo(320, 240, 7)
	var pngFile bytes.Buffer
	if err := png.Encode(&pngFile, img); err != nil {
		t.Fatal(err)
	}
	heic := ftyp("heic", "mif1", "heic")
	ctx := context.Background()

	if fp := New(Options{}).HashBytes(ctx, heic); triage.ErrorCode(fp.Err) != triage.EUNSUPPORTED || fp.Perceptual {
		t.Errorf("no decoder: err %v, perceptual %v; want EUNSUPPORTED", fp.Err, fp.Perceptual)
	}
	h := New(Options{Views: true, Decoders: []Decoder{fakeHEIC{img: img}}})
	want := h.HashBytes(ctx, pngFile.Bytes())
	got := h.HashBytes(ctx, heic)
	if got.Err != nil || !got.Perceptual || got.Decoder != "fake-heic" || got.Type.MIME != triage.MIMEHEIC {
		t.Fatalf("decoded: err %v, perceptual %v, decoder %q, type %v", got.Err, got.Perceptual, got.Decoder, got.Type)
	}
	if got.PDQ != want.PDQ || got.PHash != want.PHash || got.PDQDihedral != want.PDQDihedral || len(got.Views) != len(want.Views) ||
		got.Width != 320 || got.Height != 240 {
		t.Errorf("HEIC fingerprint differs from the same pixels as PNG:\n got %v %v %dx%d\nwant %v %v", got.PDQ, got.PHash, got.Width, got.Height, want.PDQ, want.PHash)
	}
	bad := New(Options{Decoders: []Decoder{fakeHEIC{err: triage.Errorf(triage.ETOOLARGE, "too many pixels")}}})
	if fp := bad.HashBytes(ctx, heic); triage.ErrorCode(fp.Err) != triage.ETOOLARGE || fp.SHA256.IsZero() {
		t.Errorf("failing decoder: err %v, sha256 %v; want ETOOLARGE with the digests", fp.Err, fp.SHA256)
	}
}
