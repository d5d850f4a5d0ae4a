package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStoreOutageLoggedOnce: while the store is down every request answers
// 503 serviceNotAvailable, and a client (or a load balancer's /readyz
// probe every few seconds) repeats them as fast as it likes. Each was an
// ERROR line ("request failed"), which operators alert on: a flood for one
// outage. The outage is one ERROR line (then at most one a minute, with
// the count of failures it stands for), each failed request a debug line,
// and one INFO line when the store answers again; the access log's line
// per request stays. The store goes down here as a SQLite database file
// moved away under the server does: /readyz and every write are 503.
func TestStoreOutageLoggedOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServe(t, dir, listenFlag("--log-format", "json", "--log-level", "debug"))
	user := mintToken(t, dir, nil, delegatedArgs...)
	s.create(user, `{"detail":{"jobTitle":"Before"}}`)
	readyz := func(want int) {
		t.Helper()
		resp, err := s.client.Get(s.url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("/readyz: %d, want %d", resp.StatusCode, want)
		}
	}
	readyz(http.StatusOK)

	db := filepath.Join(dir, "graphprofile.db")
	if err := os.Rename(db, db+".moved"); err != nil {
		t.Fatal(err)
	}
	const probes, writes = 5, 5
	for range probes {
		readyz(http.StatusServiceUnavailable)
	}
	for range writes {
		r := s.do(http.MethodPost, "/beta/me/profile/positions", user, `{"detail":{"jobTitle":"During"}}`, http.StatusServiceUnavailable)
		if !strings.Contains(string(r.raw), `"code":"serviceNotAvailable"`) {
			t.Errorf("503 body %s, want serviceNotAvailable", r.raw)
		}
	}
	if err := os.Rename(db+".moved", db); err != nil {
		t.Fatal(err)
	}
	readyz(http.StatusOK)
	readyz(http.StatusOK)
	s.create(user, `{"detail":{"jobTitle":"After"}}`)

	var errorLines, warnLines, answered []map[string]any
	var failedDebug, failedAccess int
	for _, line := range strings.Split(strings.TrimSpace(s.stderr.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		switch {
		case m["level"] == "ERROR":
			errorLines = append(errorLines, m)
		case m["level"] == "WARN":
			warnLines = append(warnLines, m)
		case m["msg"] == "store answers again":
			answered = append(answered, m)
		case m["level"] == "DEBUG" && m["msg"] == "request failed":
			if m["request-id"] == nil || !strings.Contains(m["err"].(string), "store unavailable") {
				t.Errorf("debug line of a failed request %v lacks its request-id or why", m)
			}
			failedDebug++
		case m["msg"] == "request" && m["status"] == float64(http.StatusServiceUnavailable):
			failedAccess++
		}
	}
	if len(errorLines) != 1 || len(warnLines) != 0 {
		t.Fatalf("%d ERROR and %d WARN lines for one outage of %d failed requests, want one ERROR: %v %v", len(errorLines), len(warnLines), probes+writes, errorLines, warnLines)
	}
	if e := errorLines[0]; e["msg"] != "store unavailable" || e["failures"] != float64(1) || !strings.Contains(e["err"].(string), "store unavailable") {
		t.Errorf("the outage's line %v, want msg \"store unavailable\", failures 1 and the error", e)
	}
	if failedDebug != probes+writes {
		t.Errorf("%d debug lines of failed requests, want %d", failedDebug, probes+writes)
	}
	if failedAccess != probes+writes {
		t.Errorf("%d access log lines with status 503, want %d", failedAccess, probes+writes)
	}
	if len(answered) != 1 || answered[0]["level"] != "INFO" || answered[0]["failures"] != float64(probes+writes-1) {
		t.Errorf("lines saying the store answers again: %v; want one INFO with failures %d (those not yet told)", answered, probes+writes-1)
	}
}
