package graphprofile_test

import (
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
