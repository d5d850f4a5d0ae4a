package graphapi_test

import (
	"bufio"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/graphapi"
)

// TestExpectContinue: a client sending "Expect: 100-continue" waits for
// the server before it sends the body. A request refused before its body
// is read (no token, a wrong Content-Type, a Content-Length over the
// limit, a wrong method) is answered at once, without 100 Continue and
// without the body ever coming, and one that is served gets 100 Continue
// and then its answer; with the admin API's journal on or off (the
// journal records what the handler reads of the body, and must not keep
// net/http from seeing that the client still waits).
func TestExpectContinue(t *testing.T) {
	for _, journal := range []bool{false, true} {
		t.Run(fmt.Sprintf("journal=%v", journal), func(t *testing.T) {
			var s *testServer
			if journal {
				s, _ = newAdminServer(t)
			} else {
				s = newTestServer(t)
			}
			tok := s.delegated(tenantA, userA1, "User.ReadWrite")
			addr := strings.TrimPrefix(s.url, "http://")
			body := `{"detail":{"jobTitle":"Engineer"}}`
			head := func(method, auth, contentType string, length int) string {
				h := method + " /beta/me/profile/positions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
				if auth != "" {
					h += "Authorization: Bearer " + auth + "\r\n"
				}
				return h + fmt.Sprintf("Content-Type: %s\r\nContent-Length: %d\r\n\r\n", contentType, length)
			}
			refused := []struct {
				name, head string
				status     int
			}{
				{"no token", head("POST", "", "application/json", len(body)), http.StatusUnauthorized},
				{"text/plain", head("POST", tok, "text/plain", len(body)), http.StatusUnsupportedMediaType},
				{"over the limit", head("POST", tok, "application/json", 5<<20), http.StatusRequestEntityTooLarge},
				{"PUT", head("PUT", tok, "application/json", len(body)), http.StatusMethodNotAllowed},
			}
			for _, c := range refused {
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
				if _, err := conn.Write([]byte(c.head)); err != nil {
					t.Fatal(err)
				}
				resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
				conn.Close()
				if err != nil {
					t.Errorf("%s: no answer without the body within 3 s: %v", c.name, err)
					continue
				}
				resp.Body.Close()
				if resp.StatusCode != c.status {
					t.Errorf("%s: %d, want %d", c.name, resp.StatusCode, c.status)
				}
			}

			// Without Expect, a body announced over the limit and not sent
			// (yet) is refused at once too: net/http closes the connection
			// rather than reading what is left of it.
			upload, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			_ = upload.SetDeadline(time.Now().Add(3 * time.Second))
			if _, err := upload.Write([]byte(strings.Replace(head("POST", tok, "application/json", 5<<20), "Expect: 100-continue\r\n", "", 1) + "{")); err != nil {
				t.Fatal(err)
			}
			if resp, err := http.ReadResponse(bufio.NewReader(upload), nil); err != nil {
				t.Errorf("a body announced over the limit: no answer within 3 s: %v", err)
			} else if resp.Body.Close(); resp.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("a body announced over the limit: %d, want 413", resp.StatusCode)
			}
			upload.Close()

			conn, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
			if _, err := conn.Write([]byte(head("POST", tok, "application/json", len(body)))); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(conn)
			interim, err := http.ReadResponse(br, nil)
			if err != nil || interim.StatusCode != http.StatusContinue {
				t.Fatalf("before the body: %v %v, want 100 Continue", interim, err)
			}
			if _, err := conn.Write([]byte(body)); err != nil {
				t.Fatal(err)
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				t.Errorf("with the body: %d, want 201", resp.StatusCode)
			}
			if journal {
				entries := s.journal(t, "?method=POST&status=201")
				if len(entries) != 1 || entries[0].Request.Body != body {
					t.Errorf("the journal kept %+v, want the created request with its body", entries)
				}
			}
		})
	}
}

// TestBodyEndsEarly: a body that ends before its Content-Length (the
// client stops sending and half-closes) is 400 saying so; for a plain
// body, no word of gzip, which it never was.
func TestBodyEndsEarly(t *testing.T) {
	s := newTestServer(t)
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	addr := strings.TrimPrefix(s.url, "http://")
	gzipped := func(s string) string {
		var b strings.Builder
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write([]byte(s))
		_ = zw.Close()
		return b.String()
	}
	body := `{"detail":{"jobTitle":"Engineer"}}`
	for _, c := range []struct {
		name, encoding, sent string
		gzipWord             bool
	}{
		{"plain", "", body, false},
		{"gzip", "gzip", gzipped(body), true},
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		head := "POST /beta/me/profile/positions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok + "\r\nContent-Type: application/json\r\n"
		if c.encoding != "" {
			head += "Content-Encoding: " + c.encoding + "\r\n"
		}
		head += fmt.Sprintf("Content-Length: %d\r\n\r\n", len(c.sent)+100)
		if _, err := conn.Write([]byte(head + c.sent)); err != nil {
			t.Fatal(err)
		}
		_ = conn.(*net.TCPConn).CloseWrite()
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		conn.Close()
		var env struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		_ = json.Unmarshal(data, &env)
		if resp.StatusCode != http.StatusBadRequest || env.Error.Code != "BadRequest" {
			t.Errorf("%s: %d %s, want 400 BadRequest", c.name, resp.StatusCode, data)
		}
		if !strings.Contains(env.Error.Message, "ended") || strings.Contains(env.Error.Message, "gzip") != c.gzipWord {
			t.Errorf("%s: message %q", c.name, env.Error.Message)
		}
	}
}

// TestHalfClosedClientGetsNoFalseAnswer: a client that sends its request
// and then half-closes the connection (shutdown of its writing side, as
// nc -N does) makes net/http cancel the request's context, as for a
// client that hung up. A request that stops there has no answer (the
// documented "no answer" of a client that hangs up), never net/http's
// implicit 200 with an empty body, which such a client would read as a
// success: a DELETE of the profile that deleted nothing, an empty GET.
func TestHalfClosedClientGetsNoFalseAnswer(t *testing.T) {
	s := newTestServer(t, withAdminToken("admin-token-for-faults"))
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	s.create(tok, "/me", `{"detail":{"jobTitle":"Kept"}}`)
	addr := strings.TrimPrefix(s.url, "http://")
	for _, method := range []string{http.MethodGet, http.MethodDelete} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		// The handler waits 300 ms (an injected latency) and finds the
		// context canceled by the half-close.
		req := method + " /beta/me/profile HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok + "\r\n" + graphapi.FaultHeader + ": latency=300ms\r\n\r\n"
		if _, err := conn.Write([]byte(req)); err != nil {
			t.Fatal(err)
		}
		_ = conn.(*net.TCPConn).CloseWrite()
		got, err := io.ReadAll(conn)
		conn.Close()
		if err != nil {
			t.Fatalf("%s: %v", method, err)
		}
		if len(got) > 0 {
			status, _, _ := strings.Cut(string(got), "\r\n")
			t.Errorf("%s of a request whose context was canceled: answered %q (%d bytes), want no answer", method, status, len(got))
		}
	}
	if n := s.do(request{path: "/beta/me/profile/positions/$count", token: tok}); string(n.body) != "1" {
		t.Errorf("the position count is %s, want 1: the DELETE did not run", n.body)
	}
}
