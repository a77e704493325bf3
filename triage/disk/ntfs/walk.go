package ntfs

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/winnow-forensics/winnow/triage/disk/fsys"
)

// dir is what the first pass keeps of a directory entry.
type dir struct {
	name      string
	parent    int64
	parentSeq uint16
	seq       uint16
	inUse     bool
}

// fileName is a decoded $FILE_NAME.
type fileName struct {
	parent    int64
	parentSeq uint16
	name      string
	namespace byte
}

func parseFileName(v []byte) (fileName, bool) {
	if len(v) < 66 {
		return fileName{}, false
	}
	ref := binary.LittleEndian.Uint64(v)
	n := int(v[64])
	if 66+2*n > len(v) || n == 0 {
		return fileName{}, false
	}
	return fileName{parent: int64(ref & 0xffffffffffff), parentSeq: uint16(ref >> 48), namespace: v[65], name: utf16String(v[66 : 66+2*n])}, true
}

// names returns the names to list an entry under: its Win32 and POSIX
// names (one per hard link), its DOS name only when it has no other.
func names(fns []fileName) []fileName {
	var out, dos []fileName
	for _, f := range fns {
		if f.namespace == 2 {
			dos = append(dos, f)
			continue
		}
		dup := false
		for _, o := range out {
			if o.parent == f.parent && o.name == f.name {
				dup = true
			}
		}
		if !dup {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return dos[:min(len(dos), 1)]
	}
	return out
}

// scan reads the MFT sequentially and calls fn with each entry number and
// its fixed-up record (nil when damaged); fn must not keep rec.
func (fs *FS) scan(ctx context.Context, fn func(n int64, rec []byte) error) error {
	const chunk = 1 << 20
	per := max(1, chunk/fs.recordSize)
	buf := make([]byte, per*fs.recordSize)
	var n int64
	for _, e := range fs.mft {
		for off := int64(0); off+fs.recordSize <= e.Len && n < fs.records; {
			if err := ctx.Err(); err != nil {
				return err
			}
			k := min(per, (e.Len-off)/fs.recordSize, fs.records-n)
			b := buf[:k*fs.recordSize]
			if m, err := fs.r.ReadAt(b, e.Off+off); m < len(b) {
				return fmt.Errorf("ntfs: reading the MFT at %d: %w", e.Off+off+int64(m), err)
			}
			for i := int64(0); i < k; i++ {
				rec := b[i*fs.recordSize : (i+1)*fs.recordSize]
				if fs.fixup(rec) != nil {
					rec = nil
				}
				if err := fn(n, rec); err != nil {
					return err
				}
				n++
			}
			off += k * fs.recordSize
		}
	}
	return nil
}

const (
	flagInUse = 1
	flagDir   = 2
)

func header(rec []byte) (flags uint16, seq uint16, base int64) {
	return binary.LittleEndian.Uint16(rec[22:]), binary.LittleEndian.Uint16(rec[16:]), int64(binary.LittleEndian.Uint64(rec[32:]) & 0xffffffffffff)
}

// Walk implements fsys.FS.
func (fs *FS) Walk(ctx context.Context, fn func(*fsys.File) error) error {
	dirs := map[int64]dir{}
	exts := map[int64][]int64{} // base entry -> extension entries
	err := fs.scan(ctx, func(n int64, rec []byte) error {
		if rec == nil {
			return nil
		}
		flags, seq, base := header(rec)
		if base != 0 {
			if len(exts[base]) < 64 {
				exts[base] = append(exts[base], n)
			}
			return nil
		}
		// A deleted directory may have lost its directory flag; its index
		// root and its name's attributes still say what it was.
		var fns []fileName
		isDir := flags&flagDir != 0
		fs.attrs(rec, func(a attr) bool {
			switch {
			case a.typ == attrIndexRoot:
				isDir = true
			case a.typ == attrFileName && a.resident:
				if f, ok := parseFileName(a.value); ok {
					fns = append(fns, f)
					if len(a.value) >= 60 && binary.LittleEndian.Uint32(a.value[56:])&0x10000000 != 0 {
						isDir = true
					}
				}
			}
			return true
		})
		if !isDir {
			return nil
		}
		if ns := names(fns); len(ns) > 0 {
			if len(dirs) >= fs.lim.MaxFiles {
				return fmt.Errorf("ntfs: more than %d directories", fs.lim.MaxFiles)
			}
			dirs[n] = dir{name: ns[0].name, parent: ns[0].parent, parentSeq: ns[0].parentSeq, seq: seq, inUse: flags&flagInUse != 0}
		}
		return nil
	})
	if err != nil {
		return err
	}
	paths := map[int64]string{rootEntry: ""}
	var resolve func(n int64, seq uint16, depth int) (string, bool)
	// resolve returns the path of directory n as a parent reference with
	// sequence seq names it; ok is false when the reference is stale.
	resolve = func(n int64, seq uint16, depth int) (string, bool) {
		if n == rootEntry {
			return "", true
		}
		// Freeing an entry increments its sequence number, so the
		// children of a deleted directory name it with the one before.
		d, found := dirs[n]
		if !found || d.seq != seq && (d.inUse || d.seq != seq+1) {
			return "", false
		}
		if p, ok := paths[n]; ok {
			return p, true
		}
		if depth > fs.lim.MaxDepth || n == extendEntry {
			return "", false
		}
		paths[n] = "$OrphanFiles/" + clean(d.name) // breaks loops while resolving
		parent, ok := resolve(d.parent, d.parentSeq, depth+1)
		p := fsys.Join(parent, d.name)
		if !ok {
			p = "$OrphanFiles/" + clean(d.name)
		}
		paths[n] = p
		return p, true
	}
	files := 0
	return fs.scan(ctx, func(n int64, rec []byte) error {
		if n < firstUserEntry || rec == nil {
			return nil
		}
		flags, _, base := header(rec)
		if base != 0 {
			return nil
		}
		e := fs.entry(n, rec, exts[n])
		if len(e.names) == 0 {
			return nil // never used, or its name is gone: nothing to list
		}
		for _, nm := range names(e.names) {
			if nm.parent == extendEntry {
				continue
			}
			parent, ok := resolve(nm.parent, nm.parentSeq, 0)
			if !ok {
				parent = "$OrphanFiles"
			}
			path := fsys.Join(parent, nm.name)
			for _, s := range e.streams {
				if flags&flagDir != 0 && s.name == "" {
					continue
				}
				files++
				if files > fs.lim.MaxFiles {
					return fmt.Errorf("ntfs: more than %d files", fs.lim.MaxFiles)
				}
				f := &fsys.File{Path: path, Size: s.size, Deleted: flags&flagInUse == 0, ID: uint64(n), Stream: s.name, Times: e.times}
				if s.name != "" {
					f.Path += ":" + clean(s.name)
				}
				fs.content(f, s)
				if err := fn(f); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func clean(name string) string {
	b := []byte(name)
	for i, c := range b {
		if c == '/' {
			b[i] = '_'
		}
	}
	return string(b)
}

// stream is one $DATA attribute, merged across records.
type stream struct {
	name       string
	flags      uint16
	resident   []byte
	residentAt int64 // volume offset of the resident value
	pieces     []piece
	unit       int // compression unit, log2 clusters
	size       int64
	initSize   int64
}

type piece struct {
	vcn  int64
	runs []byte
}

// entryInfo is what the second pass learns of a base entry.
type entryInfo struct {
	names   []fileName
	times   fsys.Times
	streams []*stream
}

// entry gathers the attributes of base entry n from its record and its
// extension records.
func (fs *FS) entry(n int64, rec []byte, exts []int64) *entryInfo {
	e := &entryInfo{}
	byName := map[string]*stream{}
	add := func(rec []byte, recNo int64) {
		fs.attrs(rec, func(a attr) bool {
			switch a.typ {
			case attrStandardInfo:
				if a.resident && len(a.value) >= 32 {
					v := a.value
					e.times = fsys.Times{Created: ntTime(binary.LittleEndian.Uint64(v)), Modified: ntTime(binary.LittleEndian.Uint64(v[8:])),
						Changed: ntTime(binary.LittleEndian.Uint64(v[16:])), Accessed: ntTime(binary.LittleEndian.Uint64(v[24:]))}
				}
			case attrFileName:
				if f, ok := parseFileName(a.value); ok && a.resident {
					e.names = append(e.names, f)
				}
			case attrData:
				s := byName[a.name]
				if s == nil {
					if len(e.streams) >= 256 {
						return false
					}
					s = &stream{name: a.name}
					byName[a.name] = s
					e.streams = append(e.streams, s)
				}
				if a.resident {
					s.resident = append([]byte(nil), a.value...)
					s.residentAt = fs.recordOffset(recNo) + int64(a.valueOff)
					s.size, s.initSize, s.flags = a.size, a.size, a.flags
				} else {
					if a.startVCN == 0 {
						s.size, s.initSize, s.flags, s.unit = a.size, a.initSize, a.flags, a.unit
					}
					if len(s.pieces) < 1024 {
						s.pieces = append(s.pieces, piece{vcn: a.startVCN, runs: append([]byte(nil), a.runs...)})
					}
				}
			}
			return true
		})
	}
	add(rec, n)
	for _, x := range exts {
		xr, err := fs.record(x)
		if err != nil {
			continue
		}
		if _, _, base := header(xr); base != n {
			continue
		}
		add(xr, x)
	}
	return e
}

// recordOffset is the volume offset of MFT entry n.
func (fs *FS) recordOffset(n int64) int64 {
	off := n * fs.recordSize
	for _, e := range fs.mft {
		if off < e.Len {
			return e.Off + off
		}
		off -= e.Len
	}
	return -1
}

// content sets f's extents, data or error from its stream.
func (fs *FS) content(f *fsys.File, s *stream) {
	switch {
	case s.flags&0x4000 != 0:
		f.Err = errors.New("ntfs: EFS-encrypted stream: not read")
		return
	case s.flags&0x00ff != 0 && s.resident == nil && (s.unit < 1 || s.unit > 8):
		f.Err = fmt.Errorf("ntfs: compressed stream with a unit of 2^%d clusters: not read", s.unit)
		return
	}
	if s.resident != nil {
		f.Data = s.resident
		f.Extents = []fsys.Extent{{Off: s.residentAt, Len: int64(len(s.resident))}}
		return
	}
	sort.Slice(s.pieces, func(i, j int) bool { return s.pieces[i].vcn < s.pieces[j].vcn })
	var ex []fsys.Extent
	var at int64
	for _, p := range s.pieces {
		if p.vcn*fs.clusterSize != at {
			f.Err = fsys.Corruptf("ntfs: runs of %s do not join (VCN %d after %d bytes)", f.Path, p.vcn, at)
			return
		}
		r, err := fs.runs(p.runs)
		if err != nil {
			f.Err = err
			return
		}
		for _, e := range r {
			at += e.Len
		}
		ex = append(ex, r...)
	}
	if s.size > at {
		f.Err = fsys.Corruptf("ntfs: %d bytes claimed, runs hold %d", s.size, at)
		return
	}
	if s.flags&0x00ff != 0 {
		// LZNT1-compressed: the extents are the compressed layout.
		f.Extents, f.Unit = ex, fs.clusterSize<<s.unit
		return
	}
	// Bytes past the initialised size read as zeros, as Windows and TSK
	// return them: cut the extents there and let the reader pad.
	f.Extents = fsys.Truncate(ex, min(s.initSize, s.size))
}

// Open implements fsys.FS.
func (fs *FS) Open(f *fsys.File) (io.ReaderAt, error) {
	if f.Err == nil && f.Unit > 0 {
		return newCompressed(fs.r, f.Extents, f.Unit, f.Size), nil
	}
	return fsys.Content(fs.r, f)
}

// Unallocated implements fsys.FS: the clear bits of $Bitmap.
func (fs *FS) Unallocated(ctx context.Context, fn func(fsys.Extent) error) error {
	rec, err := fs.record(6)
	if err != nil {
		return fmt.Errorf("ntfs: $Bitmap: %w", err)
	}
	f := &fsys.File{Path: "$Bitmap"}
	var s *stream
	fs.attrs(rec, func(a attr) bool {
		if a.typ == attrData && a.name == "" {
			s = &stream{flags: a.flags, size: a.size, initSize: a.initSize}
			if a.resident {
				s.resident = a.value
			} else {
				s.pieces = []piece{{runs: a.runs}}
			}
			return false
		}
		return true
	})
	if s == nil {
		return fsys.Corruptf("ntfs: $Bitmap has no data")
	}
	f.Size = s.size
	fs.content(f, s)
	r, err := fs.Open(f)
	if err != nil {
		return fmt.Errorf("ntfs: $Bitmap: %w", err)
	}
	clusters := fs.size / fs.clusterSize
	buf := make([]byte, 1<<16)
	runs := fsys.NewRuns(fn)
	for off := int64(0); off < f.Size && off*8 < clusters; off += int64(len(buf)) {
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := r.ReadAt(buf, off)
		if n == 0 && err != nil {
			return fmt.Errorf("ntfs: $Bitmap: %w", err)
		}
		for i := 0; i < n; i++ {
			if buf[i] == 0xff {
				continue
			}
			for bit := 0; bit < 8; bit++ {
				cl := (off+int64(i))*8 + int64(bit)
				if cl >= clusters {
					break
				}
				if buf[i]&(1<<bit) == 0 {
					if err := runs.Add(cl*fs.clusterSize, fs.clusterSize); err != nil {
						return err
					}
				}
			}
		}
	}
	return runs.Flush()
}
