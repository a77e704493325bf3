package hashing

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestReadUpTo(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789"), 100) // 1,000 bytes
	for _, tc := range []struct {
		limit   int64
		initCap int
		want    int // bytes in the result
	}{
		{2000, 0, 1000},     // fits
		{1000, 1001, 1000},  // fits exactly
		{999, 0, 1000},      // larger: one byte more than the limit is enough to tell
		{10, 4, 11},         // larger, from a small buffer
		{0, 0, 1},           // limit 0: any byte says larger
		{1 << 62, 16, 1000}, // "read it all"
	} {
		got, err := ReadUpTo(iotest.OneByteReader(bytes.NewReader(data)), make([]byte, 0, tc.initCap), tc.limit)
		// One byte a read: exactly limit+1 bytes when the data is larger.
		if err != nil || len(got) != tc.want || !bytes.Equal(got, data[:tc.want]) {
			t.Errorf("limit %d: %d bytes, %v; want %d", tc.limit, len(got), err, tc.want)
		}
		if fits := int64(len(got)) <= tc.limit; fits != (int64(len(data)) <= tc.limit) {
			t.Errorf("limit %d: %d bytes read, fits %v", tc.limit, len(got), fits)
		}
	}
	boom := errors.New("boom")
	got, err := ReadUpTo(io.MultiReader(bytes.NewReader(data[:5]), iotest.ErrReader(boom)), nil, 100)
	if !errors.Is(err, boom) || string(got) != "01234" {
		t.Errorf("read error: %q, %v; want the 5 bytes before it and the error", got, err)
	}
}
