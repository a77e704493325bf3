// Package storage is the home of Winnow's backends, one subpackage per
// dependency (storage/postgres for metadata, storage/minio for evidence
// objects). Each implements interfaces declared in package triage and
// translates driver errors into triage error codes at its boundary; nothing
// else in the module talks to a database or an object store.
package storage
