// Package review is the review queue's policy, as pure functions over the
// nouns of package triage: which finished items enter review and in which
// lane (Admit), which groups merge when new content links them (Merge),
// which lanes a group shows a viewer (Lanes), who may act on a claimed
// group (Hold), which members a decision covers (Choose, Decidable), which
// case a vote's free text belongs to (TextCase), what votes add up to
// (Tally, Adjudicate, Count), what an undo leaves (AfterUndo) and when a
// decision may be overturned (CanOverturn). EnsureLocalSet creates the
// local hash set confirmed content is promoted into.
//
// The functions read no database and keep no state: a store (package
// storage/postgres) runs the queries, hands the rows it read to these
// functions and writes what they decide, so each rule is tested here
// without a database and reads the same in every backend.
package review
