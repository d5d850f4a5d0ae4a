package graphprofile

import (
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

// Set makes the clock read t now, and go on from there.
func (c *Clock) Set(t time.Time) {
	c.offset.Store(int64(t.Sub(time.Now().Round(0))))
}

// Advance moves the clock forward by d (backwards when d is negative).
func (c *Clock) Advance(d time.Duration) {
	c.offset.Add(int64(d))
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
