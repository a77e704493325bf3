// Package ntfs reads NTFS volumes without mounting them: every file the
// Master File Table describes, allocated or deleted, each of its data
// streams (alternate data streams listed as "name:stream"), resident and
// non-resident content, the timestamps of $STANDARD_INFORMATION, and the
// free clusters of $Bitmap.
//
// Paths are built from each entry's $FILE_NAME parent reference, as The
// Sleuth Kit does for the files it finds through its parent map: a file
// whose parent entry is gone or reused (its sequence number differs) is
// listed under "$OrphanFiles/". A deleted entry keeps its run list, so its
// content is what those clusters hold now: intact unless reused.
//
// The MFT is read twice, sequentially: once to learn the directories
// (only they are held in memory), once to list the files. Attributes held
// in extension records are merged into their base entry by the base
// reference, so $ATTRIBUTE_LIST need not be trusted. Everything is
// bounded: records are checked (signature, fixups, attribute lengths),
// run lists are capped, parent chains are cut at loops and at
// Limits.MaxDepth. Compressed (LZNT1) streams are decompressed a unit at
// a time; EFS-encrypted streams are listed with an error, not read.
package ntfs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf16"

	"github.com/winnow-forensics/winnow/triage/disk/fsys"
)

// FS is an opened NTFS volume.
type FS struct {
	r           io.ReaderAt
	size        int64
	lim         fsys.Limits
	clusterSize int64
	recordSize  int64
	sectorSize  int64
	mft         []fsys.Extent // the $MFT's data
	records     int64
}

var _ fsys.FS = (*FS)(nil)

const (
	attrStandardInfo = 0x10
	attrList         = 0x20
	attrFileName     = 0x30
	attrData         = 0x80
	attrIndexRoot    = 0x90
	attrEnd          = 0xffffffff
	rootEntry        = 5
	extendEntry      = 11
	firstUserEntry   = 24
	maxNameChars     = 255
)

// Open reads the boot sector and the $MFT's own entry.
func Open(r io.ReaderAt, size int64, lim fsys.Limits) (*FS, error) {
	b := make([]byte, 512)
	if err := fsys.ReadFull(r, b, 0); err != nil {
		return nil, fmt.Errorf("ntfs: boot sector: %w", err)
	}
	if string(b[3:11]) != "NTFS    " {
		return nil, errors.New("ntfs: no NTFS signature")
	}
	fs := &FS{r: r, size: size, lim: lim.WithDefaults()}
	fs.sectorSize = int64(binary.LittleEndian.Uint16(b[11:]))
	spc := int64(b[13])
	if spc > 0x80 {
		spc = 1 << (256 - spc)
	}
	if fs.sectorSize < 256 || fs.sectorSize > 4096 || fs.sectorSize&(fs.sectorSize-1) != 0 || spc == 0 || spc > 4096 || spc&(spc-1) != 0 {
		return nil, fsys.Corruptf("ntfs: bad geometry (%d-byte sectors, %d per cluster)", fs.sectorSize, spc)
	}
	fs.clusterSize = fs.sectorSize * spc
	if cpr := int8(b[64]); cpr < 0 {
		if -cpr > 20 {
			return nil, fsys.Corruptf("ntfs: bad MFT record size")
		}
		fs.recordSize = 1 << -cpr
	} else {
		fs.recordSize = int64(cpr) * fs.clusterSize
	}
	if fs.recordSize < 256 || fs.recordSize > 65536 || fs.recordSize%fs.sectorSize != 0 && fs.recordSize > fs.sectorSize {
		return nil, fsys.Corruptf("ntfs: bad MFT record size %d", fs.recordSize)
	}
	mftLCN := int64(binary.LittleEndian.Uint64(b[48:]))
	if mftLCN <= 0 || mftLCN > size/fs.clusterSize {
		return nil, fsys.Corruptf("ntfs: MFT at cluster %d is outside the volume", mftLCN)
	}
	rec := make([]byte, fs.recordSize)
	if err := fsys.ReadFull(r, rec, mftLCN*fs.clusterSize); err != nil {
		return nil, fmt.Errorf("ntfs: MFT entry 0: %w", err)
	}
	if err := fs.fixup(rec); err != nil {
		return nil, fmt.Errorf("ntfs: MFT entry 0: %w", err)
	}
	var dataErr error
	found := false
	fs.attrs(rec, func(a attr) bool {
		if a.typ == attrData && a.name == "" {
			found = true
			if !a.resident {
				fs.mft, dataErr = fs.runs(a.runs)
				fs.records = a.size / fs.recordSize
				if a.startVCN != 0 {
					dataErr = fsys.Corruptf("ntfs: $MFT data starts at VCN %d", a.startVCN)
				}
			}
			return false
		}
		return true
	})
	if !found || dataErr != nil || len(fs.mft) == 0 {
		return nil, fsys.Corruptf("ntfs: the $MFT's own data is unreadable (%v)", dataErr)
	}
	// A fragmented $MFT may continue in extension records that entry 0
	// lists; they are read on demand below, so the first part is enough
	// to start, and the count is clamped to what the extents hold.
	var have int64
	for _, e := range fs.mft {
		have += e.Len
	}
	fs.records = min(fs.records, have/fs.recordSize)
	if err := fs.extendMFT(rec); err != nil {
		return nil, err
	}
	return fs, nil
}

// Type implements fsys.FS.
func (fs *FS) Type() string { return "ntfs" }

// extendMFT adds the $MFT data runs held in extension records (a heavily
// fragmented MFT), found through entry 0's attribute list.
func (fs *FS) extendMFT(rec []byte) error {
	var list []byte
	fs.attrs(rec, func(a attr) bool {
		if a.typ == attrList && a.resident {
			list = a.value
		}
		return true
	})
	if list == nil {
		return nil
	}
	seen := map[int64]bool{0: true}
	for i := 0; i+26 <= len(list); {
		l := int(binary.LittleEndian.Uint16(list[i+4:]))
		if l < 26 {
			break
		}
		typ := binary.LittleEndian.Uint32(list[i:])
		ref := int64(binary.LittleEndian.Uint64(list[i+16:]) & 0xffffffffffff)
		i += l
		if typ != attrData || seen[ref] {
			continue
		}
		seen[ref] = true
		ext, err := fs.record(ref)
		if err != nil {
			return fmt.Errorf("ntfs: $MFT extension entry %d: %w", ref, err)
		}
		fs.attrs(ext, func(a attr) bool {
			if a.typ == attrData && a.name == "" && !a.resident {
				if more, err := fs.runs(a.runs); err == nil {
					fs.mft = append(fs.mft, more...)
				}
			}
			return true
		})
	}
	var have int64
	for _, e := range fs.mft {
		have += e.Len
	}
	fs.records = have / fs.recordSize
	return nil
}

// fixup applies the update sequence array to a record in place.
func (fs *FS) fixup(rec []byte) error {
	if string(rec[:4]) != "FILE" {
		return fsys.Corruptf("no FILE signature")
	}
	off := int(binary.LittleEndian.Uint16(rec[4:]))
	n := int(binary.LittleEndian.Uint16(rec[6:]))
	stride := int(min(fs.sectorSize, 512))
	if n < 1 || off+2*n > len(rec) || (n-1)*stride > len(rec) {
		return fsys.Corruptf("bad update sequence (%d at %d)", n, off)
	}
	usn := rec[off : off+2]
	for i := 1; i < n; i++ {
		end := i*stride - 2
		if rec[end] != usn[0] || rec[end+1] != usn[1] {
			return fsys.Corruptf("torn record (update sequence mismatch in sector %d)", i)
		}
		copy(rec[end:end+2], rec[off+2*i:off+2*i+2])
	}
	return nil
}

// record reads and fixes up MFT entry n.
func (fs *FS) record(n int64) ([]byte, error) {
	if n < 0 || n >= fs.records {
		return nil, fsys.Corruptf("entry %d is outside the MFT (%d entries)", n, fs.records)
	}
	rec := make([]byte, fs.recordSize)
	off := n * fs.recordSize
	for _, e := range fs.mft {
		if off < e.Len {
			if err := fsys.ReadFull(fs.r, rec, e.Off+off); err != nil {
				return nil, err
			}
			return rec, fs.fixup(rec)
		}
		off -= e.Len
	}
	return nil, fsys.Corruptf("entry %d is outside the MFT", n)
}

// attr is one attribute of a record.
type attr struct {
	typ      uint32
	name     string
	id       uint16
	flags    uint16
	resident bool
	value    []byte // resident
	valueOff int    // resident: offset of value in the record
	runs     []byte // non-resident
	startVCN int64
	unit     int   // compression unit, log2 clusters (non-resident)
	size     int64 // real size (non-resident) or value length
	initSize int64
}

// attrs calls fn for each attribute of a fixed-up record until fn returns
// false.
func (fs *FS) attrs(rec []byte, fn func(attr) bool) {
	off := int(binary.LittleEndian.Uint16(rec[20:]))
	used := int(min(int64(binary.LittleEndian.Uint32(rec[24:])), int64(len(rec))))
	for n := 0; off+16 <= used && n < 512; n++ {
		typ := binary.LittleEndian.Uint32(rec[off:])
		if typ == attrEnd {
			return
		}
		l := int(binary.LittleEndian.Uint32(rec[off+4:]))
		if l < 16 || l%8 != 0 || off+l > used {
			return
		}
		b := rec[off : off+l]
		a := attr{typ: typ, resident: b[8] == 0, flags: binary.LittleEndian.Uint16(b[12:]), id: binary.LittleEndian.Uint16(b[14:])}
		if nl, no := int(b[9]), int(binary.LittleEndian.Uint16(b[10:])); nl > 0 {
			if no+2*nl > l {
				off += l
				continue
			}
			a.name = utf16String(b[no : no+2*nl])
		}
		if a.resident {
			if l < 24 {
				off += l
				continue
			}
			vl := int(binary.LittleEndian.Uint32(b[16:]))
			vo := int(binary.LittleEndian.Uint16(b[20:]))
			if vo > l || vl > l-vo {
				off += l
				continue
			}
			a.value, a.valueOff, a.size, a.initSize = b[vo:vo+vl], off+vo, int64(vl), int64(vl)
		} else {
			if l < 64 {
				off += l
				continue
			}
			a.startVCN = int64(binary.LittleEndian.Uint64(b[16:]))
			ro := int(binary.LittleEndian.Uint16(b[32:]))
			a.unit = int(binary.LittleEndian.Uint16(b[34:]))
			a.size = int64(binary.LittleEndian.Uint64(b[48:]))
			a.initSize = int64(binary.LittleEndian.Uint64(b[56:]))
			if ro > l || a.size < 0 || a.initSize < 0 || a.startVCN < 0 {
				off += l
				continue
			}
			a.runs = b[ro:]
		}
		if !fn(a) {
			return
		}
		off += l
	}
}

func utf16String(b []byte) string {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return strings.ToValidUTF8(string(utf16.Decode(u)), "\uFFFD")
}

// runs decodes a run list into volume extents (sparse runs have Off -1).
func (fs *FS) runs(b []byte) ([]fsys.Extent, error) {
	var ex []fsys.Extent
	var lcn int64
	clusters := fs.size / fs.clusterSize
	for i := 0; i < len(b) && b[i] != 0; {
		h := b[i]
		nl, no := int(h&0x0f), int(h>>4)
		if nl == 0 || nl > 8 || no > 8 || i+1+nl+no > len(b) {
			return ex, fsys.Corruptf("bad run list")
		}
		var length int64
		for k := nl - 1; k >= 0; k-- {
			length = length<<8 | int64(b[i+1+k])
		}
		if length <= 0 || length > 1<<40 {
			return ex, fsys.Corruptf("run of %d clusters", length)
		}
		e := fsys.Extent{Off: -1, Len: length * fs.clusterSize}
		if no > 0 {
			var delta int64
			for k := no - 1; k >= 0; k-- {
				delta = delta<<8 | int64(b[i+1+nl+k])
			}
			if b[i+nl+no]&0x80 != 0 { // sign-extend
				delta -= 1 << (8 * no)
			}
			lcn += delta
			if lcn < 0 || lcn+length > clusters {
				return ex, fsys.Corruptf("run at cluster %d+%d outside the volume (%d clusters)", lcn, length, clusters)
			}
			e.Off = lcn * fs.clusterSize
		}
		if k := len(ex); k > 0 && ex[k-1].Off >= 0 && e.Off == ex[k-1].End() {
			ex[k-1].Len += e.Len
		} else if k > 0 && ex[k-1].Off < 0 && e.Off < 0 {
			ex[k-1].Len += e.Len
		} else {
			if len(ex) >= fs.lim.MaxExtents {
				return ex, fsys.Corruptf("more than %d runs", fs.lim.MaxExtents)
			}
			ex = append(ex, e)
		}
		i += 1 + nl + no
	}
	return ex, nil
}

// ntTime converts an NTFS timestamp (100 ns since 1601) to UTC.
func ntTime(v uint64) time.Time {
	if v == 0 || v > 0x7fffffffffffffff {
		return time.Time{}
	}
	const epochDiff = 116444736000000000 // 1601 to 1970 in 100 ns
	t := int64(v) - epochDiff
	return time.Unix(t/1e7, t%1e7*100).UTC()
}
