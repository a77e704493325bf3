// Package pipeline is Winnow's engine: walk, expand, analyse, decide.
//
// Walk visits the files under a folder with one policy for everyone:
// symbolic links are not followed unless asked, and then never out of the
// folder; special files and unreadable entries are entries with an error.
// An Engine runs a bounded pool of workers over what Walk finds: each file
// is fingerprinted (package hashing) with one hashing profile (Profile),
// containers are expanded by their kind (package container: archives
// today; disk images and phone extractions plug in the same way), their
// members taken in by one intake (ReadContent: in memory within a budget,
// or streamed), and every item is matched and decided (package matching).
// A carved candidate cut short that no decoder reads fails validation by
// decoding and is counted, not delivered (Undecodable, CheckCarved).
//
// winnow scan, winnow hash, hashset build from media and submit's file
// collection run on it; the lab worker expands uploaded containers with
// the same kinds and intake, and hashes with the same profile, so a scan
// on a laptop and a lab submission give the same items, hashes and
// verdicts.
package pipeline
