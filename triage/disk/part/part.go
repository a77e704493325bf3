// Package part reads the partition table of a disk image: MBR (DOS) with
// extended partitions nested to any depth, and GPT (primary header, or
// the backup at the end of the disk when the primary is damaged).
//
// Partitions are numbered as Linux and fdisk number them: MBR primary
// slots 1-4 by slot, logical partitions 5, 6... in chain order; GPT
// entries by their index in the table plus one. Nothing is trusted: the
// EBR chain is bounded and may not loop, entry counts and sizes are
// bounded, and a partition that lies partly or wholly outside the image is
// reported with a note rather than dropped, so that the examiner sees it.
package part

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/winnow-forensics/winnow/triage/disk/fsys"
	"strings"
	"unicode/utf16"
)

// Partition is one entry of a partition table.
type Partition struct {
	// Number is the partition's number (p1, p2... in inner paths).
	Number int
	// Scheme is "mbr" or "gpt".
	Scheme string
	// Type is the MBR type byte ("0x07") or the GPT type GUID, and TypeName
	// a description of it when known ("NTFS/exFAT", "Linux filesystem").
	Type, TypeName string
	// Name is a GPT partition's name.
	Name string
	// Offset and Size are in bytes from the start of the image.
	Offset, Size int64
	// Note says what is wrong with the entry (it extends past the end of
	// the image, overlaps another); the partition is still listed.
	Note string
}

// Limits on hostile tables.
const (
	maxLogical   = 512  // logical partitions in an extended chain
	maxGPTParts  = 4096 // GPT entries
	maxEntrySize = 4096
)

// ErrNoTable means the image has no partition table this package reads.
var ErrNoTable = errors.New("no partition table")

// Read reads the partition table of the image r (size bytes). It returns
// ErrNoTable when sector 0 holds no MBR (the image may be a bare volume)
// and for an MBR whose entries are implausible.
func Read(r io.ReaderAt, size int64) ([]Partition, error) {
	var s0 [512]byte
	if err := fsys.ReadFull(r, s0[:], 0); err != nil {
		return nil, ErrNoTable
	}
	if s0[510] != 0x55 || s0[511] != 0xaa {
		// A GPT disk always has a protective MBR, but a damaged one still
		// deserves a look for the GPT header.
		if p, err := readGPT(r, size); err == nil {
			return p, nil
		}
		return nil, ErrNoTable
	}
	ents := mbrEntries(s0[:])
	if !plausible(ents) {
		return nil, ErrNoTable
	}
	for _, e := range ents {
		if e.typ == 0xee {
			if p, err := readGPT(r, size); err == nil {
				return p, nil
			} else if len(ents) == 1 {
				return nil, err
			}
		}
	}
	var out []Partition
	for i, e := range ents {
		if e.typ == 0 || e.sectors == 0 {
			continue
		}
		if isExtended(e.typ) {
			logical, err := readExtended(r, size, int64(e.start))
			out = append(out, logical...)
			if err != nil {
				out = append(out, Partition{Number: 0, Scheme: "mbr", Type: hexType(e.typ), TypeName: "extended",
					Offset: int64(e.start) * 512, Size: int64(e.sectors) * 512, Note: err.Error()})
			}
			continue
		}
		out = append(out, mbrPart(i+1, e, 0, size))
	}
	sortByNumber(out)
	return out, nil
}

type mbrEntry struct {
	status, typ    byte
	start, sectors uint32
}

func mbrEntries(s []byte) []mbrEntry {
	var out []mbrEntry
	for i := 0; i < 4; i++ {
		b := s[446+16*i:]
		out = append(out, mbrEntry{status: b[0], typ: b[4], start: binary.LittleEndian.Uint32(b[8:]), sectors: binary.LittleEndian.Uint32(b[12:])})
	}
	return out
}

// plausible tells an MBR from a volume boot sector that also ends in
// 0x55AA: status bytes are 0x00 or 0x80, and used entries start past
// sector 0.
func plausible(ents []mbrEntry) bool {
	used := 0
	for _, e := range ents {
		if e.status != 0 && e.status != 0x80 {
			return false
		}
		if e.typ == 0 {
			continue
		}
		if e.start == 0 || e.sectors == 0 {
			return false
		}
		used++
	}
	return used > 0
}

func isExtended(t byte) bool { return t == 0x05 || t == 0x0f || t == 0x85 }

func hexType(t byte) string { return fmt.Sprintf("0x%02x", t) }

func mbrPart(n int, e mbrEntry, base int64, size int64) Partition {
	p := Partition{Number: n, Scheme: "mbr", Type: hexType(e.typ), TypeName: mbrTypes[e.typ],
		Offset: (base + int64(e.start)) * 512, Size: int64(e.sectors) * 512}
	p.Note = outside(p, size)
	return p
}

func outside(p Partition, size int64) string {
	switch {
	case p.Offset >= size:
		return fmt.Sprintf("starts at byte %d, past the end of the image (%d bytes): not read", p.Offset, size)
	case p.Offset+p.Size > size:
		return fmt.Sprintf("ends at byte %d, past the end of the image (%d bytes): read as far as the image goes", p.Offset+p.Size, size)
	}
	return ""
}

// readExtended follows the chain of extended boot records that starts at
// sector ext: each holds one logical partition (relative to itself) and a
// link to the next (relative to ext).
func readExtended(r io.ReaderAt, size, ext int64) ([]Partition, error) {
	var out []Partition
	seen := map[int64]bool{}
	cur := ext
	for n := 5; ; n++ {
		if len(out) >= maxLogical {
			return out, fmt.Errorf("more than %d logical partitions: the rest are not read", maxLogical)
		}
		if seen[cur] {
			return out, fmt.Errorf("the extended partition chain loops at sector %d", cur)
		}
		seen[cur] = true
		var s [512]byte
		if cur*512 >= size {
			return out, fmt.Errorf("extended boot record at sector %d is outside the image", cur)
		}
		if err := fsys.ReadFull(r, s[:], cur*512); err != nil {
			return out, fmt.Errorf("extended boot record at sector %d: %v", cur, err)
		}
		if s[510] != 0x55 || s[511] != 0xaa {
			return out, fmt.Errorf("extended boot record at sector %d has no signature", cur)
		}
		ents := mbrEntries(s[:])
		if e := ents[0]; e.typ != 0 && e.sectors != 0 {
			out = append(out, mbrPart(n, e, cur, size))
		} else {
			n--
		}
		next := ents[1]
		if !isExtended(next.typ) || next.sectors == 0 {
			return out, nil
		}
		cur = ext + int64(next.start)
	}
}

// readGPT reads the GPT header at LBA 1 for 512- and 4096-byte sectors,
// falling back to the backup header at the last LBA.
func readGPT(r io.ReaderAt, size int64) ([]Partition, error) {
	var firstErr error
	for _, ss := range []int64{512, 4096} {
		for _, lba := range []int64{1, size/ss - 1} {
			p, err := gptAt(r, size, ss, lba)
			if err == nil {
				return p, nil
			}
			if firstErr == nil {
				firstErr = err
			}
		}
	}
	return nil, firstErr
}

func gptAt(r io.ReaderAt, size, ss, lba int64) ([]Partition, error) {
	h := make([]byte, ss)
	if lba < 1 || (lba+1)*ss > size {
		return nil, ErrNoTable
	}
	if err := fsys.ReadFull(r, h, lba*ss); err != nil {
		return nil, fmt.Errorf("gpt header: %w", err)
	}
	if !bytes.Equal(h[:8], []byte("EFI PART")) {
		return nil, fmt.Errorf("gpt: no header at LBA %d", lba)
	}
	hs := binary.LittleEndian.Uint32(h[12:])
	if hs < 92 || int64(hs) > ss {
		return nil, fmt.Errorf("gpt: header size %d", hs)
	}
	hc := make([]byte, hs)
	copy(hc, h[:hs])
	want := binary.LittleEndian.Uint32(hc[16:])
	clear(hc[16:20])
	if crc32.ChecksumIEEE(hc) != want {
		return nil, fmt.Errorf("gpt: header at LBA %d is damaged (CRC)", lba)
	}
	entLBA := int64(binary.LittleEndian.Uint64(h[72:]))
	count := int64(binary.LittleEndian.Uint32(h[80:]))
	esz := int64(binary.LittleEndian.Uint32(h[84:]))
	if count > maxGPTParts || esz < 128 || esz > maxEntrySize || esz%8 != 0 {
		return nil, fmt.Errorf("gpt: implausible table (%d entries of %d bytes)", count, esz)
	}
	if entLBA < 1 || entLBA > size/ss || (entLBA*ss+count*esz) > size {
		return nil, fmt.Errorf("gpt: partition entries at LBA %d are outside the image", entLBA)
	}
	tab := make([]byte, count*esz)
	if err := fsys.ReadFull(r, tab, entLBA*ss); err != nil {
		return nil, fmt.Errorf("gpt: partition entries: %w", err)
	}
	if crc32.ChecksumIEEE(tab) != binary.LittleEndian.Uint32(h[88:]) {
		return nil, fmt.Errorf("gpt: partition entries at LBA %d are damaged (CRC)", entLBA)
	}
	var out []Partition
	for i := int64(0); i < count; i++ {
		e := tab[i*esz : (i+1)*esz]
		if isZero(e[:16]) {
			continue
		}
		first := binary.LittleEndian.Uint64(e[32:])
		last := binary.LittleEndian.Uint64(e[40:])
		g := guid(e[:16])
		p := Partition{Number: int(i) + 1, Scheme: "gpt", Type: g, TypeName: gptTypes[g], Name: utf16Name(e[56:128])}
		if last < first || first > uint64(1<<62)/uint64(ss) || last > uint64(1<<62)/uint64(ss) {
			p.Note = fmt.Sprintf("implausible extent (LBA %d to %d): not read", first, last)
			p.Offset, p.Size = size, 0
		} else {
			p.Offset, p.Size = int64(first)*ss, int64(last-first+1)*ss
			p.Note = outside(p, size)
		}
		out = append(out, p)
	}
	return out, nil
}

func isZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// guid formats a GUID stored mixed-endian, as GPT stores them.
func guid(b []byte) string {
	return fmt.Sprintf("%08X-%04X-%04X-%X-%X", binary.LittleEndian.Uint32(b[0:]), binary.LittleEndian.Uint16(b[4:]),
		binary.LittleEndian.Uint16(b[6:]), b[8:10], b[10:16])
}

func utf16Name(b []byte) string {
	var u []uint16
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return strings.ToValidUTF8(string(utf16.Decode(u)), "\uFFFD")
}

func sortByNumber(p []Partition) {
	for i := 1; i < len(p); i++ {
		for j := i; j > 0 && p[j].Number < p[j-1].Number; j-- {
			p[j], p[j-1] = p[j-1], p[j]
		}
	}
}

var mbrTypes = map[byte]string{
	0x01: "FAT12", 0x04: "FAT16 <32M", 0x06: "FAT16", 0x07: "NTFS/exFAT/HPFS", 0x0b: "FAT32 (CHS)", 0x0c: "FAT32 (LBA)",
	0x0e: "FAT16 (LBA)", 0x11: "hidden FAT12", 0x14: "hidden FAT16", 0x16: "hidden FAT16", 0x17: "hidden NTFS",
	0x1b: "hidden FAT32", 0x1c: "hidden FAT32 (LBA)", 0x27: "Windows recovery", 0x42: "Windows dynamic disk",
	0x82: "Linux swap", 0x83: "Linux", 0x8e: "Linux LVM", 0xa5: "FreeBSD", 0xa6: "OpenBSD", 0xa8: "Apple UFS",
	0xab: "Apple boot", 0xaf: "Apple HFS/HFS+", 0xee: "GPT protective", 0xef: "EFI system", 0xfd: "Linux RAID",
}

var gptTypes = map[string]string{
	"C12A7328-F81F-11D2-BA4B-00A0C93EC93B": "EFI system",
	"E3C9E316-0B5C-4DB8-817D-F92DF00215AE": "Microsoft reserved",
	"EBD0A0A2-B9E5-4433-87C0-68B6B72699C7": "Microsoft basic data",
	"DE94BBA4-06D1-4D40-A16A-BFD50179D6AC": "Windows recovery",
	"5808C8AA-7E8F-42E0-85D2-E1E90434CFB3": "Windows LDM metadata",
	"AF9B60A0-1431-4F62-BC68-3311714A69AD": "Windows LDM data",
	"0FC63DAF-8483-4772-8E79-3D69D8477DE4": "Linux filesystem",
	"0657FD6D-A4AB-43C4-84E5-0933C84B4F4F": "Linux swap",
	"E6D6D379-F507-44C2-A23C-238F2A3DF928": "Linux LVM",
	"CA7D7CCB-63ED-4C53-861C-1742536059CC": "LUKS",
	"48465300-0000-11AA-AA11-00306543ECAC": "Apple HFS+",
	"7C3457EF-0000-11AA-AA11-00306543ECAC": "Apple APFS",
	"21686148-6449-6E6F-744E-656564454649": "BIOS boot",
}
