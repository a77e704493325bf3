package phone_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/triage/phone"
)

// sample is a small report in the shape of published report.xml excerpts
// (see package phonetest for the sources), with a foreign namespace, an
// unknown element inside a file and a decodedData model holding a "file"
// element that is not a tagged file.
const sample = `<?xml version="1.0" encoding="utf-8"?>
<project xmlns="http://pa.cellebrite.com/report/2.0" xmlns:o="urn:other" id="x">
  <sourceExtractions><extractionInfo id="1" name="Full File System" type="FullFileSystem"/></sourceExtractions>
  <o:extension><o:file path="/not/tagged"/></o:extension>
  <taggedFiles>
    <file fs="Phone" path="/private/var/a.jpg" name="a.jpg" size="215418" id="b231" extractionId="1" deleted="Deleted">
      <accessInfo>
        <timestamp name="CreationTime" format="TimeStampKnown" formattedTimestamp="2020-08-08T15:50:58+00:00">2020-08-08T15:50:58.000+00:00</timestamp>
        <timestamp name="ModifyTime">2020-08-09T10:00:00.5+02:00</timestamp>
        <timestamp name="AccessTime" formattedTimestamp="2020-08-10T00:00:00+00:00"></timestamp>
        <timestamp name="ChangeTime" formattedTimestamp="2020-08-12T00:00:00+00:00">12.08.2020 00:00:00(UTC+0)</timestamp>
        <timestamp name="DeletedTime">2020-08-11T00:00:00+00:00</timestamp>
      </accessInfo>
      <o:unknown><item name="Local Path">decoy</item></o:unknown>
      <metadata section="File">
        <item name="Local Path" systemtype="System.String"><![CDATA[files\Image\a.jpg]]></item>
        <item name="SHA256"><![CDATA[]]></item>
        <item name="MD5"><![CDATA[C883B94868B01B0FC883B94868B01B0F]]></item>
      </metadata>
      <metadata section="MetaData"><item name="MD5">ffffffffffffffffffffffffffffffff</item></metadata>
    </file>
    <file path="/b.png" size="oops" extractionId="9" deleted="Intact"><metadata section="File"><item name="SHA1">xyz</item></metadata></file>
  </taggedFiles>
  <decodedData><model type="Attachment"><file path="/decoded/not/tagged"/></model></decodedData>
</project>`

func readAll(t *testing.T, src string, lim phone.ReportLimits) ([]phone.File, []phone.Extraction, error) {
	t.Helper()
	var fs []phone.File
	ex, err := phone.ReadReport(context.Background(), strings.NewReader(src), lim, func(f *phone.File) error {
		fs = append(fs, *f)
		return nil
	})
	return fs, ex, err
}

func TestReadReport(t *testing.T) {
	fs, ex, err := readAll(t, sample, phone.ReportLimits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ex) != 1 || ex[0] != (phone.Extraction{ID: "1", Name: "Full File System", Type: "FullFileSystem"}) {
		t.Errorf("extractions = %+v", ex)
	}
	if len(fs) != 2 {
		t.Fatalf("%d files, want 2: %+v", len(fs), fs)
	}
	a := fs[0]
	if a.Path != "/private/var/a.jpg" || a.Name != "a.jpg" || a.FS != "Phone" || a.ID != "b231" || a.Size != 215418 ||
		a.Extraction != "1" || a.ExtractionName != "Full File System" || !a.IsDeleted() || a.LocalPath != `files\Image\a.jpg` || a.Err != nil {
		t.Errorf("file a = %+v", a)
	}
	if a.Digests.MD5.String() != "c883b94868b01b0fc883b94868b01b0f" || !a.Digests.SHA256.IsZero() {
		t.Errorf("file a digests = %+v", a.Digests)
	}
	wantC := time.Date(2020, 8, 8, 15, 50, 58, 0, time.UTC)
	wantM := time.Date(2020, 8, 9, 8, 0, 0, 5e8, time.UTC)
	wantA := time.Date(2020, 8, 10, 0, 0, 0, 0, time.UTC)
	if !a.Times.Created.Equal(wantC) || !a.Times.Modified.Equal(wantM) || !a.Times.Accessed.Equal(wantA) || !a.Times.Changed.Equal(time.Date(2020, 8, 12, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("file a times = %+v", a.Times)
	}
	b := fs[1]
	if b.Size != -1 || b.IsDeleted() || b.ExtractionName != "" || b.Err == nil || !strings.Contains(b.Err.Error(), "size") || !strings.Contains(b.Err.Error(), "SHA-1") {
		t.Errorf("file b = %+v (err %v)", b, b.Err)
	}
}

func TestReadReportHostile(t *testing.T) {
	for _, c := range []struct {
		name  string
		src   string
		lim   phone.ReportLimits
		files int
		err   string
	}{
		{"huge attribute", `<project><taggedFiles><file path="/a"/><file path="` + strings.Repeat("x", 5000) + `"/></taggedFiles></project>`,
			phone.ReportLimits{MaxToken: 4096}, 1, "size limit"},
		{"huge text", `<project><taggedFiles><file path="/a"/></taggedFiles>` + strings.Repeat("y", 5000) + `</project>`,
			phone.ReportLimits{MaxToken: 4096}, 1, "size limit"},
		{"deep", `<project><taggedFiles><file path="/a"/></taggedFiles>` + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + `</project>`,
			phone.ReportLimits{}, 1, "nested"},
		{"truncated", `<project><taggedFiles><file path="/a"/><file path="/b">`, phone.ReportLimits{}, 1, "unexpected"},
		{"mismatched", `<project><taggedFiles><file path="/a"/></file></taggedFiles></project>`, phone.ReportLimits{}, 1, "report.xml"},
		{"entity", `<!DOCTYPE p [<!ENTITY x "xxxxxxxx">]><project><taggedFiles><file path="&x;"/></taggedFiles></project>`, phone.ReportLimits{}, 0, "entity"},
		{"not xml", "\x00\x01PK", phone.ReportLimits{}, 0, "report.xml"},
		{"empty", "", phone.ReportLimits{}, 0, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			fs, _, err := readAll(t, c.src, c.lim)
			if len(fs) != c.files {
				t.Errorf("%d files, want %d", len(fs), c.files)
			}
			if c.err == "" && err != nil || c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
				t.Errorf("err = %v, want one with %q", err, c.err)
			}
		})
	}
}

func TestReadReportStopsOnVisitError(t *testing.T) {
	stop := errors.New("stop")
	n := 0
	_, err := phone.ReadReport(context.Background(), strings.NewReader(sample), phone.ReportLimits{}, func(*phone.File) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("err %v after %d files, want stop after 1", err, n)
	}
}

// endless is an endless report: taggedFiles that never close.
type endless struct{ n int }

func (e *endless) Read(p []byte) (int, error) {
	const head = `<project><taggedFiles>`
	const rec = `<file path="/x.jpg" size="1"><metadata section="File"><item name="MD5">00112233445566778899aabbccddeeff</item></metadata></file>`
	if e.n == 0 {
		e.n++
		return copy(p, head), nil
	}
	k := 0
	for k+len(rec) <= len(p) {
		k += copy(p[k:], rec)
	}
	return k, nil
}

func TestReadReportCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err := phone.ReadReport(ctx, io.LimitReader(&endless{}, 1<<40), phone.ReportLimits{}, func(*phone.File) error {
		if n++; n == 5000 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n > 7000 {
		t.Errorf("err %v after %d files", err, n)
	}
}

func FuzzReadReport(f *testing.F) {
	f.Add([]byte(sample))
	f.Add([]byte(`<project><taggedFiles><file path="/a"><accessInfo><timestamp name="ModifyTime">x</timestamp></accessInfo></file></taggedFiles></project>`))
	f.Add([]byte(`<project><taggedFiles><file/><file><metadata section="File"><item name="Local Path" value="a"/></metadata></file></taggedFiles></project>`))
	var buf bytes.Buffer
	buf.WriteString(`<p:project xmlns:p="urn:x"><p:taggedFiles><p:file path="/q"></p:file></p:taggedFiles></p:project>`)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		n := 0
		_, _ = phone.ReadReport(context.Background(), bytes.NewReader(data), phone.ReportLimits{MaxToken: 4096, MaxDepth: 16}, func(fl *phone.File) error {
			n++
			if fl.Size < -1 {
				t.Fatalf("size %d", fl.Size)
			}
			return nil
		})
		if n > len(data) {
			t.Fatalf("%d files from %d bytes", n, len(data))
		}
	})
}
