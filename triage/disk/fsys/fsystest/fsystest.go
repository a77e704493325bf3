// Package fsystest checks file-system readers against The Sleuth Kit:
// the files fls lists (allocated and deleted) must be the files a reader
// walks, and the bytes icat returns the bytes it reads.
package fsystest

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/winnow-forensics/winnow/triage/disk/fsys"
)

// TSKFile is one regular file as fls lists it.
type TSKFile struct {
	Path    string
	Addr    string // icat address: "520", "64-128-2"
	Deleted bool
}

var flsLine = regexp.MustCompile(`^([-a-zA-Z])/([-a-zA-Z]) (\* )?([0-9-]+)(\(realloc\))?:\t(.*)$`)

// Fls lists the regular files of the file system at sector offset off of
// img, as `fls -r -p` does; names fls marks "(realloc)" (a deleted name
// whose metadata belongs to another file now) and system files are left
// out.
func Fls(tb testing.TB, img string, off int64, skip func(path string) bool) []TSKFile {
	tb.Helper()
	out, err := exec.Command("fls", "-r", "-p", "-o", strconv.FormatInt(off, 10), img).Output()
	if err != nil {
		tb.Fatalf("fls (Debian sleuthkit; scripts/services.sh installs it): %v", err)
	}
	var files []TSKFile
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := flsLine.FindStringSubmatch(strings.TrimPrefix(sc.Text(), "+ "))
		if m == nil || m[2] != "r" || m[5] != "" || strings.HasSuffix(m[6], "(Volume Label Entry)") {
			continue
		}
		if skip != nil && skip(m[6]) {
			continue
		}
		files = append(files, TSKFile{Path: m[6], Addr: m[4], Deleted: m[3] != ""})
	}
	return files
}

// Icat returns the content The Sleuth Kit reads for addr.
func Icat(tb testing.TB, img string, off int64, addr string) []byte {
	tb.Helper()
	out, err := exec.Command("icat", "-o", strconv.FormatInt(off, 10), img, addr).Output()
	if err != nil {
		tb.Fatalf("icat %s: %v", addr, err)
	}
	return out
}

// Listed is what a reader walked, by path.
type Listed struct {
	File *fsys.File
	MD5  string // of the content, "" when it could not be read
	Err  error
}

// WalkAll walks fs and reads every file.
func WalkAll(tb testing.TB, fs fsys.FS) map[string][]Listed {
	tb.Helper()
	got := map[string][]Listed{}
	err := fs.Walk(context.Background(), func(f *fsys.File) error {
		l := Listed{File: f, Err: f.Err}
		if f.Err == nil {
			r, err := fs.Open(f)
			if err == nil {
				h := md5.New()
				_, err = io.Copy(h, io.NewSectionReader(r, 0, f.Size))
				l.MD5 = fmt.Sprintf("%x", h.Sum(nil))
			}
			l.Err = err
		}
		got[f.Path] = append(got[f.Path], l)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

// Compare checks the reader against TSK for the file system at sector
// offset off of img. Every file fls lists must be walked with the same
// deleted flag; every file the reader can read must have icat's bytes;
// every file TSK lists that the reader walked with an error is returned
// (the caller decides whether that is right), as is every file the reader
// walked that fls does not list.
func Compare(t *testing.T, fs fsys.FS, img string, off int64, skip func(string) bool) (unread []TSKFile, extra []string) {
	t.Helper()
	want := Fls(t, img, off, skip)
	got := WalkAll(t, fs)
	matched := map[string]int{}
	for _, w := range want {
		cands := got[w.Path]
		if len(cands) == 0 {
			t.Errorf("%s (TSK %s, deleted %v): not walked", w.Path, w.Addr, w.Deleted)
			continue
		}
		tsk := fmt.Sprintf("%x", md5.Sum(Icat(t, img, off, w.Addr)))
		found := false
		for i, c := range cands {
			if c.File.Deleted != w.Deleted {
				continue
			}
			if c.Err != nil {
				if !found && i == len(cands)-1 {
					unread = append(unread, w)
					found = true
				}
				continue
			}
			if c.MD5 == tsk {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("%s (TSK %s, deleted %v): no walked file has TSK's bytes (walked: %s)", w.Path, w.Addr, w.Deleted, describe(cands))
		}
		matched[w.Path]++
	}
	for p, ls := range got {
		if len(ls) > matched[p] && (skip == nil || !skip(p)) {
			extra = append(extra, p)
		}
	}
	return unread, extra
}

func describe(ls []Listed) string {
	var s []string
	for _, l := range ls {
		s = append(s, fmt.Sprintf("{deleted %v size %d md5 %s err %v}", l.File.Deleted, l.File.Size, l.MD5, l.Err))
	}
	return strings.Join(s, ", ")
}

// Exercise walks fs, reads every file it lists (at most 1 MiB each) and
// lists its free space, ignoring errors: the body of a fuzz target.
func Exercise(fs fsys.FS) {
	fs.Walk(context.Background(), func(f *fsys.File) error {
		if r, err := fs.Open(f); err == nil {
			io.Copy(io.Discard, io.NewSectionReader(r, 0, min(f.Size, 1<<20)))
		}
		return nil
	})
	fs.Unallocated(context.Background(), func(fsys.Extent) error { return nil })
}

// Gunzip returns the content of a gzip file (a committed test volume).
func Gunzip(tb testing.TB, path string) []byte {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
