package main

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/sqlite"
	"github.com/graphprofile/graphprofile/token"
)

// scrapeMetrics reads the metrics at url without a token and returns each
// sample by its series as the text format writes it. It scrapes until no
// request of the API is in flight but the scrape itself (ownRequests: 1 on
// the main listener, 0 on --metrics-listen's): a client may read a response
// before its handler has counted it.
func scrapeMetrics(t *testing.T, url string, ownRequests float64) map[string]float64 {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatalf("GET %s: %v", url, err)
		}
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			t.Fatalf("GET %s: %d %s: %s", url, resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		samples := map[string]float64{}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line := sc.Text()
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			i := strings.LastIndexByte(line, ' ')
			v, err := strconv.ParseFloat(line[i+1:], 64)
			if err != nil {
				t.Fatalf("metrics line %q: %v", line, err)
			}
			samples[line[:i]] = v
		}
		resp.Body.Close()
		if err := sc.Err(); err != nil {
			t.Fatalf("reading %s: %v", url, err)
		}
		inFlight := samples["graphprofile_http_requests_in_flight"]
		if inFlight <= ownRequests {
			return samples
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v requests in flight 5 s after the last one was answered", inFlight)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestMetricsServed: serve's /metrics needs no token and its counters
// move with the requests: a create moves the request counter of its route
// and 201 by one, the store's commits and the token cache's lookups move
// too, and the write-ahead log's size is there. With --metrics-listen the
// metrics are on that address and the main listener's /metrics is a path
// it does not serve. The metrics scraped are those docs/operations.md's
// table names, no more and no fewer.
func TestMetricsServed(t *testing.T) {
	t.Parallel()
	const (
		created = `graphprofile_http_requests_total{method="POST",route="/beta/{owner}/profile/{facet}",status="201"}`
		commits = "graphprofile_store_commit_writes_count"
		took    = "graphprofile_store_commit_duration_seconds_sum"
		logged  = "graphprofile_store_commit_log_seconds_sum"
		hits    = "graphprofile_token_cache_hits_total"
		misses  = "graphprofile_token_cache_misses_total"
		wal     = "graphprofile_store_wal_bytes"
	)
	tests := []struct {
		name     string
		args     []string
		separate bool // metrics on --metrics-listen
	}{
		{name: "main listener"},
		{name: "metrics-listen", separate: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			args := []string{}
			if tt.separate {
				args = append(args, "--metrics-listen", "127.0.0.1:0")
			}
			s := startServe(t, dir, listenFlag(args...))
			tok := mintToken(t, dir, nil, delegatedArgs...)
			url, own := s.url+"/metrics", 1.0
			if tt.separate {
				url, own = "http://"+servedMetricsAddr(t, s)+"/metrics", 0
				r, err := s.request(http.MethodGet, "/metrics", "", "")
				if err != nil || r.status != http.StatusBadRequest {
					t.Errorf("GET /metrics of the main listener with --metrics-listen: %d (%v), want 400", r.status, err)
				}
			}

			s.create(tok, createBody) // the user's first write, and the token's first use
			before := scrapeMetrics(t, url, own)
			s.create(tok, createBody)
			after := scrapeMetrics(t, url, own)
			for series, want := range map[string]float64{created: 1, hits: 1, misses: 0} {
				if got := after[series] - before[series]; got != want {
					t.Errorf("a create moved %s by %v, want %v", series, got, want)
				}
			}
			if got := after[commits] - before[commits]; got < 1 {
				t.Errorf("a create moved %s by %v, want at least 1 commit", commits, got)
			}
			// The COMMIT is part of the commit's time.
			if l, d := after[logged]-before[logged], after[took]-before[took]; !(l > 0 && l <= d) {
				t.Errorf("a create's commit: %s moved by %v, %s by %v; want more than 0 and at most the whole", logged, l, took, d)
			}
			if _, ok := after[wal]; !ok {
				t.Errorf("no %s among the metrics", wal)
			}
			checkMetricsDocumented(t, after)
			if after["go_goroutines"] <= 0 || after["process_resident_memory_bytes"] <= 0 {
				t.Errorf("the Go runtime's and the process's metrics are missing: go_goroutines %v, process_resident_memory_bytes %v",
					after["go_goroutines"], after["process_resident_memory_bytes"])
			}
		})
	}
}

// TestMemoryLimitAboveTheCaches: the default soft heap limit leaves the
// collector room with the caches full (their contents are live heap it
// marks every time): they may take at most 60% of it; with caches as big
// as the limit (100 MiB), a directory of 20,000 users kept the collector at
// its goal and took 30% off the GETs, and with 56% of it as fast as at 256
// MiB (BENCHMARKS.md). And it is at most 100 MiB: the server's RSS with a
// million positions over 100,000 users is the limit and about 38 MiB
// besides (SQLite's page caches, the program), which must stay under 150
// MB; at 256 MiB it was 232 MiB (BENCHMARKS.md, "Scale: a million
// positions").
func TestMemoryLimitAboveTheCaches(t *testing.T) {
	if caches := sqlite.CacheBytes + token.DefaultCacheBytes; 10*caches > 6*defaultMemoryLimit {
		t.Errorf("the read and token caches hold %d MiB when full, more than 60%% of the default soft heap limit of %d MiB", caches>>20, defaultMemoryLimit>>20)
	}
	if defaultMemoryLimit > 100<<20 {
		t.Errorf("the default soft heap limit is %d MiB: with a million positions the server's RSS passes 150 MB above 100 MiB", defaultMemoryLimit>>20)
	}
}

// TestMemoryLimit: serve sets the Go heap's soft limit unless GOMEMLIMIT
// does, and GOMEMLIMIT wins. (GOGC stays Go's default: a higher one let 300
// connections trickling headers take RSS past TestHeaderTrickleMemory's
// bound, BENCHMARKS.md.)
func TestMemoryLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name              string
		env               []string
		wantGOGC, wantLim float64
	}{
		{"default", nil, 100, defaultMemoryLimit},
		{"GOMEMLIMIT's", []string{"GOMEMLIMIT=200MiB"}, 100, 200 << 20},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startServe(t, t.TempDir(), func(addr string) ([]string, []string) {
				return []string{"--listen", addr}, append([]string{"GOGC="}, tt.env...)
			})
			m := scrapeMetrics(t, s.url+"/metrics", 1)
			if got := m["go_gc_gogc_percent"]; got != tt.wantGOGC {
				t.Errorf("go_gc_gogc_percent %v, want %v", got, tt.wantGOGC)
			}
			if got := m["go_gc_gomemlimit_bytes"]; got != tt.wantLim {
				t.Errorf("go_gc_gomemlimit_bytes %v, want %v", got, tt.wantLim)
			}
		})
	}
}

// servedMetricsAddr returns the address s serves its metrics on, from its
// "metrics served" line: the tests give --metrics-listen port 0, so that no
// other test can take the port between its choice and serve's listen (the
// main listener retries such a clash; this one need not).
func servedMetricsAddr(t *testing.T, s *server) string {
	t.Helper()
	m := regexp.MustCompile(`msg="metrics served" url=http://(127\.0\.0\.1:[0-9]+)/metrics`).FindStringSubmatch(s.stderr.String())
	if m == nil {
		t.Fatalf("serve --metrics-listen logged no metrics address:\n%s", s.stderr.String())
	}
	return m[1]
}

// TestMetricsListenLimits: --metrics-listen's listener holds at most the
// connections docs/operations.md says (one more waits until another closes)
// and refuses a head over metricsMaxHeaderBytes with a 431 and a method
// other than GET with a 405, while a scrape is served.
func TestMetricsListenLimits(t *testing.T) {
	t.Parallel()
	metricsAddr := servedMetricsAddr(t, startServe(t, t.TempDir(), listenFlag("--metrics-listen", "127.0.0.1:0")))
	url := "http://" + metricsAddr + "/metrics"
	scrape := func(header string, timeout time.Duration) (int, error) {
		c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if header != "" {
			req.Header.Set("X-Padding", header)
		}
		resp, err := c.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if status, err := scrape(strings.Repeat("a", 8<<10), 10*time.Second); err != nil || status != http.StatusOK {
		t.Fatalf("a scrape with an 8 KiB head: %d (%v), want 200", status, err)
	}
	if status, err := scrape(strings.Repeat("a", 15<<10), 10*time.Second); err != nil || status != http.StatusOK {
		t.Fatalf("a scrape with a 15 KiB head: %d (%v), want 200", status, err)
	}
	// Just over the bound: net/http reads 4 KiB past http.Server's
	// MaxHeaderBytes before it refuses a head, so a bound set there alone
	// would let this one through.
	for _, size := range []int{16<<10 + 512, 17 << 10, 64 << 10} {
		if status, err := scrape(strings.Repeat("a", size), 10*time.Second); err == nil && status != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("a scrape with a head of %d bytes: %d, want 431", size, status)
		}
	}
	// Only GET (and so HEAD) is served there.
	post := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	if resp, err := post.Post(url, "text/plain", strings.NewReader("x")); err != nil {
		t.Fatal(err)
	} else if resp.Body.Close(); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST %s: %d, want 405", url, resp.StatusCode)
	}

	// As many connections as docs/operations.md says, less one: a scrape
	// is served beside them; with one more held it waits.
	limit := documentedMetricsConnections(t)
	held := holdConnections(t, metricsAddr, "/metrics", limit-1)
	if status, err := scrape("", 10*time.Second); err != nil || status != http.StatusOK {
		t.Fatalf("a scrape while %d connections were held: %d (%v), want 200", limit-1, status, err)
	}
	held = append(held, holdConnections(t, metricsAddr, "/metrics", 1)...)
	if _, err := scrape("", 500*time.Millisecond); err == nil {
		t.Fatalf("a scrape was served while %d connections were held", limit)
	}
	held[0].Close()
	if status, err := scrape("", 10*time.Second); err != nil || status != http.StatusOK {
		t.Fatalf("a scrape after one of the %d connections closed: %d (%v), want 200", limit, status, err)
	}
}

// documentedMetricsConnections is how many connections docs/operations.md
// says --metrics-listen's listener serves at once.
func documentedMetricsConnections(t *testing.T) int {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`serves at most (\d+) connections`).FindSubmatch(bytes.Join(bytes.Fields(doc), []byte(" ")))
	if m == nil {
		t.Fatal("docs/operations.md does not say how many connections --metrics-listen serves at once")
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// documentedMetrics returns the names of graphprofile's metrics in the
// table of docs/operations.md, a name abbreviated by its predecessor's
// ("…_running" after "…_costly_queries_waiting") written out.
func documentedMetrics(t *testing.T) []string {
	t.Helper()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, line := range strings.Split(string(doc), "\n") {
		if !strings.HasPrefix(line, "| `graphprofile_") {
			continue
		}
		first, _, _ := strings.Cut(strings.TrimPrefix(line, "| "), " |")
		prev := ""
		for _, m := range regexp.MustCompile("`([^`{]+)[^`]*`").FindAllStringSubmatch(first, -1) {
			name := m[1]
			if short, ok := strings.CutPrefix(name, "…_"); ok {
				parts := strings.Split(prev, "_")
				name = strings.Join(parts[:len(parts)-len(strings.Split(short, "_"))], "_") + "_" + short
			}
			names = append(names, name)
			prev = name
		}
	}
	if len(names) == 0 {
		t.Fatal("docs/operations.md names no graphprofile_ metric")
	}
	return names
}

// checkMetricsDocumented: every metric docs/operations.md's table names is
// among the samples of a scrape, and every graphprofile_ metric scraped is
// in the table.
func checkMetricsDocumented(t *testing.T, samples map[string]float64) {
	t.Helper()
	names := map[string]bool{}
	for series := range samples {
		name, _, _ := strings.Cut(series, "{")
		names[name] = true
	}
	scraped := map[string]bool{}
	for name := range names {
		for _, suffix := range []string{"_bucket", "_count", "_sum"} {
			if base, ok := strings.CutSuffix(name, suffix); ok && names[base+"_count"] && names[base+"_sum"] {
				name = base // a histogram's series
				break
			}
		}
		scraped[name] = true
	}
	documented := map[string]bool{}
	for _, name := range documentedMetrics(t) {
		documented[name] = true
		if !scraped[name] {
			t.Errorf("docs/operations.md names the metric %s, which /metrics does not show", name)
		}
	}
	for name := range scraped {
		if strings.HasPrefix(name, "graphprofile_") && !documented[name] {
			t.Errorf("/metrics shows %s, which docs/operations.md's table does not name", name)
		}
	}
}

// walStore is a store whose write-ahead log has a size, as SQLite's has.
type walStore struct {
	graphprofile.Store
	size int64
}

func (s walStore) WALSize() int64 { return s.size }

// TestServeMetricsRecord: each of serve's own metrics records what it
// names: a commit's whole time, its COMMIT's and its number of writes each
// in their histogram, and the write-ahead log's size as the store reports
// it; a store without one (PostgreSQL's) has no such metric.
func TestServeMetricsRecord(t *testing.T) {
	t.Parallel()
	gather := func(m *serveMetrics) map[string]float64 {
		t.Helper()
		families, err := m.registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]float64{}
		for _, f := range families {
			for _, s := range f.GetMetric() {
				switch {
				case s.GetHistogram() != nil:
					got[f.GetName()+"_sum"] = s.GetHistogram().GetSampleSum()
					got[f.GetName()+"_count"] = float64(s.GetHistogram().GetSampleCount())
				case s.GetGauge() != nil:
					got[f.GetName()] = s.GetGauge().GetValue()
				}
			}
		}
		return got
	}

	m := newServeMetrics()
	m.watchStore(walStore{size: 12345})
	m.Committed(3, 2*time.Second, 500*time.Millisecond)
	m.Committed(5, time.Second, 250*time.Millisecond)
	got := gather(m)
	for series, want := range map[string]float64{
		"graphprofile_store_commit_duration_seconds_sum":   3,
		"graphprofile_store_commit_duration_seconds_count": 2,
		"graphprofile_store_commit_log_seconds_sum":        0.75,
		"graphprofile_store_commit_writes_sum":             8,
		"graphprofile_store_commit_writes_count":           2,
		"graphprofile_store_wal_bytes":                     12345,
	} {
		if v, ok := got[series]; !ok || v != want {
			t.Errorf("%s = %v (present %v), want %v", series, v, ok, want)
		}
	}

	m = newServeMetrics()
	m.watchStore(struct{ graphprofile.Store }{})
	if v, ok := gather(m)["graphprofile_store_wal_bytes"]; ok {
		t.Errorf("graphprofile_store_wal_bytes = %v for a store without a write-ahead log, want no such metric", v)
	}
}
