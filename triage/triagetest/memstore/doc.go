// Package memstore holds in-memory implementations of triage's storage
// interfaces, for tests that need a store but not its backend: they pass
// the same conformance suites (package storetest) as storage/minio and
// storage/postgres, the way Perkeep's memory blob server passes
// storagetest. Evidence passes storetest.TestEvidenceStore; Cases, Items,
// Users, Audit and Sets pass storetest.TestStores; with Access and
// Wellness (Users is also the session store) storetest.TestAccessStores;
// and Reviews, the review queue, storetest.TestReviewStore; all in under
// a second. New wires them together as storage/postgres's one store is:
// finished items enter the review queue under package review's rules.
//
// What only a database does is not doubled: several processes on the
// same data (PostgreSQL's locks and each worker's series index catching
// up), the orphan collection (Items is no triage.OrphanStore), and SQL's
// query plans.
package memstore
