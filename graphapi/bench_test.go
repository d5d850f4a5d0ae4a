package graphapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// BenchmarkListPositionsQuery is one whole list request, handler to body,
// for a user with 1,000 positions, with $filter and $orderby: the store
// read, decoding, visibility, the query and the encoding of a 100-position
// page.
func BenchmarkListPositionsQuery(b *testing.B) {
	srv, tok := benchServer(b)
	for i := range 1000 {
		body := fmt.Sprintf(`{"isCurrent":%v,"categories":["c%d"],"detail":{"jobTitle":"Engineer %d","layer":%d,"company":{"displayName":"Company %d"}}}`,
			i%2 == 0, i%7, i, i%10, i%13)
		benchCreate(b, srv, tok, body)
	}
	query := "$filter=" + url.QueryEscape("isCurrent eq true and startswith(detail/jobTitle,'Engineer') or categories/any(c: c eq 'c3')") +
		"&$orderby=" + url.QueryEscape("detail/company/displayName desc,createdDateTime")
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/beta/me/profile/positions?"+query, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("list: %d %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkListPositionsGzip is the cost of compressing answers: a whole
// list request for a page of 100 positions of the docs' example (about
// 140 KB of JSON), answered plain and gzip-compressed. wire-bytes/op is
// what goes to the client.
func BenchmarkListPositionsGzip(b *testing.B) {
	srv, tok := benchServer(b)
	body := examplePosition(b)
	for range 100 {
		benchCreate(b, srv, tok, body)
	}
	for _, encoding := range []string{"identity", "gzip"} {
		b.Run(encoding, func(b *testing.B) {
			b.ReportAllocs()
			wire := 0
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/beta/me/profile/positions", nil)
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Accept-Encoding", encoding)
				rec := httptest.NewRecorder()
				srv.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK || (encoding == "gzip") != (rec.Header().Get("Content-Encoding") == "gzip") {
					b.Fatalf("list: %d %v", rec.Code, rec.Header())
				}
				wire = rec.Body.Len()
			}
			b.ReportMetric(float64(wire), "wire-bytes/op")
		})
	}
}
