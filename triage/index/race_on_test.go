//go:build race

package index

// raceEnabled: the race detector slows the brute-force property tests
// tenfold; under it they run a sample (the concurrency tests run in full).
const raceEnabled = true
