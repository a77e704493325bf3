// Package archive expands the archives found in evidence (Walk: zip, tar,
// gzip and bzip2, tar.gz and tar.bz2, nested to a bounded depth); Archives
// is the same as a container.Container for the pipeline.
//
// Nothing is ever extracted to disk and member names are never used to
// touch the filesystem: a member is handed to the caller as a reader, with a
// sanitised inner path for reports ("holiday/img1.jpg"; nested archives
// joined with "!/": "b.tar!/c.jpg"). An archive is hostile until proven
// otherwise, so every expansion is bounded (see Limits): nesting depth,
// members per archive, bytes per member, bytes per input, and the
// expansion ratio, checked against the sizes an archive declares and again
// against the bytes actually read. Overlapping zip members (a zip-bomb
// technique) are refused. Encrypted members, unsupported compression
// methods, links and special files inside archives become per-member
// errors; 7z, RAR and xz are recognised but not expanded.
//
// Zip needs random access: the outermost archive is read through an
// io.ReaderAt (an *os.File, or an object in a store), and a zip nested in
// another archive is held in memory up to Limits.MaxNestedBytes (never
// written to disk) or reported as not expanded. Tar, gzip and bzip2 are
// expanded as streams at any depth in constant memory.
//
// The package imports the standard library and package triage only.
package archive
