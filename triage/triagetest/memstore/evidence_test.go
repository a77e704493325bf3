package memstore

import (
	"testing"

	"github.com/winnow-forensics/winnow/triage/triagetest/storetest"
)

func TestEvidence(t *testing.T) {
	e := &Evidence{}
	storetest.TestEvidenceStore(t, e, e.Corrupt)
}
