package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHealthcheck: `graphprofile healthcheck` exits 0 when the server
// answers 200 and 1, saying why, when it answers anything else, does not
// answer in time or is not there: the container image's HEALTHCHECK relies
// on exactly that.
func TestHealthcheck(t *testing.T) {
	t.Parallel()
	s := startServe(t, t.TempDir(), listenFlag())
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "draining", http.StatusServiceUnavailable)
	}))
	t.Cleanup(unavailable.Close)
	hang := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(silent.Close)
	t.Cleanup(func() { close(hang) }) // before silent.Close, which waits for its handlers

	tests := []struct {
		name     string
		args     []string
		env      []string
		code     int
		stdout   string // a line it prints, or "" for none
		stderrOf []string
	}{
		{"healthz", []string{"--url", s.url + "/healthz"}, nil, 0, "healthy: GET " + s.url + "/healthz answered 200 OK\n", nil},
		{"readyz", []string{"--url", s.url + "/readyz"}, nil, 0, "healthy: GET " + s.url + "/readyz answered 200 OK\n", nil},
		{"GRAPHPROFILE_URL", nil, []string{"GRAPHPROFILE_URL=" + s.url + "/readyz"}, 0, "healthy: GET " + s.url + "/readyz answered 200 OK\n", nil},
		{"503", []string{"--url", unavailable.URL + "/healthz"}, nil, 1, "", []string{"unhealthy", "answered 503 Service Unavailable"}},
		{"no answer in time", []string{"--url", silent.URL + "/healthz", "--timeout", "200ms"}, nil, 1, "", []string{"unhealthy", "deadline exceeded"}},
		{"nobody there", []string{"--url", "http://" + freeAddr(t) + "/healthz"}, nil, 1, "", []string{"unhealthy", "connection refused"}},
		{"bad URL", []string{"--url", "http://[::1/healthz"}, nil, 1, "", []string{`--url "http://[::1/healthz": `}},
		{"bad GRAPHPROFILE_URL", nil, []string{"GRAPHPROFILE_URL=http://[::1/healthz"}, 1, "", []string{`GRAPHPROFILE_URL="http://[::1/healthz": `}},
		// A URL the check could never GET is a bad value, named as one,
		// not an unhealthy server.
		{"empty URL", []string{"--url", ""}, nil, 1, "", []string{`--url "": want an http:// or https:// URL`}},
		{"ftp URL", []string{"--url", "ftp://127.0.0.1/healthz"}, nil, 1, "", []string{`--url "ftp://127.0.0.1/healthz": want an http:// or https:// URL`}},
		{"URL without host", nil, []string{"GRAPHPROFILE_URL=http:///healthz"}, 1, "", []string{`GRAPHPROFILE_URL="http:///healthz": want an http:// or https:// URL`}},
		{"bad timeout", []string{"--url", s.url + "/healthz", "--timeout", "0s"}, nil, 1, "", []string{"--timeout 0s: must be positive"}},
		{"bad GRAPHPROFILE_TIMEOUT", []string{"--url", s.url + "/healthz"}, []string{"GRAPHPROFILE_TIMEOUT=-1s"}, 1, "", []string{"GRAPHPROFILE_TIMEOUT=-1s: must be positive"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runCLI(t, t.TempDir(), tt.env, append([]string{"healthcheck"}, tt.args...)...)
			if r.code != tt.code {
				t.Fatalf("exit status %d, want %d; stdout %q, stderr %q", r.code, tt.code, r.stdout, r.stderr)
			}
			if r.stdout != tt.stdout {
				t.Errorf("stdout = %q, want %q", r.stdout, tt.stdout)
			}
			for _, m := range tt.stderrOf {
				if !strings.Contains(r.stderr, m) {
					t.Errorf("stderr = %q, want it to mention %q", r.stderr, m)
				}
			}
			if tt.code == 0 && r.stderr != "" {
				t.Errorf("stderr = %q, want nothing", r.stderr)
			}
		})
	}
}
