package archive

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
)

// CleanName turns a name stored in an archive into a safe relative path
// for reports: backslashes become slashes, a drive letter, leading slashes
// and "." and ".." elements are dropped, control characters, invalid UTF-8
// and the bidirectional-override characters used to disguise extensions
// are written as %XX (the UTF-8 bytes), and a "!" ending an element becomes
// %21 so that "!/" only ever separates nested archives (and a colon
// that would make the result start with a drive letter, %3A). The result
// is a fixed point: cleaning it again changes nothing. changed reports a
// change beyond dropping "./" and empty elements, which callers record
// with the original name. The result may be empty (the caller names the
// member). It is never used to touch the filesystem.
func CleanName(raw string) (name string, changed bool) {
	s, changed := triage.EscapeName(raw)
	if strings.Contains(s, "\\") {
		s = strings.ReplaceAll(s, "\\", "/")
		changed = true
	}
	if strings.HasPrefix(s, "/") {
		changed = true
	}
	parts := strings.Split(s, "/")
	out := parts[:0]
	first := true // no element kept or dropped yet: where a drive letter may stand
	for _, p := range parts {
		switch {
		case p == "" || p == ".":
			continue
		case p == "..":
			changed = true
			continue
		case first && isDrive(p):
			changed, first = true, false // a Windows drive letter ("C:", "/C:")
			continue
		}
		first = false
		if strings.HasSuffix(p, "!") {
			p = strings.TrimSuffix(p, "!") + "%21"
			changed = true
		}
		out = append(out, p)
	}
	if len(out) > 0 && isDrive(out[0]) {
		// A second drive-like element ("C:/D:/x") must not read as a drive
		// once the first is gone.
		out[0] = out[0][:1] + "%3A"
		changed = true
	}
	return strings.Join(out, "/"), changed
}

func isDrive(p string) bool { return len(p) == 2 && p[1] == ':' && isASCIILetter(p[0]) }

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// quote returns raw as a Go string literal, so that any bytes survive JSON.
func quote(raw string) string { return strconv.Quote(raw) }

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }
