package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
)

// The markers cmd/graphprofile-bench checks answers for.
const (
	contextPrefix = `{"@odata.context":`
	idKey         = `"id":"`
	itemMarker    = `"createdDateTime":`
)

func TestCannedSizesAndShapes(t *testing.T) {
	for _, size := range []int{400, 1430, 1431, 5000} {
		body, off, err := cannedEntity(size)
		if err != nil {
			t.Fatal(err)
		}
		if len(body) != size || !json.Valid(body) || !bytes.HasPrefix(body, []byte(contextPrefix)) {
			t.Errorf("cannedEntity(%d): %d bytes, valid %v: %s", size, len(body), json.Valid(body), body)
		}
		if first := bytes.Index(body, []byte(idKey)); first+len(idKey) != off || string(body[off:off+guidLen]) != cannedGUID {
			t.Errorf("cannedEntity(%d): id offset %d, first id key at %d", size, off, first)
		}
	}
	for _, tt := range []struct{ size, items int }{{14200, 10}, {3000, 10}, {500, 0}, {100000, 75}} {
		body, err := cannedList(tt.size, tt.items)
		if err != nil {
			t.Fatal(err)
		}
		var list struct {
			Value []map[string]any `json:"value"`
		}
		if len(body) != tt.size || json.Unmarshal(body, &list) != nil || len(list.Value) != tt.items ||
			bytes.Count(body, []byte(itemMarker)) != tt.items || !bytes.HasSuffix(body, []byte("]}")) ||
			!bytes.HasPrefix(body, []byte(contextPrefix)) {
			t.Errorf("cannedList(%d, %d): %d bytes, %d items: %s", tt.size, tt.items, len(body), len(list.Value), body)
		}
	}
	for _, tt := range []struct{ size, items int }{{141338, 10}, {20000, 10}, {2000, 0}, {6000, 1}} {
		body, err := cannedProfile(tt.size, tt.items)
		if err != nil {
			t.Fatal(err)
		}
		var profile map[string]any
		if len(body) != tt.size || json.Unmarshal(body, &profile) != nil || !bytes.HasPrefix(body, []byte(contextPrefix)) ||
			!bytes.HasSuffix(body, []byte("]}")) || bytes.Count(body, []byte(itemMarker)) != tt.items*len(graphprofile.ProfileCollections()) {
			t.Errorf("cannedProfile(%d, %d): %d bytes: %.300s", tt.size, tt.items, len(body), body)
			continue
		}
		// Every collection of the profile, in schema order, as
		// graphprofile writes them, each with its items.
		at := 0
		for _, c := range graphprofile.ProfileCollections() {
			key := []byte(`"` + c.Name + `":[`)
			i := bytes.Index(body[at:], key)
			if items, _ := profile[c.Name].([]any); i < 0 || len(items) != tt.items {
				t.Errorf("cannedProfile(%d, %d): %s at %d after %d, %d items", tt.size, tt.items, c.Name, i, at, len(items))
				break
			}
			at += i + len(key)
		}
	}
	if _, err := cannedProfile(1000, 10); err == nil {
		t.Error("cannedProfile(1000, 10) made a body")
	}
	if _, _, err := cannedEntity(50); err == nil {
		t.Error("cannedEntity(50) made a body")
	}
	if _, err := cannedList(100, 10); err == nil {
		t.Error("cannedList(100, 10) made a body")
	}
}

func TestHandler(t *testing.T) {
	h, err := newHandler(answerSizes{create: 1430, update: 1431, get: 1432, list: 14200, listItems: 10, profile: 60000, profileItems: 10})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	const id = "8d317c0b-9d96-4d2a-82ec-20305cfee5c8"
	tests := []struct {
		method, path, body string
		status, size       int
		contains           string
	}{
		{"POST", "/beta/me/profile/positions", `{"isCurrent":true}`, 201, 1430, `"id":"` + cannedGUID + `"`},
		{"PATCH", "/beta/me/profile/positions/" + id, `{"isCurrent":false}`, 200, 1431, `"id":"` + id + `"`},
		{"GET", "/beta/users/a@b.example/profile/positions/" + id, "", 200, 1432, `"id":"` + id + `"`},
		{"GET", "/beta/me/profile/positions", "", 200, 14200, `"value":[`},
		{"GET", "/beta/me/profile", "", 200, 60000, `"websites":[{"id":"` + cannedGUID + `"`},
		{"GET", "/beta/users/a@b.example/profile", "", 200, 60000, `{"@odata.context":`},
		{"PATCH", "/beta/me/profile", "{}", 404, -1, ""},
		{"GET", "/healthz", "", 200, 3, "ok"},
		{"DELETE", "/beta/me/profile/positions/" + id, "", 404, -1, ""},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader(tt.body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tt.status || (tt.size >= 0 && len(b) != tt.size) || !strings.Contains(string(b), tt.contains) {
			t.Errorf("%s %s: %d, %d bytes, want %d, %d bytes containing %s: %s", tt.method, tt.path, resp.StatusCode, len(b), tt.status, tt.size, tt.contains, b)
		}
	}
	// The echo does not leak into the canned body.
	if !bytes.Contains(h.get.body, []byte(cannedGUID)) {
		t.Error("the canned get body was changed")
	}
}

// TestGraphFloor checks that --graph-floor answers with graphprofile's
// headers and logs each request as graphprofile does.
func TestGraphFloor(t *testing.T) {
	h, err := newHandler(answerSizes{create: 1430, update: 1430, get: 1430, list: 14200, listItems: 10, profile: 60000, profileItems: 10})
	if err != nil {
		t.Fatal(err)
	}
	// The line is written after the answer, from the server's goroutine:
	// each Write of the log arrives here.
	logged := make(chan string, 8)
	h.floor = newGraphFloor(lineWriter(logged))
	srv := httptest.NewServer(h)
	defer srv.Close()
	const id = "8d317c0b-9d96-4d2a-82ec-20305cfee5c8"
	tests := []struct {
		method, path, clientRequestID string
		status                        int
		etag, location                bool
		route                         string
	}{
		{"GET", "/beta/me/profile/positions/" + id, "", 200, true, false, entityRoute},
		{"GET", "/beta/me/profile/positions?$top=10", "c1d2e3f4-0000-4000-8000-000000000001", 200, false, false, collectionRoute},
		{"POST", "/beta/me/profile/positions", "", 201, true, true, collectionRoute},
		{"PATCH", "/beta/me/profile/positions/" + id, "", 200, true, false, entityRoute},
		{"GET", "/beta/me/profile", "", 200, false, false, profileRoute},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, srv.URL+tt.path, strings.NewReader("{}"))
		if tt.clientRequestID != "" {
			req.Header.Set("client-request-id", tt.clientRequestID)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		requestID := resp.Header.Get("request-id")
		wantClientID := tt.clientRequestID
		if wantClientID == "" {
			wantClientID = requestID
		}
		if resp.StatusCode != tt.status || len(requestID) != guidLen || requestID == cannedGUID || resp.Header.Get("client-request-id") != wantClientID {
			t.Errorf("%s %s: %d, request-id %q, client-request-id %q", tt.method, tt.path, resp.StatusCode, requestID, resp.Header.Get("client-request-id"))
		}
		for name, want := range map[string]string{
			"Access-Control-Allow-Origin": "*", "Cache-Control": "no-cache", "OData-Version": "4.0", "Vary": "Accept-Encoding",
			"Content-Type": jsonContentType,
		} {
			if got := resp.Header.Get(name); got != want {
				t.Errorf("%s %s: %s: %q, want %q", tt.method, tt.path, name, got, want)
			}
		}
		if !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "client-request-id") {
			t.Errorf("%s %s: Access-Control-Expose-Headers %q", tt.method, tt.path, resp.Header.Get("Access-Control-Expose-Headers"))
		}
		if got := resp.Header.Get("ETag") != ""; got != tt.etag {
			t.Errorf("%s %s: an ETag: %v, want %v", tt.method, tt.path, got, tt.etag)
		}
		wantLocation := ""
		if tt.location {
			wantLocation = srv.URL + "/beta/users/" + floorOID + "/profile/positions/" + cannedGUID
		}
		if got := resp.Header.Get("Location"); got != wantLocation {
			t.Errorf("%s %s: Location %q, want %q", tt.method, tt.path, got, wantLocation)
		}
		var line string
		select {
		case line = <-logged:
		case <-time.After(5 * time.Second):
			t.Fatalf("%s %s: no access-log line", tt.method, tt.path)
		}
		for _, want := range []string{"level=INFO msg=request method=" + tt.method, fmt.Sprintf("status=%d", tt.status),
			"request-id=" + requestID, "client-request-id=" + wantClientID, "tenant=" + floorTenant, "oid=" + floorOID, "route=" + tt.route} {
			if !strings.Contains(line, want) {
				t.Errorf("%s %s: the log line %q lacks %q", tt.method, tt.path, line, want)
			}
		}
		if strings.Count(line, "\n") != 1 {
			t.Errorf("%s %s: %d log lines, want 1: %q", tt.method, tt.path, strings.Count(line, "\n"), line)
		}
	}
	select {
	case line := <-logged:
		t.Errorf("a line more than one a request: %q", line)
	default:
	}
}

// lineWriter sends each Write to its channel.
type lineWriter chan string

func (w lineWriter) Write(p []byte) (int, error) {
	w <- string(p)
	return len(p), nil
}

// TestCPUProfile: with --cpuprofile the ceiling writes a CPU profile of
// its run when SIGTERM stops it, as graphprofile serve does, so that the
// two can be profiled under the same load.
func TestCPUProfile(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no SIGTERM to send on Windows")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "ceiling")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	prof := filepath.Join(dir, "cpu.pprof")
	cmd := exec.Command(bin, "--listen", "127.0.0.1:0", "--cpuprofile", prof)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		t.Fatalf("reading the ceiling's address: %v", err)
	}
	url := strings.TrimSpace(strings.TrimPrefix(line, "ceiling listening on "))
	for range 20 {
		resp, err := http.Get(url + "/beta/me/profile/positions")
		if err != nil {
			_ = cmd.Process.Kill()
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the ceiling exited with %v after SIGTERM", err)
	}
	data, err := os.ReadFile(prof)
	if err != nil {
		t.Fatal(err)
	}
	// A pprof profile is gzip-compressed protocol buffers.
	if len(data) < 2 || data[0] != 0x1f || data[1] != 0x8b {
		t.Errorf("the profile is %d bytes and not gzip: % x", len(data), data[:min(len(data), 8)])
	}
}

// TestBadItemCounts: a negative --list-items or --profile-items is refused
// under its own name, not under the size flag's.
func TestBadItemCounts(t *testing.T) {
	for _, c := range []struct {
		sizes answerSizes
		want  string
	}{
		{answerSizes{create: 1430, update: 1430, get: 1430, list: 14200, listItems: -1, profile: 60000, profileItems: 10}, "--list-items -1: want 0 or more"},
		{answerSizes{create: 1430, update: 1430, get: 1430, list: 14200, listItems: 10, profile: 60000, profileItems: -1}, "--profile-items -1: want 0 or more"},
	} {
		_, err := newHandler(c.sizes)
		if err == nil || err.Error() != c.want {
			t.Errorf("newHandler(%+v) = %v, want %q", c.sizes, err, c.want)
		}
	}
}
