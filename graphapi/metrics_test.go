package graphapi_test

import (
	"bufio"
	"bytes"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/prometheus/client_golang/prometheus"
)

func withMetrics(reg *prometheus.Registry, serve bool) serverOption {
	return func(s *graphapi.Server) { s.Metrics, s.ServeMetrics = reg, serve }
}

// scrape reads /metrics without a token and returns each sample by its
// series as the text format writes it, e.g.
// graphprofile_http_requests_in_flight or name{label="value",…}.
func (s *testServer) scrape() map[string]float64 {
	s.t.Helper()
	resp := s.do(request{path: graphapi.MetricsPath})
	if resp.status != http.StatusOK || !strings.HasPrefix(resp.header.Get("Content-Type"), "text/plain") {
		s.t.Fatalf("GET /metrics: %d %s: %s", resp.status, resp.header.Get("Content-Type"), resp.body)
	}
	samples := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(resp.body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			s.t.Fatalf("metrics line %q: %v", line, err)
		}
		samples[line[:i]] = v
	}
	return samples
}

// settledScrape scrapes until no request but the scrape itself is in
// flight: the client may have read a response before its handler counted
// it. Then every answered request is counted.
func (s *testServer) settledScrape() map[string]float64 {
	s.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		samples := s.scrape()
		if samples["graphprofile_http_requests_in_flight"] == 1 {
			return samples
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%v requests in flight during a scrape 5 s after the last request was answered, want 1", samples["graphprofile_http_requests_in_flight"])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMetrics: /metrics answers without a token, and each request moves
// exactly its own series: the request counter of its route, method and
// status, the latency histogram's count, the throttled and faulted counters.
func TestMetrics(t *testing.T) {
	t.Parallel()
	s := newTestServer(t, withMetrics(prometheus.NewRegistry(), true), withAdminToken("admin-secret"),
		withThrottle(graphapi.ThrottleLimit{Requests: 4, Per: time.Hour}))
	tok := s.delegated(tenantA, userA1, "User.ReadWrite")
	const (
		items   = `route="/beta/{owner}/profile/{facet}"`
		created = `graphprofile_http_requests_total{method="POST",` + items + `,status="201"}`
		posted  = `graphprofile_http_request_duration_seconds_count{method="POST",` + items + `}`
	)
	tests := []struct {
		name string
		req  request
		// want are the series that move, and by how much; every other
		// series of the table stays.
		want map[string]float64
	}{
		{"create", request{method: http.MethodPost, path: "/beta/me/profile/positions", token: tok, body: `{"detail":{"jobTitle":"Metrics"}}`},
			map[string]float64{created: 1, posted: 1}},
		{"list", request{path: "/beta/me/profile/positions", token: tok},
			map[string]float64{`graphprofile_http_requests_total{method="GET",` + items + `,status="200"}`: 1}},
		{"a path not served", request{path: "/beta/nowhere", token: tok},
			map[string]float64{`graphprofile_http_requests_total{method="GET",route="unmatched",status="400"}`: 1}},
		// An admin path not served is unmatched too: its path as the route
		// would make a series for every path a holder of the token sends.
		{"an admin path not served", request{path: "/_admin/nowhere", token: "admin-secret"},
			map[string]float64{`graphprofile_http_requests_total{method="GET",route="unmatched",status="400"}`: 1}},
		// One trailing slash is ignored, as on Graph's paths: served, and
		// counted under the path without it.
		{"an admin path with a trailing slash", request{path: "/_admin/tenants/", token: "admin-secret"},
			map[string]float64{`graphprofile_http_requests_total{method="GET",route="/_admin/tenants",status="200"}`: 1}},
		{"a method no client sends", request{method: "BREW", path: "/beta/me", token: tok},
			map[string]float64{`graphprofile_http_requests_total{method="other",route="/{version}/me",status="405"}`: 1}},
		{"a fault", request{path: "/beta/me/profile/positions", token: tok, header: map[string]string{graphapi.FaultHeader: "503"}},
			map[string]float64{`graphprofile_http_faulted_requests_total{fault="503"}`: 1,
				`graphprofile_http_requests_total{method="GET",` + items + `,status="503"}`: 1}},
		{"a delayed request", request{path: "/beta/me/profile/positions", token: tok, header: map[string]string{graphapi.FaultHeader: "latency=1ms"}},
			map[string]float64{`graphprofile_http_faulted_requests_total{fault="latency"}`: 1,
				`graphprofile_http_requests_total{method="GET",` + items + `,status="200"}`: 1}},
		{"a browser's preflight", request{method: http.MethodOptions, path: "/beta/me/profile/positions",
			header: map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "PATCH"}},
			map[string]float64{`graphprofile_http_requests_total{method="OPTIONS",` + items + `,status="204"}`: 1}},
		{"a browser's preflight of a path not served", request{method: http.MethodOptions, path: "/beta/nowhere",
			header: map[string]string{"Origin": "https://app.example.com", "Access-Control-Request-Method": "GET"}},
			map[string]float64{`graphprofile_http_requests_total{method="OPTIONS",route="unmatched",status="204"}`: 1}},
		{"a request within the bucket", request{path: "/beta/me", token: tok},
			map[string]float64{`graphprofile_http_requests_total{method="GET",route="/{version}/me",status="200"}`: 1}},
		{"a throttled request", request{path: "/beta/me", token: tok},
			map[string]float64{"graphprofile_http_throttled_requests_total": 1,
				`graphprofile_http_requests_total{method="GET",route="/{version}/me",status="429"}`: 1}},
	}
	watched := map[string]bool{"graphprofile_http_throttled_requests_total": true, `graphprofile_http_faulted_requests_total{fault="503"}`: true}
	for _, tt := range tests {
		for series := range tt.want {
			watched[series] = true
		}
	}
	for _, tt := range tests {
		before := s.settledScrape()
		resp := s.do(tt.req)
		after := s.settledScrape()
		for series := range watched {
			if got, want := after[series]-before[series], tt.want[series]; got != want {
				t.Errorf("%s (%d): %s moved by %v, want %v", tt.name, resp.status, series, got, want)
			}
		}
	}

	// The faulted counter has the four documented series, there from the
	// start (a rate over them needs no first fault), and no other: a
	// delay alone is no failure of status 0.
	var faults []string
	for series := range s.settledScrape() {
		if fault, ok := strings.CutPrefix(series, "graphprofile_http_faulted_requests_total{"); ok {
			faults = append(faults, strings.TrimSuffix(fault, "}"))
		}
	}
	slices.Sort(faults)
	if want := []string{`fault="429"`, `fault="503"`, `fault="504"`, `fault="latency"`}; !slices.Equal(faults, want) {
		t.Errorf("faulted series %v, want %v", faults, want)
	}

	// HEAD is a scrape without its body.
	if head := s.do(request{method: http.MethodHead, path: graphapi.MetricsPath}); head.status != http.StatusOK || !strings.HasPrefix(head.header.Get("Content-Type"), "text/plain") || len(head.body) != 0 {
		t.Errorf("HEAD /metrics: %d %q, %d bytes; want 200 text/plain and no body", head.status, head.header.Get("Content-Type"), len(head.body))
	}

	// The scrape is GET only, and a scrape is a request like any other.
	post := s.do(request{method: http.MethodPost, path: graphapi.MetricsPath})
	if msg := expectError(t, post, http.StatusMethodNotAllowed, "Request_BadRequest"); msg != "Specified HTTP method is not allowed for the request target." {
		t.Errorf("POST /metrics: message %q", msg)
	}
	if allow := post.header.Get("Allow"); allow != "GET" {
		t.Errorf("POST /metrics: Allow %q, want the scrape's GET", allow)
	}
	// OPTIONS without preflight headers is answered on every path, as
	// /healthz answers it (docs/decisions.md, "HEAD" and "OPTIONS"): 204
	// with Allow, not the 405 of a method the path does not take.
	options := s.do(request{method: http.MethodOptions, path: graphapi.MetricsPath})
	if options.status != http.StatusNoContent || options.header.Get("Allow") != "GET" || len(options.body) != 0 {
		t.Errorf("OPTIONS /metrics: %d, Allow %q, %s; want 204 with Allow GET", options.status, options.header.Get("Allow"), options.body)
	}
	if got := s.settledScrape()[`graphprofile_http_requests_total{method="GET",route="/metrics",status="200"}`]; got < float64(2*len(tests)) {
		t.Errorf("scrapes counted: %v, want at least %d", got, 2*len(tests))
	}
}

// TestMetricsElsewhere: a server whose metrics are served on another
// listener (serve --metrics-listen) answers /metrics as any path it does
// not serve.
func TestMetricsElsewhere(t *testing.T) {
	t.Parallel()
	reg := prometheus.NewRegistry()
	s := newTestServer(t, withMetrics(reg, false), withAdminToken(adminToken))
	if msg := expectError(t, s.do(request{path: graphapi.MetricsPath}), http.StatusBadRequest, "BadRequest"); msg != "Invalid version: 'metrics'. The versions this service serves are 'beta' and 'v1.0'." {
		t.Errorf("GET /metrics not served here: message %q", msg)
	}

	// It is no scrape here: counted as the unmatched path it is, and in the
	// journal like any other request of the application's.
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "graphprofile_http_requests_total" {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "route" {
					routes[l.GetValue()] += m.GetCounter().GetValue()
				}
			}
		}
	}
	if routes["unmatched"] != 1 || routes[graphapi.MetricsPath] != 0 {
		t.Errorf("GET /metrics not served counted by route %v, want unmatched 1", routes)
	}
	entries := s.journal(t, "")
	if len(entries) != 1 || entries[0].Request.URL != graphapi.MetricsPath || entries[0].Response.Status != http.StatusBadRequest {
		t.Errorf("the journal: %+v, want the GET /metrics answered 400", entries)
	}
}
