// Package logoutput is a process's standard error shared by two writers:
// the access log's lines, gathered and written together, and every other
// line, written at once. graphprofile serve writes its logs through it, and
// bench/ceiling's graph floor its access log, so that the floor costs what
// graphprofile's log costs.
package logoutput

import (
	"io"
	"sync"
	"time"
)

// Output is a standard error shared by two writers: the access
// log's lines gather in memory and go out together, a few milliseconds
// after the first of them (or at once when they fill a batch), while every
// other line goes out at once, after the access log's lines before it.
//
// Why: a line per request, each its own write(2), was 4% of a GET's and a
// list's CPU under load (BENCHMARKS.md, issue 15); gathered, a second of
// 25,000 requests is 200 writes. A warning or an error is never held, and
// the lines keep their order.
type Output struct {
	out   io.Writer
	delay time.Duration // how long the first gathered line waits at most

	mu      sync.Mutex
	pending []byte
	timer   *time.Timer // armed while lines are pending
	closed  bool
}

// AccessLogDelay is how long an access log line may wait to be written: a
// person tailing the log sees no difference, and under load a write takes
// a few hundred lines.
const AccessLogDelay = 5 * time.Millisecond

// accessLogBatch is how many bytes of gathered lines are written at once
// without waiting.
const accessLogBatch = 64 << 10

// New returns the Output that writes to out, an access log line at most
// delay after it was given (AccessLogDelay, unless a test says otherwise).
func New(out io.Writer, delay time.Duration) *Output {
	return &Output{out: out, delay: delay}
}

// Gathering is the writer of the access log's lines.
func (o *Output) Gathering() io.Writer { return gatheringWriter{o} }

// Immediate is the writer of every other line.
func (o *Output) Immediate() io.Writer { return immediateWriter{o} }

type gatheringWriter struct{ o *Output }

func (w gatheringWriter) Write(p []byte) (int, error) {
	o := w.o
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed {
		return o.out.Write(p)
	}
	o.pending = append(o.pending, p...)
	if len(o.pending) >= accessLogBatch {
		o.flushLocked()
		return len(p), nil
	}
	if o.timer == nil {
		o.timer = time.AfterFunc(o.delay, o.flush)
	} else if len(o.pending) == len(p) {
		o.timer.Reset(o.delay)
	}
	return len(p), nil
}

type immediateWriter struct{ o *Output }

func (w immediateWriter) Write(p []byte) (int, error) {
	o := w.o
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLocked()
	return o.out.Write(p)
}

// flush writes the gathered lines (the timer's function).
func (o *Output) flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLocked()
}

// flushLocked writes the gathered lines. A write that fails loses them:
// a log line that cannot be written has nowhere else to go.
func (o *Output) flushLocked() {
	if len(o.pending) == 0 {
		return
	}
	_, _ = o.out.Write(o.pending)
	if cap(o.pending) > 4*accessLogBatch {
		o.pending = nil // a burst's buffer is not kept
	} else {
		o.pending = o.pending[:0]
	}
	if o.timer != nil {
		o.timer.Stop()
	}
}

// Close writes the gathered lines; the lines after it are written at once.
func (o *Output) Close() {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.flushLocked()
	o.closed = true
}
