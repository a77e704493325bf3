package memstore

import (
	"context"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
	"github.com/winnow-forensics/winnow/triage/triagetest/storetest"
)

func TestAudit(t *testing.T) { storetest.TestAuditStore(t, &Audit{}) }

// TestAuditRefusesNUL: an action that is not text is refused, as the
// database refuses it, so that storetest's atomicity checks mean the same.
func TestAuditRefusesNUL(t *testing.T) {
	a := &Audit{}
	if err := a.RecordAudit(context.Background(), &triage.AuditEvent{Action: "token.revoke\x00"}); triage.ErrorCode(err) != triage.EINVALID {
		t.Errorf("RecordAudit with a NUL byte: %v, want EINVALID", err)
	}
}
