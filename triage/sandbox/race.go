//go:build race

package sandbox

// raceDetector: the race detector's shadow memory counts as private
// writable memory, so the Pool children of a race build get no memory
// limit (programs run by Command, not built with it, still do).
const raceDetector = true
