// Package upload records the files a lab receives: Receiver takes one
// file (its original path, its content or the SHA-256 of content already
// stored) into an exhibit. It checks the path before anything is stored,
// refuses to copy content the uploader cannot see elsewhere by naming its
// SHA-256, streams the content into the evidence store under its
// SHA-256, records the item with its audit event in one transaction and,
// once the row is committed, queues the item for analysis.
//
// The API decodes a request into a Request, calls Receive and encodes
// the Result; the order of these steps, which the chain of custody and
// the authorization matrix rest on, is written once, here.
package upload
