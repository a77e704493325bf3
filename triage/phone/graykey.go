package phone

import (
	"context"
	"encoding/binary"
	"io"
	"strconv"
	"time"

	"github.com/winnow-forensics/winnow/triage/archive"
	"github.com/winnow-forensics/winnow/triage/container"
)

// expandGrayKey expands a GrayKey full-file-system zip as archive.Walk
// does (same limits, nested archives), each member of the outer zip
// carrying its path on the device and the times the zip records: the
// central directory's, and the local header's extra fields, which hold the
// access and creation times the central directory leaves out.
func expandGrayKey(ctx context.Context, r io.ReaderAt, size int64, z *archive.ZipDir, opt container.Options, visit container.VisitFunc) (container.Stats, error) {
	times := make([]container.Times, len(z.Files))
	for i, f := range z.Files {
		if i&1023 == 0 && ctx.Err() != nil {
			return container.Stats{}, ctx.Err()
		}
		t := &times[i]
		t.Modified = f.Modified
		// The local header is read (a seek and a read, costly from a
		// store) only when the central copy says it holds more.
		if more := extraTimes(t, f.Extra); more {
			if off, err := f.DataOffset(); err == nil {
				extraTimes(t, localExtra(r, off, len(f.Name)))
			}
		}
	}
	st, err := archive.Walk(ctx, r, size, opt, func(m *container.Member, rd io.Reader) error {
		if m.Depth == 1 && m.Index < len(times) {
			m.Times = times[m.Index]
			dev := "/" + m.Name
			if m.RawName != "" {
				if raw, err := strconv.Unquote(m.RawName); err == nil {
					dev = raw
				}
			}
			m.Attrs = map[string]string{"device_path": dev}
		}
		return visit(m, rd)
	})
	st.Format = GrayKey.String()
	return st, err
}

// maxLocalExtra bounds the local header extra field read for its times.
const maxLocalExtra = 4096

// localExtra returns the extra field of the local header whose data
// starts at dataOff (its name nameLen bytes long), nil when it cannot be
// found within maxLocalExtra bytes.
func localExtra(r io.ReaderAt, dataOff int64, nameLen int) []byte {
	const hdr = 30
	n := min(dataOff, int64(hdr+nameLen+maxLocalExtra))
	if n < hdr {
		return nil
	}
	buf := make([]byte, n)
	if _, err := r.ReadAt(buf, dataOff-n); err != nil {
		return nil
	}
	// The header is where the signature stands with a name and an extra
	// field that end exactly at the data.
	for p := 0; p+hdr <= len(buf); p++ {
		if buf[p] != 'P' || string(buf[p:p+4]) != "PK\x03\x04" {
			continue
		}
		nl := int(binary.LittleEndian.Uint16(buf[p+26:]))
		el := int(binary.LittleEndian.Uint16(buf[p+28:]))
		if nl == nameLen && p+hdr+nl+el == len(buf) {
			return buf[p+hdr+nl:]
		}
	}
	return nil
}

// extraTimes sets the times an extra field records on t: the Info-ZIP
// extended timestamp (0x5455: Unix seconds, modification, access and
// creation as its flags say, the central directory's copy holding only
// the first) and the NTFS field (0x000a, tag 1: modification, access and
// creation in 100 ns units since 1601), which is finer and wins. more
// reports an extended timestamp whose flags announce times this copy
// leaves out (the local header's copy has them).
func extraTimes(t *container.Times, extra []byte) (more bool) {
	for len(extra) >= 4 {
		id := binary.LittleEndian.Uint16(extra)
		n := int(binary.LittleEndian.Uint16(extra[2:]))
		if 4+n > len(extra) {
			return more
		}
		b := extra[4 : 4+n]
		extra = extra[4+n:]
		switch id {
		case 0x5455:
			if len(b) < 1 {
				continue
			}
			flags, b := b[0], b[1:]
			for bit, dst := range []*time.Time{&t.Modified, &t.Accessed, &t.Created} {
				if flags&(1<<bit) == 0 {
					continue
				}
				if len(b) < 4 {
					more = true
					break
				}
				*dst = time.Unix(int64(int32(binary.LittleEndian.Uint32(b))), 0).UTC()
				b = b[4:]
			}
		case 0x000a:
			if len(b) < 4 {
				continue
			}
			for b = b[4:]; len(b) >= 4; {
				tag, sz := binary.LittleEndian.Uint16(b), int(binary.LittleEndian.Uint16(b[2:]))
				if 4+sz > len(b) {
					break
				}
				if tag == 1 && sz >= 24 {
					for k, dst := range []*time.Time{&t.Modified, &t.Accessed, &t.Created} {
						if ft := binary.LittleEndian.Uint64(b[4+8*k:]); ft != 0 {
							*dst = fileTime(ft)
						}
					}
				}
				b = b[4+sz:]
			}
		}
	}
	return more
}

// fileTime converts a Windows FILETIME to a time.
func fileTime(ft uint64) time.Time {
	const epochDiff = 116444736000000000 // 1601-01-01 to 1970-01-01 in 100 ns
	if ft < epochDiff {
		return time.Time{}
	}
	d := ft - epochDiff
	return time.Unix(int64(d/1e7), int64(d%1e7)*100).UTC()
}
