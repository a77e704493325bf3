package api

import (
	"strconv"
	"sync"
	"time"
)

// Password guessing is bounded on four counters at once, each with a
// free allowance and then a lock that doubles from 30 s up to 15 minutes:
//
//   - a user name from one source address: 5 failures;
//   - a source address, whatever the names (spraying): 20 failures;
//   - a user name from any address (a distributed attack): 100 failures,
//     so that one attacker cannot lock a user, such as admin, out of the
//     addresses the user works from;
//   - the whole service: 300 failures a minute, above which every login
//     waits for the next minute.
//
// A login reserves its attempt before the password is checked, so that
// concurrent guesses count at once: beyond the allowance only one attempt
// at a time is checked. A success clears the name's counters, not the
// address's. The counters live in the serve process (each replica has its
// own) and are bounded in memory.
type loginThrottle struct {
	mu     sync.Mutex
	keys   map[string]*throttleState
	minute time.Time // the global window's start
	global int       // failures in it
}

type throttleState struct {
	fails   int
	pending int
	until   time.Time
	seen    time.Time
}

// throttleLimit is one counter's allowance.
type throttleLimit struct {
	kind string
	free int
}

var (
	limitPair = throttleLimit{"name and address", 5}
	limitAddr = throttleLimit{"address", 20}
	limitName = throttleLimit{"name", 100}
)

// GlobalLoginFailures is how many failed logins a minute the service
// accepts before every login waits.
const GlobalLoginFailures = 300

const (
	lockBase = 30 * time.Second
	lockMax  = 15 * time.Minute
	// maxThrottleKeys bounds the counters' memory (about 100 bytes each).
	maxThrottleKeys = 200000
)

// lockFor is the lock after the k-th failure beyond the allowance:
// 30 s doubling, at most 15 minutes (the shift is capped: no overflow).
func lockFor(k int) time.Duration {
	return min(lockBase<<min(k-1, 5), lockMax)
}

// Lockout is a counter that just locked, for the audit log.
type Lockout struct {
	Kind  string
	Name  string
	Addr  string
	Fails int
	Until time.Time
}

func throttleKeys(name, addr string) [3]struct {
	key string
	lim throttleLimit
} {
	return [3]struct {
		key string
		lim throttleLimit
	}{
		{"p\x00" + name + "\x00" + addr, limitPair},
		{"a\x00" + addr, limitAddr},
		{"n\x00" + name, limitName},
	}
}

// begin reserves a login attempt by name from addr. It returns how long
// to wait when the attempt is refused, and otherwise a function that
// ends the attempt and returns the counters that locked because of it.
func (t *loginThrottle) begin(name, addr string, now time.Time) (time.Duration, func(ok bool) []Lockout) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.keys == nil {
		t.keys = map[string]*throttleState{}
	}
	if now.Sub(t.minute) >= time.Minute {
		t.minute, t.global = now.Truncate(time.Minute), 0
	}
	if t.global >= GlobalLoginFailures {
		return t.minute.Add(time.Minute).Sub(now), nil
	}
	ks := throttleKeys(name, addr)
	var wait time.Duration
	for _, k := range ks {
		st := t.keys[k.key]
		if st == nil {
			continue
		}
		if d := st.until.Sub(now); d > wait {
			wait = d
		}
		if st.fails+st.pending >= k.lim.free && st.pending > 0 && wait == 0 {
			wait = time.Second // one attempt at a time beyond the allowance
		}
	}
	if wait > 0 {
		return wait, nil
	}
	t.evict(now)
	for _, k := range ks {
		st := t.keys[k.key]
		if st == nil {
			st = &throttleState{}
			t.keys[k.key] = st
		}
		st.pending++
		st.seen = now
	}
	return 0, func(ok bool) []Lockout { return t.end(name, addr, ok, now) }
}

func (t *loginThrottle) end(name, addr string, ok bool, now time.Time) []Lockout {
	t.mu.Lock()
	defer t.mu.Unlock()
	var locked []Lockout
	if !ok {
		t.global++
	}
	for _, k := range throttleKeys(name, addr) {
		st := t.keys[k.key]
		if st == nil {
			continue // evicted meanwhile
		}
		st.pending--
		switch {
		case ok && k.lim != limitAddr:
			delete(t.keys, k.key)
		case !ok:
			st.fails++
			if st.fails >= k.lim.free {
				st.until = now.Add(lockFor(st.fails - k.lim.free + 1))
				locked = append(locked, Lockout{Kind: k.lim.kind, Name: name, Addr: addr, Fails: st.fails, Until: st.until})
			}
		}
	}
	return locked
}

// evict forgets counters idle for an hour once there are too many, and
// all of them if that is not enough (memory stays bounded; an attacker
// who fills the table gains at most a fresh allowance).
func (t *loginThrottle) evict(now time.Time) {
	if len(t.keys) < maxThrottleKeys {
		return
	}
	for k, st := range t.keys {
		if st.pending == 0 && now.After(st.until) && now.Sub(st.seen) > time.Hour {
			delete(t.keys, k)
		}
	}
	if len(t.keys) >= maxThrottleKeys {
		clear(t.keys)
	}
}

// detail is a lockout as audit detail.
func (l Lockout) detail() map[string]string {
	return map[string]string{"counter": l.Kind, "address": l.Addr, "failures": strconv.Itoa(l.Fails),
		"until": l.Until.UTC().Format(time.RFC3339)}
}
