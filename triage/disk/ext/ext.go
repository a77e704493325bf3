// Package ext reads ext2, ext3 and ext4 file systems without mounting
// them: every regular file reachable from the root directory, the names
// of deleted files still present in directory blocks, each file's
// timestamps and blocks (block maps and extent trees), and the free blocks
// of the block bitmaps.
//
// Deleted files: ext2 keeps a deleted inode's block pointers, so its
// content is recovered as The Sleuth Kit recovers it; ext3 and ext4 clear
// them (ext4 zeroes the extents), so such a file is listed by name with
// an empty or partial content, and carving the free blocks is what finds
// its data. A deleted name whose inode is in use again (The Sleuth Kit's
// "realloc") belongs to another file and is not listed.
//
// Everything is bounded: extent trees at most 5 deep, indirect blocks at
// most 3 levels, directories at most Limits.MaxMeta bytes and visited
// once, and inode numbers checked against the superblock.
package ext

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/winnow-forensics/winnow/triage/disk/fsys"
)

// FS is an opened ext2/3/4 file system.
type FS struct {
	r         io.ReaderAt
	size      int64
	lim       fsys.Limits
	kind      string
	bs        int64 // block size
	blocks    int64
	inodes    uint32
	ipg, bpg  uint32
	inodeSize int64
	firstData int64
	groups    []group
	fileType  bool // directory entries carry a file type
}

type group struct {
	blockBitmap, inodeBitmap, inodeTable int64
	flags                                uint16
}

var _ fsys.FS = (*FS)(nil)

const (
	incompatFileType   = 0x2
	incompatMetaBG     = 0x10
	incompatExtents    = 0x40
	incompat64Bit      = 0x80
	incompatFlexBG     = 0x200
	incompatInlineData = 0x8000
	compatJournal      = 0x4
	flagExtents        = 0x80000
	flagInline         = 0x10000000
	flagEncrypt        = 0x800
	rootInode          = 2
)

// Kind names the ext version of a superblock (1024 bytes): "ext4" when it
// uses ext4 features, "ext3" with a journal, "ext2" otherwise.
func Kind(sb []byte) string {
	in := binary.LittleEndian.Uint32(sb[96:])
	switch {
	case in&(incompatExtents|incompat64Bit|incompatFlexBG|incompatInlineData) != 0:
		return "ext4"
	case binary.LittleEndian.Uint32(sb[92:])&compatJournal != 0:
		return "ext3"
	}
	return "ext2"
}

// Open reads the superblock and the group descriptors.
func Open(r io.ReaderAt, size int64, lim fsys.Limits) (*FS, error) {
	sb := make([]byte, 1024)
	if err := fsys.ReadFull(r, sb, 1024); err != nil {
		return nil, fmt.Errorf("ext: superblock: %w", err)
	}
	if binary.LittleEndian.Uint16(sb[56:]) != 0xef53 {
		return nil, errors.New("ext: no superblock")
	}
	fs := &FS{r: r, size: size, lim: lim.WithDefaults(), kind: Kind(sb)}
	logBS := binary.LittleEndian.Uint32(sb[24:])
	if logBS > 6 {
		return nil, fsys.Corruptf("ext: block size 2^%d KiB", logBS)
	}
	fs.bs = 1024 << logBS
	fs.inodes = binary.LittleEndian.Uint32(sb[0:])
	fs.blocks = int64(binary.LittleEndian.Uint32(sb[4:]))
	in := binary.LittleEndian.Uint32(sb[96:])
	if in&incompat64Bit != 0 {
		fs.blocks |= int64(binary.LittleEndian.Uint32(sb[0x150:])) << 32
	}
	fs.firstData = int64(binary.LittleEndian.Uint32(sb[20:]))
	fs.bpg = binary.LittleEndian.Uint32(sb[32:])
	fs.ipg = binary.LittleEndian.Uint32(sb[40:])
	fs.inodeSize = 128
	if binary.LittleEndian.Uint32(sb[76:]) >= 1 {
		fs.inodeSize = int64(binary.LittleEndian.Uint16(sb[88:]))
	}
	fs.fileType = in&incompatFileType != 0
	switch {
	case fs.bpg == 0 || fs.ipg == 0 || fs.inodes == 0 || fs.blocks == 0:
		return nil, fsys.Corruptf("ext: empty geometry")
	case fs.inodeSize < 128 || fs.inodeSize > fs.bs || fs.inodeSize&(fs.inodeSize-1) != 0:
		return nil, fsys.Corruptf("ext: inode size %d", fs.inodeSize)
	case in&incompatMetaBG != 0:
		return nil, errors.New("ext: meta_bg layout is not read")
	}
	fs.blocks = min(fs.blocks, size/fs.bs)
	ngroups := (fs.blocks - fs.firstData + int64(fs.bpg) - 1) / int64(fs.bpg)
	if ngroups <= 0 || ngroups > fs.lim.MaxMeta/64 || int64(fs.ipg)*ngroups < int64(fs.inodes) {
		return nil, fsys.Corruptf("ext: %d groups", ngroups)
	}
	ds := int64(32)
	if in&incompat64Bit != 0 {
		ds = int64(binary.LittleEndian.Uint16(sb[0xfe:]))
		if ds < 32 || ds > 1024 {
			return nil, fsys.Corruptf("ext: descriptor size %d", ds)
		}
	}
	gd := make([]byte, ngroups*ds)
	if m, err := r.ReadAt(gd, (fs.firstData+1)*fs.bs); m < len(gd) {
		return nil, fmt.Errorf("ext: group descriptors: %w", err)
	}
	for i := int64(0); i < ngroups; i++ {
		d := gd[i*ds:]
		g := group{blockBitmap: int64(binary.LittleEndian.Uint32(d[0:])), inodeBitmap: int64(binary.LittleEndian.Uint32(d[4:])),
			inodeTable: int64(binary.LittleEndian.Uint32(d[8:])), flags: binary.LittleEndian.Uint16(d[18:])}
		if ds >= 64 {
			g.blockBitmap |= int64(binary.LittleEndian.Uint32(d[0x20:])) << 32
			g.inodeBitmap |= int64(binary.LittleEndian.Uint32(d[0x24:])) << 32
			g.inodeTable |= int64(binary.LittleEndian.Uint32(d[0x28:])) << 32
		}
		fs.groups = append(fs.groups, g)
	}
	return fs, nil
}

// Type implements fsys.FS.
func (fs *FS) Type() string { return fs.kind }

// inode is a decoded inode.
type inode struct {
	mode  uint16
	size  int64
	links uint16
	dtime uint32
	flags uint32
	block []byte // i_block, 60 bytes
	times fsys.Times
	inUse bool
}

func (fs *FS) readInode(n uint32) (*inode, error) {
	if n == 0 || n > fs.inodes {
		return nil, fsys.Corruptf("inode %d out of range", n)
	}
	g := int64((n - 1) / fs.ipg)
	idx := int64((n - 1) % fs.ipg)
	if g >= int64(len(fs.groups)) {
		return nil, fsys.Corruptf("inode %d in a missing group", n)
	}
	gr := fs.groups[g]
	if gr.inodeTable <= 0 || gr.inodeTable >= fs.blocks {
		return nil, fsys.Corruptf("inode table of group %d outside the volume", g)
	}
	b := make([]byte, fs.inodeSize)
	if err := fsys.ReadFull(fs.r, b, gr.inodeTable*fs.bs+idx*fs.inodeSize); err != nil {
		return nil, fmt.Errorf("inode %d: %w", n, err)
	}
	in := &inode{mode: binary.LittleEndian.Uint16(b[0:]), links: binary.LittleEndian.Uint16(b[26:]),
		dtime: binary.LittleEndian.Uint32(b[20:]), flags: binary.LittleEndian.Uint32(b[32:]), block: b[40:100]}
	in.size = int64(binary.LittleEndian.Uint32(b[4:])) | int64(binary.LittleEndian.Uint32(b[108:]))<<32
	extra := int64(0)
	if fs.inodeSize > 128 {
		extra = int64(binary.LittleEndian.Uint16(b[128:]))
	}
	xt := func(base int, xoff int64) time.Time {
		sec := int64(int32(binary.LittleEndian.Uint32(b[base:])))
		var ns int64
		if xoff > 0 && 128+extra >= xoff+4 && xoff+4 <= fs.inodeSize {
			x := binary.LittleEndian.Uint32(b[xoff:])
			sec += int64(x&3) << 32
			ns = int64(x >> 2)
			if ns >= 1e9 {
				ns = 0
			}
		}
		if sec == 0 && ns == 0 {
			return time.Time{}
		}
		return time.Unix(sec, ns).UTC()
	}
	in.times = fsys.Times{Accessed: xt(8, 140), Changed: xt(12, 132), Modified: xt(16, 136)}
	if 128+extra >= 152 && fs.inodeSize >= 152 {
		in.times.Created = xt(144, 148)
	}
	in.inUse = fs.inodeAllocated(n)
	return in, nil
}

// inodeAllocated reads the inode bitmap bit of n (true when unreadable).
func (fs *FS) inodeAllocated(n uint32) bool {
	g := (n - 1) / fs.ipg
	idx := int64((n - 1) % fs.ipg)
	gr := fs.groups[g]
	if gr.flags&1 != 0 { // INODE_UNINIT: no inode of the group is in use
		return false
	}
	var b [1]byte
	if gr.inodeBitmap <= 0 || gr.inodeBitmap >= fs.blocks {
		return true
	}
	if err := fsys.ReadFull(fs.r, b[:], gr.inodeBitmap*fs.bs+idx/8); err != nil {
		return true
	}
	return b[0]&(1<<(idx%8)) != 0
}

// extents maps an inode's logical blocks to volume extents, for size
// bytes.
func (fs *FS) extents(in *inode) ([]fsys.Extent, error) {
	nblocks := (in.size + fs.bs - 1) / fs.bs
	var ex []fsys.Extent
	var next int64 // next logical block expected
	add := func(logical, phys, n int64) error {
		if phys < 0 || phys+n > fs.blocks || n <= 0 {
			return fsys.Corruptf("blocks %d+%d outside the volume", phys, n)
		}
		if logical < next {
			return fsys.Corruptf("extents overlap at block %d", logical)
		}
		if logical >= nblocks {
			return nil
		}
		n = min(n, nblocks-logical)
		if logical > next { // a hole
			ex = appendExtent(ex, fsys.Extent{Off: -1, Len: (logical - next) * fs.bs})
		}
		ex = appendExtent(ex, fsys.Extent{Off: phys * fs.bs, Len: n * fs.bs})
		next = logical + n
		if len(ex) > fs.lim.MaxExtents {
			return fsys.Corruptf("more than %d extents", fs.lim.MaxExtents)
		}
		return nil
	}
	var err error
	if in.flags&flagExtents != 0 {
		err = fs.extentTree(in.block, 0, add)
	} else {
		err = fs.blockMap(in.block, nblocks, add)
	}
	if err != nil {
		return nil, err
	}
	return ex, nil
}

func appendExtent(ex []fsys.Extent, e fsys.Extent) []fsys.Extent {
	if k := len(ex); k > 0 {
		last := &ex[k-1]
		if (last.Off < 0 && e.Off < 0) || (last.Off >= 0 && last.End() == e.Off) {
			last.Len += e.Len
			return ex
		}
	}
	return append(ex, e)
}

// extentTree walks an extent tree node (the 60 bytes of i_block, or a
// block).
func (fs *FS) extentTree(node []byte, depth int, add func(logical, phys, n int64) error) error {
	if len(node) < 12 || binary.LittleEndian.Uint16(node) != 0xf30a {
		return fsys.Corruptf("bad extent header")
	}
	entries := int(binary.LittleEndian.Uint16(node[2:]))
	d := int(binary.LittleEndian.Uint16(node[6:]))
	if d > 5 || depth > 5 || 12+12*entries > len(node) {
		return fsys.Corruptf("bad extent node (depth %d, %d entries)", d, entries)
	}
	for i := 0; i < entries; i++ {
		e := node[12+12*i:]
		logical := int64(binary.LittleEndian.Uint32(e))
		if d == 0 {
			n := int64(binary.LittleEndian.Uint16(e[4:]))
			phys := int64(binary.LittleEndian.Uint16(e[6:]))<<32 | int64(binary.LittleEndian.Uint32(e[8:]))
			if n > 32768 {
				continue // uninitialised: reads as zeros, like a hole
			}
			if err := add(logical, phys, n); err != nil {
				return err
			}
			continue
		}
		leaf := int64(binary.LittleEndian.Uint16(e[8:]))<<32 | int64(binary.LittleEndian.Uint32(e[4:]))
		if leaf <= 0 || leaf >= fs.blocks {
			return fsys.Corruptf("extent index points outside the volume")
		}
		b := make([]byte, fs.bs)
		if err := fsys.ReadFull(fs.r, b, leaf*fs.bs); err != nil {
			return err
		}
		if err := fs.extentTree(b, depth+1, add); err != nil {
			return err
		}
	}
	return nil
}

// blockMap walks an ext2/3 block map: 12 direct blocks, then single,
// double and triple indirect blocks.
func (fs *FS) blockMap(iblock []byte, nblocks int64, add func(logical, phys, n int64) error) error {
	per := fs.bs / 4
	var logical int64
	var walk func(blk int64, level int) error
	walk = func(blk int64, level int) error {
		span := int64(1)
		for i := 0; i < level; i++ {
			span *= per
		}
		if logical >= nblocks {
			return nil
		}
		if blk == 0 {
			logical += span // a hole
			return nil
		}
		if level == 0 {
			err := add(logical, blk, 1)
			logical++
			return err
		}
		if blk >= fs.blocks {
			return fsys.Corruptf("indirect block %d outside the volume", blk)
		}
		b := make([]byte, fs.bs)
		if err := fsys.ReadFull(fs.r, b, blk*fs.bs); err != nil {
			return err
		}
		for i := int64(0); i < per && logical < nblocks; i++ {
			if err := walk(int64(binary.LittleEndian.Uint32(b[4*i:])), level-1); err != nil {
				return err
			}
		}
		return nil
	}
	for i := 0; i < 15 && logical < nblocks; i++ {
		level := 0
		if i >= 12 {
			level = i - 11
		}
		if err := walk(int64(binary.LittleEndian.Uint32(iblock[4*i:])), level); err != nil {
			return err
		}
	}
	return nil
}

// content sets f's extents (or data, or error) from its inode.
func (fs *FS) content(f *fsys.File, in *inode) {
	switch {
	case in.flags&flagEncrypt != 0:
		f.Err = errors.New("ext: encrypted file (fscrypt): not read")
	case in.flags&flagInline != 0:
		if in.size > 60 {
			f.Err = errors.New("ext: inline data beyond 60 bytes: not read")
			return
		}
		f.Data = append([]byte(nil), in.block[:in.size]...)
	default:
		ex, err := fs.extents(in)
		if err != nil {
			f.Err = err
			return
		}
		f.Extents = fsys.Truncate(ex, in.size)
	}
}

// Walk implements fsys.FS.
func (fs *FS) Walk(ctx context.Context, fn func(*fsys.File) error) error {
	type dir struct {
		path    string
		ino     uint32
		deleted bool
		depth   int
	}
	queue := []dir{{ino: rootInode}}
	seen := map[uint32]bool{rootInode: true}
	files := 0
	for len(queue) > 0 {
		d := queue[0]
		queue = queue[1:]
		if err := ctx.Err(); err != nil {
			return err
		}
		ents, err := fs.readDir(d.ino)
		if err != nil {
			if d.deleted {
				continue
			}
			if e := fn(&fsys.File{Path: d.path, ID: uint64(d.ino), Err: fmt.Errorf("directory not read: %w", err)}); e != nil {
				return e
			}
			continue
		}
		for _, en := range ents {
			if en.name == "." || en.name == ".." || en.ino == 0 {
				continue
			}
			files++
			if files > fs.lim.MaxFiles {
				return fn(&fsys.File{Path: d.path, Err: fmt.Errorf("more than %d files: the rest are not listed", fs.lim.MaxFiles)})
			}
			in, err := fs.readInode(en.ino)
			p := fsys.Join(d.path, en.name)
			deleted := en.deleted || d.deleted
			if err != nil {
				if !deleted {
					if e := fn(&fsys.File{Path: p, ID: uint64(en.ino), Err: err}); e != nil {
						return e
					}
				}
				continue
			}
			if deleted && in.inUse {
				continue // the inode belongs to another file now
			}
			switch in.mode & 0xf000 {
			case 0x4000:
				if !seen[en.ino] && d.depth < fs.lim.MaxDepth {
					seen[en.ino] = true
					queue = append(queue, dir{path: p, ino: en.ino, deleted: deleted, depth: d.depth + 1})
				}
			case 0x8000:
				f := &fsys.File{Path: p, Size: in.size, Deleted: deleted, ID: uint64(en.ino), Times: in.times}
				fs.content(f, in)
				if err := fn(f); err != nil {
					return err
				}
			case 0:
				if deleted && en.fileType == 1 {
					// A deleted regular file whose inode was wiped.
					f := &fsys.File{Path: p, Deleted: true, ID: uint64(en.ino), Times: in.times}
					if err := fn(f); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// dirent is one directory entry.
type dirent struct {
	ino      uint32
	name     string
	fileType byte
	deleted  bool
}

// readDir reads a directory's blocks and parses its entries, the deleted
// ones left in the slack of the entry before them included.
func (fs *FS) readDir(ino uint32) ([]dirent, error) {
	in, err := fs.readInode(ino)
	if err != nil {
		return nil, err
	}
	if in.mode&0xf000 != 0x4000 {
		return nil, fsys.Corruptf("inode %d is not a directory", ino)
	}
	if in.size > fs.lim.MaxMeta {
		return nil, fsys.Corruptf("directory of %d bytes", in.size)
	}
	if in.flags&flagInline != 0 {
		return nil, errors.New("inline directory: not read")
	}
	ex, err := fs.extents(in)
	if err != nil {
		return nil, err
	}
	var out []dirent
	for _, e := range fsys.Truncate(ex, in.size) {
		if e.Off < 0 {
			continue
		}
		b := make([]byte, e.Len)
		if err := fsys.ReadFull(fs.r, b, e.Off); err != nil {
			return out, err
		}
		for blk := int64(0); blk+fs.bs <= int64(len(b)); blk += fs.bs {
			out = fs.parseBlock(b[blk:blk+fs.bs], out)
		}
	}
	return out, nil
}

func (fs *FS) parseBlock(b []byte, out []dirent) []dirent {
	for off := 0; off+8 <= len(b); {
		e, recLen, ok := fs.parseEntry(b[off:])
		if !ok || recLen < 8 || off+recLen > len(b) {
			return out
		}
		if e.ino != 0 {
			out = append(out, e)
		}
		// Deleted entries hide in the rest of this entry's record.
		used := (8 + len(e.name) + 3) &^ 3
		for s := off + used; s+8 <= off+recLen; {
			d, l, ok := fs.parseEntry(b[s : off+recLen])
			if !ok || d.ino == 0 || d.ino > fs.inodes || l < 8 || len(d.name) == 0 {
				s += 4
				continue
			}
			d.deleted = true
			out = append(out, d)
			s += (8 + len(d.name) + 3) &^ 3
		}
		off += recLen
	}
	return out
}

func (fs *FS) parseEntry(b []byte) (dirent, int, bool) {
	if len(b) < 8 {
		return dirent{}, 0, false
	}
	e := dirent{ino: binary.LittleEndian.Uint32(b)}
	recLen := int(binary.LittleEndian.Uint16(b[4:]))
	nl := int(b[6])
	if fs.fileType {
		e.fileType = b[7]
	} else {
		nl |= int(b[7]) << 8
	}
	if 8+nl > len(b) || nl > 255 {
		return e, recLen, false
	}
	name := b[8 : 8+nl]
	for _, c := range name {
		if c == 0 || c == '/' {
			return e, recLen, false
		}
	}
	e.name = strings.ToValidUTF8(string(name), "\uFFFD")
	return e, recLen, true
}

// Open implements fsys.FS.
func (fs *FS) Open(f *fsys.File) (io.ReaderAt, error) { return fsys.Content(fs.r, f) }

// Unallocated implements fsys.FS: the clear bits of the block bitmaps (a
// group whose bitmap was never initialised counts as free).
func (fs *FS) Unallocated(ctx context.Context, fn func(fsys.Extent) error) error {
	runs := fsys.NewRuns(fn)
	bm := make([]byte, fs.bs)
	for g, gr := range fs.groups {
		if err := ctx.Err(); err != nil {
			return err
		}
		first := fs.firstData + int64(g)*int64(fs.bpg)
		n := min(int64(fs.bpg), fs.blocks-first)
		uninit := gr.flags&2 != 0
		if !uninit {
			if gr.blockBitmap <= 0 || gr.blockBitmap >= fs.blocks {
				return fsys.Corruptf("ext: block bitmap of group %d outside the volume", g)
			}
			if err := fsys.ReadFull(fs.r, bm, gr.blockBitmap*fs.bs); err != nil {
				return err
			}
		}
		for i := int64(0); i < n && i/8 < int64(len(bm)); i++ {
			if uninit || bm[i/8]&(1<<(i%8)) == 0 {
				if err := runs.Add((first+i)*fs.bs, fs.bs); err != nil {
					return err
				}
			}
		}
	}
	return runs.Flush()
}
