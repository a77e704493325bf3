package memstore

import (
	"testing"

	"github.com/winnow-forensics/winnow/triage/triagetest/storetest"
)

func TestUsers(t *testing.T) { storetest.TestUserStore(t, &Users{Audit: &Audit{}}) }
