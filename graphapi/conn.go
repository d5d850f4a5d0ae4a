package graphapi

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/graphprofile/graphprofile"
)

// limitListener serves a connection only while fewer than cap(slots) are
// open. When every slot is taken, Accept closes the connection idle the
// longest between requests to make room for the one it accepted (idle is
// nil: none is closed); with none idle it waits for one to close or to
// become idle, and further new connections wait in the kernel's listen
// queue.
//
// Why close an idle connection: a client may keep its connections alive
// for the idle timeout (120 s) without sending anything, so a few clients'
// pools, or an attacker's, would keep everyone else out that long; a
// server may close an idle connection at any time (RFC 9112 §9.6) and
// clients open another. A new connection counts as idle until it sends its
// first byte: one that sends nothing holds no request, and an attacker's
// silent connections kept everyone out until the header timeout (10 s).
// A connection whose head (or TLS handshake) has taken slowHead without
// ending is closed too, after every idle one: a client's head arrives in
// milliseconds, and a byte or two then nothing held a slot as long. A
// connection serving a request is never closed for another.
type limitListener struct {
	net.Listener
	slots chan struct{}
	idle  *idleConns  // nil: connections are not tracked, and a new one waits for a slot
	heads *byteBudget // nil: a head is bounded by net/http's limit only
	plain bool        // not under TLS: a refused head can be answered in plain HTTP
	// anyOrigin: the CORS policy allows any origin, so a refused head's
	// answer carries CORS's headers without the Origin it did not read.
	anyOrigin bool

	// closeSilent: Close closes the connections that have sent nothing
	// yet, listed in silent (a Server's listener, plain or under TLS).
	closeSilent bool
	mu          sync.Mutex
	silent      map[*servedConn]struct{}
	closed      bool

	// done is closed by Close: an Accept waiting for a slot gives up.
	done chan struct{}
}

// Close stops accepting connections (http.Server.Shutdown closes the
// listener first) and closes those that have sent nothing yet.
//
// Why: net/http's Shutdown closes idle kept-alive connections at once but
// waits up to 5 s for a new one to send its first request, so a connection
// opened ahead of any request (a browser's spare, a pool's) made every
// shutdown 5 s long, and one with a drain timeout under 5 s report requests
// cut off (serve exits 1) when none was in flight. A connection that has
// sent nothing holds no request: it is closed as an idle one is, with the
// same race (a request sent at that very moment is reset, never half
// served). Under TLS the same holds of a connection that has not sent the
// first byte of its handshake (read here, beneath TLS); one that has begun
// it keeps net/http's wait, since one that has only shaken hands cannot be
// told from one whose request is on its way.
func (l *limitListener) Close() error {
	l.mu.Lock()
	if !l.closed {
		close(l.done)
	}
	l.closed = true
	for c := range l.silent {
		c.stopWaiting()
	}
	l.mu.Unlock()
	return l.Listener.Close()
}

// LimitListener returns a listener that holds at most n connections of
// ln at once, as a Server holds its own (MaxConnections): for another
// listener of the same process, such as the metrics' own.
func LimitListener(ln net.Listener, n int) net.Listener {
	return newLimitListener(ln, n)
}

func newLimitListener(ln net.Listener, n int) *limitListener {
	return &limitListener{Listener: ln, slots: make(chan struct{}, n), done: make(chan struct{})}
}

func (l *limitListener) Accept() (net.Conn, error) {
	if l.idle == nil {
		select {
		case l.slots <- struct{}{}:
		case <-l.done:
			return nil, net.ErrClosed
		}
		conn, err := l.Listener.Accept()
		if err != nil {
			<-l.slots
			return nil, err
		}
		return &servedConn{Conn: conn, release: sync.OnceFunc(func() { <-l.slots }), heads: l.heads, plain: l.plain, anyOrigin: l.anyOrigin, inHead: true}, nil
	}
	// The connection is accepted before it has a slot, so that an idle
	// connection is closed only for a client that is there.
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	if !l.takeSlot() {
		// The listener closed meanwhile: http.Server's Shutdown and
		// Close wait for Accept to return, whatever their deadline.
		_ = conn.Close()
		return nil, net.ErrClosed
	}
	sc := &servedConn{Conn: conn, idle: l.idle, heads: l.heads, plain: l.plain, anyOrigin: l.anyOrigin, inHead: true}
	sc.release = sync.OnceFunc(func() {
		l.idle.forget(sc)
		<-l.slots
	})
	l.idle.track(sc)
	// Idle from its start, as if it had served a request: until it sends
	// its first byte it holds none.
	sc.idleSince.Store(nanotime())
	if l.closeSilent {
		sc.owner = l
		sc.silent.Store(true)
		l.mu.Lock()
		if l.silent == nil {
			l.silent = map[*servedConn]struct{}{}
		}
		l.silent[sc] = struct{}{}
		sc.waitingOff = l.closed
		l.mu.Unlock()
	}
	return sc, nil
}

// heard forgets c as a silent connection: it has sent something, or closed.
func (l *limitListener) heard(c *servedConn) {
	l.mu.Lock()
	delete(l.silent, c)
	l.mu.Unlock()
}

// takeSlot takes a free slot, else closes the connection idle the longest
// (its slot is free once it is closed), else waits for a connection to
// close or become idle, or for the longest idle to have been quiet
// idleSettle. It reports false, having taken none, when the listener
// closes first.
func (l *limitListener) takeSlot() bool {
	// Counted first: a connection that becomes idle from here on wakes
	// the wait below.
	l.idle.waiting.Add(1)
	defer l.idle.waiting.Add(-1)
	for {
		select {
		case l.slots <- struct{}{}:
			return true
		default:
		}
		closed, settles := l.idle.closeOldest()
		if closed {
			continue
		}
		if took, open := l.waitForSlot(settles); took || !open {
			return took
		}
	}
}

// waitForSlot waits until it takes a slot, a connection becomes idle or
// settles passes (0: no bound), or the listener closes (open is false).
func (l *limitListener) waitForSlot(settles time.Duration) (took, open bool) {
	var settled <-chan time.Time
	if settles > 0 {
		timer := time.NewTimer(settles)
		defer timer.Stop()
		settled = timer.C
	}
	select {
	case l.slots <- struct{}{}:
		return true, true
	case <-l.idle.wake:
	case <-settled:
	case <-l.done:
		return false, false
	}
	return false, true
}

// idleSettle is how long a connection must have been idle, and have read
// nothing, before it is closed for another.
//
// Why: net/http calls a connection idle before it has acted on all it has
// read. An HTTP/2 connection is idle as soon as its preface is read,
// though its client sent its first request with the preface, often in the
// same packet, and the TLS layer holds that request already (it reads
// ahead): the connection reads nothing more before it serves the request,
// and under load new HTTP/2 connections were closed with their first
// request (a fifth of them at --max-connections 2). Between requests too,
// the next request may be read before net/http calls the connection idle
// (HTTP/2 reads frames ahead, HTTP/1.1 a pipelined request), and an idle
// HTTP/2 connection reads frames of no request (its client's
// acknowledgement of the server's settings comes after the first answer),
// so "read something since it became idle" cannot tell a request from
// those. Acting on what is read takes microseconds, unless the process is
// starved of CPU: at 200 ms, under the race detector on a busy machine of
// two CPUs, 4 of 300 new HTTP/2 connections were still closed with their
// first request (TestNewHTTP2ConnectionsAreNotClosedForAnother). An HTTP/2
// connection still idle idleSettle after it last read anything holds no
// request; the cost is that a new client waits that long for a slot that
// only an idle connection can give up. It stays under slowHead: a head
// that has begun is given longer than an idle connection.
const idleSettle = 500 * time.Millisecond

// slowHead is how long a connection may take from the first byte of a
// request's head (or of its TLS handshake) to its end before it may be
// closed for a new connection when every slot is taken. Far above what a
// client's head takes to arrive; the header timeout (10 s) still ends it
// otherwise.
const slowHead = time.Second

// idleConns are a listener's connections, so that the one idle the
// longest can be found when a new connection needs its slot.
//
// Why a set of every connection, scanned only then, and not a list of the
// idle ones kept in order: a connection becomes idle and active again with
// every request, and a shared list (a lock and an element allocated each
// time) cost a request's hot path about 3% of its rate; a connection's own
// atomics cost nothing measurable, and the scan of at most
// --max-connections connections happens only when every slot is taken.
type idleConns struct {
	mu      sync.Mutex
	conns   map[*servedConn]struct{} // open, from Accept to release
	waiting atomic.Int32             // Accepts waiting for a slot
	wake    chan struct{}            // while one waits: a connection became idle (capacity 1)
}

func newIdleConns() *idleConns {
	return &idleConns{conns: map[*servedConn]struct{}{}, wake: make(chan struct{}, 1)}
}

// track counts c among the open connections; forget takes it out.
func (ic *idleConns) track(c *servedConn) {
	ic.mu.Lock()
	ic.conns[c] = struct{}{}
	ic.mu.Unlock()
}

func (ic *idleConns) forget(c *servedConn) {
	ic.mu.Lock()
	delete(ic.conns, c)
	ic.mu.Unlock()
}

// add marks c idle: it has answered its requests and waits for another.
func (ic *idleConns) add(c *servedConn) {
	c.readSinceIdle.Store(false)
	c.idleSince.Store(nanotime())
	if ic.waiting.Load() > 0 {
		select {
		case ic.wake <- struct{}{}:
		default:
		}
	}
}

// remove marks c no longer idle: it serves a request, or it is closed.
func (ic *idleConns) remove(c *servedConn) { c.idleSince.Store(0) }

// closeOldest closes the connection idle the longest that holds no next
// request, else the one whose head has taken slowHead the longest, and
// reports whether it closed one. It closes none that became idle or read
// anything less than idleSettle ago, nor a head younger than slowHead;
// with only such ones, it reports how long until the first of them may be
// closed (0: none may ever be).
func (ic *idleConns) closeOldest() (closed bool, settles time.Duration) {
	soonest := func(wait time.Duration) {
		if settles == 0 || wait < settles {
			settles = wait
		}
	}
	for {
		var victim, slow *servedConn
		var victimSince, slowSince, slowHeadSince int64
		now := nanotime()
		ic.mu.Lock()
		for c := range ic.conns {
			since := c.idleSince.Load()
			if since == 0 {
				continue // serving a request
			}
			if c.beganRequest() {
				// A head on its way: given slowHead to arrive.
				head := c.headSince.Load()
				if head == 0 {
					continue // begun this instant
				}
				if age := time.Duration(now - head); age < slowHead {
					soonest(slowHead - age)
				} else if slow == nil || head < slowHeadSince {
					slow, slowSince, slowHeadSince = c, since, head
				}
				continue
			}
			if quiet := time.Duration(now - max(since, c.lastRead.Load())); quiet < idleSettle {
				soonest(idleSettle - quiet)
			} else if victim == nil || since < victimSince {
				victim, victimSince = c, since
			}
		}
		ic.mu.Unlock()
		if victim == nil && slow == nil {
			return false, settles
		}
		if victim == nil {
			// Taken off, unless its head ended meanwhile (it serves the
			// request, or is idle after it).
			if !slow.idleSince.CompareAndSwap(slowSince, 0) || slow.headSince.Load() != slowHeadSince {
				settles = 0
				continue
			}
			_ = slow.Close()
			return true, 0
		}
		// Taken off the idle ones, unless a request began meanwhile.
		if !victim.idleSince.CompareAndSwap(victimSince, 0) || victim.beganRequest() {
			settles = 0
			continue
		}
		_ = victim.Close()
		return true, 0
	}
}

// processStart is what nanotime counts from.
var processStart = time.Now()

// nanotime is the monotonic time in nanoseconds since processStart.
func nanotime() int64 { return int64(time.Since(processStart)) }

// servedConn is a connection the server accepted. It gives its slot back
// when it closes, it bounds what request heads hold (Read), and it can
// gather what net/http writes of one answer and send it in one write.
//
// Why: net/http writes through a 4 KiB buffer, so an HTTP/1.1 answer of
// more than 4 KiB goes out in two writes or more (the buffer's first 4 KiB,
// then the rest), and the client is woken for each. A list of ten
// positions is 13 KB; sent in one write it costs a syscall and a wake-up
// less (BENCHMARKS.md).
type servedConn struct {
	net.Conn
	release func()

	idle          *idleConns   // nil: not tracked
	idleSince     atomic.Int64 // with idle: when it became idle (nanotime), 0 while it serves a request
	readSinceIdle atomic.Bool  // with idle, of HTTP/1: read anything since it became idle
	headSince     atomic.Int64 // with idle, of HTTP/1: when it first read since it became idle (nanotime)
	h2            atomic.Bool  // HTTP/2 was negotiated: what it reads may be frames of no request
	lastRead      atomic.Int64 // with idle, of HTTP/2: when it last read anything (nanotime)

	mu       sync.Mutex
	gathered *[]byte // while an answer is gathered: its bytes so far
	err      error   // the error of sending a gathered answer, for the next write

	heads     *byteBudget
	plain     bool
	anyOrigin bool // of limitListener
	headMu    sync.Mutex
	inHead    bool  // reading a request's head: from the connection's start or the last answer until the handler runs
	headBytes int   // bytes read since the head began
	headHeld  int64 // of heads, until the request is answered
	refused   bool  // its head was refused: answered, and closing
	framed    bool  // HTTP/2: no heads counted (frames)
	// protocolSeen: the protocol negotiated under TLS was looked at (at
	// the connection's first activity; it does not change after).
	protocolSeen atomic.Bool

	// Of a connection of a Server's listener, until it has sent a
	// byte (limitListener.Close): owner, silent, and under waitMu whether
	// net/http is waiting in Read for its first bytes and whether the
	// listener closed meanwhile (waitingOff: stop waiting).
	owner      *limitListener
	silent     atomic.Bool
	waitMu     sync.Mutex
	waiting    bool
	waitingOff bool
}

// stopWaiting ends net/http's wait for a silent connection's first request:
// a Read waiting now returns a timeout, on which net/http closes the
// connection without an answer; a later first Read takes only what was
// sent already.
func (c *servedConn) stopWaiting() {
	c.waitMu.Lock()
	defer c.waitMu.Unlock()
	c.waitingOff = true
	if c.waiting {
		_ = c.Conn.SetReadDeadline(time.Now())
	}
}

// readFirst is Read while the connection has sent nothing.
func (c *servedConn) readFirst(p []byte) (int, error) {
	c.waitMu.Lock()
	if c.waitingOff {
		// The listener closed before net/http first read: what the
		// client sent before is served, no more is waited for. (A
		// deadline already past would not even read what is there.)
		_ = c.Conn.SetReadDeadline(time.Now().Add(time.Millisecond))
	}
	c.waiting = true
	c.waitMu.Unlock()
	n, err := c.Conn.Read(p)
	c.waitMu.Lock()
	c.waiting = false
	off := c.waitingOff
	c.waitMu.Unlock()
	if n > 0 || err != nil {
		if n > 0 && off {
			// A request came after all: the rest of its head must not
			// time out at once (net/http sets the request's own deadline
			// once the head is read; the drain timeout bounds the head).
			_ = c.Conn.SetReadDeadline(time.Time{})
		}
		c.silent.Store(false)
		c.owner.heard(c)
	}
	return n, err
}

func (c *servedConn) Close() error {
	c.endRequest()
	if c.silent.Swap(false) {
		c.owner.heard(c)
	}
	if c.lingers() {
		// As net/http does after its own 431: closing at once, with the
		// client still sending, would reset the connection, and the
		// client could lose the answer before reading it. The socket
		// closes a little later; nothing of the request is held till then.
		time.AfterFunc(refusedHeadLinger, func() {
			_ = c.Conn.Close()
			c.release()
		})
		return nil
	}
	err := c.Conn.Close()
	c.release()
	return err
}

// Read counts what a request's head takes beyond freeHeadBytes against
// the shared budget, and refuses the head once the budget is spent.
//
// Why: net/http holds a head whole until it has read all of it, and it
// gathers a long line by growing a slice, so a connection trickling a
// head of MaxHeaderBytes holds more than that and leaves several times
// as much garbage behind. 300 such connections took the server's RSS to
// about 100 MiB; with the budget they hold at most freeHeadBytes each and
// headBudgetBytes together (docs/decisions.md has the figures). Heads
// that big are rare and short-lived outside an attack, so the budget
// refuses almost nothing else.
func (c *servedConn) Read(p []byte) (int, error) {
	var n int
	var err error
	if c.silent.Load() {
		n, err = c.readFirst(p)
	} else {
		n, err = c.Conn.Read(p)
	}
	if n > 0 && c.idle != nil {
		if c.h2.Load() {
			c.lastRead.Store(nanotime())
		} else if !c.readSinceIdle.Load() {
			c.headSince.Store(nanotime()) // before it counts as begun: closeOldest reads it then
			c.readSinceIdle.Store(true)
		}
	}
	if c.heads == nil || n == 0 {
		return n, err
	}
	c.headMu.Lock()
	refused := false
	if c.inHead {
		c.headBytes += n
		if over := int64(c.headBytes-freeHeadBytes) - c.headHeld; over > 0 {
			step := (over + headBudgetStep - 1) / headBudgetStep * headBudgetStep
			if c.heads.take(step) {
				c.headHeld += step
			} else {
				refused = true
				c.inHead = false
			}
		}
	}
	c.headMu.Unlock()
	if refused {
		if c.heads.onRefuse != nil {
			c.heads.onRefuse()
		}
		return 0, c.refuseHead()
	}
	return n, err
}

// refuseHead answers a head the budget has no room for as one over the
// server's limit is answered: a 431 in Graph's envelope, and no more from
// the connection (under TLS it cannot be written in plain text: the
// connection is closed without an answer). The error it returns is one
// net/http closes the connection on without an answer of its own, as
// after a header timeout, also through TLS (errHeadRefused).
func (c *servedConn) refuseHead() error {
	if c.plain {
		_, _ = c.Conn.Write(headRefusal(headNoRoom, c.anyOrigin))
		if tc, ok := c.Conn.(interface{ CloseWrite() error }); ok && tc.CloseWrite() == nil {
			c.headMu.Lock()
			c.refused = true
			c.headMu.Unlock()
		}
	}
	return &net.OpError{Op: "read", Net: "tcp", Source: c.LocalAddr(), Addr: c.RemoteAddr(), Err: errHeadRefused{}}
}

// lingers reports whether the connection answered a refused head and is
// to stay open a little for the client to read it.
func (c *servedConn) lingers() bool {
	c.headMu.Lock()
	defer c.headMu.Unlock()
	return c.refused
}

// beganRequest reports whether an HTTP/1 connection has read anything
// since it became idle: the start of a request. (An HTTP/2 connection
// reads frames of no request too, a client's acknowledgement of the
// server's settings, a ping, flow control: one that has read anything
// lately is not closed until idleSettle passes without a request
// starting, closeOldest.)
func (c *servedConn) beganRequest() bool { return c.readSinceIdle.Load() }

// headDone marks the end of the request's head: the handler runs, so
// what the connection reads from here on is the request's body.
func (c *servedConn) headDone() {
	c.headMu.Lock()
	c.inHead = false
	c.headMu.Unlock()
}

// endRequest gives back what the connection's request held of the
// budget, and starts the next head.
func (c *servedConn) endRequest() {
	if c.heads == nil {
		return
	}
	c.headMu.Lock()
	c.heads.give(c.headHeld)
	c.headHeld, c.headBytes, c.inHead = 0, 0, !c.framed
	c.headMu.Unlock()
}

// holdStreamHead counts the head of an HTTP/2 request (a stream) as an
// HTTP/1.1 head is counted: it may hold freeHeadBytes alone, and the rest
// of it (up to MaxHeaderBytes) draws from the shared budget until the
// stream's context ends, which the caller must not let happen before the
// answer is sent (ServeHTTP flushes it). It reports whether the head drew
// from the budget, and false for ok, having taken nothing, when the
// budget has no room: the request is then refused.
//
// Why: net/http decodes a stream's whole head before the handler runs,
// and holds it until the answer is sent, which a client that never opens
// the answer's window delays until the write timeout. The head is
// measured as HTTP/2 measures a header list (each field's name and value
// and 32 bytes).
func (c *servedConn) holdStreamHead(r *http.Request) (held, ok bool) {
	if c.heads == nil {
		return false, true
	}
	n := len(r.Method) + len(r.Host) + len(r.URL.RequestURI()) + len("https") + 4*32
	for k, vs := range r.Header {
		for _, v := range vs {
			n += len(k) + len(v) + 32
		}
	}
	over := int64(n - freeHeadBytes)
	if over <= 0 {
		return false, true
	}
	step := (over + headBudgetStep - 1) / headBudgetStep * headBudgetStep
	if !c.heads.take(step) {
		if c.heads.onRefuse != nil {
			c.heads.onRefuse()
		}
		return false, false
	}
	context.AfterFunc(r.Context(), func() { c.heads.give(step) })
	return true, true
}

// frames marks the connection as HTTP/2's: what it reads are frames,
// read ahead of the handlers, and its heads are bounded by HTTP/2's own
// limits, so none of it is counted as a head.
func (c *servedConn) frames() {
	c.headMu.Lock()
	c.framed = true
	c.headMu.Unlock()
	c.endRequest()
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
	if c.plain && string(p) == netHTTPHeadRefusal {
		// net/http refuses a head over its limit before any handler, in
		// plain text: on a plain connection it is answered in Graph's
		// envelope instead, as every other refusal is (issue 7). Under
		// TLS net/http's answer passes encrypted, as it wrote it.
		if _, err := c.Conn.Write(headRefusal(headOverLimit, c.anyOrigin)); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// netHTTPHeadRefusal is what net/http writes, whole, to a connection whose
// request head is over its limit (net/http's server.go, errTooLarge).
const netHTTPHeadRefusal = "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large"

// The messages of the two refusals of a request head: over the server's
// limit (net/http's), or over what the heads may hold together now
// (refuseHead).
var (
	headOverLimit = graphprofile.Errorf(codeHeaderTooLarge, "The request's URL and headers are larger than the limit of %d bytes.", MaxHeaderBytes)
	headNoRoom    = graphprofile.Errorf(codeHeaderTooLarge, "The server has no room now for a request whose URL and headers are larger than %d bytes; send it again later.", freeHeadBytes)
)

// codeHeaderTooLarge is the code of a 431.
const codeHeaderTooLarge = "requestHeaderFieldsTooLarge"

// headRefusal is a whole HTTP/1.1 431 answer of gerr in Graph's error
// envelope, the connection then closed: no request was read, so it has a
// request-id of its own, and CORS's headers only when the policy allows
// any origin (anyOrigin: no Origin was read to match).
func headRefusal(gerr *graphprofile.Error, anyOrigin bool) []byte {
	id := graphprofile.NewGUID()
	now := time.Now()
	body := AppendErrorJSON(nil, gerr, now, id, id)
	cors := ""
	if anyOrigin {
		cors = "Access-Control-Allow-Origin: *\r\nAccess-Control-Expose-Headers: " + corsExposedHeaders + "\r\n"
	}
	return fmt.Appendf(nil, "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: %s\r\nContent-Length: %d\r\nCache-Control: no-cache\r\nDate: %s\r\nOData-Version: 4.0\r\nrequest-id: %s\r\nclient-request-id: %s\r\n%sConnection: close\r\n\r\n%s",
		jsonContentType, len(body), now.UTC().Format(http.TimeFormat), id, id, cors, body)
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
	if sc := servedConnOf(c); sc != nil {
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

// Request heads: each connection may hold freeHeadBytes of its head; a
// bigger head (up to MaxHeaderBytes) draws the rest from a budget all the
// connections share, of headBudgetBytes, in steps of headBudgetStep.
// Graph's clients send heads of a few KiB (a token is 1–3 KiB, about
// 10 KiB with many groups), so only heads far bigger than theirs use the
// budget. Together, connections hold at most max connections ×
// freeHeadBytes + headBudgetBytes of heads (512 × 16 KiB + 4 MiB = 12 MiB
// by default), where 512 × 128 KiB would be 64 MiB.
const (
	freeHeadBytes     = 16 << 10
	headBudgetBytes   = 4 << 20
	headBudgetStep    = 8 << 10
	refusedHeadLinger = 500 * time.Millisecond
)

// errHeadRefused is the read error of a refused head. It says it is a
// timeout, as the server stops waiting for the head as at a header
// timeout: net/http then closes the connection without an answer of its
// own. (A read error of another kind comes to net/http through TLS
// wrapped, and net/http answers it with a 400.) It is not temporary, so
// TLS does not read again either.
type errHeadRefused struct{}

func (errHeadRefused) Error() string   { return "request heads: budget spent" }
func (errHeadRefused) Timeout() bool   { return true }
func (errHeadRefused) Temporary() bool { return false }

// byteBudget is bytes a server's requests may hold together beyond what
// each may hold alone: of request heads beyond freeHeadBytes, or of
// request bodies beyond freeBodyBytes (body.go).
type byteBudget struct {
	left     atomic.Int64
	onRefuse func() // called for each head refused; may be nil
}

func newByteBudget(bytes int64) *byteBudget {
	b := &byteBudget{}
	b.left.Store(bytes)
	return b
}

// take reserves n bytes, or reports that fewer are left.
func (b *byteBudget) take(n int64) bool {
	for {
		left := b.left.Load()
		if left < n {
			return false
		}
		if b.left.CompareAndSwap(left, left-n) {
			return true
		}
	}
}

func (b *byteBudget) give(n int64) {
	if n > 0 {
		b.left.Add(n)
	}
}

// servedConnOf returns the accepted connection c is, or runs on (under
// TLS), or nil.
func servedConnOf(c net.Conn) *servedConn {
	if tc, ok := c.(*tls.Conn); ok {
		c = tc.NetConn()
	}
	sc, _ := c.(*servedConn)
	return sc
}

// trackConnState is the http.Server's ConnState: a connection that has
// answered its request, or that net/http no longer serves, holds nothing
// of the heads' budget.
//
// An HTTP/2 connection (negotiated under TLS) is active once its preface
// is read, before any request: from there it is not counted.
func trackConnState(c net.Conn, state http.ConnState) {
	sc := servedConnOf(c)
	if sc == nil {
		return
	}
	switch state {
	case http.StateActive:
		if sc.idle != nil {
			sc.idle.remove(sc)
		}
		if tc, ok := c.(*tls.Conn); ok && !sc.protocolSeen.Swap(true) && tc.ConnectionState().NegotiatedProtocol == "h2" {
			sc.h2.Store(true)
			sc.frames()
		}
	case http.StateIdle:
		sc.endRequest()
		if sc.idle != nil {
			sc.idle.add(sc)
		}
	case http.StateHijacked, http.StateClosed:
		if sc.idle != nil {
			sc.idle.remove(sc)
		}
		sc.endRequest()
	}
}
