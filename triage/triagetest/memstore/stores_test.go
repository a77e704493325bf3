package memstore

import (
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/triage/triagetest/storetest"
)

// TestStores runs the metadata suite storage/postgres runs.
func TestStores(t *testing.T) {
	storetest.TestStores(t, func(t *testing.T) storetest.Stores {
		cs, au := &Cases{}, &Audit{}
		return storetest.Stores{Cases: cs, Audit: au, Items: &Items{Cases: cs, Audit: au}, Users: &Users{Audit: au}, Sets: &Sets{Audit: au}}
	})
}

// TestAccessStores runs the access, session and wellness suite
// storage/postgres runs.
func TestAccessStores(t *testing.T) {
	storetest.TestAccessStores(t, func(t *testing.T, now func() time.Time) storetest.AccessStores {
		cs, au := &Cases{Now: now}, &Audit{Now: now}
		items, users := &Items{Cases: cs, Audit: au, Now: now}, &Users{Audit: au, Now: now}
		return storetest.AccessStores{Cases: cs, Items: items, Users: users, Audit: au,
			Access: &Access{Cases: cs, Users: users, Items: items, Audit: au}, Sessions: users, Wellness: &Wellness{Audit: au, Now: now}}
	})
}
