package memstore

import (
	"context"
	"testing"

	"github.com/winnow-forensics/winnow/triage"
)

// TestAuditRefusesNUL: an action that is not text is refused, as the
// database refuses it, so that storetest's atomicity checks mean the same.
func TestAuditRefusesNUL(t *testing.T) {
	a := &Audit{}
	if err := a.RecordAudit(context.Background(), &triage.AuditEvent{Action: "token.revoke\x00"}); triage.ErrorCode(err) != triage.EINVALID {
		t.Errorf("RecordAudit with a NUL byte: %v, want EINVALID", err)
	}
}
