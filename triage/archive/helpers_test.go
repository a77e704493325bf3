package archive

import (
	"github.com/winnow-forensics/winnow/triage/container"

	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"testing"
	"time"
)

// fixedTime keeps generated archives byte-identical between runs.
var fixedTime = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

type file struct {
	name string
	data []byte
}

// mustZip builds a zip of the files (deflated; names ending in "/" are folders).
func mustZip(tb testing.TB, files ...file) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: fixedTime})
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write(f.data); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

type tarEntry struct {
	hdr  tar.Header
	data []byte
}

func reg(name string, data []byte) tarEntry {
	return tarEntry{tar.Header{Name: name, Typeflag: tar.TypeReg, Size: int64(len(data)), Mode: 0o644, ModTime: fixedTime}, data}
}

// mustTar builds a tar of the entries.
func mustTar(tb testing.TB, entries ...tarEntry) []byte {
	tb.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.hdr
		if h.ModTime.IsZero() {
			h.ModTime = fixedTime
		}
		if err := tw.WriteHeader(&h); err != nil {
			tb.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func mustGzip(tb testing.TB, name string, data []byte) []byte {
	tb.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Name, zw.ModTime = name, fixedTime
	if _, err := zw.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

// seen is what a test visitor recorded of one member.
type seen struct {
	inner   string
	raw     string
	depth   int
	data    string // what the reader yielded (or Data)
	err     string // m.Err
	readErr string // the reader's error
	format  Format
	digests bool
}

// walkAll walks b and records every member.
func walkAll(tb testing.TB, b []byte, opt container.Options) ([]seen, container.Stats, error) {
	tb.Helper()
	var got []seen
	st, err := Walk(context.Background(), bytes.NewReader(b), int64(len(b)), opt, func(m *container.Member, r io.Reader) error {
		s := seen{inner: m.Inner, raw: m.RawName, depth: m.Depth, format: Format(m.Format), digests: m.Digests != nil}
		if m.Err != nil {
			s.err = m.Err.Error()
		}
		if r != nil {
			d, rerr := io.ReadAll(r)
			s.data = string(d)
			if rerr != nil {
				s.readErr = rerr.Error()
			}
		}
		got = append(got, s)
		return nil
	})
	return got, st, err
}

func byInner(ss []seen) map[string]seen {
	m := map[string]seen{}
	for _, s := range ss {
		m[s.inner] = s
	}
	return m
}
