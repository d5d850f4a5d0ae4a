package main

import (
	"io"
	"sync"
	"time"
)

// batchingWriter gathers the access log's lines and writes them to out
// together, at most delay after the first of them, or at once when
// batchBytes have gathered. One write(2) per request line cost a GET about
// 5% of its CPU under load (BENCHMARKS.md); gathered, a few hundred lines
// share one. Close writes what is left, so only a process killed outright
// loses the last delay's lines. Each Write is one whole line of the
// handler's, so lines are never split or interleaved.
type batchingWriter struct {
	out   io.Writer
	delay time.Duration

	mu     sync.Mutex
	buf    []byte
	timer  *time.Timer // armed while buf holds lines
	armed  bool
	closed bool
}

// batchBytes is how much gathers before it is written without waiting.
const batchBytes = 64 << 10

func newBatchingWriter(out io.Writer, delay time.Duration) *batchingWriter {
	return &batchingWriter{out: out, delay: delay}
}

func (w *batchingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.out.Write(p)
	}
	w.buf = append(w.buf, p...)
	if len(w.buf) >= batchBytes {
		w.writeLocked()
		return len(p), nil
	}
	if !w.armed {
		w.armed = true
		if w.timer == nil {
			w.timer = time.AfterFunc(w.delay, w.flush)
		} else {
			w.timer.Reset(w.delay)
		}
	}
	return len(p), nil
}

// flush writes what has gathered.
func (w *batchingWriter) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writeLocked()
}

func (w *batchingWriter) writeLocked() {
	w.armed = false
	if len(w.buf) == 0 {
		return
	}
	// A failed write of the log has nowhere to be reported; the lines go.
	_, _ = w.out.Write(w.buf)
	if cap(w.buf) > 4*batchBytes {
		w.buf = nil
	} else {
		w.buf = w.buf[:0]
	}
}

// Close writes what has gathered; later lines are written at once.
func (w *batchingWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.timer != nil {
		w.timer.Stop()
	}
	w.writeLocked()
	w.closed = true
	return nil
}
