package graphapi

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsPath is where a Server with ServeMetrics answers Prometheus's
// scrapes.
const MetricsPath = "/metrics"

// serverMetrics are a Server's request metrics, registered in its Metrics
// registry at Open. A nil *serverMetrics (no registry) records nothing.
type serverMetrics struct {
	requests  *prometheus.CounterVec   // route, method, status
	latency   *prometheus.HistogramVec // route, method
	inFlight  prometheus.Gauge
	throttled prometheus.Counter
	faulted   *prometheus.CounterVec // fault
	// Connections whose request head the heads' budget had no room for.
	headsRefused prometheus.Counter
	// Requests whose body, over 16 KiB, the bodies' budget had no room for.
	bodiesRefused prometheus.Counter
	// GET requests whose answer, over 64 KiB, the answers' budget had no
	// room for.
	answersRefused prometheus.Counter
	// Costly queries (evaluationSlot) waiting for a slot, and running in one.
	evaluationsWaiting prometheus.Gauge
	evaluationsRunning prometheus.Gauge
	// Costly queries refused (503) after waiting EvaluationWait for a slot.
	evaluationsRefused prometheus.Counter
	handler            http.Handler // the registry's exposition
}

// latencyBuckets are the request latency histogram's bounds in seconds:
// from half a millisecond (a cached read) to ten seconds (past the store's
// 5 s timeout).
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

func newServerMetrics(reg *prometheus.Registry) (*serverMetrics, error) {
	m := &serverMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "graphprofile_http_requests_total",
			Help: "Requests answered, by route (the path pattern served), method and status; each item of a $batch counts as a request of its own.",
		}, []string{"route", "method", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "graphprofile_http_request_duration_seconds",
			Help:    "Time from taking a request to having answered it, by route and method.",
			Buckets: latencyBuckets,
		}, []string{"route", "method"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "graphprofile_http_requests_in_flight",
			Help: "Requests being served now.",
		}),
		throttled: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "graphprofile_http_throttled_requests_total",
			Help: "Requests refused with 429 by --throttle (a caller's token bucket was empty).",
		}),
		headsRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "graphprofile_http_heads_refused_total",
			Help: "Connections refused (431, closed), or HTTP/2 requests refused (431), because their request head, over 16 KiB, found no room in the 4 MiB that such heads share: a sign of clients sending huge headers.",
		}),
		bodiesRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "graphprofile_http_bodies_refused_total",
			Help: "Requests refused (503 serviceNotAvailable) because their body, over 16 KiB, found no room in the 8 MiB that such bodies share while they are read: a sign of clients stalling big bodies.",
		}),
		answersRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "graphprofile_http_answers_refused_total",
			Help: "GET requests (a $batch's items included) refused with 503 serviceNotAvailable because their answer, over 64 KiB, found no room in the 32 MiB that such answers share until they are written: a sign of clients not reading big answers, or many big answers at once.",
		}),
		faulted: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "graphprofile_http_faulted_requests_total",
			Help: "Requests failed (fault=429, 503 or 504) or delayed (fault=latency) on purpose: --faults, the admin API's armed faults and the test fault header.",
		}, []string{"fault"}),
		evaluationsWaiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "graphprofile_http_costly_queries_waiting",
			Help: "Costly queries ($filter to evaluate, a whole collection to read for $orderby or $count, a page of more than 100 items) waiting for one of the server's evaluation slots.",
		}),
		evaluationsRunning: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "graphprofile_http_costly_queries_running",
			Help: "Costly queries being answered in one of the server's evaluation slots (at most --max-evaluations).",
		}),
		evaluationsRefused: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "graphprofile_http_costly_queries_refused_total",
			Help: "Costly queries refused with 503 serviceNotAvailable because no evaluation slot came free within 5 s: more costly queries than the slots answer, or a store that stopped answering.",
		}),
		handler: promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.inFlight, m.throttled, m.headsRefused, m.bodiesRefused, m.answersRefused, m.faulted, m.evaluationsWaiting, m.evaluationsRunning, m.evaluationsRefused} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	// The faults exist from the start, at zero, so that a rate of them
	// needs no absent-series special case.
	for _, f := range []string{"429", "503", "504", "latency"} {
		m.faulted.WithLabelValues(f)
	}
	return m, nil
}

// activeMetrics returns the server's request metrics, registered in
// Metrics on first use (Open, or the first request of a Server used as a
// handler), or nil without Metrics.
func (s *Server) activeMetrics() (*serverMetrics, error) {
	s.metricsOnce.Do(func() {
		if s.Metrics != nil {
			s.metrics, s.metricsErr = newServerMetrics(s.Metrics)
		}
	})
	return s.metrics, s.metricsErr
}

// begin counts a request in flight; done takes it out and records it.
func (m *serverMetrics) begin() {
	if m != nil {
		m.inFlight.Inc()
	}
}

func (m *serverMetrics) done(ex *exchange, elapsed time.Duration) {
	if m == nil {
		return
	}
	route, method := metricRoute(ex), metricMethod(ex.r.Method)
	m.requests.WithLabelValues(route, method, strconv.Itoa(ex.w.status)).Inc()
	m.latency.WithLabelValues(route, method).Observe(elapsed.Seconds())
	// Last: a scrape that finds no other request in flight finds every
	// answered one counted.
	m.inFlight.Dec()
}

func (m *serverMetrics) evaluationWaits(delta float64) {
	if m != nil {
		m.evaluationsWaiting.Add(delta)
	}
}

func (m *serverMetrics) evaluationRefused() {
	if m != nil {
		m.evaluationsRefused.Inc()
	}
}

func (m *serverMetrics) evaluationRuns(delta float64) {
	if m != nil {
		m.evaluationsRunning.Add(delta)
	}
}

func (m *serverMetrics) throttle() {
	if m != nil {
		m.throttled.Inc()
	}
}

// fault counts a request failed with status (0: none) and delayed (or not).
func (m *serverMetrics) fault(status int, delayed bool) {
	if m == nil {
		return
	}
	if status != 0 {
		m.faulted.WithLabelValues(strconv.Itoa(status)).Inc()
	}
	if delayed {
		m.faulted.WithLabelValues("latency").Inc()
	}
}

// metricRoute is a request's route label: the path pattern it matched (a
// fixed set, whatever the paths; the probes' and the scrape's are their
// paths), or "unmatched" for any path not served.
func metricRoute(ex *exchange) string {
	if ex.route != "" {
		return ex.route
	}
	return "unmatched"
}

// scrapes reports whether path is a scrape of the metrics this server
// serves: MetricsPath with ServeMetrics. Elsewhere (serve
// --metrics-listen) that path is one it does not serve, a request like
// any other.
func (s *Server) scrapes(path string) bool {
	return path == MetricsPath && s.ServeMetrics && s.metrics != nil
}

// metricMethod is a request's method label: the methods HTTP defines, and
// "other" for any other, so that clients cannot make series without end.
func metricMethod(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}

// serveMetrics answers a scrape of MetricsPath: GET (or HEAD) only, no
// token, Prometheus's text format. OPTIONS is answered as on every path
// (204 with Allow), as serveHealth answers it (refuseMethod).
func (s *Server) serveMetrics(ex *exchange) {
	if ex.r.Method != http.MethodGet && ex.r.Method != http.MethodHead {
		ex.refuseMethod(http.MethodGet)
		return
	}
	s.metrics.handler.ServeHTTP(ex.w, ex.r)
}
