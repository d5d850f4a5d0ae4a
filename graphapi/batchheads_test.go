package graphapi_test

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/tlsdev"
)

// TestBatchItemsAreNoStreamHeads: over HTTP/2 a stream's head draws on the
// heads' budget (what it holds past 16 KiB, until its answer is sent), and
// a stream whose head finds no room is refused, 431 without a body. A
// $batch item is no stream: its headers came in the batch's body, read
// within the bodies' limits, and the batch's own head was counted. Yet each
// item was counted as a head of its own when the batch came over HTTP/2,
// so that with the budget taken (clients trickling big heads) an item with
// 20 KB of headers answered 431 with no body, not in Graph's envelope, in
// no log, where the same batch over HTTP/1.1 ran it; and the items of an
// unread batch answer held the budget besides. An item is now run as its
// batch's part on every protocol.
func TestBatchItemsAreNoStreamHeads(t *testing.T) {
	cert, err := tlsdev.LoadOrCreate(tlsdev.FilesFor(filepath.Join(t.TempDir(), "graphprofile.db")))
	if err != nil {
		t.Fatal(err)
	}
	s := newTestServer(t, func(srv *graphapi.Server) {
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
	})
	h2 := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{InsecureSkipVerify: true},
		ForceAttemptHTTP2: true,
	}}
	h1 := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
		TLSNextProto:    map[string]func(string, *tls.Conn) http.RoundTripper{},
	}}
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")

	// Take the heads' budget: HTTP/1.1 heads that never end, on
	// connections of their own (each holds what it read past 16 KiB until
	// the header timeout): 100 KB ones for most of it, then 24 KB ones,
	// which hold one 8 KiB step each, until a stream whose head needs a
	// step (20 KB) is refused.
	addr := strings.TrimPrefix(s.url, "https://")
	hold := func(size int) {
		conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"http/1.1"}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		// A write the server does not read to its end (it closes the
		// connections it has no room for) must not hold the test.
		_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		go fmt.Fprintf(conn, "GET /beta/me HTTP/1.1\r\nHost: x\r\nX-Padding: %s", strings.Repeat("a", size))
	}
	for range graphapi.HeadBudgetBytes / (100 << 10) {
		hold(100_000)
	}
	probe := func() int {
		req, _ := http.NewRequest(http.MethodGet, s.url+"/healthz", nil)
		req.Header.Set("X-Padding", strings.Repeat("p", 20_000))
		resp, err := h2.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.ProtoMajor != 2 {
			t.Fatalf("the client speaks %s, want HTTP/2", resp.Proto)
		}
		return resp.StatusCode
	}
	for i := 0; ; i++ {
		if i == 100 {
			t.Fatal("the heads' budget was not taken")
		}
		hold(24_000)
		time.Sleep(20 * time.Millisecond) // for the server to read it
		if probe() == http.StatusRequestHeaderFieldsTooLarge {
			break
		}
	}

	// A batch with a small head and an item with 20 KB of headers.
	batch, _ := json.Marshal(map[string]any{"requests": []any{map[string]any{
		"id": "1", "method": "GET", "url": "/me?$select=id", "headers": map[string]string{"X-Padding": strings.Repeat("b", 20_000)},
	}}})
	for _, c := range []struct {
		proto  string
		major  int
		client *http.Client
	}{{"HTTP/2", 2, h2}, {"HTTP/1.1", 1, h1}} {
		t.Run(c.proto, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, s.url+"/beta/$batch", strings.NewReader(string(batch)))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			resp, err := c.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got struct {
				Responses []struct {
					ID     string          `json:"id"`
					Status int             `json:"status"`
					Body   json.RawMessage `json:"body"`
				} `json:"responses"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil || resp.StatusCode != http.StatusOK || resp.ProtoMajor != c.major {
				t.Fatalf("the batch: %s %d, %v", resp.Proto, resp.StatusCode, err)
			}
			if len(got.Responses) != 1 || got.Responses[0].Status != http.StatusOK || !strings.Contains(string(got.Responses[0].Body), userA1) {
				t.Errorf("the item: %+v, want 200 with the caller's id", got.Responses)
			}
		})
	}
}
