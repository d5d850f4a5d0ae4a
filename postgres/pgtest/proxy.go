package pgtest

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
)

// Proxy relays TCP connections to a PostgreSQL server and can make the
// network fail in the two ways a server's host does: it stops answering
// (blackhole: connections stay open, nothing arrives; new ones are accepted
// and hang) or it refuses (connections reset, new ones refused).
type Proxy struct {
	ln     net.Listener
	target string

	mu        sync.Mutex
	cond      *sync.Cond
	blackhole bool
	refusing  bool
	// loseAnswer: the next bytes the server sends are dropped and every
	// connection closed, once.
	loseAnswer bool
	refused    int // connections refused while refusing
	conns      map[net.Conn]bool
}

// StartProxy relays to target (host:port) from a loopback port of its own
// until the test ends.
func StartProxy(t testing.TB, target string) *Proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.cond = sync.NewCond(&p.mu)
	go p.serve()
	t.Cleanup(func() {
		ln.Close()
		p.Set(false, false)
	})
	return p
}

// Addr is the proxy's address, host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Set changes the proxy's mode; refusing closes every connection.
func (p *Proxy) Set(blackhole, refusing bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blackhole, p.refusing = blackhole, refusing
	if refusing || !blackhole {
		for c := range p.conns {
			if refusing {
				c.Close()
			}
		}
	}
	p.cond.Broadcast()
}

// LoseNextAnswer makes the proxy drop the next answer the server sends, on
// any connection, and close every connection then: what a client sees when
// the network fails, or the server stops, after the server did what it
// was asked (a COMMIT applied) and before its answer arrived.
func (p *Proxy) LoseNextAnswer() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.loseAnswer = true
}

// answerLost reports whether the answer about to be relayed is to be
// lost, closing every connection if so.
func (p *Proxy) answerLost() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.loseAnswer {
		return false
	}
	p.loseAnswer = false
	for c := range p.conns {
		c.Close()
	}
	return true
}

// Refused is how many connections the proxy refused so far.
func (p *Proxy) Refused() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.refused
}

// pass blocks while the proxy is a blackhole; false: drop the connection.
func (p *Proxy) pass() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.blackhole {
		p.cond.Wait()
	}
	return !p.refusing
}

func (p *Proxy) track(c net.Conn, add bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if add {
		p.conns[c] = true
	} else {
		delete(p.conns, c)
	}
}

func (p *Proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func (p *Proxy) handle(c net.Conn) {
	p.track(c, true)
	defer func() { p.track(c, false); c.Close() }()
	if !p.pass() {
		p.mu.Lock()
		p.refused++
		p.mu.Unlock()
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	p.track(up, true)
	defer func() { p.track(up, false); up.Close() }()
	done := make(chan struct{}, 2)
	relay := func(dst, src net.Conn, fromServer bool) {
		defer func() { done <- struct{}{} }()
		buf := make([]byte, 32<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				if !p.pass() || (fromServer && p.answerLost()) {
					return
				}
				if _, err := dst.Write(buf[:n]); err != nil {
					return
				}
			}
			if err != nil {
				if err != io.EOF {
					return
				}
				return
			}
		}
	}
	go relay(up, c, false)
	go relay(c, up, true)
	<-done
}

// HostOf is the host:port of the database URL dbURL (5432 when it names
// no port), for StartProxy.
func HostOf(t testing.TB, dbURL string) string {
	t.Helper()
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	if u.Port() == "" {
		return u.Hostname() + ":5432"
	}
	return u.Host
}
