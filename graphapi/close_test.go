package graphapi_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/sqlite"
	"github.com/graphprofile/graphprofile/tlsdev"
	"github.com/graphprofile/graphprofile/token"
)

// TestCloseCutsOffWhatTheDrainLeft: when Close's context ends before an
// in-flight request does, Close closes that request's connection before it
// returns, so that what the caller does next (serve closes the store) can
// no longer reach the client: a request still in flight when the drain
// timeout passes gets no answer, never the 500 of a store closed under it.
func TestCloseCutsOffWhatTheDrainLeft(t *testing.T) {
	srv, store, dev := openedServer(t, nil)
	tok, err := dev.Mint(mintDelegated(tenantA, userA1, upnOf(userA1), "User.ReadWrite"))
	if err != nil {
		t.Fatal(err)
	}

	// A create whose body has not all arrived: in flight until the rest comes.
	conn, err := net.Dial("tcp", srv.URL()[len("http://"):])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"detail":{"jobTitle":"cut off"}}`
	head := "POST /beta/me/profile/positions HTTP/1.1\r\nHost: graph\r\nAuthorization: Bearer " + tok +
		"\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n"
	if _, err := io.WriteString(conn, head+body[:5]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // let the server take the request in

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if err := srv.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close with a request in flight past its deadline: %v, want %v", err, context.DeadlineExceeded)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	// The rest of the body comes after the store closed: the client must
	// get no answer (its connection was closed), not a 500.
	io.WriteString(conn, body[5:])
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err == nil {
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		t.Fatalf("a request cut off by Close was answered %s: %s", resp.Status, got)
	}
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the connection of a request cut off by Close is still open 5 s after Close returned")
	}
}

// TestCloseDoesNotWaitForSilentConnections: a connection that has sent
// nothing (a browser's or a pool's spare, opened ahead of a request) has no
// request in flight: Close closes it at once, as it closes idle kept-alive
// connections, instead of waiting for it (net/http gives a new connection
// 5 s to start its request), so a shutdown takes no longer for it and does
// not report requests cut off when the drain is shorter.
func TestCloseDoesNotWaitForSilentConnections(t *testing.T) {
	srv, _, _ := openedServer(t, nil)
	silent, err := net.Dial("tcp", srv.URL()[len("http://"):])
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	time.Sleep(100 * time.Millisecond) // accepted, and waiting for a request

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Close(ctx); err != nil {
		t.Fatalf("Close with only a silent connection open: %v after %v, want nil", err, time.Since(start).Round(time.Millisecond))
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close took %v with only a silent connection open, want well under 1 s", took.Round(time.Millisecond))
	}
	silent.SetReadDeadline(time.Now().Add(time.Second))
	if n, err := silent.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("the silent connection after Close: read %d bytes, %v; want it closed (EOF) without an answer", n, err)
	}
}

// TestCloseWithEveryConnectionBusy: with every --max-connections slot
// taken by a request in flight, a further connection is accepted and waits
// for a slot; Close must still return once its context ends (net/http's
// Shutdown and Close wait for the accept loop, which used to wait for that
// slot until a request ended: up to the read timeout, 60 s).
func TestCloseWithEveryConnectionBusy(t *testing.T) {
	srv, _, dev := openedServer(t, func(srv *graphapi.Server) { srv.MaxConnections = 1 })
	tok, err := dev.Mint(mintDelegated(tenantA, userA1, upnOf(userA1), "User.ReadWrite"))
	if err != nil {
		t.Fatal(err)
	}
	addr := srv.URL()[len("http://"):]
	busy, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	// A create whose body has not all arrived, read by its handler, holds
	// the only slot. (A refused one is answered, and its connection
	// closed, at once: TestRefusalDoesNotWaitForTheBody.)
	if _, err := io.WriteString(busy, "POST /beta/me/profile/positions HTTP/1.1\r\nHost: graph\r\nAuthorization: Bearer "+tok+"\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	waiting, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer waiting.Close()
	time.Sleep(100 * time.Millisecond) // accepted, and waiting for the slot

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- srv.Close(ctx) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Close with a request in flight past its deadline: %v, want %v", err, context.DeadlineExceeded)
		}
	case <-time.After(3 * time.Second):
		busy.Close() // lets the slot go, and Close return
		<-done
		t.Fatal("Close did not return 3 s after its 200 ms deadline while a new connection waited for a slot")
	}
}

// TestCloseDoesNotWaitForSilentTLSConnections: under TLS too, a connection
// that has sent nothing, not even the first byte of its TLS handshake (a
// browser's spare, a load balancer's TCP check), holds no request: Close
// closes it at once instead of waiting the 5 s net/http gives a new
// connection, which made serve --tls-self-signed --drain-timeout 1s exit 1
// ("draining in-flight requests") with no request in flight. A connection
// that has begun its handshake is still waited for.
func TestCloseDoesNotWaitForSilentTLSConnections(t *testing.T) {
	cert, err := tlsdev.LoadOrCreate(tlsdev.FilesFor(filepath.Join(t.TempDir(), "graphprofile.db")))
	if err != nil {
		t.Fatal(err)
	}
	srv, _, _ := openedServer(t, func(srv *graphapi.Server) {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	})
	silent, err := net.Dial("tcp", srv.URL()[len("https://"):])
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	time.Sleep(100 * time.Millisecond) // accepted, and waiting for a handshake

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	start := time.Now()
	if err := srv.Close(ctx); err != nil {
		t.Fatalf("Close with only a silent TLS connection open: %v after %v, want nil", err, time.Since(start).Round(time.Millisecond))
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("Close took %v with only a silent TLS connection open, want well under 1 s", took.Round(time.Millisecond))
	}
	silent.SetReadDeadline(time.Now().Add(time.Second))
	if n, err := silent.Read(make([]byte, 1)); err != io.EOF {
		t.Errorf("the silent TLS connection after Close: read %d bytes, %v; want it closed (EOF) without an answer", n, err)
	}
}

// openedServer opens a Server listening on 127.0.0.1 over a new SQLite
// store, with the development issuer whose tokens it accepts, after
// configure (nil: none) has set what a test needs; the store closes when
// the test ends, if the test has not closed it.
func openedServer(t *testing.T, configure func(*graphapi.Server)) (*graphapi.Server, *sqlite.Store, *token.DevIssuer) {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "graphprofile.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	dev, err := token.LoadOrCreateDevIssuer(filepath.Join(dir, "graphprofile.db-devkey.pem"))
	if err != nil {
		t.Fatal(err)
	}
	srv := &graphapi.Server{
		Service:       &graphprofile.Service{Store: store},
		Authenticator: token.NewValidator(nil, dev),
		Addr:          "127.0.0.1:0",
	}
	if configure != nil {
		configure(srv)
	}
	if err := srv.Open(); err != nil {
		t.Fatal(err)
	}
	return srv, store, dev
}
