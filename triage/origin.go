package triage

import "time"

// Origin says where inside a disk image or a phone extraction an item was
// found: the file system that held it, whether it was deleted or carved
// from unallocated space, where its content lies in the image, and the
// timestamps the file system recorded; for a phone, the path on the device
// and the extraction that found it. Items read from folders and archives
// have none.
type Origin struct {
	// FS names the file system ("ntfs", "fat32", "exfat", "ext4"...); empty
	// for an item carved outside any file system.
	FS string `json:"fs,omitempty"`
	// Deleted is true for a file whose directory entry or inode is no
	// longer allocated; its content may have been overwritten since.
	Deleted bool `json:"deleted,omitempty"`
	// Carved is true for an item recovered from unallocated space by its
	// content alone, with no file-system metadata.
	Carved bool `json:"carved,omitempty"`
	// Truncated is true for a carved item whose end was not found (cut
	// by other data, or by the end of the free space): it holds the
	// file's data up to the last part that checked out.
	Truncated bool `json:"truncated,omitempty"`
	// Offset is where the item's content lies in the image (the acquired
	// medium's bytes, for EWF not the segment files), when it lies there
	// in one piece: dd can cut it out again. -1 when it is fragmented,
	// compressed, resident in metadata or empty. Length is the item's
	// length in bytes.
	Offset int64 `json:"offset"`
	Length int64 `json:"length"`
	// Fragments, for a carved item whose content runs on past blocks the
	// file system holds (a deleted file split by ext4's backup
	// superblocks), are its pieces in order, as image offsets and
	// lengths; Offset is then -1. Cutting them out in turn and joining
	// them gives the item's bytes again.
	Fragments []Fragment `json:"fragments,omitempty"`
	// ID is the file's metadata address as The Sleuth Kit numbers it (MFT
	// entry, inode, directory-entry address), 0 when it has none.
	ID       uint64    `json:"fs_id,omitempty"`
	Modified time.Time `json:"modified,omitzero"`
	Accessed time.Time `json:"accessed,omitzero"`
	Changed  time.Time `json:"changed,omitzero"`
	Created  time.Time `json:"created,omitzero"`
	// DevicePath is a phone file's path on the device, exactly as the
	// extraction records it (a UFDR's report.xml, a GrayKey zip's member
	// name); Extraction the extraction's id and name in a UFDR, FileID the
	// file's id there.
	DevicePath string `json:"device_path,omitempty"`
	Extraction string `json:"extraction,omitempty"`
	FileID     string `json:"file_id,omitempty"`
	// DigestOnly is true for a file the extraction lists with its digests
	// but without its content: its verdict rests on exact digest matches
	// alone.
	DigestOnly bool `json:"digest_only,omitempty"`
}

// Fragment is one piece of an item's content in its image.
type Fragment struct {
	Offset int64 `json:"offset"`
	Length int64 `json:"length"`
}
