// Package index is Winnow's in-memory matching index: exact lookup of
// digests (MD5, SHA-1, SHA-256) and exact radius search over perceptual
// hashes (256-bit PDQ, 64-bit pHash and dHash) in Hamming space.
//
// It works on plain keys ([32]byte, uint64, []byte) and imports nothing
// outside the standard library, so package triage can build on it without
// an import cycle (a triage.PDQ converts to [32]byte for free). Entries
// carry a uint32 id that the caller maps back to its own records; several
// entries may share a hash.
//
// # Near indexes
//
// Near256 and Near64 return exactly the entries within a radius, the same
// set a brute-force scan returns, for every radius. They use multi-index
// hashing (see mih.go): the hash is cut into m substrings, each indexed by
// a directory over packed entry positions, and the pigeonhole principle
// says which buckets can hold a match. The number of tables and directory
// sizes are chosen per segment from its size and the usual radius (31 for
// PDQ, 10 for pHash); a query whose radius makes bucket enumeration dearer
// than a scan scans instead. For 1M to 10M PDQ hashes the index holds
// 76-77 bytes an entry, the 32 bytes of the hash included.
//
// # Exact index
//
// Exact keeps keys sorted in one flat array with a directory on their
// leading bits: about 21 bytes an MD5 entry, built by a radix sort.
//
// # Updates and concurrency
//
// Every index is a list of immutable segments plus a small open segment
// that Add appends to, published together through one atomic pointer
// (see store.go). The contract:
//
//   - All methods are safe for concurrent use.
//   - Queries and lookups never block and never wait for writers: they read
//     the state published when they start.
//   - Add, Remove and Compact are serialised by a mutex. Add and Remove take
//     microseconds; they never rebuild anything while holding it.
//   - A query that starts after Add (or Remove) returned sees the entry (or
//     no longer sees it). A query running concurrently with an Add or Remove
//     may or may not see that change, entry by entry.
//   - Full segments are merged, and segments that are mostly removed
//     entries rebuilt, by one background goroutine (using one core) that
//     exists only while there is such work. It builds outside the lock, so
//     queries and writes go on; while it runs, the index holds both the old
//     segments and the new one. Compact does the same for all segments,
//     using all cores, and waits for it.
//   - Len is exact at any moment; Bytes briefly takes the writers' lock.
//
// Bulk builders (BuildNear256, BuildNear64, BuildExact) build one segment
// in a single pass using all cores, far faster than adding entries one by
// one.
package index
