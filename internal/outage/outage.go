// Package outage keeps a failure that comes once per request, while
// something outside is down (a database, an issuer's keys), from becoming
// a log line per request: anyone, or one busy client, would fill the log
// with them, and operators alert on every ERROR line. An outage is told
// once, then at most once an Interval with the count of failures the line
// stands for, and (where the caller can tell) once when it is over; each
// failure is its caller's debug line.
package outage

import (
	"sync"
	"sync/atomic"
	"time"
)

// Interval is the least time between two lines telling of one outage.
const Interval = time.Minute

// Tracker is what is known of the outage of one thing: when its failures
// were last told of, how many came since, which kinds of call failed, and
// whether its end is still to be told. The zero value is ready; it is
// safe for concurrent use.
type Tracker struct {
	mu     sync.Mutex
	last   time.Time       // when a failure was last told of
	untold int             // failures since then
	kinds  map[string]bool // of the calls that failed since the last end told
	// told: a failure was told of and no answer since. Read without the
	// lock by Answered, which every success calls.
	told atomic.Bool
}

// Failed counts a failure at now of a call of kind (what the thing was
// asked, as its caller tells kinds apart) and reports whether to tell of
// it now (the first, or the first Interval after the last one told, or
// after the clock went back) and how many failures the line stands for,
// this one included.
func (t *Tracker) Failed(now time.Time, kind string) (failures int, tell bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.untold++
	if t.kinds == nil {
		t.kinds = map[string]bool{}
	}
	t.kinds[kind] = true
	if !t.last.IsZero() && now.Sub(t.last) < Interval && !now.Before(t.last) {
		return 0, false
	}
	failures = t.untold
	t.last, t.untold = now, 0
	t.told.Store(true)
	return failures, true
}

// Answered records that a call of kind had the thing's answer, and reports
// whether to tell that its outage is over and how many failures came since
// the last line. It is over when a failure was told of since the last
// time it was over and the call is of a kind that failed since: a thing
// down in part (a database that reads but may not write) is not back
// because the part that never failed answers. A failure soon after is
// told once Interval has passed since the last line told, so that a thing
// failing every other call is at most two lines an Interval.
func (t *Tracker) Answered(kind string) (failures int, tell bool) {
	if !t.told.Load() {
		return 0, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.told.Load() || !t.kinds[kind] {
		return 0, false
	}
	t.told.Store(false)
	clear(t.kinds)
	failures, t.untold = t.untold, 0
	return failures, true
}
