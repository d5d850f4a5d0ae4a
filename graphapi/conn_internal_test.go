package graphapi

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// countingListener's connections count the writes made to them.
type countingListener struct {
	net.Listener
	writes *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return countingConn{Conn: c, writes: l.writes}, nil
}

type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}

// TestAnswerInOneWrite serves answers through writeBody on a real listener
// and counts the writes each made to the connection: an answer of up to
// maxGatheredAnswer bytes goes out whole in one, status line and headers
// included, where net/http alone writes one of more than its 4 KiB buffer
// in two; the connection then serves the next request as before.
func TestAnswerInOneWrite(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var writes atomic.Int64
	counted := newLimitListener(countingListener{Listener: ln, writes: &writes}, 4)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := len(r.URL.Query().Get("size"))
			ex := newExchange(&Server{}, w, r)
			ex.writeBody(http.StatusOK, jsonContentType, bytes.Repeat([]byte("x"), n*1000))
		}),
		ConnContext: withServedConn,
	}
	go func() { _ = srv.Serve(counted) }()
	t.Cleanup(func() { _ = srv.Close() })
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1, DisableCompression: true}}
	t.Cleanup(client.CloseIdleConnections)

	tests := []struct {
		name       string
		method     string
		kilobytes  int
		wantWrites int64 // 0: more than one
	}{
		{"small, one write anyway", http.MethodGet, 1, 1},
		{"a list's size, gathered", http.MethodGet, 13, 1},
		{"just over net/http's buffer", http.MethodGet, 5, 1},
		{"the most gathered", http.MethodGet, maxGatheredAnswer / 1000, 1},
		{"bigger: not gathered", http.MethodGet, 200, 0},
		{"HEAD: headers only", http.MethodHead, 13, 1},
		{"a list's size again on the same connection", http.MethodGet, 13, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := writes.Load()
			req, err := http.NewRequest(tt.method, "http://"+ln.Addr().String()+"/?size="+strings.Repeat("k", tt.kilobytes), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			wantBody := tt.kilobytes * 1000
			if tt.method == http.MethodHead {
				wantBody = 0
			}
			if resp.StatusCode != http.StatusOK || len(body) != wantBody || strings.Trim(string(body), "x") != "" {
				t.Fatalf("status %d, %d bytes of body: want 200 and %d x's", resp.StatusCode, len(body), wantBody)
			}
			if got := resp.Header.Get("Content-Length"); got != "13000" && tt.kilobytes == 13 {
				t.Errorf("Content-Length %q, want 13000", got)
			}
			got := writes.Load() - before
			switch {
			case tt.wantWrites == 0 && got < 2:
				t.Errorf("%d write(s) to the connection, want more than one (not gathered)", got)
			case tt.wantWrites > 0 && got != tt.wantWrites:
				t.Errorf("%d writes to the connection, want %d", got, tt.wantWrites)
			}
		})
	}
}

// TestAnswerConnOnlyForHTTP1Connections checks that answers are gathered
// only where net/http writes to the connection itself.
func TestAnswerConnOnlyForHTTP1Connections(t *testing.T) {
	conn := &servedConn{release: func() {}}
	withConn := func(r *http.Request) *http.Request {
		return r.WithContext(withServedConn(r.Context(), conn))
	}
	get := func() *http.Request { return withConn(must(http.NewRequest(http.MethodGet, "http://x/", nil))) }
	h2 := get()
	h2.ProtoMajor, h2.ProtoMinor = 2, 0
	tests := []struct {
		name string
		w    http.ResponseWriter
		r    *http.Request
		n    int
		want *servedConn
	}{
		{"HTTP/1.1, a list's size", hijackable{}, get(), 13000, conn},
		{"small", hijackable{}, get(), 1000, nil},
		{"too big", hijackable{}, get(), maxGatheredAnswer + 1, nil},
		{"HTTP/2", hijackable{}, h2, 13000, nil},
		{"a recorder (a $batch item's)", &itemRecorder{}, get(), 13000, nil},
		{"no connection in the context", hijackable{}, must(http.NewRequest(http.MethodGet, "http://x/", nil)), 13000, nil},
	}
	for _, tt := range tests {
		if got := answerConn(tt.w, tt.r, tt.n); got != tt.want {
			t.Errorf("%s: answerConn = %p, want %p", tt.name, got, tt.want)
		}
	}
}

type hijackable struct{ http.ResponseWriter }

func (hijackable) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.ErrUnsupported
}
func (hijackable) Flush() {}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// failingConn fails every write.
type failingConn struct {
	net.Conn
	mu     sync.Mutex
	writes int
}

var errBroken = errors.New("broken pipe")

func (c *failingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.writes++
	return 0, errBroken
}

// TestGatheredSendFailureIsTheNextWrites: a gathered answer that could
// not be sent fails the connection's next write, so that net/http closes
// it rather than reading another request from it.
func TestGatheredSendFailureIsTheNextWrites(t *testing.T) {
	under := &failingConn{}
	c := &servedConn{Conn: under, release: func() {}}
	c.gather()
	if n, err := c.Write([]byte("HTTP/1.1 200 OK\r\n")); n != 17 || err != nil {
		t.Fatalf("gathered Write = %d, %v; want 17, nil", n, err)
	}
	if under.writes != 0 {
		t.Fatalf("%d writes reached the connection while gathering, want 0", under.writes)
	}
	c.send()
	if under.writes != 1 {
		t.Fatalf("send made %d writes, want 1", under.writes)
	}
	if _, err := c.Write([]byte("more")); !errors.Is(err, errBroken) {
		t.Fatalf("the next Write's error = %v, want %v", err, errBroken)
	}
	if under.writes != 1 {
		t.Errorf("the next Write reached the broken connection (%d writes)", under.writes)
	}
}

// TestLimitListenerCloseEndsAcceptWaitingForASlot: an Accept waiting for a
// slot (every connection held) returns once the listener closes, as
// http.Server's Shutdown and Close wait for Accept to return whatever
// their deadline (the metrics' listener, LimitListener).
func TestLimitListenerCloseEndsAcceptWaitingForASlot(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	limited := LimitListener(ln, 1)
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	held, err := limited.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	accepted := make(chan error, 1)
	go func() {
		c, err := limited.Accept()
		if err == nil {
			c.Close()
		}
		accepted <- err
	}()
	time.Sleep(50 * time.Millisecond)
	limited.Close()
	select {
	case err := <-accepted:
		if err == nil {
			t.Error("Accept after Close: a connection, want an error")
		}
	case <-time.After(2 * time.Second):
		held.Close()
		<-accepted
		t.Fatal("Accept waiting for a slot did not return after Close")
	}
}

// idleTestConn returns a connection tracked by ic, and its client's end.
func idleTestConn(t *testing.T, ic *idleConns, h2 bool) (*servedConn, net.Conn) {
	t.Helper()
	server, client := net.Pipe()
	t.Cleanup(func() { server.Close(); client.Close() })
	sc := &servedConn{Conn: server, release: func() {}, idle: ic}
	sc.h2.Store(h2)
	ic.track(sc)
	return sc, client
}

// readFromClient makes sc read b, sent by its client.
func readFromClient(t *testing.T, sc *servedConn, client net.Conn, b string) {
	t.Helper()
	go io.WriteString(client, b)
	if _, err := io.ReadFull(sc, make([]byte, len(b))); err != nil {
		t.Fatal(err)
	}
}

// TestIdleConnectionSettlesBeforeItGivesWay: a connection that has just
// become idle may hold a request net/http has read but not yet acted on
// (an HTTP/2 connection is idle once its preface is read, its first
// request often read with it): it is not closed for another until it has
// been idle idleSettle.
func TestIdleConnectionSettlesBeforeItGivesWay(t *testing.T) {
	ic := newIdleConns()
	sc, client := idleTestConn(t, ic, true)
	ic.add(sc)
	closed, settles := ic.closeOldest()
	if closed || settles <= 0 || settles > idleSettle {
		t.Fatalf("a connection idle for no time: closed %v, settles in %v; want kept, settling within %v", closed, settles, idleSettle)
	}
	time.Sleep(settles + 10*time.Millisecond)
	if closed, _ := ic.closeOldest(); !closed {
		t.Fatal("a connection idle for idleSettle, having read nothing, was not closed for another")
	}
	client.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := client.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("the client's end after its connection gave way: %v, want EOF", err)
	}
}

// TestIdleHTTP2ConnectionReadingFramesGivesWay: an idle HTTP/2 connection
// reads frames of no request (its client acknowledges the server's
// settings after the first answer; pings; flow control): it still gives
// way once it has read nothing for idleSettle, where it used to be taken
// off the idle ones for good. An HTTP/1 connection that has read anything
// since it became idle has begun a request: it gives way only once its
// head has taken slowHead without ending, and never while it serves the
// request.
func TestIdleHTTP2ConnectionReadingFramesGivesWay(t *testing.T) {
	ic := newIdleConns()
	sc, clientEnd := idleTestConn(t, ic, true)
	ic.add(sc)
	time.Sleep(idleSettle)
	readFromClient(t, sc, clientEnd, "settings ack")
	closed, settles := ic.closeOldest()
	if closed || settles <= 0 {
		t.Fatalf("an HTTP/2 connection that has just read a frame: closed %v, settles in %v; want kept for idleSettle", closed, settles)
	}
	time.Sleep(settles + 10*time.Millisecond)
	if closed, _ := ic.closeOldest(); !closed {
		t.Fatal("an idle HTTP/2 connection that read a frame of no request idleSettle ago was not closed for another")
	}

	h1, h1Client := idleTestConn(t, ic, false)
	ic.add(h1)
	time.Sleep(idleSettle)
	readFromClient(t, h1, h1Client, "GET")
	time.Sleep(idleSettle)
	closed, settles = ic.closeOldest()
	if closed || settles <= 0 || settles > slowHead-idleSettle {
		t.Fatalf("an HTTP/1 connection that has read part of a request: closed %v, settles in %v; want kept until its head has taken slowHead", closed, settles)
	}
	ic.remove(h1) // its head ended: it serves the request
	time.Sleep(settles + 10*time.Millisecond)
	if closed, settles := ic.closeOldest(); closed || settles != 0 {
		t.Fatalf("an HTTP/1 connection serving a request: closed %v, settles in %v; want never closed for another", closed, settles)
	}

	slow, slowClient := idleTestConn(t, ic, false)
	ic.add(slow)
	readFromClient(t, slow, slowClient, "G")
	time.Sleep(slowHead + 10*time.Millisecond)
	if closed, _ := ic.closeOldest(); !closed {
		t.Fatal("an HTTP/1 connection whose head began slowHead ago and has not ended was not closed for another")
	}
}
