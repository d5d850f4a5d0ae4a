package main

import (
	"context"
	"runtime"
	"testing"
	"time"
)

// TestYardstick: a second of the yardstick holds about four samples (at
// least two, on a machine busy with other tests), each
// the CPU time of one sort of yardstickKeys numbers, which takes tens of
// microseconds at least on any machine, and the thread's CPU clock moves
// with work done on it.
func TestYardstick(t *testing.T) {
	if _, ok := threadCPU(); !ok {
		t.Skip("no thread CPU clock on " + runtime.GOOS + " (Linux only): the yardstick takes no samples here")
	}
	var y yardstick
	ctx, cancel := context.WithTimeout(context.Background(), time.Second+yardstickEvery/2)
	defer cancel()
	y.run(ctx)
	got := y.total()
	if got.samples < 2 || got.samples > 5 {
		t.Errorf("%d samples in %v, want about %d", got.samples, time.Second+yardstickEvery/2, int(time.Second/yardstickEvery))
	}
	if each := got.cpu / time.Duration(max(got.samples, 1)); each < 10*time.Microsecond || each > 100*time.Millisecond {
		t.Errorf("a sample took %v of CPU, want between 10 µs and 100 ms", each)
	}
}
