// Package setpush records the compiled hash-set files a lab receives
// (winnow hashset push): Pusher checks the set's name, kind and size,
// stores the file under its SHA-256 in the set-file store, records the
// set (a new revision replacing a set of the same name) with its audit
// event in one transaction and, once that is committed and the set waits
// for its import, queues the import.
//
// The API decodes a request into a Request, calls Push and encodes the
// Result; the order of these steps is written once, here.
package setpush
