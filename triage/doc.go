// Package triage is Winnow's domain: the evidence items a lab receives, the
// hashes that fingerprint them, the hash sets of known material they are
// matched against, and the verdicts that decide what a person must look at.
//
// A seizure holds millions of files and most are already known. The work
// that matters is finding the rest, so the hashing engine here must be fast,
// exact and hard to break. Hasher fingerprints a file with one read: the
// same bytes feed MD5, SHA-1 and SHA-256 (computed concurrently), type
// sniffing by content (never by name), and for images a bounded decode that
// checks the declared size against Limits before allocating a single pixel.
// From the decoded luma plane it computes Meta's PDQ (package pdq, bit-exact
// with the reference on reference pixels, full-size convention) and the
// 64-bit pHash, dHash and aHash (through goimagehash, fed a 64x64 thumbnail).
// JPEGs, the bulk of any seizure, go through libjpeg-turbo's DCT-domain
// scaled decode when the binary is built with it (package jpegturbo).
//
// Matching is more than a hash compare: re-posted copies are rotated,
// mirrored, padded, screenshotted, cropped and straightened. The Hasher
// therefore also derives views of an image (the content inside a uniform
// border, a guessed uncrop, a rotation undone; see View) and the dihedral
// hashes of PDQ and pHash, and the Matcher queries all of them under each
// set's Rules, which also let a borderline PDQ match count when pHash
// agrees on the same entry (and the reverse). Rules.Decide turns the
// matches into a Verdict.
//
// Every hash-set Entry has a SetKind, from its source: alert (known
// material: a match makes the item known or variant) or known-good (NSRL
// and the like: ignorable). A set compiled from both kinds of source keeps
// each entry's own (the set is then mixed), an alert match wins over a
// known-good one on the same file and the Decision says so
// (AlsoKnownGood), and a set carries the definitions of the category
// Schemes its entries use, so that a custom scheme means the same in every
// process that loads the set.
//
// Hashes are comparable fixed-size values (MD5, SHA1, SHA256, PDQ, PHash,
// DHash, AHash) with Parse functions and String methods in lowercase hex, so
// they serve as map keys and compare with ==.
//
// Untrusted input is the normal case: every decoder runs under limits and
// panic recovery, and a bad file becomes a per-item error (Fingerprint.Err),
// never a crash or a lost batch. Errors carry a code (EINVALID, ETOOLARGE,
// ...) and a message that is safe to show a user; see Error.
//
// Matcher finds the hash-set entries a fingerprint matches and Rules turn
// them into a Verdict. Stacks and Series group what a scan found: identical
// files, and near-duplicate series of new material found through the same
// matching index, so that a reviewer sees one series rather than every copy.
//
// The package imports the standard library, goimagehash and x/image only;
// storage, queues and HTTP live in other packages and depend on this one.
package triage
