// Package fat reads FAT12, FAT16 and FAT32 file systems from a volume
// image without mounting it: every file, the deleted ones included, with
// its long name, timestamps and the clusters that hold it, and the
// volume's free clusters.
//
// Deleted files are recovered as The Sleuth Kit recovers them: FAT erases
// the chain of a deleted file, so its content is taken to be contiguous
// from its first cluster for as many clusters as its size needs (never
// following the zeroed chain, which would return the wrong bytes). A
// deleted file whose first cluster is allocated to something else again
// is listed with an error: its content was overwritten.
//
// File identifiers are The Sleuth Kit's: each 32-byte directory slot is
// numbered from 3 at the first sector after the FATs (the root directory
// of FAT12/16, the data area of FAT32); the root directory is 2.
//
// Hostile volumes cost bounded work: chains are followed at most as far as
// a file's size needs and never round a cycle, directories are at most
// 65,536 entries (the format's limit) and never visited twice, and the FAT
// is read through a small page cache.
package fat

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/winnow-forensics/winnow/triage/disk/fsys"
)

// FS is an opened FAT file system.
type FS struct {
	r     io.ReaderAt
	lim   fsys.Limits
	kind  string
	width int64 // bytes of a FAT entry to read: 2 (FAT12/16) or 4

	bps, clusterSize int64
	fatOff, fatBytes int64
	rootOff, rootLen int64 // FAT12/16 fixed root directory
	rootCluster      uint32
	dataOff          int64
	firstMetaSector  int64  // the sector slot 3 is numbered from
	clusters         uint32 // valid cluster numbers are 2..clusters+1

	mu       sync.Mutex       // guards the page cache
	pages    map[int64][]byte // FAT pages by index
	order    []int64
	lastIdx  int64 // the page read last, looked up without the map
	lastPage []byte
}

var _ fsys.FS = (*FS)(nil)

const (
	pageSize     = 64 << 10
	maxPages     = 64
	maxDirBytes  = 65536 * 32
	attrReadOnly = 0x01
	attrVolume   = 0x08
	attrDir      = 0x10
	attrLFN      = 0x0f
)

// Probe reports whether the boot sector b (512 bytes at least) describes a
// FAT volume, and which ("fat12", "fat16", "fat32").
func Probe(b []byte) (string, bool) {
	g, err := geometry(b)
	if err != nil {
		return "", false
	}
	return g.kind, true
}

type geom struct {
	kind                     string
	bps, spc, rsvd, nfats    int64
	rootEnts, totSec, fatSec int64
	rootCluster              uint32
	clusters                 int64
}

func geometry(b []byte) (geom, error) {
	var g geom
	if len(b) < 512 {
		return g, errors.New("fat: short boot sector")
	}
	if b[0] != 0xeb && b[0] != 0xe9 {
		return g, errors.New("fat: no boot jump")
	}
	g.bps = int64(binary.LittleEndian.Uint16(b[11:]))
	g.spc = int64(b[13])
	g.rsvd = int64(binary.LittleEndian.Uint16(b[14:]))
	g.nfats = int64(b[16])
	g.rootEnts = int64(binary.LittleEndian.Uint16(b[17:]))
	g.totSec = int64(binary.LittleEndian.Uint16(b[19:]))
	if g.totSec == 0 {
		g.totSec = int64(binary.LittleEndian.Uint32(b[32:]))
	}
	g.fatSec = int64(binary.LittleEndian.Uint16(b[22:]))
	if g.fatSec == 0 {
		g.fatSec = int64(binary.LittleEndian.Uint32(b[36:]))
		g.rootCluster = binary.LittleEndian.Uint32(b[44:])
	}
	switch {
	case g.bps < 512 || g.bps > 4096 || g.bps&(g.bps-1) != 0:
		return g, errors.New("fat: bad sector size")
	case g.spc == 0 || g.spc&(g.spc-1) != 0:
		return g, errors.New("fat: bad cluster size")
	case g.rsvd == 0 || g.nfats == 0 || g.nfats > 4 || g.fatSec == 0 || g.totSec == 0:
		return g, errors.New("fat: implausible layout")
	}
	rootSec := (g.rootEnts*32 + g.bps - 1) / g.bps
	data := g.totSec - (g.rsvd + g.nfats*g.fatSec + rootSec)
	if data <= 0 {
		return g, errors.New("fat: no data area")
	}
	g.clusters = data / g.spc
	switch {
	case g.clusters < 4085:
		g.kind = "fat12"
	case g.clusters < 65525:
		g.kind = "fat16"
	default:
		g.kind = "fat32"
		if g.rootEnts != 0 || g.rootCluster < 2 {
			return g, errors.New("fat: FAT32 without a root cluster")
		}
	}
	// The FAT must be able to hold an entry per cluster.
	bits := map[string]int64{"fat12": 12, "fat16": 16, "fat32": 32}[g.kind]
	if g.fatSec*g.bps*8/bits < g.clusters+2 {
		g.clusters = g.fatSec*g.bps*8/bits - 2
		if g.clusters <= 0 {
			return g, errors.New("fat: FAT too small")
		}
	}
	return g, nil
}

// Open reads the boot sector of the volume r (size bytes).
func Open(r io.ReaderAt, size int64, lim fsys.Limits) (*FS, error) {
	b := make([]byte, 512)
	if err := fsys.ReadFull(r, b, 0); err != nil {
		return nil, fmt.Errorf("fat: boot sector: %w", err)
	}
	g, err := geometry(b)
	if err != nil {
		return nil, err
	}
	fs := &FS{r: r, lim: lim.WithDefaults(), kind: g.kind, width: 2, bps: g.bps, clusterSize: g.bps * g.spc,
		fatOff: g.rsvd * g.bps, fatBytes: g.fatSec * g.bps, pages: map[int64][]byte{}}
	fs.rootOff = fs.fatOff + g.nfats*fs.fatBytes
	fs.firstMetaSector = g.rsvd + g.nfats*g.fatSec
	fs.rootLen = g.rootEnts * 32
	fs.dataOff = fs.rootOff + (g.rootEnts*32+g.bps-1)/g.bps*g.bps
	// A boot sector may claim more clusters than the image holds (a
	// truncated image, or a lie): only those inside it are used.
	fs.clusters = uint32(max(0, min(g.clusters, 0x0ffffff5, (size-fs.dataOff)/fs.clusterSize)))
	fs.rootCluster = g.rootCluster
	if g.kind == "fat32" {
		fs.width = 4
	}
	if g.kind == "fat32" && !fs.valid(g.rootCluster) {
		return nil, fsys.Corruptf("fat: root cluster %d is out of range", g.rootCluster)
	}
	return fs, nil
}

// Type implements fsys.FS.
func (fs *FS) Type() string { return fs.kind }

// ClusterSize is the allocation unit in bytes.
func (fs *FS) ClusterSize() int64 { return fs.clusterSize }

func (fs *FS) valid(c uint32) bool { return c >= 2 && c < fs.clusters+2 }

func (fs *FS) clusterOff(c uint32) int64 { return fs.dataOff + int64(c-2)*fs.clusterSize }

// next returns the FAT entry of cluster c.
func (fs *FS) next(c uint32) (uint32, error) {
	var off int64
	switch fs.kind {
	case "fat12":
		off = int64(c) + int64(c)/2
	case "fat16":
		off = int64(c) * 2
	default:
		off = int64(c) * 4
	}
	var b [4]byte
	for i := range b[:fs.width] {
		p, err := fs.page((off + int64(i)) / pageSize)
		if err != nil {
			return 0, err
		}
		in := (off + int64(i)) % pageSize
		if in >= int64(len(p)) {
			return 0, fsys.Corruptf("fat: entry of cluster %d is outside the FAT", c)
		}
		b[i] = p[in]
	}
	switch fs.kind {
	case "fat12":
		v := uint32(binary.LittleEndian.Uint16(b[:]))
		if c&1 == 1 {
			v >>= 4
		}
		v &= 0xfff
		if v >= 0xff7 {
			v |= 0x0ffff000
		}
		return v, nil
	case "fat16":
		v := uint32(binary.LittleEndian.Uint16(b[:]))
		if v >= 0xfff7 {
			v |= 0x0fff0000
		}
		return v, nil
	}
	return binary.LittleEndian.Uint32(b[:]) & 0x0fffffff, nil
}

func (fs *FS) page(i int64) ([]byte, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.lastPage != nil && fs.lastIdx == i {
		return fs.lastPage, nil
	}
	if p, ok := fs.pages[i]; ok {
		fs.lastIdx, fs.lastPage = i, p
		return p, nil
	}
	n := min(pageSize, fs.fatBytes-i*pageSize)
	if n <= 0 {
		return nil, fsys.Corruptf("fat: read past the FAT")
	}
	p := make([]byte, n)
	if m, err := fs.r.ReadAt(p, fs.fatOff+i*pageSize); m < len(p) {
		return nil, fmt.Errorf("fat: reading the FAT: %w", err)
	}
	if len(fs.order) >= maxPages {
		delete(fs.pages, fs.order[0])
		fs.order = fs.order[1:]
	}
	fs.pages[i] = p
	fs.order = append(fs.order, i)
	fs.lastIdx, fs.lastPage = i, p
	return p, nil
}

// chain returns the extents of the chain from cluster c, at most n
// clusters long (n < 0: to the end of the chain, bounded by the number of
// clusters). It fails on a cycle, a bad or free link, or an out-of-range
// cluster.
func (fs *FS) chain(c uint32, n int64) ([]fsys.Extent, error) {
	limit := int64(fs.clusters)
	if n >= 0 {
		limit = min(limit, n)
	}
	var ex []fsys.Extent
	var count int64
	// A chain that only moves forward cannot loop, and its clusters are
	// the extents built so far (sorted): only after its first backward
	// jump does it need a set, and then a revisit is caught at once.
	var prefix []fsys.Extent // the extents of the forward-only prefix
	var seen map[uint32]bool
	prev := uint32(0)
	for count < limit {
		if !fs.valid(c) {
			return ex, fsys.Corruptf("fat: chain reaches cluster %d, out of range", c)
		}
		if count > 0 && c <= prev && seen == nil {
			prefix, seen = append([]fsys.Extent(nil), ex...), map[uint32]bool{}
		}
		if seen != nil {
			if seen[c] || covers(prefix, fs.clusterOff(c)) {
				return ex, fsys.Corruptf("fat: chain loops back to cluster %d", c)
			}
			seen[c] = true
		}
		prev = c
		off := fs.clusterOff(c)
		if k := len(ex); k > 0 && ex[k-1].End() == off {
			ex[k-1].Len += fs.clusterSize
		} else {
			if len(ex) >= fs.lim.MaxExtents {
				return ex, fsys.Corruptf("fat: more than %d fragments", fs.lim.MaxExtents)
			}
			ex = append(ex, fsys.Extent{Off: off, Len: fs.clusterSize})
		}
		count++
		nx, err := fs.next(c)
		if err != nil {
			return ex, err
		}
		if nx >= 0x0ffffff8 {
			if n >= 0 && count < n {
				return ex, fsys.Corruptf("fat: chain ends after %d of %d clusters", count, n)
			}
			return ex, nil
		}
		if nx == 0x0ffffff7 || nx < 2 {
			return ex, fsys.Corruptf("fat: chain hits a bad or free cluster after %d clusters", count)
		}
		c = nx
	}
	if n < 0 {
		return ex, fsys.Corruptf("fat: chain longer than the volume has clusters (a cycle)")
	}
	return ex, nil
}

// covers reports whether sorted, disjoint extents hold offset off.
func covers(ex []fsys.Extent, off int64) bool {
	i := sort.Search(len(ex), func(i int) bool { return ex[i].End() > off })
	return i < len(ex) && ex[i].Off <= off
}

// entry is one parsed directory entry.
type entry struct {
	name    string
	attr    byte
	deleted bool
	cluster uint32
	size    int64
	id      uint64
	times   fsys.Times
}

// dirData reads a directory's entries: the fixed root of FAT12/16, or a
// cluster chain (bounded to 65,536 entries; a deleted directory's first
// cluster only, as its chain is gone).
func (fs *FS) dirData(cluster uint32, deleted bool) ([]fsys.Extent, error) {
	if cluster == 0 {
		if fs.kind != "fat32" {
			return []fsys.Extent{{Off: fs.rootOff, Len: fs.rootLen}}, nil
		}
		cluster = fs.rootCluster
	}
	if deleted {
		if !fs.valid(cluster) {
			return nil, fsys.Corruptf("fat: cluster %d out of range", cluster)
		}
		return []fsys.Extent{{Off: fs.clusterOff(cluster), Len: fs.clusterSize}}, nil
	}
	ex, err := fs.chain(cluster, maxDirBytes/fs.clusterSize+1)
	if err != nil && len(ex) == 0 {
		return nil, err
	}
	return ex, nil // a damaged chain still yields what it reached
}

// readDir parses the entries of a directory held in ex. Slots are numbered
// from their sector, as The Sleuth Kit numbers them.
func (fs *FS) readDir(ex []fsys.Extent, inDeleted bool) ([]entry, error) {
	var out []entry
	var lfn []uint16
	var lfnSum byte
	var lfnOK bool
	for _, e := range ex {
		b := make([]byte, min(e.Len, maxDirBytes))
		if m, err := fs.r.ReadAt(b, e.Off); m < len(b) {
			b = b[:m/32*32]
			if len(b) == 0 {
				return out, fmt.Errorf("fat: reading a directory: %w", err)
			}
		}
		for i := 0; i+32 <= len(b); i += 32 {
			d := b[i : i+32]
			slot := e.Off + int64(i)
			id := uint64((slot/fs.bps-fs.firstMetaSector)*(fs.bps/32) + (slot%fs.bps)/32 + 3)
			if d[0] == 0 {
				lfnOK = false
				continue
			}
			if d[11]&0x3f == attrLFN {
				ord := d[0]
				chars := lfnChars(d)
				if (ord != 0xe5 && ord&0x40 != 0) || (ord == 0xe5 && !lfnOK) {
					lfn, lfnSum, lfnOK = nil, d[13], true
				}
				if !lfnOK || d[13] != lfnSum {
					lfnOK = false
					continue
				}
				lfn = append(chars, lfn...)
				continue
			}
			en := entry{attr: d[11], id: id, deleted: d[0] == 0xe5 || inDeleted,
				size: int64(binary.LittleEndian.Uint32(d[28:]))}
			en.cluster = uint32(binary.LittleEndian.Uint16(d[26:]))
			if fs.kind == "fat32" {
				en.cluster |= uint32(binary.LittleEndian.Uint16(d[20:])) << 16
			}
			short := shortName(d)
			if lfnOK && len(lfn) > 0 && (d[0] == 0xe5 || checksum(d[:11]) == lfnSum) {
				en.name = decodeLFN(lfn)
			} else {
				en.name = short
			}
			lfn, lfnOK = nil, false
			if en.attr&attrVolume != 0 || !validShort(d) {
				continue
			}
			en.times = fsys.Times{
				Created:  dosTime(binary.LittleEndian.Uint16(d[16:]), binary.LittleEndian.Uint16(d[14:]), d[13]),
				Modified: dosTime(binary.LittleEndian.Uint16(d[24:]), binary.LittleEndian.Uint16(d[22:]), 0),
				Accessed: dosTime(binary.LittleEndian.Uint16(d[18:]), 0, 0),
			}
			out = append(out, en)
		}
	}
	return out, nil
}

func lfnChars(d []byte) []uint16 {
	var u []uint16
	for _, r := range [][2]int{{1, 11}, {14, 26}, {28, 32}} {
		for i := r[0]; i < r[1]; i += 2 {
			u = append(u, binary.LittleEndian.Uint16(d[i:]))
		}
	}
	return u
}

func decodeLFN(u []uint16) string {
	for i, c := range u {
		if c == 0 {
			u = u[:i]
			break
		}
	}
	return strings.ToValidUTF8(string(utf16.Decode(u)), "\uFFFD")
}

func checksum(name []byte) byte {
	var s byte
	for _, c := range name {
		s = (s>>1 | s<<7) + c
	}
	return s
}

// validShort rejects slots that are not directory entries at all (garbage
// in a deleted directory's cluster).
func validShort(d []byte) bool {
	for i := 1; i < 11; i++ {
		if d[i] < 0x20 && d[i] != 0x05 {
			return false
		}
	}
	return d[11]&0xc0 == 0
}

// shortName decodes an 8.3 name, lowercase where the entry says so, with
// "_" for the first character of a deleted entry (as The Sleuth Kit shows
// it).
func shortName(d []byte) string {
	base := strings.TrimRight(string(d[:8]), " ")
	ext := strings.TrimRight(string(d[8:11]), " ")
	if d[0] == 0xe5 {
		base = "_" + base[1:]
	} else if d[0] == 0x05 {
		base = "\xe5" + base[1:]
	}
	if d[12]&0x08 != 0 {
		base = strings.ToLower(base)
	}
	if d[12]&0x10 != 0 {
		ext = strings.ToLower(ext)
	}
	name := base
	if ext != "" {
		name += "." + ext
	}
	return strings.ToValidUTF8(name, "_")
}

// dosTime decodes a FAT date and time. FAT records local time with no
// zone: the result carries the recorded wall-clock time labelled UTC.
func dosTime(date, tm uint16, tenths byte) time.Time {
	if date == 0 {
		return time.Time{}
	}
	y, mo, d := int(date>>9)+1980, int(date>>5&15), int(date&31)
	h, mi, s := int(tm>>11), int(tm>>5&63), int(tm&31)*2
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 {
		return time.Time{}
	}
	ns := int(tenths%200) * 10 * int(time.Millisecond)
	return time.Date(y, time.Month(mo), d, h, mi, s, ns, time.UTC)
}

// Walk implements fsys.FS.
func (fs *FS) Walk(ctx context.Context, fn func(*fsys.File) error) error {
	type dir struct {
		path    string
		cluster uint32
		deleted bool
		depth   int
	}
	queue := []dir{{cluster: 0}}
	seen := map[uint32]bool{}
	files := 0
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if err := ctx.Err(); err != nil {
			return err
		}
		ex, err := fs.dirData(d.cluster, d.deleted)
		if err != nil {
			if d.deleted {
				continue // a deleted directory whose cluster is gone: nothing to list
			}
			if e := fn(&fsys.File{Path: d.path, Err: fmt.Errorf("directory not read: %w", err)}); e != nil {
				return e
			}
			continue
		}
		ents, err := fs.readDir(ex, d.deleted)
		if err != nil && !d.deleted {
			if e := fn(&fsys.File{Path: d.path, Err: err}); e != nil {
				return e
			}
		}
		for _, en := range ents {
			if en.name == "." || en.name == ".." {
				continue
			}
			files++
			if files > fs.lim.MaxFiles {
				return fn(&fsys.File{Path: d.path, Err: fmt.Errorf("more than %d files: the rest are not listed", fs.lim.MaxFiles)})
			}
			p := fsys.Join(d.path, en.name)
			if en.attr&attrDir != 0 {
				c := en.cluster
				switch {
				case c == 0 || !fs.valid(c) || seen[c]:
					// a loop, or a deleted entry pointing nowhere
				case d.depth+1 > fs.lim.MaxDepth:
					if e := fn(&fsys.File{Path: p, Err: fmt.Errorf("directory nested deeper than %d: not listed", fs.lim.MaxDepth)}); e != nil {
						return e
					}
				case en.deleted && fs.allocated(c):
					// its cluster belongs to something else now
				default:
					seen[c] = true
					queue = append(queue, dir{path: p, cluster: c, deleted: en.deleted, depth: d.depth + 1})
				}
				continue
			}
			f := &fsys.File{Path: p, Size: en.size, Deleted: en.deleted, ID: en.id, Times: en.times}
			fs.extents(f, en.cluster)
			if err := fn(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// allocated reports whether cluster c is in use according to the FAT.
func (fs *FS) allocated(c uint32) bool {
	v, err := fs.next(c)
	return err != nil || v != 0
}

// extents sets f's extents: the chain of an allocated file, the contiguous
// clusters from the first of a deleted one.
func (fs *FS) extents(f *fsys.File, c uint32) {
	if f.Size == 0 {
		return
	}
	n := (f.Size + fs.clusterSize - 1) / fs.clusterSize
	if !f.Deleted {
		ex, err := fs.chain(c, n)
		if err != nil {
			f.Err = err
			return
		}
		f.Extents = fsys.Truncate(ex, f.Size)
		return
	}
	switch {
	case !fs.valid(c):
		f.Err = fmt.Errorf("deleted file: its first cluster %d is out of range: not recoverable", c)
	case int64(c-2)+n > int64(fs.clusters):
		f.Err = fmt.Errorf("deleted file: %d clusters from cluster %d run past the end of the volume: not recoverable", n, c)
	case fs.allocated(c):
		f.Err = errors.New("deleted file: its first cluster is in use again: overwritten")
	default:
		f.Extents = []fsys.Extent{{Off: fs.clusterOff(c), Len: f.Size}}
	}
}

// Open implements fsys.FS.
func (fs *FS) Open(f *fsys.File) (io.ReaderAt, error) { return fsys.Content(fs.r, f) }

// Unallocated implements fsys.FS: the free clusters, by the FAT.
func (fs *FS) Unallocated(ctx context.Context, fn func(fsys.Extent) error) error {
	runs := fsys.NewRuns(fn)
	for c := uint32(2); c < fs.clusters+2; c++ {
		if c%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		v, err := fs.next(c)
		if err != nil {
			return err
		}
		if v == 0 {
			if err := runs.Add(fs.clusterOff(c), fs.clusterSize); err != nil {
				return err
			}
		}
	}
	return runs.Flush()
}
