package api

import (
	"sync"
	"testing"
	"time"
)

// TestThrottleHolds: 40 failures in a row, each as soon as the lock
// allows, leave the name locked after every one of them, and the lock
// never exceeds 15 minutes (the doubling is capped, no overflow).
func TestThrottleHolds(t *testing.T) {
	var th loginThrottle
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	for i := range 40 {
		wait, end := th.begin("admin", "198.51.100.1", now)
		if end == nil {
			now = now.Add(wait)
			wait, end = th.begin("admin", "198.51.100.1", now)
		}
		if end == nil {
			t.Fatalf("attempt %d refused after waiting", i)
		}
		locked := end(false)
		if i >= 4 && len(locked) == 0 {
			t.Fatalf("failure %d did not lock", i+1)
		}
		if i < 4 {
			continue
		}
		if w, end := th.begin("admin", "198.51.100.1", now); end != nil || w <= 0 || w > lockMax {
			t.Fatalf("after failure %d: wait %v, allowed %t", i+1, w, end != nil)
		}
	}
	if lockFor(1) != 30*time.Second || lockFor(2) != time.Minute || lockFor(100) != lockMax || lockFor(1<<40) != lockMax {
		t.Errorf("lockFor: %v %v %v", lockFor(1), lockFor(2), lockFor(100))
	}
	// Another address still gets its allowance for the name.
	if _, end := th.begin("admin", "203.0.113.5", now); end == nil {
		t.Errorf("one address locked admin out for everyone")
	}
}

// TestThrottleConcurrent: 60 guesses at once are refused beyond the
// allowance before any password is checked.
func TestThrottleConcurrent(t *testing.T) {
	var th loginThrottle
	now := time.Now()
	var mu sync.Mutex
	var ends []func(bool) []Lockout
	var wg sync.WaitGroup
	for range 60 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, end := th.begin("vic", "198.51.100.1", now); end != nil {
				mu.Lock()
				ends = append(ends, end)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(ends) != limitPair.free {
		t.Errorf("%d of 60 concurrent guesses checked, want %d", len(ends), limitPair.free)
	}
}

// TestThrottleSpray: one address guessing one password over many names
// is stopped by the address's counter.
func TestThrottleSpray(t *testing.T) {
	var th loginThrottle
	now := time.Now()
	checked := 0
	for i := range 100 {
		if _, end := th.begin("user"+string(rune('A'+i%26))+string(rune('a'+i/26)), "198.51.100.9", now); end != nil {
			checked++
			end(false)
		}
	}
	if checked != limitAddr.free {
		t.Errorf("spraying: %d guesses checked, want %d", checked, limitAddr.free)
	}
}

func TestPasswordPolicy(t *testing.T) {
	for pw, ok := range map[string]bool{
		"aaaaaaaaaaaa":                 false,
		"password1234":                 false,
		"!!Password2024!!":             false,
		"123456789012":                 false,
		"qwertyuiop12":                 false,
		"vic-is-my-name-ok":            false,
		"short":                        false,
		"correct horse battery staple": true,
		"Tr4m-lines at dusk":           true,
	} {
		if err := CheckPasswordPolicy(pw, "vic"); (err == nil) != ok {
			t.Errorf("%q: %v, want ok=%t", pw, err, ok)
		}
	}
}
