package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// plainBinary builds graphprofile without the race detector, once: the
// memory a test measures must be the server's, not the detector's shadow.
var plainBinary = sync.OnceValues(func() (string, error) {
	path := filepath.Join(filepath.Dir(binary), "graphprofile-norace")
	out, err := exec.Command("go", append(append([]string{"build", "-o", path}, driverTags()...), ".")...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return path, nil
})

// rssBytes is the resident set size of process pid.
func rssBytes(t *testing.T, pid int) int64 {
	t.Helper()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc on this system: %v", err)
	}
	for line := range strings.SplitSeq(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS line %q: %v", line, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc/pid/status")
	return 0
}

// TestHeaderTrickleMemory is the attack of 300 unauthenticated connections
// that each trickle up to 2 MiB of headers: what the server holds for them
// is bounded by its 128 KiB header limit and the budget that heads over
// 16 KiB share, and its RSS stays under 100 MB.
func TestHeaderTrickleMemory(t *testing.T) {
	bin, err := plainBinary()
	if err != nil {
		t.Fatal(err)
	}
	s := startServeBinary(t, bin, t.TempDir(), listenFlag())
	const (
		connections = 300
		chunk       = 16 << 10
		most        = 2 << 20
		limit       = 100_000_000
	)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		statuses = map[string]int{}
	)
	for range connections {
		wg.Go(func() {
			conn, err := net.Dial("tcp", s.addr)
			if err != nil {
				t.Error(err)
				return
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(60 * time.Second))
			_, _ = fmt.Fprintf(conn, "GET /beta/me/profile/positions HTTP/1.1\r\nHost: %s\r\nX-Padding: ", s.addr)
			pad := []byte(strings.Repeat("a", chunk))
			for sent := 0; sent < most; sent += chunk {
				if _, err := conn.Write(pad); err != nil {
					break // the server has answered and closed
				}
				time.Sleep(5 * time.Millisecond)
			}
			line, err := bufio.NewReader(conn).ReadString('\n')
			mu.Lock()
			if err != nil {
				statuses["no answer: "+err.Error()]++
			} else {
				statuses[strings.TrimSpace(line)]++
			}
			mu.Unlock()
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	peak := int64(0)
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case <-time.After(20 * time.Millisecond):
		}
		peak = max(peak, rssBytes(t, s.cmd.Process.Pid))
	}
	t.Logf("peak RSS %.1f MiB under %d trickling connections; answers %v", float64(peak)/(1<<20), connections, statuses)
	if peak > limit {
		t.Errorf("peak RSS %.1f MiB, want under 100 MB (%.1f MiB)", float64(peak)/(1<<20), float64(limit)/(1<<20))
	}
	// Each connection is refused: a 431, or a closed connection when the
	// server's close came before the client read the answer. None hangs.
	refused := statuses["HTTP/1.1 431 Request Header Fields Too Large"] + statuses["no answer: EOF"]
	for answer, n := range statuses {
		if strings.Contains(answer, "connection reset") {
			refused += n
		}
	}
	if refused != connections {
		t.Errorf("%d of %d connections refused; answers %v", refused, connections, statuses)
	}
	resp, err := s.client.Get(s.url + "/healthz")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the server is not healthy after the attack: %v", err)
	}
	resp.Body.Close()
}

// TestStalledBodyMemory is the attack of a client with a token that opens
// 300 connections and on each sends a gzip body that inflates to almost
// the 1 MiB limit, then stalls before its end: each connection cost it a
// kilobyte, and without a bound on what bodies hold together the server
// held a megabyte and more for each until its read timeout (600 MiB of
// RSS for 500 connections). Bodies over 16 KiB share a budget; one it has
// no room for is 503 serviceNotAvailable at once, so RSS stays under 100
// MB, and once the attack ends a body of almost 1 MiB is read again.
func TestStalledBodyMemory(t *testing.T) {
	bin, err := plainBinary()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	s := startServeBinary(t, bin, dir, listenFlag())
	tok := mintToken(t, dir, nil)
	const (
		connections = 300
		inflated    = 1_000_000
		limit       = 100_000_000
	)
	var compressed bytes.Buffer
	zw := gzip.NewWriter(&compressed)
	_, _ = zw.Write([]byte(`{"displayName":"` + strings.Repeat("x", inflated)))
	_ = zw.Flush() // all of it decodable, the stream not ended
	body := compressed.Bytes()
	conns := make([]net.Conn, 0, connections)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	peak := int64(0)
	for range connections {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		_ = c.SetDeadline(time.Now().Add(60 * time.Second))
		_, _ = fmt.Fprintf(c, "POST /beta/me/profile/positions HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n"+
			"Content-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n", s.addr, tok, len(body)+100)
		_, _ = c.Write(body)
		peak = max(peak, rssBytes(t, s.cmd.Process.Pid))
	}
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		peak = max(peak, rssBytes(t, s.cmd.Process.Pid))
	}
	statuses := map[string]int{}
	for _, c := range conns {
		_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		line, err := bufio.NewReader(c).ReadString('\n')
		if err != nil {
			statuses["no answer yet"]++
		} else {
			statuses[strings.TrimSpace(line)]++
		}
	}
	t.Logf("peak RSS %.1f MiB under %d stalled bodies; answers %v", float64(peak)/(1<<20), connections, statuses)
	if peak > limit {
		t.Errorf("peak RSS %.1f MiB, want under 100 MB (%.1f MiB)", float64(peak)/(1<<20), float64(limit)/(1<<20))
	}
	if statuses["HTTP/1.1 503 Service Unavailable"] == 0 {
		t.Errorf("no stalled body was refused with 503; answers %v", statuses)
	}
	for _, c := range conns {
		c.Close()
	}
	conns = nil

	// The budget is given back: a big body is read again (and refused by
	// the property's limit, not by the budget).
	var again bytes.Buffer
	zw = gzip.NewWriter(&again)
	_, _ = zw.Write([]byte(`{"displayName":"` + strings.Repeat("x", inflated) + `"}`))
	_ = zw.Close()
	for attempt := 0; ; attempt++ {
		req, _ := http.NewRequest(http.MethodPost, s.url+"/beta/me/profile/positions", bytes.NewReader(again.Bytes()))
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Content-Encoding", "gzip")
		resp, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusBadRequest {
			break
		}
		if resp.StatusCode != http.StatusServiceUnavailable || attempt == 50 {
			t.Fatalf("a big body after the attack: status %d, want 400", resp.StatusCode)
		}
		time.Sleep(100 * time.Millisecond) // the server has not seen every close yet
	}
}

// holdConnections opens n connections to addr, each with half a request
// for path: the server keeps them, waiting for the rest. They close when
// the test ends.
func holdConnections(t *testing.T, addr, path string, n int) []net.Conn {
	t.Helper()
	held := make([]net.Conn, 0, n)
	for range n {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		if _, err := fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\n", path); err != nil {
			t.Fatal(err)
		}
		held = append(held, conn)
	}
	return held
}

// TestMaxConnections checks that the server holds at most
// --max-connections connections: one more waits until another closes.
// The eight held are serving requests (each delayed 30 s by the fault
// header), which no new connection closes.
func TestMaxConnections(t *testing.T) {
	s := startServe(t, t.TempDir(), listenFlag("--max-connections", "8", "--admin-token", "admin-secret"))
	s.client.CloseIdleConnections()
	time.Sleep(100 * time.Millisecond) // the readiness probe's connection closes
	held := make([]net.Conn, 0, 8)
	for range 8 {
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		if _, err := io.WriteString(conn, "GET /beta/me HTTP/1.1\r\nHost: x\r\nX-GraphProfile-Fault: latency=30s\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		held = append(held, conn)
	}
	time.Sleep(1500 * time.Millisecond) // longer than a head may take to arrive (slowHead)
	probe := func(timeout time.Duration) error {
		c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
		resp, err := c.Get(s.url + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err
	}
	if err := probe(500 * time.Millisecond); err == nil {
		t.Fatal("a ninth connection was served while eight were held")
	}
	held[0].Close()
	if err := probe(10 * time.Second); err != nil {
		t.Fatalf("a connection was not served after one of the eight closed: %v", err)
	}
}

// TestSilentConnectionsGiveWay: connections that have sent nothing, or
// part of a head and then nothing, do not keep a new client out either.
// With every slot held by such connections, a new one used to wait until
// the header timeout (10 s) closed one: a client that kept
// --max-connections silent connections open, reopening each one closed,
// kept everyone out without sending a byte. A connection that has sent
// nothing for 500 ms, or has not finished its head in a second, is closed
// for the new one, as an idle one is.
func TestSilentConnectionsGiveWay(t *testing.T) {
	for _, tc := range []struct{ name, sent string }{
		{"nothing sent", ""},
		{"part of a head", "GET /healthz HTTP/1.1\r\nHost: x\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := startServe(t, t.TempDir(), listenFlag("--max-connections", "4"))
			s.client.CloseIdleConnections()
			time.Sleep(100 * time.Millisecond) // the readiness probe's connection closes
			silent := make([]net.Conn, 4)
			for i := range silent {
				conn, err := net.Dial("tcp", s.addr)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { conn.Close() })
				if _, err := io.WriteString(conn, tc.sent); err != nil {
					t.Fatal(err)
				}
				silent[i] = conn
			}
			c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
			resp, err := c.Get(s.url + "/healthz")
			if err != nil {
				t.Fatalf("a fifth connection while four had sent %q: %v, want served before the header timeout", tc.sent, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("a fifth connection: %d, want 200", resp.StatusCode)
			}
			closed := 0
			for _, conn := range silent {
				_ = conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
				if _, err := conn.Read(make([]byte, 1)); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
					closed++
				}
			}
			if closed != 1 {
				t.Errorf("%d of the four silent connections closed, want the one that made room", closed)
			}
		})
	}
}

// TestIdleConnectionsGiveWay checks that connections idle between
// requests do not keep a new client out: with all --max-connections
// connections kept alive and idle, a new connection is served (once the oldest has been idle 500 ms) and
// the server closes the connection idle the longest (as it may close any
// idle connection, RFC 9112 §9.6), where it used to make the new client
// wait until an idle timeout (120 s). A connection serving a request is
// never the one closed (TestMaxConnections).
func TestIdleConnectionsGiveWay(t *testing.T) {
	s := startServe(t, t.TempDir(), listenFlag("--max-connections", "4"))
	s.client.CloseIdleConnections()
	time.Sleep(100 * time.Millisecond) // the readiness probe's connection closes
	idle := make([]net.Conn, 4)
	readers := make([]*bufio.Reader, 4)
	for i := range idle {
		conn, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		idle[i], readers[i] = conn, bufio.NewReader(conn)
		if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(readers[i], nil)
		if err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Close {
			t.Fatalf("connection %d: %d (close %v), want 200 kept alive", i, resp.StatusCode, resp.Close)
		}
		time.Sleep(20 * time.Millisecond) // each idle from a later instant
	}

	c := &http.Client{Timeout: 3 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(s.url + "/healthz")
	if err != nil {
		t.Fatalf("a fifth connection while four were idle: %v, want served within a few hundred ms", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a fifth connection while four were idle: %d, want 200", resp.StatusCode)
	}

	// The oldest idle connection was closed; the others still serve.
	_ = idle[0].SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := readers[0].Read(make([]byte, 1)); err == nil {
		t.Errorf("the connection idle the longest: read %d bytes, want it closed", n)
	}
	for i := 1; i < len(idle); i++ {
		if _, err := io.WriteString(idle[i], "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatalf("connection %d after the fifth: %v", i, err)
		}
		_ = idle[i].SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(readers[i], nil)
		if err != nil {
			t.Fatalf("connection %d after the fifth: %v, want still served", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("connection %d after the fifth: %d, want 200", i, resp.StatusCode)
		}
	}
}
