package main

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/token"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// serveMetrics are serve's Prometheus metrics: one registry of the
// process (made here, passed to what measures; never the global one), the
// Go runtime's and the process's own collectors, the HTTP server's
// (graphapi), the SQLite writer's, the write-ahead log's size and the
// token cache's.
type serveMetrics struct {
	registry *prometheus.Registry
	// The SQLite writer's commits (sqlite.Metrics).
	commitSeconds    prometheus.Histogram
	commitLogSeconds prometheus.Histogram
	commitWrites     prometheus.Histogram
}

// commitSecondsBuckets are the buckets of the writer's commit times, whole
// and in the COMMIT: from half a millisecond (a commit without an fsync to
// wait for) to a second.
var commitSecondsBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}

func newServeMetrics() *serveMetrics {
	m := &serveMetrics{
		registry: prometheus.NewRegistry(),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "graphprofile_store_commit_duration_seconds",
			Help:    "Time of each commit of the SQLite store's writer, from the transaction's start to its fsync: what every write waits for.",
			Buckets: commitSecondsBuckets,
		}),
		commitLogSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "graphprofile_store_commit_log_seconds",
			Help:    "Of each commit of the SQLite store's writer, the time of its COMMIT: appending the pages to the write-ahead log and the fsync (the rest is the writes' statements).",
			Buckets: commitSecondsBuckets,
		}),
		commitWrites: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "graphprofile_store_commit_writes",
			Help:    "Writes per commit of the SQLite store's writer (its group commit's batch, at most 256).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 9), // 1 … 256
		}),
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.commitSeconds, m.commitLogSeconds, m.commitWrites,
	)
	return m
}

// Committed is sqlite.Metrics': the writer's commit of writes in took,
// committing of it in the COMMIT.
func (m *serveMetrics) Committed(writes int, took, committing time.Duration) {
	m.commitSeconds.Observe(took.Seconds())
	m.commitLogSeconds.Observe(committing.Seconds())
	m.commitWrites.Observe(float64(writes))
}

// watchStore adds the size of store's write-ahead log, when it has one
// (SQLite; PostgreSQL's is the database server's to report).
func (m *serveMetrics) watchStore(store graphprofile.Store) {
	wal, ok := store.(interface{ WALSize() int64 })
	if !ok {
		return
	}
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "graphprofile_store_wal_bytes",
		Help: "Size of the SQLite write-ahead log file; it stays under 64 MiB and is emptied once writes pause.",
	}, func() float64 { return float64(wal.WALSize()) }))
}

// watchValidator adds the token cache's hits and misses.
func (m *serveMetrics) watchValidator(v *token.Validator) {
	m.registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "graphprofile_token_cache_hits_total",
			Help: "Bearer tokens found valid in the cache of validated tokens (no signature check).",
		}, func() float64 { hits, _ := v.CacheStats(); return float64(hits) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "graphprofile_token_cache_misses_total",
			Help: "Bearer tokens not in the cache, validated in full (signature and claims).",
		}, func() float64 { _, misses := v.CacheStats(); return float64(misses) }),
	)
}

// The metrics' own listener serves scrapers, a few at a time with small
// heads: it holds at most metricsMaxConnections connections and reads at
// most metricsMaxHeaderBytes of a head (net/http answers more with its
// plain 431), so that a client of a port meant to be private cannot make
// the server hold much either (net/http's default is 1 MiB of head, and
// no bound on connections).
const (
	metricsMaxConnections = 16
	metricsMaxHeaderBytes = 16 << 10
)

// serve serves the registry at /metrics of its own listener ln (serve
// --metrics-listen) and returns the server and the URL it serves.
func (m *serveMetrics) serve(ln net.Listener, logger *slog.Logger) (*http.Server, string) {
	mux := http.NewServeMux()
	mux.Handle("GET "+graphapi.MetricsPath, promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{}))
	t := graphapi.DefaultTimeouts()
	// net/http reads NetHTTPHeaderSlack past MaxHeaderBytes before its 431.
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: t.ReadHeader,
		ReadTimeout:       t.Read,
		WriteTimeout:      t.Write,
		IdleTimeout:       t.Idle,
		MaxHeaderBytes:    metricsMaxHeaderBytes - graphapi.NetHTTPHeaderSlack,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	go func() {
		if err := srv.Serve(graphapi.LimitListener(ln, metricsMaxConnections)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("serving metrics", "err", err)
		}
	}()
	return srv, "http://" + ln.Addr().String() + graphapi.MetricsPath
}
