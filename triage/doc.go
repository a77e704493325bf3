// Package triage is Winnow's domain: the evidence items a lab receives, the
// hashes that fingerprint them, the hash sets of known material they are
// matched against, the verdicts that decide what a person must look at,
// and the interfaces the lab's stores implement. It holds the nouns; the
// engines that work on them live in its subpackages.
//
// # From a file to a verdict
//
// A seizure holds millions of files and most are already known. The work
// that matters is finding the rest. Package hashing turns the bytes of
// one file into a Fingerprint with one read: the digests (MD5, SHA1,
// SHA256), the type sniffed from content (MediaType, Kind), and for
// images and videos the perceptual hashes (PDQ, PHash, DHash, AHash; vPDQ
// frames for a video), computed under decoding limits so that a hostile
// file becomes a per-item error (Fingerprint.Err), never a crash. Hashes
// are comparable fixed-size values with Parse functions and lowercase hex
// String methods, so they serve as map keys and compare with ==.
//
// A hash set is a list of Entry values with their hashes, Category (in a
// category Scheme: Project VIC, CAID or a lab's own) and SetKind: alert
// (known material) or known-good (NSRL and the like). Package formats
// reads the formats labs receive, package setfile compiles a set into one
// file that loads straight into the matching index (package index).
// Package matching finds the entries a fingerprint matches (Match, through
// rotated, mirrored, cropped and padded views too) and its Rules turn them
// into a Decision: a Verdict (known, variant, ignorable, new, error), the
// category it rests on and a Reason.
//
// Package pipeline is the one engine that walks folders, expands
// containers (package container: archives, disk images), fingerprints,
// matches and decides, for winnow scan, winnow hash, hashset build and
// the lab's workers alike, so a laptop and the lab give the same answer.
// Package series stacks identical files and groups near-duplicates of new
// material into series; package report writes a scan's report. Every item
// is written in one model (package wire), by report.json and the lab API
// alike.
//
// # The lab
//
// In the lab, a Case holds Exhibits, and an Exhibit holds the Items
// received for it (package upload records them: content stored once under
// its SHA-256 in an evidence store, the item row with its AuditEvent).
// Workers analyse each item and finish it with an ItemResult; its
// ItemState moves received, processing, done or failed, and never back.
// Users have a Role whose Permissions the API checks, and see only the
// cases they are members of (Viewer); every action that matters is an
// AuditEvent in a tamper-evident chain (package auditlog).
//
// New and variant images and videos enter the review queue: members (one
// per distinct content) in groups, in lanes (Lane), held by one reviewer
// at a time (Claim). Reviewers record Votes; agreeing votes confirm a
// member (ReviewDecision) and promote its content into the lab's local
// hash set, so the next seizure holding it comes back known; disagreements
// go to an adjudicator. The rules (admission, lanes, claims, counting,
// undo, overturn) are package review's pure functions; priority scores
// (PriorityWeights) and reviewer wellness settings are here.
//
// # Stores and errors
//
// The stores are interfaces declared here and implemented elsewhere
// (storage/postgres, storage/minio): EvidenceStore, BlobStore, CaseStore,
// ItemStore, UserStore, AuditStore, SetStore, ReviewStore, AccessStore,
// SessionStore, WellnessStore. Their methods say which errors they return.
// Errors carry a code (EINVALID, ENOTFOUND, ECONFLICT, ...) and a message
// safe to show a user; see Error.
//
// The package imports the standard library only; storage, queues and HTTP
// live in other packages and depend on this one.
package triage
