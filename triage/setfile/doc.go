// Package setfile reads and writes compiled hash sets: one file per set
// that holds every entry's hashes in columns that load straight into the
// matching index, and every entry's provenance (see setfile.go for the
// layout). Builder writes one; Parse and ReadFile load one as a Set, which
// the Matcher (package matching) indexes. Every section carries a CRC, so
// a damaged file is refused (ErrCorrupt) instead of matching wrongly.
package setfile
