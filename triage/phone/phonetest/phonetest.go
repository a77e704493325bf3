// Package phonetest builds benign phone extractions for tests: a UFDR
// (report.xml and files in a zip) and a GrayKey-style file-system zip.
//
// The report.xml written follows the element and attribute names that
// public parsers and published samples show (SEilers/UFEDLib's
// MetaData/TaggedFiles.cs; DFIRScience/UFDR2DIR; report.xml excerpts
// quoted in the ALEAPP issue tracker): project > sourceExtractions >
// extractionInfo, taggedFiles > file (fs, path, name, size, id,
// extractionId, deleted), accessInfo > timestamp, metadata section="File"
// > item name="Local Path" / "MD5" / "SHA256". No Cellebrite output is
// copied; the files are generated.
package phonetest

import (
	"archive/zip"
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"path"
	"time"
)

// Entry is one file of a generated UFDR.
type Entry struct {
	// Path is the device path (report.xml's path attribute).
	Path    string
	Deleted bool
	// Content, when not nil, is stored in the zip at LocalPath (default
	// "files/Image/<base name>", written with backslashes in report.xml).
	Content   []byte
	LocalPath string
	// MD5 and SHA256 are written as given (hex); when both are empty and
	// Content is set, they are computed from it.
	MD5, SHA256                 string
	Created, Modified, Accessed time.Time
}

// Namespace is the report's XML namespace as Cellebrite reports declare it.
const Namespace = "http://pa.cellebrite.com/report/2.0"

// WriteReport writes a report.xml listing next's entries (next returns
// false when there are no more) to w, streamed, so that reports of any
// size can be generated. Entries with content get their LocalPath
// defaulted in place.
func WriteReport(w io.Writer, next func(*Entry) bool) error {
	bw := &errWriter{w: w}
	fmt.Fprintf(bw, "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<project id=\"p1\" name=\"Test phone\" reportVersion=\"5.2.0.0\" xmlns=%q>\n", Namespace)
	bw.str("  <sourceExtractions>\n    <extractionInfo id=\"0\" name=\"Logical\" isCustomName=\"False\" type=\"Logical\" deviceName=\"Test\" fullName=\"Test phone\" index=\"0\" IsPartialData=\"False\" />\n  </sourceExtractions>\n")
	bw.str("  <metadata section=\"Extraction Data\"><item name=\"DeviceInfoExtractionStartDateTime\"><![CDATA[01/05/2024 12:00:00]]></item></metadata>\n")
	bw.str("  <unknownSection xmlns:x=\"urn:example:other\"><x:thing a=\"1\">text</x:thing></unknownSection>\n")
	bw.str("  <taggedFiles>\n")
	var e Entry
	for n := 0; next(&e); n++ {
		md, sh := e.MD5, e.SHA256
		if md == "" && sh == "" && e.Content != nil {
			m, s := md5.Sum(e.Content), sha256.Sum256(e.Content)
			md, sh = hex.EncodeToString(m[:]), hex.EncodeToString(s[:])
		}
		del := "Intact"
		if e.Deleted {
			del = "Deleted"
		}
		fmt.Fprintf(bw, "    <file fs=\"Test phone\" fsid=\"00000000-0000-0000-0000-000000000001\" path=\"%s\" name=\"%s\" size=\"%d\" id=\"file-%d\" extractionId=\"0\" deleted=\"%s\" embedded=\"false\" isrelated=\"False\" source_index=\"%d\">\n",
			esc(e.Path), esc(path.Base(e.Path)), len(e.Content), n, del, n)
		bw.str("      <accessInfo>\n")
		for _, t := range []struct {
			name string
			t    time.Time
		}{{"CreationTime", e.Created}, {"ModifyTime", e.Modified}, {"AccessTime", e.Accessed}} {
			if !t.t.IsZero() {
				fmt.Fprintf(bw, "        <timestamp name=%q format=\"TimeStampKnown\" formattedTimestamp=%q>%s</timestamp>\n",
					t.name, t.t.Format(time.RFC3339), t.t.Format("2006-01-02T15:04:05.000-07:00"))
			}
		}
		bw.str("      </accessInfo>\n      <metadata section=\"File\">\n")
		if e.Content != nil && e.LocalPath == "" {
			e.LocalPath = "files/Image/" + path.Base(e.Path)
		}
		if e.LocalPath != "" {
			fmt.Fprintf(bw, "        <item name=\"Local Path\" systemtype=\"System.String\"><![CDATA[%s]]></item>\n", backslash(e.LocalPath))
		}
		fmt.Fprintf(bw, "        <item name=\"SHA256\" systemtype=\"System.String\"><![CDATA[%s]]></item>\n", sh)
		fmt.Fprintf(bw, "        <item name=\"MD5\" systemtype=\"System.String\"><![CDATA[%s]]></item>\n", md)
		bw.str("        <item name=\"Tags\" systemtype=\"System.String\"><![CDATA[Image]]></item>\n      </metadata>\n")
		bw.str("      <metadata section=\"MetaData\"><item name=\"Width\"><![CDATA[64]]></item></metadata>\n    </file>\n")
	}
	bw.str("  </taggedFiles>\n  <decodedData><modelType type=\"Chat\"><model type=\"Chat\" id=\"c1\"><field name=\"Source\"><value type=\"String\"><![CDATA[Test]]></value></field></model></modelType></decodedData>\n</project>\n")
	return bw.err
}

func esc(s string) string {
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func backslash(s string) string {
	b := []byte(s)
	for i := range b {
		if b[i] == '/' {
			b[i] = '\\'
		}
	}
	return string(b)
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) str(s string) { io.WriteString(e, s) }

// File is an extra zip entry of a generated extraction.
type File struct {
	Name string
	Data []byte
	// Extra is the entry's extra field, written to its local and central
	// headers as it is.
	Extra    []byte
	Modified time.Time
	Store    bool
}

// UFDR returns a UFDR zip holding report.xml for entries and their
// content, then the extra files.
func UFDR(entries []Entry, extra ...File) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("report.xml")
	if err != nil {
		return nil, err
	}
	i := 0
	es := append([]Entry(nil), entries...)
	if err := WriteReport(w, func(e *Entry) bool {
		if i > 0 {
			es[i-1] = *e // keep the defaulted LocalPath
		}
		if i == len(es) {
			return false
		}
		*e = es[i]
		i++
		return true
	}); err != nil {
		return nil, err
	}
	for _, e := range es {
		if e.Content == nil {
			continue
		}
		if extra, err = appendFile(extra, e); err != nil {
			return nil, err
		}
	}
	if err := writeFiles(zw, extra); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func appendFile(fs []File, e Entry) ([]File, error) {
	if e.LocalPath == "" {
		return nil, fmt.Errorf("entry %s: no local path", e.Path)
	}
	return append(fs, File{Name: e.LocalPath, Data: e.Content, Store: true}), nil
}

// Zip returns a zip of the files (a GrayKey-style extraction when their
// names are the phone's "private/var/..." tree).
func Zip(files ...File) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	if err := writeFiles(zw, files); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func writeFiles(zw *zip.Writer, files []File) error {
	for _, f := range files {
		h := &zip.FileHeader{Name: f.Name, Method: zip.Deflate, Modified: f.Modified, Extra: f.Extra}
		if f.Store {
			h.Method = zip.Store
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		if _, err := w.Write(f.Data); err != nil {
			return err
		}
	}
	return nil
}
