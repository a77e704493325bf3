// Package memstore holds in-memory implementations of triage's storage
// interfaces, for tests that need a store but not its backend: they pass
// the same conformance suites (package storetest) as storage/minio and
// storage/postgres, the way Perkeep's memory blob server passes
// storagetest. Today: the evidence store (Evidence), the case store
// (Cases), the audit log (Audit), users with their tokens (Users) and
// items (Items, which queue nothing for review); hash sets and the review
// store are not here yet.
package memstore
