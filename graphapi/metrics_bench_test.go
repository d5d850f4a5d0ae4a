package graphapi_test

import (
	"testing"

	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkMetrics is what the request metrics add to a cheap request (GET
// /beta/me, from the store's cache), handler to body: without a registry
// and with one (the in-flight gauge, the counter and the histogram of the
// request's route, method and status).
func BenchmarkMetrics(b *testing.B) {
	benchGetMe(b, []serverVariant{
		{"off", func(*graphapi.Server) {}},
		{"on", func(s *graphapi.Server) { s.Metrics = prometheus.NewRegistry() }},
	})
}
