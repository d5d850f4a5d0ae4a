package graphapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkReadPositions is the two reads scripts/bench's get and list
// workloads make, handler to body: GET of one position and a list of ten
// (the docs' example position, 1.4 KB of JSON each), both from the
// store's cache, so what is measured is the HTTP layer's own work:
// routing, the token, the service and the encoding of the answer.
func BenchmarkReadPositions(b *testing.B) {
	srv, tok := benchServer(b)
	body := examplePosition(b)
	var id string
	for range 10 {
		rec := benchCreate(b, srv, tok, body)
		var created struct{ ID string }
		if err := json.Unmarshal(rec.Body.Bytes(), &created); err != nil {
			b.Fatal(err)
		}
		id = created.ID
	}
	for _, read := range []struct{ name, path string }{
		{"get", "/beta/me/profile/positions/" + id},
		{"list", "/beta/me/profile/positions"},
	} {
		b.Run(read.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, read.path, nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", read.name, rec.Code, rec.Body)
				}
			}
		})
	}
}
