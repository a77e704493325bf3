// Package wire is the one JSON model of an analysed item and the hash-set
// entries it matched, shared by everything that writes or reads one:
// winnow scan's report.json (package report), the lab API's items and
// exhibit report (package api) and the Go client of winnow submit. A
// scan on a laptop and a lab submission describe the same file with the
// same fields: reason (why the verdict), transform (rot90, flipx... for
// a match through a rotated or mirrored hash), hashes in lowercase hex
// and null when not computed, error null when there is none.
//
// FormatVersion numbers the model; documents that carry items (report.json,
// the exhibit report) carry it as format_version. Version 2 is the first
// shared one: the lab's verdict_reason became reason and its numeric
// dihedral became transform, as report.json (version 1) had them.
package wire
