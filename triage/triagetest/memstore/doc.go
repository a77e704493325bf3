// Package memstore holds in-memory implementations of triage's storage
// interfaces, for tests that need a store but not its backend: they pass
// the same conformance suites (package storetest) as storage/minio and
// storage/postgres, the way Perkeep's memory blob server passes
// storagetest. Evidence passes storetest.TestEvidenceStore; Cases, Items,
// Users, Audit and Sets together pass storetest.TestStores, and with
// Access and Wellness (Users is also the session store)
// storetest.TestAccessStores, in milliseconds. Items queues nothing for
// review (FinishItem records the result only), so there is no review
// group here and no review store yet.
package memstore
