package memstore

import (
	"testing"

	"github.com/winnow-forensics/winnow/triage/triagetest/storetest"
)

// TestStores runs the metadata suite storage/postgres runs.
func TestStores(t *testing.T) {
	storetest.TestStores(t, func(t *testing.T) storetest.Stores {
		cs, au := &Cases{}, &Audit{}
		return storetest.Stores{Cases: cs, Audit: au, Items: &Items{Cases: cs, Audit: au}, Users: &Users{Audit: au}, Sets: &Sets{Audit: au}}
	})
}
