package hashing

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/winnow-forensics/winnow/triage/triagetest"
)

func TestReadEXIF(t *testing.T) {
	j := triagetest.PhotoJPEG(64, 48, 1, 90)
	withExif := triagetest.WithEXIF(j, "WinnowTestCam", "Model Seven")
	for _, tc := range []struct {
		name   string
		in     []byte
		want   map[string]string
		wantOK bool
	}{
		{"camera tags", withExif, map[string]string{"Make": "WinnowTestCam", "Model": "Model Seven"}, true},
		{"short value inline", triagetest.WithEXIF(j, "abc", "d"), map[string]string{"Make": "abc", "Model": "d"}, true},
		{"jpeg without exif", j, nil, true},
		{"truncated exif", withExif[:40], nil, true},
		{"png", []byte("\x89PNG\r\n\x1a\n...."), nil, false},
		{"empty", nil, nil, false},
	} {
		got, ok := ReadEXIF(tc.in)
		if ok != tc.wantOK || len(got) != len(tc.want) {
			t.Errorf("%s: got %v, %v; want %v, %v", tc.name, got, ok, tc.want, tc.wantOK)
			continue
		}
		for k, v := range tc.want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q", tc.name, k, got[k], v)
			}
		}
	}
}

func FuzzReadEXIF(f *testing.F) {
	j := triagetest.PhotoJPEG(16, 16, 1, 80)
	f.Add(triagetest.WithEXIF(j, "WinnowTestCam", "Model Seven"))
	f.Add(triagetest.WithEXIF(j, "a", ""))
	f.Add([]byte("II*\x00\x08\x00\x00\x00\x01\x00\x0f\x01\x02\x00\x04\x00\x00\x00abc\x00\x00\x00\x00\x00"))
	f.Add([]byte("MM\x00*\x00\x00\x00\x08\x00\x01\x87\x69\x00\x04\x00\x00\x00\x01\x00\x00\x00\x08"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, _ := ReadEXIF(b)
		if len(m) > len(EXIFFields) {
			t.Fatalf("%d fields", len(m))
		}
		for k, v := range m {
			if len([]rune(v)) > exifMaxValue || !bytes.Equal([]byte(v), []byte(string([]rune(v)))) {
				t.Fatalf("%s: unbounded or invalid value %q", k, v)
			}
		}
	})
}

func BenchmarkReadEXIF(b *testing.B) {
	j := triagetest.WithEXIF(triagetest.PhotoJPEG(640, 480, 1, 90), "WinnowTestCam", "Model Seven")
	b.SetBytes(int64(len(j)))
	for b.Loop() {
		if m, _ := ReadEXIF(j); m["Make"] == "" {
			b.Fatal("no EXIF")
		}
	}
}

// BenchmarkStreamDigests is the upload path's digest cost per MB, in the
// 32 KiB writes an HTTP body gives and in 1 MiB writes.
func BenchmarkStreamDigests(b *testing.B) {
	buf := triagetest.PhotoJPEG(64, 64, 1, 90)
	data := bytes.Repeat(buf, (8<<20)/len(buf))
	for _, chunk := range []int{32 << 10, 1 << 20} {
		b.Run(fmt.Sprintf("write=%dKiB", chunk>>10), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				d := NewStreamDigests()
				for i := 0; i < len(data); i += chunk {
					d.Write(data[i:min(i+chunk, len(data))])
				}
				d.Sum()
			}
		})
	}
}

// TestReadEXIFHEIF: HEIC and AVIF carry EXIF in an item of their own
// (fixtures made by heif-enc and avifenc from a JPEG with these tags).
func TestReadEXIFHEIF(t *testing.T) {
	for _, name := range []string{"photo.heic", "photo.avif", "oriented-exif.heic"} {
		b, err := os.ReadFile(filepath.Join("..", "heif", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		got, ok := ReadEXIF(b)
		if !ok {
			t.Fatalf("%s: not read", name)
		}
		want := map[string]string{"Make": "WinnowTest", "Model": "Generated Camera",
			"DateTimeOriginal": "2024:05:06 07:08:09", "CreateDate": "2024:05:06 07:08:09"}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s = %q, want %q (all: %v)", name, k, got[k], v, got)
			}
		}
		if lat, err := strconv.ParseFloat(got["GPSLatitude"], 64); err != nil || lat < 48.858 || lat > 48.859 {
			t.Errorf("%s: GPSLatitude = %q, want 48.8584", name, got["GPSLatitude"])
		}
		if name == "oriented-exif.heic" && got["Orientation"] != "6" {
			t.Errorf("%s: Orientation = %q, want 6", name, got["Orientation"])
		}
	}
}
