package main

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"time"
)

// yardstick measures the machine's speed beside a run: the CPU time that
// one fixed piece of work (sorting yardstickKeys numbers, the same ones
// each time) takes on a thread of its own, a few times a second. On a VM
// the CPUs' speed moves with what other guests do (the bare ceiling
// answered 25–41k GETs/s in runs minutes apart), and a server's rate falls
// with it: when the yardstick's time grows too, the machine got slower,
// not the server's work bigger. The load generator's own CPU a request
// would not do: it grows when the server slows, as its connections wait
// and are woken more often for each request. Its own cost is small (about
// a millisecond of CPU each yardstickEvery).
type yardstick struct {
	mu      sync.Mutex
	cpu     time.Duration // summed over the samples
	samples int
}

// yardstickTotal is what a yardstick measured so far.
type yardstickTotal struct {
	cpu     time.Duration
	samples int
}

const (
	yardstickKeys  = 16 << 10
	yardstickEvery = 250 * time.Millisecond
)

// run samples until ctx ends.
func (y *yardstick) run(ctx context.Context) {
	// The thread's own CPU time: the work must stay on one thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	keys := make([]uint64, yardstickKeys)
	x := uint64(88172645463325252)
	for i := range keys {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		keys[i] = x
	}
	work := make([]uint64, len(keys))
	tick := time.NewTicker(yardstickEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		before, ok := threadCPU()
		copy(work, keys)
		slices.Sort(work)
		after, ok2 := threadCPU()
		if !ok || !ok2 || after <= before {
			continue
		}
		y.mu.Lock()
		y.cpu += after - before
		y.samples++
		y.mu.Unlock()
	}
}

// total returns what y measured so far.
func (y *yardstick) total() yardstickTotal {
	y.mu.Lock()
	defer y.mu.Unlock()
	return yardstickTotal{cpu: y.cpu, samples: y.samples}
}
