package graphprofile

import (
	"fmt"
	"math"
	"sync/atomic"
	"time"
)

// Clock is the server's one source of the current time: the Service's
// timestamps and ETags, the token validator's expiry checks and the
// development issuer's issue times all read it, so that a test can set or
// advance the time the whole server sees (the admin API's /_admin/clock).
//
// It is real time shifted by an offset: a clock set to an instant goes on
// ticking from that instant, as a real clock would, so that two writes a
// moment apart still get distinct, increasing times (and ETags). The zero
// value, and a nil *Clock, is real time. Safe for concurrent use.
type Clock struct {
	offset atomic.Int64 // nanoseconds added to real time
}

// The latest and earliest instants the server's times can be: it keeps
// them as nanoseconds since 1970 in an int64 (Item.CreatedUnixNano, ETags),
// so a clock past these would have it make times it cannot store.
var (
	earliestUnixNano = time.Unix(0, math.MinInt64).UTC() // 1677-09-21T00:12:43.145224192Z
	latestUnixNano   = time.Unix(0, math.MaxInt64).UTC() // 2262-04-11T23:47:16.854775807Z
)

// ClockRangeError is the error of a Set or Advance that would have the
// clock read an instant it cannot: one the server cannot keep (before 1677
// or after 2262), or more than an int64 of nanoseconds, 292 years, from
// real time (the offset's range). The clock is left as it was.
type ClockRangeError struct {
	// At is the instant the clock would have read.
	At time.Time
	// Earliest and Latest are the first and last whole seconds, in UTC,
	// it could be set to at the time of the call: whole seconds, so that
	// a bound as written out can be set (the earliest moves on with real
	// time, as the offset's range does).
	Earliest, Latest time.Time
}

func (e *ClockRangeError) Error() string {
	return fmt.Sprintf("the clock cannot read %s: it reads instants from %s to %s",
		e.At.UTC().Format(time.RFC3339Nano), e.Earliest.Format(time.RFC3339), e.Latest.Format(time.RFC3339))
}

// Now returns the clock's current time.
func (c *Clock) Now() time.Time {
	now := time.Now()
	if c == nil {
		return now
	}
	if d := c.offset.Load(); d != 0 {
		// Without the monotonic reading: a shifted time is a wall time.
		return now.Round(0).Add(time.Duration(d))
	}
	return now
}

// Set makes the clock read t now, and go on from there. An instant it
// cannot read is a *ClockRangeError, and the clock is left as it was.
func (c *Clock) Set(t time.Time) error {
	real := time.Now().Round(0)
	if err := checkClockRange(t, real); err != nil {
		return err
	}
	// Within the range, the offset is exact: t.Sub does not saturate.
	c.offset.Store(int64(t.Sub(real)))
	return nil
}

// Advance moves the clock forward by d (backwards when d is negative). A
// move to an instant it cannot read is a *ClockRangeError, and the clock
// is left as it was: the offset is never wrapped around, nor clamped.
func (c *Clock) Advance(d time.Duration) error {
	for {
		old := c.offset.Load()
		real := time.Now().Round(0)
		// time.Time holds far more than an int64 of nanoseconds: this sum
		// cannot overflow where the offset's would.
		at := real.Add(time.Duration(old)).Add(d)
		if err := checkClockRange(at, real); err != nil {
			return err
		}
		if c.offset.CompareAndSwap(old, int64(at.Sub(real))) {
			return nil
		}
		// Another Set or Advance came between: move from where it left it.
	}
}

// checkClockRange returns a *ClockRangeError when a clock read at real
// time cannot read at.
func checkClockRange(at, real time.Time) error {
	earliest := real.Add(math.MinInt64)
	if earliest.Before(earliestUnixNano) {
		earliest = earliestUnixNano
	}
	latest := real.Add(math.MaxInt64)
	if latest.After(latestUnixNano) {
		latest = latestUnixNano
	}
	if at.Before(earliest) || at.After(latest) {
		return &ClockRangeError{
			At:       at,
			Earliest: earliest.Truncate(time.Second).Add(time.Second).UTC(),
			Latest:   latest.Truncate(time.Second).UTC(),
		}
	}
	return nil
}

// Reset returns the clock to real time.
func (c *Clock) Reset() {
	c.offset.Store(0)
}

// Offset is how far the clock is from real time; zero when it is real time.
func (c *Clock) Offset() time.Duration {
	if c == nil {
		return 0
	}
	return time.Duration(c.offset.Load())
}
