package graphprofile_test

import (
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

func TestClock(t *testing.T) {
	var nilClock *graphprofile.Clock
	if d := time.Since(nilClock.Now()); d < 0 || d > time.Minute {
		t.Errorf("a nil clock reads %v from real time", d)
	}
	c := &graphprofile.Clock{}
	if d := time.Since(c.Now()); d < 0 || d > time.Minute || c.Offset() != 0 {
		t.Errorf("the zero clock reads %v from real time, offset %v", d, c.Offset())
	}

	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c.Set(at)
	first := c.Now()
	if d := first.Sub(at); d < 0 || d > time.Minute {
		t.Errorf("set to %v, the clock reads %v", at, first)
	}
	// A set clock goes on ticking: a later reading is never earlier.
	time.Sleep(time.Millisecond)
	if second := c.Now(); !second.After(first) {
		t.Errorf("a set clock stood still: %v then %v", first, second)
	}

	c.Advance(90 * time.Second)
	if d := c.Now().Sub(at); d < 90*time.Second || d > 90*time.Second+time.Minute {
		t.Errorf("advanced by 90s from %v, the clock reads %v", at, c.Now())
	}
	c.Advance(-time.Hour)
	if d := c.Now().Sub(at); d > -time.Hour+90*time.Second+time.Minute || d < -time.Hour {
		t.Errorf("moved back an hour, the clock reads %v", c.Now())
	}

	c.Reset()
	if d := time.Since(c.Now()); d < 0 || d > time.Minute || c.Offset() != 0 {
		t.Errorf("reset, the clock reads %v from real time, offset %v", d, c.Offset())
	}
}

// TestClockRange: a Set or Advance that would take the clock past what it
// can read (nanoseconds since 1970 in an int64, within an int64 of
// nanoseconds, 292 years, of real time) is refused with a
// *ClockRangeError and leaves the clock as it was: never clamped, never
// wrapped around.
func TestClockRange(t *testing.T) {
	latest := time.Unix(0, math.MaxInt64).UTC() // 2262-04-11T23:47:16.854775807Z
	at2030 := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	at1900 := time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name  string
		start time.Time // the clock is set to it first; zero: real time
		move  func(c *graphprofile.Clock) error
		at    time.Time // the instant refused
	}{
		{"set to year 9999", time.Time{}, func(c *graphprofile.Clock) error { return c.Set(time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)) },
			time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)},
		{"set to year 1", at2030, func(c *graphprofile.Clock) error { return c.Set(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)) },
			time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"set a nanosecond past 2262", at2030, func(c *graphprofile.Clock) error { return c.Set(latest.Add(time.Nanosecond)) },
			latest.Add(time.Nanosecond)},
		// Within an int64 of Unix nanoseconds, but more than 292 years
		// before real time.
		{"set to 1700", time.Time{}, func(c *graphprofile.Clock) error { return c.Set(time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC)) },
			time.Date(1700, 1, 1, 0, 0, 0, 0, time.UTC)},
		// The offset, about -127 years less 292, would wrap around to the
		// future.
		{"back 2562047h from 1900", at1900, func(c *graphprofile.Clock) error { return c.Advance(-2562047 * time.Hour) }, time.Time{}},
		{"back the most a duration holds from 1900", at1900, func(c *graphprofile.Clock) error { return c.Advance(math.MinInt64) }, time.Time{}},
		{"forward the most a duration holds from 2030", at2030, func(c *graphprofile.Clock) error { return c.Advance(math.MaxInt64) }, time.Time{}},
		{"forward a year from 2262", latest.Add(-time.Hour), func(c *graphprofile.Clock) error { return c.Advance(365 * 24 * time.Hour) }, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &graphprofile.Clock{}
			if !tc.start.IsZero() {
				if err := c.Set(tc.start); err != nil {
					t.Fatalf("Set(%v): %v", tc.start, err)
				}
			}
			before := c.Offset()
			called := time.Now()
			err := tc.move(c)
			var rangeErr *graphprofile.ClockRangeError
			if !errors.As(err, &rangeErr) {
				t.Fatalf("got %v, want a *ClockRangeError", err)
			}
			if c.Offset() != before {
				t.Errorf("the refused change moved the clock: offset %v, was %v", c.Offset(), before)
			}
			if !tc.at.IsZero() && !rangeErr.At.Equal(tc.at) {
				t.Errorf("the error's instant %v, want %v", rangeErr.At, tc.at)
			}
			if rangeErr.At.After(rangeErr.Earliest) && rangeErr.At.Before(rangeErr.Latest) {
				t.Errorf("refused %v, which is within %v to %v", rangeErr.At, rangeErr.Earliest, rangeErr.Latest)
			}
			if want := latest.Truncate(time.Second); !rangeErr.Latest.Equal(want) {
				t.Errorf("the latest instant %v, want %v", rangeErr.Latest, want)
			}
			if d := time.Since(rangeErr.Earliest.Add(math.MaxInt64)); d < -time.Second || d > time.Minute {
				t.Errorf("the earliest instant %v, want 292 years before real time", rangeErr.Earliest)
			}
			// A whole second rounded up, not down: the earliest instant as
			// written out is one the clock can be set to.
			if rangeErr.Earliest.Nanosecond() != 0 || rangeErr.Earliest.Before(called.Add(math.MinInt64)) {
				t.Errorf("the earliest instant %v: want a whole second, not before %v", rangeErr.Earliest, called.Add(math.MinInt64))
			}
			// The message writes the instant in UTC, whatever the zone
			// At is in (time.Local for a move from real time).
			msg := err.Error()
			if !strings.Contains(msg, "2262-04-11T23:47:16Z") || !strings.Contains(msg, rangeErr.At.UTC().Format(time.RFC3339Nano)) {
				t.Errorf("message %q: want the instant and the range in it", msg)
			}
		})
	}

	// The bounds themselves, and moves far back and forth within them.
	c := &graphprofile.Clock{}
	if err := c.Advance(-2562047 * time.Hour); err != nil {
		t.Errorf("Advance back 2562047h from real time: %v", err)
	} else if d := time.Since(c.Now()) - 2562047*time.Hour; d < -time.Minute || d > time.Minute {
		t.Errorf("moved back 2562047h from real time, the clock reads %v", c.Now())
	}
	if err := c.Set(latest); err != nil {
		t.Errorf("Set(%v): %v", latest, err)
	} else if d := c.Now().Sub(latest); d < 0 || d > time.Minute {
		t.Errorf("set to %v, the clock reads %v", latest, c.Now())
	}
	early := time.Date(1750, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := c.Set(early); err != nil {
		t.Errorf("Set(%v): %v", early, err)
	}
	if err := c.Advance(time.Duration(math.MaxInt64)); err != nil {
		t.Errorf("Advance 292 years from 1750: %v", err)
	} else if d := c.Now().Sub(early) - time.Duration(math.MaxInt64); d < 0 || d > time.Minute {
		t.Errorf("advanced 292 years from 1750, the clock reads %v", c.Now())
	}
}

// TestClockAdvanceConcurrent: advances at once all count, none lost to
// another's check of the range.
func TestClockAdvanceConcurrent(t *testing.T) {
	c := &graphprofile.Clock{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 500 {
				if err := c.Advance(time.Second); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if got, want := c.Offset(), 4000*time.Second; got != want {
		t.Errorf("after 8 × 500 advances of 1s, offset %v, want %v", got, want)
	}
}
