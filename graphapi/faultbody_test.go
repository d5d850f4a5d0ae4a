package graphapi_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/tlsdev"
)

// TestFaultReadsTheBody: an injected fault (armed with the admin API, asked
// for with FaultHeader, or drawn by Server.Faults) stands for an answer
// Graph gives after reading the request, so it reads the request's body to
// its end before it answers, and answers on a connection that stays open.
// It answered without reading it: net/http reads up to 256 KiB of a body
// left unread before it writes an answer, but a bigger body, or one whose
// client waits for 100 Continue, was answered at once and its connection
// closed. A genuine refusal still does not wait for the body
// (TestRefusalDoesNotWaitForTheBody).
func TestFaultReadsTheBody(t *testing.T) {
	srv, _, dev := openedServer(t, func(s *graphapi.Server) { s.AdminToken = adminToken })
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	})
	tok, err := dev.Mint(mintDelegated(tenantA, userA1, upnOf(userA1), "User.ReadWrite"))
	if err != nil {
		t.Fatal(err)
	}
	arm := func(t *testing.T, fault, method string) {
		t.Helper()
		body := `{"fault":"` + fault + `","method":"` + method + `","path":"/profile/positions"}`
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/_admin/faults", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminToken)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("arming %s: %d", fault, resp.StatusCode)
		}
	}
	gzipOf := func(s string) string {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = io.WriteString(zw, s)
		_ = zw.Close()
		return b.String()
	}
	const item = `{"detail":{"jobTitle":"Engineer","company":{"displayName":"Contoso"}}}`
	big := `{"detail":{"jobTitle":"` + strings.Repeat("x", 600<<10) + `"}}`

	for _, tc := range []struct {
		name, method, fault, header string
		body, encoding              string
		expect                      bool // Expect: 100-continue
		status                      int
		code, retryAfter            string
	}{
		{name: "armed 429 on a POST", method: "POST", fault: "429;retry-after=2", body: item,
			status: http.StatusTooManyRequests, code: "TooManyRequests", retryAfter: "2"},
		{name: "armed 503 on a PATCH", method: "PATCH", fault: "503", body: item,
			status: http.StatusServiceUnavailable, code: "serviceNotAvailable", retryAfter: "1"},
		{name: "armed 504 on a gzip POST", method: "POST", fault: "504;retry-after=3", body: gzipOf(item), encoding: "gzip",
			status: http.StatusGatewayTimeout, code: "UnknownError", retryAfter: "3"},
		{name: "fault header 503 on a gzip POST", method: "POST", header: "503", body: gzipOf(item), encoding: "gzip",
			status: http.StatusServiceUnavailable, code: "serviceNotAvailable", retryAfter: "1"},
		{name: "fault header 429 on a chunked POST", method: "POST", header: "429", body: item, encoding: "chunked",
			status: http.StatusTooManyRequests, code: "TooManyRequests", retryAfter: "1"},
		// More than the 256 KiB net/http reads of a body left unread.
		{name: "armed 503 on a POST of 600 KiB", method: "POST", fault: "503", body: big,
			status: http.StatusServiceUnavailable, code: "serviceNotAvailable", retryAfter: "1"},
		{name: "armed 429 on a POST that expects 100-continue", method: "POST", fault: "429", body: item, expect: true,
			status: http.StatusTooManyRequests, code: "TooManyRequests", retryAfter: "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "/beta/me/profile/positions"
			if tc.method == http.MethodPatch {
				path += "/00000000-0000-4000-8000-000000000001"
			}
			if tc.fault != "" {
				arm(t, tc.fault, tc.method)
			}
			head := tc.method + " " + path + " HTTP/1.1\r\nHost: graph\r\nAuthorization: Bearer " + tok + "\r\nContent-Type: application/json\r\n"
			if tc.header != "" {
				head += graphapi.FaultHeader + ": " + tc.header + "\r\n"
			}
			if tc.expect {
				head += "Expect: 100-continue\r\n"
			}
			first, rest := tc.body[:len(tc.body)/2], tc.body[len(tc.body)/2:]
			switch tc.encoding {
			case "chunked":
				head += "Transfer-Encoding: chunked\r\n"
				first = strconv.FormatInt(int64(len(first)), 16) + "\r\n" + first + "\r\n"
				rest = strconv.FormatInt(int64(len(rest)), 16) + "\r\n" + rest + "\r\n0\r\n\r\n"
			case "gzip":
				head += "Content-Encoding: gzip\r\nContent-Length: " + strconv.Itoa(len(tc.body)) + "\r\n"
			default:
				head += "Content-Length: " + strconv.Itoa(len(tc.body)) + "\r\n"
			}
			conn, err := net.Dial("tcp", srv.URL()[len("http://"):])
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			br := bufio.NewReader(conn)
			if tc.expect {
				if _, err := io.WriteString(conn, head+"\r\n"); err != nil {
					t.Fatal(err)
				}
				_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				if resp.StatusCode != http.StatusContinue {
					t.Fatalf("answered %d to a head that expects 100-continue, want 100 Continue and the fault after the body", resp.StatusCode)
				}
				head = ""
			} else {
				head += "\r\n"
			}
			if _, err := io.WriteString(conn, head+first); err != nil {
				t.Fatal(err)
			}
			// Nothing may come while half the body is still to be sent.
			_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
			if b, err := br.Peek(1); err == nil || len(b) > 0 {
				line, _ := br.ReadString('\n')
				t.Fatalf("answered %q before the rest of the body was sent", line)
			} else if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
				t.Fatalf("before the rest of the body was sent: %v", err)
			}
			if _, err := io.WriteString(conn, rest); err != nil {
				t.Fatal(err)
			}
			_ = conn.SetReadDeadline(time.Now().Add(3 * time.Second))
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("no answer within 3 s of the whole body: %v", err)
			}
			data, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d %s, want %d", resp.StatusCode, data, tc.status)
			}
			var env struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(data, &env); err != nil || env.Error.Code != tc.code || env.Error.Message != faultMessages[tc.code] {
				t.Errorf("body %s, want Graph's %s error", data, tc.code)
			}
			if got := resp.Header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After %q, want %q", got, tc.retryAfter)
			}
			if resp.Close {
				t.Fatal("Connection: close after a fault whose body was read whole; want the connection kept")
			}
			// The same connection serves the next request.
			if _, err := io.WriteString(conn, "GET /beta/me/profile/positions HTTP/1.1\r\nHost: graph\r\nAuthorization: Bearer "+tok+"\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			next, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("the next request on the connection: %v", err)
			}
			data, _ = io.ReadAll(next.Body)
			next.Body.Close()
			if next.StatusCode != http.StatusOK || !strings.Contains(string(data), `"value":[]`) {
				t.Errorf("the next request on the connection: %d %s, want the empty list (the faulted write did nothing)", next.StatusCode, data)
			}
		})
	}
}

// TestFaultReadsTheBodyHTTP2: over HTTP/2 too (a client of https
// negotiates it), a fault answers only once the body came whole, of any
// length, known or not, where it answered at once and reset the stream
// while the client was still sending the body.
func TestFaultReadsTheBodyHTTP2(t *testing.T) {
	cert, err := tlsdev.LoadOrCreate(tlsdev.FilesFor(filepath.Join(t.TempDir(), "graphprofile.db")))
	if err != nil {
		t.Fatal(err)
	}
	open := func(configure func(*graphapi.Server)) (*graphapi.Server, string) {
		srv, _, dev := openedServer(t, func(s *graphapi.Server) {
			s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
			configure(s)
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
		return srv, tok
	}
	admin, adminTok := open(func(s *graphapi.Server) { s.AdminToken = adminToken })
	// Random faults, without the admin API (and its journal).
	random, randomTok := open(func(s *graphapi.Server) { s.Faults = graphapi.Faults{ServiceUnavailable: 1} })

	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
		ForceAttemptHTTP2: true,
	}}
	defer client.CloseIdleConnections()
	const item = `{"detail":{"jobTitle":"Engineer","company":{"displayName":"Contoso"}}}`
	big := `{"detail":{"jobTitle":"` + strings.Repeat("x", 100<<10) + `"}}`
	for _, tc := range []struct {
		name, fault, body string
		srv               *graphapi.Server
		tok               string
		unknownLength     bool
		status            int
	}{
		{"fault header 429", "429;retry-after=2", item, admin, adminTok, false, http.StatusTooManyRequests},
		{"fault header 503, length unknown", "503", item, admin, adminTok, true, http.StatusServiceUnavailable},
		{"fault header 504, 100 KiB", "504", big, admin, adminTok, false, http.StatusGatewayTimeout},
		{"random 503", "", item, random, randomTok, false, http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			var restSent atomic.Bool
			sent := make(chan error, 1)
			go func() {
				_, _ = io.WriteString(pw, tc.body[:len(tc.body)/2])
				time.Sleep(300 * time.Millisecond)
				restSent.Store(true)
				_, err := io.WriteString(pw, tc.body[len(tc.body)/2:])
				_ = pw.Close()
				sent <- err
			}()
			req, _ := http.NewRequest(http.MethodPost, tc.srv.URL()+"/beta/me/profile/positions", pr)
			req.ContentLength = int64(len(tc.body))
			if tc.unknownLength {
				req.ContentLength = -1
			}
			req.Header.Set("Authorization", "Bearer "+tc.tok)
			req.Header.Set("Content-Type", "application/json")
			if tc.fault != "" {
				req.Header.Set(graphapi.FaultHeader, tc.fault)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			answered := restSent.Load()
			data, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.ProtoMajor != 2 {
				t.Fatalf("answered over %s, want HTTP/2", resp.Proto)
			}
			if !answered {
				t.Errorf("answered %d before the rest of the body was sent", resp.StatusCode)
			}
			// net/http's client waits for the body it sends before it
			// returns an answer, and abandons it when the server answers
			// first.
			if err := <-sent; err != nil {
				t.Errorf("the rest of the body could not be sent: %v; want the server to read it", err)
			}
			if resp.StatusCode != tc.status || !strings.Contains(string(data), `"innerError"`) {
				t.Errorf("answered %d %s, want the fault's %d", resp.StatusCode, data, tc.status)
			}
			if resp.Header.Get("Retry-After") == "" {
				t.Error("no Retry-After")
			}
		})
	}
}

// TestFaultRefusesABodyAsAnyBody: a fault reads the body within the limits
// every body is read within, and refuses it as a request without a fault
// is refused: a body over MaxBodyBytes (announced, or inflated from gzip)
// is 413 at once; gzip that is not is 400; a body that stalls meets the
// read deadline.
func TestFaultRefusesABodyAsAnyBody(t *testing.T) {
	srv, _, dev := openedServer(t, func(s *graphapi.Server) {
		s.AdminToken = adminToken
		s.Timeouts = graphapi.DefaultTimeouts()
		s.Timeouts.Read = time.Second
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
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	_, _ = zw.Write(make([]byte, graphapi.MaxBodyBytes+1))
	_ = zw.Close()
	send := func(t *testing.T, fault, headers, body string, wait time.Duration) *http.Response {
		t.Helper()
		conn, err := net.Dial("tcp", srv.URL()[len("http://"):])
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		head := "POST /beta/me/profile/positions HTTP/1.1\r\nHost: graph\r\nAuthorization: Bearer " + tok + "\r\nContent-Type: application/json\r\n" + headers
		if fault != "" {
			head += graphapi.FaultHeader + ": " + fault + "\r\n"
		}
		if _, err := io.WriteString(conn, head+"\r\n"+body); err != nil {
			t.Fatal(err)
		}
		_ = conn.SetReadDeadline(time.Now().Add(wait))
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer within %s: %v", wait, err)
		}
		_, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp
	}
	for _, tc := range []struct {
		name, headers, body string
		status              int
	}{
		{"announced over the limit", "Content-Length: " + strconv.Itoa(graphapi.MaxBodyBytes+1) + "\r\n", `{"detail":`, http.StatusRequestEntityTooLarge},
		{"gzip inflating over the limit", "Content-Encoding: gzip\r\nContent-Length: " + strconv.Itoa(bomb.Len()) + "\r\n", bomb.String(), http.StatusRequestEntityTooLarge},
		{"not gzip", "Content-Encoding: gzip\r\nContent-Length: 10\r\n", `{"detail":`, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plain := send(t, "", tc.headers, tc.body, 3*time.Second)
			faulted := send(t, "503", tc.headers, tc.body, 3*time.Second)
			if faulted.StatusCode != tc.status {
				t.Errorf("status %d, want %d", faulted.StatusCode, tc.status)
			}
			if faulted.StatusCode != plain.StatusCode || faulted.Close != plain.Close {
				t.Errorf("with a fault: %d (close %v); without: %d (close %v); want the same", faulted.StatusCode, faulted.Close, plain.StatusCode, plain.Close)
			}
		})
	}
	t.Run("stalled", func(t *testing.T) {
		// The head and ten bytes of a body of 100; the rest never comes.
		plain := send(t, "", "Content-Length: 100\r\n", `{"detail":`, 5*time.Second)
		faulted := send(t, "503", "Content-Length: 100\r\n", `{"detail":`, 5*time.Second)
		if faulted.StatusCode != plain.StatusCode || faulted.Close != plain.Close {
			t.Errorf("a stalled body with a fault: %d (close %v); without: %d (close %v); want the same", faulted.StatusCode, faulted.Close, plain.StatusCode, plain.Close)
		}
	})
}
