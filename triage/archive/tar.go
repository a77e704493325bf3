package archive

import (
	"archive/tar"
	"bufio"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"io"
	"path"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/hashing"
)

// walkTar expands a tar stream.
func (w *walker) walkTar(r io.Reader, at loc) error {
	tr := tar.NewReader(r)
	for i := 0; ; i++ {
		if err := w.canceled(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil && !errors.Is(err, tar.ErrInsecurePath) {
			if w.stop != nil {
				return &fatalError{w.stop}
			}
			return triage.Errorf(triage.EINVALID, "tar: %v (after %d members; the rest is not expanded)", err, i)
		}
		if i >= w.lim.MaxEntries {
			return triage.Errorf(triage.ETOOLARGE, "tar holds more than %d members: the rest is not expanded (raise the member limit to expand it)", w.lim.MaxEntries)
		}
		if hdr.Typeflag == tar.TypeDir {
			continue
		}
		m := w.newMember(at, hdr.Name, i)
		m.Times.Modified = hdr.ModTime
		m.Size = hdr.Size
		switch hdr.Typeflag {
		case tar.TypeReg, tar.TypeRegA, tar.TypeCont, tar.TypeGNUSparse:
			if hdr.Size > w.lim.MaxMemberBytes {
				m.Err = triage.Errorf(triage.ETOOLARGE, "member declares %s, over the limit of %s for one member: not read", fmtBytes(hdr.Size), fmtBytes(w.lim.MaxMemberBytes))
			}
		case tar.TypeSymlink:
			m.Err = triage.Errorf(triage.EUNSUPPORTED, "symbolic link inside the archive (to %q): not followed", hdr.Linkname)
		case tar.TypeLink:
			m.Err = triage.Errorf(triage.EUNSUPPORTED, "hard link inside the archive (to %q): its content is that member's", hdr.Linkname)
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			m.Err = triage.Errorf(triage.EUNSUPPORTED, "special file (device or pipe) inside the archive: skipped")
		default:
			m.Err = triage.Errorf(triage.EUNSUPPORTED, "tar entry of type %q: skipped", hdr.Typeflag)
		}
		if m.Err != nil {
			m.Size = -1
			w.stats.Members++
			if err := w.call(m, nil); err != nil {
				return err
			}
			continue
		}
		if err := w.member(m, tr, -1); err != nil {
			return err
		}
	}
}

// walkCompressed expands a gzip or bzip2 stream: a tar inside is expanded
// as the archive's members (a .tar.gz is one archive); anything else is
// the stream's one member.
func (w *walker) walkCompressed(r io.Reader, f Format, at loc, name string) error {
	in := &countReader{r: r}
	var dr io.Reader
	member := stripExt(name, f)
	switch f {
	case Gzip:
		zr, err := gzip.NewReader(bufio.NewReader(in))
		if err != nil {
			return triage.Errorf(triage.EINVALID, "gzip: %v", err)
		}
		if zr.Name != "" {
			member = path.Base(zr.Name) // the name of the file that was compressed
		}
		dr = zr
	case Bzip2:
		dr = bzip2.NewReader(in)
	}
	out := &ratioReader{r: dr, in: in, w: w, f: f}
	br := bufio.NewReaderSize(out, hashing.SniffLen)
	head, _ := br.Peek(hashing.SniffLen)
	if hashing.Sniff(head).MIME == "application/x-tar" {
		return w.walkTar(br, at)
	}
	if w.lim.MaxEntries < 1 {
		return tooManyMembers(w.lim.MaxEntries)
	}
	if member == "" {
		member = "content"
	}
	m := w.newMember(at, member, 0)
	return w.member(m, br, -1)
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// ratioReader enforces the ratio limit on a decompressed stream.
type ratioReader struct {
	r   io.Reader
	in  *countReader
	w   *walker
	f   Format
	n   int64
	err error
}

func (c *ratioReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > c.w.lim.RatioFloor && c.n/max(c.in.n, 1) > c.w.lim.MaxRatio {
		c.err = triage.Errorf(triage.ETOOLARGE, "%s stream expands more than %d times (compression bomb?): not read further", c.f, c.w.lim.MaxRatio)
		return n, c.err
	}
	return n, err
}
