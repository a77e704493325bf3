package workers

import (
	"bytes"
	"context"
	pngenc "image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
	"github.com/winnow-forensics/winnow/triage/triagetest"
)

func TestParseEXIF(t *testing.T) {
	long := strings.Repeat("x", 300)
	for _, tc := range []struct {
		name string
		in   string
		want map[string]string
		err  bool
	}{
		{"camera", `[{"SourceFile":"-","Make":"Cam","Model":"M7","Orientation":6,"GPSLatitude":51.5}]`,
			map[string]string{"Make": "Cam", "Model": "M7", "Orientation": "6", "GPSLatitude": "51.5"}, false},
		{"unknown fields dropped", `[{"Make":"Cam","Secret":"x","ThumbnailImage":"base64:..."}]`, map[string]string{"Make": "Cam"}, false},
		{"arrays dropped", `[{"Make":["a","b"],"Model":{"x":1}}]`, nil, false},
		{"long value cut", `[{"Software":"` + long + `"}]`, map[string]string{"Software": long[:256]}, false},
		{"empty", `[]`, nil, false},
		{"no tags", `[{"SourceFile":"-"}]`, nil, false},
		{"not json", `Error: bad`, nil, true},
	} {
		got, err := ParseEXIF([]byte(tc.in))
		if (err != nil) != tc.err {
			t.Errorf("%s: err = %v, want error %v", tc.name, err, tc.err)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: (-want +got):\n%s", tc.name, diff)
		}
	}
}

func FuzzParseEXIF(f *testing.F) {
	f.Add([]byte(`[{"Make":"Cam","Model":"M7","Orientation":6}]`))
	f.Add([]byte(`[{"Make":null,"DateTimeOriginal":"2020:01:01 00:00:00"}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{"Make":"\ud800"}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseEXIF(b)
		if err != nil {
			return
		}
		known := map[string]bool{}
		for _, k := range hashing.EXIFFields {
			known[k] = true
		}
		for k, v := range m {
			if !known[k] {
				t.Fatalf("unknown field %q kept", k)
			}
			if len([]rune(v)) > exifMaxValue || !utf8Valid(v) {
				t.Fatalf("value of %s not bounded or not UTF-8: %q", k, v)
			}
		}
	})
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "") == s }

func TestEXIFSummary(t *testing.T) {
	j := triagetest.WithEXIF(triagetest.PhotoJPEG(64, 48, 1, 90), "WinnowTestCam", "Model Seven")
	got, err := EXIF{}.Summary(context.Background(), j)
	if err != nil {
		t.Fatalf("Summary: %v (is exiftool installed? scripts/services.sh install)", err)
	}
	want := map[string]string{"Make": "WinnowTestCam", "Model": "Model Seven"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Summary[%s] = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	// Garbage and empty input give no summary and no error.
	for _, b := range [][]byte{nil, []byte("not an image"), j[:100]} {
		if _, err := (EXIF{}).Summary(context.Background(), b); err != nil {
			t.Errorf("Summary of %d bytes of junk: %v", len(b), err)
		}
	}
	// Formats not read in process go to exiftool; without it, an error.
	var png bytes.Buffer
	pngenc.Encode(&png, triagetest.Photo(16, 16, 1))
	if _, err := (EXIF{Path: "/nonexistent/exiftool"}).Summary(context.Background(), png.Bytes()); err == nil {
		t.Errorf("missing exiftool: no error")
	}
	if m, err := (EXIF{}).Summary(context.Background(), png.Bytes()); err != nil || m != nil {
		t.Errorf("PNG without metadata through exiftool: %v, %v", m, err)
	}
}

// TestReadEXIFAgreesWithExiftool compares the in-process reader with
// exiftool on a real camera photo and a generated one.
func TestReadEXIFAgreesWithExiftool(t *testing.T) {
	photo, err := os.ReadFile("../triage/testdata/pdq-reference/images/exif-rotn-6.jpg")
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"exif-rotn-6.jpg": photo,
		"generated":       triagetest.WithEXIF(triagetest.PhotoJPEG(64, 48, 1, 90), "WinnowTestCam", "Model Seven"),
	} {
		got, ok := hashing.ReadEXIF(b)
		if !ok {
			t.Fatalf("%s: not read in process", name)
		}
		want, err := EXIF{}.exiftool(context.Background(), b, hashing.EXIFFields)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: in-process EXIF differs from exiftool's (-exiftool +ours):\n%s", name, diff)
		}
	}
}

// TestEXIFMakerNoteSerial: a JPEG of a maker that keeps the serial number
// in its maker notes gets them read by exiftool (a stand-in here that
// prints what exiftool prints for such a file); other makers are not
// asked about again.
func TestEXIFMakerNoteSerial(t *testing.T) {
	dir := t.TempDir()
	fake := filepath.Join(dir, "exiftool")
	calls := filepath.Join(dir, "calls")
	script := "#!/bin/sh\necho \"$@\" >> " + calls + "\ncat > /dev/null\n" +
		`echo '[{"SourceFile":"-","SerialNumber":"0123456789","InternalSerialNumber":"ZA1234567"}]'` + "\n"
	if err := os.WriteFile(fake, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	x := EXIF{Path: fake}
	canon := triagetest.WithEXIF(triagetest.PhotoJPEG(64, 48, 1, 90), "Canon", "Canon EOS 5D Mark IV")
	got, err := x.Summary(context.Background(), canon)
	if err != nil || got["Make"] != "Canon" || got["SerialNumber"] != "0123456789" || got["InternalSerialNumber"] != "ZA1234567" {
		t.Errorf("canon: %v %v", got, err)
	}
	if d := triage.DeviceKey(got); d != "serial:canon/0123456789" {
		t.Errorf("device %q", d)
	}
	b, _ := os.ReadFile(calls)
	if !strings.Contains(string(b), "-InternalSerialNumber") || strings.Contains(string(b), "-GPSLatitude") {
		t.Errorf("exiftool asked %q, want the maker-note serials only", b)
	}
	phone := triagetest.WithEXIF(triagetest.PhotoJPEG(64, 48, 1, 90), "Apple", "iPhone 12")
	os.Remove(calls)
	if got, err := x.Summary(context.Background(), phone); err != nil || got["SerialNumber"] != "" {
		t.Errorf("phone: %v %v", got, err)
	}
	if _, err := os.Stat(calls); err == nil {
		t.Errorf("exiftool run for a maker without maker-note serials")
	}
}
