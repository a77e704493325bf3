package rds3

import (
	"context"
	"database/sql"
	"io"
	"runtime"
	"sync"

	"github.com/winnow-forensics/winnow/triage"
)

// Reading in chunks. One row through database/sql and the pure-Go SQLite
// costs several microseconds, and a modern RDS has some 440 million, so
// one cursor would keep an import busy for the better part of an hour on
// one core. FILE is a rowid table: the scan cuts the rowid range into
// chunks of consecutive rowids, which several connections read and decode
// at once, and Next hands the rows out chunk by chunk in rowid order: the
// order, and so the record numbers, of one sequential scan. Memory is
// bounded: each reader has at most one chunk waiting and one being read.

// chunkRows is the rowid span of one chunk (a variable for tests).
var chunkRows int64 = 16384

// maxReaders bounds the connections reading at once (a variable for tests:
// 1 reads through one cursor).
var maxReaders = 8

// readers is the number of connections reading at once: one per core, at
// most maxReaders.
func readers() int { return min(runtime.GOMAXPROCS(0), maxReaders) }

// rowidSpan returns the smallest and largest rowid of FILE, and whether
// the table can be read in chunks: it has rowids (not WITHOUT ROWID) and
// they span fewer than maxSpan, the file's size. Rowids spread much wider
// than the rows (deleted ranges, a hostile file) would cost an empty query
// per chunk; every row takes several bytes, so a span wider than the file
// is read through one cursor instead. NSRL's rowids are dense. An empty
// table has lo > hi.
func (s *source) rowidSpan(maxSpan int64) (lo, hi int64, ok bool) {
	var mn, mx sql.NullInt64
	if err := s.db.QueryRow("SELECT min(rowid), max(rowid) FROM FILE").Scan(&mn, &mx); err != nil {
		return 0, 0, false
	}
	if !mn.Valid || !mx.Valid {
		return 1, 0, true
	}
	if uint64(mx.Int64)-uint64(mn.Int64) >= uint64(maxSpan) {
		return 0, 0, false
	}
	return mn.Int64, mx.Int64, true
}

// chunkScan reads FILE in chunks through k connections; reader w reads
// chunks w, w+k, w+2k, ... and sends them, in that order, on lanes[w].
type chunkScan struct {
	lanes   []chan *chunk
	free    chan *chunk // chunks Next has handed out, for reuse
	nchunks int64
	next    int64  // the next chunk Next takes
	cur     *chunk // the chunk Next is handing out
	i       int    // the next row of cur
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

// chunk is the rows of one chunk, decoded, then a fatal error if the
// database could not be read past them.
type chunk struct {
	rows []row
	err  error
}

type row struct {
	e   triage.Entry
	err error // a *triage.RecordError, Pos not yet set
}

// startChunkScan starts k readers over rowids lo..hi (none if lo > hi).
func startChunkScan(db *sql.DB, lo, hi int64, k int) *chunkScan {
	ctx, cancel := context.WithCancel(context.Background())
	c := &chunkScan{lanes: make([]chan *chunk, k), free: make(chan *chunk, k), cancel: cancel}
	if lo <= hi {
		c.nchunks = int64((uint64(hi)-uint64(lo))/uint64(chunkRows)) + 1
	}
	for w := range k {
		c.lanes[w] = make(chan *chunk, 1)
		c.wg.Go(func() { c.read(ctx, db, w, k, lo, hi) })
	}
	return c
}

// read is reader w: it sends chunks w, w+k, ... until the last or the
// first that ends in a fatal error.
func (c *chunkScan) read(ctx context.Context, db *sql.DB, w, k int, lo, hi int64) {
	if int64(w) >= c.nchunks {
		return
	}
	send := func(ch *chunk) bool {
		ok := ch.err == nil // once sent, ch is Next's (and then maybe another reader's)
		select {
		case c.lanes[w] <- ch:
			return ok
		case <-ctx.Done():
			return false
		}
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		send(&chunk{err: err})
		return
	}
	defer conn.Close()
	stmt, err := conn.PrepareContext(ctx, selectFile+" WHERE rowid >= ? AND rowid <= ?")
	if err != nil {
		send(&chunk{err: err})
		return
	}
	defer stmt.Close()
	for n := int64(w); n < c.nchunks; n += int64(k) {
		// No overflow: lo + n*chunkRows <= hi, and hi - lo < the file's size.
		first := int64(uint64(lo) + uint64(n)*uint64(chunkRows))
		last := hi
		if uint64(hi)-uint64(first) >= uint64(chunkRows) {
			last = first + chunkRows - 1
		}
		if !send(readChunk(ctx, stmt, c.free, first, last)) {
			return
		}
	}
}

// readChunk reads and decodes the rows with rowids first..last, into a
// chunk from free if there is one.
func readChunk(ctx context.Context, stmt *sql.Stmt, free chan *chunk, first, last int64) *chunk {
	var ch *chunk
	select {
	case ch = <-free:
		ch.rows, ch.err = ch.rows[:0], nil
	default:
		ch = &chunk{rows: make([]row, 0, last-first+1)}
	}
	rows, err := stmt.QueryContext(ctx, first, last)
	if err != nil {
		ch.err = err
		return ch
	}
	defer rows.Close()
	for rows.Next() {
		e, err := decodeRow(rows)
		ch.rows = append(ch.rows, row{e, err})
	}
	ch.err = rows.Err()
	return ch
}

// nextChunked is Next for a chunked scan.
func (s *source) nextChunked() (triage.Entry, error) {
	c := s.scan
	for c.cur == nil || c.i == len(c.cur.rows) {
		if c.cur != nil && c.cur.err != nil {
			s.err = triage.Errorf(triage.EINVALID, "nsrl rds3: after row %d: %v", s.pos, c.cur.err)
			return triage.Entry{}, s.err
		}
		if c.next == c.nchunks {
			s.err = io.EOF
			return triage.Entry{}, s.err
		}
		if c.cur != nil {
			select {
			case c.free <- c.cur:
			default:
			}
		}
		c.cur, c.i = <-c.lanes[c.next%int64(len(c.lanes))], 0
		c.next++
	}
	r := &c.cur.rows[c.i]
	c.i++
	s.pos++
	return withPos(r.e, r.err, s.pos)
}

// stop ends the readers and waits for them.
func (c *chunkScan) stop() {
	c.cancel()
	c.wg.Wait()
}
