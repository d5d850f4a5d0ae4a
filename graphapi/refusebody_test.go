package graphapi_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/tlsdev"
)

// TestRefusalDoesNotWaitForTheBody: a request refused before its body is
// read (a bad token, an unknown path, a wrong media type) is answered at
// once, its connection closed after, even when the rest of its body never
// comes. net/http reads what is left of an unread body (up to 256 KiB)
// before it writes an answer, to keep the connection, so such a refusal
// waited for the body until the 60 s read timeout: a client stalling its
// bodies held connections that long for nothing, and a shutdown's drain
// waited on them.
func TestRefusalDoesNotWaitForTheBody(t *testing.T) {
	t.Run("", func(t *testing.T) { testRefusalDoesNotWaitForTheBody(t, nil) })
	// The admin API's journal records a body the handler did not read: it
	// waited for the rest of it, so a refusal did too.
	t.Run("journal on", func(t *testing.T) {
		testRefusalDoesNotWaitForTheBody(t, func(s *graphapi.Server) { s.AdminToken = "admin-secret" })
	})
}

func testRefusalDoesNotWaitForTheBody(t *testing.T, configure func(*graphapi.Server)) {
	srv, _, dev := openedServer(t, func(s *graphapi.Server) {
		// A web UI that reads no body, as its files do.
		s.UI = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
		if configure != nil {
			configure(s)
		}
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})
	tok, err := dev.Mint(mintDelegated(tenantA, userA1, upnOf(userA1), "User.ReadWrite"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, head string
		status     int
	}{
		{"bad token", "POST /beta/me/profile/positions HTTP/1.1\r\nHost: graph\r\nAuthorization: Bearer nonsense\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", http.StatusUnauthorized},
		{"unknown path", "POST /beta/me/profile/nonsense HTTP/1.1\r\nHost: graph\r\nAuthorization: Bearer " + tok + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n", http.StatusBadRequest},
		{"wrong media type", "POST /beta/me/profile/positions HTTP/1.1\r\nHost: graph\r\nAuthorization: Bearer " + tok + "\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n", http.StatusUnsupportedMediaType},
		{"chunked, bad token", "POST /beta/me/profile/positions HTTP/1.1\r\nHost: graph\r\nAuthorization: Bearer nonsense\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n", http.StatusUnauthorized},
		// Nor does an answer that reads no body: 512 of these, 70 bytes
		// each and no token, held every connection for the 60 s read
		// timeout, and another client waited that long.
		{"health with a body", "GET /healthz HTTP/1.1\r\nHost: graph\r\nContent-Length: 100\r\n\r\n", http.StatusOK},
		{"metadata with a body", "GET /beta/$metadata HTTP/1.1\r\nHost: graph\r\nContent-Length: 100\r\n\r\n", http.StatusOK},
		{"a list with a body", "GET /beta/me/profile/positions HTTP/1.1\r\nHost: graph\r\nAuthorization: Bearer " + tok + "\r\nContent-Length: 100\r\n\r\n", http.StatusOK},
		// A chunked body whose first chunk never comes: asking the body
		// whether it ended read the chunk's head, and waited for it.
		{"health, chunked, no chunk", "GET /healthz HTTP/1.1\r\nHost: graph\r\nTransfer-Encoding: chunked\r\n\r\n", http.StatusOK},
		{"bad token, chunked, no chunk", "POST /beta/me/profile/positions HTTP/1.1\r\nHost: graph\r\nAuthorization: Bearer nonsense\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", http.StatusUnauthorized},
		{"the web UI with a body", "GET /ui/ HTTP/1.1\r\nHost: graph\r\nContent-Length: 100\r\n\r\n", http.StatusOK},
		// A client waiting to be told to go on (Expect: 100-continue),
		// refused first: it sends no body, and net/http waited for one
		// after the answer until the read timeout.
		{"bad token, waiting to go on", "POST /beta/me/profile/positions HTTP/1.1\r\nHost: graph\r\nAuthorization: Bearer nonsense\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 100\r\n\r\n", http.StatusUnauthorized},
		{"health, waiting to go on", "GET /healthz HTTP/1.1\r\nHost: graph\r\nExpect: 100-continue\r\nContent-Length: 100\r\n\r\n", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.URL()[len("http://"):])
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			// The head and ten bytes of the body (none of a chunked one
			// whose first chunk never comes); the rest never comes.
			rest := `{"detail":`
			if strings.HasSuffix(tc.head, "chunked\r\n\r\n") || strings.Contains(tc.head, "Expect:") {
				rest = ""
			}
			if _, err := io.WriteString(conn, tc.head+rest); err != nil {
				t.Fatal(err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
			answer := bufio.NewReader(conn)
			resp, err := http.ReadResponse(answer, nil)
			if err != nil {
				t.Fatalf("no answer within 3 s while the body stalls: %v", err)
			}
			if _, err := io.Copy(io.Discard, resp.Body); err != nil {
				t.Fatalf("the answer's body: %v", err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if !resp.Close {
				t.Error("the connection is kept, with the rest of the body unread on it; want Connection: close")
			}
			// And the connection is closed once answered: net/http went on
			// reading what was left of the body (up to 256 KiB) after the
			// answer, so the connection stayed open, counted against
			// --max-connections, until the 60 s read timeout; 512 such
			// requests, 70 bytes each and no token, kept every other client
			// out, and a shutdown's drain waited on them.
			_, err = answer.ReadByte()
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("the connection is still open 3 s after its answer, waiting for the rest of the body")
			}
			if err != io.EOF {
				t.Fatalf("after the answer: %v, want the connection closed (EOF)", err)
			}
		})
	}
}

// TestRefusalWhileTheBodyComes: a request refused while its client is
// still sending the body (an upload of 100 KB without a token, sent a
// piece at a time) gets its answer, and then the connection's orderly
// close, not a reset: a connection closed with bytes of the body unread
// is reset, and a client reset while it sends may lose the answer
// already on its way (Python's clients did, over TLS, 29 times in 30).
func TestRefusalWhileTheBodyComes(t *testing.T) {
	srv, _, _ := openedServer(t, nil)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})
	const size, piece = 100 << 10, 8 << 10
	for round := range 5 {
		conn, err := net.Dial("tcp", srv.URL()[len("http://"):])
		if err != nil {
			t.Fatal(err)
		}
		head := fmt.Sprintf("POST /beta/me/profile/positions HTTP/1.1\r\nHost: graph\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", size)
		sent := make(chan error, 1)
		go func() {
			_, err := io.WriteString(conn, head)
			for left := size; err == nil && left > 0; left -= piece {
				time.Sleep(5 * time.Millisecond)
				_, err = conn.Write(make([]byte, min(piece, left)))
			}
			sent <- err
		}()
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		answer := bufio.NewReader(conn)
		resp, err := http.ReadResponse(answer, nil)
		if err != nil {
			conn.Close()
			t.Fatalf("round %d: no answer: %v", round, err)
		}
		if _, err := io.Copy(io.Discard, resp.Body); err != nil {
			t.Errorf("round %d: the answer's body: %v", round, err)
		}
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("round %d: status %d, want 401", round, resp.StatusCode)
		}
		if err := <-sent; err != nil {
			t.Errorf("round %d: sending the body: %v (the server stopped reading it)", round, err)
		}
		if _, err := answer.ReadByte(); err != io.EOF {
			t.Errorf("round %d: after the answer and the whole body: %v, want the connection closed in order (EOF), not reset", round, err)
		}
		conn.Close()
	}
}

// TestJournalShowsARefusedBodyHTTP2: over HTTP/2 too, the journal shows
// the body of a request refused before it was read (a 401), as it does
// over HTTP/1.1: it showed "" for it, since it read the rest of an unread
// body over HTTP/1 only.
func TestJournalShowsARefusedBodyHTTP2(t *testing.T) {
	cert, err := tlsdev.LoadOrCreate(tlsdev.FilesFor(filepath.Join(t.TempDir(), "graphprofile.db")))
	if err != nil {
		t.Fatal(err)
	}
	srv, _, _ := openedServer(t, func(s *graphapi.Server) {
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		s.AdminToken = adminToken
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, ForceAttemptHTTP2: true}}
	defer client.CloseIdleConnections()
	const body = `{"displayName":"x"}`
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/beta/me/profile/skills", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer bogus.token.x")
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.ProtoMajor != 2 || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("%s %d, want HTTP/2 and 401", resp.Proto, resp.StatusCode)
	}
	req, _ = http.NewRequest(http.MethodGet, srv.URL()+"/_admin/requests?path=skills", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err = client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var journal struct {
		Requests []struct {
			Request  struct{ Body string }
			Response struct{ Status int }
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&journal); err != nil {
		t.Fatal(err)
	}
	if len(journal.Requests) != 1 || journal.Requests[0].Response.Status != http.StatusUnauthorized {
		t.Fatalf("journal %+v, want the one 401", journal.Requests)
	}
	if got := journal.Requests[0].Request.Body; got != body {
		t.Errorf("the refused request's body in the journal: %q, want %q", got, body)
	}
}
