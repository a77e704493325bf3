package memstore

import (
	"testing"

	"github.com/winnow-forensics/winnow/triage/triagetest/storetest"
)

func TestItems(t *testing.T) {
	storetest.TestItemStore(t, func(t *testing.T) storetest.Stores {
		cs, au := &Cases{}, &Audit{}
		return storetest.Stores{Cases: cs, Audit: au, Items: &Items{Cases: cs, Audit: au}}
	})
}
