package graphapi_test

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/tlsdev"
)

// TestTLSHangUpIsADebugLine: a client that connects and hangs up before
// its TLS handshake is done (a load balancer's or a probe's TCP check, a
// port scan) is no failure of the server: as any client hanging up, it is
// one debug line, not a warning every check would repeat all day. A
// handshake that fails for a reason (a client that does not trust the
// certificate) stays a warning: someone's client
// is misconfigured.
func TestTLSHangUpIsADebugLine(t *testing.T) {
	addr, logs := tlsServerLogging(t, false)

	// Hung up without a byte, and in the middle of the handshake.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	conn, err = net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte{0x16, 0x03, 0x01}) // the start of a ClientHello record
	conn.Close()
	// Reset rather than closed.
	conn, err = net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte{0x16, 0x03, 0x01})
	time.Sleep(50 * time.Millisecond) // read by the server, which waits for more
	conn.(*net.TCPConn).SetLinger(0)
	conn.Close()
	// A client that does not trust the certificate (it says so, with an
	// alert).
	if untrusting, err := tls.Dial("tcp", addr, &tls.Config{}); err == nil {
		untrusting.Close()
		t.Fatal("a client without the development CA trusted the certificate")
	}

	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(logs.String(), "TLS handshake error") < 4 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	var hungUp, failed int
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if !strings.Contains(line, "TLS handshake error") {
			continue
		}
		switch {
		case strings.HasSuffix(line, `: EOF"`), strings.HasSuffix(line, `: unexpected EOF"`), strings.HasSuffix(line, `: connection reset by peer"`):
			hungUp++
			if !strings.Contains(line, "level=DEBUG") {
				t.Errorf("a client hanging up in the handshake, logged not at debug: %s", line)
			}
		default:
			failed++
			if !strings.Contains(line, "level=WARN") {
				t.Errorf("a handshake failed for a reason, logged not as a warning: %s", line)
			}
		}
	}
	if hungUp != 3 || failed != 1 {
		t.Errorf("%d hang-ups and %d failed handshakes logged, want 3 and 1:\n%s", hungUp, failed, logs.String())
	}
}

// TestHTTP2ProtocolErrorsWarnedOncePerInterval: a client that speaks
// HTTP/2 wrongly (a bogus preface, a frame the protocol forbids) is
// net/http's warning for each connection, which any client repeats as
// fast as it can handshake: it filled the log with WARN lines. As the
// issuer keys' and the store's outages (internal/outage), the first is a
// warning with the count of connections it stands for, then at most one a
// minute; each is a debug line.
func TestHTTP2ProtocolErrorsWarnedOncePerInterval(t *testing.T) {
	addr, logs := tlsServerLogging(t, true)
	send := func(payload string) {
		t.Helper()
		conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if conn.ConnectionState().NegotiatedProtocol != "h2" {
			t.Fatalf("negotiated %q, want h2", conn.ConnectionState().NegotiatedProtocol)
		}
		if _, err := conn.Write([]byte(payload)); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.Copy(io.Discard, conn) // until the server closes it
	}
	const bogus, broken = 5, 3
	for range bogus {
		send("GARBAGE, NOT HTTP/2's PREFACE\r\n\r\n")
	}
	for range broken {
		// The preface, then a CONTINUATION frame with no HEADERS before it.
		send("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + "\x00\x00\x04\x09\x00\x00\x00\x00\x01abcd")
	}

	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(logs.String(), "http2: server") < bogus+broken && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	var warnings []map[string]any
	debug := 0
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		msg, _ := m["msg"].(string)
		if !strings.HasPrefix(msg, "http2: server") {
			continue
		}
		switch m["level"] {
		case "WARN":
			warnings = append(warnings, m)
		case "DEBUG":
			debug++
		}
	}
	if len(warnings) != 1 || debug != bogus+broken-1 {
		t.Fatalf("%d warnings and %d debug lines for %d connections with HTTP/2 protocol errors, want 1 and %d: %v", len(warnings), debug, bogus+broken, bogus+broken-1, warnings)
	}
	if w := warnings[0]; w["connections"] != float64(1) || !strings.Contains(w["msg"].(string), "bogus greeting") {
		t.Errorf("the warning %v, want the first connection's error with connections 1", w)
	}
}

// TestHTTP2GoAwayWarnedOncePerInterval: a client that ends its HTTP/2
// connection with a GOAWAY carrying an error code is net/http's warning
// ("http2: received GOAWAY …") for each connection, which any client
// repeats as fast as it can handshake, as a protocol error: it is a debug
// line each, and a warning at most once a minute with the count of
// connections.
func TestHTTP2GoAwayWarnedOncePerInterval(t *testing.T) {
	addr, logs := tlsServerLogging(t, true)
	const connections = 3
	for range connections {
		conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
		if err != nil {
			t.Fatal(err)
		}
		// The preface, an empty SETTINGS frame, then GOAWAY with
		// PROTOCOL_ERROR (last stream 0).
		payload := "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + "\x00\x00\x00\x04\x00\x00\x00\x00\x00" +
			"\x00\x00\x08\x07\x00\x00\x00\x00\x00" + "\x00\x00\x00\x00" + "\x00\x00\x00\x01"
		if _, err := conn.Write([]byte(payload)); err != nil {
			t.Fatal(err)
		}
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, _ = io.Copy(io.Discard, conn) // until the server closes it
		conn.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(logs.String(), "received GOAWAY") < connections && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	warnings, debug := 0, 0
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if msg, _ := m["msg"].(string); !strings.HasPrefix(msg, "http2: received GOAWAY") {
			continue
		}
		switch m["level"] {
		case "WARN":
			warnings++
		case "DEBUG":
			debug++
		}
	}
	if warnings != 1 || debug != connections-1 {
		t.Fatalf("%d warnings and %d debug lines for %d connections ended by a GOAWAY with an error code, want 1 and %d:\n%s", warnings, debug, connections, connections-1, logs.String())
	}
}

// TestTLSHandshakeFailuresWarnedOncePerInterval: a TLS handshake that
// failed for a reason (a client that does not trust the certificate, plain
// HTTP sent to the HTTPS port) was net/http's warning for each connection,
// which any client repeats as fast as it can connect: the first is a
// warning with the count of connections it stands for, then at most one a
// minute; each is a debug line.
func TestTLSHandshakeFailuresWarnedOncePerInterval(t *testing.T) {
	addr, logs := tlsServerLogging(t, true)
	const untrusting, plain = 3, 2
	for range untrusting {
		if conn, err := tls.Dial("tcp", addr, &tls.Config{}); err == nil {
			conn.Close()
			t.Fatal("a client without the development CA trusted the certificate")
		}
	}
	for range plain {
		resp, err := http.Get("http://" + addr + "/beta/me")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("plain HTTP to the HTTPS port: %d, want net/http's 400", resp.StatusCode)
		}
	}

	deadline := time.Now().Add(5 * time.Second)
	for strings.Count(logs.String(), "TLS handshake error") < untrusting+plain && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	var warnings []map[string]any
	debug := 0
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if msg, _ := m["msg"].(string); !strings.HasPrefix(msg, "http: TLS handshake error from ") {
			continue
		}
		switch m["level"] {
		case "WARN":
			warnings = append(warnings, m)
		case "DEBUG":
			debug++
		}
	}
	if len(warnings) != 1 || debug != untrusting+plain-1 {
		t.Fatalf("%d warnings and %d debug lines for %d failed handshakes, want 1 and %d: %v", len(warnings), debug, untrusting+plain, untrusting+plain-1, warnings)
	}
	if w := warnings[0]; w["connections"] != float64(1) {
		t.Errorf("the warning %v, want the first connection's error with connections 1", w)
	}
}

// tlsServerLogging starts a server over TLS (the development certificate)
// whose log, debug lines included, goes to the buffer it returns, as JSON
// lines or as text; it returns the server's host:port.
func tlsServerLogging(t *testing.T, jsonLines bool) (string, *logBuffer) {
	t.Helper()
	cert, err := tlsdev.LoadOrCreate(tlsdev.FilesFor(filepath.Join(t.TempDir(), "graphprofile.db")))
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	var handler slog.Handler = slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})
	if jsonLines {
		handler = slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})
	}
	srv, _, _ := openedServer(t, func(srv *graphapi.Server) {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		srv.Logger = slog.New(handler)
	})
	return srv.URL()[len("https://"):], logs
}
