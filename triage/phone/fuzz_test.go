package phone_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/winnow-forensics/winnow/triage/container"
	"github.com/winnow-forensics/winnow/triage/phone"
	"github.com/winnow-forensics/winnow/triage/phone/phonetest"
)

// FuzzExpand expands arbitrary bytes as a phone extraction, seeded with a
// small UFDR and a GrayKey zip: members have errors, the expansion never
// panics and reads no more than the limits allow.
func FuzzExpand(f *testing.F) {
	u, err := phonetest.UFDR([]phonetest.Entry{
		{Path: "/DCIM/a.jpg", Content: []byte("a"), Modified: t1},
		{Path: "/DCIM/b.jpg", SHA256: "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff", Deleted: true},
		{Path: "/DCIM/c.jpg", LocalPath: "files/none.jpg"},
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(u)
	g, err := phonetest.Zip(phonetest.File{Name: "private/var/mobile/a", Data: []byte("x"), Extra: extendedTime(t1, t2, t3)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(g)
	lim := container.Limits{MaxEntries: 100, MaxMemberBytes: 1 << 20, MaxTotalBytes: 4 << 20, MaxNestedBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, data []byte) {
		var read int64
		_, _ = phone.Extractions.Expand(context.Background(), bytes.NewReader(data), int64(len(data)), container.Options{Limits: lim}, func(m *container.Member, r io.Reader) error {
			if r != nil {
				n, _ := io.Copy(io.Discard, r)
				read += n
			}
			return nil
		})
		if read > lim.MaxTotalBytes+lim.MaxMemberBytes {
			t.Fatalf("read %d bytes, over the limits", read)
		}
	})
}
