// Package probe recognises disk images and file systems by their first
// bytes: what hashing.Sniff calls a disk image, and which file system a
// volume holds. It reads signatures only, never a whole structure.
package probe

import (
	"bytes"
	"encoding/binary"
	"io"

	"github.com/winnow-forensics/winnow/triage/disk/ext"
	"github.com/winnow-forensics/winnow/triage/disk/fat"
	"github.com/winnow-forensics/winnow/triage/disk/part"
)

// Volume names the file system that starts at the beginning of r (see
// disk.Volume.FS), "" when it recognises none.
func Volume(r io.ReaderAt, size int64) string {
	b := make([]byte, 0x10100)
	n, _ := r.ReadAt(b, 0)
	b = b[:n]
	at := func(off int, s string) bool { return len(b) >= off+len(s) && string(b[off:off+len(s)]) == s }
	switch {
	case at(3, "NTFS    "):
		return "ntfs"
	case at(3, "EXFAT   "):
		return "exfat"
	case at(3, "-FVE-FS-"), at(3, "MSWIN4.1") && at(0x1a0, "-FVE-FS-"):
		return "bitlocker"
	case at(0, "LUKS\xba\xbe"):
		return "luks"
	case at(3, "ReFS"):
		return "refs"
	case at(32, "NXSB"):
		return "apfs"
	case at(1024, "H+"), at(1024, "HX"):
		return "hfs+"
	case at(1024, "BD"):
		return "hfs"
	case at(0, "XFSB"):
		return "xfs"
	case at(0x10040, "_BHRfS_M"):
		return "btrfs"
	case at(512, "LABELONE"):
		return "lvm"
	case at(4086, "SWAPSPACE2"), at(4086, "SWAP-SPACE"):
		return "swap"
	case at(0x8001, "CD001"):
		return "iso9660"
	}
	if len(b) >= 512 {
		if kind, ok := fat.Probe(b[:512]); ok && b[510] == 0x55 && b[511] == 0xaa {
			return kind
		}
	}
	if len(b) >= 1024+0x68 && binary.LittleEndian.Uint16(b[1024+56:]) == 0xef53 {
		return ext.Kind(b[1024 : 1024+1024])
	}
	return ""
}

// Image reports whether the first bytes of a file (at least 4 KiB, up
// to 64 KiB) look like a disk image: an EWF segment, a partition table,
// or a file system (read or only detected).
func Image(head []byte) bool {
	if len(head) < 512 {
		return false
	}
	if bytes.HasPrefix(head, []byte("EVF\x09\x0d\x0a\xff\x00")) || bytes.HasPrefix(head, []byte("EVF2\x0d\x0a\x81\x00")) {
		return true
	}
	r := bytes.NewReader(head)
	if Volume(r, int64(len(head))) != "" {
		return true
	}
	_, err := part.Read(r, 1<<62)
	return err == nil
}
