package setfile

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/md5"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"math"
	"math/bits"
	"os"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"unsafe"

	"github.com/winnow-forensics/winnow/triage"
)

// A compiled hash set is one file that holds a whole set ready for
// matching: every entry's hashes in columns that load straight into the
// matching index, and every entry's provenance (set, source record id,
// category, series, flags, tags, the source's other fields).
//
// Layout (all integers little-endian):
//
//	header   "WINNOWHS" | version u32 | section count u32 | entry count u64
//	table    per section: kind u32 | reserved u32 | offset u64 | length u64 | CRC-32C u32 | reserved u32
//	sections meta (JSON SetMeta), categories (JSON array of SCHEME:CODE, index 0 = none),
//	         records (per entry: algos u16, flags u16, category u16, pdq quality i8, kind u8, size i64),
//	         one column per hash type (count u64, entry ids u32..., then the hashes):
//	         the MD5, SHA-1 and SHA-256 columns sorted by hash (ties by id), so that
//	         loading builds their exact indexes without sorting; PDQ and pHash
//	         columns in entry order (files from before sorted columns are read too),
//	         strings (per entry offset u64..., then varint-prefixed ID, Name, Series, PhotoDNA,
//	         tags joined by U+001F, Extra as JSON),
//	         regions (optional; count u64, then per region of an entry, in entry order:
//	         entry id u32 | kind u8 | pdq quality u8 | reserved u16 | pdq [32] | phash u64),
//	         keypoints (optional; count u64, then per keypoint of an entry, in entry order:
//	         entry id u32 | descriptor u64 | x u8 | y u8 | scale u8 | angle u8)
//
// Every section has a CRC-32C checked on load, so a damaged file is refused
// with a clear error instead of matching wrongly. The format is versioned:
// a reader refuses versions it does not know.
//
// Version 2 records each entry's kind in its record (1 alert, 2 known-good),
// so that a set compiled from an NSRL list and an alert source keeps the
// NSRL entries known-good. Version 1 wrote 0 there: every entry of a
// version 1 file is of the set's kind, and such files still load.
//
// Version 3 adds the regions section (triage.Entry.Regions: hashes of
// parts of each known image, for crops). Files of versions 1 and 2 have
// none and still load.
//
// Version 4 adds the keypoints section (triage.Entry.Keypoints: local
// features of each known image, for crops no region covers). Files of
// versions 1-3 have none and still load.
//
// Version 5 changes what a keypoint's descriptor describes (package
// keypoint samples the patch one level of blur further up the scale
// space), not the layout. A version 4 file loads without its keypoints
// (OldKeypoints says how many were left out): a query's descriptors
// would not compare with them.

// Version is the compiled hash-set format version this code writes.
const Version = 5

// keypointsVersion is the first version whose keypoints are loaded.
const keypointsVersion = 5

// Kinds as stored in a record.
const (
	recKindSet       = 0 // version 1: the set's kind
	recKindAlert     = 1
	recKindKnownGood = 2
)

var setMagic = [8]byte{'W', 'I', 'N', 'N', 'O', 'W', 'H', 'S'}

const (
	secMeta uint32 = iota + 1
	secCategories
	secRecords
	secMD5
	secSHA1
	secSHA256
	secPDQ
	secPHash
	secStrings
	secRegions
	secKeypoints
)

const recordSize = 16

// regionSize is the size of one region in the regions section.
const regionSize = 48

// keypointSize is the size of one keypoint in the keypoints section.
const keypointSize = 16

// maxKeypoints bounds an entry's keypoints (a hostile file cannot make
// one entry cost the matcher more than this).
const maxKeypoints = triage.MaxKeypoints

// Builder accumulates entries for a compiled hash set. Exact
// duplicate records (every field equal) are merged and counted.
type Builder struct {
	Meta triage.SetMeta

	cats    []triage.Category
	catIdx  map[triage.Category]uint16
	records []byte
	md5     column[triage.MD5]
	sha1    column[triage.SHA1]
	sha256  column[triage.SHA256]
	pdq     column[triage.PDQ]
	phash   column[triage.PHash]
	strs    []byte
	strOffs []uint64
	regions []byte // the regions section's records
	kps     []byte // the keypoints section's records
	seen    map[[16]byte]struct{}
	n       uint32
	nGood   uint32 // entries of kind known-good
	scratch []byte
}

type column[H any] struct {
	ids    []uint32
	hashes []H
}

func (c *column[H]) add(id uint32, h H) {
	c.ids = append(c.ids, id)
	c.hashes = append(c.hashes, h)
}

// NewBuilder returns an empty builder.
func NewBuilder(meta triage.SetMeta) *Builder {
	return &Builder{
		Meta:   meta,
		cats:   []triage.Category{{}},
		catIdx: map[triage.Category]uint16{{}: 0},
		seen:   map[[16]byte]struct{}{},
	}
}

// Len returns the number of entries added.
func (b *Builder) Len() int { return int(b.n) }

// Add adds an entry. It returns false, and adds nothing, if an identical
// entry was added before. It returns an error for an entry that cannot be
// stored (no hash, too many distinct categories, set too large).
//
// An entry keeps its Kind; one without gets e.KindIn(Meta.Kind).
func (b *Builder) Add(e triage.Entry) (bool, error) {
	if err := e.Validate(); err != nil {
		return false, err
	}
	e.Kind = e.KindIn(b.Meta.Kind)
	if b.n == math.MaxUint32 {
		return false, triage.Errorf(triage.ETOOLARGE, "hash set holds the maximum of %d entries", uint32(math.MaxUint32))
	}
	strs, err := encodeStrings(b.scratch[:0], &e)
	if err != nil {
		return false, err
	}
	b.scratch = strs
	var rec [recordSize]byte
	ci, ok := b.catIdx[e.Category]
	if !ok {
		if len(b.cats) == math.MaxUint16 {
			return false, triage.Errorf(triage.ETOOLARGE, "more than %d distinct categories", math.MaxUint16-1)
		}
		ci = uint16(len(b.cats))
		b.cats = append(b.cats, e.Category)
		b.catIdx[e.Category] = ci
	}
	binary.LittleEndian.PutUint16(rec[0:], uint16(e.Algos))
	binary.LittleEndian.PutUint16(rec[2:], uint16(e.Flags))
	binary.LittleEndian.PutUint16(rec[4:], ci)
	rec[6] = byte(int8(max(-1, min(100, e.PDQQuality))))
	rec[7] = recKindAlert
	if e.Kind == triage.SetKindKnownGood {
		rec[7] = recKindKnownGood
	}
	binary.LittleEndian.PutUint64(rec[8:], uint64(e.Size))

	// The duplicate key covers every stored field.
	d := md5.New()
	d.Write(rec[:])
	d.Write(e.MD5[:])
	d.Write(e.SHA1[:])
	d.Write(e.SHA256[:])
	d.Write(e.PDQ[:])
	binary.Write(d, binary.LittleEndian, uint64(e.PHash))
	d.Write([]byte(e.Category.String()))
	d.Write(strs)
	regs := appendRegions(nil, 0, e.Regions)
	d.Write(regs)
	d.Write(appendKeypoints(nil, 0, e.Keypoints))
	var key [16]byte
	d.Sum(key[:0])
	if _, dup := b.seen[key]; dup {
		return false, nil
	}
	b.seen[key] = struct{}{}

	id := b.n
	b.n++
	if e.Kind == triage.SetKindKnownGood {
		b.nGood++
	}
	b.records = append(b.records, rec[:]...)
	if e.Algos.Has(triage.AlgoMD5) {
		b.md5.add(id, e.MD5)
	}
	if e.Algos.Has(triage.AlgoSHA1) {
		b.sha1.add(id, e.SHA1)
	}
	if e.Algos.Has(triage.AlgoSHA256) {
		b.sha256.add(id, e.SHA256)
	}
	if e.Algos.Has(triage.AlgoPDQ) {
		b.pdq.add(id, e.PDQ)
	}
	if e.Algos.Has(triage.AlgoPHash) {
		b.phash.add(id, e.PHash)
	}
	b.strOffs = append(b.strOffs, uint64(len(b.strs)))
	b.strs = append(b.strs, strs...)
	b.regions = appendRegions(b.regions, id, e.Regions)
	b.kps = appendKeypoints(b.kps, id, e.Keypoints)
	return true, nil
}

// appendKeypoints appends the keypoints section's records of entry id.
func appendKeypoints(dst []byte, id uint32, kps []triage.Keypoint) []byte {
	for _, k := range kps {
		var rec [keypointSize]byte
		binary.LittleEndian.PutUint32(rec[0:], id)
		binary.LittleEndian.PutUint64(rec[4:], k.Desc)
		rec[12], rec[13], rec[14], rec[15] = k.X, k.Y, k.Scale, k.Angle
		dst = append(dst, rec[:]...)
	}
	return dst
}

// appendRegions appends the regions section's records of entry id.
func appendRegions(dst []byte, id uint32, rs []triage.Region) []byte {
	for _, r := range rs {
		var rec [regionSize]byte
		binary.LittleEndian.PutUint32(rec[0:], id)
		rec[4], rec[5] = byte(r.Kind), byte(r.PDQQuality)
		copy(rec[8:40], r.PDQ[:])
		binary.LittleEndian.PutUint64(rec[40:], uint64(r.PHash))
		dst = append(dst, rec[:]...)
	}
	return dst
}

// Kind returns the kind of the set as built so far, as WriteTo records
// it (see SetMeta.Kind).
func (b *Builder) Kind() triage.SetKind {
	switch {
	case b.n == 0:
		return b.Meta.Kind
	case b.nGood == 0:
		return triage.SetKindAlert
	case b.nGood == b.n:
		return triage.SetKindKnownGood
	}
	return triage.SetKindMixed
}

// maxStringField bounds one string of an entry in a compiled set.
const maxStringField = 1 << 20

// encodeStrings appends the variable-length fields of e.
func encodeStrings(dst []byte, e *triage.Entry) ([]byte, error) {
	extra := ""
	if len(e.Extra) > 0 {
		b, err := extraJSON(e.Extra)
		if err != nil {
			return nil, triage.Errorf(triage.EINVALID, "extra fields: %v", err)
		}
		extra = string(b)
	}
	for _, t := range e.Tags {
		if strings.ContainsRune(t, tagSep) {
			return nil, triage.Errorf(triage.EINVALID, "tag %q contains U+001F", t)
		}
	}
	for _, s := range []string{e.ID, e.Name, e.Series, e.PhotoDNA, strings.Join(e.Tags, string(tagSep)), extra} {
		if len(s) > maxStringField {
			return nil, triage.Errorf(triage.ETOOLARGE, "a field of %d bytes, over the %d-byte limit", len(s), maxStringField)
		}
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	return dst, nil
}

// extraJSON returns json.Marshal(m), byte for byte (keys sorted), without
// reflection when every key and value is plain printable ASCII with
// nothing to escape, as the Extra fields of big sets (NSRL's crc32) are.
func extraJSON(m map[string]string) ([]byte, error) {
	plain := func(s string) bool {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return false
			}
		}
		return true
	}
	for k, v := range m {
		if !plain(k) || !plain(v) {
			return json.Marshal(m)
		}
	}
	b := []byte{'{'}
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '"')
		b = append(b, k...)
		b = append(b, `":"`...)
		b = append(b, m[k]...)
		b = append(b, '"')
	}
	return append(b, '}'), nil
}

const tagSep = '\x1f'

type section struct {
	kind uint32
	data [][]byte // concatenated
}

func (s section) len() int {
	n := 0
	for _, d := range s.data {
		n += len(d)
	}
	return n
}

func columnSection[H any](kind uint32, c column[H]) section {
	var zero H
	size := int(unsafe.Sizeof(zero))
	ids := u32Bytes(c.ids)
	var hashes []byte
	if len(c.hashes) > 0 {
		hashes = unsafe.Slice((*byte)(unsafe.Pointer(&c.hashes[0])), len(c.hashes)*size)
	}
	count := binary.LittleEndian.AppendUint64(nil, uint64(len(c.ids)))
	return section{kind, [][]byte{count, ids, hashes}}
}

// byHash returns a copy of a digest column ordered by hash, then id.
func byHash[H triage.MD5 | triage.SHA1 | triage.SHA256](c column[H]) column[H] {
	order := make([]int, len(c.ids))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if d := bytes.Compare(hashBytes(&c.hashes[a]), hashBytes(&c.hashes[b])); d != 0 {
			return d
		}
		return cmp.Compare(c.ids[a], c.ids[b])
	})
	out := column[H]{ids: make([]uint32, len(order)), hashes: make([]H, len(order))}
	for j, i := range order {
		out.ids[j], out.hashes[j] = c.ids[i], c.hashes[i]
	}
	return out
}

// hashBytes returns the bytes of a digest.
func hashBytes[H triage.MD5 | triage.SHA1 | triage.SHA256](h *H) []byte {
	return unsafe.Slice((*byte)(unsafe.Pointer(h)), unsafe.Sizeof(*h))
}

// u32Bytes returns the little-endian bytes of v.
func u32Bytes(v []uint32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], x)
	}
	return b
}

// schemes returns the definitions of the schemes the categories use, as
// registered now, sorted by name.
func (b *Builder) schemes() ([]triage.Scheme, error) {
	var out []triage.Scheme
	for _, c := range b.cats[1:] {
		if slices.ContainsFunc(out, func(s triage.Scheme) bool { return s.Name == c.Scheme }) {
			continue
		}
		s, ok := triage.LookupScheme(c.Scheme)
		if !ok {
			return nil, triage.Errorf(triage.EINVALID, "category %s: scheme %s is not registered, so the set cannot carry its definition (load it with --schemes)", c, c.Scheme)
		}
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b triage.Scheme) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// WriteTo writes the compiled set. The builder stays usable.
func (b *Builder) WriteTo(w io.Writer) (int64, error) {
	m := b.Meta
	m.Kind = b.Kind()
	if err := m.Validate(); err != nil {
		return 0, err
	}
	var err error
	if m.Schemes, err = b.schemes(); err != nil {
		return 0, err
	}
	meta, err := json.Marshal(m)
	if err != nil {
		return 0, err
	}
	cats := make([]string, len(b.cats))
	for i, c := range b.cats {
		cats[i] = c.String()
	}
	catJSON, _ := json.Marshal(cats)
	offs := make([]byte, 8*len(b.strOffs))
	for i, o := range b.strOffs {
		binary.LittleEndian.PutUint64(offs[8*i:], o)
	}
	secs := []section{
		{secMeta, [][]byte{meta}},
		{secCategories, [][]byte{catJSON}},
		{secRecords, [][]byte{b.records}},
		columnSection(secMD5, byHash(b.md5)),
		columnSection(secSHA1, byHash(b.sha1)),
		columnSection(secSHA256, byHash(b.sha256)),
		columnSection(secPDQ, b.pdq),
		phashSection(b.phash),
		{secStrings, [][]byte{offs, b.strs}},
	}
	if len(b.regions) > 0 {
		count := binary.LittleEndian.AppendUint64(nil, uint64(len(b.regions)/regionSize))
		secs = append(secs, section{secRegions, [][]byte{count, b.regions}})
	}
	if len(b.kps) > 0 {
		count := binary.LittleEndian.AppendUint64(nil, uint64(len(b.kps)/keypointSize))
		secs = append(secs, section{secKeypoints, [][]byte{count, b.kps}})
	}
	const entrySize = 40
	hdrLen := 8 + 4 + 4 + 8 + entrySize*len(secs)
	hdr := make([]byte, hdrLen)
	copy(hdr, setMagic[:])
	binary.LittleEndian.PutUint32(hdr[8:], Version)
	binary.LittleEndian.PutUint32(hdr[12:], uint32(len(secs)))
	binary.LittleEndian.PutUint64(hdr[16:], uint64(b.n))
	off := uint64(hdrLen)
	table := castagnoli
	for i, s := range secs {
		p := hdr[24+entrySize*i:]
		crc := uint32(0)
		for _, d := range s.data {
			crc = crc32.Update(crc, table, d)
		}
		binary.LittleEndian.PutUint32(p[0:], s.kind)
		binary.LittleEndian.PutUint64(p[8:], off)
		binary.LittleEndian.PutUint64(p[16:], uint64(s.len()))
		binary.LittleEndian.PutUint32(p[24:], crc)
		off += uint64(s.len())
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var n int64
	write := func(p []byte) error {
		k, err := bw.Write(p)
		n += int64(k)
		return err
	}
	if err := write(hdr); err != nil {
		return n, err
	}
	for _, s := range secs {
		for _, d := range s.data {
			if err := write(d); err != nil {
				return n, err
			}
		}
	}
	return n, bw.Flush()
}

// phashSection stores pHashes as little-endian uint64 like the ids.
func phashSection(c column[triage.PHash]) section {
	hashes := make([]byte, 8*len(c.hashes))
	for i, h := range c.hashes {
		binary.LittleEndian.PutUint64(hashes[8*i:], uint64(h))
	}
	count := binary.LittleEndian.AppendUint64(nil, uint64(len(c.ids)))
	return section{secPHash, [][]byte{count, u32Bytes(c.ids), hashes}}
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// WriteFile writes the compiled set to path atomically (a temporary file in
// the same directory, renamed into place).
func (b *Builder) WriteFile(path string) error {
	f, err := os.CreateTemp(dirOf(path), ".winnow-set-*")
	if err != nil {
		return fmt.Errorf("write hash set: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := b.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("write hash set: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("write hash set: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write hash set: %w", err)
	}
	return os.Rename(f.Name(), path)
}

func dirOf(path string) string {
	if i := strings.LastIndexByte(path, os.PathSeparator); i >= 0 {
		return path[:i+1]
	}
	return "."
}

// Set is a loaded compiled hash set. Its columns point into one buffer
// read from the file; it is read-only and safe for concurrent use.
type Set struct {
	Meta triage.SetMeta

	n       int
	cats    []triage.Category
	records []byte
	md5     hashColumn[triage.MD5]
	sha1    hashColumn[triage.SHA1]
	sha256  hashColumn[triage.SHA256]
	pdq     hashColumn[triage.PDQ]
	phashID []uint32
	phash   []triage.PHash
	strOffs []byte
	strs    []byte
	// regions are the regions section's records, in entry order.
	regions []byte
	// kps are the keypoints section's records, in entry order.
	kps []byte
	// oldKeypoints counts the keypoints of an older version left out.
	oldKeypoints int
	// v1Kind is the record kind of every entry of a version 1 file, which
	// records none; 0 for later versions.
	v1Kind byte
	// conflicts are the carried schemes registered here differently.
	conflicts []string
}

type hashColumn[H any] struct {
	ids    []uint32
	hashes []H
	// byHash: the column is in hash order, not entry order; find uses pos,
	// the column position of every entry, built on first use.
	byHash  bool
	posOnce sync.Once
	pos     []uint32
}

// Len returns the number of entries.
func (s *Set) Len() int { return s.n }

// MD5s returns the MD5 column: ids[i] is the entry holding hashes[i]. Sets
// written by this version keep the digest columns in hash order (older
// ones in entry order). The slices must not be modified.
func (s *Set) MD5s() (ids []uint32, hashes []triage.MD5) { return s.md5.ids, s.md5.hashes }

// SHA1s returns the SHA-1 column (see MD5s).
func (s *Set) SHA1s() (ids []uint32, hashes []triage.SHA1) { return s.sha1.ids, s.sha1.hashes }

// SHA256s returns the SHA-256 column (see MD5s).
func (s *Set) SHA256s() (ids []uint32, hashes []triage.SHA256) {
	return s.sha256.ids, s.sha256.hashes
}

// PDQs returns the PDQ column (see MD5s).
func (s *Set) PDQs() (ids []uint32, hashes []triage.PDQ) { return s.pdq.ids, s.pdq.hashes }

// PHashes returns the pHash column (see MD5s).
func (s *Set) PHashes() (ids []uint32, hashes []triage.PHash) { return s.phashID, s.phash }

// Category returns entry i's category without materialising the entry.
func (s *Set) Category(i int) triage.Category {
	return s.cats[binary.LittleEndian.Uint16(s.records[i*recordSize+4:])]
}

// Kind returns entry i's kind without materialising the entry.
func (s *Set) Kind(i int) triage.SetKind {
	k := s.records[i*recordSize+7] | s.v1Kind
	if k == recKindKnownGood {
		return triage.SetKindKnownGood
	}
	return triage.SetKindAlert
}

// HasAlgo reports whether entry i carries a hash of algorithm a.
func (s *Set) HasAlgo(i int, a triage.Algo) bool {
	return triage.AlgoSet(binary.LittleEndian.Uint16(s.records[i*recordSize:])).Has(a)
}

// PDQ returns entry i's PDQ hash (the zero hash if it has none).
func (s *Set) PDQ(i int) triage.PDQ { return s.pdq.find(uint32(i), s.n) }

// PDQQuality returns entry i's PDQ quality (-1 if unknown).
func (s *Set) PDQQuality(i int) int { return int(int8(s.records[i*recordSize+6])) }

// IDAndSeries returns entry i's source record id and series without
// materialising the rest of the entry.
func (s *Set) IDAndSeries(i int) (id, series string) {
	b := s.strs[binary.LittleEndian.Uint64(s.strOffs[8*i:]):]
	var f [3]string
	for k := range f {
		n, w := binary.Uvarint(b)
		f[k] = string(b[w : w+int(n)])
		b = b[w+int(n):]
	}
	return f[0], f[2]
}

// Entry materialises entry i (0 <= i < Len) with all its fields. Pos is
// the entry's index plus one.
func (s *Set) Entry(i int) triage.Entry {
	r := s.records[i*recordSize:][:recordSize]
	e := triage.Entry{
		Algos:      triage.AlgoSet(binary.LittleEndian.Uint16(r[0:])),
		Flags:      triage.EntryFlags(binary.LittleEndian.Uint16(r[2:])),
		Kind:       s.Kind(i),
		Category:   s.cats[binary.LittleEndian.Uint16(r[4:])],
		PDQQuality: int(int8(r[6])),
		Size:       int64(binary.LittleEndian.Uint64(r[8:])),
		Pos:        int64(i) + 1,
	}
	id := uint32(i)
	if e.Algos.Has(triage.AlgoMD5) {
		e.MD5 = s.md5.find(id, s.n)
	}
	if e.Algos.Has(triage.AlgoSHA1) {
		e.SHA1 = s.sha1.find(id, s.n)
	}
	if e.Algos.Has(triage.AlgoSHA256) {
		e.SHA256 = s.sha256.find(id, s.n)
	}
	if e.Algos.Has(triage.AlgoPDQ) {
		e.PDQ = s.pdq.find(id, s.n)
	}
	if e.Algos.Has(triage.AlgoPHash) {
		if k, ok := sort.Find(len(s.phashID), func(k int) int { return cmpU32(id, s.phashID[k]) }); ok {
			e.PHash = s.phash[k]
		}
	}
	e.Regions = s.entryRegions(id)
	e.Keypoints = s.entryKeypoints(id)
	off := binary.LittleEndian.Uint64(s.strOffs[8*i:])
	b := s.strs[off:]
	fields := make([]string, 6)
	for k := range fields {
		n, w := binary.Uvarint(b)
		fields[k] = string(b[w : w+int(n)])
		b = b[w+int(n):]
	}
	e.ID, e.Name, e.Series, e.PhotoDNA = fields[0], fields[1], fields[2], fields[3]
	if fields[4] != "" {
		e.Tags = strings.Split(fields[4], string(tagSep))
	}
	if fields[5] != "" {
		json.Unmarshal([]byte(fields[5]), &e.Extra) // validated on load
	}
	return e
}

func cmpU32(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// find returns the hash of entry id, or the zero hash if it has none.
func (c *hashColumn[H]) find(id uint32, entries int) H {
	var zero H
	if c.byHash {
		c.posOnce.Do(func() {
			c.pos = make([]uint32, entries)
			for i := range c.pos {
				c.pos[i] = math.MaxUint32
			}
			for k, e := range c.ids {
				c.pos[e] = uint32(k)
			}
		})
		if k := c.pos[id]; k != math.MaxUint32 {
			return c.hashes[k]
		}
		return zero
	}
	k, ok := sort.Find(len(c.ids), func(k int) int { return cmpU32(id, c.ids[k]) })
	if !ok {
		return zero
	}
	return c.hashes[k]
}

// Entries calls yield with every entry in order, stopping when it returns false.
func (s *Set) Entries(yield func(triage.Entry) bool) {
	for i := 0; i < s.n; i++ {
		if !yield(s.Entry(i)) {
			return
		}
	}
}

// ErrCorrupt is returned (wrapped) when a compiled set fails its checks.
var ErrCorrupt = errors.New("compiled hash set is damaged")

func corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrCorrupt, fmt.Sprintf(format, args...))
}

// ReadFile loads a compiled set from path.
//
// On Linux a large file (64 MiB and more) is mapped read-only rather than
// read: a 50M-entry set then loads in half the time and its pages stay
// in the page cache, which the kernel can reclaim, instead of the heap.
// The mapping lasts as long as the process, so this is for sets a process
// keeps (the command line); a service that replaces sets uses
// Parse. The file must not be truncated or rewritten in place while
// it is loaded (Winnow writes sets to a new file and renames it, which is
// safe).
func ReadFile(path string) (*Set, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, triage.Errorf(triage.EINVALID, "open hash set: %v", triage.UnwrapPath(err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	buf, unmap, mapped := mapSetFile(f, fi.Size())
	if !mapped {
		if buf, err = readAllAt(f, fi.Size()); err != nil {
			return nil, fmt.Errorf("read hash set %s: %w", path, err)
		}
	}
	s, err := Parse(buf)
	if err != nil {
		if mapped {
			unmap()
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return s, nil
}

// readAllAt reads the first size bytes of f. Large files are read in
// parallel pieces: the kernel's copy out of the page cache runs at about
// 1 GB/s per core, which would otherwise dominate loading a big set.
func readAllAt(f *os.File, size int64) ([]byte, error) {
	buf := make([]byte, size)
	procs := int64(runtime.GOMAXPROCS(0))
	if size < 256<<20 {
		procs = 1
	}
	errs := make([]error, procs)
	var wg sync.WaitGroup
	for c := range procs {
		wg.Go(func() {
			lo, hi := size*c/procs, size*(c+1)/procs
			_, errs[c] = f.ReadAt(buf[lo:hi], lo)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// Parse loads a compiled set from its bytes, which it keeps (the
// caller must not modify buf afterwards). Every section's checksum and
// every offset is checked: a damaged or hostile file gives an error
// wrapping ErrCorrupt, never a panic or a wrong answer later.
//
// The category schemes the set carries that this process does not know
// are registered (triage.AdoptSchemes), so that its categories parse,
// label and export here as where it was built; SchemeConflicts lists
// those known here with another definition, which the caller should
// report.
func Parse(buf []byte) (*Set, error) {
	if len(buf) < 24 || !bytes.Equal(buf[:8], setMagic[:]) {
		return nil, triage.Errorf(triage.EINVALID, "not a compiled Winnow hash set (build one with `winnow hashset build`)")
	}
	version := binary.LittleEndian.Uint32(buf[8:])
	if version < 1 || version > Version {
		return nil, triage.Errorf(triage.EUNSUPPORTED, "compiled hash set version %d; this Winnow reads versions 1-%d (rebuild the set, or upgrade Winnow)", version, Version)
	}
	nsec := int(binary.LittleEndian.Uint32(buf[12:]))
	count := binary.LittleEndian.Uint64(buf[16:])
	if nsec > 64 || 24+40*nsec > len(buf) {
		return nil, corrupt("section table out of bounds")
	}
	if count > math.MaxUint32 || count*recordSize > uint64(len(buf)) {
		return nil, corrupt("entry count %d does not fit the file", count)
	}
	s := &Set{n: int(count)}
	got := map[uint32][]byte{}
	crcs := make([]uint32, nsec)
	var sections [][]byte
	for i := 0; i < nsec; i++ {
		p := buf[24+40*i:]
		kind := binary.LittleEndian.Uint32(p[0:])
		off := binary.LittleEndian.Uint64(p[8:])
		n := binary.LittleEndian.Uint64(p[16:])
		crcs[i] = binary.LittleEndian.Uint32(p[24:])
		if off > uint64(len(buf)) || n > uint64(len(buf))-off {
			return nil, corrupt("section %d out of bounds", kind)
		}
		if kind < secMeta || kind > secKeypoints || got[kind] != nil {
			return nil, corrupt("unknown or repeated section %d", kind)
		}
		got[kind] = buf[off : off+n]
		sections = append(sections, got[kind])
	}
	if i := firstBadChecksum(sections, crcs); i >= 0 {
		return nil, corrupt("section %d checksum mismatch", binary.LittleEndian.Uint32(buf[24+40*i:]))
	}
	for _, k := range []uint32{secMeta, secCategories, secRecords, secStrings} {
		if got[k] == nil && !(k == secRecords && count == 0) {
			return nil, corrupt("section %d missing", k)
		}
	}
	if err := json.Unmarshal(got[secMeta], &s.Meta); err != nil {
		return nil, corrupt("metadata: %v", err)
	}
	if version == 1 && !s.Meta.Kind.Valid() || !s.Meta.Kind.Valid() && s.Meta.Kind != triage.SetKindMixed {
		return nil, corrupt("set kind %q", s.Meta.Kind)
	}
	carried := map[string]*triage.Scheme{}
	for i := range s.Meta.Schemes {
		sc := &s.Meta.Schemes[i]
		if err := sc.Validate(); err != nil || carried[sc.Name] != nil {
			return nil, corrupt("category scheme %q", sc.Name)
		}
		carried[sc.Name] = sc
	}
	var cats []string
	if err := json.Unmarshal(got[secCategories], &cats); err != nil || len(cats) == 0 || cats[0] != "" {
		return nil, corrupt("category table")
	}
	s.cats = make([]triage.Category, len(cats))
	for i, c := range cats[1:] {
		scheme, code, ok := strings.Cut(c, ":")
		if !ok {
			return nil, corrupt("category %q", c)
		}
		if sc := carried[scheme]; sc != nil {
			if _, ok := sc.Labels[code]; !ok {
				return nil, corrupt("category %q is not in the scheme the set carries", c)
			}
		}
		s.cats[i+1] = triage.Category{Scheme: scheme, Code: code}
	}
	s.records = got[secRecords]
	if uint64(len(s.records)) != count*recordSize {
		return nil, corrupt("record section size")
	}
	wantKind := func(k byte) bool { return k == recKindAlert || k == recKindKnownGood }
	if version == 1 {
		wantKind = func(k byte) bool { return k == recKindSet }
		s.v1Kind = recKindAlert
		if s.Meta.Kind == triage.SetKindKnownGood {
			s.v1Kind = recKindKnownGood
		}
	}
	for i := 0; i < s.n; i++ {
		r := s.records[i*recordSize:]
		if int(binary.LittleEndian.Uint16(r[4:])) >= len(s.cats) {
			return nil, corrupt("entry %d: category index out of range", i)
		}
		if !wantKind(r[7]) {
			return nil, corrupt("entry %d: kind %d", i, r[7])
		}
	}
	str := got[secStrings]
	if uint64(len(str)) < 8*count {
		return nil, corrupt("string offsets")
	}
	s.strOffs, s.strs = str[:8*count], str[8*count:]
	// The string blocks are checked while the columns are parsed.
	var strErr error
	var wg sync.WaitGroup
	wg.Go(func() { strErr = s.checkStrings() })
	colErr := s.parseColumns(got)
	if colErr == nil {
		colErr = s.parseRegions(got[secRegions])
	}
	if colErr == nil && version >= keypointsVersion {
		colErr = s.parseKeypoints(got[secKeypoints])
	} else if k := got[secKeypoints]; colErr == nil && len(k) >= 8 {
		s.oldKeypoints = int(min(binary.LittleEndian.Uint64(k), math.MaxInt32))
	}
	wg.Wait()
	if colErr != nil {
		return nil, colErr
	}
	if strErr != nil {
		return nil, strErr
	}
	s.conflicts = triage.AdoptSchemes(s.Meta.Schemes)
	return s, nil
}

// parseRegions reads and checks the regions section (nil: none): records
// of known kinds and qualities, of entries that exist, in entry order.
func (s *Set) parseRegions(sec []byte) error {
	if sec == nil {
		return nil
	}
	if len(sec) < 8 {
		return corrupt("regions section size")
	}
	n := binary.LittleEndian.Uint64(sec)
	recs := sec[8:]
	if n > uint64(len(recs))/regionSize || uint64(len(recs)) != n*regionSize {
		return corrupt("regions section size")
	}
	prev := int64(-1)
	for i := 0; i < len(recs); i += regionSize {
		r := recs[i:]
		id := int64(binary.LittleEndian.Uint32(r))
		if id >= int64(s.n) || id < prev {
			return corrupt("region of entry %d out of order or range", id)
		}
		prev = id
		if !triage.RegionKind(r[4]).Valid() || r[5] > 100 {
			return corrupt("region of entry %d: kind %d, quality %d", id, r[4], r[5])
		}
	}
	s.regions = recs
	return nil
}

// parseKeypoints reads and checks the keypoints section (nil: none):
// records of entries that exist, in entry order, at most maxKeypoints an
// entry.
func (s *Set) parseKeypoints(sec []byte) error {
	if sec == nil {
		return nil
	}
	if len(sec) < 8 {
		return corrupt("keypoints section size")
	}
	n := binary.LittleEndian.Uint64(sec)
	recs := sec[8:]
	if n > uint64(len(recs))/keypointSize || uint64(len(recs)) != n*keypointSize {
		return corrupt("keypoints section size")
	}
	prev, run := int64(-1), 0
	for i := 0; i < len(recs); i += keypointSize {
		r := recs[i:]
		id := int64(binary.LittleEndian.Uint32(r))
		if id >= int64(s.n) || id < prev {
			return corrupt("keypoint of entry %d out of order or range", id)
		}
		if id != prev {
			run = 0
		}
		if run++; run > maxKeypoints {
			return corrupt("entry %d has more than %d keypoints", id, maxKeypoints)
		}
		prev = id
	}
	s.kps = recs
	return nil
}

// OldKeypoints returns how many keypoints a file of a version whose
// descriptors this Winnow does not compare holds, left out on load
// (rebuild the set from its media to match them again); 0 otherwise.
func (s *Set) OldKeypoints() int { return s.oldKeypoints }

// KeypointCount returns how many keypoints the set's entries have in all.
func (s *Set) KeypointCount() int { return len(s.kps) / keypointSize }

// Keypoint returns the set's i-th keypoint (0 <= i < KeypointCount) and
// the entry it belongs to; keypoints are in entry order.
func (s *Set) Keypoint(i int) (uint32, triage.Keypoint) {
	return decodeKeypoint(s.kps[i*keypointSize:])
}

func decodeKeypoint(rec []byte) (uint32, triage.Keypoint) {
	return binary.LittleEndian.Uint32(rec), triage.Keypoint{Desc: binary.LittleEndian.Uint64(rec[4:]), X: rec[12], Y: rec[13], Scale: rec[14], Angle: rec[15]}
}

// entryKeypoints returns the keypoints of entry id.
func (s *Set) entryKeypoints(id uint32) []triage.Keypoint {
	n := len(s.kps) / keypointSize
	k, _ := sort.Find(n, func(k int) int { return cmpU32(id, binary.LittleEndian.Uint32(s.kps[k*keypointSize:])) })
	var out []triage.Keypoint
	for ; k < n; k++ {
		kid, kp := decodeKeypoint(s.kps[k*keypointSize:])
		if kid != id {
			break
		}
		out = append(out, kp)
	}
	return out
}

// NumRegions returns how many regions the set's entries have in all.
func (s *Set) NumRegions() int { return len(s.regions) / regionSize }

// Region returns the i-th region of the set's entries (0 <= i <
// NumRegions(), in entry order) and the entry it belongs to, read from
// the file's bytes: nothing is kept per region besides them.
func (s *Set) Region(i int) (entry uint32, r triage.Region) {
	return decodeRegion(s.regions[i*regionSize : (i+1)*regionSize])
}

// RegionPHash returns the pHash of the i-th region, as Region does.
func (s *Set) RegionPHash(i int) triage.PHash {
	return triage.PHash(binary.LittleEndian.Uint64(s.regions[i*regionSize+40:]))
}

func decodeRegion(rec []byte) (uint32, triage.Region) {
	r := triage.Region{Kind: triage.RegionKind(rec[4]), PDQQuality: int(rec[5]), PHash: triage.PHash(binary.LittleEndian.Uint64(rec[40:]))}
	copy(r.PDQ[:], rec[8:40])
	return binary.LittleEndian.Uint32(rec), r
}

// entryRegions returns the regions of entry id.
func (s *Set) entryRegions(id uint32) []triage.Region {
	n := len(s.regions) / regionSize
	k, _ := sort.Find(n, func(k int) int { return cmpU32(id, binary.LittleEndian.Uint32(s.regions[k*regionSize:])) })
	var out []triage.Region
	for ; k < n; k++ {
		rid, r := decodeRegion(s.regions[k*regionSize:])
		if rid != id {
			break
		}
		out = append(out, r)
	}
	return out
}

// SchemeConflicts names the category schemes the set carries whose
// definition differs from the one this process had registered when the
// set was loaded (the registered one is used).
func (s *Set) SchemeConflicts() []string { return s.conflicts }

// parseColumns reads and checks the hash columns.
func (s *Set) parseColumns(got map[uint32][]byte) error {
	var err error
	if s.md5.ids, s.md5.hashes, s.md5.byHash, err = parseColumn[triage.MD5](got[secMD5], s.n, true); err != nil {
		return err
	}
	if s.sha1.ids, s.sha1.hashes, s.sha1.byHash, err = parseColumn[triage.SHA1](got[secSHA1], s.n, true); err != nil {
		return err
	}
	if s.sha256.ids, s.sha256.hashes, s.sha256.byHash, err = parseColumn[triage.SHA256](got[secSHA256], s.n, true); err != nil {
		return err
	}
	if s.pdq.ids, s.pdq.hashes, _, err = parseColumn[triage.PDQ](got[secPDQ], s.n, false); err != nil {
		return err
	}
	var raw [][8]byte // byte arrays: no alignment assumption on buf
	if s.phashID, raw, _, err = parseColumn[[8]byte](got[secPHash], s.n, false); err != nil {
		return err
	}
	s.phash = make([]triage.PHash, len(raw))
	for i := range raw {
		s.phash[i] = triage.PHash(binary.LittleEndian.Uint64(raw[i][:]))
	}
	return s.checkColumns()
}

// checkColumns verifies that the hash columns hold exactly the entries
// whose records say they have that hash. A column in entry order is
// checked against the records in step; one in hash order through a bit
// set of its ids (each id at most once, and every entry with the hash in
// it).
func (s *Set) checkColumns() error {
	type col struct {
		a      triage.Algo
		ids    []uint32
		byHash bool
		n      int
		seen   []uint64
	}
	cols := [...]col{{triage.AlgoMD5, s.md5.ids, s.md5.byHash, 0, nil}, {triage.AlgoSHA1, s.sha1.ids, s.sha1.byHash, 0, nil},
		{triage.AlgoSHA256, s.sha256.ids, s.sha256.byHash, 0, nil}, {triage.AlgoPDQ, s.pdq.ids, false, 0, nil}, {triage.AlgoPHash, s.phashID, false, 0, nil}}
	// byBit maps an algorithm's bit number to its column.
	var byBit [16]*col
	var mask uint16
	for k := range cols {
		c := &cols[k]
		byBit[bits.TrailingZeros16(uint16(c.a))] = c
		mask |= uint16(c.a)
		if !c.byHash {
			continue
		}
		c.seen = make([]uint64, (s.n+63)/64)
		for _, id := range c.ids { // parseColumn checked id < s.n
			w, b := &c.seen[id>>6], uint64(1)<<(id&63)
			if *w&b != 0 {
				return corrupt("%s column holds entry %d twice", c.a, id)
			}
			*w |= b
		}
	}
	// Each entry's hashes must be in their columns; with the counts equal
	// and no id twice, the columns hold nothing else.
	for i := 0; i < s.n; i++ {
		for m := binary.LittleEndian.Uint16(s.records[i*recordSize:]) & mask; m != 0; m &= m - 1 {
			c := byBit[bits.TrailingZeros16(m)]
			if c.byHash && c.seen[i>>6]&(1<<(uint(i)&63)) == 0 ||
				!c.byHash && (c.n >= len(c.ids) || c.ids[c.n] != uint32(i)) {
				return corrupt("%s column does not match entry %d", c.a, i)
			}
			c.n++
		}
	}
	for _, c := range cols {
		if c.n != len(c.ids) {
			return corrupt("%s column has %d hashes for %d entries", c.a, len(c.ids), c.n)
		}
	}
	return nil
}

// firstBadChecksum returns the index of the first section whose CRC-32C
// is not the recorded one, or -1. Large sections are checked in parallel,
// one per core at a time: loading a big set is mostly checksumming.
func firstBadChecksum(sections [][]byte, crcs []uint32) int {
	bad := make([]bool, len(sections))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, data := range sections {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			bad[i] = crc32.Checksum(data, castagnoli) != crcs[i]
		})
	}
	wg.Wait()
	return slices.Index(bad, true)
}

// checkStrings verifies every entry's string block so that Entry cannot
// run out of bounds later, the entries split between the cores; the error
// names the first bad entry.
func (s *Set) checkStrings() error {
	procs := runtime.GOMAXPROCS(0)
	if s.n < 1<<16 {
		procs = 1
	}
	errs := make([]error, procs)
	var wg sync.WaitGroup
	for c := range procs {
		wg.Go(func() { errs[c] = s.checkStringRange(s.n*c/procs, s.n*(c+1)/procs) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *Set) checkStringRange(lo, hi int) error {
	for i := lo; i < hi; i++ {
		off := binary.LittleEndian.Uint64(s.strOffs[8*i:])
		if off > uint64(len(s.strs)) {
			return corrupt("entry %d: string offset", i)
		}
		b := s.strs[off:]
		for k := 0; k < 6; k++ {
			var n uint64
			var w int
			if len(b) > 0 && b[0] < 0x80 { // a field under 128 bytes: most are
				n, w = uint64(b[0]), 1
			} else {
				n, w = binary.Uvarint(b)
			}
			if w <= 0 || n > uint64(len(b)-w) {
				return corrupt("entry %d: string field %d", i, k)
			}
			if k == 5 && n > 0 && !json.Valid(b[w:w+int(n)]) {
				return corrupt("entry %d: extra fields", i)
			}
			b = b[w+int(n):]
		}
	}
	return nil
}

// parseColumn reads a hash column: count u64, ids u32, hashes. The ids
// must be ascending (entry order) or, where byHashOK, the hashes
// ascending with ties in id order (hash order, reported as byHash).
// Every id is below entries; checkColumns checks the rest. The hashes
// alias data; H must be a byte array type (alignment 1).
func parseColumn[H any](data []byte, entries int, byHashOK bool) (ids []uint32, hashes []H, byHash bool, err error) {
	if data == nil {
		return nil, nil, false, nil
	}
	var zero H
	size := int(unsafe.Sizeof(zero))
	if len(data) < 8 {
		return nil, nil, false, corrupt("column header")
	}
	n := binary.LittleEndian.Uint64(data)
	if n > uint64(entries) || uint64(len(data)-8) != n*uint64(4+size) {
		return nil, nil, false, corrupt("column size")
	}
	ids = make([]uint32, n)
	hb := data[8+4*n:]
	// In pieces, one per core for big columns; each piece also compares
	// its first entry with the one before it.
	procs := runtime.GOMAXPROCS(0)
	if n < 1<<20 {
		procs = 1
	}
	idOrder, hashOrder := make([]bool, procs), make([]bool, procs)
	errs := make([]error, procs)
	var wg sync.WaitGroup
	for c := range procs {
		wg.Go(func() {
			lo, hi := int(n)*c/procs, int(n)*(c+1)/procs
			io, ho := true, byHashOK
			for i := lo; i < hi; i++ {
				id := binary.LittleEndian.Uint32(data[8+4*i:])
				if int(id) >= entries {
					errs[c] = corrupt("column id %d out of range", id)
					return
				}
				ids[i] = id
				if i == 0 {
					continue
				}
				prev := binary.LittleEndian.Uint32(data[8+4*(i-1):])
				io = io && id > prev
				if ho {
					d := bytes.Compare(hb[(i-1)*size:i*size], hb[i*size:(i+1)*size])
					ho = d < 0 || d == 0 && id > prev
				}
				if !io && !ho {
					errs[c] = corrupt("column in neither entry nor hash order at position %d", i)
					return
				}
			}
			idOrder[c], hashOrder[c] = io, ho
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, nil, false, err
		}
	}
	byID, byH := !slices.Contains(idOrder, false), !slices.Contains(hashOrder, false)
	if !byID && !byH {
		return nil, nil, false, corrupt("column in neither entry nor hash order")
	}
	if n > 0 {
		hashes = unsafe.Slice((*H)(unsafe.Pointer(&hb[0])), n)
	}
	// A column in both orders (at most one entry, or hashes that happen to
	// ascend with the ids) is read as entry order.
	return ids, hashes, !byID, nil
}
