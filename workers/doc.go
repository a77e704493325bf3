// Package workers holds the lab service's asynq task types (noun:verb
// strings such as "item:analyze"), their payloads, constructors and
// handlers. Handlers call the hashing engine and matching index in package
// triage; PostgreSQL, not Redis, is the source of truth for every item.
package workers
