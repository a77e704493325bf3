package review

import (
	"bytes"
	"context"
	"io"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/setfile"
)

type files struct{ got [][]byte }

func (f *files) Put(_ context.Context, r io.Reader, _ int64, _ triage.SHA256) (triage.EvidenceInfo, error) {
	b, err := io.ReadAll(r)
	f.got = append(f.got, b)
	return triage.EvidenceInfo{Size: int64(len(b)), Digests: triage.Digests{SHA256: triage.SHA256{byte(len(b))}}}, err
}

type sets struct{ got []triage.StoredSet }

func (s *sets) EnsureLocalSet(_ context.Context, st *triage.StoredSet) error {
	s.got = append(s.got, *st)
	return nil
}

// TestEnsureLocalSet: every server stores the same empty alert set, which
// loads as a set of that name.
func TestEnsureLocalSet(t *testing.T) {
	f, s := &files{}, &sets{}
	for range 2 {
		if err := EnsureLocalSet(context.Background(), f, s, "lab-local"); err != nil {
			t.Fatal(err)
		}
	}
	if len(f.got) != 2 || !bytes.Equal(f.got[0], f.got[1]) {
		t.Fatal("the empty set file differs between calls")
	}
	st := s.got[0]
	if st.Name != "lab-local" || st.Kind != triage.SetKindAlert || st.Size != int64(len(f.got[0])) || st.SHA256.IsZero() {
		t.Errorf("stored set %+v", st)
	}
	set, err := setfile.Parse(f.got[0])
	if err != nil {
		t.Fatal(err)
	}
	if set.Meta.Name != "lab-local" || set.Len() != 0 {
		t.Errorf("loaded %q with %d entries", set.Meta.Name, set.Len())
	}
}
