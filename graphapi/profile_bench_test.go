package graphapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/graphprofile/graphprofile/graphapi"
)

// BenchmarkGetProfile is one GET …/profile, handler to body, of a profile
// of 20 positions (a large real one): the store read (cached after the
// first), visibility and the encoding of every position.
func BenchmarkGetProfile(b *testing.B) {
	srv, tok := benchServer(b)
	serve := func(method, path, body string, want int) {
		var req *http.Request
		if body == "" {
			req = httptest.NewRequest(method, path, nil)
		} else {
			req = httptest.NewRequest(method, path, stringsReader(body))
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != want {
			b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
	}
	for i := range 20 {
		serve(http.MethodPost, "/beta/me/profile/positions", fmt.Sprintf(`{"isCurrent":%v,"detail":{"jobTitle":"Engineer %d","company":{"displayName":"Contoso"}}}`, i == 0, i), http.StatusCreated)
	}
	b.ReportAllocs()
	for b.Loop() {
		serve(http.MethodGet, "/beta/me/profile", "", http.StatusOK)
	}
}

// BenchmarkMetadata is one GET /beta/$metadata: the document is built once
// at start, so this is the cost of serving it.
func BenchmarkMetadata(b *testing.B) {
	srv := &graphapi.Server{}
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/beta/$metadata", nil))
		if rec.Code != http.StatusOK {
			b.Fatalf("%d %s", rec.Code, rec.Body)
		}
	}
}
