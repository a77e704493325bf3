package api

import (
	"mime"
	"testing"
)

func TestPartPath(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{`form-data; name="file"; filename="DCIM/100/a.jpg"`, "DCIM/100/a.jpg"},
		{`form-data; name="file"; filename="../../etc/passwd"`, "../../etc/passwd"},
		{`form-data; name="file"; filename="odd \"name\".jpg"`, `odd "name".jpg`},
		{`form-data; name="file"; filename*=UTF-8''caf%C3%A9.jpg`, "café.jpg"},
		{`form-data; name="note"`, ""},
		{`garbage;;;`, ""},
	} {
		if got := partPath(tc.header); got != tc.want {
			t.Errorf("partPath(%s) = %q, want %q", tc.header, got, tc.want)
		}
	}
}

// FuzzPartPath: any Content-Disposition gives a path or "", never a panic,
// and a path that comes back formats and parses to itself.
func FuzzPartPath(f *testing.F) {
	f.Add(`form-data; name="file"; filename="DCIM/100/a.jpg"`)
	f.Add(`form-data; filename*=UTF-8''%E2%82%AC.jpg`)
	f.Add(`attachment; filename="\x00"`)
	f.Fuzz(func(t *testing.T, h string) {
		p := partPath(h)
		if p == "" {
			return
		}
		again := partPath(mime.FormatMediaType("form-data", map[string]string{"name": "file", "filename": p}))
		if formatted := mime.FormatMediaType("form-data", map[string]string{"filename": p}); formatted != "" && again != p {
			t.Fatalf("path %q does not survive a round trip: %q", p, again)
		}
	})
}
