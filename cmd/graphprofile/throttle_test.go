package main

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestServeThrottleAndFaultsFlags: serve's --throttle, --throttle-limit,
// --faults and --faults-seed, and their environment variables, reach the
// server.
func TestServeThrottleAndFaultsFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		env  []string
		// statuses are what three requests in a row get; retryAfter the
		// Retry-After of the last.
		statuses   []int
		retryAfter string
		slack      int    // seconds Retry-After may be under retryAfter
		log        string // a line serve logs at start
	}{
		{
			name:       "--throttle with a limit",
			args:       []string{"--throttle", "--throttle-limit", "2/100s"},
			statuses:   []int{http.StatusOK, http.StatusOK, http.StatusTooManyRequests},
			retryAfter: "100",
			slack:      5,
			log:        `msg="throttling on" limit=2/1m40s`,
		},
		{
			name:     "--throttle with Graph's default limit",
			args:     []string{"--throttle"},
			statuses: []int{http.StatusOK, http.StatusOK, http.StatusOK},
			log:      `msg="throttling on" limit=3500/10s`,
		},
		{
			name:       "GRAPHPROFILE_THROTTLE and GRAPHPROFILE_THROTTLE_LIMIT",
			env:        []string{"GRAPHPROFILE_THROTTLE=true", "GRAPHPROFILE_THROTTLE_LIMIT=1/50s"},
			statuses:   []int{http.StatusOK, http.StatusTooManyRequests, http.StatusTooManyRequests},
			retryAfter: "150", // two requests in debt, one back every 50 s
			slack:      5,
		},
		{
			name:       "--faults",
			args:       []string{"--faults", "503=1,retry-after=4", "--faults-seed", "7"},
			statuses:   []int{http.StatusServiceUnavailable, http.StatusServiceUnavailable, http.StatusServiceUnavailable},
			retryAfter: "4",
			log:        `msg="faults on" faults="503=1,retry-after=4" faults-seed=7`,
		},
		{
			name:       "GRAPHPROFILE_FAULTS",
			env:        []string{"GRAPHPROFILE_FAULTS=429=1"},
			statuses:   []int{http.StatusTooManyRequests, http.StatusTooManyRequests, http.StatusTooManyRequests},
			retryAfter: "1",
			log:        `msg="faults on" faults="429=1" faults-seed=`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			s := startServe(t, dir, func(addr string) ([]string, []string) {
				return append([]string{"--listen", addr}, tt.args...), tt.env
			})
			// Readiness polled the server without a token: nothing counted.
			token := mintToken(t, dir, nil, delegatedArgs...)
			var last response
			for i, want := range tt.statuses {
				r, err := s.request(http.MethodGet, "/beta/me/profile/positions", token, "")
				if err != nil {
					t.Fatal(err)
				}
				if r.status != want {
					t.Fatalf("request %d: %d, want %d: %s", i+1, r.status, want, r.raw)
				}
				// The answer is the list, or Graph's error of the status.
				wantCode := map[int]string{http.StatusTooManyRequests: "TooManyRequests", http.StatusServiceUnavailable: "serviceNotAvailable"}[want]
				if e, _ := r.body["error"].(map[string]any); wantCode != "" && e["code"] != wantCode {
					t.Errorf("request %d: %d %s, want the error %s", i+1, r.status, r.raw, wantCode)
				} else if wantCode == "" && r.body["value"] == nil {
					t.Errorf("request %d: %d %s, want the list", i+1, r.status, r.raw)
				}
				last = r
			}
			// A throttled Retry-After counts down as the test runs: a few
			// seconds less on a slow machine.
			got := last.header.Get("Retry-After")
			want, _ := strconv.Atoi(tt.retryAfter)
			if n, err := strconv.Atoi(got); got != tt.retryAfter && (tt.slack == 0 || err != nil || n > want || n < want-tt.slack) {
				t.Errorf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			if tt.log != "" && !strings.Contains(s.stderr.String(), tt.log) {
				t.Errorf("stderr does not log %q:\n%s", tt.log, s.stderr.String())
			}
		})
	}
}

// TestServeThrottleAndFaultsRefused: a bad value is one line on stderr
// naming the flag, before anything is opened.
func TestServeThrottleAndFaultsRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		args      []string
		env       []string
		stderrHas []string
	}{
		{"limit without throttle", []string{"--throttle-limit", "5/s"}, nil, []string{"--throttle-limit needs --throttle"}},
		{"limit without throttle from env", nil, []string{"GRAPHPROFILE_THROTTLE_LIMIT=5/s"}, []string{"GRAPHPROFILE_THROTTLE_LIMIT needs --throttle"}},
		{"bad limit", []string{"--throttle", "--throttle-limit", "fast"}, nil, []string{"--throttle-limit", "fast", "REQUESTS/DURATION"}},
		{"limit too slow for Retry-After", []string{"--throttle", "--throttle-limit", "1/5m"}, nil, []string{"--throttle-limit", "179 s"}},
		{"bad throttle env", nil, []string{"GRAPHPROFILE_THROTTLE=maybe"}, []string{"GRAPHPROFILE_THROTTLE"}},
		{"bad faults", []string{"--faults", "429=0.5,503=0.6"}, nil, []string{"--faults", "more than 1"}},
		{"unknown fault", []string{"--faults", "500=0.1"}, nil, []string{"--faults", `unknown setting "500"`}},
		{"bad faults env", nil, []string{"GRAPHPROFILE_FAULTS=latency=forever"}, []string{`GRAPHPROFILE_FAULTS="latency=forever": latency: "forever" is not a delay`}},
		{"seed without faults", []string{"--faults-seed", "3"}, nil, []string{"--faults-seed needs --faults"}},
		{"bad seed", []string{"--faults", "429=0.1", "--faults-seed", "-3"}, nil, []string{"-faults-seed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			r := runCLI(t, dir, tt.env, append([]string{"serve", "--listen", "127.0.0.1:0"}, tt.args...)...)
			if r.code == 0 {
				t.Fatalf("exit status 0; stderr %q", r.stderr)
			}
			line, ok := strings.CutSuffix(r.stderr, "\n")
			if !ok || line == "" || strings.Contains(line, "\n") {
				t.Fatalf("stderr = %q, want exactly one line", r.stderr)
			}
			for _, s := range tt.stderrHas {
				if !strings.Contains(line, s) {
					t.Errorf("stderr %q does not mention %q", line, s)
				}
			}
		})
	}
}

// TestServeThrottleKeepsRealTime: the throttling buckets refill with real
// time, not with the admin API's clock (docs/throttling-and-faults.md):
// advancing the clock an hour lets no throttled caller in, and the
// Retry-After still counts real seconds. A test skips a debt with
// POST /_admin/reset, not by moving the clock.
func TestServeThrottleKeepsRealTime(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	s := startServe(t, dir, listenFlag("--throttle", "--throttle-limit", "1/60s", "--admin-token", testAdminToken))
	token := mintToken(t, dir, nil, append([]string{"--expires", "10h"}, delegatedArgs...)...)
	s.do(http.MethodGet, "/beta/me/profile/positions", token, "", http.StatusOK)
	s.do(http.MethodGet, "/beta/me/profile/positions", token, "", http.StatusTooManyRequests)
	for _, advance := range []string{"1h", "2h"} {
		s.do(http.MethodPost, "/_admin/clock", testAdminToken, `{"advance":"`+advance+`"}`, http.StatusOK)
		r := s.do(http.MethodGet, "/beta/me/profile/positions", token, "", http.StatusTooManyRequests)
		// Two or three requests in debt, one back every 60 s: 179 s
		// at most, and far more than the seconds the test takes.
		if n, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || n < 150 || n > 179 {
			t.Errorf("after advancing the clock %s: Retry-After %q, want the real seconds, 150 to 179", advance, r.header.Get("Retry-After"))
		}
	}
	s.do(http.MethodPost, "/_admin/reset", testAdminToken, "", http.StatusNoContent)
	s.do(http.MethodGet, "/beta/me/profile/positions", token, "", http.StatusOK)
}
