package graphapi

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"sync"
)

// limitListener accepts a connection only while fewer than cap(slots) are
// open; otherwise Accept waits for one to close, and new connections wait
// in the kernel's listen queue.
type limitListener struct {
	net.Listener
	slots chan struct{}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.slots <- struct{}{}
	conn, err := l.Listener.Accept()
	if err != nil {
		<-l.slots
		return nil, err
	}
	return &servedConn{Conn: conn, release: sync.OnceFunc(func() { <-l.slots })}, nil
}

// servedConn is a connection the server accepted. It gives its slot back
// when it closes, and it can gather what net/http writes of one answer
// and send it in one write.
//
// Why: net/http writes through a 4 KiB buffer, so an HTTP/1.1 answer of
// more than 4 KiB goes out in two writes or more (the buffer's first 4 KiB,
// then the rest), and the client is woken for each. A list of ten
// positions is 13 KB; sent in one write it costs a syscall and a wake-up
// less (BENCHMARKS.md).
type servedConn struct {
	net.Conn
	release func()

	mu       sync.Mutex
	gathered *[]byte // while an answer is gathered: its bytes so far
	err      error   // the error of sending a gathered answer, for the next write
}

func (c *servedConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

func (c *servedConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return 0, err
	}
	if c.gathered != nil {
		*c.gathered = append(*c.gathered, p...)
		c.mu.Unlock()
		return len(p), nil
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// Gathered answers are at most maxGatheredAnswer bytes of body: a bigger
// one costs far more than a write more, and copying it would not pay.
const (
	minGatheredAnswer = 2 << 10 // below it, net/http sends the answer in one write anyway
	maxGatheredAnswer = 64 << 10
)

var gatherPool = sync.Pool{New: func() any { b := make([]byte, 0, maxGatheredAnswer+8<<10); return &b }}

// gather makes the writes that follow, until send, gather in memory.
func (c *servedConn) gather() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gathered == nil {
		b := gatherPool.Get().(*[]byte)
		*b = (*b)[:0]
		c.gathered = b
	}
}

// send writes what was gathered since gather in one write, and makes
// writes go straight to the connection again. An error sending it is the
// next write's, as a failed write would have been: net/http then closes
// the connection instead of reading another request from it.
func (c *servedConn) send() {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.gathered
	if b == nil {
		return
	}
	c.gathered = nil
	if len(*b) > 0 && c.err == nil {
		if _, err := c.Conn.Write(*b); err != nil {
			c.err = err
		}
	}
	if cap(*b) <= 2*(maxGatheredAnswer+8<<10) {
		gatherPool.Put(b)
	}
}

type servedConnKey struct{}

// withServedConn is the http.Server's ConnContext: it keeps the accepted
// connection (under TLS, the one the TLS connection runs on) in the
// connection's context.
func withServedConn(ctx context.Context, c net.Conn) context.Context {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	if sc, ok := c.(*servedConn); ok {
		return context.WithValue(ctx, servedConnKey{}, sc)
	}
	return ctx
}

// answerConn returns the connection an answer with a body of n bytes
// should be gathered on, or nil: only for an HTTP/1 answer that net/http
// writes straight to the connection, which is what a ResponseWriter that
// can be hijacked is (not HTTP/2's, whose frames another goroutine writes,
// nor a $batch item's recorder, whose request has the batch's
// connection in its context).
func answerConn(w http.ResponseWriter, r *http.Request, n int) *servedConn {
	if n <= minGatheredAnswer || n > maxGatheredAnswer || r.ProtoMajor != 1 {
		return nil
	}
	if _, ok := w.(http.Hijacker); !ok {
		return nil
	}
	if _, ok := w.(http.Flusher); !ok {
		return nil
	}
	c, _ := r.Context().Value(servedConnKey{}).(*servedConn)
	return c
}
