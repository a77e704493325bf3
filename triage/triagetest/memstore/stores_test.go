package memstore

import (
	"testing"
	"time"

	"github.com/winnow-forensics/winnow/triage/triagetest/storetest"
)

// The suites storage/postgres runs, on the stores New wires together.

func TestStores(t *testing.T) {
	storetest.TestStores(t, func(t *testing.T) storetest.Stores {
		s := New(nil)
		return storetest.Stores{Cases: s.Cases, Items: s.Items, Users: s.Users, Audit: s.Audit, Sets: s.Sets}
	})
}

func TestAccessStores(t *testing.T) {
	storetest.TestAccessStores(t, func(t *testing.T, now func() time.Time) storetest.AccessStores {
		s := New(now)
		return storetest.AccessStores{Cases: s.Cases, Items: s.Items, Users: s.Users, Audit: s.Audit, Access: s.Access,
			Sessions: s.Users, Wellness: s.Wellness}
	})
}

// TestReviewStore runs on one process: there is no second store on the
// same data to open (ReviewStores.Another is nil).
func TestReviewStore(t *testing.T) {
	storetest.TestReviewStore(t, func(t *testing.T, now func() time.Time) storetest.ReviewStores {
		s := New(now)
		return storetest.ReviewStores{Cases: s.Cases, Items: s.Items, Users: s.Users, Audit: s.Audit, Sets: s.Sets, Access: s.Access,
			Reviews: s.Reviews}
	})
}
