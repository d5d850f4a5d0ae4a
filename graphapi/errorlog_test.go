package graphapi_test

import (
	"crypto/tls"
	"log/slog"
	"net"
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
	cert, err := tlsdev.LoadOrCreate(tlsdev.FilesFor(filepath.Join(t.TempDir(), "graphprofile.db")))
	if err != nil {
		t.Fatal(err)
	}
	var logs logBuffer
	srv, _, _ := openedServer(t, func(srv *graphapi.Server) {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		srv.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	addr := srv.URL()[len("https://"):]

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
