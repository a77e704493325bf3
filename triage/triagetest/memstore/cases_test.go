package memstore

import (
	"testing"

	"github.com/winnow-forensics/winnow/triage/triagetest/storetest"
)

func TestCases(t *testing.T) { storetest.TestCaseStore(t, &Cases{}) }
