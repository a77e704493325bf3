// Package disk reads seized disk images without mounting them: it opens
// raw/dd images (single or split .001...) and EWF/E01 segment sets as one
// byte range (Image, with Verify for the MD5/SHA-1 an EWF image stores),
// finds their volumes through the partition tables (package part) or
// without one, reads the file systems in them (fat, exfat, ntfs, ext:
// allocated and recoverable deleted files, as The Sleuth Kit lists them)
// and reports what it detects but does not read (APFS, HFS+, BitLocker...).
// Walk visits every file with its provenance (triage.Origin), and the
// unallocated space of each volume to a carving hook; Kind is the input
// kind through which winnow scan and the lab's workers expand an image
// into its files.
package disk
