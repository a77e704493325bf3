// Package exfat reads exFAT volumes without mounting them: every file,
// deleted ones included, with its name, timestamps (in UTC where the
// volume recorded the offset) and clusters, and the free clusters of the
// allocation bitmap.
//
// A deleted file keeps its stream entry (first cluster, length), so its
// content is taken as The Sleuth Kit takes it: contiguous from the first
// cluster (exact for files written without a FAT chain, as most are). A
// deleted file whose first cluster is allocated again is listed with an
// error. File identifiers are The Sleuth Kit's: 32-byte directory slots
// numbered from 3 at the start of the cluster heap.
//
// Chains are followed at most as far as a size needs and never round a
// cycle; directories are at most 256 MiB (the format's limit) and
// visited once; entry sets are checked before they are trusted.
package exfat

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/winnow-forensics/winnow/triage/disk/fsys"
)

// FS is an opened exFAT volume.
type FS struct {
	r           io.ReaderAt
	lim         fsys.Limits
	bps         int64
	clusterSize int64
	fatOff      int64
	heapOff     int64
	clusters    uint32
	rootCluster uint32
	bitmap      []byte // allocation bitmap, loaded by Walk or Unallocated

	mu    sync.Mutex
	pages map[int64][]byte
	order []int64
}

var _ fsys.FS = (*FS)(nil)

const maxDirBytes = 256 << 20

// Open reads the boot sector and the allocation bitmap.
func Open(r io.ReaderAt, size int64, lim fsys.Limits) (*FS, error) {
	b := make([]byte, 512)
	if err := fsys.ReadFull(r, b, 0); err != nil {
		return nil, fmt.Errorf("exfat: boot sector: %w", err)
	}
	if string(b[3:11]) != "EXFAT   " {
		return nil, errors.New("exfat: no signature")
	}
	bpsShift, spcShift := b[108], b[109]
	if bpsShift < 9 || bpsShift > 12 || int(bpsShift)+int(spcShift) > 25 {
		return nil, fsys.Corruptf("exfat: bad geometry")
	}
	fs := &FS{r: r, lim: lim.WithDefaults(), bps: 1 << bpsShift, pages: map[int64][]byte{}}
	fs.clusterSize = fs.bps << spcShift
	fs.fatOff = int64(binary.LittleEndian.Uint32(b[80:])) * fs.bps
	fs.heapOff = int64(binary.LittleEndian.Uint32(b[88:])) * fs.bps
	fs.clusters = binary.LittleEndian.Uint32(b[92:])
	fs.rootCluster = binary.LittleEndian.Uint32(b[96:])
	if fs.clusters == 0 || fs.clusters > 0xfffffff5 || !fs.valid(fs.rootCluster) || fs.heapOff <= fs.fatOff {
		return nil, fsys.Corruptf("exfat: bad layout")
	}
	fs.clusters = uint32(min(int64(fs.clusters), (size-fs.heapOff)/fs.clusterSize))
	if err := fs.loadBitmap(); err != nil {
		return nil, err
	}
	return fs, nil
}

// Type implements fsys.FS.
func (fs *FS) Type() string { return "exfat" }

func (fs *FS) valid(c uint32) bool { return c >= 2 && c-2 < fs.clusters }

func (fs *FS) clusterOff(c uint32) int64 { return fs.heapOff + int64(c-2)*fs.clusterSize }

// next reads the FAT entry of cluster c.
func (fs *FS) next(c uint32) (uint32, error) {
	off := int64(c) * 4
	const pageSize = 64 << 10
	i := off / pageSize
	fs.mu.Lock()
	defer fs.mu.Unlock()
	p, ok := fs.pages[i]
	if !ok {
		p = make([]byte, pageSize)
		n, _ := fs.r.ReadAt(p, fs.fatOff+i*pageSize)
		p = p[:n/4*4]
		if len(fs.order) >= 64 {
			delete(fs.pages, fs.order[0])
			fs.order = fs.order[1:]
		}
		fs.pages[i] = p
		fs.order = append(fs.order, i)
	}
	if off%pageSize+4 > int64(len(p)) {
		return 0, fsys.Corruptf("exfat: FAT entry of cluster %d unreadable", c)
	}
	return binary.LittleEndian.Uint32(p[off%pageSize:]), nil
}

// chain returns the extents of a file's content: n clusters from c,
// contiguous (noChain) or along the FAT.
func (fs *FS) chain(c uint32, n int64, noChain bool) ([]fsys.Extent, error) {
	if n == 0 {
		return nil, nil
	}
	if noChain {
		if !fs.valid(c) || int64(c-2)+n > int64(fs.clusters) {
			return nil, fsys.Corruptf("exfat: %d clusters from %d run past the volume", n, c)
		}
		return []fsys.Extent{{Off: fs.clusterOff(c), Len: n * fs.clusterSize}}, nil
	}
	var ex []fsys.Extent
	seen := map[uint32]bool{}
	for k := int64(0); k < n; k++ {
		if !fs.valid(c) {
			return ex, fsys.Corruptf("exfat: chain reaches cluster %d after %d of %d", c, k, n)
		}
		if seen[c] {
			return ex, fsys.Corruptf("exfat: chain loops at cluster %d", c)
		}
		seen[c] = true
		off := fs.clusterOff(c)
		if l := len(ex); l > 0 && ex[l-1].End() == off {
			ex[l-1].Len += fs.clusterSize
		} else {
			if len(ex) >= fs.lim.MaxExtents {
				return ex, fsys.Corruptf("exfat: more than %d fragments", fs.lim.MaxExtents)
			}
			ex = append(ex, fsys.Extent{Off: off, Len: fs.clusterSize})
		}
		if k+1 == n {
			break
		}
		nx, err := fs.next(c)
		if err != nil {
			return ex, err
		}
		c = nx
	}
	return ex, nil
}

// loadBitmap finds the allocation bitmap entry in the root directory.
func (fs *FS) loadBitmap() error {
	ex, err := fs.dirExtents(fs.rootCluster, 0, false)
	if err != nil {
		return fmt.Errorf("exfat: root directory: %w", err)
	}
	buf := make([]byte, 32)
	for _, e := range ex {
		for off := e.Off; off < e.End(); off += 32 {
			if err := fsys.ReadFull(fs.r, buf, off); err != nil {
				return err
			}
			if buf[0] == 0 {
				return fsys.Corruptf("exfat: no allocation bitmap")
			}
			if buf[0] != 0x81 {
				continue
			}
			c := binary.LittleEndian.Uint32(buf[20:])
			n := int64(binary.LittleEndian.Uint64(buf[24:]))
			if n < int64(fs.clusters+7)/8 || n > fs.lim.MaxMeta || !fs.valid(c) {
				return fsys.Corruptf("exfat: allocation bitmap of %d bytes", n)
			}
			bex, err := fs.chain(c, (n+fs.clusterSize-1)/fs.clusterSize, false)
			if err != nil {
				return fmt.Errorf("exfat: allocation bitmap: %w", err)
			}
			fs.bitmap = make([]byte, n)
			if err := fsys.ReadFull(fsys.NewExtentReader(fs.r, bex, n), fs.bitmap, 0); err != nil {
				return fmt.Errorf("exfat: allocation bitmap: %w", err)
			}
			return nil
		}
	}
	return fsys.Corruptf("exfat: no allocation bitmap")
}

func (fs *FS) allocated(c uint32) bool {
	i := int64(c - 2)
	return !fs.valid(c) || i/8 >= int64(len(fs.bitmap)) || fs.bitmap[i/8]&(1<<(i%8)) != 0
}

// dirExtents returns a directory's clusters: size bytes (0: follow the
// chain to its end, bounded), the first cluster only for a deleted one.
func (fs *FS) dirExtents(c uint32, size int64, noChain bool) ([]fsys.Extent, error) {
	if size <= 0 || size > maxDirBytes {
		size = maxDirBytes
		if noChain {
			size = fs.clusterSize
		}
	}
	n := (size + fs.clusterSize - 1) / fs.clusterSize
	if noChain {
		return fs.chain(c, n, true)
	}
	var ex []fsys.Extent
	seen := map[uint32]bool{}
	for k := int64(0); k < n; k++ {
		if !fs.valid(c) || seen[c] {
			break
		}
		seen[c] = true
		ex = append(ex, fsys.Extent{Off: fs.clusterOff(c), Len: fs.clusterSize})
		nx, err := fs.next(c)
		if err != nil || nx >= 0xfffffff7 {
			break
		}
		c = nx
	}
	if len(ex) == 0 {
		return nil, fsys.Corruptf("exfat: directory at cluster %d unreadable", c)
	}
	return ex, nil
}

// fileSet is one parsed file entry set.
type fileSet struct {
	name    string
	attr    uint16
	deleted bool
	first   uint32
	size    int64
	valid   int64
	noChain bool
	id      uint64
	times   fsys.Times
}

// readDir parses the entry sets of a directory.
func (fs *FS) readDir(ex []fsys.Extent, inDeleted bool) ([]fileSet, error) {
	var raw []byte
	var slots []int64 // volume offset of each 32-byte slot
	for _, e := range ex {
		b := make([]byte, e.Len)
		n, err := fs.r.ReadAt(b, e.Off)
		if n < len(b) && len(raw)+n == 0 {
			return nil, fmt.Errorf("exfat: reading a directory: %w", err)
		}
		raw = append(raw, b[:n/32*32]...)
		for o := int64(0); o < int64(n/32); o++ {
			slots = append(slots, e.Off+o*32)
		}
	}
	var out []fileSet
	for i := 0; i < len(slots); i++ {
		d := raw[32*i : 32*i+32]
		t := d[0]
		if t != 0x85 && t != 0x05 {
			continue
		}
		deleted := t == 0x05 || inDeleted
		sec := int(d[1])
		if sec < 2 || sec > 18 || i+sec >= len(slots) {
			continue
		}
		st := raw[32*(i+1) : 32*(i+2)]
		if st[0]&0x7f != 0x40 || (t == 0x85) != (st[0] == 0xc0) {
			continue
		}
		f := fileSet{attr: binary.LittleEndian.Uint16(d[4:]), deleted: deleted}
		f.id = uint64(slots[i]/fs.bps*(fs.bps/32)+(slots[i]%fs.bps)/32) + 3 - uint64(fs.heapOff/32)
		f.noChain = st[1]&2 != 0
		nameLen := int(st[3])
		f.valid = int64(binary.LittleEndian.Uint64(st[8:]))
		f.first = binary.LittleEndian.Uint32(st[20:])
		f.size = int64(binary.LittleEndian.Uint64(st[24:]))
		var u []uint16
		for k := 2; k <= sec && len(u) < nameLen; k++ {
			nd := raw[32*(i+k) : 32*(i+k)+32]
			if nd[0]&0x7f != 0x41 {
				break
			}
			for c := 2; c < 32 && len(u) < nameLen; c += 2 {
				u = append(u, binary.LittleEndian.Uint16(nd[c:]))
			}
		}
		if len(u) == 0 {
			continue
		}
		f.name = strings.ToValidUTF8(string(utf16.Decode(u)), "\uFFFD")
		f.times = fsys.Times{
			Created:  stamp(binary.LittleEndian.Uint32(d[8:]), d[20], d[22]),
			Modified: stamp(binary.LittleEndian.Uint32(d[12:]), d[21], d[23]),
			Accessed: stamp(binary.LittleEndian.Uint32(d[16:]), 0, d[24]),
		}
		out = append(out, f)
		i += sec
	}
	return out, nil
}

// stamp decodes an exFAT timestamp; with a valid UTC offset the result is
// true UTC, otherwise the recorded local time labelled UTC.
func stamp(v uint32, tenMS, utcOff byte) time.Time {
	if v == 0 {
		return time.Time{}
	}
	y, mo, d := int(v>>25)+1980, int(v>>21&15), int(v>>16&31)
	h, mi, s := int(v>>11&31), int(v>>5&63), int(v&31)*2
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 {
		return time.Time{}
	}
	t := time.Date(y, time.Month(mo), d, h, mi, s, int(tenMS%200)*10*int(time.Millisecond), time.UTC)
	if utcOff&0x80 != 0 {
		off := int(int8(utcOff<<1) >> 1) // 7-bit signed, 15-minute units
		t = t.Add(-time.Duration(off) * 15 * time.Minute)
	}
	return t
}

// Walk implements fsys.FS.
func (fs *FS) Walk(ctx context.Context, fn func(*fsys.File) error) error {
	type dir struct {
		path    string
		cluster uint32
		size    int64
		noChain bool
		deleted bool
		depth   int
	}
	queue := []dir{{cluster: fs.rootCluster}}
	seen := map[uint32]bool{fs.rootCluster: true}
	files := 0
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if err := ctx.Err(); err != nil {
			return err
		}
		ex, err := fs.dirExtents(d.cluster, d.size, d.noChain || d.deleted)
		if err != nil {
			if !d.deleted {
				if e := fn(&fsys.File{Path: d.path, Err: fmt.Errorf("directory not read: %w", err)}); e != nil {
					return e
				}
			}
			continue
		}
		sets, err := fs.readDir(ex, d.deleted)
		if err != nil && !d.deleted {
			if e := fn(&fsys.File{Path: d.path, Err: err}); e != nil {
				return e
			}
		}
		for _, s := range sets {
			files++
			if files > fs.lim.MaxFiles {
				return fn(&fsys.File{Path: d.path, Err: fmt.Errorf("more than %d files: the rest are not listed", fs.lim.MaxFiles)})
			}
			p := fsys.Join(d.path, s.name)
			if s.attr&0x10 != 0 {
				switch {
				case !fs.valid(s.first) || seen[s.first] || d.depth >= fs.lim.MaxDepth:
				case s.deleted && fs.allocated(s.first):
				default:
					seen[s.first] = true
					queue = append(queue, dir{path: p, cluster: s.first, size: s.size, noChain: s.noChain, deleted: s.deleted, depth: d.depth + 1})
				}
				continue
			}
			f := &fsys.File{Path: p, Size: s.size, Deleted: s.deleted, ID: s.id, Times: s.times}
			fs.content(f, s)
			if err := fn(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// content sets a file's extents: its chain when allocated, contiguous
// clusters from the first when deleted; bytes past the valid data length
// read as zeros.
func (fs *FS) content(f *fsys.File, s fileSet) {
	if s.size == 0 {
		return
	}
	n := (s.size + fs.clusterSize - 1) / fs.clusterSize
	if s.deleted {
		if !fs.valid(s.first) {
			f.Err = fmt.Errorf("deleted file: first cluster %d out of range: not recoverable", s.first)
			return
		}
		if fs.allocated(s.first) {
			f.Err = errors.New("deleted file: its first cluster is in use again: overwritten")
			return
		}
	}
	ex, err := fs.chain(s.first, n, s.noChain || s.deleted)
	if err != nil {
		f.Err = err
		return
	}
	f.Extents = fsys.Truncate(ex, min(s.valid, s.size))
}

// Open implements fsys.FS.
func (fs *FS) Open(f *fsys.File) (io.ReaderAt, error) { return fsys.Content(fs.r, f) }

// Unallocated implements fsys.FS: the clear bits of the allocation bitmap.
func (fs *FS) Unallocated(ctx context.Context, fn func(fsys.Extent) error) error {
	runs := fsys.NewRuns(fn)
	for i := int64(0); i < int64(fs.clusters); i++ {
		if i%(1<<16) == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if fs.bitmap[i/8]&(1<<(i%8)) == 0 {
			if err := runs.Add(fs.heapOff+i*fs.clusterSize, fs.clusterSize); err != nil {
				return err
			}
		}
	}
	return runs.Flush()
}
