package formats

import (
	"archive/zip"
	"bufio"
	"io"
	"os"
	"path"
	"strings"

	"github.com/winnow-forensics/winnow/triage"
)

// maxZipMembers bounds how many members of a zip are looked at.
const maxZipMembers = 10000

// openZip reads the hash-set file inside a zip archive (NIST ships RDS 2.x
// as a zip holding NSRLFile.txt next to the product, OS and manufacturer
// tables). The member is NSRLFile.txt if present, else the only member whose
// content is a recognised format. It is decompressed as a stream, never to
// disk.
func openZip(f *os.File, name string, opt Options) (Source, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, triage.Errorf(triage.EINVALID, "open hash set: %v", err)
	}
	zr, err := zip.NewReader(f, fi.Size())
	if err != nil {
		return nil, triage.Errorf(triage.EINVALID, "%s: zip: %v", name, err)
	}
	if len(zr.File) > maxZipMembers {
		return nil, triage.Errorf(triage.EINVALID, "%s: zip holds %d members, more than the %d looked at", name, len(zr.File), maxZipMembers)
	}
	var pick *zip.File
	var pickFormat Format
	var candidates []string
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() {
			continue
		}
		base := path.Base(zf.Name)
		fm, err := detectMember(zf, opt)
		if err != nil {
			continue
		}
		if strings.EqualFold(base, "NSRLFile.txt") {
			pick, pickFormat, candidates = zf, fm, nil
			break
		}
		candidates = append(candidates, zf.Name)
		if pick == nil {
			pick, pickFormat = zf, fm
		}
	}
	switch {
	case pick == nil:
		return nil, triage.Errorf(triage.EINVALID, "%s: no hash-set file found in the zip", name)
	case len(candidates) > 1:
		return nil, triage.Errorf(triage.EINVALID, "%s: the zip holds several hash-set files (%s); extract the one to import",
			name, strings.Join(candidates, ", "))
	}
	rc, err := pick.Open()
	if err != nil {
		return nil, triage.Errorf(triage.EINVALID, "%s: %s: %v", name, pick.Name, err)
	}
	opt.Format = pickFormat
	src, err := NewReader(rc, opt)
	if err != nil {
		rc.Close()
		return nil, err
	}
	return &zipSource{Source: src, rc: rc, f: f}, nil
}

// detectMember sniffs one zip member.
func detectMember(zf *zip.File, opt Options) (Format, error) {
	if opt.Format != "" {
		return opt.Format, nil
	}
	rc, err := zf.Open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	head, _ := bufio.NewReaderSize(rc, SniffLen).Peek(SniffLen)
	return Detect(head, zf.Name)
}

type zipSource struct {
	Source
	rc io.ReadCloser
	f  *os.File
}

func (s *zipSource) Close() error {
	err := s.Source.Close()
	s.rc.Close()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}
