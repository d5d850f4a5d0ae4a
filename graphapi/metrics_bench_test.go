package graphapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/graphprofile/graphprofile"
	"github.com/graphprofile/graphprofile/graphapi"
	"github.com/graphprofile/graphprofile/sqlite"
	"github.com/graphprofile/graphprofile/token"
	"github.com/prometheus/client_golang/prometheus"
)

// BenchmarkMetrics is what the request metrics add to a cheap request (GET
// /beta/me, from the store's cache), handler to body: without a registry
// and with one (the in-flight gauge, the counter and the histogram of the
// request's route, method and status).
func BenchmarkMetrics(b *testing.B) {
	dir := b.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "db"))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	dev, err := token.LoadOrCreateDevIssuer(filepath.Join(dir, "key.pem"))
	if err != nil {
		b.Fatal(err)
	}
	tok, err := dev.Mint(token.MintRequest{TenantID: tenantA, ObjectID: userA1, UserPrincipalName: upnOf(userA1), Scopes: []string{"User.Read"}})
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name     string
		registry *prometheus.Registry
	}{
		{"off", nil},
		{"on", prometheus.NewRegistry()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			srv := &graphapi.Server{Service: &graphprofile.Service{Store: store}, Authenticator: token.NewValidator(nil, dev), Metrics: bc.registry}
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/beta/me", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("GET /beta/me: %d %s", rec.Code, rec.Body)
				}
			}
		})
	}
}
